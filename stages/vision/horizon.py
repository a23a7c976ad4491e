"""The ground/background boundary (the horizon when the ground reaches far enough).

Moved out of `vision.segment` (which re-exports `Horizon` and `estimate_horizon`); the
conventions are that module's: rows and columns in pixel-index units, row 0 at the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from scenelang.stages.metrics import ImageSource, load_image

if TYPE_CHECKING:
    from scenelang.stages.vision.segment import Segmentation


@dataclass(frozen=True)
class Horizon:
    """The ground/background boundary as a line: `row` at the image's centre column, `slope`
    in rows per column (0 = level), from `columns` columns with RMS `residual` (px)."""

    row: float
    slope: float
    columns: int
    residual: float
    center_col: float

    def row_at(self, col: float) -> float:
        """Row of the boundary at column `col`."""
        return self.row + self.slope * (col - self.center_col)

    @property
    def roll_deg(self) -> float:
        """Tilt of the line (positive = rising to the right in the image, i.e. camera roll)."""
        return float(-np.degrees(np.arctan(self.slope)))


def estimate_horizon(image: ImageSource, segmentation: Segmentation, min_share: float = 0.3) -> Horizon | None:
    """Fit the ground/background boundary: None when no background is visible, or when fewer
    than `min_share` of the columns show background directly above ground (objects hide the
    rest).

    In each usable column the boundary is located to a fraction of a pixel from the colours
    of the pixels around it (each pixel counts as the fraction of the way from the ground
    model to the world colour); a line is fitted with outliers (> 1.5 px) dropped. Rows are
    pixel-index coordinates. With a ground plane reaching far enough this is the horizon,
    the image of the camera's eye level.
    """
    img = load_image(image).astype(np.float64)
    if img.shape[:2] != segmentation.shape or segmentation.background_color is None:
        return None
    h, w = segmentation.shape
    background, labels = segmentation.background, segmentation.labels
    bg = np.asarray(segmentation.background_color)
    lowest = np.where(background.any(axis=0), h - 1 - np.argmax(background[::-1], axis=0), -1)
    cols, rows = [], []
    for c in range(w):
        r = lowest[c]
        top, bottom = r - 3, r + 4
        if r < 0 or top < 0 or bottom >= h:
            continue
        if np.any(labels[top : bottom + 1, c] >= 2) or not background[top : r + 1, c].all():
            continue
        span = np.linalg.norm(segmentation.ground_model[top : bottom + 1, c] - bg, axis=1)
        if np.any(span < 0.02):
            continue
        towards_ground = np.linalg.norm(img[top : bottom + 1, c] - bg, axis=1) / span
        cols.append(c)
        rows.append(top - 0.5 + float(np.sum(1.0 - np.clip(towards_ground, 0.0, 1.0))))
    if len(cols) < max(3, min_share * w):
        return None
    x, y = np.asarray(cols, float), np.asarray(rows)
    keep = np.ones(len(x), bool)
    center = (w - 1) / 2.0
    for _ in range(3):
        slope, intercept = np.polyfit(x[keep] - center, y[keep], 1)
        resid = y - (intercept + slope * (x - center))
        new_keep = np.abs(resid) <= 1.5
        if new_keep.sum() < max(3, min_share * w) or np.array_equal(new_keep, keep):
            break
        keep = new_keep
    rms = float(np.sqrt(np.mean(resid[keep] ** 2)))
    return Horizon(row=float(intercept), slope=float(slope), columns=int(keep.sum()), residual=rms, center_col=center)
