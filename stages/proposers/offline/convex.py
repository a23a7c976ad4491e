"""Fast silhouette IoU for convex primitives: projection, outline points and row-span IoU.

A convex solid's silhouette is the convex hull of its projected outline points, so its IoU with
a target mask can be computed from the hull's row spans and per-row prefix sums of the target
(`Window`), without rasterising a mask: about ten times cheaper than `fit.silhouette` +
`fit.masked_iou`, and equal to them (pixel centres decide inside). `View` projects world points
through a camera; `outline_points` gives the points whose hull is a guess's silhouette (for a
sphere the exact tangent circle). Used by the primitive fits (`fit.fit_single`) and the camera
search (`camera_fit`). Units: metres, pixels (u from the left, v from the top).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from scenelang import ast as A
from scenelang.backends.camera import camera_pose, focal_length_pixels

if TYPE_CHECKING:
    from scenelang.stages.proposers.offline.fit import Guess


class Window:
    """A target mask prepared for fast IoU with convex silhouettes: per-row prefix sums of
    `mask & care` and of `care`, so that the IoU of a convex polygon is computed from its row
    spans alone (no rasterisation). Pixel centres decide inside, as in `fit.hull_mask`."""

    def __init__(self, mask: np.ndarray, care: np.ndarray):
        h, w = mask.shape
        self.shape = (h, w)
        tc = (mask & care).astype(np.int32)
        self.target = np.zeros((h, w + 1), np.int32)
        self.target[:, 1:] = np.cumsum(tc, axis=1)
        self.care = np.zeros((h, w + 1), np.int32)
        self.care[:, 1:] = np.cumsum(care.astype(np.int32), axis=1)
        self.total = int(tc.sum())

    def iou(self, points: np.ndarray) -> float:
        """Masked IoU of the convex hull of pixel points `(N, 2)` (u, v) with the target."""
        h, w = self.shape
        if len(points) < 3 or not np.all(np.isfinite(points)):
            return 0.0
        try:
            hull = points[ConvexHull(points).vertices]
        except QhullError:
            return 0.0
        a, b = hull, np.roll(hull, -1, axis=0)
        if np.sum(a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]) < 0:  # make it counter-clockwise
            hull = hull[::-1]
            a, b = hull, np.roll(hull, -1, axis=0)
        r0 = max(0, math.ceil(hull[:, 1].min() - 0.5))
        r1 = min(h - 1, math.floor(hull[:, 1].max() - 0.5))
        if r1 < r0:
            return 0.0
        rows = np.arange(r0, r1 + 1)
        qy = rows[:, None] + 0.5
        dx, dy = (b - a)[:, 0], (b - a)[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = a[:, 0] + dx * (qy - a[:, 1]) / dy
        right = np.min(np.where(dy > 0, bound, np.inf), axis=1)
        left = np.max(np.where(dy < 0, bound, -np.inf), axis=1)
        flat_ok = np.all(np.where(dy == 0, dx * (qy - a[:, 1]) >= 0, True), axis=1)
        jl = np.clip(np.ceil(left - 0.5), 0, w).astype(int)
        jr = np.clip(np.floor(right - 0.5) + 1, 0, w).astype(int)
        jr = np.where(flat_ok & (jr > jl), jr, jl)
        inter = int(np.sum(self.target[rows, jr] - self.target[rows, jl]))
        pred = int(np.sum(self.care[rows, jr] - self.care[rows, jl]))
        union = pred + self.total - inter
        return inter / union if union else 0.0


class View:
    """A camera's projection at `size`, computed once: `project(points) -> (N, 2)` pixels
    (NaN behind or within 0.1 m of the camera plane)."""

    def __init__(self, camera: A.Camera, size: tuple[int, int]):
        pose = camera_pose(camera)
        self.rot, self.origin = pose[:3, :3], pose[:3, 3]
        self.f = focal_length_pixels(camera, size)
        self.w, self.h = size

    def project(self, points: np.ndarray) -> np.ndarray:
        cam = (points - self.origin) @ self.rot
        depth = -cam[:, 2]
        if np.any(depth <= 0.1):
            return np.full((len(points), 2), np.nan)
        return np.stack([self.w / 2 + self.f * cam[:, 0] / depth,
                         self.h / 2 - self.f * cam[:, 1] / depth], axis=1)


_CIRCLE = np.stack([np.cos(np.linspace(0, 2 * np.pi, 32, endpoint=False)),
                    np.sin(np.linspace(0, 2 * np.pi, 32, endpoint=False))], axis=1)


def outline_points(g: Guess, view: View) -> np.ndarray:
    """World points whose projections' convex hull is `g`'s silhouette: for a sphere the 32
    points of the circle where the rays from the camera touch it (exact, and cheaper than its
    mesh), else the mesh vertices."""
    if g.kind != "sphere":
        return g.world_vertices()
    centre, r = np.asarray(g.at(), float), g.dims[0]
    axis = centre - view.origin
    d = float(np.linalg.norm(axis))
    if d <= r * 1.001:
        return g.world_vertices()
    n = axis / d
    e1 = np.cross(n, [0.0, 0.0, 1.0])
    if np.linalg.norm(e1) < 1e-6:
        e1 = np.cross(n, [1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(n, e1)
    ring = r * math.sqrt(1 - (r / d) ** 2)
    return centre - n * (r * r / d) + ring * (_CIRCLE[:, :1] * e1 + _CIRCLE[:, 1:] * e2)
