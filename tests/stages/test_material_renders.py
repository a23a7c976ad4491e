"""Metal or matte (`vision.material.classify_material`) on small real Cycles renders of the kind
the project's tier scenes have, where the former per-pixel-gradient score called matte objects
metal: flat-faced matte boxes and a cylinder in dark saturated colours (one channel's albedo
0.005) under a sun and a dim world, next to a metal sphere and a metal box (roughness 0.2, 0.3).

One scene, 128x96 px, rendered once per module at 16 and at 64 Cycles samples (in a temporary
folder): the call must not depend on the render noise. The object masks come from the preview
renderer through the same camera.
"""

from __future__ import annotations

import pytest

from scenelang.backends.preview import render_preview
from scenelang.parser import parse_scene
from scenelang.stages.metrics import load_image
from scenelang.stages.vision.material import classify_material
from scenelang.stages.vision.segment import srgb_to_linear

SIZE = (128, 96)
SAMPLES = (16, 64)
OBJECTS = [  # name, shape, x, y, z, colour (linear), metallic, roughness, turn about z (deg)
    ("b1", "box(size=(1.2, 1.2, 1.2))", -1.3, -0.6, 0.6, (0.3, 0.02, 0.4), 0, 0.7, 30),
    ("b2", "box(size=(1.0, 1.4, 0.9))", 1.2, -1.0, 0.45, (0.005, 0.15, 0.04), 0, 0.9, 0),
    ("c1", "cylinder(radius=0.5, depth=1.2)", 0.2, 1.3, 0.6, (0.5, 0.3, 0.02), 0, 0.6, 0),
    ("s1", "sphere(radius=0.6)", -1.0, 1.6, 0.6, (0.6, 0.6, 0.65), 1, 0.2, 0),
    ("b3", "box(size=(1.0, 1.0, 1.0))", 1.8, 1.2, 0.5, (0.2, 0.4, 0.6), 1, 0.3, 20),
]


def scene_text() -> str:
    shapes = "\n".join(f"  shape {n} = {s}" for n, s, *_ in OBJECTS)
    mats = "\n".join(f"  material m{n} = principled(base_color=({c[0]:g}, {c[1]:g}, {c[2]:g}), "
                     f"metallic={m:g}, roughness={r:g})" for n, _, _, _, _, c, m, r, _ in OBJECTS)
    objs = "\n".join(f"  object {n} = {n} at ({x:g}, {y:g}, {z:g}) rotate (0, 0, {t:g}deg) "
                     f"material m{n}" for n, _, x, y, z, _, _, _, t in OBJECTS)
    return f"""scenelang 1
geometry {{
  shape ground = plane(size=100)
{shapes}
}}
materials {{
  material ground = principled(base_color=(0.45, 0.45, 0.45), roughness=0.9)
{mats}
}}
composition {{
  camera camera at (7.4, -6.9, 5) look_at (0, 0, 0.3) resolution (128, 96)
  object ground = ground material ground
{objs}
}}
lighting {{
  world color (0.05, 0.05, 0.05)
  light sun = sun(direction=(-0.3, 0.45, -0.84), energy=3)
}}
"""


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    from scenelang.backends.blender.runner import BlenderWorker
    from scenelang.compiler.settings import RenderSettings

    folder = tmp_path_factory.mktemp("material_renders")
    scene = parse_scene(scene_text())
    out = {}
    with BlenderWorker() as worker:
        for samples in SAMPLES:
            png = folder / f"objects_{samples}.png"
            worker.render(scene, png, settings=RenderSettings(samples=samples, size=SIZE))
            out[samples] = srgb_to_linear(load_image(png))
    pv = render_preview(scene, SIZE)
    names = [o.name for o in scene.objects()]
    masks = {n: pv.silhouette & (pv.object_id == i) for i, n in enumerate(names)}
    return out, masks


@pytest.mark.blender
@pytest.mark.parametrize("samples", SAMPLES)
def test_matte_boxes_stay_matte_and_metals_metal(renders, samples):
    images, masks = renders
    for name, _, _, _, _, _, metallic, _, _ in OBJECTS:
        assert masks[name].sum() >= 100, name  # each object is well visible
        est = classify_material(images[samples], masks[name])
        assert est.metallic == metallic, (samples, name, est)


@pytest.mark.blender
def test_less_render_noise_makes_matte_surer(renders):
    """The residual of a matte object is mostly render noise: with 4x the samples it drops, so
    its score falls; a metal's residual is its mirrored detail and stays."""
    images, masks = renders
    for name, _, _, _, _, _, metallic, _, _ in OBJECTS:
        low, high = (classify_material(images[s], masks[name]) for s in SAMPLES)
        if metallic:
            assert high.residual > 0.5 * low.residual, (name, low, high)
        else:
            assert high.score < low.score, (name, low, high)
