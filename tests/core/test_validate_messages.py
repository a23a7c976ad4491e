"""Validator messages word for word where mutation testing found parts no test read (issue 15;
docs/testing.md, "Mutation testing"): the line of an earlier statement with the same name, the
suggestions for an unknown name (at most three close ones, else up to 12 defined names), the
hint for a camera with both lens and fov, and the sample-count bounds."""

from __future__ import annotations

import pytest

from scenelang.errors import SceneError
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch, respan
from scenelang.validate import DEFAULT_LIMITS, ONE_OF_HINT, Limits, check_samples, findings, validate


def errors(text: str, strip_positions: bool = False) -> list[tuple[str, str | None, str | None]]:
    scene = parse_scene(text, file="s.sl")
    if strip_positions:
        scene = respan(scene, None)
    return [(d.message, d.span.label() if d.span else None, d.hint)
            for d in validate(scene) if d.severity == "error"]


SAME_NAME = """scenelang 1
geometry {
  shape ball = sphere(radius=1)
}
composition {
  camera a at (1, 1, 1) look_at (0, 0, 0)
  object a = ball
}
"""


def test_a_name_already_used_gives_the_line_of_the_first_use():
    assert errors(SAME_NAME) == [
        ("object 'a': the name 'a' is already used by camera 'a' (line 6)", "s.sl:7:3", None)]


def test_without_positions_the_first_use_is_named_without_a_line():
    assert errors(SAME_NAME, strip_positions=True) == [
        ("object 'a': the name 'a' is already used by camera 'a'", None, None)]


def unknown_shape(defined: list[str], used: str) -> str:
    shapes = "\n".join(f"  shape {n} = sphere(radius=1)" for n in defined)
    [(message, _, _)] = errors(f"scenelang 1\ngeometry {{\n{shapes}\n}}\n"
                               f"composition {{\n  object o = {used}\n}}\n")
    return message


def test_at_most_three_close_names_are_suggested():
    assert unknown_shape(["ball1", "ball2", "ball3", "ball4"], "ball") == (
        "object 'o' uses shape 'ball', which is not defined; "
        "did you mean 'ball4' or 'ball3' or 'ball2'?")


def test_without_a_close_name_up_to_12_defined_names_are_listed():
    names = [f"s{c}{c}q" for c in "abcdefghijkl"]
    assert unknown_shape(names, "zzzzzz") == (
        "object 'o' uses shape 'zzzzzz', which is not defined; defined: " + ", ".join(names))


def test_more_than_12_defined_names_are_not_listed():
    names = [f"s{c}{c}q" for c in "abcdefghijklm"]
    assert unknown_shape(names, "zzzzzz") == "object 'o' uses shape 'zzzzzz', which is not defined"


CAMERA = """scenelang 1
composition {
  camera cam at (1, 1, 1) look_at (0, 0, 0) lens 50
}
"""


def test_lens_and_fov_together_get_the_one_of_hint():
    assert errors(CAMERA.replace("lens 50", "lens 50 fov 40deg")) == [
        ("camera 'cam' has both lens and fov; give only one", "s.sl:3:3", ONE_OF_HINT)]


def test_setting_fov_on_a_camera_with_a_lens_is_reported_at_the_set():
    scene = parse_scene(CAMERA, file="s.sl")
    with pytest.raises(SceneError) as info:
        apply_patch(scene, parse_patch("patch composition {\n  set cam.fov = 40deg\n}", file="p.slp"))
    [d] = info.value.diagnostics
    assert (d.message, d.span.label(), d.hint) == (
        "camera 'cam' has both lens and fov; give only one", "p.slp:2:3", ONE_OF_HINT)


@pytest.mark.parametrize("limits", [None, Limits(max_samples=8)])
def test_samples_from_1_to_the_limit_are_accepted(limits):
    limit = (limits or DEFAULT_LIMITS).max_samples
    check_samples(1, limits)
    check_samples(limit, limits)
    for bad in (0, limit + 1):
        with pytest.raises(SceneError):
            check_samples(bad, limits)


# ---------------------------------------------------------------- positions: the node, and the op that caused it


LIGHTS = """scenelang 1
geometry {
  shape ball = sphere(radius=1)
}
composition {
  object o = ball
}
lighting {
  light l = spot(at=(0, 0, 3), direction=(0, 0, -1))
  light a = area(at=(0, 0, 3), shape=square)
}
"""
ONE_BALL = "scenelang 1\ngeometry {\n  shape ball = sphere(radius=1)\n}\ncomposition {\n  object o = ball\n}\n"
THREE_BOXES = "union(box(size=(1, 1, 1)), box(size=(1, 1, 1)), box(size=(1, 1, 1)))"


def patched(scene_text: str, patch: str, limits: Limits | None = None):
    with pytest.raises(SceneError) as info:
        apply_patch(parse_scene(scene_text, file="s.sl"), parse_patch(patch, file="p.slp"),
                    limits=limits)
    return [(d.message, d.span.label(), d.hint) for d in info.value.diagnostics]


def test_a_zero_light_direction_points_at_the_light_call():
    assert errors(LIGHTS.replace("direction=(0, 0, -1)", "direction=(0, 0, 0)")) == [(
        "light 'l' has a zero direction vector; give a direction such as (0, 0, -1)",
        "s.sl:9:13", None)]


@pytest.mark.parametrize("patch, expected", [
    ("patch lighting {\n  set l.direction = (0, 0, 0)\n}",
     ("light 'l' has a zero direction vector; give a direction such as (0, 0, -1)", "p.slp:2:3", None)),
    ("patch lighting {\n  set l.look_at = (0, 0, 0)\n}",
     ("light 'l' has both direction and look_at; give only one", "p.slp:2:3", ONE_OF_HINT)),
    ("patch lighting {\n  light l = spot(at=(0, 0, 3), look_at=(0, 0, 3))\n}",
     ("light 'l' is aimed at its own position (look_at equals at)", "p.slp:2:13", None)),
    ("patch lighting {\n  set a.size_y = 2\n}",
     ("light 'a': size_y is only used with shape rectangle or ellipse, but the shape is square; "
      "remove size_y or change the shape", "p.slp:2:3", None)),
])
def test_a_light_problem_a_patch_makes_is_reported_at_the_patch_op(patch, expected):
    assert patched(LIGHTS, patch) == [expected]


@pytest.mark.parametrize("patch, limits, expected", [
    (f"patch geometry {{\n  shape ball = {THREE_BOXES}\n}}", Limits(max_csg_operands=2),
     ("shape 'ball': union has 3 operands; the limit is 2", "p.slp:2:16", None)),
    ("patch geometry {\n  set ball.segments = 32\n}", Limits(max_segments=16),
     ("shape 'ball': sphere segments=32 exceeds the limit of 16", "p.slp:2:3", None)),
    (f"patch geometry {{\n  shape ball = {THREE_BOXES}\n}}", Limits(max_primitives=2),
     ("shape 'ball' expands to 3 primitives (counting referenced shapes); the limit is 2",
      "p.slp:2:3", None)),
])
def test_a_shape_limit_a_patch_crosses_is_reported_at_the_patch_op(patch, limits, expected):
    assert patched(ONE_BALL, patch, limits) == [expected]


def test_exactly_max_primitives_primitives_are_allowed():
    scene = apply_patch(parse_scene(ONE_BALL), parse_patch(
        "patch geometry {\n  shape ball = union(box(size=(1, 1, 1)), box(size=(1, 1, 1)))\n}"),
        limits=Limits(max_primitives=2))
    assert scene.section("geometry").get("ball") is not None


@pytest.mark.parametrize("limits", [Limits(max_csg_depth=1), Limits(max_primitives=1)])
def test_an_undefined_reference_adds_no_depth_and_no_primitives(limits):
    text = ("scenelang 1\ngeometry {\n  shape s = union(missing, box(size=(1, 1, 1)))\n}\n"
            "composition {\n  object o = s\n}\n")
    scene = parse_scene(text, file="s.sl")
    assert [d.message for d in validate(scene, limits) if d.severity == "error"] == [
        "shape 's' refers to shape 'missing', which is not defined"]


# ---------------------------------------------------------------- triangle estimates


@pytest.mark.parametrize("shape, triangles", [
    ("box(size=(1, 1, 1))", 12),                                 # no mesh-detail field
    ("cylinder(radius=1, depth=1, vertices=8)", 32),             # one: 4n
    ("sphere(radius=1, segments=8, rings=4)", 64),               # two: 2ab
    ("torus(major_radius=1, minor_radius=0.2, major_segments=6, minor_segments=5)", 60),
    ("union(box(size=(1, 1, 1)), cylinder(radius=1, depth=1, vertices=8))", 44),
])
def test_the_triangle_budget_counts_each_primitive_by_its_mesh_detail(shape, triangles):
    text = f"scenelang 1\ngeometry {{\n  shape s = {shape}\n}}\ncomposition {{\n  object o = s\n}}\n"
    scene = parse_scene(text, file="s.sl")
    assert [d.message for d in validate(scene, Limits(max_triangles=1)) if d.severity == "error"] == [
        f"the scene's meshes have about {triangles} triangles (objects from 'o' on exceed the "
        f"budget); the limit is 1: lower segments/rings/vertices or use fewer objects"]
    assert not [d for d in validate(scene, Limits(max_triangles=triangles)) if d.severity == "error"]


# ---------------------------------------------------------------- unused definitions


UNUSED = """scenelang 1
geometry {
  shape ball = sphere(radius=1)
  shape spare = box(size=(1, 1, 1))
}
materials {
  material m = principled()
}
composition {
  object o = ball
}
"""


def test_unused_shapes_and_materials_are_warnings_at_their_statements():
    warnings = [(d.message, d.span.label() if d.span else None)
                for d in validate(parse_scene(UNUSED, file="s.sl")) if d.severity == "warning"]
    assert warnings == [("shape 'spare' is not used by any object", "s.sl:4:3"),
                        ("material 'm' is not used by any object", "s.sl:7:3")]


def test_unused_findings_name_their_section_and_statement():
    about = [(f.section, f.statement) for f in findings(parse_scene(UNUSED))
             if f.diagnostic.severity == "warning"]
    assert about == [("geometry", "spare"), ("materials", "m")]


# ---------------------------------------------------------------- whole-scene totals and counts


BOX = "box(size=(1, 1, 1))"
TOTALS = f"""scenelang 1
geometry {{
  shape small = {BOX}
  shape pair = union(small, {BOX})
  shape deep = union(union({BOX}, {BOX}), {BOX})
}}
composition {{
  object d = deep
  object a = small
  object b = pair
  object e = missing
  object c = small
}}
"""
# objects in order: d (too deep: left out of the totals), a (1 primitive, 12 triangles), b (2, 24,
# through the reference), e (undefined shape: counts nothing), c (1, 12)

DEEP = ("shape 'deep' nests CSG operations 2 deep (counting through referenced shapes); "
        "the limit is 1", "s.sl:5:3", None)
MISSING = ("object 'e' uses shape 'missing', which is not defined; defined: small, pair, deep",
           "s.sl:11:3", None)


def errors_with(limits: Limits, text: str = TOTALS):
    return [(d.message, d.span.label() if d.span else None, d.hint)
            for d in validate(parse_scene(text, file="s.sl"), limits) if d.severity == "error"]


def test_primitive_and_triangle_totals_are_reported_at_the_object_that_crosses_them():
    assert errors_with(Limits(max_primitives=3, max_triangles=36, max_csg_depth=1)) == [
        DEEP, MISSING,
        ("the objects up to 'c' build 4 primitives (counting CSG operands); the limit is 3",
         "s.sl:12:3", None),
        ("the scene's meshes have about 48 triangles (objects from 'c' on exceed the budget); "
         "the limit is 36: lower segments/rings/vertices or use fewer objects", "s.sl:12:3", None)]


def test_totals_equal_to_the_limits_are_allowed():
    assert errors_with(Limits(max_primitives=4, max_triangles=48, max_csg_depth=1)) == [DEEP, MISSING]


def test_findings_say_which_section_and_statement_each_error_is_about():
    about = [(f.section, f.statement, f.missing) for f in findings(
        parse_scene(TOTALS, file="s.sl"), Limits(max_primitives=3, max_triangles=36, max_csg_depth=1))]
    assert about == [("geometry", "deep", None), ("composition", "e", ("shape", "missing")),
                     ("composition", "c", None), ("composition", "c", None)]


@pytest.mark.parametrize("limits, expected", [
    (Limits(max_statements=3), [("too many statements: the limit is 3", "s.sl:8:3", None), MISSING]),
    (Limits(max_shapes=2, max_objects=4), [("too many shapes: the limit is 2", "s.sl:5:3", None),
                                           MISSING, ("too many objects: the limit is 4", "s.sl:12:3", None)]),
])
def test_statement_counts_are_reported_at_the_first_statement_over_the_limit(limits, expected):
    assert errors_with(limits) == expected


def test_long_names_are_cut_to_20_characters_and_name_what_they_are():
    long = "a" * 30
    text = (f"scenelang 1\ngeometry {{\n  shape s = union({long}, {BOX})\n}}\n"
            f"materials {{\n  material {long} = principled()\n}}\n"
            f"composition {{\n  object o = {long} material {long}\n}}\n")
    cut = "a" * 20 + "..."
    assert errors_with(Limits(max_name_length=8), text) == [
        (f"shape reference '{cut}' is too long (30 characters; the limit is 8)", "s.sl:3:19", None),
        (f"shape 's' refers to shape '{long}', which is not defined", "s.sl:3:19", None),
        (f"material name '{cut}' is too long (30 characters; the limit is 8)", "s.sl:6:3", None),
        (f"object shape name '{cut}' is too long (30 characters; the limit is 8)", "s.sl:9:3", None),
        (f"object material name '{cut}' is too long (30 characters; the limit is 8)", "s.sl:9:3", None),
        (f"object 'o' uses shape '{long}', which is not defined; defined: s", "s.sl:9:3", None)]


def test_a_name_exactly_at_the_limit_is_accepted():
    text = "scenelang 1\ngeometry {\n  shape s = union(abcdefgh, box(size=(1, 1, 1)))\n  shape abcdefgh = box(size=(1, 1, 1))\n}\n"
    assert not [m for m, _, _ in errors_with(Limits(max_name_length=8), text) if "too long" in m]


@pytest.mark.parametrize("text, expected", [
    ("scenelang 1\nlighting {\n  world\n  world\n}\n", "more than one world statement"),
    ("scenelang 1\ngeometry {\n  shape s = sphere(radius=1)\n  shape s = sphere(radius=2)\n}\n",
     "shape 's' is defined twice"),
])
def test_duplicates_without_positions_are_named_without_a_line(text, expected):
    assert errors(text, strip_positions=True) == [(expected, None, None)]


def test_a_light_named_world_is_reported_at_the_light():
    text = "scenelang 1\nlighting {\n  light world = sun()\n}\n"
    assert errors(text) == [("the name 'world' is reserved for the world statement; choose another "
                             "name for this light", "s.sl:3:3", None)]
    [finding] = [f for f in findings(parse_scene(text)) if f.diagnostic.severity == "error"]
    assert (finding.section, finding.statement) == ("lighting", "world")


# ---------------------------------------------------------------- warnings about the whole scene


DARK = """scenelang 1
geometry {
  shape s = sphere(radius=1)
}
materials {
  material m = principled(emission_color=#ffffff, emission_strength=STRENGTH)
}
composition {
  object o = s material m
}
lighting {
  world color #000000
}
"""
BLACK = ("the scene has no lights and the world gives no light, so the render will be black; add a "
         "light or raise the world strength")


@pytest.mark.parametrize("strength, black", [("0", True), ("0.5", False), ("2", False)])
def test_only_a_glowing_material_lights_a_scene_without_lights(strength, black):
    scene = parse_scene(DARK.replace("STRENGTH", strength), file="s.sl")
    warnings = [(d.message, d.span.label()) for d in validate(scene) if d.severity == "warning"]
    assert warnings == ([(BLACK, "s.sl:12:3")] if black else [])
    if black:
        [finding] = [f for f in findings(scene) if f.diagnostic.severity == "warning"]
        assert finding.section == "lighting"


def test_an_empty_composition_is_a_warning_at_the_section():
    scene = parse_scene("scenelang 1\ngeometry {\n  shape s = sphere(radius=1)\n}\ncomposition {\n}\n",
                        file="s.sl")
    assert [(d.message, d.span.label()) for d in validate(scene)] == [
        ("the scene has no objects; shapes and materials only appear in the render when an object "
         "uses them", "s.sl:5:1")]
