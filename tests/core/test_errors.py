"""Diagnostics format as FILE:LINE:COL: severity: message, the source line and a caret."""

from scenelang.errors import Diagnostic, SceneError, Span


def test_format_with_caret_under_the_span():
    src = "scenelang 1\nmaterials {\n  material m = principled(roughness=1.5)\n}\n"
    d = Diagnostic("roughness must be at most 1", Span(line=3, column=37, end_line=3, end_column=40, file="a.sl"))
    lines = d.format(src).splitlines()
    assert lines[0] == "a.sl:3:37: error: roughness must be at most 1"
    assert lines[1] == "      material m = principled(roughness=1.5)"
    assert lines[2] == "    " + " " * 36 + "^~~"


def test_scene_error_collects_and_formats_all():
    err = SceneError([Diagnostic("one", Span(line=1, column=1)), Diagnostic("two", None, "warning")],
                     source="x\n")
    text = err.format()
    assert "<string>:1:1: error: one" in text and "<scene>: warning: two" in text
    assert len(err.errors) == 1


def test_color_output_has_escape_codes():
    d = Diagnostic("bad", Span(line=1, column=1, file="f"))
    assert "\033[" in d.format(None, color=True)


def test_long_lines_are_clipped_around_the_column():
    src = "x" * 500 + "!" + "y" * 500
    d = Diagnostic("here", Span(line=1, column=501, end_line=1, end_column=502))
    excerpt, caret = d.format(src).splitlines()[1:]
    assert len(excerpt) < 200 and excerpt[caret.index("^")] == "!"


def test_excerpts_only_for_the_file_the_source_belongs_to():
    err = SceneError([Diagnostic("in patch", Span(line=1, column=1, file="p.slp")),
                      Diagnostic("in scene", Span(line=1, column=1, file="s.sl"))]).with_source("patch x {}\n", "p.slp")
    text = err.format()
    assert "patch x {}" in text and text.count("patch x {}") == 1
