"""A one-ball scene built by two patches and its target image, shared by the engine tests that
script a run at 48x36 px (tests/stages/test_engine_rounds.py, test_engine_patience.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from scenelang.backends.preview import render_preview
from scenelang.parser import parse_patch
from scenelang.patches import apply_patch
from scenelang.stages.engine.loop import starting_scene

GEOMETRY = """patch geometry {
  shape ground = plane(size=20)
  shape ball = sphere(radius=0.8)
}"""
COMPOSITION = """patch composition {
  camera camera at (7.36, -6.93, 4.96) look_at (0, 0, 0.5) resolution (48, 36)
  object ground_1 = ground
  object ball_1 = ball at (0, 0, 0.8)
}"""


def make_target(folder: Path) -> Path:
    """`folder`/target.png: the scene the two patches build, drawn by the numpy preview
    renderer (no Blender start)."""
    path = folder / "target.png"
    scene = starting_scene((48, 36))
    for text in (GEOMETRY, COMPOSITION):
        scene = apply_patch(scene, parse_patch(text))
    color = render_preview(scene, (48, 36)).color
    Image.fromarray((np.clip(color, 0, 1) * 255).round().astype(np.uint8)).save(path)
    return path
