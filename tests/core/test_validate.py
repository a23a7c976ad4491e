"""Tests for scenelang.validate: every rule, positions, limits, warnings, check()."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import examples, scenes

from scenelang import ast as A
from scenelang.errors import SceneError
from scenelang.parser import parse_scene
from scenelang.validate import Limits, check, check_samples, validate

GOOD = """\
scenelang 1

geometry {
  shape table = box(size=(2, 1, 0.1))
  shape ball  = sphere(radius=0.3)
  shape bowl  = difference(ball, sphere(radius=0.45) at (0, 0, 0.1))
}

materials {
  material red   = principled(base_color=#c0392b, roughness=0.4)
  material steel = principled(base_color=(0.8, 0.8, 0.82), metallic=1, roughness=0.2)
}

composition {
  camera main at (7.4, -6.9, 5.0) look_at (0, 0, 0.5) lens 50mm
  object table_1 = table at (0, 0, 0.75) material red
  object bowl_1  = bowl at (0.3, 0.1, 1.1) material steel
}

lighting {
  world color #101010 strength 0.5
  light key  = sun(direction=(-0.3, 0.4, -1), energy=3)
}
"""


def scene(geometry: str = "", materials: str = "", composition: str = "", lighting: str = ""):
    text = (f"scenelang 1\ngeometry {{\n{geometry}\n}}\nmaterials {{\n{materials}\n}}\n"
            f"composition {{\n{composition}\n}}\nlighting {{\n{lighting}\n}}\n")
    return parse_scene(text, "t.sl")


# a small lit scene with one object, into which single statements are added
BASE_G = "shape s = box(size=(1, 1, 1))"
BASE_C = "object o = s"
BASE_L = "light sun1 = sun()"


def errors(sc, limits=None) -> list[str]:
    return [d.message for d in validate(sc, limits) if d.severity == "error"]


def warnings(sc, limits=None) -> list[str]:
    return [d.message for d in validate(sc, limits) if d.severity == "warning"]


def test_good_scene_has_no_diagnostics():
    assert validate(parse_scene(GOOD)) == []
    assert check(parse_scene(GOOD)) == []


# ---------------------------------------------------------------- names


def test_duplicate_shape_exact_message_and_position():
    sc = scene("shape a = box(size=(1, 1, 1))\nshape a = sphere(radius=1)", "",
               "object o = a", BASE_L)
    [d] = [d for d in validate(sc) if d.severity == "error"]
    assert d.message == "shape 'a' is defined twice (first on line 3)"
    assert (d.span.file, d.span.line, d.span.column) == ("t.sl", 4, 1)


def test_duplicates_are_per_namespace():
    # 'x' is a shape, a material, a camera and a light at once: legal
    sc = scene(f"{BASE_G}\nshape x = box(size=(1, 1, 1))",
               "material x = principled()\nmaterial m = principled()\nmaterial m = principled()",
               f"{BASE_C} material x\ncamera x at (5, 5, 5)", f"{BASE_L}\nlight x = sun()")
    assert errors(sc) == ["material 'm' is defined twice (first on line 8)"]


def test_object_and_camera_share_a_namespace():
    sc = scene(BASE_G, "", f"{BASE_C}\ncamera o at (5, 5, 5)", BASE_L)
    assert errors(sc) == ["camera 'o': the name 'o' is already used by object 'o' (line 9)"]


def test_two_worlds_and_a_light_named_world():
    sc = scene(BASE_G, "", BASE_C, f"{BASE_L}\nworld strength 1\nworld strength 2\n"
               "light world = point(at=(1, 1, 1))")
    assert errors(sc) == [
        "more than one world statement (the first is on line 13)",
        "the name 'world' is reserved for the world statement; choose another name for this "
        "light",
    ]


# ---------------------------------------------------------------- references


def test_undefined_shape_and_material_with_suggestions():
    sc = scene("shape table = box(size=(1, 1, 1))", "material steel = principled()",
               "object t = tabel material steal", BASE_L)
    assert errors(sc) == [
        "object 't' uses shape 'tabel', which is not defined; did you mean 'table'?",
        "object 't' uses material 'steal', which is not defined; did you mean 'steel'?",
    ]


def test_undefined_reference_without_close_match_lists_names():
    sc = scene(BASE_G, "", "object t = zzz", BASE_L)
    assert errors(sc) == ["object 't' uses shape 'zzz', which is not defined; defined: s"]


def test_ref_to_later_shape_self_and_undefined_positioned_at_the_ref():
    sc = scene("shape a = union(b, box(size=(1, 1, 1)))\nshape b = box(size=(1, 1, 1))\n"
               "shape c = union(c, b)\nshape d = union(b, nope)", "",
               "object o1 = a\nobject o2 = c\nobject o3 = d", BASE_L)
    diags = [d for d in validate(sc) if d.severity == "error"]
    assert [d.message for d in diags] == [
        "shape 'a' refers to shape 'b', which is defined later (line 4); a shape can only use "
        "shapes defined before it",
        "shape 'c' refers to itself",
        "shape 'd' refers to shape 'nope', which is not defined; defined: a, b, c",
    ]
    assert (diags[0].span.line, diags[0].span.column) == (3, 17)
    assert (diags[1].span.line, diags[1].span.column) == (5, 17)
    assert (diags[2].span.line, diags[2].span.column) == (6, 20)


def test_ref_to_earlier_shape_is_fine():
    sc = scene("shape a = box(size=(1, 1, 1))\nshape b = a at (1, 0, 0)", "", "object o = b",
               BASE_L)
    assert validate(sc) == []


# ---------------------------------------------------------------- camera and lights


def test_camera_rules():
    sc = scene(BASE_G, "", f"{BASE_C}\ncamera c at (1, 2, 3) look_at (1, 2, 3) rotate (0, 0, 0) "
               "lens 35mm fov 40deg\ncamera d at (5, 5, 5)", BASE_L)
    assert errors(sc) == [
        "camera 'c' has both look_at and rotate; give only one",
        "camera 'c' has both lens and fov; give only one",
        "camera 'c' looks at its own position (look_at equals at)",
        "more than one camera: the scene already has camera 'c' (line 10)",
    ]


def test_two_cameras_with_one_name_give_one_error():
    sc = scene(BASE_G, "", f"{BASE_C}\ncamera c at (5, 5, 5)\ncamera c at (6, 6, 6)", BASE_L)
    assert errors(sc) == ["more than one camera: the scene already has camera 'c' (line 10)"]


def test_camera_resolution_limit():
    sc = scene(BASE_G, "", f"{BASE_C}\ncamera c at (5, 5, 5) resolution (5000, 100)", BASE_L)
    assert errors(sc) == [
        "camera 'c': resolution 5000x100 exceeds the limit of 4096 pixels per side"]
    assert errors(sc, Limits(max_resolution=8192)) == []


@pytest.mark.parametrize("light", [
    "sun(direction=(0, 0, 0))",
    "spot(at=(1, 1, 1), direction=(0, 0, 0))",
    "area(at=(1, 1, 1), direction=(0, 0, 0))",
])
def test_zero_direction(light):
    sc = scene(BASE_G, "", BASE_C, f"light l = {light}")
    assert errors(sc) == [
        "light 'l' has a zero direction vector; give a direction such as (0, 0, -1)"]


@pytest.mark.parametrize("kind", ["spot", "area"])
def test_spot_and_area_aiming(kind):
    sc = scene(BASE_G, "", BASE_C,
               f"light l = {kind}(at=(1, 1, 1), direction=(0, 0, -1), look_at=(1, 1, 1))")
    assert errors(sc) == [
        "light 'l' has both direction and look_at; give only one",
        "light 'l' is aimed at its own position (look_at equals at)",
    ]


@pytest.mark.parametrize("shape,ok", [("square", False), ("disk", False), ("rectangle", True),
                                      ("ellipse", True)])
def test_area_size_y_needs_rectangle_or_ellipse(shape, ok):
    sc = scene(BASE_G, "", BASE_C, f"light l = area(at=(0, 0, 3), size_y=2, shape={shape})")
    expected = [] if ok else [
        f"light 'l': size_y is only used with shape rectangle or ellipse, but the shape is "
        f"{shape}; remove size_y or change the shape"]
    assert errors(sc) == expected


# ---------------------------------------------------------------- limits


def test_limits_defaults():
    assert Limits() == Limits(max_statements=5000, max_shapes=1000, max_objects=1000,
                              max_lights=64, max_csg_depth=8, max_csg_operands=32,
                              max_primitives=10000, max_segments=256, max_resolution=4096,
                              max_samples=4096)


@pytest.mark.parametrize("expr,field", [
    ("sphere(radius=1, segments=300)", "sphere segments=300"),
    ("sphere(radius=1, rings=300)", "sphere rings=300"),
    ("cylinder(radius=1, depth=1, vertices=300)", "cylinder vertices=300"),
    ("cone(radius=1, depth=1, vertices=300)", "cone vertices=300"),
    ("torus(major_radius=1, minor_radius=0.2, major_segments=300)", "torus major_segments=300"),
    ("torus(major_radius=1, minor_radius=0.2, minor_segments=300)", "torus minor_segments=300"),
])
def test_segment_limit(expr, field):
    sc = scene(f"shape s = union(box(size=(1, 1, 1)), {expr})", "", BASE_C, BASE_L)
    [d] = [d for d in validate(sc) if d.severity == "error"]
    assert d.message == f"shape 's': {field} exceeds the limit of 256"
    assert (d.span.line, d.span.column) == (3, 38)  # the primitive, not the statement
    assert errors(sc, Limits(max_segments=300)) == []


def test_csg_depth_counts_through_references_and_is_reported_once():
    geometry = "\n".join([
        "shape a = union(box(size=(1, 1, 1)), box(size=(1, 1, 1)))",  # depth 1
        "shape b = union(a, a)",  # depth 2
        "shape c = union(b, a)",  # depth 3
        "shape d = difference(c, a)",  # depth 4, uses c
    ])
    sc = scene(geometry, "", "object o = d", BASE_L)
    assert errors(sc, Limits(max_csg_depth=4)) == []
    assert errors(sc, Limits(max_csg_depth=2)) == [
        "shape 'c' nests CSG operations 3 deep (counting through referenced shapes); the limit "
        "is 2"]


def test_csg_operand_limit():
    operands = ", ".join(["box(size=(1, 1, 1))"] * 5)
    sc = scene(f"shape s = union({operands})", "", BASE_C, BASE_L)
    assert errors(sc, Limits(max_csg_operands=4)) == [
        "shape 's': union has 5 operands; the limit is 4"]
    assert errors(sc, Limits(max_csg_operands=5)) == []


def test_primitive_limit_per_shape_and_in_total():
    sc = scene("shape a = union(box(size=(1, 1, 1)), box(size=(1, 1, 1)))\n"
               "shape b = union(a, a, a)", "", "object o1 = b\nobject o2 = b\nobject o3 = a",
               BASE_L)
    assert errors(sc, Limits(max_primitives=5)) == [
        "shape 'b' expands to 6 primitives (counting referenced shapes); the limit is 5"]
    assert errors(sc, Limits(max_primitives=13)) == [
        "the objects up to 'o3' build 14 primitives (counting CSG operands); the limit is 13"]
    assert errors(sc, Limits(max_primitives=14)) == []


def test_exponential_reference_expansion_is_caught_quickly():
    lines = ["shape s0 = box(size=(1, 1, 1))"]
    lines += [f"shape s{i} = union({', '.join([f's{i - 1}'] * 30)})" for i in range(1, 8)]
    sc = scene("\n".join(lines), "", "object o = s7", BASE_L)
    assert errors(sc) == [
        "shape 's3' expands to 27000 primitives (counting referenced shapes); the limit is 10000"]


@pytest.mark.parametrize("field,expected,line", [
    ("max_shapes", "too many shapes: the limit is 2", 5),
    ("max_objects", "too many objects: the limit is 2", 13),
    ("max_lights", "too many lights: the limit is 2", 18),
])
def test_count_limits(field, expected, line):
    sc = scene("shape a = box(size=(1, 1, 1))\nshape b = a\nshape c = a", "",
               "object o1 = a\nobject o2 = b\nobject o3 = c",
               "light l1 = sun()\nlight l2 = sun()\nlight l3 = sun()")
    diags = [d for d in validate(sc, Limits(**{field: 2})) if d.severity == "error"]
    assert [d.message for d in diags] == [expected]
    assert diags[0].span.line == line  # at the third one


def test_statement_limit():
    sc = scene(BASE_G, "", BASE_C, BASE_L)
    assert errors(sc, Limits(max_statements=2)) == ["too many statements: the limit is 2"]


def test_check_samples():
    check_samples(16)
    with pytest.raises(SceneError, match="samples must be between 1 and 4096, got 5000"):
        check_samples(5000)
    with pytest.raises(SceneError):
        check_samples(0)
    check_samples(5000, Limits(max_samples=8192))


# ---------------------------------------------------------------- warnings


def test_unused_shapes_and_materials():
    sc = scene("shape a = box(size=(1, 1, 1))\nshape b = union(a, a)\nshape c = a\n"
               "shape lonely = box(size=(1, 1, 1))\nshape used_by_lonely = a",
               "material m = principled()\nmaterial unused = principled()",
               "object o = b material m", BASE_L)
    assert errors(sc) == []
    assert warnings(sc) == [
        "shape 'c' is not used by any object",
        "shape 'lonely' is not used by any object",
        "shape 'used_by_lonely' is not used by any object",
        "material 'unused' is not used by any object",
    ]


def test_no_objects_warns_once_instead_of_every_unused_shape():
    sc = scene(BASE_G, "material m = principled()", "", BASE_L)
    assert warnings(sc) == [
        "the scene has no objects; shapes and materials only appear in the render when an "
        "object uses them"]


@pytest.mark.parametrize("lighting,materials,black", [
    ("world strength 0", "", True),
    ("world color #000000 strength 3", "", True),
    ("world strength 0\nlight l = point(at=(1, 1, 1))", "", False),
    ("world strength 0.2", "", False),
    ("", "", False),  # no world statement: the default world lights the scene
    ("world strength 0", "material glow = principled(emission_strength=5)", False),
])
def test_black_render_warning(lighting, materials, black):
    composition = BASE_C + (" material glow" if materials else "")
    sc = scene(BASE_G, materials, composition, lighting)
    expected = ["the scene has no lights and the world gives no light, so the render will be "
                "black; add a light or raise the world strength"] if black else []
    assert warnings(sc) == expected


# ---------------------------------------------------------------- all at once, check()


def test_reports_all_problems_at_once_in_source_order():
    sc = scene("shape a = box(size=(1, 1, 1))\nshape a = box(size=(1, 1, 1))\n"
               "shape b = union(a, x)", "material m = principled()",
               "object o = q material n\ncamera c at (0, 0, 0) look_at (0, 0, 0)",
               "light l = sun(direction=(0, 0, 0))")
    diags = [d for d in validate(sc) if d.severity == "error"]
    assert len(diags) == 6
    lines = [d.span.line for d in diags]
    assert lines == sorted(lines)
    with pytest.raises(SceneError) as info:
        check(sc)
    assert [d for d in info.value.diagnostics if d.severity == "error"] == diags
    text = info.value.format()
    assert "t.sl:4:1: error: shape 'a' is defined twice (first on line 3)" in text


def test_check_returns_warnings():
    sc = scene(BASE_G, "material m = principled()", BASE_C, BASE_L)
    [w] = check(sc)
    assert w.severity == "warning" and w.message == "material 'm' is not used by any object"
    assert (w.span.line, w.span.column) == (6, 1)


def test_ast_built_scene_without_spans():
    sc = A.Scene(
        geometry=A.Section(name="geometry", statements=(
            A.ShapeDef(name="a", shape=A.Ref(name="b")),)),
        composition=A.Section(name="composition", statements=(
            A.ObjectDef(name="o", shape="a", material="m"),)),
    )
    diags = validate(sc)
    assert [d.message for d in diags if d.severity == "error"] == [
        "shape 'a' refers to shape 'b', which is not defined",
        "object 'o' uses material 'm', which is not defined",
    ]
    assert all(d.span is None for d in diags)
    assert "<scene>: error:" in SceneError(diags).format()


def test_empty_scene():
    assert warnings(A.Scene()) == [
        "the scene has no objects; shapes and materials only appear in the render when an "
        "object uses them"]
    assert errors(A.Scene()) == []


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_generated_valid_scenes_have_no_errors(sc):
    assert errors(sc) == []
