"""The draft's camera step without a horizon or a vertical vanishing point: a search for the
pitch only, the lens held (`vision.camera.estimate_camera(fixed_lens=...)`,
`offline.draft.draft_camera`), and no search at all from too little shape evidence.

Scenes are drawn by the preview renderer (crisp silhouettes, no Blender); the regions are the
preview's own object masks, so these tests check the camera step, not the segmentation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from camera_scenes import drafted

from scenelang.stages.proposers.offline import draft as D
from scenelang.stages.proposers.offline.camera_fit import (
    MIN_GAIN,
    MIN_SCORED,
    trusted,
    vertical_evidence,
)
from scenelang.stages.proposers.offline.fit import Guess
from scenelang.stages.vision.camera import (
    DEFAULT_DISTANCE,
    PRIOR_LENS,
    CameraEstimate,
    camera_parameters,
    estimate_camera,
    gauge_camera,
    to_gauge,
)

SIZE = (160, 120)


def test_estimate_camera_with_a_fixed_lens_searches_the_pitch_only():
    """A known objective peaked at 34 degrees and 38 mm, searched with the lens held at 45 mm:
    the pitch's optimum at that lens (34 degrees: the objective is separable) within 0.5
    degrees, the lens exactly the one held, the pitch's half-width sqrt(3) degrees (where the
    score drops by `FLAT_TOLERANCE` = 0.003) and the lens's not measured (inf)."""
    def score(cam):
        p = camera_parameters(cam)
        return 1.0 - 0.001 * (p.pitch - 34.0) ** 2 - 0.05 * math.log2(p.lens / 38.0) ** 2

    est = estimate_camera(score, SIZE, start=(26.0, 45.0), max_evals=30, fixed_lens=45.0)
    assert est.pitch == pytest.approx(34.0, abs=0.5)
    assert est.lens == 45.0
    assert all(f == 45.0 for _, f, _ in est.evaluations)
    assert est.pitch_sd == pytest.approx(math.sqrt(3.0), rel=0.15)
    assert math.isinf(est.lens_sd)


def test_a_pitch_only_estimate_is_trusted_without_a_gain():
    evals = [(26.0, 45.0, 0.95)] * MIN_SCORED
    flat = CameraEstimate(gauge_camera(30.0, 45.0), 30.0, 45.0, DEFAULT_DISTANCE,
                          0.95 + MIN_GAIN / 4, evaluations=evals, start_score=0.95)
    assert not trusted(flat) and trusted(flat, gain=False)
    # still not from too few cameras (a search the safety net cut short) or on a bound
    assert not trusted(CameraEstimate(**{**flat.__dict__, "evaluations": evals[:3]}), gain=False)
    assert not trusted(CameraEstimate(**{**flat.__dict__, "pitch": 80.0}), gain=False)


CONES = (Guess("cone", (0.5, 1.1), 1.2, 1.0), Guess("cone", (0.45, 0.9), -1.4, -1.0),
         Guess("cone", (0.6, 1.2), -0.3, 1.9), Guess("sphere", (0.45,), 1.6, -1.3))
"""No straight vertical outlines (no box, no cylinder): no vanishing point is measured."""
SPHERES_AND_A_BOX = (Guess("sphere", (0.5,), 1.2, 1.0), Guess("sphere", (0.4,), -1.3, -0.9),
                     Guess("box", (1.0, 0.7, 0.8), 0.4, -1.6, yaw=25.0))


def _draft(objects, truth):
    """`objects` seen through `truth`, each fitted (its kind given) through the prior's camera."""
    return drafted(truth, objects, SIZE)


@pytest.mark.slow
def test_without_a_vanishing_point_the_draft_recovers_the_pitch_at_the_prior_lens():
    """Cones and a sphere seen 36 degrees down through the prior's 45 mm lens, from the
    prior's 27 degrees: the pitch within 2 degrees, the lens kept at the prior, every object
    within 0.4 m of its true place (gauge frame)."""
    truth = gauge_camera(36.0, PRIOR_LENS, resolution=SIZE)
    analysis, start, guesses, index = _draft(CONES, truth)
    assert vertical_evidence(analysis.regions, analysis.linear, guesses, index) is None
    camera, refitted, evals = D.draft_camera(analysis, start, guesses, index)
    p = camera_parameters(camera)
    assert evals > 0
    assert p.pitch == pytest.approx(36.0, abs=2.0)
    assert p.lens == pytest.approx(PRIOR_LENS, abs=0.01)
    true_centres = to_gauge(np.array([g.at() for g in CONES]), truth)
    found = np.array([g.at() for g in refitted])
    assert np.linalg.norm(found - true_centres, axis=1).max() < 0.4


def test_too_little_shape_evidence_runs_no_search():
    """Spheres and one box: fewer than `MIN_SHAPE_EVIDENCE` objects that see the pitch, so no
    camera is scored at all (evals 0) and the draft keeps its start camera and fits."""
    truth = gauge_camera(40.0, 32.0, resolution=SIZE)
    analysis, start, guesses, index = _draft(SPHERES_AND_A_BOX, truth)
    camera, kept, evals = D.draft_camera(analysis, start, guesses, index)
    assert evals == 0
    assert camera == start and kept == guesses
