"""The vertical vanishing point from objects' outlines (`stages/vision/vanishing.py`) and the
camera search along the curve it gives (`vision.camera.estimate_camera(vertical=...)`).

Scenes are drawn by the numpy preview renderer through known cameras, so the true vanishing
point is known: K = f * cot(pitch) px below the image centre."""

from __future__ import annotations

import math

import numpy as np
import pytest
from camera_scenes import OBJECTS, camera_scene

from scenelang import ast as A
from scenelang.backends.preview import render_preview
from scenelang.stages.proposers.offline import camera_fit as F
from scenelang.stages.proposers.offline import draft as D
from scenelang.stages.proposers.offline.fit import Guess
from scenelang.stages.vision.camera import (
    LENS_BOUNDS,
    _grid_search,
    camera_parameters,
    estimate_camera,
    focal_pixels,
    gauge_camera,
    lens_from_vertical,
    vertical_pitch_bounds,
)
from scenelang.stages.vision.segment import segment_objects, srgb_to_linear
from scenelang.stages.vision.vanishing import region_edges, straight_run, vertical_vanishing

SIZE = (256, 192)


def rendered(camera: A.Camera, objects: tuple[Guess, ...] = OBJECTS
             ) -> tuple[list[np.ndarray], np.ndarray]:
    """The object masks (one per object) and the colour image of the shared four-object scene
    (or of `objects`) through `camera` at `SIZE`."""
    preview = render_preview(camera_scene(camera, objects), SIZE)
    names = [n for n in preview.object_names if n != "ground"]
    masks = [preview.mask([n]) for n in names]
    return [m for m in masks if m.sum() >= 20], preview.color


COLUMNS = tuple(Guess("cylinder", (0.4, 1.2), x, y) for x, y in
                ((2.0, 2.2), (-2.2, -2.0), (0.5, 2.8), (-0.4, -2.9), (2.6, -0.6)))
"""Upright cylinders spread across the view (left and right of the centre column)."""


@pytest.mark.parametrize("pitch, lens", [(27.0, 40.0), (40.0, 55.0), (20.0, 32.0)])
def test_vertical_vanishing_recovers_k_and_lens(pitch, lens):
    camera = gauge_camera(pitch, lens, resolution=SIZE)
    regions, image = rendered(camera, COLUMNS)
    found = vertical_vanishing(regions, image)
    assert found is not None
    truth = focal_pixels(lens, SIZE) / math.tan(math.radians(pitch))
    assert found.k == pytest.approx(truth, rel=0.1)
    assert found.lens(pitch) == pytest.approx(lens, rel=0.1)
    assert found.sd < 0.15
    # the uncertainty is honest: the error is within three standard deviations
    assert abs(found.k / truth - 1) < 3 * found.sd + 0.02
    assert len({e.region for e in found.edges}) >= 2


def test_mixed_scene_boxes_and_cylinders():
    """The shared scene: two cylinders, a turned box and a sphere (the sphere gives no edge)."""
    camera = gauge_camera(30.0, 45.0, resolution=SIZE)
    regions, image = rendered(camera)
    found = vertical_vanishing(regions, image)
    assert found is not None
    truth = focal_pixels(45.0, SIZE) / math.tan(math.radians(30.0))
    assert found.k == pytest.approx(truth, rel=0.15)


def test_spheres_only_give_none():
    camera = gauge_camera(27.0, 40.0, resolution=SIZE)
    spheres = tuple(Guess("sphere", (0.5,), x, y) for x, y in
                    ((2.0, 2.2), (-2.2, -2.0), (0.5, 2.8), (2.6, -0.6)))
    regions, image = rendered(camera, spheres)
    assert len(regions) == 4
    assert vertical_vanishing(regions, image) is None
    assert vertical_vanishing(regions) is None


def test_cones_give_at_most_one_edge_and_skip_is_honoured():
    """A cone's sides converge upwards: the side leaning away from a vanishing point below the
    image is refused, so two cones cannot make an estimate."""
    camera = gauge_camera(27.0, 40.0, resolution=SIZE)
    cones = tuple(Guess("cone", (0.5, 1.4), x, y) for x, y in ((2.0, 2.2), (-2.2, -2.0)))
    regions, image = rendered(camera, cones)
    others = np.zeros_like(regions[0])
    assert len(regions) == 2
    assert all(len(region_edges(m, others, image)) <= 1 for m in regions)
    assert vertical_vanishing(regions, image) is None
    regions, image = rendered(camera, COLUMNS)
    assert vertical_vanishing(regions, image, skip=[True] * len(regions)) is None


def test_straight_run_rejects_arcs_and_finds_the_straight_part():
    y = np.arange(40, dtype=float)
    line = 10.0 + 0.08 * y
    assert straight_run(y, line) == (0, 40)
    circle = 30.0 - np.sqrt(np.maximum(20.0 ** 2 - (y - 20.0) ** 2, 0.0))  # a sphere's side
    assert straight_run(y, circle) is None
    # a straight side between two curved ends (a cylinder's outline): the run is inside it
    bent = line.copy()
    bent[:8] += 0.15 * (8 - y[:8]) ** 2
    run = straight_run(y, bent)
    assert run is not None and run[0] >= 5 and run[1] == 40
    assert straight_run(y[:5], line[:5]) is None


def test_lens_from_vertical_and_bounds():
    k = 500.0
    assert lens_from_vertical(k, 45.0, SIZE) == pytest.approx(k * 36.0 / 256.0)
    lo, hi = vertical_pitch_bounds(k, SIZE)
    assert lens_from_vertical(k, lo, SIZE) >= LENS_BOUNDS[0] - 1e-6
    assert lens_from_vertical(k, hi, SIZE) <= LENS_BOUNDS[1] + 1e-6


def test_grid_search_finds_the_peak_and_survives_an_empty_range():
    """The scan along the curve (`vision.camera._grid_search`): a parabola's vertex found to
    well under the scan's step, within the call budget; an interval of one point is scored once."""
    calls = []

    def f(x: float) -> float:
        calls.append(x)
        return -(x - 33.3) ** 2

    assert _grid_search(f, 10.0, 65.0, 20, start=27.0) == pytest.approx(33.3, abs=0.05)
    assert len(calls) <= 20
    assert calls[0] == pytest.approx(min(np.linspace(10.0, 65.0, 17), key=lambda x: abs(x - 27.0)))
    calls.clear()
    assert _grid_search(f, 40.0, 40.0, 20) == 40.0 and len(calls) == 1


def test_estimate_camera_follows_the_vanishing_curve():
    """With `vertical`, the search is over the pitch alone and the lens follows f = K tan(p)."""
    k = 520.0

    def score(camera: A.Camera) -> float:
        p = camera_parameters(camera)
        return 1.0 - ((p.pitch - 34.0) / 10.0) ** 2

    est = estimate_camera(score, SIZE, vertical=(k, 0.05), max_evals=25)
    assert est.pitch == pytest.approx(34.0, abs=0.3)
    assert est.lens == pytest.approx(lens_from_vertical(k, est.pitch, SIZE), rel=0.01)
    assert all(f == pytest.approx(lens_from_vertical(k, p, SIZE), rel=0.01)
               for p, f, _ in est.evaluations)
    assert 0.05 <= est.lens_sd < 0.2


def test_draft_vertical_evidence_sets_the_lens_on_the_curve():
    """`camera_fit.vertical_evidence` reads K from the regions fitted as cylinders or boxes only
    (spheres' regions skipped), and `camera_fit.camera_with_lens` puts the start camera on the curve
    f = K tan(pitch): at the true pitch that is the true lens, far from the prior's 45 mm."""
    pitch, lens = 27.0, 34.0
    truth = gauge_camera(pitch, lens, resolution=SIZE)
    objects = COLUMNS + (Guess("sphere", (0.5,), 0.0, 0.0),)
    regions, image = rendered(truth, objects)
    linear = srgb_to_linear(np.asarray(image, np.float32))
    evidence = F.vertical_evidence(regions, linear, list(objects),
                                   list(range(len(regions))))
    assert evidence is not None
    k, sd = evidence
    assert k == pytest.approx(focal_pixels(lens, SIZE) / math.tan(math.radians(pitch)), rel=0.1)
    assert sd <= F.VERTICAL_MAX_SD
    start = gauge_camera(pitch, 45.0, resolution=SIZE)
    on_curve = camera_parameters(F.camera_with_lens(start, k, SIZE))
    assert on_curve.pitch == pytest.approx(pitch, abs=0.05)
    assert on_curve.lens == pytest.approx(lens, rel=0.1)
    # every region called a sphere: no evidence
    spheres = [Guess("sphere", (0.5,), 0.0, 0.0)] * len(regions)
    assert F.vertical_evidence(regions, linear, spheres, list(range(len(regions)))) is None


@pytest.mark.slow
def test_draft_camera_recovers_the_lens_along_the_vanishing_curve():
    """The draft's camera step with the vanishing point: from the prior's 27 degrees and 45 mm,
    a camera looking 35 degrees down through a 36 mm lens is recovered within 1.5 degrees and
    5% of the lens (the silhouettes alone leave the lens to within about 25%,
    tests/stages/test_draft_camera.py)."""
    truth = gauge_camera(35.0, 36.0, resolution=SIZE)
    objects = COLUMNS + (Guess("box", (0.8, 0.6, 0.9), 0.3, 0.2, yaw=20.0),)
    regions, image = rendered(truth, objects)
    image = np.asarray(image, np.float32)
    analysis = D.Analysis(target=image, linear=srgb_to_linear(image),
                          seg=segment_objects(image), regions=regions, size=SIZE)
    start = D.initial_camera(gauge_camera(26.1, 50.0, resolution=SIZE))
    guesses, index, _ = D.fit_regions(analysis, start, max_evals=60)
    assert F.vertical_evidence(regions, analysis.linear, guesses, index) is not None
    camera, refitted, _ = D.draft_camera(analysis, start, guesses, index)
    p = camera_parameters(camera)
    assert p.pitch == pytest.approx(35.0, abs=1.5)
    assert p.lens == pytest.approx(36.0, rel=0.05)
    assert len(refitted) == len(guesses)
