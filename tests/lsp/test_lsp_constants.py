"""The language server and `let` constants: hover shows a constant's definition and value,
definition/references/rename find its uses (not a material of the same name), completion offers
`let` before the first section, and a patch file's use of the scene's constants is no error."""

from __future__ import annotations

from scenelang.lsp import completion, hover, symbols
from scenelang.lsp.diagnostics import scene_diagnostics

TEXT = """scenelang 1

let h = 0.72  # height
let wood = h / 2

geometry {
  shape board = box(size=(1, 1, 0.04)) at (0, 0, h - 0.02)
}

materials {
  material wood = principled()
}

composition {
  object board_1 = board at (0, 0, wood) material wood
}
"""


def test_hover_shows_the_constant_with_its_value():
    offset = TEXT.index("h - 0.02")
    markdown, (start, end) = hover.hover(TEXT, offset)
    assert "let h = 0.72  # height" in markdown and "constant (= 0.72) defined on line 3" in markdown
    assert TEXT[start:end] == "h"


def test_occurrences_tell_a_constant_from_a_material_of_the_same_name():
    found = symbols.occurrences(TEXT)
    uses = [(o.namespace, o.definition) for o in found if o.name == "wood"]
    assert uses == [("constant", True), ("material", True), ("constant", False),
                    ("material", False)]
    use = symbols.at_offset(found, TEXT.index("h / 2"))
    assert symbols.definition_of(found, use).start == TEXT.index("h = 0.72")


def test_renaming_a_constant_renames_its_uses_only():
    target, edits = symbols.rename(TEXT, TEXT.index("h = 0.72"), "height")
    assert target.namespace == "constant"
    assert [TEXT[e.start:e.end] for e in edits] == ["h"] * 3


def test_completion_offers_let_only_before_the_first_section():
    assert "let" in [c.label for c in completion.complete("scenelang 1\n", 12)]
    text = "scenelang 1\ngeometry {\n}\n"
    assert "let" not in [c.label for c in completion.complete(text, len(text))]


def test_a_patch_may_use_the_scenes_constants_but_other_errors_stay():
    assert scene_diagnostics("patch composition {\n  set o.at = (0, 0, h / 2)\n}\n", "p.slp",
                             patch=True) == []
    (diag,) = scene_diagnostics("patch composition {\n  set o.at = (0, 0, 1 / 0)\n}\n", "p.slp",
                                patch=True)
    assert diag.message == "division by zero" and diag.span.line == 2
