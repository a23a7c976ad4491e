"""Camera estimation (`stages/vision/camera.py`, `stages/proposers/offline/camera_fit.py`).

Gauge convention of the checks (an image cannot fix it): the camera looks at a point on the
ground that becomes the origin, from the default azimuth, at the default camera's distance
(11.26 m). Truth positions are mapped into that frame with `to_gauge` before comparing.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from camera_scenes import OBJECTS, camera_scene
from scipy.optimize import linear_sum_assignment

from scenelang import ast as A
from scenelang.backends.camera import project
from scenelang.backends.preview import render_preview
from scenelang.stages.proposers.offline.camera_fit import (
    View,
    Window,
    estimate_scene_camera,
    outline_points,
    transfer,
)
from scenelang.stages.proposers.offline.fit import Guess, fit_single, masked_iou, silhouette
from scenelang.stages.vision.camera import (
    DEFAULT_AZIMUTH,
    DEFAULT_DISTANCE,
    camera_parameters,
    estimate_camera,
    gauge_camera,
    pitch_from_horizon,
    to_gauge,
)

SIZE = (320, 240)


def test_gauge_camera_round_trip_and_default():
    p = camera_parameters(A.DEFAULT_CAMERA)
    assert p.distance == pytest.approx(DEFAULT_DISTANCE, abs=1e-4)
    assert p.azimuth == pytest.approx(DEFAULT_AZIMUTH, abs=1e-3)
    assert p.pitch == pytest.approx(26.12, abs=0.05)
    assert p.lens == pytest.approx(50.0)
    cam = gauge_camera(33.0, 41.0, distance=9.0, azimuth=-20.0, look_at=(1.0, -2.0, 0.0))
    q = camera_parameters(cam)
    assert (q.pitch, q.lens, q.distance, q.azimuth) == pytest.approx((33.0, 41.0, 9.0, -20.0), abs=1e-3)
    assert q.ground == pytest.approx((1.0, -2.0, 0.0), abs=1e-3)
    # CLEVR's 35 mm lens on a 32 mm sensor is a 39.4 mm lens on the 36 mm sensor
    clevr = A.Camera(name="c", at=(7.48, -6.51, 5.34), lens=35.0, sensor=32.0)
    assert camera_parameters(clevr).lens == pytest.approx(39.375)


def test_to_gauge_maps_the_look_at_point_to_the_origin():
    cam = gauge_camera(30.0, 40.0, distance=10.0, azimuth=-70.0, look_at=(1.5, 0.5, 0.0))
    pts = np.array([[1.5, 0.5, 0.0], [1.5, 0.5, 1.0], list(cam.at)])
    g = to_gauge(pts, cam)
    assert g[0] == pytest.approx([0, 0, 0], abs=1e-4)
    assert g[1] == pytest.approx([0, 0, DEFAULT_DISTANCE / 10.0], abs=1e-4)
    default = camera_parameters(gauge_camera(30.0, 40.0))
    assert g[2] == pytest.approx(list(gauge_camera(30.0, 40.0).at), abs=1e-3)
    assert default.azimuth == pytest.approx(DEFAULT_AZIMUTH, abs=1e-3)


def test_pitch_from_horizon_matches_projection():
    cam = gauge_camera(12.0, 35.0, resolution=SIZE)
    far = np.array([[-1e5 * math.cos(math.radians(DEFAULT_AZIMUTH)),
                     -1e5 * math.sin(math.radians(DEFAULT_AZIMUTH)), 0.0]])
    (u, v), = project(far, cam, SIZE)[0]
    assert pitch_from_horizon(v, 35.0, SIZE) == pytest.approx(12.0, abs=0.05)


def test_window_iou_equals_rasterised_iou():
    cam = gauge_camera(35.0, 38.0, resolution=SIZE)
    rng = np.random.default_rng(1)
    target = np.zeros((SIZE[1], SIZE[0]), bool)
    target[90:160, 120:200] = True
    care = rng.random(target.shape) > 0.1
    view, window = View(cam, SIZE), Window(target, care)
    for g in (Guess("box", (1.0, 0.7, 0.9), 0.2, -0.3, yaw=30.0), Guess("cylinder", (0.5, 1.1), -0.5, 0.4),
              Guess("cone", (0.5, 1.0), 0.6, 0.1)):
        ref = masked_iou(silhouette(g, cam, SIZE), target, care)
        assert window.iou(view.project(outline_points(g, view))) == pytest.approx(ref, abs=1e-9)
    # a sphere's exact outline (32 tangent points) against its 32x16 mesh: within a pixel
    s = Guess("sphere", (0.6,), 0.3, 0.2)
    mesh = silhouette(s, cam, SIZE)
    exact = Window(mesh, np.ones_like(mesh)).iou(view.project(outline_points(s, view)))
    assert exact > 0.97


def test_transfer_keeps_image_position_and_size():
    old = gauge_camera(26.0, 50.0, resolution=SIZE)
    new = gauge_camera(38.0, 32.0, resolution=SIZE)
    g = Guess("cylinder", (0.4, 0.8), 0.8, -0.6)
    moved = transfer(g, old, new, SIZE)
    a = project(np.array([[g.x, g.y, 0.0]]), old, SIZE)[0]
    b = project(np.array([[moved.x, moved.y, 0.0]]), new, SIZE)[0]
    assert b == pytest.approx(a, abs=1e-6)
    wa = np.ptp(np.nonzero(silhouette(g, old, SIZE))[1])
    wb = np.ptp(np.nonzero(silhouette(moved, new, SIZE))[1])
    assert wb == pytest.approx(wa, rel=0.1)


def test_estimate_camera_finds_the_optimum_of_a_known_objective():
    def score(cam):
        p = camera_parameters(cam)
        return 1.0 - 0.001 * (p.pitch - 34.0) ** 2 - 0.05 * math.log2(p.lens / 38.0) ** 2

    est = estimate_camera(score, SIZE, start=(26.0, 50.0), max_evals=60)
    assert est.pitch == pytest.approx(34.0, abs=0.5)
    assert est.lens == pytest.approx(38.0, rel=0.03)
    # the half-widths where the score drops by FLAT_TOLERANCE (0.003): sqrt(3) deg, ...
    assert est.pitch_sd == pytest.approx(math.sqrt(3.0), rel=0.1)
    assert est.lens_sd == pytest.approx(2 ** math.sqrt(0.06) - 1, rel=0.1)
    # a flat direction is reported as ambiguous
    flat = estimate_camera(lambda c: 1.0 - 0.001 * (camera_parameters(c).pitch - 34.0) ** 2, SIZE,
                           max_evals=40)
    assert flat.pitch == pytest.approx(34.0, abs=1.0)
    assert flat.lens_sd > 0.3 and flat.confidence < 0.1


def test_estimate_camera_with_a_horizon_keeps_it_in_place():
    row = 20.0

    def score(cam):
        return 1.0 - 0.05 * math.log2(camera_parameters(cam).lens / 30.0) ** 2

    est = estimate_camera(score, SIZE, horizon_row=row)
    assert est.lens == pytest.approx(30.0, rel=0.03)
    assert est.pitch == pytest.approx(pitch_from_horizon(row, est.lens, SIZE), abs=0.01)


def test_an_estimate_is_trusted_only_with_enough_cameras_and_a_real_gain():
    from scenelang.stages.proposers.offline.camera_fit import MIN_GAIN, MIN_SCORED, trusted
    from scenelang.stages.vision.camera import CameraEstimate

    evals = [(26.0, 50.0, 0.95)] * MIN_SCORED
    good = CameraEstimate(gauge_camera(30.0, 40.0), 30.0, 40.0, DEFAULT_DISTANCE, 0.96,
                          evaluations=evals, start_score=0.95)
    assert trusted(good)
    assert not trusted(CameraEstimate(**{**good.__dict__, "evaluations": evals[:3]}))
    assert not trusted(CameraEstimate(**{**good.__dict__, "objective": 0.95 + MIN_GAIN / 2}))
    assert not trusted(CameraEstimate(**{**good.__dict__, "lens": 150.0}))  # on the search bound




@pytest.mark.parametrize("pitch, lens, look_at, azimuth", [
    (38.0, 32.0, (0.7, -0.4, 0.0), -35.0),   # camera 6.9 m high, wide lens, aimed off the origin
    (24.0, 55.0, (-0.5, 0.6, 0.0), -50.0),   # camera 4.6 m high, long lens
])
def test_camera_and_objects_recovered_from_silhouettes(pitch, lens, look_at, azimuth):
    size = (256, 192)  # the engine's default render size
    truth = gauge_camera(pitch, lens, look_at=look_at, azimuth=azimuth, resolution=size)
    pv = render_preview(camera_scene(truth), size)
    masks = [pv.object_id == pv.object_names.index(f"o{i}") for i in range(1, len(OBJECTS) + 1)]
    everything = np.any(masks, axis=0)
    cares = [~(everything & ~m) for m in masks]
    start = gauge_camera(26.1, 50.0, resolution=size)  # the default camera
    fits = [fit_single(g.kind, m, c, start, size)[0] for g, m, c in zip(OBJECTS, masks, cares)]
    est, refitted, _ = estimate_scene_camera(fits, masks, cares, start, size, max_evals=20)
    assert est.pitch == pytest.approx(pitch, abs=3.0)
    assert est.lens == pytest.approx(lens, rel=0.15)
    true_centres = to_gauge(np.array([g.at() for g in OBJECTS]), truth)
    found = np.array([g.at() for g in refitted])
    d = np.linalg.norm(found[:, None, :] - true_centres[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(d)
    assert d[rows, cols].max() < 0.5


def test_scene_camera_search_keeps_the_start_cameras_framing():
    """Started from a camera aimed off the origin from another azimuth and distance, the search
    changes only pitch and lens: the objects come back at their true places in the world, not
    in the gauge's frame."""
    size = (256, 192)
    look_at, azimuth, distance = (0.7, -0.4, 0.0), -35.0, 9.0
    truth = gauge_camera(38.0, 32.0, look_at=look_at, azimuth=azimuth, distance=distance,
                         resolution=size)
    pv = render_preview(camera_scene(truth), size)
    masks = [pv.object_id == pv.object_names.index(f"o{i}") for i in range(1, len(OBJECTS) + 1)]
    everything = np.any(masks, axis=0)
    cares = [~(everything & ~m) for m in masks]
    start = gauge_camera(26.1, 50.0, look_at=look_at, azimuth=azimuth, distance=distance,
                         resolution=size)
    fits = [fit_single(g.kind, m, c, start, size)[0] for g, m, c in zip(OBJECTS, masks, cares)]
    est, refitted, _ = estimate_scene_camera(fits, masks, cares, start, size, max_evals=20)
    kept = camera_parameters(est.camera)
    assert kept.ground == pytest.approx(look_at, abs=1e-3)
    assert kept.azimuth == pytest.approx(azimuth, abs=0.05)
    assert kept.distance == pytest.approx(distance, abs=1e-3)
    assert est.pitch == pytest.approx(38.0, abs=3.0)
    found = np.array([g.at() for g in refitted])
    true = np.array([g.at() for g in OBJECTS])
    d = np.linalg.norm(found[:, None, :] - true[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(d)
    assert d[rows, cols].max() < 0.5
