"""A scene of four objects on a ground plane seen through a given camera, shared by the camera
estimation tests (tests/stages/test_camera_estimation.py, test_draft_camera.py, test_vanishing.py,
test_pitch_blind.py, test_pitch_only_camera.py)."""

from __future__ import annotations

import numpy as np

from scenelang import ast as A
from scenelang.backends.preview import render_preview
from scenelang.stages.proposers.offline import draft as D
from scenelang.stages.proposers.offline.fit import Guess, fit_single
from scenelang.stages.vision.camera import gauge_camera
from scenelang.stages.vision.segment import segment_objects, srgb_to_linear

OBJECTS = (Guess("cylinder", (0.5, 1.0), 1.3, 1.2), Guess("box", (1.0, 0.7, 0.8), -0.6, -1.9, yaw=25.0),
           Guess("sphere", (0.45,), 1.7, -1.2), Guess("cylinder", (0.35, 0.6), -1.75, 0.8))
"""Spread across the view of the default azimuth, none hiding another."""


def camera_scene(camera: A.Camera, objects: tuple[Guess, ...] = OBJECTS) -> A.Scene:
    """`objects` (default `OBJECTS`) on a 1000 m ground plane, seen through `camera`."""
    shapes = [A.ShapeDef(name="ground", shape=A.Plane(size=1000.0))]
    objs: list = [camera, A.ObjectDef(name="ground", shape="ground")]
    for i, g in enumerate(objects, 1):
        shapes.append(A.ShapeDef(name=f"s{i}", shape=g.shape()))
        objs.append(A.ObjectDef(name=f"o{i}", shape=f"s{i}", at=g.at(), rotate=(0.0, 0.0, g.yaw)))
    return A.Scene(geometry=A.Section(name="geometry", statements=tuple(shapes)),
                   composition=A.Section(name="composition", statements=tuple(objs)))


def drafted(truth: A.Camera, objects: tuple[Guess, ...], size: tuple[int, int]):
    """`objects` drawn by the preview through `truth` at `size`, each fitted (its kind given)
    through the prior's camera (`draft.initial_camera`), as the draft's camera step receives
    them: (analysis, start camera, guesses, region indices). The regions are the preview's
    own object masks."""
    pv = render_preview(camera_scene(truth, objects), size)
    regions = [pv.object_id == pv.object_names.index(f"o{i}") for i in range(1, len(objects) + 1)]
    image = np.asarray(pv.color, np.float32)
    analysis = D.Analysis(target=image, linear=srgb_to_linear(image),
                          seg=segment_objects(image), regions=regions, size=size)
    start = D.initial_camera(gauge_camera(26.1, 50.0, resolution=size))
    everything = np.any(regions, axis=0)
    guesses = [fit_single(g.kind, m, ~(everything & ~m), start, size, max_evals=60)[0]
               for g, m in zip(objects, regions)]
    return analysis, start, guesses, list(range(len(objects)))
