"""Metal/matte, base colour and a nearby light recovered from small real Cycles renders.

Two scenes are rendered once per module (in a temporary folder, nothing cached in the repo)
at 128x96 px with 16 samples:

- `spheres`: four spheres on a light-grey ground (albedo `DEFAULT_GROUND_ALBEDO`, the
  estimator's prior), lit by a sun and a dim world: two metals (metallic 1, roughness 0.15 and
  0.3) and two matte ones, with known base colours;
- `lamp`: an empty ground lit only by a point light at a known place and a dim world.

The object masks come from the preview renderer through the same camera.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from scenelang import ast as A
from scenelang.backends.preview import render_preview
from scenelang.parser import parse_scene
from scenelang.stages.metrics import load_image
from scenelang.stages.vision.lamp import fit_lamp
from scenelang.stages.vision.material import (
    DEFAULT_GROUND_ALBEDO,
    classify_material,
    estimate_colour,
    ground_near,
)
from scenelang.stages.vision.segment import srgb_to_linear

SIZE = (128, 96)
CAMERA = "camera camera at (7.4, -6.9, 5) look_at (0, 0, 0.3) resolution (128, 96)"
SPHERES = [  # name, x, y, colour (linear), metallic, roughness
    ("s1", -1.2, -1.0, (0.7, 0.12, 0.1), 1.0, 0.15),
    ("s2", 1.0, -1.3, (0.12, 0.25, 0.7), 0.0, 0.8),
    ("s3", -1.0, 1.2, (0.8, 0.7, 0.15), 0.0, 0.7),
    ("s4", 1.3, 1.1, (0.15, 0.6, 0.45), 1.0, 0.3),
]
LAMP_AT = (0.8, -0.6, 2.5)
"""Where the point light of the `lamp` scene is (m)."""
COLOUR_TOLERANCE = 0.12
"""Largest allowed mean |error| per channel of a recovered base colour (linear RGB, 0..1),
together with a relative brightness error below 40%."""
LAMP_TOLERANCE = 0.6
"""Largest allowed distance (m) of the recovered point light from the true one."""


def _rgb(c) -> str:
    return "(" + ", ".join(f"{v:g}" for v in c) + ")"


def spheres_scene() -> str:
    g = DEFAULT_GROUND_ALBEDO
    shapes = "\n".join(f"  shape {n} = sphere(radius=0.6)" for n, *_ in SPHERES)
    mats = "\n".join(f"  material m{n} = principled(base_color={_rgb(c)}, metallic={m:g}, "
                     f"roughness={r:g})" for n, _, _, c, m, r in SPHERES)
    objs = "\n".join(f"  object {n} = {n} at ({x:g}, {y:g}, 0.6) material m{n}"
                     for n, x, y, *_ in SPHERES)
    return f"""scenelang 1
geometry {{
  shape ground = plane(size=100)
{shapes}
}}
materials {{
  material ground = principled(base_color=({g:g}, {g:g}, {g:g}), roughness=0.9)
{mats}
}}
composition {{
  {CAMERA}
  object ground = ground material ground
{objs}
}}
lighting {{
  world color (0.05, 0.05, 0.05)
  light sun = sun(direction=(-0.3, 0.45, -0.84), energy=3)
}}
"""


def lamp_scene() -> str:
    return f"""scenelang 1
geometry {{
  shape ground = plane(size=100)
}}
materials {{
  material ground = principled(base_color=(0.5, 0.5, 0.5), roughness=0.9)
}}
composition {{
  {CAMERA}
  object ground = ground material ground
}}
lighting {{
  world color (0.02, 0.02, 0.02)
  light lamp = point(at={_rgb(LAMP_AT)}, energy=300)
}}
"""


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    from scenelang.backends.blender.runner import BlenderWorker
    from scenelang.compiler.settings import RenderSettings

    folder = tmp_path_factory.mktemp("materials_lights")
    out = {}
    with BlenderWorker() as worker:
        for name, text in (("spheres", spheres_scene()), ("lamp", lamp_scene())):
            scene = parse_scene(text)
            png = folder / f"{name}.png"
            worker.render(scene, png, settings=RenderSettings(samples=16, size=SIZE))
            out[name] = (scene, srgb_to_linear(load_image(png)))
    return out


def _masks(scene) -> tuple[dict[str, np.ndarray], np.ndarray]:
    pv = render_preview(scene, SIZE)
    names = [o.name for o in scene.objects()]
    masks = {n: pv.silhouette & (pv.object_id == i) for i, n in enumerate(names)}
    ground = masks.pop("ground")
    return masks, ground


@pytest.mark.blender
def test_metal_and_matte_spheres_are_told_apart(renders):
    scene, linear = renders["spheres"]
    masks, _ = _masks(scene)
    for name, _, _, _, metallic, _ in SPHERES:
        est = classify_material(linear, masks[name])
        assert est.metallic == metallic, (name, est)
        assert (0.1 <= est.roughness <= 0.4) if metallic else est.roughness >= 0.5


@pytest.mark.blender
def test_base_colours_are_recovered(renders):
    scene, linear = renders["spheres"]
    masks, ground = _masks(scene)
    objects = np.zeros_like(ground)
    for m in masks.values():
        objects |= m
    lum = linear @ np.array([0.2126, 0.7152, 0.0722])
    lit = ground & (lum > 0.5 * np.percentile(lum[ground], 80))  # drop the cast shadows
    for name, _, _, colour, _, _ in SPHERES:
        near = ground_near(linear, masks[name], lit & ~objects)
        assert near is not None
        metallic = classify_material(linear, masks[name]).metallic
        got = np.asarray(estimate_colour(linear, masks[name], near, DEFAULT_GROUND_ALBEDO,
                                         metallic))
        want = np.asarray(colour)
        assert np.mean(np.abs(got - want)) < COLOUR_TOLERANCE, (name, got, want)
        assert abs(got.sum() / want.sum() - 1) < 0.4, (name, got, want)
        # the hue: the largest channel is the same
        assert np.argmax(got) == np.argmax(want), (name, got, want)


@pytest.mark.blender
def test_point_light_is_found_from_its_ground_patch(renders):
    scene, linear = renders["lamp"]
    _, ground = _masks(scene)
    fit = fit_lamp(linear, ground, scene.camera(), 0.5)
    assert fit is not None
    assert math.dist(fit.at, LAMP_AT) < LAMP_TOLERANCE, fit
    print(fit)
    assert 300 / 2 < fit.energy < 300 * 2, fit


def test_flat_ground_has_no_lamp():
    """Uniformly lit ground (a sun only): no nearby light is invented."""
    scene = parse_scene(lamp_scene())
    h, w = SIZE[1], SIZE[0]
    rng = np.random.default_rng(0)
    linear = np.full((h, w, 3), 0.2) + rng.normal(0, 0.005, (h, w, 3))
    _, ground = _masks(scene)
    assert fit_lamp(linear, ground, scene.camera(), 0.5) is None


def test_ground_lit_by_a_far_light_has_no_lamp():
    """The lit ground of an own-tier target (tier 1 scene 1, a box on blue ground, its lit
    ground mask and the draft's camera as the lighting step saw them) is a gentle ramp: no lamp
    far beyond the ground seen (the fit used to wander to a lamp 650 m off with 4.7e9 W, which
    blacked out the whole reconstruction)."""
    with np.load(Path(__file__).resolve().parent.parent / "data" / "far_lamp_ground.npz") as data:
        linear, clear = data["linear"].astype(float), data["clear"]
    camera = A.Camera(name="camera", at=(7.3046, -6.8779, 5.1121), look_at=(0, 0, 0), lens=45,
                      resolution=(320, 240))
    assert fit_lamp(linear, clear, camera, 0.7) is None


def test_smooth_shading_is_matte_and_mirror_structure_is_metal():
    """Synthetic discs with the same render-like noise (2% of the disc's mean level, per pixel):
    Lambertian shading (smooth, with some fill light: ambient 0.15 of a 0.6 key) versus a
    mirror-like pattern (dark sky above a bright ground reflection, a sharp highlight, and the
    ground's fine detail mirrored). A matte sphere under one hard light and no fill is a known
    failure (its contrast looks metallic)."""
    h = w = 60
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:h, 0:w]
    nx, ny = (xx - 30) / 25, -(yy - 30) / 25
    disc = nx**2 + ny**2 < 1
    nz = np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))
    light = np.array([0.4, 0.5, 0.77])
    shade = np.clip(nx * light[0] + ny * light[1] + nz * light[2], 0, 1) * 0.6 + 0.15
    shade = shade * (1 + rng.normal(0, 0.02, shade.shape))
    matte = np.repeat(shade[..., None], 3, axis=2) * np.array([0.8, 0.2, 0.2])
    est = classify_material(matte, disc)
    assert est.metallic == 0.0, est
    ground = 0.35 * (1 + 0.3 * rng.standard_normal((h, w)))  # mirrored ground detail
    mirror = np.where(ny > 0.1, 0.02, ground)
    mirror = mirror + 2.0 * ((nx - 0.3) ** 2 + (ny - 0.4) ** 2 < 0.01)
    mirror = mirror * (1 + rng.normal(0, 0.02, mirror.shape))
    mirror = mirror[..., None] * np.array([0.8, 0.2, 0.2])
    est = classify_material(mirror, disc)
    assert est.metallic == 1.0, est


def test_residual_ignores_flat_faces_and_their_edges():
    """A box-like region of two flat faces (a lit one and a shaded one, 5:1) with 2% noise: its
    contrast is high, but the pixel-scale residual is the noise's alone (the median ignores the
    edge between the faces), so it is matte."""
    rng = np.random.default_rng(4)
    h, w = 40, 60
    face = np.where(np.arange(w)[None, :] < 30, 0.5, 0.1) * np.ones((h, w))
    image = (face * (1 + rng.normal(0, 0.02, face.shape)))[..., None] * np.ones(3)
    mask = np.zeros((h, w), bool)
    mask[2:-2, 2:-2] = True
    est = classify_material(image, mask)
    assert est.contrast > 0.5, est
    assert est.residual < 0.03, est
    assert est.metallic == 0.0, est
