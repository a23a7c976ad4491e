"""Which CSG operand each face of a boolean result comes from: per-operand material slots.

A shape whose parts carry `material NAME` clauses keeps one material slot per named material
(slot 0 is the object's own material). Blender's Boolean modifier keeps the slot index of every
face it takes from an operand; the preview and export recover the same thing geometrically:
each face of the result lies inside one face of some input primitive (a boolean only cuts faces,
it never moves them), so a face gets the slot of the first part, in source order, that has a
triangle containing its centroid (within a tolerance relative to the mesh size). Faces that
match no part (numerical noise) keep slot 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CHUNK = 512
"""Centroids tested at once (memory is CHUNK x triangles x 3 floats per array)."""
RELATIVE_TOLERANCE = 1e-5
"""Plane distance allowed, as a fraction of the result's bounding-box diagonal."""


def _on_any_triangle(points: np.ndarray, tris: np.ndarray, tol: float) -> np.ndarray:
    """For each point `(N, 3)`, whether it lies on one of the triangles `(T, 3, 3)`."""
    out = np.zeros(len(points), dtype=bool)
    if not len(tris) or not len(points):
        return out
    v0, e1, e2 = tris[:, 0], tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0]
    normal = np.cross(e1, e2)
    length = np.linalg.norm(normal, axis=1)
    keep = length > 1e-18
    v0, e1, e2, normal = v0[keep], e1[keep], e2[keep], normal[keep] / length[keep, None]
    d00, d01, d11 = (e1 * e1).sum(1), (e1 * e2).sum(1), (e2 * e2).sum(1)
    denom = d00 * d11 - d01 * d01
    eps = 1e-6
    for start in range(0, len(points), CHUNK):
        w = points[start:start + CHUNK, None, :] - v0[None]
        near = np.abs((w * normal[None]).sum(2)) <= tol
        d20, d21 = (w * e1[None]).sum(2), (w * e2[None]).sum(2)
        u = (d11 * d20 - d01 * d21) / denom
        v = (d00 * d21 - d01 * d20) / denom
        out[start:start + CHUNK] = (near & (u >= -eps) & (v >= -eps) & (u + v <= 1 + eps)).any(1)
    return out


def face_slots(vertices: np.ndarray, faces: np.ndarray,
               parts: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """The material slot of every face `(F,)` of a mesh, from its `parts`: `(triangles (T, 3, 3),
    slot)` for each input primitive in source order, in the mesh's own coordinates."""
    slots = np.zeros(len(faces), dtype=np.int32)
    if not len(faces) or not any(slot for _, slot in parts):
        return slots
    tris = np.asarray(vertices, dtype=np.float64)[np.asarray(faces)]
    centroids = tris.mean(axis=1)
    tol = RELATIVE_TOLERANCE * max(float(np.linalg.norm(np.ptp(tris.reshape(-1, 3), axis=0))), 1e-9)
    open_faces = np.ones(len(faces), dtype=bool)
    for part_tris, slot in parts:
        index = np.flatnonzero(open_faces)
        if not len(index):
            break
        hit = index[_on_any_triangle(centroids[index], np.asarray(part_tris, dtype=np.float64), tol)]
        slots[hit] = slot
        open_faces[hit] = False
    return slots
