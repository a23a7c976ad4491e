"""World-space triangle meshes of a scene's objects, built like Blender's primitives.

`scene_meshes(scene)` gives one `ObjectMesh` per `object` statement, in source order. Every
primitive comes from the builder registered for its kind in
`scenelang.compiler.runtime.primitives` (`box`, `sphere`, `cylinder`, `cone`, `torus`, `plane`),
the very code the compiled bpy script builds its meshes with, so the preview has Blender's
vertices by construction; its n-gons (quads, cylinder and cone caps) are fan-triangulated here,
which does not change the surface. A primitive whose mesh is not closed (a plane) is a surface,
not a volume.

Transforms (a shape expression's own `at/rotate/scale`, then the object's) apply as scale, then
rotate (Euler XYZ degrees, `R = Rz @ Ry @ Rx`), then translate, like a Blender object.

CSG uses trimesh's boolean with the manifold3d engine. Surfaces (planes), not volumes, so a
plane inside CSG never takes part in the boolean (no error is raised): a `union` keeps it as an
extra surface beside the combined volume; `difference` and `intersection` ignore a plane operand;
a `difference` whose base is a plane yields that plane unchanged. A CSG result may be empty
(e.g. a zero-volume intersection); the object then gets an empty mesh.

Names are bound once by `scenelang.resolve` (objects' shapes and materials, references, which
must name earlier shapes). Local (shape-space) meshes are cached per shape definition (LRU keyed
on the `ShapeDef` and the definitions it references), since the render-and-compare loop rebuilds
the same shapes often.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import trimesh

from scenelang.ast import (
    Csg,
    MeshAsset,
    ObjectDef,
    Principled,
    Ref,
    Scene,
    Section,
    ShapeBase,
    ShapeDef,
    TextureBase,
)
from scenelang.backends.assets import asset_mesh
from scenelang.backends.camera import euler_xyz_matrix
from scenelang.backends.slots import face_slots
from scenelang.backends.textures import flat_material
from scenelang.compiler.runtime.primitives import PRIMITIVES as BUILDERS
from scenelang.errors import SceneError
from scenelang.resolve import (
    DEFAULT_MATERIAL,
    ResolvedScene,
    SceneLike,
    resolve,
    resolved,
    shape_refs,
)

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
    local: trimesh.Trimesh | None = field(default=None, compare=False, repr=False)
    """The shape's mesh in its own space, before the object's transform (`mesh` is it moved by
    `object_matrix(definition)`); shared with the cache and with the other objects of the same
    shape: read-only."""
    definition: ObjectDef | None = field(default=None, compare=False, repr=False)
    """The `object` statement (its `at`, `rotate`, `scale`; for a member of a group or a copy,
    its transform relative to its parent)."""
    chain: tuple = field(default=(), compare=False, repr=False)
    """The transforms above the object (groups, instances, array steps), outermost first, and
    their names: `ResolvedObject.chain` and `.chain_names`."""
    chain_names: tuple[str, ...] = field(default=(), compare=False, repr=False)
    slot_materials: tuple[Principled, ...] = field(default=(), compare=False, repr=False)
    """Per-operand materials (`material` clauses in the shape): slot 0 is `material`, slot k the
    k-th material the shape names; empty when the shape names none."""
    face_slots: np.ndarray | None = field(default=None, compare=False, repr=False)
    """The material slot of each face of `mesh` (None when the shape names no material)."""
    slot_names: tuple[str, ...] = field(default=(), compare=False, repr=False)
    """The names of the materials of slots 1.. (`slot_materials[1:]`)."""
    base_texture: TextureBase | None = field(default=None, compare=False, repr=False)
    """The texture the material plugs into its base colour (`material` and `color` then hold
    its mean, `scenelang.backends.textures.flat_material`)."""


# ---------------------------------------------------------------- primitives


@dataclass(frozen=True)
class _Part:
    """An intermediate shape: a closed volume and open surfaces (planes), either may be empty."""

    volume: trimesh.Trimesh
    sheets: trimesh.Trimesh

    def transformed(self, matrix: np.ndarray | None) -> _Part:
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


def _fan(faces) -> np.ndarray:
    """Triangles of polygons (index tuples), each fanned from its first vertex."""
    triangles = [(f[0], f[i], f[i + 1]) for f in faces for i in range(1, len(f) - 1)]
    return np.asarray(triangles, dtype=np.int64).reshape(-1, 3)


def _closed(faces) -> bool:
    """True when every edge of the polygons borders exactly two of them."""
    edges: dict[tuple[int, int], int] = {}
    for f in faces:
        for a, b in zip(f, (*f[1:], f[0])):
            key = (a, b) if a < b else (b, a)
            edges[key] = edges.get(key, 0) + 1
    return bool(edges) and all(n == 2 for n in edges.values())


def primitive_polygons(kind: str, **params) -> tuple[list, list]:
    """`(vertices, faces)` of primitive `kind` from its registered builder (n-gons kept)."""
    builder = BUILDERS.get(kind)
    if builder is None:
        raise SceneError(f"no mesh builder for primitive {kind!r}")
    return builder(**params)


def primitive_mesh(kind: str, **params) -> trimesh.Trimesh:
    """Primitive `kind` as a triangle mesh: Blender's vertices, n-gons fan-triangulated."""
    vertices, faces = primitive_polygons(kind, **params)
    return _mesh(vertices, _fan(faces))


def box_mesh(size: Sequence[float]) -> trimesh.Trimesh:
    """A box centred at the origin with full extents `size` (m)."""
    return primitive_mesh("box", size=tuple(float(s) for s in size))


def uv_sphere_mesh(radius: float, segments: int = 32, rings: int = 16) -> trimesh.Trimesh:
    """A UV sphere of `radius` (m) with Blender's vertex layout (poles on z)."""
    return primitive_mesh("sphere", radius=radius, segments=segments, rings=rings)


def cone_mesh(radius: float, depth: float, top_radius: float = 0.0, vertices: int = 32) -> trimesh.Trimesh:
    """A cone or frustum along z, centred; base `radius` at -depth/2, `top_radius` at +depth/2."""
    return primitive_mesh("cone", radius=radius, depth=depth, top_radius=top_radius,
                          vertices=vertices)


def cylinder_mesh(radius: float, depth: float, vertices: int = 32) -> trimesh.Trimesh:
    """A capped cylinder along z, centred at the origin."""
    return primitive_mesh("cylinder", radius=radius, depth=depth, vertices=vertices)


def torus_mesh(
    major_radius: float, minor_radius: float, major_segments: int = 48, minor_segments: int = 12
) -> trimesh.Trimesh:
    """A torus in the xy plane: Blender's `add_torus` vertex layout."""
    return primitive_mesh("torus", major_radius=major_radius, minor_radius=minor_radius,
                          major_segments=major_segments, minor_segments=minor_segments)


def plane_mesh(size: float) -> trimesh.Trimesh:
    """A square of side `size` in the xy plane, centred, facing +z (two triangles)."""
    return primitive_mesh("plane", size=size)


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


def _primitive(expr: ShapeBase) -> _Part:
    if isinstance(expr, MeshAsset):  # read from its file; a closed mesh is a volume
        mesh = asset_mesh(expr)
        return _Part(mesh, _empty()) if len(mesh.faces) and mesh.is_watertight else _Part(_empty(), mesh)
    params = {k: v for k, v in expr.params().items() if k not in ShapeBase.TRANSFORMS}
    vertices, faces = primitive_polygons(expr.kind, **params)  # type: ignore[attr-defined]
    mesh = _mesh(vertices, _fan(faces))
    return _Part(mesh, _empty()) if _closed(faces) else _Part(_empty(), mesh)


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
    """`expr` with its transform; `env` holds the (already bound) definitions it references."""
    if isinstance(expr, Ref):
        target = env[expr.name]
        part = _local_part(target, _within(target, env))
    elif isinstance(expr, Csg):
        part = _csg(expr, [_build(op, env) for op in expr.operands])
    else:
        part = _primitive(expr)
    return part.transformed(transform_matrix(expr.at, expr.rotate, expr.scale))


def _within(shape: ShapeDef, env: Mapping[str, ShapeDef]) -> tuple[ShapeDef, ...]:
    """The definitions of `env` that `shape` uses, transitively, sorted by name (a cache key)."""
    seen: dict[str, ShapeDef] = {}
    pending = [r.name for r in shape_refs(shape.shape)]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen[name] = env[name]
            pending.extend(r.name for r in shape_refs(env[name].shape))
    return tuple(seen[n] for n in sorted(seen))


@lru_cache(maxsize=MESH_CACHE_SIZE)
def _local_part(shape: ShapeDef, dependencies: tuple[ShapeDef, ...]) -> _Part:
    env = {d.name: d for d in dependencies}
    part = _build(shape.shape, env)
    for mesh in (part.volume, part.sheets):
        mesh.vertices.flags.writeable = False
        mesh.faces.flags.writeable = False
    return part


def _material_parts(expr: ShapeBase, env: Mapping[str, ShapeDef], names: list[str], slot: int,
                    outer: np.ndarray | None) -> list[tuple[np.ndarray, int]]:
    """`(triangles, slot)` of every primitive of `expr` in the shape's space, in source order;
    `names` collects the materials named so far (slot k is `names[k - 1]`)."""
    own = transform_matrix(expr.at, expr.rotate, expr.scale)
    matrix = own if outer is None else (outer if own is None else outer @ own)
    if expr.material is not None:
        if expr.material not in names:
            names.append(expr.material)
        slot = names.index(expr.material) + 1
    if isinstance(expr, Ref):
        return _material_parts(env[expr.name].shape, env, names, slot, matrix)
    if isinstance(expr, Csg):
        return [p for op in expr.operands for p in _material_parts(op, env, names, slot, matrix)]
    mesh = _primitive(expr).merged()
    tris = np.asarray(mesh.vertices)[np.asarray(mesh.faces)]
    if matrix is not None:
        tris = tris @ matrix[:3, :3].T + matrix[:3, 3]
    return [(tris, slot)]


@lru_cache(maxsize=MESH_CACHE_SIZE)
def _local_slots(shape: ShapeDef, dependencies: tuple[ShapeDef, ...]) -> tuple[tuple[str, ...], np.ndarray | None]:
    """The materials a shape's `material` clauses name and the slot of each face of its local
    mesh (`scenelang.backends.slots`); `((), None)` when it names none."""
    env = {d.name: d for d in dependencies}
    names: list[str] = []
    parts = _material_parts(shape.shape, env, names, 0, None)
    if not names:
        return (), None
    local = _local_part(shape, dependencies).merged()
    slots = face_slots(local.vertices, local.faces, parts)
    slots.flags.writeable = False
    return tuple(names), slots


def shape_mesh(shape: ShapeDef, earlier: Mapping[str, ShapeDef] | None = None) -> trimesh.Trimesh:
    """The mesh of one shape definition in its own space; `earlier` holds the definitions its
    references may name.

    The result is shared with the cache: treat it as read-only.
    """
    before = tuple(d for d in (earlier or {}).values() if d.name != shape.name)
    scene = Scene(geometry=Section(name="geometry", statements=(*before, shape)))
    return _shape_part(resolve(scene), shape.name).merged()


def _shape_part(scene: ResolvedScene, name: str) -> _Part:
    """The cached local part of shape `name`; raises for a reference it cannot follow."""
    dependencies = scene.dependencies(name)
    for owner in (name, *(d.name for d in dependencies)):
        for ref in scene.shapes[owner].refs:
            scene.target(owner, ref)  # unknown, later or cyclic: a positioned SceneError
    return _local_part(scene.shapes[name].definition, dependencies)


def clear_cache() -> None:
    """Forget every cached shape mesh."""
    _local_part.cache_clear()
    _local_slots.cache_clear()


# ---------------------------------------------------------------- scene


def object_matrix(obj: ObjectDef) -> np.ndarray:
    """An object's 4x4 world matrix: translate `at` @ rotate (Euler XYZ) @ scale."""
    m = transform_matrix(obj.at, obj.rotate, obj.scale)
    return m if m is not None else np.eye(4)


def world_matrix(obj) -> np.ndarray:
    """A resolved object's world matrix: its groups', instances' and array steps' transforms
    (`ResolvedObject.chain`, outermost first) times its own, as Blender's parenting composes them."""
    m = object_matrix(obj.definition)
    for at, rotate, scale in reversed(obj.chain):
        outer = transform_matrix(at, rotate, scale)
        if outer is not None:
            m = outer @ m
    return m


def scene_meshes(scene: SceneLike) -> list[ObjectMesh]:
    """World-space meshes of every object of `scene` (a Scene or a ResolvedScene), in source order.

    Raises `SceneError` (at the offending statement) for an object naming an unknown shape or
    material, or a shape referencing a shape not defined before it.
    """
    bound = resolved(scene)
    textures = bound.scene.textures_by_name()
    result: list[ObjectMesh] = []
    for obj in bound.objects:
        if obj.errors:
            raise SceneError(list(obj.errors))
        assert obj.shape is not None
        part = _shape_part(bound, obj.shape.name)
        local = part.merged()
        definition = obj.definition
        names, slots = _local_slots(bound.shapes[obj.shape.name].definition,
                                    bound.dependencies(obj.shape.name))
        material = flat_material(obj.material, textures)
        slot_materials = (material, *(flat_material(bound.materials[n].material, textures)
                                      for n in names if n in bound.materials)) if names else ()
        base = obj.material.base_color
        base_texture = textures[base].texture if isinstance(base, str) and base in textures else None
        result.append(
            ObjectMesh(
                name=obj.name,
                shape_name=definition.shape,
                material_name=definition.material,
                color=tuple(float(c) for c in material.base_color.linear()),
                mesh=_transform(local, world_matrix(obj)) if not local.is_empty else _empty(),
                material=material,
                is_surface=part.is_surface,
                local=local,
                definition=definition,
                chain=obj.chain,
                chain_names=obj.chain_names,
                slot_materials=slot_materials if len(slot_materials) == len(names) + 1 else (),
                face_slots=slots if len(slot_materials) == len(names) + 1 else None,
                slot_names=names if len(slot_materials) == len(names) + 1 else (),
                base_texture=base_texture,
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

