"""Recognising primitives from mesh data: which builder made these vertices, with what values.

`recognise(vertices, faces)` returns a `Fit` (the primitive's kind, its parameters and the 4x4
matrix that places the canonical primitive onto the mesh) or a `NoFit` with the reason. It
works from the mesh alone, so a mesh built by scenelang's compiler (`compiler/runtime/
primitives.py`, possibly with a shape's transform baked in) and one made by hand with Blender's
Add > Mesh operators are recognised alike:

1. candidates from the vertex (and face) counts: 8 vertices a box, 4 a plane, `v + 1` a cone,
   `2v` a cylinder or frustum, `S * (R - 1) + 2` a UV sphere, `M * m` a torus;
2. the *ordered* fit: the canonical primitive built by the same builder, vertex for vertex (in
   the builder's order, or Blender's own order for the UV sphere), and the affine map from it to
   the mesh by least squares; ratios that are not linear (a frustum's top radius, a torus's tube)
   come from affine-invariant ratios first; the map must be a rotation times a per-axis scale
   (no shear) and fit every vertex within `TOLERANCE` of the mesh's size;
3. the *unordered* fit for a mesh in the primitive's own pose (any vertex order, e.g. a glTF
   mesh whose vertices were split and merged again): sizes from the extents, then every vertex
   must have a partner within the tolerance, both ways.

The faces must be the builder's faces (ordered fit) or have the same count of triangles
(unordered fit). Units are the mesh's (metres). Pure numpy/scipy: no Blender here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from scenelang.compiler.runtime.primitives import PRIMITIVES
from scenelang.validate import Limits

TOLERANCE = 1e-4
"""Largest vertex error allowed, as a fraction of the mesh's bounding-box diagonal."""
MAX_SEGMENTS = Limits().max_segments


@dataclass(frozen=True)
class Fit:
    """A recognised primitive: `matrix @ builder(**params)` gives the mesh's vertices."""

    kind: str
    params: dict
    matrix: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class NoFit:
    reason: str


def _build(kind: str, params: dict) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    vertices, faces = PRIMITIVES[kind](**params)
    return np.asarray(vertices, dtype=float), faces


def _candidates(n: int, face_count: int | None) -> list[tuple[str, dict]]:
    """(kind, topology parameters) whose vertex count is `n`."""
    out: list[tuple[str, dict]] = []
    if n == 8:
        out.append(("box", {}))
    if n == 4:
        out.append(("plane", {}))
    if n - 1 >= 3:
        out.append(("cone", {"vertices": n - 1}))
    if n % 2 == 0 and n // 2 >= 3:
        out.append(("cylinder", {"vertices": n // 2}))
    for rings in range(2, min(n, MAX_SEGMENTS + 1)):
        if (n - 2) % (rings - 1) == 0:
            segments = (n - 2) // (rings - 1)
            if segments < 3:
                break
            if face_count is None or face_count == segments * rings:
                out.append(("sphere", {"segments": segments, "rings": rings}))
    for minor in range(3, int(math.isqrt(n)) + 1):
        if n % minor == 0:
            out.append(("torus", {"major_segments": n // minor, "minor_segments": minor}))
            if n // minor != minor:
                out.append(("torus", {"major_segments": minor, "minor_segments": n // minor}))
    return out


def _sphere_blender_order(segments: int, rings: int) -> np.ndarray:
    """Indices into the builder's sphere, in the order Blender's UV sphere operator adds them
    (top pole, column 0 from top to bottom, bottom pole, then the other columns)."""
    bottom = 1 + (rings - 1) * segments
    column = lambda k: [1 + (i - 1) * segments + k for i in range(1, rings)]
    order = [0, *column(0), bottom]
    for k in range(1, segments):
        order += column(k)
    return np.array(order)


def _affine(canonical: np.ndarray, mesh: np.ndarray, planar: bool) -> tuple[np.ndarray, np.ndarray]:
    """A (3x3) and t with mesh ~ canonical @ A.T + t (least squares)."""
    design = np.hstack([canonical, np.ones((len(canonical), 1))])
    solution, *_ = np.linalg.lstsq(design, mesh, rcond=None)
    a, t = solution[:3].T, solution[3]
    if planar:  # the canonical z column is all zero: the normal gets unit length
        normal = np.cross(a[:, 0], a[:, 1])
        a[:, 2] = normal / max(np.linalg.norm(normal), 1e-30)
    return a, t


def _ratio(moved: np.ndarray, reference: np.ndarray) -> float:
    """The scalar k with moved ~ k * reference (least squares)."""
    denom = float((reference * reference).sum())
    return float((moved * reference).sum()) / denom if denom > 0 else 0.0


def _rotation_scale(a: np.ndarray, mirror_axis: int) -> tuple[np.ndarray, np.ndarray] | None:
    """a = R @ diag(s) with R a rotation and s > 0, or None when a has shear. A mirror (det < 0)
    is absorbed by flipping `mirror_axis`, a symmetry of the primitive's vertex set."""
    s = np.linalg.norm(a, axis=0)
    if np.any(s <= 0):
        return None
    r = a / s
    if np.abs(r.T @ r - np.eye(3)).max() > 1e-4:
        return None
    if np.linalg.det(r) < 0:
        r = r.copy()
        r[:, mirror_axis] *= -1
    return r, s


def _scale_params(kind: str, topology: dict, s: np.ndarray, extra: float) -> tuple[dict, np.ndarray]:
    """Primitive parameters that absorb the per-axis scale `s`, and the scale left over."""
    sx, sy, sz = (float(v) for v in s)
    if kind == "box":
        return {"size": (sx, sy, sz)}, np.ones(3)
    if kind == "plane":
        return {"size": sx}, np.array([1.0, sy / sx, 1.0])
    if kind == "sphere":
        return {"radius": sx, **topology}, np.array([1.0, sy / sx, sz / sx])
    if kind == "cylinder":
        return {"radius": sx, "depth": sz, **topology}, np.array([1.0, sy / sx, 1.0])
    if kind == "cone":
        return ({"radius": sx, "depth": sz, "top_radius": extra * sx, **topology},
                np.array([1.0, sy / sx, 1.0]))
    return ({"major_radius": sx, "minor_radius": extra * sx, **topology},
            np.array([1.0, sy / sx, sz / sx]))


def _unit_params(kind: str, topology: dict, extra: float) -> dict:
    unit = {"box": {"size": (1.0, 1.0, 1.0)}, "plane": {"size": 1.0},
            "sphere": {"radius": 1.0}, "cylinder": {"radius": 1.0, "depth": 1.0},
            "cone": {"radius": 1.0, "depth": 1.0, "top_radius": extra},
            "torus": {"major_radius": 1.0, "minor_radius": extra}}[kind]
    return {**unit, **topology}


def _extra_ratio(kind: str, topology: dict, v: np.ndarray) -> float:
    """The non-linear ratio of a frustum (top / base radius; 1 for a cylinder) or a torus (tube /
    ring radius), from the mesh alone (affine-invariant), assuming the builder's vertex order;
    0 for the other kinds."""
    if kind == "cylinder":
        base, top = v[0::2], v[1::2]
        return _ratio(top - top.mean(0), base - base.mean(0))
    if kind == "torus":
        major, minor = topology["major_segments"], topology["minor_segments"]
        rings = v.reshape(major, minor, 3)
        centres = rings.mean(1)
        middle = centres.mean(0)
        return _ratio(rings[:, 0] - centres, centres - middle)
    return 0.0


def _faces_match(expected: list[tuple[int, ...]], faces: list[list[int]] | None,
                 order: np.ndarray | None, triangulated: bool) -> bool:
    if faces is None:
        return True
    if triangulated:
        return sum(len(f) - 2 for f in expected) == sum(len(f) - 2 for f in faces)
    if order is not None:  # the mesh's vertex i is the builder's order[i]
        faces = [[int(order[i]) for i in f] for f in faces]
    return {frozenset(f) for f in expected} == {frozenset(f) for f in faces}


def _within_limits(topology: dict) -> bool:
    return all(value <= MAX_SEGMENTS for value in topology.values())


def _ordered(kind: str, topology: dict, v: np.ndarray, faces, tolerance: float,
             triangulated: bool) -> Fit | None:
    """The vertex-for-vertex fit (see the module docstring), or None."""
    orders: list[np.ndarray | None] = [None]
    if kind == "sphere":
        orders.append(_sphere_blender_order(topology["segments"], topology["rings"]))
    for order in orders:
        mesh = v if order is None else v[np.argsort(order)]  # back into the builder's order
        extra = _extra_ratio(kind, topology, mesh)
        if not math.isfinite(extra) or (kind in ("cylinder", "torus") and extra <= 0):
            continue
        if kind == "cylinder" and abs(extra - 1.0) > 1e-5:
            kind_found, params = "cone", _unit_params("cone", topology, extra)  # a frustum
        else:
            kind_found, params = kind, _unit_params(kind, topology, extra)
        canonical, expected = _build(kind_found, params)
        if canonical.shape != mesh.shape:
            continue
        a, t = _affine(canonical, mesh, planar=kind_found == "plane")
        if np.abs(canonical @ a.T + t - mesh).max() > tolerance:
            continue
        if not _faces_match(expected, faces, order, triangulated):
            continue
        split = _rotation_scale(a, 1 if kind_found == "torus" else 0)
        if split is None:
            continue
        rotation, scale = split
        final, left = _scale_params(kind_found, topology, scale, extra)
        matrix = np.eye(4)
        matrix[:3, :3] = rotation * left
        matrix[:3, 3] = t
        return Fit(kind_found, final, matrix)
    return None


def _unordered(kind: str, topology: dict, v: np.ndarray, faces, tolerance: float) -> Fit | None:
    """The primitive in its own pose (axis-aligned, centred), vertices in any order."""
    low, high = v.min(0), v.max(0)
    centre = np.array([v[:, 0].mean(), v[:, 1].mean(), (low[2] + high[2]) / 2])
    if kind in ("box", "plane"):
        centre = (low + high) / 2
    local = v - centre
    extent = high - low
    radial = np.hypot(local[:, 0], local[:, 1])
    if kind == "box":
        params = {"size": tuple(float(e) for e in extent)}
    elif kind == "plane":
        params = {"size": float(extent[0])}
    elif kind == "sphere":
        params = {"radius": float(np.linalg.norm(local, axis=1).max()), **topology}
    elif kind == "cylinder":
        base = radial[local[:, 2] < 0].max(initial=0.0)
        top = radial[local[:, 2] > 0].max(initial=0.0)
        if abs(base - top) <= tolerance:
            params = {"radius": float(base), "depth": float(extent[2]), **topology}
        else:
            kind = "cone"
            params = {"radius": float(base), "depth": float(extent[2]), "top_radius": float(top),
                      **topology}
    elif kind == "cone":
        params = {"radius": float(radial.max()), "depth": float(extent[2]), "top_radius": 0.0,
                  **topology}
    else:
        minor_n = topology["minor_segments"]
        peak = max(math.sin(2 * math.pi * j / minor_n) for j in range(minor_n))
        minor = float(high[2] - centre[2]) / peak
        params = {"major_radius": float(radial.max()) - minor, "minor_radius": minor, **topology}
    sizes = [x for key, x in params.items() if key != "top_radius" and isinstance(x, float)]
    if min(sizes + list(params.get("size", ()) if kind == "box" else [])) <= 0:
        return None
    canonical, expected = _build(kind, params)
    if canonical.shape != v.shape:
        return None
    if faces is not None and (sum(len(f) - 2 for f in expected) != sum(len(f) - 2 for f in faces)):
        return None
    there, _ = cKDTree(local).query(canonical)
    back, _ = cKDTree(canonical).query(local)
    if max(there.max(), back.max()) > tolerance:
        return None
    matrix = np.eye(4)
    matrix[:3, 3] = centre
    return Fit(kind, params, matrix)


def recognise(vertices, faces=None, *, triangulated: bool = False) -> Fit | NoFit:
    """The primitive these vertices (and faces: vertex-index lists, or None) are, or why not.

    triangulated: the faces were split into triangles (glTF), so only their count is compared
    and the fit in the mesh's own pose is tried before the vertex-for-vertex one.
    """
    v = np.asarray(vertices, dtype=float).reshape(-1, 3)
    if len(v) == 0:
        return NoFit("the mesh is empty")
    if not np.isfinite(v).all():
        return NoFit("the mesh has non-finite coordinates")
    size = float(np.linalg.norm(v.max(0) - v.min(0)))
    if size <= 0:
        return NoFit("the mesh has no extent")
    tolerance = TOLERANCE * size
    face_count = None if faces is None or triangulated else len(faces)
    candidates = _candidates(len(v), face_count)
    over = [c for c in candidates if not _within_limits(c[1])]
    candidates = [c for c in candidates if _within_limits(c[1])]
    ordered = [lambda kind, topology: _ordered(kind, topology, v, faces, tolerance, triangulated)]
    unordered = [lambda kind, topology: _unordered(kind, topology, v, faces, tolerance)]
    # a triangulated (glTF) mesh's vertex order says nothing: its own pose first
    for attempt in (unordered + ordered) if triangulated else (ordered + unordered):
        for kind, topology in candidates:
            fit = attempt(kind, topology)
            if fit is not None:
                return fit
    if over and not candidates:
        return NoFit(f"its resolution is over the language's limit of {MAX_SEGMENTS} segments")
    return NoFit(f"its {len(v)} vertices match no primitive (box, plane, sphere, cylinder, cone, "
                 "torus)")
