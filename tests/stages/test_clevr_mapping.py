"""Mapping a reconstructed scene to CLEVR attributes."""

from __future__ import annotations

import math

import pytest

from scenelang.parser import parse_scene
from scenelang.stages.bench.clevr_mapping import nearest_colour, scene_to_clevr, size_name

PROPERTIES = {
    "shapes": {"cube": "SmoothCube_v2", "sphere": "Sphere", "cylinder": "SmoothCylinder"},
    "colors": {"gray": [87, 87, 87], "red": [173, 35, 35], "blue": [42, 75, 215],
               "green": [29, 105, 20], "brown": [129, 74, 25], "purple": [129, 38, 192],
               "cyan": [41, 208, 208], "yellow": [255, 238, 51]},
    "materials": {"rubber": "Rubber", "metal": "MyMetal"},
    "sizes": {"large": 0.7, "small": 0.35},
}

SCENE = """scenelang 1

geometry {
  shape ground = plane(size=1000)
  shape backdrop = box(size=(30, 50, 0.5))
  shape big_cube = box(size=(0.99, 0.99, 0.99))
  shape ball = sphere(radius=0.35)
  shape can = cylinder(radius=0.7, depth=1.4)
  shape cone_thing = cone(radius=0.35, depth=0.7)
  shape holed = difference(box(size=(0.5, 0.5, 0.5)), cylinder(radius=0.1, depth=0.6))
  shape rounded = intersection(box(size=(1, 1, 1)), sphere(radius=0.8))
  shape ref_ball = ball
}

materials {
  material floor = principled(base_color=(0.5, 0.5, 0.5))
  material red_metal = principled(base_color=(0.678, 0.137, 0.137), metallic=1, roughness=0.2)
  material blue_rubber = principled(base_color=(0.165, 0.294, 0.843), roughness=0.8)
  material cyan_half = principled(base_color=(0.16, 0.816, 0.816), metallic=0.4)
}

composition {
  object ground = ground material floor
  object backdrop = backdrop at (0, 0, -0.25) material floor
  object cube_1 = big_cube at (1, 2, 0.495) rotate (0, 0, 30deg) material red_metal
  object ball_1 = ball at (-1, 0, 0.35) material blue_rubber
  object can_1 = can at (0, -2, 0.7) material cyan_half
  object cone_1 = cone_thing at (2, -1, 0.35) material blue_rubber
  object holed_1 = holed at (-2, 2, 0.25) material red_metal
  object rounded_1 = rounded at (3, 0, 0.5) material blue_rubber
  object ref_1 = ref_ball at (0, 0, 0.7) scale 2 material red_metal
}
"""


def test_ground_and_backdrop_are_ignored():
    preds = scene_to_clevr(parse_scene(SCENE), PROPERTIES)
    assert len(preds) == 7
    assert all(p.position[2] > 0 for p in preds)


def test_primitives_map_to_clevr_attributes():
    by = {p.position: p for p in scene_to_clevr(parse_scene(SCENE), PROPERTIES)}
    cube = next(p for pos, p in by.items() if pos[:2] == pytest.approx((1, 2), abs=1e-6))
    assert (cube.shape, cube.size, cube.material, cube.color) == ("cube", "large", "metal", "red")
    assert cube.position == pytest.approx((1, 2, 0.495), abs=1e-6)
    assert cube.confidence == 1.0
    ball = next(p for pos, p in by.items() if pos[:2] == pytest.approx((-1, 0), abs=1e-6))
    assert (ball.shape, ball.size, ball.material, ball.color) == ("sphere", "small", "rubber", "blue")
    can = next(p for pos, p in by.items() if pos[:2] == pytest.approx((0, -2), abs=1e-6))
    assert (can.shape, can.size, can.material, can.color) == ("cylinder", "large", "rubber", "cyan")
    ref = next(p for pos, p in by.items() if pos[:2] == pytest.approx((0, 0), abs=1e-6))
    assert (ref.shape, ref.size) == ("sphere", "large")  # a reference to a sphere, scaled 2x


def test_other_shapes_go_to_the_closest_by_fill_ratio():
    by = {p.position[:2]: p for p in scene_to_clevr(parse_scene(SCENE), PROPERTIES)}
    cone = next(p for pos, p in by.items() if pos == pytest.approx((2, -1), abs=1e-6))
    assert cone.shape == "sphere"  # fill pi/12 is nearest the sphere's pi/6
    holed = next(p for pos, p in by.items() if pos == pytest.approx((-2, 2), abs=1e-6))
    assert (holed.shape, holed.size) == ("cube", "small")  # a difference: its first operand
    rounded = next(p for pos, p in by.items() if pos == pytest.approx((3, 0), abs=1e-6))
    assert rounded.shape == "cube"  # corners rounded off: fill ratio still nearest the cube


def test_confidences_are_passed_through():
    preds = scene_to_clevr(parse_scene(SCENE), PROPERTIES, confidences={"ball_1": 0.25})
    assert sorted(p.confidence for p in preds)[0] == 0.25


def test_colour_space():
    # the palette's rgb/255 is the LINEAR albedo CLEVR renders: a perfect linear estimate maps back
    for name, rgb in PROPERTIES["colors"].items():
        assert nearest_colour(tuple(c / 255 for c in rgb), PROPERTIES["colors"]) == name
    # read as sRGB instead, the same linear red would be too light for "red"... but still red
    assert nearest_colour((0.678, 0.137, 0.137), PROPERTIES["colors"], palette="srgb") == "red"
    with pytest.raises(ValueError):
        nearest_colour((0, 0, 0), PROPERTIES["colors"], palette="lab")


def test_size_names():
    sizes = PROPERTIES["sizes"]
    assert size_name(0.7, "sphere", sizes) == "large"
    assert size_name(0.35, "cylinder", sizes) == "small"
    assert size_name(0.7 / math.sqrt(2), "cube", sizes) == "large"
    assert size_name(0.35 / math.sqrt(2), "cube", sizes) == "small"
    assert size_name(0.7, "cube", sizes, cube_sqrt2=False) == "large"
    assert size_name(0.48, "sphere", sizes) == "small"  # log-midpoint of 0.35 and 0.7 is 0.495
    assert size_name(0.51, "sphere", sizes) == "large"
