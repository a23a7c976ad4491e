"""The validator's checks of the v2 language, word for word (issue 15; docs/testing.md, "Mutation
testing"): groups, instances and arrays (unknown or cyclic sources, the expanded-object limit at
and one past its boundary, names the copies make), per-operand materials, bevel on a part,
profile problems and mesh-asset paths. Each test reads the whole `Finding`: message, position,
hint, and the section, statement and missing name the patch engine uses to re-position it."""

from __future__ import annotations

import pytest

from scenelang.errors import SceneError
from scenelang.parser import load_scene, parse_scene
from scenelang.validate import Limits, findings

COMPOSITION = """scenelang 1
geometry {
  shape s = box(size=(1, 1, 1))
  shape t = sphere(radius=0.5)
}
materials {
  material m = principled()
  material wood = principled()
}
composition {
%s
}
lighting {
  light sun_1 = sun()
}
"""
"""Line 11 is the first composition statement."""

GEOMETRY = """scenelang 1
geometry {
%s
}
materials {
  material wood = principled()
  material steel = principled()
}
composition {
  object o = s
}
lighting {
  light sun_1 = sun()
}
"""
"""Line 3 is the first shape; the object uses shape `s`."""

CLASH = ("two things are named '{}' once groups, instances and arrays are expanded (a copy's "
         "members are named COPY_MEMBER, an array's copies ARRAY_1, ARRAY_2, ...)")


def errors(template: str, body: str, limits: Limits | None = None) -> list[tuple]:
    """(message, FILE:LINE:COL, hint, section, statement, missing) of every error."""
    scene = parse_scene(template % body, file="s.sl")
    return [(f.diagnostic.message, f.diagnostic.span.label() if f.diagnostic.span else None,
             f.diagnostic.hint, f.section, f.statement, f.missing)
            for f in findings(scene, limits) if f.diagnostic.severity == "error"]


# ---------------------------------------------------------------- sources


def test_a_cyclic_instance_is_a_composition_error_about_no_single_statement():
    assert errors(COMPOSITION, "  group g {\n    object b = s\n    object x = instance g\n  }") == [
        ("instance 'x' copies 'g', which contains it: g -> x -> g", "s.sl:13:5",
         "an instance or array cannot copy a group it stands in", "composition", None, None)]


def test_unknown_materials_on_instances_and_arrays_name_the_statement_and_the_missing_material():
    assert errors(COMPOSITION, "  object y = instance s material wod\n"
                               "  object z = array(s, count=2, offset=(1, 0, 0)) material zzz") == [
        ("instance 'y' uses material 'wod', which is not defined; did you mean 'wood'?",
         "s.sl:11:3", None, "composition", "y", ("material", "wod")),
        ("array 'z' uses material 'zzz', which is not defined; defined: m, wood",
         "s.sl:12:3", None, "composition", "z", ("material", "zzz"))]


def test_defined_materials_on_instances_and_arrays_are_fine():
    assert errors(COMPOSITION, "  object y = instance s material wood\n"
                               "  object z = array(t, count=2, offset=(1, 0, 0)) material m") == []


def test_members_of_nested_groups_are_checked_like_objects():
    assert errors(COMPOSITION, "  group g {\n    object b = nope material wod\n    group h {\n"
                               "      object c = s material mm\n    }\n  }") == [
        ("object 'b' uses shape 'nope', which is not defined; defined: s, t", "s.sl:12:5", None,
         "composition", "b", ("shape", "nope")),
        ("object 'b' uses material 'wod', which is not defined; did you mean 'wood'?",
         "s.sl:12:5", None, "composition", "b", ("material", "wod")),
        ("object 'c' uses material 'mm', which is not defined; did you mean 'm'?", "s.sl:14:7",
         None, "composition", "c", ("material", "mm"))]


def test_a_member_named_like_a_top_level_object_is_defined_twice():
    assert errors(COMPOSITION, "  object b = s\n  group g {\n    group h {\n      object b = t\n"
                               "    }\n  }") == [
        ("object 'b' is defined twice (first on line 11)", "s.sl:14:7", None, "composition", "b",
         None)]


# ---------------------------------------------------------------- the expanded-object limit

ROW = "  object a = s\n  object r = array(s, count=3, offset=(1, 0, 0))\n  object b = t"
"""1 + 3 + 1 = 5 objects after expansion."""


def test_exactly_max_expanded_objects_is_accepted():
    assert errors(COMPOSITION, ROW, Limits(max_expanded_objects=5)) == []


def test_one_object_past_max_expanded_objects_is_reported_at_the_statement_that_crosses_it():
    assert errors(COMPOSITION, ROW, Limits(max_expanded_objects=4)) == [
        ("the composition makes 5 objects up to object 'b' (groups, instances and arrays "
         "expanded); the limit is 4", "s.sl:13:3", "lower an array's count", "composition", "b",
         None)]


def test_the_expanded_count_adds_up_every_part_before_the_one_that_crosses():
    # 1 + 3 = 4 after the array: over a limit of 3 there, although the array alone makes 3
    assert errors(COMPOSITION, ROW, Limits(max_expanded_objects=3))[0][:2] == (
        "the composition makes 4 objects up to array 'r' (groups, instances and arrays "
        "expanded); the limit is 3", "s.sl:12:3")


def test_over_the_expanded_limit_no_name_clash_is_looked_for():
    body = "  object r = array(s, count=3, offset=(1, 0, 0))\n  object r_2 = t"
    assert [e[0] for e in errors(COMPOSITION, body, Limits(max_expanded_objects=3))] == [
        "the composition makes 4 objects up to object 'r_2' (groups, instances and arrays "
        "expanded); the limit is 3"]


# ---------------------------------------------------------------- names the copies make


def test_a_written_name_that_an_earlier_array_copy_takes_is_reported_at_the_written_one():
    assert errors(COMPOSITION, "  object legs = array(s, count=3, offset=(1, 0, 0))\n"
                               "  object legs_2 = s") == [
        (CLASH.format("legs_2"), "s.sl:12:3", "rename one of them", "composition", "legs_2", None)]


def test_an_array_copy_that_takes_an_earlier_written_name_is_reported_at_the_array():
    assert errors(COMPOSITION, "  object legs_2 = s\n"
                               "  object legs = array(s, count=3, offset=(1, 0, 0))") == [
        (CLASH.format("legs_2"), "s.sl:12:3", "rename one of them", "composition", "legs", None)]


def test_names_clash_between_copies_even_when_no_plain_object_is_written():
    # two arrays of one copy each: as many objects as statements, none of them a plain object
    assert errors(COMPOSITION, "  object a = array(s, count=1, offset=(1, 0, 0))\n"
                               "  object a_1 = array(t, count=1, offset=(1, 0, 0))") == [
        (CLASH.format("a_1"), "s.sl:12:3", "rename one of them", "composition", "a_1", None)]


def test_a_copy_of_a_group_names_its_members_after_the_copy():
    body = ("  group chair {\n    object seat = s\n  }\n  object chair_2 = instance chair\n"
            "  object chair_2_seat = t")
    assert errors(COMPOSITION, body) == [
        (CLASH.format("chair_2_seat"), "s.sl:15:3", "rename one of them", "composition",
         "chair_2_seat", None)]


def test_only_the_first_name_clash_is_reported():
    body = ("  object legs = array(s, count=3, offset=(1, 0, 0))\n  object legs_2 = s\n"
            "  object legs_3 = t")
    assert [e[0] for e in errors(COMPOSITION, body)] == [CLASH.format("legs_2")]


def test_copies_with_distinct_names_are_fine():
    body = ("  group chair {\n    object seat = s\n  }\n  object chair_2 = instance chair\n"
            "  object row = array(chair, count=2, offset=(1, 0, 0))\n  object row_3 = t")
    assert errors(COMPOSITION, body) == []


# ---------------------------------------------------------------- shapes: v2 parts


@pytest.mark.parametrize("shape, message, hint", [
    ("revolve(profile=[(0, 0)])", "revolve profile needs at least 2 points, got 1",
     "write profile=[(r, z), (r, z), ...], e.g. [(0.5, 0), (0.5, 1), (0, 1)]"),
    ("extrude(profile=[(0, 0), (1, 1), (1, 0), (0, 1)], depth=1)",
     "extrude profile crosses itself: edge (0, 0)-(1, 1) meets edge (1, 0)-(0, 1)",
     "list the corners in order around the outline, without crossings"),
])
def test_profile_problems_are_reported_at_the_profile_shape_with_its_hint(shape, message, hint):
    assert errors(GEOMETRY, f"  shape s = {shape}") == [
        (f"shape 's': {message}", "s.sl:3:13", hint, "geometry", "s", None)]


def test_a_profile_problem_inside_a_csg_operation_is_positioned_at_the_operand():
    assert errors(GEOMETRY, "  shape s = union(box(size=(1, 1, 1)), revolve(profile=[(0, 0)]))")[0][:2] == (
        "shape 's': revolve profile needs at least 2 points, got 1", "s.sl:3:40")


def test_bevel_on_a_part_is_an_error_at_the_part_with_a_hint():
    assert errors(GEOMETRY, "  shape s = union(box(size=(1, 1, 1)) bevel 0.1, sphere(radius=1))") == [
        ("shape 's': bevel applies to a whole shape, not to a part", "s.sl:3:19",
         "write `bevel W` after the outermost shape expression, or define the part as its own "
         "shape", "geometry", "s", None)]


@pytest.mark.parametrize("shape", [
    "union(box(size=(1, 1, 1)), sphere(radius=1)) bevel 0.1",
    "box(size=(1, 1, 1)) bevel 0.1",
])
def test_bevel_on_a_whole_shape_is_fine(shape):
    assert errors(GEOMETRY, f"  shape s = {shape}") == []


@pytest.mark.parametrize("operand, suggestion", [
    ("wod", "; did you mean 'wood'?"),
    ("zzz", "; defined: wood, steel"),
])
def test_an_undefined_operand_material_is_reported_at_the_operand(operand, suggestion):
    assert errors(GEOMETRY, f"  shape s = difference(box(size=(1, 1, 1)) material {operand}, "
                            "sphere(radius=1) material steel)") == [
        (f"shape 's' uses material '{operand}', which is not defined{suggestion}", "s.sl:3:24",
         "define it in the materials section: material NAME = principled(...)", "geometry", "s",
         ("material", operand))]


def test_defined_operand_materials_are_fine_and_count_as_used():
    scene = parse_scene(GEOMETRY % "  shape s = difference(box(size=(1, 1, 1)) material wood, "
                                   "sphere(radius=1) material steel)", file="s.sl")
    assert [f.diagnostic for f in findings(scene)] == []


def test_the_segment_limit_names_the_shape_statement():
    assert errors(GEOMETRY, "  shape s = sphere(radius=1, segments=257)") == [
        ("shape 's': sphere segments=257 exceeds the limit of 256", "s.sl:3:13", None, "geometry",
         "s", None)]
    assert errors(GEOMETRY, "  shape s = sphere(radius=1, segments=256)") == []


def test_the_operand_limit_is_reported_at_the_operation_and_names_the_statement():
    assert errors(GEOMETRY, "  shape s = union(box(size=(1, 1, 1)), box(size=(1, 1, 1)), "
                            "box(size=(1, 1, 1)))", Limits(max_csg_operands=2)) == [
        ("shape 's': union has 3 operands; the limit is 2", "s.sl:3:13", None, "geometry", "s",
         None)]


PAIR = "  shape a = union(box(size=(1, 1, 1)), box(size=(1, 1, 1)))\n  shape s = union(a, a)"


def test_the_depth_limit_names_the_shape_statement():
    assert errors(GEOMETRY, PAIR, Limits(max_csg_depth=1)) == [
        ("shape 's' nests CSG operations 2 deep (counting through referenced shapes); the limit "
         "is 1", "s.sl:4:3", None, "geometry", "s", None)]


def test_the_primitive_limit_names_the_shape_statement_and_allows_exactly_the_limit():
    assert errors(GEOMETRY, PAIR, Limits(max_primitives=3)) == [
        ("shape 's' expands to 4 primitives (counting referenced shapes); the limit is 3",
         "s.sl:4:3", None, "geometry", "s", None)]
    assert errors(GEOMETRY, PAIR, Limits(max_primitives=4)) == []


def test_a_shape_over_the_primitive_limit_is_reported_once_not_again_by_its_users():
    body = PAIR + "\n  shape u = union(s, box(size=(1, 1, 1)))"
    assert [e[0] for e in errors(GEOMETRY, body, Limits(max_primitives=3))] == [
        "shape 's' expands to 4 primitives (counting referenced shapes); the limit is 3"]


def _profile(points: int) -> str:
    return "[" + ", ".join(f"({0.1 + i * 1e-3:.4f}, {i * 0.01:.2f})" for i in range(points)) + "]"


def test_a_profile_of_1024_points_is_accepted_and_1025_is_a_positioned_error():
    text = "scenelang 1\ngeometry {\n  shape v = revolve(profile=%s)\n}\n"
    scene = parse_scene(text % _profile(1024), file="s.sl")
    assert len(scene.geometry.statements[0].shape.profile) == 1024
    with pytest.raises(SceneError) as info:
        parse_scene(text % _profile(1025), file="s.sl")
    (diag,) = info.value.diagnostics
    assert "at most 1024 items" in diag.message and "1025" in diag.message
    assert diag.span.label() == "s.sl:3:29"  # the list


def test_a_mesh_asset_problem_is_reported_at_the_path_and_names_the_shape_statement(tmp_path):
    scene_file = tmp_path / "s.sl"
    scene_file.write_text('scenelang 1\ngeometry {\n  shape s = union(box(size=(1, 1, 1)), '
                          'mesh(path="models/missing.glb"))\n}\ncomposition {\n  object o = s\n}\n')
    (finding,) = findings(load_scene(scene_file))
    d = finding.diagnostic
    assert (d.message, d.span.line, d.span.column) == (
        "shape 's': asset file 'models/missing.glb' not found", 3, 50)  # the string
    assert d.hint == (f"looked for {tmp_path / 'models' / 'missing.glb'}; paths are relative to "
                      f"the scene's folder ({tmp_path}) and must stay inside it")
    assert (finding.section, finding.statement, finding.missing) == ("geometry", "s", None)
