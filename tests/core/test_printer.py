"""The canonical printer: exact text for hand-built ASTs, comments, and round trips."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import RESERVED, examples, patch_cases, raw_values, scene_pairs, scenes

from scenelang import ast as A
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch
from scenelang.printer import (
    format_number,
    format_value,
    print_patch,
    print_scene,
    print_section,
    print_statement,
)
from scenelang.validate import validate

PROPERTY = settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hexc(h: str) -> A.HexColor:
    return A.HexColor(hex=h)


BRIEF_SCENE = A.Scene(
    geometry=A.Section(name="geometry", statements=(
        A.ShapeDef(name="table", shape=A.Box(size=(2, 1, 0.1))),
        A.ShapeDef(name="bowl", shape=A.Csg(kind="difference", operands=(
            A.Sphere(radius=0.5), A.Sphere(radius=0.45, at=(0, 0, 0.1))))),
        A.ShapeDef(name="ball", shape=A.Sphere(radius=0.3)),
    )),
    materials=A.Section(name="materials", statements=(
        A.MaterialDef(name="red", material=A.Principled(base_color=hexc("c0392b"), roughness=0.4)),
        A.MaterialDef(name="steel", material=A.Principled(
            base_color=A.RGB(r=0.8, g=0.8, b=0.82), metallic=1, roughness=0.2)),
    )),
    composition=A.Section(name="composition", statements=(
        A.Camera(name="main", at=(7.4, -6.9, 5.0), look_at=(0, 0, 0.5), lens=50),
        A.ObjectDef(name="table_1", shape="table", at=(0, 0, 0.75), material="red"),
        A.ObjectDef(name="ball_1", shape="ball", at=(0.3, 0.1, 1.1), rotate=(0, 0, 30),
                    scale=1.2, material="steel"),
    )),
    lighting=A.Section(name="lighting", statements=(
        A.World(color=hexc("101010"), strength=0.5),
        A.LightDef(name="key", light=A.Sun(direction=(-0.3, 0.4, -1), energy=4,
                                           color=hexc("fff5e0"))),
        A.LightDef(name="fill", light=A.Area(at=(2, -2, 3), size=2, energy=200)),
    )),
)

BRIEF_TEXT = """\
scenelang 1

geometry {
  shape table = box(size=(2, 1, 0.1))
  shape bowl = difference(sphere(radius=0.5), sphere(radius=0.45) at (0, 0, 0.1))
  shape ball = sphere(radius=0.3)
}

materials {
  material red = principled(base_color=#c0392b, roughness=0.4)
  material steel = principled(base_color=(0.8, 0.8, 0.82), metallic=1, roughness=0.2)
}

composition {
  camera main at (7.4, -6.9, 5) look_at (0, 0, 0.5) lens 50mm
  object table_1 = table at (0, 0, 0.75) material red
  object ball_1 = ball at (0.3, 0.1, 1.1) rotate (0, 0, 30deg) scale 1.2 material steel
}

lighting {
  world color #101010 strength 0.5
  light key = sun(direction=(-0.3, 0.4, -1), energy=4, color=#fff5e0)
  light fill = area(at=(2, -2, 3), energy=200, size=2)
}
"""


# ---------------------------------------------------------------- numbers and values


@pytest.mark.parametrize("value, text", [
    (1.0, "1"), (-0.0, "0"), (0.0, "0"), (0.5, "0.5"), (-2.25, "-2.25"), (1e-05, "1e-05"),
    (1e16, "1e+16"), (123456789.0, "123456789"), (0.1 + 0.2, "0.30000000000000004"), (3, "3"),
    (-7, "-7"),
])
def test_format_number_is_shortest_round_trip(value, text):
    assert format_number(value) == text
    assert float(text) == value


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, True])
def test_format_number_rejects_non_finite(bad):
    with pytest.raises(ValueError):
        format_number(bad)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_round_trips_any_float(x):
    assert float(format_number(x)) == x


def test_format_value_kinds():
    assert format_value(hexc("ff8800")) == "#ff8800"
    assert format_value(A.RGB(r=1, g=0.5, b=0)) == "(1, 0.5, 0)"
    assert format_value((0.0, 0.0, 30.0), "deg") == "(0, 0, 30deg)"
    assert format_value(50.0, "mm") == "50mm"
    assert format_value("disk") == "disk"
    assert format_value(A.Number(value=0.5, unit="rad")) == "0.5rad"
    assert format_value(A.Number(value=0, unit="deg")) == "0deg"  # raw values print as written
    assert format_value(A.Vector(items=(A.Number(value=1), A.Number(value=2, unit="mm")))) \
        == "(1, 2mm)"
    assert format_value(A.Ident(name="steel")) == "steel"


# ---------------------------------------------------------------- exact text


def test_brief_scene_exact_text():
    assert print_scene(BRIEF_SCENE) == BRIEF_TEXT


def test_empty_scene_prints_all_four_sections():
    assert print_scene(A.Scene()) == (
        "scenelang 1\n\ngeometry {\n}\n\nmaterials {\n}\n\ncomposition {\n}\n\nlighting {\n}\n"
    )


def test_defaults_are_omitted_and_required_params_kept():
    assert print_statement(A.ShapeDef(name="s", shape=A.Sphere(radius=1, segments=32))) \
        == "shape s = sphere(radius=1)"
    assert print_statement(A.MaterialDef(name="m", material=A.Principled())) \
        == "material m = principled()"
    assert print_statement(A.World()) == "world"
    assert print_statement(A.LightDef(name="s", light=A.Sun())) == "light s = sun()"
    assert print_statement(A.ObjectDef(name="o", shape="s")) == "object o = s"
    assert print_statement(A.Camera(name="c", at=(1, 2, 3))) == "camera c at (1, 2, 3)"


def test_every_material_parameter_in_model_order():
    m = A.Principled(base_color=hexc("112233"), metallic=0.5, roughness=0.1, ior=1.45,
                     specular=0.6, transmission=1, emission_color=A.RGB(r=1, g=0.9, b=0.8),
                     emission_strength=5, alpha=0.9)
    assert print_statement(A.MaterialDef(name="glass", material=m)) == (
        "material glass = principled(base_color=#112233, metallic=0.5, roughness=0.1, ior=1.45, "
        "specular=0.6, transmission=1, emission_color=(1, 0.9, 0.8), emission_strength=5, "
        "alpha=0.9)")


def test_camera_clause_order_and_units():
    cam = A.Camera(name="c", at=(1, 2, 3), rotate=(60, 0, 45.5), fov=40, sensor=24,
                   resolution=(320, 240))
    assert print_statement(cam) == \
        "camera c at (1, 2, 3) rotate (60deg, 0, 45.5deg) fov 40deg sensor 24mm resolution (320, 240)"
    cam = A.Camera(name="c", at=(1, 2, 3), look_at=(0, 0, 1), lens=35)
    assert print_statement(cam) == "camera c at (1, 2, 3) look_at (0, 0, 1) lens 35mm"


def test_lights_with_angles_enums_and_optional_aim():
    spot = A.Spot(at=(0, 0, 3), look_at=(0, 0, 0), spot_size=30, blend=0.3, radius=0)
    assert print_statement(A.LightDef(name="s", light=spot)) == \
        "light s = spot(at=(0, 0, 3), look_at=(0, 0, 0), radius=0, spot_size=30deg, blend=0.3)"
    area = A.Area(at=(1, 1, 2), direction=(0, 0, -1), size=2, size_y=0.5, shape="rectangle")
    assert print_statement(A.LightDef(name="a", light=area)) == \
        "light a = area(at=(1, 1, 2), direction=(0, 0, -1), size=2, size_y=0.5, shape=rectangle)"
    sun = A.Sun(angle=2)
    assert print_statement(A.LightDef(name="k", light=sun)) == "light k = sun(angle=2deg)"


def test_shape_transforms_and_nested_csg():
    inner = A.Csg(kind="union", operands=(A.Ref(name="a", scale=(1, 2, 1)), A.Torus(
        major_radius=1, minor_radius=0.2, rotate=(90, 0, 0))), at=(0, 0, 1))
    shape = A.Csg(kind="intersection", operands=(inner, A.Cone(radius=1, depth=2, top_radius=0.5)),
                  rotate=(0, 0, 0), scale=2)
    assert print_statement(A.ShapeDef(name="x", shape=shape)) == (
        "shape x = intersection(union(a scale (1, 2, 1), torus(major_radius=1, minor_radius=0.2) "
        "rotate (90deg, 0, 0)) at (0, 0, 1), cone(radius=1, depth=2, top_radius=0.5)) "
        "rotate (0, 0, 0) scale 2")


# ---------------------------------------------------------------- comments


COMMENTED = A.Scene(
    comments=("# a commented scene", "#"),
    geometry=A.Section(name="geometry", statements=(
        A.ShapeDef(name="ball", shape=A.Sphere(radius=1), comments=("# the ball", "# (big)"),
                   trailing_comment="# round"),
    ), end_comments=("# more shapes later",)),
    materials=A.Section(name="materials", comments=("# colours #ff0000 here are text",)),
    composition=A.Section(name="composition", statements=(
        A.ObjectDef(name="b", shape="ball", trailing_comment="#tight"),
    )),
    end_comments=("# the end",),
)

COMMENTED_TEXT = """\
# a commented scene
#
scenelang 1

geometry {
  # the ball
  # (big)
  shape ball = sphere(radius=1)  # round
  # more shapes later
}

# colours #ff0000 here are text
materials {
}

composition {
  object b = ball  #tight
}

lighting {
}

# the end
"""


def test_comment_placement_exact_text():
    assert print_scene(COMMENTED) == COMMENTED_TEXT


def test_comments_round_trip_through_the_parser():
    assert parse_scene(COMMENTED_TEXT) == COMMENTED
    assert print_scene(parse_scene(COMMENTED_TEXT)) == COMMENTED_TEXT


def test_print_statement_and_section_with_comments():
    st_ = COMMENTED.geometry.statements[0]
    assert print_statement(st_, indent="  ") == \
        "  # the ball\n  # (big)\n  shape ball = sphere(radius=1)  # round"
    assert print_section(COMMENTED.materials) == "# colours #ff0000 here are text\nmaterials {\n}\n"


@pytest.mark.parametrize("bad", ["no hash", "# two\nlines", "# cr\r"])
def test_malformed_comments_are_refused(bad):
    with pytest.raises(ValueError):
        print_statement(A.World(comments=(bad,)))


# ---------------------------------------------------------------- normalisation


def test_non_canonical_input_is_normalised():
    text = """scenelang 1
lighting {   world strength 1.0 color #FFAA00
  light s = spot(at=(0,0,3.0), spot_size=0.5rad, blend=0.15)
}
geometry { shape s = sphere(radius=1.0, segments=32, rings=8) rotate (0deg, -0.0, 90) }
"""
    assert print_scene(parse_scene(text)) == """\
scenelang 1

geometry {
  shape s = sphere(radius=1, rings=8) rotate (0, 0, 90deg)
}

materials {
}

composition {
}

lighting {
  world color #ffaa00
  light s = spot(at=(0, 0, 3), spot_size=28.64788975654116deg)
}
"""


# ---------------------------------------------------------------- patches


def test_patch_exact_text():
    patch = A.Patch(section="materials", ops=(
        A.SetOp(target="red", param="roughness", value=A.Number(value=0.3)),
        A.PutOp(statement=A.MaterialDef(
            name="gold", material=A.Principled(base_color=hexc("d4af37"), metallic=1,
                                               roughness=0.3), trailing_comment="# add")),
        A.RemoveOp(name="steel"),
    ))
    text = """\
patch materials {
  set red.roughness = 0.3
  material gold = principled(base_color=#d4af37, metallic=1, roughness=0.3)  # add
  remove steel
}
"""
    assert print_patch(patch) == text
    assert parse_patch(text).patches == (patch,)


def test_replace_and_multi_patch_files():
    replace = A.Patch(section="lighting", replace=True, ops=(A.PutOp(statement=A.World()),))
    empty = A.Patch(section="geometry")
    text = "replace lighting {\n  world\n}\n\npatch geometry {\n}\n"
    assert print_patch(A.PatchFile(patches=(replace, empty))) == text
    assert print_patch([replace, empty]) == text
    assert parse_patch(text) == A.PatchFile(patches=(replace, empty))


def test_set_world_and_vector_values():
    patch = A.Patch(section="lighting", ops=(
        A.SetOp(target="world", param="color", value=A.Vector(items=(
            A.Number(value=0.1), A.Number(value=0.2), A.Number(value=0.3)))),
        A.SetOp(target="key", param="angle", value=A.Number(value=0.1, unit="rad")),
    ))
    assert print_patch(patch) == ("patch lighting {\n  set world.color = (0.1, 0.2, 0.3)\n"
                                  "  set key.angle = 0.1rad\n}\n")
    assert parse_patch(print_patch(patch)).patches == (patch,)


# ---------------------------------------------------------------- properties


@PROPERTY
@given(scenes())
def test_round_trip(scene):
    text = print_scene(scene)
    assert parse_scene(text) == scene


@PROPERTY
@given(scenes())
def test_idempotent(scene):
    text = print_scene(scene)
    assert print_scene(parse_scene(text)) == text


@PROPERTY
@given(scenes(comments=False))
def test_sections_print_as_in_the_scene(scene):
    text = print_scene(scene)
    for section in scene.sections():
        assert print_section(section) in text
        for statement in section.statements:
            assert "\n" + print_statement(statement, indent="  ") + "\n" in text


@PROPERTY
@given(st.data())
def test_patch_round_trip(data):
    scene = data.draw(scenes())
    patch, _ = data.draw(patch_cases(scene))
    text = print_patch(patch)
    assert parse_patch(text).patches == (patch,)
    assert print_patch(parse_patch(text)) == text


@PROPERTY
@given(st.lists(raw_values, min_size=1, max_size=4))
def test_set_values_round_trip(values):
    ops = tuple(A.SetOp(target="x", param="p", value=v) for v in values)
    patch = A.Patch(section="materials", ops=ops)
    assert parse_patch(print_patch(patch)).patches == (patch,)


@PROPERTY
@given(scenes(comments=False, name_strategy=st.sampled_from(
    sorted(RESERVED - {"world", "instance"}) + ["world_", "Geometry", "x"])))
def test_keywords_used_as_names_round_trip(scene):
    # keywords are contextual, so any valid name prints to text that parses back (but a shape
    # named `instance` cannot be placed: `object o = instance ...` is an instance, docs/language.md)
    assert parse_scene(print_scene(scene)) == scene


# ---------------------------------------------------------------- the strategies keep their word


@PROPERTY
@given(st.data())
def test_strategies_build_valid_scenes_patches_and_pairs(data):
    scene = data.draw(scenes())
    assert [d for d in validate(scene) if d.severity == "error"] == []
    patch, expected = data.draw(patch_cases(scene))
    assert apply_patch(scene, patch) == expected
    a, b = data.draw(scene_pairs())
    for s in (a, b):
        assert [d for d in validate(s) if d.severity == "error"] == []
    assert (a.comments, a.end_comments) == (b.comments, b.end_comments)
    for sa, sb in zip(a.sections(), b.sections()):
        assert (sa.comments, sa.end_comments) == (sb.comments, sb.end_comments)
