"""Syntax errors read as words: expected tokens, unclosed brackets, non-ASCII characters."""

import pytest

from scenelang.errors import SceneError
from scenelang.parser import _lark, parse_scene
from scenelang.syntax_errors import expected_words


def first_message(text: str) -> str:
    with pytest.raises(SceneError) as info:
        parse_scene(text)
    return info.value.diagnostics[0].message


def test_expected_terminals_become_words():
    words = expected_words({"NAME", "QUANTITY", "RBRACE", "$END"}, _lark())
    assert words == "'}', a name, a number, end of file"


def test_the_innermost_unclosed_bracket_is_named():
    message = first_message("scenelang 1\ngeometry {\n  shape b = union(sphere(radius=1),\n")
    assert "'(' opened at line 3, column 18 is never closed (missing ')')" in message


def test_brackets_inside_comments_do_not_count():
    message = first_message("scenelang 1\ngeometry { # (((\n")
    assert "'{' opened at line 2, column 10" in message


def test_a_number_where_a_parameter_name_belongs():
    assert "parameters are named, e.g. radius=2" in first_message(
        "scenelang 1\ngeometry { shape b = sphere(2) }")


# ---------------------------------------------------------------- issue 11: friction a new user hit


def _message(text: str) -> str:
    with pytest.raises(SceneError) as info:
        parse_scene(text, file="t.sl")
    return info.value.format()


def test_a_colour_is_not_taken_for_a_comment_when_a_brace_is_missing_at_the_end():
    msg = _message("scenelang 1\nmaterials {\n  material m = principled(base_color=#ffd9a0)\n")
    assert "'{' opened at line 2, column 11 is never closed (missing '}')" in msg
    assert "'('" not in msg


def test_a_missing_brace_mid_file_points_at_the_unclosed_brace():
    msg = _message("scenelang 1\ngeometry {\n  shape b = box(size=(1, 1, 1))\n"
                   "materials {\n  material m = principled()\n}\n")
    assert msg.startswith("t.sl:4:1: error: section 'materials' starts inside another: "
                          "the '{' opened at line 2, column 10 is never closed (missing '}')")


@pytest.mark.parametrize("typo, keyword", [("objct", "object"), ("shap", "shape"),
                                            ("materal", "material")])
def test_a_statement_keyword_typo_gets_a_did_you_mean(typo, keyword):
    sections = {"object": "composition", "shape": "geometry", "material": "materials"}
    text = f"scenelang 1\n{sections[keyword]} {{\n  {typo} b = x\n}}\n"
    msg = _message(text)
    assert f"unexpected '{typo}'" in msg and f"hint: did you mean '{keyword}'?" in msg
