"""3D placement measures: where the reconstructed objects are, compared with the truth.

One image fixes the layout of a scene relative to its camera, but not three things about the
world frame: where the origin is on the ground, which way the x axis points (a turn about the
vertical), and the overall scale (a scene twice as large, seen from twice as far, gives the same
image). Reconstructions choose them by convention (the default camera's azimuth and distance,
looking at the origin), so two frames of reference are measured:

- **world** (`frame="world"`): positions as written in the `.sl` files, no alignment. Meaningful
  when the truth follows the same convention (CLEVR: the camera tracks the origin from about the
  default place), and the frame the CLEVR literature reports;
- **camera-aligned** (`frame="aligned"`, the headline of the project's own tiers): the
  reconstruction is carried onto the truth by the one similarity transform that only those three
  gauge freedoms allow: a uniform scale `s = true camera height / estimated camera height`
  (both above the ground plane z = 0), a turn about z that gives both cameras the same azimuth,
  and a ground-plane shift that puts the estimated camera over the true one. The camera's pitch,
  roll and focal length are *not* aligned, so errors in them still count.

Objects are matched by the Hungarian assignment on centre distance (ground planes excluded);
unmatched objects count only in the count error. Units: metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from scenelang import ast as A
from scenelang.backends.camera import camera_rotation

WITHIN = (0.5, 0.25)
"""Distance thresholds (m) of the `within_*` shares."""


@dataclass(frozen=True)
class Similarity:
    """`p -> scale * R_z(turn) @ (p - pivot) + target` on points; the ground plane z = 0 stays put
    (pivot and target have z = 0)."""

    scale: float
    turn_deg: float
    pivot: tuple[float, float, float]
    target: tuple[float, float, float]

    def apply(self, points: np.ndarray) -> np.ndarray:
        c, s = math.cos(math.radians(self.turn_deg)), math.sin(math.radians(self.turn_deg))
        rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        p = np.asarray(points, float).reshape(-1, 3) - np.asarray(self.pivot)
        return self.scale * p @ rot.T + np.asarray(self.target)


def camera_azimuth(camera: A.Camera) -> float:
    """Azimuth (degrees, from +x towards +y) of the camera's viewing direction on the ground."""
    forward = -camera_rotation(camera)[:, 2]
    return math.degrees(math.atan2(forward[1], forward[0]))


def gauge_alignment(estimated: A.Camera, true: A.Camera) -> Similarity:
    """The similarity that carries the reconstruction's frame onto the truth's (module doc).

    A camera at or below the ground gives scale 1 (no meaningful height to compare)."""
    h_est, h_true = float(estimated.at[2]), float(true.at[2])
    scale = h_true / h_est if h_est > 1e-6 and h_true > 1e-6 else 1.0
    turn = camera_azimuth(true) - camera_azimuth(estimated)
    return Similarity(scale=scale, turn_deg=turn,
                      pivot=(float(estimated.at[0]), float(estimated.at[1]), 0.0),
                      target=(float(true.at[0]), float(true.at[1]), 0.0))


def aligned_scene(recon: A.Scene, truth_camera: A.Camera) -> A.Scene:
    """`recon` with every object carried by `gauge_alignment` onto the truth's frame, and the
    truth's camera: drawn through it, it shows the layout errors the image can reveal."""
    sim = gauge_alignment(recon.camera(), truth_camera)
    statements: list[A.Statement] = [truth_camera]
    for st in recon.composition.statements:
        if isinstance(st, A.Camera):
            continue
        if isinstance(st, A.ObjectDef):
            at = tuple(round(float(v), 6) for v in sim.apply(np.asarray(st.at))[0])
            rotate = (st.rotate[0], st.rotate[1], st.rotate[2] + sim.turn_deg)
            scale = st.scale
            if isinstance(scale, (int, float)):
                scale = float(scale) * sim.scale
            else:
                scale = tuple(float(v) * sim.scale for v in scale)
            st = st.model_copy(update={"at": at, "rotate": rotate, "scale": scale})
        statements.append(st)
    return recon.with_section(A.Section(name="composition", statements=tuple(statements)))


def object_centres(scene: A.Scene) -> list[A.ObjectDef]:
    """The scene's objects that are not ground planes (shape a bare `plane`)."""
    shapes = scene.shapes()
    out = []
    for o in scene.objects():
        shape = shapes.get(o.shape)
        if shape is not None and isinstance(shape.shape, A.Plane):
            continue
        out.append(o)
    return out


def match(truth: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hungarian matching of (N, 3) true and (M, 3) predicted centres: (rows, cols, distances)."""
    if len(truth) == 0 or len(pred) == 0:
        empty = np.zeros(0, int)
        return empty, empty, np.zeros(0)
    dist = np.linalg.norm(truth[:, None, :] - pred[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(dist)
    return rows, cols, dist[rows, cols]


def placement(truth: A.Scene, recon: A.Scene, frame: str = "aligned") -> dict[str, float]:
    """Mean matched centre distance (`position_error`) and the share of TRUE objects whose match
    lies within each of `WITHIN` (`within_0.5`, `within_0.25`; an unmatched object counts as
    not within), in `frame` "world" or "aligned" (module docstring)."""
    if frame not in ("world", "aligned"):
        raise ValueError(f"frame must be world or aligned, got {frame!r}")
    if frame == "aligned":
        recon = aligned_scene(recon, truth.camera())
    t = np.array([o.at for o in object_centres(truth)], float).reshape(-1, 3)
    r = np.array([o.at for o in object_centres(recon)], float).reshape(-1, 3)
    _, _, dist = match(t, r)
    out = {"position_error": float(dist.mean()) if len(dist) else math.nan}
    for limit in WITHIN:
        out[f"within_{limit}"] = float(np.count_nonzero(dist <= limit) / len(t)) if len(t) else math.nan
    return out
