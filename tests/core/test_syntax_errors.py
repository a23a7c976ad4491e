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
