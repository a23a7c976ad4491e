"""A fast CPU preview renderer of a scene: silhouette, depth, object ids and flat-shaded colour.

`render_preview(scene, size)` rasterises the world-space meshes of `scenelang.backends.meshes`
through exactly Blender's camera model (`scenelang.backends.camera`), with a numpy z-buffer:
triangles are clipped against the near plane (`CLIP_START`, so huge ground planes that reach
behind the camera are drawn correctly), projected, and scan-converted: for every (triangle,
pixel row) pair the span of pixel centres inside the triangle is computed exactly, all
vectorised. Depth is interpolated
perspective-correctly; fragments beyond `CLIP_END` are dropped, as in Blender. There is no
anti-aliasing: a pixel belongs to the surface seen through its centre. Both sides of every
triangle are drawn (no back-face culling).

Colour is an approximation of what Cycles would show, good enough to compare layouts and
colours, not a substitute for a real render:

* a base colour from a texture is evaluated per pixel in object coordinates
  (`scenelang.backends.textures`: checker, wave, brick, gradient, noise and box-mapped images
  as Blender computes them; distorted noise as its mean colour); roughness and bump textures are
  ignored;
* Lambert shading of the material's base colour with each triangle's own normal (flat
  shading), evaluated per pixel so local lights fall off across large faces; no shadows, no
  reflections; metallic, transmission and alpha are ignored;
* ambient light: a uniform sky of the world colour x strength (the `world` statement or its
  defaults), which lights an unoccluded surface with `base_color x world`;
* the shaded value is `base_color x irradiance / pi` (a Lambertian surface), with irradiance
  from the sun: `energy x cos(angle)`; point and spot: `energy / (4 pi d^2) x cos(angle)` (spots fade
  across their cone); area: `energy x cos(light) / (pi d^2) x cos(angle)` (Cycles' conventions);
* lights written in composition groups are lit where their groups put them
  (`scenelang.resolve.scene_lights`);
* emission adds `emission_color x emission_strength`;
* a scene with no light (in lighting or in a group) and no world gets a headlight so that its
  shapes stay readable: a sun shining along the camera's view, strong enough (pi W/m^2) that
  a surface facing the camera shows its base colour (Blender would render it almost black);
* the background is the world colour; the result is converted to display sRGB (Blender's
  Standard view transform) and clipped to 0..1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from scenelang.ast import Area, Point, Scene, Spot, Sun, World
from scenelang.backends.camera import (
    CLIP_END,
    CLIP_START,
    SizeLike,
    camera_pose,
    focal_length_pixels,
    image_size,
)
from scenelang.backends.meshes import ObjectMesh, scene_meshes, world_matrix
from scenelang.backends.textures import evaluate as evaluate_texture
from scenelang.errors import SceneError
from scenelang.resolve import scene_lights
from scenelang.validate import DEFAULT_LIMITS

MAX_FRAGMENTS_PER_BATCH = 2_000_000
"""Upper bound on candidate pixels tested at once (bounds the renderer's memory use)."""


@dataclass
class Preview:
    """The preview images of one scene, all `H x W`.

    `silhouette` (bool): some object is seen; `depth` (float32, m): distance along the camera's
    viewing axis, `inf` where empty; `object_id` (int32): index into `object_names`, -1 for the
    background; `color` (float32, `H x W x 3`): display sRGB in 0..1.
    """

    silhouette: np.ndarray
    depth: np.ndarray
    object_id: np.ndarray
    color: np.ndarray
    object_names: list[str] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int]:
        """`(W, H)` in pixels."""
        return self.object_id.shape[1], self.object_id.shape[0]

    def mask(self, names: Sequence[str]) -> np.ndarray:
        """Pixels where one of the objects `names` is the visible surface."""
        wanted = set(names)
        ids = [i for i, n in enumerate(self.object_names) if n in wanted]
        return np.isin(self.object_id, ids)

    def save_png(self, path: str | Path) -> Path:
        """Write the colour image as an 8-bit RGB PNG."""
        path = Path(path)
        Image.fromarray(np.round(self.color * 255).astype(np.uint8), "RGB").save(path)
        return path


def silhouette_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks of the same shape (1.0 when both are empty)."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"mask shapes differ: {a.shape} vs {b.shape}")
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def render_preview(
    scene: Scene, size: SizeLike = None, *, meshes: Sequence[ObjectMesh] | None = None
) -> Preview:
    """Render `scene` through its camera (or `DEFAULT_CAMERA`).

    `size`: None for the camera's resolution, an int for the larger side in pixels (aspect
    kept), or `(W, H)`. `meshes` may pass precomputed `scene_meshes(scene)` (or a subset of
    them, e.g. to hide some objects).
    """
    camera = scene.camera()
    try:
        w, h = image_size(camera, size)
    except ValueError as exc:
        raise SceneError(str(exc)) from None
    side = DEFAULT_LIMITS.max_resolution
    if max(w, h) > side:
        raise SceneError(f"preview size {w}x{h} is too large: at most {side} pixels per side")
    meshes = list(scene_meshes(scene) if meshes is None else meshes)
    faces = sum(len(m.mesh.faces) for m in meshes)
    if faces > DEFAULT_LIMITS.max_triangles:
        raise SceneError(f"the scene's meshes have {faces:,} triangles; the preview's limit is "
                         f"{DEFAULT_LIMITS.max_triangles:,}")
    pose = camera_pose(camera)
    tris, owner = _triangles(meshes)

    focal = focal_length_pixels(camera, (w, h))
    cam_tris = (tris - pose[:3, 3]) @ pose[:3, :3]
    cam_tris, parent = _clip_near(cam_tris, CLIP_START)
    depth, tri_index = _rasterise(cam_tris, focal, w, h)

    object_id = np.full(h * w, -1, dtype=np.int32)
    hit = tri_index >= 0
    face = parent[tri_index[hit]]
    object_id[hit] = owner[face]
    points, rays = _surface_points(np.flatnonzero(hit), depth[hit], pose, focal, w, h)
    color = np.empty((h * w, 3), dtype=np.float32)
    color[:] = _to_display(_background(scene))
    normals = _face_normals(tris)[face]
    color[hit] = _to_display(_shade(scene, meshes, normals, owner[face], points, rays, face))
    return Preview(
        silhouette=hit.reshape(h, w),
        depth=depth.reshape(h, w).astype(np.float32),
        object_id=object_id.reshape(h, w),
        color=color.reshape(h, w, 3),
        object_names=[m.name for m in meshes],
    )


# ---------------------------------------------------------------- geometry


def _surface_points(pixels: np.ndarray, depth: np.ndarray, pose: np.ndarray, focal: float,
                    w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """World positions seen at flat pixel indices with their depths, and the (unnormalised)
    world rays through those pixel centres."""
    u = pixels % w + 0.5
    v = pixels // w + 0.5
    ray_cam = np.stack([(u - w / 2) / focal, -(v - h / 2) / focal, -np.ones(len(pixels))], axis=1)
    rays = ray_cam @ pose[:3, :3].T
    return pose[:3, 3] + rays * depth[:, None], rays


def _triangles(meshes: Sequence[ObjectMesh]) -> tuple[np.ndarray, np.ndarray]:
    """All triangles `(T, 3, 3)` in world space and the index of the object owning each."""
    parts = [m.mesh.vertices[m.mesh.faces] for m in meshes if len(m.mesh.faces)]
    if not parts:
        return np.zeros((0, 3, 3)), np.zeros(0, dtype=np.int32)
    owner = np.concatenate(
        [np.full(len(m.mesh.faces), i, dtype=np.int32) for i, m in enumerate(meshes) if len(m.mesh.faces)]
    )
    return np.concatenate(parts).astype(np.float64), owner


def _clip_near(tris: np.ndarray, near: float) -> tuple[np.ndarray, np.ndarray]:
    """Clip camera-space triangles to `depth >= near`; returns triangles and their parent index."""
    inside = tris[:, :, 2] <= -near
    count = inside.sum(axis=1)
    keep = np.flatnonzero(count == 3)
    out, parents = [tris[keep]], [keep]
    for n_inside in (1, 2):
        idx = np.flatnonzero(count == n_inside)
        if not len(idx):
            continue
        # rotate each triangle (keeping its winding) so that the odd vertex out comes first
        odd = np.argmax(inside[idx] if n_inside == 1 else ~inside[idx], axis=1)
        order = (odd[:, None] + np.arange(3)) % 3
        t = np.take_along_axis(tris[idx], order[:, :, None], axis=1)
        o, p1, p2 = t[:, 0], t[:, 1], t[:, 2]
        i1 = _plane_point(o, p1, near)
        i2 = _plane_point(o, p2, near)
        if n_inside == 1:
            out.append(np.stack([o, i1, i2], axis=1))
            parents.append(idx)
        else:
            out.append(np.stack([i1, p1, p2], axis=1))
            out.append(np.stack([i1, p2, i2], axis=1))
            parents.extend([idx, idx])
    return np.concatenate(out), np.concatenate(parents)


def _plane_point(a: np.ndarray, b: np.ndarray, near: float) -> np.ndarray:
    """Where segments a-b cross the plane `z = -near` (one end on each side)."""
    t = (-near - a[:, 2]) / (b[:, 2] - a[:, 2])
    return a + t[:, None] * (b - a)


def _rasterise(cam_tris: np.ndarray, focal: float, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Z-buffer camera-space triangles; returns flat depth (inf = empty) and triangle index (-1).

    Scanline style, vectorised: each (triangle, pixel row) pair gets the exact span of pixel
    centres inside the triangle, then every covered pixel gets its perspective-correct depth.
    """
    zbuf = np.full(w * h, np.inf)
    owner = np.full(w * h, -1, dtype=np.int64)
    if not len(cam_tris):
        return zbuf, owner
    d = -cam_tris[:, :, 2]
    u = w / 2 + focal * cam_tris[:, :, 0] / d
    v = h / 2 - focal * cam_tris[:, :, 1] / d
    # rows j whose centre line v = j + 0.5 crosses the triangle
    y0 = np.clip(np.ceil(v.min(1) - 0.5), 0, h).astype(np.int64)
    y1 = np.clip(np.floor(v.max(1) - 0.5) + 1, 0, h).astype(np.int64)
    x_lo = np.clip(np.ceil(u.min(1) - 0.5), 0, w)
    x_hi = np.clip(np.floor(u.max(1) - 0.5), -1, w - 1)
    inv_depth = _inverse_depth_planes(u, v, d)
    rows = y1 - y0
    live = np.flatnonzero((rows > 0) & (x_hi >= x_lo) & np.isfinite(inv_depth).all(axis=1))
    area_bound = rows[live] * (x_hi[live] - x_lo[live] + 1).astype(np.int64)
    start = 0
    while start < len(live):
        # a batch of triangles whose bounding boxes fit the memory bound (at least one)
        cum = np.cumsum(area_bound[start:])
        stop = start + max(1, int(np.searchsorted(cum, MAX_FRAGMENTS_PER_BATCH, side="right")))
        tri = live[start:stop]
        pair_tri = np.repeat(tri, rows[tri])
        first = np.repeat(np.cumsum(rows[tri]) - rows[tri], rows[tri])
        row = y0[pair_tri] + np.arange(len(pair_tri)) - first
        left, right = _row_spans(u[pair_tri], v[pair_tri], row + 0.5)
        left = np.maximum(left, x_lo[pair_tri]).astype(np.int64)
        right = np.minimum(right, x_hi[pair_tri]).astype(np.int64)
        _fill_spans(pair_tri, row, left, right, inv_depth, w, zbuf, owner)
        start = stop
    return zbuf, owner


def _inverse_depth_planes(u: np.ndarray, v: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Per triangle `(P, Q, R)` with `1/depth = P*x + Q*y + R` at pixel coordinates (x, y).

    Rows of degenerate (zero-area) triangles are not finite.
    """
    area = (u[:, 1] - u[:, 0]) * (v[:, 2] - v[:, 0]) - (u[:, 2] - u[:, 0]) * (v[:, 1] - v[:, 0])
    plane = np.zeros((len(u), 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(3):
            j, k = (i + 1) % 3, (i + 2) % 3
            # barycentric coordinate of vertex i: (A*x + B*y + C) / area
            plane[:, 0] += (v[:, j] - v[:, k]) / d[:, i]
            plane[:, 1] += (u[:, k] - u[:, j]) / d[:, i]
            plane[:, 2] += (u[:, j] * v[:, k] - u[:, k] * v[:, j]) / d[:, i]
        plane /= area[:, None]
    return plane


def _row_spans(u: np.ndarray, v: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For triangles `(N, 3)` and rows at height `y`, the columns whose centres lie inside."""
    left = np.full(len(y), np.inf)
    right = np.full(len(y), -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        for a, b in ((0, 1), (1, 2), (2, 0)):
            ua, va, ub, vb = u[:, a], v[:, a], u[:, b], v[:, b]
            crosses = (np.minimum(va, vb) <= y) & (y <= np.maximum(va, vb)) & (va != vb)
            x = ua + (y - va) * (ub - ua) / (vb - va)
            left = np.where(crosses, np.minimum(left, x), left)
            right = np.where(crosses, np.maximum(right, x), right)
    left = np.ceil(np.clip(left, -1.0, 1e9) - 0.5)
    right = np.floor(np.clip(right, -1e9, 1e9) - 0.5)
    return left, right


def _fill_spans(pair_tri, row, left, right, inv_depth, w, zbuf, owner) -> None:
    """Depth-test the pixels of every span and merge the nearest into the buffers."""
    counts = np.maximum(right - left + 1, 0)
    total = int(counts.sum())
    if not total:
        return
    frag_tri = np.repeat(pair_tri, counts)
    px = np.repeat(left - np.cumsum(counts) + counts, counts) + np.arange(total)
    py = np.repeat(row, counts)
    plane = inv_depth[frag_tri]
    with np.errstate(divide="ignore"):
        depth = 1.0 / (plane[:, 0] * (px + 0.5) + plane[:, 1] * (py + 0.5) + plane[:, 2])
    pix = py * w + px
    keep = (depth > 0) & (depth <= CLIP_END)
    pix, depth, frag_tri = pix[keep], depth[keep], frag_tri[keep]
    np.minimum.at(zbuf, pix, depth)
    winner = depth <= zbuf[pix]
    owner[pix[winner]] = frag_tri[winner]


# ---------------------------------------------------------------- shading


def _world(scene: Scene) -> World:
    return scene.world() or World()


def _background(scene: Scene) -> np.ndarray:
    world = _world(scene)
    return np.asarray(world.color.linear()) * world.strength


def _face_colours(meshes: Sequence[ObjectMesh]) -> tuple[np.ndarray, np.ndarray]:
    """Base colour and emission `(T, 3)` of every triangle (in `_triangles` order), from each
    face's material slot (per-operand materials) or the object's material."""
    base, emission = [], []
    for m in meshes:
        if not len(m.mesh.faces):
            continue
        materials = m.slot_materials or (m.material,)
        slots = m.face_slots if m.face_slots is not None else np.zeros(len(m.mesh.faces), np.int32)
        colours = np.array([mat.base_color.linear() for mat in materials])
        if not m.slot_materials:
            colours[0] = m.color
        glow = np.array([np.asarray(mat.emission_color.linear()) * mat.emission_strength
                         for mat in materials])
        base.append(colours[slots])
        emission.append(glow[slots])
    if not base:
        return np.zeros((0, 3)), np.zeros((0, 3))
    return np.concatenate(base), np.concatenate(emission)


def _shade(scene: Scene, meshes: Sequence[ObjectMesh], normal: np.ndarray, owner: np.ndarray,
           points: np.ndarray, rays: np.ndarray, face: np.ndarray | None = None) -> np.ndarray:
    """Linear RGB radiance at surface `points` (unit face `normal`, object index `owner`, triangle
    index `face`) seen along `rays`: flat Lambert shading with per-point light directions and
    falloff. Objects with per-operand materials are coloured per face."""
    if not len(points):
        return np.zeros((0, 3))
    face_normal = normal
    # light the side that faces the camera (surfaces are two-sided)
    normal = np.where((np.einsum("ij,ij->i", normal, rays) > 0)[:, None], -normal, normal)

    irradiance = np.zeros((len(points), 3)) + _background(scene)
    lights = [rl.light for rl in scene_lights(scene)]  # lights in groups in world space
    if not lights and scene.world() is None:
        lights = [Sun(direction=tuple(float(c) for c in scene_forward(scene)), energy=np.pi)]
    for light in lights:
        irradiance += _light_irradiance(light, normal, points)

    if face is not None and any(m.face_slots is not None for m in meshes):
        base, emission = (a[face] for a in _face_colours(meshes))
        return base * irradiance + emission
    base = np.array([m.color for m in meshes])[owner]
    for index, m in enumerate(meshes):
        if m.base_texture is not None and m.definition is not None:
            here = owner == index
            if here.any():
                base[here] = _texture_colours(m, points[here], face_normal[here])
    emission = np.array(
        [np.asarray(m.material.emission_color.linear()) * m.material.emission_strength for m in meshes]
    )[owner]
    return base * irradiance + emission


def _texture_colours(mesh: ObjectMesh, points: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """The base colour texture of `mesh` at world `points` with world face `normals`, evaluated
    in the object's own coordinates (as Blender's Object texture coordinates)."""
    matrix = world_matrix(mesh)
    inverse = np.linalg.inv(matrix)
    local = points @ inverse[:3, :3].T + inverse[:3, 3]
    local_normals = normals @ matrix[:3, :3]  # the inverse transpose, for normals
    return evaluate_texture(mesh.base_texture, local, local_normals)


def _face_normals(tris: np.ndarray) -> np.ndarray:
    """Unit normals of triangles `(T, 3, 3)` (zero for degenerate ones)."""
    normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    return normal / np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-20)


def scene_forward(scene: Scene) -> np.ndarray:
    """The unit direction the scene's camera looks along (world space)."""
    return -camera_pose(scene.camera())[:3, 2]


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-20)


def _aim(light: Spot | Area) -> np.ndarray:
    if light.look_at is not None:
        return _unit(np.subtract(light.look_at, light.at))
    return _unit(light.direction if light.direction is not None else (0.0, 0.0, -1.0))


def _light_irradiance(light, normal: np.ndarray, points: np.ndarray) -> np.ndarray:
    color = np.asarray(light.color.linear())
    if isinstance(light, Sun):
        to_light = -_unit(light.direction)
        return np.clip(normal @ to_light, 0, None)[:, None] * (light.energy / np.pi) * color
    offset = np.asarray(light.at) - points
    dist2 = np.maximum(np.einsum("ij,ij->i", offset, offset), 1e-8)
    to_light = offset / np.sqrt(dist2)[:, None]
    cos_surface = np.clip(np.einsum("ij,ij->i", normal, to_light), 0, None)
    if isinstance(light, Point):
        strength = light.energy / (4 * np.pi**2 * dist2)
    elif isinstance(light, Spot):
        cos_angle = -to_light @ _aim(light)
        half = np.radians(light.spot_size) / 2
        edge = np.cos(half)
        inner = np.cos(half * (1 - light.blend))
        cone = np.clip((cos_angle - edge) / max(inner - edge, 1e-6), 0, 1)
        strength = light.energy / (4 * np.pi**2 * dist2) * cone
    elif isinstance(light, Area):
        cos_light = np.clip(-to_light @ _aim(light), 0, None)
        strength = light.energy * cos_light / (np.pi**2 * dist2)
    else:  # pragma: no cover - the AST admits no other light kinds
        raise TypeError(f"unknown light {light!r}")
    return (cos_surface * strength)[:, None] * color


def _to_display(linear: np.ndarray) -> np.ndarray:
    """Linear RGB to display sRGB (the sRGB transfer curve), clipped to 0..1."""
    c = np.clip(linear, 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055)
