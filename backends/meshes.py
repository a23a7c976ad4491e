"""World-space triangle meshes of a scene's objects, built like Blender's primitives.

`scene_meshes(scene)` gives one `ObjectMesh` per `object` statement, in source order. Each
primitive has the vertex layout of the matching `bpy.ops.mesh.primitive_*_add` operator
(n-gon caps are fan-triangulated, which does not change the surface):

* `box(size)`: centred, full extents `size` (m).
* `sphere(radius, segments, rings)`: a UV sphere with poles on z; meridian `k` at angle
  `2*pi*k/segments` from +y towards +x, ring `i` at polar angle `pi*i/rings`.
* `cylinder(radius, depth, vertices)` and `cone(radius, depth, top_radius, vertices)`: along z,
  centred, rim vertex `k` at `(r*sin(a), r*cos(a))` with `a = 2*pi*k/vertices`; the cone's base
  (radius `radius`) is at `z = -depth/2`, its top (`top_radius`, a single apex when 0) at
  `+depth/2`.
* `torus(major_radius, minor_radius, major_segments, minor_segments)`: in the xy plane.
* `plane(size)`: a square of side `size` in the xy plane, facing +z.

Transforms (a shape expression's own `at/rotate/scale`, then the object's) apply as scale, then
rotate (Euler XYZ degrees, `R = Rz @ Ry @ Rx`), then translate, like a Blender object.

CSG uses trimesh's boolean with the manifold3d engine. Planes are surfaces, not volumes, so a
plane inside CSG never takes part in the boolean (no error is raised): a `union` keeps it as an
extra surface beside the combined volume; `difference` and `intersection` ignore a plane operand;
a `difference` whose base is a plane yields that plane unchanged. A CSG result may be empty
(e.g. a zero-volume intersection); the object then gets an empty mesh.

Local (shape-space) meshes are cached per shape definition (LRU keyed on the `ShapeDef` and the
definitions it references), since the render-and-compare loop rebuilds the same shapes often.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np
import trimesh

from scenelang.ast import (
    Box,
    Cone,
    Csg,
    Cylinder,
    ObjectDef,
    Plane,
    Principled,
    Ref,
    Scene,
    ShapeDef,
    Sphere,
    Torus,
)
from scenelang.backends.camera import euler_xyz_matrix
from scenelang.errors import SceneError

DEFAULT_MATERIAL = Principled()
"""The material of an object without one: Principled defaults, base colour linear grey 0.8."""
MESH_CACHE_SIZE = 256


@dataclass(frozen=True)
class ObjectMesh:
    """One object of a scene as a world-space triangle mesh.

    `color` is the linear RGB base colour of the object's material (default grey 0.8);
    `material` is the material itself (`DEFAULT_MATERIAL` when the object has none).
    """

    name: str
    shape_name: str
    material_name: str | None
    color: tuple[float, float, float]
    mesh: trimesh.Trimesh
    material: Principled = DEFAULT_MATERIAL
    is_surface: bool = False
    """True when the shape is only an open surface (a plane, or CSG of planes), no volume."""


# ---------------------------------------------------------------- primitives


@dataclass(frozen=True)
class _Part:
    """An intermediate shape: a closed volume and open surfaces (planes), either may be empty."""

    volume: trimesh.Trimesh
    sheets: trimesh.Trimesh

    def transformed(self, matrix: np.ndarray | None) -> "_Part":
        if matrix is None:
            return self
        return _Part(_transform(self.volume, matrix), _transform(self.sheets, matrix))

    @property
    def is_surface(self) -> bool:
        """Only open surfaces (planes), no volume."""
        return self.volume.is_empty and not self.sheets.is_empty

    def merged(self) -> trimesh.Trimesh:
        if self.sheets.is_empty:
            return self.volume
        if self.volume.is_empty:
            return self.sheets
        return _concat([self.volume, self.sheets])


def _empty() -> trimesh.Trimesh:
    return trimesh.Trimesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), process=False)


def _mesh(vertices, faces) -> trimesh.Trimesh:
    return trimesh.Trimesh(
        np.asarray(vertices, dtype=np.float64), np.asarray(faces, dtype=np.int64), process=False
    )


def _concat(meshes: Sequence[trimesh.Trimesh]) -> trimesh.Trimesh:
    meshes = [m for m in meshes if not m.is_empty]
    if not meshes:
        return _empty()
    if len(meshes) == 1:
        return meshes[0]
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    vertices = np.concatenate([m.vertices for m in meshes])
    faces = np.concatenate([m.faces + o for m, o in zip(meshes, offsets)])
    return _mesh(vertices, faces)


def _transform(mesh: trimesh.Trimesh, matrix: np.ndarray) -> trimesh.Trimesh:
    if mesh.is_empty:
        return mesh
    vertices = mesh.vertices @ matrix[:3, :3].T + matrix[:3, 3]
    return _mesh(vertices, mesh.faces)


def _ring(count: int) -> tuple[np.ndarray, np.ndarray]:
    """sin and cos of `2*pi*k/count`: Blender's circles start on +y and turn towards +x."""
    a = 2 * np.pi * np.arange(count) / count
    return np.sin(a), np.cos(a)


def _disc_fan(centre: int, rim: np.ndarray, up: bool) -> np.ndarray:
    """Triangles joining a centre vertex to a closed rim, facing +z (`up`) or -z."""
    nxt = np.roll(rim, -1)
    c = np.full_like(rim, centre)
    return np.stack([c, rim, nxt] if not up else [c, nxt, rim], axis=1)


def _band(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Triangles joining two closed rims (lower to upper), facing outwards."""
    l1, u1 = np.roll(lower, -1), np.roll(upper, -1)
    return np.concatenate(
        [np.stack([lower, u1, l1], axis=1), np.stack([lower, upper, u1], axis=1)]
    )


def box_mesh(size: Sequence[float]) -> trimesh.Trimesh:
    """A box centred at the origin with full extents `size` (m)."""
    return trimesh.creation.box(extents=[float(s) for s in size])


def uv_sphere_mesh(radius: float, segments: int = 32, rings: int = 16) -> trimesh.Trimesh:
    """A UV sphere of `radius` (m) with Blender's vertex layout (poles on z)."""
    s, c = _ring(segments)
    phi = np.pi * np.arange(1, rings) / rings
    sp, cp = np.sin(phi)[:, None], np.cos(phi)[:, None]
    body = np.stack([sp * s, sp * c, np.broadcast_to(cp, sp.shape[:1] + s.shape)], axis=-1)
    vertices = np.concatenate([[[0, 0, 1]], body.reshape(-1, 3), [[0, 0, -1]]]) * radius
    idx = 1 + np.arange((rings - 1) * segments).reshape(rings - 1, segments)
    bottom = len(vertices) - 1
    faces = [_disc_fan(0, idx[0], up=True)]
    faces += [_band(idx[i + 1], idx[i]) for i in range(rings - 2)]
    faces.append(_disc_fan(bottom, idx[-1], up=False))
    return _mesh(vertices, np.concatenate(faces))


def cone_mesh(radius: float, depth: float, top_radius: float = 0.0, vertices: int = 32) -> trimesh.Trimesh:
    """A cone or frustum along z, centred; base `radius` at -depth/2, `top_radius` at +depth/2."""
    s, c = _ring(vertices)
    half = depth / 2
    base = np.stack([radius * s, radius * c, np.full_like(s, -half)], axis=1)
    n = vertices
    if top_radius > 0:
        top = np.stack([top_radius * s, top_radius * c, np.full_like(s, half)], axis=1)
        verts = np.concatenate([base, top, [[0, 0, -half], [0, 0, half]]])
        lower, upper = np.arange(n), n + np.arange(n)
        faces = np.concatenate(
            [_band(lower, upper), _disc_fan(2 * n, lower, up=False), _disc_fan(2 * n + 1, upper, up=True)]
        )
    else:
        verts = np.concatenate([base, [[0, 0, half], [0, 0, -half]]])
        lower = np.arange(n)
        faces = np.concatenate([_disc_fan(n, lower, up=True), _disc_fan(n + 1, lower, up=False)])
    return _mesh(verts, faces)


def cylinder_mesh(radius: float, depth: float, vertices: int = 32) -> trimesh.Trimesh:
    """A capped cylinder along z, centred at the origin."""
    return cone_mesh(radius, depth, radius, vertices)


def torus_mesh(
    major_radius: float, minor_radius: float, major_segments: int = 48, minor_segments: int = 12
) -> trimesh.Trimesh:
    """A torus in the xy plane: Blender's `add_torus` vertex layout."""
    major_angle = 2 * np.pi * np.arange(major_segments) / major_segments
    minor_angle = 2 * np.pi * np.arange(minor_segments) / minor_segments
    radial = major_radius + minor_radius * np.cos(minor_angle)
    z = minor_radius * np.sin(minor_angle)
    ca, sa = np.cos(major_angle)[:, None], np.sin(major_angle)[:, None]
    verts = np.stack([ca * radial, sa * radial, np.broadcast_to(z, (major_segments, minor_segments))], -1)
    idx = np.arange(major_segments * minor_segments).reshape(major_segments, minor_segments)
    a, b = idx, np.roll(idx, -1, axis=0)
    a1, b1 = np.roll(a, -1, axis=1), np.roll(b, -1, axis=1)
    faces = np.concatenate(
        [np.stack([a, b, b1], -1).reshape(-1, 3), np.stack([a, b1, a1], -1).reshape(-1, 3)]
    )
    return _mesh(verts.reshape(-1, 3), faces)


def plane_mesh(size: float) -> trimesh.Trimesh:
    """A square of side `size` in the xy plane, centred, facing +z (two triangles)."""
    h = size / 2
    return _mesh([[-h, -h, 0], [h, -h, 0], [h, h, 0], [-h, h, 0]], [[0, 1, 2], [0, 2, 3]])


# ---------------------------------------------------------------- transforms and CSG


def transform_matrix(at=None, rotate=None, scale=None) -> np.ndarray | None:
    """The 4x4 matrix `T @ R @ S` of a transform (None when all parts are absent)."""
    if at is None and rotate is None and scale is None:
        return None
    m = np.eye(4)
    if scale is not None:
        m[:3, :3] = np.diag(np.broadcast_to(np.asarray(scale, dtype=float), (3,)))
    if rotate is not None:
        m[:3, :3] = euler_xyz_matrix(rotate) @ m[:3, :3]
    if at is not None:
        m[:3, 3] = at
    return m


def _primitive(expr) -> _Part:
    if isinstance(expr, Box):
        return _Part(box_mesh(expr.size), _empty())
    if isinstance(expr, Sphere):
        return _Part(uv_sphere_mesh(expr.radius, expr.segments, expr.rings), _empty())
    if isinstance(expr, Cylinder):
        return _Part(cylinder_mesh(expr.radius, expr.depth, expr.vertices), _empty())
    if isinstance(expr, Cone):
        return _Part(cone_mesh(expr.radius, expr.depth, expr.top_radius, expr.vertices), _empty())
    if isinstance(expr, Torus):
        mesh = torus_mesh(expr.major_radius, expr.minor_radius, expr.major_segments, expr.minor_segments)
        return _Part(mesh, _empty())
    if isinstance(expr, Plane):
        return _Part(_empty(), plane_mesh(expr.size))
    raise SceneError(f"unknown shape kind {getattr(expr, 'kind', type(expr).__name__)!r}", expr.span)


def _boolean(op: str, meshes: list[trimesh.Trimesh], span=None) -> trimesh.Trimesh:
    if len(meshes) == 1:
        return meshes[0]
    try:
        result = getattr(trimesh.boolean, op)(meshes, engine="manifold", check_volume=False)
    except Exception as exc:  # manifold3d reports bad input with assorted exception types
        raise SceneError(f"the {op} of {len(meshes)} shapes could not be computed: {exc}", span) from exc
    return _mesh(result.vertices, result.faces) if len(result.faces) else _empty()


def _csg(expr: Csg, parts: list[_Part]) -> _Part:
    if expr.kind == "union":
        volumes = [p.volume for p in parts if not p.volume.is_empty]
        volume = _boolean("union", volumes, expr.span) if volumes else _empty()
        return _Part(volume, _concat([p.sheets for p in parts]))
    base, rest = parts[0], parts[1:]
    if expr.kind == "difference":
        if base.volume.is_empty:
            return base
        cutters = [p.volume for p in rest if not p.volume.is_empty]
        return _Part(_boolean("difference", [base.volume, *cutters], expr.span), base.sheets)
    operands = [p for p in parts if not p.is_surface]
    if not operands or any(p.volume.is_empty for p in operands):
        return _Part(_empty(), _empty())
    return _Part(_boolean("intersection", [p.volume for p in operands], expr.span), _empty())


def _build(expr, env: Mapping[str, ShapeDef]) -> _Part:
    if isinstance(expr, Ref):
        target = env.get(expr.name)
        if target is None:
            raise SceneError(f"shape {expr.name!r} is not defined before it is used", expr.span)
        part = _local_part(target, _dependencies(target, env))
    elif isinstance(expr, Csg):
        part = _csg(expr, [_build(op, env) for op in expr.operands])
    else:
        part = _primitive(expr)
    return part.transformed(transform_matrix(expr.at, expr.rotate, expr.scale))


def _referenced_names(expr) -> list[str]:
    if isinstance(expr, Ref):
        return [expr.name]
    if isinstance(expr, Csg):
        return [n for op in expr.operands for n in _referenced_names(op)]
    return []


def _dependencies(shape: ShapeDef, env: Mapping[str, ShapeDef]) -> tuple[ShapeDef, ...]:
    """The definitions `shape` references, transitively, each once (the cache key's context)."""
    seen: dict[str, ShapeDef] = {}
    stack = _referenced_names(shape.shape)
    while stack:
        name = stack.pop()
        if name in seen or name not in env:
            continue
        seen[name] = env[name]
        stack.extend(_referenced_names(env[name].shape))
    return tuple(seen[n] for n in sorted(seen))


@lru_cache(maxsize=MESH_CACHE_SIZE)
def _local_part(shape: ShapeDef, dependencies: tuple[ShapeDef, ...]) -> _Part:
    env = {d.name: d for d in dependencies}
    part = _build(shape.shape, env)
    for mesh in (part.volume, part.sheets):
        mesh.vertices.flags.writeable = False
        mesh.faces.flags.writeable = False
    return part


def shape_mesh(shape: ShapeDef, earlier: Mapping[str, ShapeDef] | None = None) -> trimesh.Trimesh:
    """The mesh of one shape definition in its own space; `earlier` resolves its references.

    The result is shared with the cache: treat it as read-only.
    """
    return _shape_part(shape, earlier).merged()


def _shape_part(shape: ShapeDef, earlier: Mapping[str, ShapeDef] | None) -> _Part:
    env = dict(earlier or {})
    return _local_part(shape, _dependencies(shape, env))


def clear_cache() -> None:
    """Forget every cached shape mesh."""
    _local_part.cache_clear()


# ---------------------------------------------------------------- scene


def _shape_envs(scene: Scene) -> dict[str, dict[str, ShapeDef]]:
    """For every shape, the shapes defined before it (what its references may name)."""
    envs: dict[str, dict[str, ShapeDef]] = {}
    earlier: dict[str, ShapeDef] = {}
    for st in scene.geometry.statements:
        if isinstance(st, ShapeDef):
            envs[st.name] = dict(earlier)
            earlier[st.name] = st
    return envs


def object_matrix(obj: ObjectDef) -> np.ndarray:
    """An object's 4x4 world matrix: translate `at` @ rotate (Euler XYZ) @ scale."""
    m = transform_matrix(obj.at, obj.rotate, obj.scale)
    return m if m is not None else np.eye(4)


def scene_meshes(scene: Scene) -> list[ObjectMesh]:
    """World-space meshes of every object of `scene`, in source order.

    Raises `SceneError` (at the offending statement) for an object naming an unknown shape or
    material, or a shape referencing a shape not defined before it.
    """
    shapes = scene.shapes()
    envs = _shape_envs(scene)
    materials = scene.materials_by_name()
    result: list[ObjectMesh] = []
    for obj in scene.objects():
        shape = shapes.get(obj.shape)
        if shape is None:
            raise SceneError(f"object {obj.name!r} uses unknown shape {obj.shape!r}", obj.span)
        if obj.material is None:
            material = DEFAULT_MATERIAL
        elif obj.material in materials:
            material = materials[obj.material].material
        else:
            raise SceneError(f"object {obj.name!r} uses unknown material {obj.material!r}", obj.span)
        part = _shape_part(shape, envs[shape.name])
        local = part.merged()
        result.append(
            ObjectMesh(
                name=obj.name,
                shape_name=obj.shape,
                material_name=obj.material,
                color=tuple(float(c) for c in material.base_color.linear()),
                mesh=_transform(local, object_matrix(obj)) if not local.is_empty else _empty(),
                material=material,
                is_surface=part.is_surface,
            )
        )
    return result


def scene_bounds(meshes: Sequence[ObjectMesh]) -> np.ndarray | None:
    """The `(2, 3)` axis-aligned bounds of all non-empty meshes, or None when there are none."""
    boxes = [m.mesh.bounds for m in meshes if not m.mesh.is_empty]
    if not boxes:
        return None
    stacked = np.stack(boxes)
    return np.stack([stacked[:, 0].min(axis=0), stacked[:, 1].max(axis=0)])

