"""The draft's camera search (`offline.draft.draft_camera`) and the fast convex IoU the fits use
(`offline.convex`): a fixed evaluation budget, so the result does not depend on the clock, and
a camera recovered from a rendered scene within stated tolerances.

The scene is drawn by the preview renderer (crisp silhouettes, no Blender); the regions are the
preview's own object masks, so these tests check the camera search, not the segmentation.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from camera_scenes import OBJECTS, camera_scene

from scenelang import ast as A
from scenelang.backends.preview import render_preview
from scenelang.stages.proposers.offline import camera_fit as F
from scenelang.stages.proposers.offline import draft as D
from scenelang.stages.proposers.offline.convex import View, Window, outline_points
from scenelang.stages.proposers.offline.fit import Guess, fit_single, masked_iou, silhouette
from scenelang.stages.vision.camera import (
    DEFAULT_AZIMUTH,
    DEFAULT_DISTANCE,
    PRIOR_LENS,
    PRIOR_PITCH,
    camera_parameters,
    gauge_camera,
    to_gauge,
)
from scenelang.stages.vision.segment import segment_objects, srgb_to_linear

SIZE = (224, 168)


def _analysis(truth: A.Camera) -> D.Analysis:
    pv = render_preview(camera_scene(truth), SIZE)
    regions = [pv.object_id == pv.object_names.index(f"o{i}") for i in range(1, len(OBJECTS) + 1)]
    image = np.asarray(pv.color, np.float32)
    return D.Analysis(target=image, linear=srgb_to_linear(image), seg=segment_objects(image),
                      regions=regions, size=SIZE)


@pytest.fixture(scope="module")
def scene():
    """A camera 6.9 m high looking 38 degrees down through a wide 32 mm lens (36 mm sensor), aimed
    off the origin, the objects fitted through the draft's starting camera (the prior's)."""
    truth = gauge_camera(38.0, 32.0, look_at=(0.7, -0.4, 0.0), azimuth=-35.0, resolution=SIZE)
    analysis = _analysis(truth)
    start = D.initial_camera(gauge_camera(26.1, 50.0, resolution=SIZE))
    guesses, index, _ = D.fit_regions(analysis, start, max_evals=80)
    assert len(guesses) == len(OBJECTS)
    return truth, analysis, start, guesses, index


@pytest.mark.slow
def test_draft_camera_recovers_the_camera_and_ignores_the_clock(scene, monkeypatch):
    truth, analysis, start, guesses, index = scene
    camera, refitted, evals = D.draft_camera(analysis, start, guesses, index)
    assert evals > 0
    # from the prior's 27 degrees and 45 mm: the pitch within 3 degrees; the focal length is the
    # weakly determined parameter (objects' silhouettes change little with it): without a
    # horizon or a vertical vanishing point it is held at the prior's (only the pitch searched)
    p = camera_parameters(camera)
    assert p.pitch == pytest.approx(38.0, abs=3.0)
    assert F.vertical_evidence(analysis.regions, analysis.linear, guesses, index) is None
    assert p.lens == pytest.approx(PRIOR_LENS, abs=0.01)
    true_centres = to_gauge(np.array([g.at() for g in OBJECTS]), truth)[index]
    found = np.array([g.at() for g in refitted])
    # the lens held at 45 mm instead of 32 mm shrinks the scene about the look-at point (the
    # scale the bench's aligned measures remove): within 0.4 m once the best scale is applied
    scale = float(np.sum(found * true_centres) / np.sum(found * found))
    assert 1.2 < scale < 1.6
    assert np.linalg.norm(scale * found - true_centres, axis=1).max() < 0.4

    # a machine a thousand times slower (every clock reading a minute later than the last)
    # gives the same camera: the search has a fixed budget, no wall-clock cap of its own
    clock = [0.0]

    def slow() -> float:
        clock[0] += 60.0
        return clock[0]

    monkeypatch.setattr(time, "monotonic", slow)
    again, refitted_again, evals_again = D.draft_camera(analysis, start, guesses, index)
    assert again == camera and refitted_again == refitted and evals_again == evals


def test_the_safety_net_deadline_leaves_the_start_camera():
    """When the proposer's safety-net deadline has already passed, too few cameras are scored
    for an estimate to be trusted, and the draft keeps its starting camera and fits."""
    truth = gauge_camera(30.0, 40.0, resolution=SIZE)
    analysis = _analysis(truth)
    start = D.initial_camera(A.Camera(name="camera", at=A.DEFAULT_CAMERA.at,
                                      look_at=A.DEFAULT_CAMERA.look_at, resolution=SIZE))
    guesses, index, _ = D.fit_regions(analysis, start, max_evals=40)
    camera, kept, _ = D.draft_camera(analysis, start, guesses, index, deadline=lambda: True)
    assert camera == start and kept == guesses


def test_the_draft_starts_from_the_prior_camera_not_the_placeholder():
    """`initial_camera`: the engine's placeholder camera replaced by the prior's (gauge: looking
    at the origin from the default azimuth and distance), resolution and sensor kept."""
    placeholder = A.Camera(name="camera", at=A.DEFAULT_CAMERA.at, look_at=(0.0, 0.0, 0.0),
                           sensor=32.0, resolution=(320, 240))
    cam = D.initial_camera(placeholder)
    p = camera_parameters(cam)
    assert (p.pitch, p.lens) == pytest.approx((PRIOR_PITCH, PRIOR_LENS), abs=0.05)
    assert p.distance == pytest.approx(DEFAULT_DISTANCE, abs=1e-3)
    assert p.azimuth == pytest.approx(DEFAULT_AZIMUTH, abs=1e-2)
    assert p.ground == pytest.approx((0.0, 0.0, 0.0), abs=1e-3)
    assert cam.resolution == (320, 240) and cam.sensor == 32.0
    assert cam.lens == pytest.approx(PRIOR_LENS * 32.0 / 36.0, abs=0.01)


@pytest.mark.parametrize("kind, dims, yaw", [("box", (0.9, 0.6, 0.7), 35.0),
                                             ("cylinder", (0.45, 0.9), 0.0),
                                             ("cone", (0.5, 1.0), 0.0)])
def test_fit_single_with_the_row_span_iou_recovers_a_primitive(kind, dims, yaw):
    """`fit_single` scores convex kinds with `convex.Window` (no rasterising); the fit still
    recovers a primitive's silhouette through a known camera, and the row-span IoU equals the
    rasterised one for the fitted guess."""
    camera = gauge_camera(30.0, 40.0, resolution=SIZE)
    g = Guess(kind, dims, 0.4, -0.3, yaw=yaw)
    mask = silhouette(g, camera, SIZE)
    care = np.ones_like(mask)
    fitted, iou = fit_single(kind, mask, care, camera, SIZE, max_evals=150)
    assert iou > 0.9
    assert masked_iou(silhouette(fitted, camera, SIZE), mask, care) == pytest.approx(iou, abs=1e-9)
    view = View(camera, SIZE)
    assert Window(mask, care).iou(view.project(outline_points(fitted, view))) == pytest.approx(iou)
    assert np.hypot(fitted.x - g.x, fitted.y - g.y) < 0.15


def _disc_with_contact_shadow(colour):
    """A 160x120 grey ground with a disc of `colour` (sRGB) and a darker grey crescent of contact
    shadow under it, joined to it: (image, disc mask, shadow-only mask, union)."""
    h, w = 120, 160
    rr, cc = np.mgrid[:h, :w]
    image = np.full((h, w, 3), 0.6, np.float32)
    disc = (rr - 60) ** 2 + (cc - 80) ** 2 <= 15 ** 2
    shadow = (((rr - 75) / 4.0) ** 2 + ((cc - 80) / 16.0) ** 2 <= 1.0) & ~disc
    image[shadow] = 0.38
    image[disc] = colour
    # the disc's shading: darker towards its bottom, as a lit sphere
    image[disc] *= (1.0 - 0.4 * np.clip((rr[disc] - 45) / 30.0, 0, 1))[:, None]
    return image, disc, shadow, disc | shadow


def test_contact_shadow_is_taken_out_of_a_coloured_object_only():
    image, disc, shadow, union = _disc_with_contact_shadow((0.2, 0.6, 0.2))
    seg = segment_objects(image)
    found = D.contact_shadow(union, seg, srgb_to_linear(image))
    assert found.sum() >= 0.7 * shadow.sum()
    assert not (found & disc).any()
    # a grey object on the grey ground: its colour cannot tell it from its shadow, nothing taken
    grey, _, _, grey_union = _disc_with_contact_shadow((0.5, 0.5, 0.5))
    assert not D.contact_shadow(grey_union, segment_objects(grey), srgb_to_linear(grey)).any()
