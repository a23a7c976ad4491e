"""The draft's camera search does not trust what spheres say about the pitch
(`offline.camera_fit.PITCH_BLIND`, `MIN_SHAPE_EVIDENCE`).

A sphere resting on the ground looks the same from every camera height (its contact, size and
distance trade exactly), so a scene of spheres (or of spheres and a single box, whose own
proportions absorb a change of pitch) must leave the draft at its starting camera rather than
at whatever the search's noise prefers. Drawn by the preview renderer (crisp silhouettes, no
Blender); the regions are the preview's own object masks.
"""

from __future__ import annotations

import numpy as np
from camera_scenes import drafted

from scenelang.stages.proposers.offline import draft as D
from scenelang.stages.proposers.offline.camera_fit import evidence
from scenelang.stages.proposers.offline.fit import Guess
from scenelang.stages.vision.camera import gauge_camera

SIZE = (160, 120)
SPHERES = (Guess("sphere", (0.5,), 1.2, 1.0), Guess("sphere", (0.4,), -1.3, -0.9),
           Guess("sphere", (0.6,), -0.2, 1.9))
BOX = Guess("box", (1.0, 0.7, 0.8), 0.4, -1.6, yaw=25.0)


def _draft(objects: tuple[Guess, ...]):
    """The scene seen 40 degrees down through a 32 mm lens (far from the prior's 27 degrees
    and 45 mm), each object fitted (its kind given) through the prior's camera."""
    return drafted(gauge_camera(40.0, 32.0, resolution=SIZE), objects, SIZE)


def test_spheres_are_no_evidence_for_the_pitch():
    analysis, start, guesses, index = _draft(SPHERES + (BOX,))
    masks = [analysis.regions[i] for i in index]
    cares = [np.ones(SIZE[::-1], bool)] * len(masks)
    every = evidence(guesses, masks, cares, start, SIZE)
    shaped = evidence(guesses, masks, cares, start, SIZE, skip_blind=True)
    assert set(shaped) < set(every)
    assert all(guesses[i].kind != "sphere" for i in shaped)
    # spheres and one box: the search is not trusted, the draft keeps its start camera
    camera, kept, _ = D.draft_camera(analysis, start, guesses, index)
    assert camera == start and kept == guesses


def test_a_scene_of_spheres_keeps_the_start_camera():
    analysis, start, guesses, index = _draft(SPHERES)
    camera, kept, evals = D.draft_camera(analysis, start, guesses, index)
    assert camera == start and kept == guesses and evals == 0
