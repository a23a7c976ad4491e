"""Metal or matte checked by render-and-compare (`offline/metal_check.py`), on real Cycles renders.

The target: a matte box and a metal sphere (known materials) under a sun, 128x96 px, rendered
once per module. The scene is then given the wrong material for each object in turn, as the
draft's region statistics sometimes do: `flipped` must propose the right material back, and the
engine's own loop render (`LoopRenderer`, Cycles) must score it higher than the wrong scene,
while flipping an already right object must score lower. That is the premise the materials
stage relies on when it tests one flip per round.
"""

from __future__ import annotations

import pytest

from scenelang.parser import parse_scene
from scenelang.stages.engine.render import LoopRenderer
from scenelang.stages.metrics import load_image
from scenelang.stages.proposers.offline.draft import analyse
from scenelang.stages.proposers.offline.metal_check import flip_order, flipped
from scenelang.stages.proposers.offline.refine import match_regions
from scenelang.stages.proposers.offline.scene_model import build_scene, model_from_scene

SIZE = (128, 96)
TRUTH = {"material_1": (0, 0.8), "material_2": (1, 0.25)}  # box matte, sphere metal


def scene(metal_box: float, metal_sphere: float) -> str:
    rough = {0: 0.8, 1: 0.25}
    return f"""scenelang 1
geometry {{
  shape ground = plane(size=1000)
  shape shape_1 = box(size=(1.4, 1.4, 1.4))
  shape shape_2 = sphere(radius=0.8)
}}
materials {{
  material ground = principled(base_color=(0.5, 0.5, 0.5), roughness=0.8)
  material material_1 = principled(base_color=(0.6, 0.1, 0.05), metallic={metal_box:g}, roughness={rough[metal_box]:g})
  material material_2 = principled(base_color=(0.8, 0.8, 0.85), metallic={metal_sphere:g}, roughness={rough[metal_sphere]:g})
}}
composition {{
  camera camera at (7.3, -6.9, 5.1) look_at (0, 0, 0) lens 45mm resolution (128, 96)
  object ground = ground material ground
  object object_1 = shape_1 at (-0.9, -0.4, 0.7) rotate (0, 0, 30deg) material material_1
  object object_2 = shape_2 at (1.1, 0.9, 0.8) material material_2
}}
lighting {{
  world color (0.3, 0.35, 0.45)
  light sun = sun(direction=(0.6, 0.3, -0.75), energy=3)
}}
"""


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    from scenelang.backends.blender.runner import BlenderWorker
    from scenelang.compiler.settings import RenderSettings

    folder = tmp_path_factory.mktemp("metal_check")
    target = folder / "target.png"
    with BlenderWorker() as worker:
        worker.render(parse_scene(scene(0, 1)), target, settings=RenderSettings(samples=32, size=SIZE))
    with LoopRenderer(target, folder / "work", long_side=SIZE[0], samples=16) as renderer:
        yield renderer, analyse(load_image(target, size=SIZE))


def _model(text, analysis):
    model = model_from_scene(parse_scene(text))
    model.region_of = match_regions(model, analysis)
    return model


def _score(renderer, model) -> float:
    return renderer.render_and_score(build_scene(model))[1]["combined"]


@pytest.mark.blender
@pytest.mark.parametrize("wrong, index", [((1, 1), 0), ((0, 0), 1)])
def test_a_wrong_call_is_flipped_back_and_the_render_prefers_it(loop, wrong, index):
    renderer, analysis = loop
    model = _model(scene(*wrong), analysis)
    assert sorted(flip_order(model, analysis)) == [0, 1]  # both objects found in the target
    right = flipped(model, analysis, index)
    name = model.names[index][2]
    g = right.guesses[index]
    assert (g.metallic, g.roughness) == (TRUTH[name][0], pytest.approx(0.7 if g.metallic == 0 else 0.25))
    assert right.guesses[1 - index] == model.guesses[1 - index]  # the other object untouched
    assert _score(renderer, right) > _score(renderer, model) + 0.003


@pytest.mark.blender
def test_flipping_a_right_call_scores_lower(loop):
    renderer, analysis = loop
    model = _model(scene(0, 1), analysis)
    base = _score(renderer, model)
    for i in (0, 1):
        assert _score(renderer, flipped(model, analysis, i)) < base - 0.003
