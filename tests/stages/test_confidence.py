"""Confidence of a finished reconstruction: per object, overall, and the doubts it reports."""

import numpy as np
import pytest

from scenelang.backends.preview import render_preview
from scenelang.parser import parse_scene
from scenelang.stages.engine.confidence import DOUBTFUL_CAP, LOW_SCORE, Confidence, assess

SIZE = (160, 120)
SCENE = """scenelang 1
geometry {
  shape ground = plane(size=100)
  shape ball = sphere(radius=0.5)
  shape crate = box(size=(0.8, 0.8, 0.8))
}
materials {
  material red = principled(base_color=#c0392b)
}
composition {
  camera camera at (7.36, -6.93, 4.96) look_at (0, 0, 0) resolution (160, 120)
  object ground = ground
  object ball_1 = ball at (0, 0, 0.5) material red
  object crate_1 = crate at (1.5, 1, 0.4) material red
}
lighting {
  light sun = sun(direction=(-0.3, 0.4, -1), energy=3)
}
"""


def _image(text: str) -> np.ndarray:
    return render_preview(parse_scene(text), SIZE).color


def test_a_render_equal_to_the_target_is_fully_trusted():
    image = _image(SCENE)
    conf = assess(parse_scene(SCENE), image, image, {"combined": 0.97})
    assert conf.objects == {"ball_1": 1.0, "crate_1": 1.0}
    assert conf.overall == pytest.approx(0.97) and conf.doubts == ()


def test_an_object_that_does_not_match_loses_confidence_alone():
    target = _image(SCENE)
    render = target.copy()
    moved = SCENE.replace("object crate_1 = crate at (1.5, 1, 0.4)", "object crate_1 = crate at (-2, -1, 0.4)")
    render = _image(moved)  # the crate is elsewhere in the render than in the target
    conf = assess(parse_scene(SCENE), target, render, {"combined": 0.9})
    assert conf.objects["ball_1"] > 0.9 > conf.objects["crate_1"]
    assert conf.overall == pytest.approx(min(0.9, np.mean(list(conf.objects.values()))))


def test_a_giant_slab_and_a_low_score_are_doubts():
    slab = SCENE.replace("shape crate = box(size=(0.8, 0.8, 0.8))",
                         "shape crate = box(size=(8.559, 5.364, 1.082))")
    image = _image(slab)
    conf = assess(parse_scene(slab), image, image, {"combined": LOW_SCORE - 0.1},
                  hints=["camera estimate ambiguous: pitch 20-35 degrees fit equally well"])
    assert conf.objects["crate_1"] <= DOUBTFUL_CAP and conf.objects["ball_1"] == 1.0
    assert any(d.startswith("object crate_1 ") for d in conf.doubts)
    assert any(d.startswith("low score:") for d in conf.doubts)
    assert conf.doubts[-1].startswith("camera estimate ambiguous") and conf.doubtful


def test_round_trip_through_run_json():
    conf = Confidence(0.5, {"a": 0.25}, ("low score: x",))
    assert Confidence.from_dict(conf.to_dict()) == conf
