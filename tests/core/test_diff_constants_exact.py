"""The exact patches `diff` writes for changed constants, comments and shape kinds, and the
errors a constants patch gives (issue 15: surviving mutants of `patches._diff_constants`,
`_set_op` and `_reevaluated` in the mutation run with constants; docs/testing.md)."""

from __future__ import annotations

import pytest

from scenelang.errors import SceneError
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch, apply_patches, diff
from scenelang.printer import print_patch

GEOMETRY = "geometry {\n  shape s = %s\n}\n"


def _diff(a: str, b: str) -> str:
    before, after = parse_scene("scenelang 1\n" + a), parse_scene("scenelang 1\n" + b)
    patch = diff(before, after)
    assert apply_patches(before, patch) == after
    return print_patch(patch)


@pytest.mark.parametrize("a, b, expected", [
    # another kind of shape: the whole statement, never `set`
    (GEOMETRY % "box(size=(1, 1, 1))", GEOMETRY % "sphere(radius=1)",
     "patch geometry {\n  shape s = sphere(radius=1)\n}\n"),
    # only a comment changed: the whole statement with its comments
    (GEOMETRY % "box(size=(1, 1, 1))", "geometry {\n  # note\n  shape s = box(size=(1, 1, 1))\n}\n",
     "patch geometry {\n  # note\n  shape s = box(size=(1, 1, 1))\n}\n"),
    (GEOMETRY % "box(size=(1, 1, 1))", "geometry {\n  shape s = box(size=(1, 1, 1))  # t\n}\n",
     "patch geometry {\n  shape s = box(size=(1, 1, 1))  # t\n}\n"),
    # one value: one `set`
    (GEOMETRY % "box(size=(1, 1, 1))", GEOMETRY % "box(size=(1, 1, 2))",
     "patch geometry {\n  set s.size = (1, 1, 2)\n}\n"),
], ids=["kind", "comment", "trailing-comment", "one-value"])
def test_diff_writes_the_smallest_statement_change(a, b, expected):
    assert _diff(a, b) == expected


@pytest.mark.parametrize("a, b, expected", [
    # a new constant between kept ones: the kept prefix stays, the rest is re-put in order
    ("let a = 1\nlet b = 2\n" + GEOMETRY % "box(size=(a, b, 1))",
     "let a = 1\nlet c = 3\nlet b = 2\n" + GEOMETRY % "box(size=(a, b, c))",
     "patch constants {\n  remove b\n  let c = 3\n  let b = 2\n}\n\n"
     "patch geometry {\n  set s.size = (a, b, c)\n}\n"),
    # reordered: nothing stays in place
    ("let a = 1\nlet b = 2\n" + GEOMETRY % "box(size=(a, b, 1))",
     "let b = 2\nlet a = 1\n" + GEOMETRY % "box(size=(a, b, 1))",
     "patch constants {\n  remove a\n  remove b\n  let b = 2\n  let a = 1\n}\n"),
    # a changed value: one `let`, and the shapes using it are not repeated
    ("let a = 1\n" + GEOMETRY % "box(size=(a, 1, 1))", "let a = 2\n" + GEOMETRY % "box(size=(a, 1, 1))",
     "patch constants {\n  let a = 2\n}\n"),
    ("let a = 1\nlet z = 5\n" + GEOMETRY % "box(size=(a, 1, 1))", "let a = 1\n" + GEOMETRY % "box(size=(a, 1, 1))",
     "patch constants {\n  remove z\n}\n"),
    # appended after every kept one: only the new `let`
    ("let a = 1\n" + GEOMETRY % "box(size=(a, 1, 1))", "let a = 1\nlet c = 3\n" + GEOMETRY % "box(size=(a, 1, 1))",
     "patch constants {\n  let c = 3\n}\n"),
], ids=["insert", "reorder", "value", "remove", "append"])
def test_diff_of_constants_is_exact(a, b, expected):
    assert _diff(a, b) == expected


SCENE = "scenelang 1\nlet a = 1\nlet b = 1 / a\ngeometry {\n  shape s = box(size=(b, 1, 1))\n}\n"


def _error(patch: str) -> str:
    scene = parse_scene(SCENE, file="s.sl")
    with pytest.raises(SceneError) as caught:
        apply_patch(scene, parse_patch(patch, file="p.slp", constants=scene.constants))
    return str(caught.value)


def test_a_constants_patch_that_makes_an_expression_divide_by_zero_is_positioned_there():
    assert _error("patch constants {\n  let a = 0\n}\n") == (
        "s.sl:3:13: error: division by zero: `a` is 0\n"
        "    hint: the number after `/` must not be zero; check it and the constants it uses")


def test_removing_a_constant_still_used_names_the_use():
    assert _error("patch constants {\n  remove a\n}\n") == (
        "p.slp:2:3: error: cannot remove constant 'a': an expression still uses it (s.sl:3:13)\n"
        "    hint: keep `let a`, or change what uses it")


def test_diff_sets_a_string_field_such_as_a_mesh_path(tmp_path, monkeypatch):
    # a `set` written by diff carries no file, so its path is read from the working folder:
    # run there (the scene's own folder)
    monkeypatch.chdir(tmp_path)
    tetra = "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 3 4\nf 2 3 4\n"
    for name in ("a.obj", "b.obj"):
        (tmp_path / name).write_text(tetra, encoding="utf-8")
    text = 'scenelang 1\ngeometry {\n  shape m = mesh(path="%s")\n}\n'
    before = parse_scene(text % "a.obj", file=str(tmp_path / "s.sl"))
    after = parse_scene(text % "b.obj", file=str(tmp_path / "s.sl"))
    patch = diff(before, after)
    assert print_patch(patch) == 'patch geometry {\n  set m.path = "b.obj"\n}\n'
    assert apply_patches(before, patch) == after
