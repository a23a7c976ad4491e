"""The parser's input limits at their boundary (docs/language.md, "File structure" and "Limits"):
a scene file is at most 4 MiB, with brackets nested at most 64 deep. At the limit the input is
accepted; one past it is rejected with a positioned error (file, and line:column for nesting).
The far-past cases (6 MB, 5000 deep) are in test_parser.py."""

import pytest

from scenelang import ast as A
from scenelang.errors import SceneError
from scenelang.parser import load_patch, load_scene, parse_patch, parse_scene

MIB4 = 4 * 1024 * 1024
HEADER = "scenelang 1\ngeometry {\n  shape b = sphere(radius=1)\n}\n# "


def text_of_size(size: int) -> str:
    """A valid scene of exactly `size` characters (ASCII, so also bytes): padded in a comment."""
    return HEADER + "x" * (size - len(HEADER) - 1) + "\n"


def nested_shape(depth: int) -> str:
    """A scene whose deepest bracket is at `depth`: `geometry {` (1), unions, `sphere(` (1)."""
    unions = depth - 2
    expr = "union(" * unions + "sphere(radius=1)" + ", sphere(radius=2))" * unions
    return f"scenelang 1\ngeometry {{ shape b = {expr} }}\n"


def test_a_scene_of_exactly_4_mib_is_accepted():
    text = text_of_size(MIB4)
    assert len(text.encode()) == MIB4
    assert isinstance(parse_scene(text, "big.sl"), A.Scene)


def test_one_character_past_4_mib_is_a_positioned_error():
    with pytest.raises(SceneError) as info:
        parse_scene(text_of_size(MIB4 + 1), "big.sl")
    [d] = info.value.diagnostics
    assert "too large" in d.message and "4.2 MB" in d.message
    assert d.span.file == "big.sl"
    assert info.value.format().startswith("big.sl")


def test_a_file_of_exactly_4_mib_loads_and_one_byte_more_is_refused(tmp_path):
    path = tmp_path / "big.sl"
    path.write_bytes(text_of_size(MIB4).encode())
    assert isinstance(load_scene(path), A.Scene)
    path.write_bytes(text_of_size(MIB4 + 1).encode())
    with pytest.raises(SceneError) as info:
        load_scene(path)
    [d] = info.value.diagnostics
    assert "file is too large" in d.message and d.span.file == str(path)


def test_patches_have_the_same_4_mib_limit(tmp_path):
    head = "patch geometry {\n  shape b = sphere(radius=1)\n}\n# "
    at_limit = head + "x" * (MIB4 - len(head) - 1) + "\n"
    assert parse_patch(at_limit, "p.slp").patches
    path = tmp_path / "p.slp"
    path.write_text(at_limit + "x")
    with pytest.raises(SceneError, match="too large"):
        load_patch(path)


def test_brackets_nested_64_deep_are_accepted():
    scene = parse_scene(nested_shape(64), "deep.sl")
    depth, shape = 0, scene.shapes()["b"].shape
    while isinstance(shape, A.Csg):
        depth, shape = depth + 1, shape.operands[0]
    assert depth == 62 and isinstance(shape, A.Sphere)


def test_brackets_nested_65_deep_are_a_positioned_error_at_the_65th_bracket():
    text = nested_shape(65)
    with pytest.raises(SceneError) as info:
        parse_scene(text, "deep.sl")
    [d] = info.value.diagnostics
    assert d.message == "brackets are nested more than 64 deep"
    line = text.splitlines()[1]
    column = line.index("sphere(") + len("sphere(")  # 1-based column of the 65th opening bracket
    assert (d.span.file, d.span.line, d.span.column) == ("deep.sl", 2, column)
    assert info.value.format().startswith(f"deep.sl:2:{column}: error:")


def test_brackets_inside_comments_do_not_count_towards_the_nesting_limit():
    text = nested_shape(64).replace("}\n", "}\n# " + "(" * 100 + "\n")
    assert parse_scene(text, "deep.sl").shapes()["b"]
