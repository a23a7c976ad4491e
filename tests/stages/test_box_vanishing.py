"""The horizon and focal length from boxes' edges (`stages/vision/box_vanishing.py`) and the
draft's use of them (`stages/proposers/offline/box_horizon.py`).

Known answers: box edges projected analytically through a known camera (the fit alone), and
boxes drawn by the numpy preview renderer (sun-lit, so every face has its own shade) at four
times the size and averaged down (anti-aliased edges), through known cameras: the horizon is
at row H/2 - f tan(pitch)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest

from scenelang import ast as A
from scenelang.backends.camera import focal_length_pixels, project
from scenelang.backends.preview import render_preview
from scenelang.stages.proposers.offline import box_horizon as BH
from scenelang.stages.proposers.offline.fit import Guess, fit_single
from scenelang.stages.vision import box_vanishing as BV
from scenelang.stages.vision.camera import camera_parameters, focal_pixels, gauge_camera
from scenelang.stages.vision.segment import srgb_to_linear

SIZE = (256, 192)
SUPER = 4
BOXES = (Guess("box", (1.0, 0.8, 0.9), -1.2, 1.3, yaw=20.0, color=(0.7, 0.15, 0.1)),
         Guess("box", (0.9, 0.9, 0.9), 1.4, 0.9, yaw=55.0, color=(0.1, 0.3, 0.7)),
         Guess("box", (1.2, 0.7, 0.7), 0.2, -1.6, yaw=-15.0, color=(0.2, 0.6, 0.2)))
"""Three boxes turned differently, spread across the view of the default azimuth."""
SUN = A.LightDef(name="sun", light=A.Sun(direction=(-0.35, 0.5, -0.8), energy=2.5))
WORLD = A.World(color=A.RGB(r=0.3, g=0.3, b=0.3), strength=1.0)


def true_row(camera: A.Camera) -> float:
    p = camera_parameters(camera)
    return SIZE[1] / 2 - focal_length_pixels(camera, SIZE) * math.tan(math.radians(p.pitch))


def scene(camera: A.Camera, objects: tuple[Guess, ...]) -> A.Scene:
    def rgb(c):
        return A.RGB(r=c[0], g=c[1], b=c[2])
    shapes = [A.ShapeDef(name="ground", shape=A.Plane(size=1000.0))]
    mats = [A.MaterialDef(name="ground", material=A.Principled(base_color=rgb((0.45,) * 3)))]
    comp: list = [camera, A.ObjectDef(name="ground", shape="ground", material="ground")]
    for i, g in enumerate(objects):
        shapes.append(A.ShapeDef(name=f"s{i}", shape=g.shape()))
        mats.append(A.MaterialDef(name=f"m{i}", material=A.Principled(base_color=rgb(g.color))))
        comp.append(A.ObjectDef(name=f"o{i}", shape=f"s{i}", material=f"m{i}", at=g.at(),
                                rotate=(0.0, 0.0, g.yaw)))
    return A.Scene(geometry=A.Section(name="geometry", statements=tuple(shapes)),
                   materials=A.Section(name="materials", statements=tuple(mats)),
                   composition=A.Section(name="composition", statements=tuple(comp)),
                   lighting=A.Section(name="lighting", statements=(WORLD, SUN)))


@lru_cache(maxsize=4)
def rendered(camera: A.Camera, objects: tuple[Guess, ...] = BOXES
             ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Linear RGB image at `SIZE` (anti-aliased: drawn `SUPER` times larger and averaged) and
    the object masks (cached: do not modify)."""
    big = (SIZE[0] * SUPER, SIZE[1] * SUPER)
    p = render_preview(scene(camera.model_copy(update={"resolution": big}), objects), big)

    def down(a: np.ndarray) -> np.ndarray:
        return a.reshape(SIZE[1], SUPER, SIZE[0], SUPER, *a.shape[2:]).mean(axis=(1, 3))
    image = down(srgb_to_linear(np.asarray(p.color, float)))
    masks = [down((p.object_id == i).astype(float)) > 0.5
             for i, n in enumerate(p.object_names) if n != "ground"]
    return image, masks


def box_lines_exact(camera: A.Camera, boxes: tuple[Guess, ...]) -> list[BV.Line]:
    """Every edge of `boxes` projected through `camera` (no image); `family`: the index of the
    box's dimension it runs along (0, 1 horizontal, 2 vertical; the fit is not told)."""
    lines = []
    for k, g in enumerate(boxes):
        v = g.world_vertices()  # the 8 corners
        for a in range(8):
            for b in range(a + 1, 8):
                length = float(np.linalg.norm(v[b] - v[a]))
                along = [i for i, e in enumerate(g.dims) if abs(length - e) < 1e-6]
                if not along:
                    continue  # a face or body diagonal
                uv, _ = project(np.array([v[a], v[b]]), camera, SIZE)
                t = uv[1] - uv[0]
                n = float(np.linalg.norm(t))
                lines.append(BV.Line(point=tuple((uv[0] + uv[1]) / 2), direction=tuple(t / n),
                                     length=n, offset_sd=0.05, angle_sd=0.005,
                                     family=along[0], box=k, samples=int(n)))
    return lines


@pytest.mark.parametrize("pitch, lens", [(30.0, 40.0), (45.0, 55.0)])
def test_fit_recovers_the_camera_from_exact_edges(pitch, lens):
    camera = gauge_camera(pitch, lens, resolution=SIZE)
    lines = box_lines_exact(camera, BOXES)
    # a wrong prior (45 mm) and unknown families: the fit finds them
    found = BV.fit_horizon(lines, SIZE, focal=focal_pixels(45.0, SIZE))
    assert found is not None
    assert found.row == pytest.approx(true_row(camera), abs=0.5)
    assert found.tilt == pytest.approx(pitch, abs=0.05)
    assert found.focal == pytest.approx(focal_pixels(lens, SIZE), rel=0.005)
    assert len(found.lines) == len(lines)  # none taken for an outlier
    assert sorted({ln.family for ln in found.lines}) == [0, 1, 2]


@pytest.mark.parametrize("pitch, lens", [(28.0, 45.0), (42.0, 35.0)])
def test_rendered_boxes_give_horizon_pitch_and_focal(pitch, lens):
    camera = gauge_camera(pitch, lens, resolution=SIZE)
    image, masks = rendered(camera)
    union = np.logical_or.reduce(masks)
    found = BV.box_horizon(image, masks, focal=focal_pixels(45.0, SIZE),
                           others=[union & ~m for m in masks])
    assert found is not None
    f = focal_pixels(lens, SIZE)
    assert found.tilt == pytest.approx(pitch, abs=1.0)
    assert found.focal == pytest.approx(f, rel=0.08)
    assert found.row == pytest.approx(true_row(camera), abs=max(3 * found.row_sd, 4.0))
    # the uncertainties are honest and small enough for the draft to rely on
    assert abs(found.tilt - pitch) <= 3 * found.tilt_sd + 0.2
    assert found.tilt_sd <= BH.MAX_PITCH_SD and found.focal_sd <= BH.MAX_FOCAL_SD
    assert len({ln.box for ln in found.lines}) == 3


def test_box_camera_replaces_a_wrong_start_camera():
    truth = gauge_camera(42.0, 35.0, resolution=SIZE)
    image, masks = rendered(truth)
    start = gauge_camera(27.0, 45.0, resolution=SIZE)  # the draft's prior camera
    # the boxes as the draft fits them: through the start camera
    cares = [np.ones(masks[0].shape, bool)] * 3
    guesses = [fit_single("box", m, c, start, SIZE, max_evals=60)[0] for m, c in zip(masks, cares)]
    found = BH.box_camera(image, masks, guesses, [0, 1, 2], start, SIZE, cares=cares)
    assert found is not None
    p = camera_parameters(found)
    assert p.pitch == pytest.approx(42.0, abs=1.0)
    assert p.lens == pytest.approx(35.0, rel=0.08)
    # the look-at point and distance of the start are kept (the gauge)
    q = camera_parameters(start)
    assert p.distance == pytest.approx(q.distance, rel=1e-3)
    assert p.azimuth == pytest.approx(q.azimuth, abs=0.01)
    # the silhouettes check is one-sided: a camera they fit worse by far is refused
    refitted, evals = BH.refit_under(guesses, masks, cares, start, found, SIZE, max_evals=60)
    assert evals > 0
    assert BH.silhouettes_agree(refitted, masks, cares, found, start, SIZE) is False
    assert BH.silhouettes_agree(refitted, masks, cares, found, found, SIZE) is True


def test_no_box_or_no_horizontal_edge_gives_nothing():
    camera = gauge_camera(28.0, 45.0, resolution=SIZE)
    image, masks = rendered(camera)
    spheres = [Guess("sphere", (0.5,), 0.0, 0.0)] * 3
    assert BH.box_camera(image, masks, spheres, [0, 1, 2], camera, SIZE) is None
    # two boxes' edges of one horizontal family and their vertical ones: the horizon is the
    # row of that family's vanishing points, f^2 = K (cy - row) with the vertical one's K
    lines = box_lines_exact(camera, (BOXES[0], BOXES[2]))  # (not cubes: families known)
    one = [ln for ln in lines if ln.family in (0, 2)]
    found = BV.fit_horizon(one, SIZE, focal=focal_pixels(60.0, SIZE))
    assert found is not None
    assert found.row == pytest.approx(true_row(camera), abs=0.5)
    assert found.focal == pytest.approx(focal_pixels(45.0, SIZE), rel=0.01)
    # vertical edges only: no horizon
    upright = [ln for ln in lines if ln.family == 2]
    assert BV.fit_horizon(upright, SIZE, focal=focal_pixels(45.0, SIZE)) is None


def test_measure_line_is_subpixel():
    """A straight anti-aliased step through a known line: located within 0.05 px."""
    h, w = 60, 80
    vv, uu = np.mgrid[0:h * 8, 0:w * 8] / 8.0 + 1 / 16
    angle = math.radians(12.0)
    n = np.array([-math.sin(angle), math.cos(angle)])
    big = ((uu - 40.0) * n[0] + (vv - 30.3) * n[1] > 0).astype(float)
    img = big.reshape(h, 8, w, 8).mean(axis=(1, 3))[..., None] * np.array([0.6, 0.5, 0.4]) + 0.1
    guess = BV.EdgeGuess(p0=(20.0, 30.3 - 20 * math.tan(angle) + 1.0),
                         p1=(60.0, 30.3 + 20 * math.tan(angle) + 1.0), family=0, box=0)
    line = BV.measure_line(BV.gradients(img), guess)
    assert line is not None
    # distance of the true line's point (40, 30.3) from the measured line
    d = np.array([40.0, 30.3]) - np.asarray(line.point)
    t = np.asarray(line.direction)
    assert abs(t[0] * d[1] - t[1] * d[0]) < 0.05
    assert math.degrees(math.atan2(t[1], t[0])) == pytest.approx(12.0, abs=0.3)
