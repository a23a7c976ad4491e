"""The view shared by the split-hypothesis tests (tests/stages/test_split.py,
test_split_pieces.py): the draft's prior camera at the engine's 256 x 192 loop size."""

from __future__ import annotations

import numpy as np

from scenelang.stages.vision.camera import PRIOR_LENS, PRIOR_PITCH, gauge_camera

SIZE = (256, 192)
CAMERA = gauge_camera(PRIOR_PITCH, PRIOR_LENS, resolution=SIZE)


def lateral() -> np.ndarray:
    """Unit ground direction across the view (perpendicular to camera -> origin)."""
    d = -np.asarray(CAMERA.at[:2], float)
    d /= np.linalg.norm(d)
    return np.array([-d[1], d[0]])
