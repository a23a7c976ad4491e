"""Fitting primitives to object silhouettes: the geometric core of the offline proposer.

An object is modelled as a `Guess`: a primitive kind (box, sphere, cylinder, cone, torus) with
its dimensions, standing upright on the ground plane z = 0 at `(x, y)`, turned by `yaw` degrees
about the vertical axis. Its silhouette is computed through the scene camera with
`scenelang.backends.camera`: the convex hull of the projected mesh vertices for the convex kinds
(exact for a convex solid, about 1 ms), a rasterisation of the mesh for the torus. Fitting
maximises the intersection-over-union with a target mask by Nelder-Mead (scipy) on
`(x, y, log dims..., yaw)`; pixels of *other* objects are "don't care", so an object hidden
partly behind another is not shrunk to its visible part.

Units: metres and degrees; images are (H, W) bool masks at the engine's render size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from scipy.optimize import minimize
from scipy.spatial import ConvexHull, QhullError
from skimage.draw import polygon as draw_polygon

from scenelang import ast as A
from scenelang.backends.camera import (
    backproject_to_plane,
    camera_pose,
    focal_length_pixels,
    project,
    world_to_camera,
)
from scenelang.backends.meshes import cone_mesh, torus_mesh, uv_sphere_mesh
from scenelang.stages.proposers.offline.convex import View, Window, outline_points

KINDS = ("box", "sphere", "cylinder", "cone", "torus")
"""Primitive kinds the offline proposer fits."""

DIM_NAMES = {
    "box": ("size_x", "size_y", "size_z"),
    "sphere": ("radius",),
    "cylinder": ("radius", "depth"),
    "cone": ("radius", "depth"),
    "torus": ("major_radius", "minor_radius"),
}
"""What each entry of `Guess.dims` means, per kind (all metres)."""

MIN_DIM, MAX_DIM = 0.02, 50.0
"""Bounds on any fitted dimension (m)."""


@dataclass(frozen=True)
class Guess:
    """One upright primitive resting on the ground.

    `dims` per `DIM_NAMES[kind]`; `(x, y)` the ground position of its centre (m); `yaw` its
    rotation about z (degrees); `color` linear RGB base colour; `metallic`, `roughness` as in
    Principled BSDF. The object's centre is at height `height() / 2`.
    """

    kind: str
    dims: tuple[float, ...]
    x: float
    y: float
    yaw: float = 0.0
    color: tuple[float, float, float] = (0.8, 0.8, 0.8)
    metallic: float = 0.0
    roughness: float = 0.5
    z: float | None = None
    """Height of the centre (m); None: resting on the ground (`height() / 2`)."""

    def height(self) -> float:
        """Total height (m) of the primitive standing upright."""
        d = self.dims
        if self.kind == "box":
            return d[2]
        if self.kind == "sphere":
            return 2 * d[0]
        if self.kind == "torus":
            return 2 * d[1]
        return d[1]

    def at(self) -> tuple[float, float, float]:
        return (self.x, self.y, self.height() / 2 if self.z is None else self.z)

    def footprint(self) -> float:
        """Radius (m) of the object's footprint on the ground (half diagonal for a box)."""
        d = self.dims
        if self.kind == "box":
            return 0.5 * math.hypot(d[0], d[1])
        if self.kind == "torus":
            return d[0] + d[1]
        return d[0]

    def shape(self) -> A.ShapeBase:
        """The shape expression of this guess (rounded to millimetres)."""
        d = tuple(_round(v) for v in self.dims)
        if self.kind == "box":
            return A.Box(size=d)
        if self.kind == "sphere":
            return A.Sphere(radius=d[0])
        if self.kind == "cylinder":
            return A.Cylinder(radius=d[0], depth=d[1])
        if self.kind == "cone":
            return A.Cone(radius=d[0], depth=d[1])
        return A.Torus(major_radius=d[0], minor_radius=d[1])

    def world_vertices(self) -> np.ndarray:
        """Mesh vertices (N, 3) in world space."""
        local = _unit_vertices(self.kind, self.dims)
        c, s = math.cos(math.radians(self.yaw)), math.sin(math.radians(self.yaw))
        rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        return local @ rot.T + np.array(self.at())


def _round(v: float) -> float:
    return float(min(max(round(v, 3), 0.001), MAX_DIM))


def guess_from_shape(shape: A.ShapeBase, obj: A.ObjectDef) -> Guess | None:
    """The `Guess` equal to a scene object, or None when it is not an upright primitive without
    a local transform and with a unit scale (such objects are left as they are)."""
    if shape.at is not None or shape.rotate is not None or shape.scale is not None:
        return None
    if obj.scale not in (1, 1.0, (1.0, 1.0, 1.0)) or obj.rotate[0] or obj.rotate[1]:
        return None
    if isinstance(shape, A.Box):
        dims = tuple(shape.size)
    elif isinstance(shape, A.Sphere):
        dims = (shape.radius,)
    elif isinstance(shape, A.Cylinder):
        dims = (shape.radius, shape.depth)
    elif isinstance(shape, A.Cone) and shape.top_radius == 0:
        dims = (shape.radius, shape.depth)
    elif isinstance(shape, A.Torus):
        dims = (shape.major_radius, shape.minor_radius)
    else:
        return None
    g = Guess(shape.kind, dims, obj.at[0], obj.at[1], obj.rotate[2])
    return g if abs(g.height() / 2 - obj.at[2]) < 1e-3 else replace(g, z=obj.at[2])


# ------------------------------------------------------------------------------ silhouettes


@lru_cache(maxsize=8)
def _unit_mesh_vertices(kind: str) -> np.ndarray:
    if kind == "box":
        corners = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)])
        return corners
    if kind == "sphere":
        return np.asarray(uv_sphere_mesh(1.0, 32, 16).vertices)
    if kind == "cylinder":
        return np.asarray(cone_mesh(1.0, 1.0, 1.0, 32).vertices)
    if kind == "cone":
        return np.asarray(cone_mesh(1.0, 1.0, 0.0, 32).vertices)
    raise ValueError(kind)


def _unit_vertices(kind: str, dims: Sequence[float]) -> np.ndarray:
    if kind == "torus":
        return np.asarray(torus_mesh(dims[0], dims[1], 48, 12).vertices)
    v = _unit_mesh_vertices(kind)
    if kind == "box":
        return v * np.asarray(dims)
    if kind == "sphere":
        return v * dims[0]
    return v * np.array([dims[0], dims[0], dims[1]])


def hull_mask(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Rasterise the convex hull of pixel points `(N, 2)` (u, v) into an (H, W) bool mask
    (a pixel is inside when its centre is)."""
    mask = np.zeros(shape, bool)
    pts = points[np.all(np.isfinite(points), axis=1)]
    if len(pts) < 3:
        return mask
    try:
        hull = pts[ConvexHull(pts).vertices]
    except QhullError:
        return mask
    rr, cc = draw_polygon(hull[:, 1] - 0.5, hull[:, 0] - 0.5, shape)
    mask[rr, cc] = True
    return mask


def _torus_mask(g: Guess, camera: A.Camera, size: tuple[int, int]) -> np.ndarray:
    mesh = torus_mesh(g.dims[0], g.dims[1], 48, 12)
    verts = g.world_vertices()
    uv, depth = project(verts, camera, size)
    w, h = size
    mask = np.zeros((h, w), bool)
    if np.any(~np.isfinite(uv)):
        return mask
    tris = uv[np.asarray(mesh.faces)]
    for tri in tris:
        rr, cc = draw_polygon(tri[:, 1] - 0.5, tri[:, 0] - 0.5, (h, w))
        mask[rr, cc] = True
    return mask


def silhouette(g: Guess, camera: A.Camera, size: tuple[int, int]) -> np.ndarray:
    """(H, W) bool mask of the pixels `g` covers, seen through `camera` at `size` = (W, H)."""
    if g.kind == "torus":
        return _torus_mask(g, camera, size)
    uv, depth = project(g.world_vertices(), camera, size)
    if np.any(depth <= 0.1):
        return np.zeros((size[1], size[0]), bool)
    return hull_mask(uv, (size[1], size[0]))


def camera_distance(g: Guess, camera: A.Camera) -> float:
    """Depth (m, along the viewing axis) of the object's centre."""
    return float(-world_to_camera(np.array([g.at()]), camera)[0, 2])


def visible_masks(guesses: Sequence[Guess], camera: A.Camera, size: tuple[int, int],
                  masks: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """Each guess's visible pixels: its silhouette minus those of nearer guesses (painter's order
    by centre depth)."""
    full = list(masks) if masks is not None else [silhouette(g, camera, size) for g in guesses]
    order = np.argsort([camera_distance(g, camera) for g in guesses])
    covered = np.zeros((size[1], size[0]), bool)
    out: list[np.ndarray] = [np.zeros_like(covered)] * len(guesses)
    for i in order:
        out[i] = full[i] & ~covered
        covered |= full[i]
    return out


def masked_iou(pred: np.ndarray, target: np.ndarray, care: np.ndarray | None = None) -> float:
    """IoU of two masks counted only where `care` is True (everywhere when None)."""
    if care is not None:
        pred, target = pred & care, target & care
    union = np.count_nonzero(pred | target)
    return float(np.count_nonzero(pred & target) / union) if union else 0.0


# ------------------------------------------------------------------------------ initial guesses


def _ray_point_at_range(pixel: tuple[float, float], camera: A.Camera, size: tuple[int, int],
                        centre: np.ndarray) -> np.ndarray:
    """Where the ray through `pixel` (u, v) crosses the vertical plane through `centre` facing
    the camera."""
    pose = camera_pose(camera)
    origin = pose[:3, 3]
    k_f = focal_length_pixels(camera, size)
    w, h = size
    d_cam = np.array([(pixel[0] - w / 2) / k_f, -(pixel[1] - h / 2) / k_f, -1.0])
    d = pose[:3, :3] @ d_cam
    normal = centre - origin
    normal[2] = 0.0
    n2 = float(normal @ normal)
    if n2 < 1e-9:
        return centre
    t = float(normal @ (centre - origin)) / float(normal @ d)
    return origin + t * d


def initial_guess(kind: str, mask: np.ndarray, camera: A.Camera, size: tuple[int, int]) -> Guess | None:
    """A first guess of a `kind` primitive explaining `mask`: its lowest pixel is back-projected
    onto the ground, its width and height converted to metres at that depth."""
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return None
    bottom = rows.max()
    contact_u = float(cols[rows == bottom].mean()) + 0.5
    ground = backproject_to_plane(np.array([[contact_u, bottom + 1.0]]), camera, size)[0]
    if not np.all(np.isfinite(ground)):
        return None
    depth = float(-world_to_camera(ground[None], camera)[0, 2])
    f = focal_length_pixels(camera, size)
    width = max((cols.max() - cols.min() + 1) * depth / f, 2 * MIN_DIM)
    view = ground - np.asarray(camera.at, float)
    view[2] = 0.0
    view /= max(float(np.linalg.norm(view)), 1e-9)
    centre = ground + view * width / 2
    top_col = float(cols[rows == rows.min()].mean()) + 0.5
    top = _ray_point_at_range((top_col, rows.min()), camera, size, centre)
    height = float(np.clip(top[2], 2 * MIN_DIM, MAX_DIM))
    r = width / 2
    if kind == "sphere":
        dims: tuple[float, ...] = (r,)
    elif kind == "box":
        side = width / 1.3
        dims = (side, side, max(height - 0.3 * side, 2 * MIN_DIM))
    elif kind in ("cylinder", "cone"):
        dims = (r, max(height - (0.3 * r if kind == "cylinder" else 0.0), 2 * MIN_DIM))
    else:
        dims = (0.75 * r, 0.25 * r)
    g = Guess(kind, tuple(float(np.clip(d, MIN_DIM, MAX_DIM)) for d in dims),
              float(centre[0]), float(centre[1]))
    return g


# ------------------------------------------------------------------------------ fitting


def _to_vector(g: Guess, with_yaw: bool) -> np.ndarray:
    v = [g.x, g.y, *np.log(g.dims)]
    if with_yaw:
        v.append(g.yaw / 45.0)
    return np.asarray(v, float)


def _from_vector(g: Guess, v: np.ndarray, with_yaw: bool) -> Guess:
    n = len(g.dims)
    dims = tuple(float(np.clip(math.exp(d), MIN_DIM, MAX_DIM)) for d in v[2:2 + n])
    yaw = float(v[2 + n] * 45.0) if with_yaw else g.yaw
    return replace(g, x=float(v[0]), y=float(v[1]), dims=dims, yaw=yaw)


def fit_guess(g: Guess, objective: Callable[[Guess], float], *, max_evals: int = 120,
              fit_position: bool = True, fit_dims: bool = True) -> tuple[Guess, float]:
    """Nelder-Mead on the guess's position, log-dimensions and (boxes) yaw, maximising
    `objective(guess)`; returns the best guess and its objective. Deterministic."""
    with_yaw = g.kind == "box"
    start = _to_vector(g, with_yaw)
    free = np.ones(len(start), bool)
    if not fit_position:
        free[:2] = False
    if not fit_dims:
        free[2:2 + len(g.dims)] = False
    if not free.any():
        return g, objective(g)
    scale = g.footprint()
    steps = np.array([0.25 * scale, 0.25 * scale] + [0.2] * len(g.dims) + ([0.5] if with_yaw else []))
    cache: dict[tuple, float] = {}

    def loss(free_values: np.ndarray) -> float:
        v = start.copy()
        v[free] = free_values
        key = tuple(np.round(v, 5))
        if key not in cache:
            cache[key] = -objective(_from_vector(g, v, with_yaw))
        return cache[key]

    x0 = start[free]
    simplex = np.vstack([x0] + [x0 + np.eye(len(x0))[i] * steps[free][i] for i in range(len(x0))])
    result = minimize(loss, x0, method="Nelder-Mead",
                      options={"maxfev": max_evals, "initial_simplex": simplex,
                               "xatol": 1e-3, "fatol": 1e-4})
    best = min(cache.items(), key=lambda kv: kv[1])
    v = np.asarray(best[0], float)
    del result
    return _from_vector(g, v, with_yaw), -best[1]


def fit_single(kind: str, mask: np.ndarray, care: np.ndarray, camera: A.Camera,
               size: tuple[int, int], max_evals: int = 120) -> tuple[Guess, float] | None:
    """Fit a `kind` primitive to one object's `mask` (IoU over `care` pixels; convex kinds by
    `offline.convex`'s row-span IoU, the torus by rasterising). `max_evals` objective evaluations
    (a third for the torus; three yaw starts of that many for a box)."""
    g = initial_guess(kind, mask, camera, size)
    if g is None:
        return None

    if kind == "torus":
        def objective(c: Guess) -> float:
            return masked_iou(silhouette(c, camera, size), mask, care)
    else:  # convex: the row-span IoU of `offline.convex`, equal to the rasterised one
        view, window = View(camera, size), Window(mask, care)

        def objective(c: Guess) -> float:
            return window.iou(view.project(outline_points(c, view)))

    evals = max_evals if kind != "torus" else max(30, max_evals // 3)
    if kind != "box":
        return fit_guess(g, objective, max_evals=evals)
    # a box's yaw has local optima (and sizes can swap with a quarter turn): try three starts
    fits = [fit_guess(replace(g, yaw=yaw), objective, max_evals=evals) for yaw in (0.0, 30.0, 60.0)]
    return max(fits, key=lambda f: f[1])


def joint_objective(guesses: Sequence[Guess], targets: Sequence[np.ndarray], camera: A.Camera,
                    size: tuple[int, int], masks: Sequence[np.ndarray] | None = None,
                    care: np.ndarray | None = None) -> float:
    """Mean IoU (over `care` pixels) of each guess's visible pixels with its target region."""
    vis = visible_masks(guesses, camera, size, masks)
    if not guesses:
        return 0.0
    return float(np.mean([masked_iou(v, t, care) for v, t in zip(vis, targets)]))


def refine_joint(guesses: list[Guess], targets: Sequence[np.ndarray], camera: A.Camera,
                 size: tuple[int, int], *, fit_position: bool, fit_dims: bool,
                 max_evals: int = 60, deadline: Callable[[], bool] = lambda: False,
                 care: np.ndarray | None = None) -> tuple[list[Guess], float, int]:
    """Coordinate descent over objects: each object's parameters by Nelder-Mead, the others
    fixed, maximising `joint_objective` (occlusions included). Returns (guesses, objective,
    silhouettes computed)."""
    guesses = list(guesses)
    masks = [silhouette(g, camera, size) for g in guesses]
    count = len(masks)
    best = joint_objective(guesses, targets, camera, size, masks, care)
    for i in range(len(guesses)):
        if deadline():
            break

        def objective(c: Guess, i: int = i) -> float:
            nonlocal count
            trial = list(masks)
            trial[i] = silhouette(c, camera, size)
            count += 1
            return joint_objective(guesses[:i] + [c] + guesses[i + 1:], targets, camera, size,
                                   trial, care)

        g, value = fit_guess(guesses[i], objective, max_evals=max_evals,
                             fit_position=fit_position, fit_dims=fit_dims)
        if value > best + 1e-6:
            guesses[i], best = g, value
            masks[i] = silhouette(g, camera, size)
    return guesses, best, count
