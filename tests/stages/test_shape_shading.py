"""Choosing an object's kind by its shading (`offline.shading`), on small objects drawn
analytically: a cube with rounded edges (as CLEVR's), a cylinder and a sphere, Lambert-shaded
under one distant light with an ambient term on a grey ground, about 15 px wide at 128 x 96.
The drawing here is independent of the module's ray caster (its own signed distances, 200
sphere-tracing steps)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenelang import ast as A
from scenelang.backends.camera import pixel_rays
from scenelang.stages.proposers.offline import draft as D
from scenelang.stages.proposers.offline.fit import Guess, fit_single
from scenelang.stages.proposers.offline.shading import (
    normals_at,
    shading_fit,
    shading_scores,
    with_shading,
)

SIZE = (128, 96)
CAMERA = A.Camera(name="camera", at=(7.5, -6.5, 5.2), look_at=(0, 0, 0), lens=60.0,
                  resolution=SIZE)
SIDE = 0.5
LIGHT = np.array([0.2, -0.9, 0.8]) / np.linalg.norm([0.2, -0.9, 0.8])


def _distance(kind: str, p: np.ndarray) -> np.ndarray:
    if kind == "sphere":
        return np.linalg.norm(p, axis=-1) - SIDE / 2
    if kind == "box":  # a cube whose edges are rounded by an eighth of its side
        r = SIDE / 8
        q = np.abs(p) - (SIDE / 2 - r)
        return np.linalg.norm(np.maximum(q, 0), axis=-1) + np.minimum(q.max(axis=-1), 0) - r
    d = np.stack([np.hypot(p[..., 0], p[..., 1]) - SIDE / 2, np.abs(p[..., 2]) - SIDE / 2], -1)
    return np.linalg.norm(np.maximum(d, 0), axis=-1) + np.minimum(d.max(axis=-1), 0)


def _draw(kind: str, yaw: float) -> np.ndarray:
    """The display-referred image (H, W, 3) of a `kind` of size `SIDE` standing at (0.3, 0.2)."""
    origins, dirs = (a.reshape(-1, 3) for a in pixel_rays(CAMERA, SIZE))
    c, s = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    centre = np.array([0.3, 0.2, SIDE / 2])
    o, d = (origins - centre) @ rot, dirs @ rot
    t = np.full(len(d), np.linalg.norm(origins[0] - centre) - SIDE)
    for _ in range(200):
        t += _distance(kind, o + t[:, None] * d)
    p = o + t[:, None] * d
    hit = _distance(kind, p) < 1e-3 * SIDE
    e = 1e-4 * SIDE
    n = np.stack([_distance(kind, p[hit] + e * v) - _distance(kind, p[hit] - e * v)
                  for v in np.eye(3)], -1)
    n = (n / np.linalg.norm(n, axis=-1, keepdims=True)) @ rot.T
    image = np.full((len(d), 3), 0.35)
    image[hit] = np.array([0.6, 0.15, 0.1]) * (0.25 + 0.9 * np.clip(n @ LIGHT, 0, None))[:, None]
    return (image.reshape(SIZE[1], SIZE[0], 3) ** (1 / 2.2)).astype(np.float32)


@pytest.mark.parametrize(("kind", "yaw"), [("box", 0.0), ("cylinder", 0.0), ("sphere", 0.0)])
def test_the_true_kind_explains_the_shading_best(kind, yaw):
    analysis = D.analyse(_draw(kind, yaw))
    assert len(analysis.regions) == 1
    region = analysis.regions[0]
    guesses = [fit_single(k, region, analysis.care, CAMERA, SIZE, max_evals=40)[0]
               for k in ("box", "sphere", "cylinder")]
    score = shading_scores(guesses, region, analysis.linear, CAMERA, SIZE)
    assert score is not None and score.pixels >= 30
    best = guesses[int(np.argmax(score.explained))]
    assert best.kind == kind
    assert max(score.explained) > 0.9


def test_a_small_rounded_cube_whose_silhouette_looks_like_a_sphere_is_a_box():
    # at this size the rounded cube's outline is fitted a little better by a sphere (the
    # silhouette alone chooses the sphere); its two lit faces and top decide
    analysis = D.analyse(_draw("box", 0.0))
    preferred: list[Guess] = []
    guesses, index, _ = D.fit_regions(analysis, CAMERA, max_evals=40, preferred=preferred)
    assert [g.kind for g in guesses] == ["sphere"]
    assert [g.kind for g in preferred] == ["box"]
    # the draft takes the shading's kind after its camera estimate, refitted through it
    chosen = D.shaded_kinds(analysis, CAMERA, guesses, index, preferred)
    assert [g.kind for g in chosen] == ["box"]
    assert abs(chosen[0].x - 0.3) < 0.1 and abs(chosen[0].y - 0.2) < 0.1


def test_an_even_region_or_a_clear_outline_is_left_to_the_silhouette():
    analysis = D.analyse(_draw("box", 0.0))
    region = analysis.regions[0]
    box = fit_single("box", region, analysis.care, CAMERA, SIZE, max_evals=40)[0]
    sphere = fit_single("sphere", region, analysis.care, CAMERA, SIZE, max_evals=40)[0]
    # the box's shading would win a near-tie...
    near = with_shading([0.90, 0.91], [box, sphere], region, analysis.linear, CAMERA, SIZE)
    assert near[0] > near[1]
    # ...but not against an outline clearly better than its own (beyond the margin)
    clear = with_shading([0.80, 0.91], [box, sphere], region, analysis.linear, CAMERA, SIZE)
    assert clear[0] == 0.80 and clear[1] > clear[0]
    # an evenly coloured region (no shading at all) gives no evidence
    flat = analysis.linear.copy()
    flat[region] = flat[region].mean(axis=0)
    assert with_shading([0.90, 0.91], [box, sphere], region, flat, CAMERA, SIZE) == [0.90, 0.91]


def test_sphere_normals_face_away_from_the_centre_and_misses_are_flagged():
    g = Guess("sphere", (0.5,), 0.0, 0.0, z=0.0)  # centred on the camera's look-at point
    pixels = np.array([[48, 64], [47, 63], [0, 0]])  # (row, column): two on it, a corner off it
    normals, hit = normals_at(g, CAMERA, SIZE, pixels)
    assert hit.tolist() == [True, True, False]
    assert np.allclose(np.linalg.norm(normals[:2], axis=1), 1.0, atol=1e-6)
    # the ray through the image centre meets the sphere where it faces the camera squarely
    towards = np.asarray(CAMERA.at) / np.linalg.norm(CAMERA.at)
    assert normals[0] @ towards > 0.99  # (the pixel centre is half a pixel off the axis)
    assert np.all(normals[2] == 0)


def test_flat_or_exactly_lambertian_luminance():
    rng = np.random.default_rng(3)
    n = rng.normal(size=(200, 3))
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    assert shading_fit(np.full(200, 0.4), n) == 0.0  # no contrast: no evidence
    lum = 0.3 + n @ np.array([0.2, -0.1, 0.4])
    assert shading_fit(lum, n) == pytest.approx(1.0)
    assert shading_fit(lum, n[::-1]) < 0.2  # the wrong normals explain little
