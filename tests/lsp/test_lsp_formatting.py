"""The language server's formatting in process (docs/lsp.md, "formatting"): one edit with what
`scenelang fmt` prints, comments kept; no edit when the scene is already canonical, does not
parse, or does not validate (its diagnostics say why); other line endings are replaced."""

from __future__ import annotations

from scenelang.lsp.formatting import format_edits
from scenelang.lsp.positions import Text
from scenelang.parser import parse_scene
from scenelang.printer import print_scene

MESSY = ("scenelang 1\ngeometry {\n    shape ball = sphere(radius=1.0)   # round\n}\n"
         "composition { object b = ball at (0,0,1.50) }\n")
CANONICAL = print_scene(parse_scene(MESSY))


def edits(text: str) -> list:
    return format_edits(Text.of(text), text)


def test_a_messy_scene_gets_one_edit_with_the_canonical_text():
    (edit,) = edits(MESSY)
    assert edit.new_text == CANONICAL and "# round" in CANONICAL
    assert (edit.range.start.line, edit.range.start.character) == (0, 0)
    assert edit.range.end.line == MESSY.count("\n")


def test_a_canonical_scene_gets_no_edit():
    assert edits(CANONICAL) == []


def test_a_scene_that_does_not_parse_or_validate_gets_no_edit():
    assert edits(MESSY.replace("radius=1.0)", "radius=1.0")) == []  # a syntax error
    assert edits(MESSY.replace("radius=1.0", "radius=-1")) == []  # a value out of range
    assert edits(MESSY.replace("= ball at", "= bal at")) == []  # an undefined shape


def test_other_line_endings_are_replaced():
    crlf = CANONICAL.replace("\n", "\r\n")
    (edit,) = format_edits(Text.of(crlf), crlf)
    assert edit.new_text == CANONICAL
