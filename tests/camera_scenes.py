"""A scene of four objects on a ground plane seen through a given camera, shared by the camera
estimation tests (tests/stages/test_camera_estimation.py, test_draft_camera.py, test_vanishing.py)."""

from __future__ import annotations

from scenelang import ast as A
from scenelang.stages.proposers.offline.fit import Guess

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
