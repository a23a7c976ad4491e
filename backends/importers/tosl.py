"""A `Description` (what a file holds, in Blender's frame) -> a scenelang `Scene` and a report.

- each object becomes `object NAME = SHAPE at .. rotate .. scale .. material M`, its transform
  relative to its parent (Euler XYZ in degrees; the file's own Euler angles when they match, so
  `rotate (0, 0, 200deg)` stays 200); parents become groups and repeated groups instances
  (`hierarchy.compose`, which also reports what it flattens);
- its shape is the recognised primitive (`recognise.py`) with the transform baked into the mesh
  as the shape's own `at`/`rotate`/`scale`, or, with live Boolean operands, a CSG expression:
  consecutive modifiers of one operation make one n-ary `union`/`difference`/`intersection`,
  each operand placed relative to its owner; objects whose shape expressions are equal (linked
  duplicates, or two equal primitives) share one `shape` statement, named after the mesh, and a
  CSG operand that an earlier shape statement spells out becomes a reference to it;
- a mesh (or an operand's) that is not a primitive (a revolve, an extrude, a mesh asset, a sculpt)
  becomes a mesh asset: its vertices, in the mesh's own frame, are written once per distinct mesh
  as a PLY file into `assets` (an `AssetFolder`, beside the output .sl) and the shape is
  `mesh(path="<folder>/<mesh>.ply")`; without a folder (output to stdout) or without vertex data
  (too large) the object is skipped with the reason;
- materials, lights, the camera and the world map field by field, values clamped to the
  language's ranges (each clamp is reported); names are made valid (`Cube.001` -> `Cube_001`) and
  unique per namespace.

Numbers are rounded to 6 significant digits (Blender stores 32-bit floats), so `0.7599999904`
prints as `0.76`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from scenelang import ast as sl
from scenelang.backends.importers.hierarchy import Node, compose
from scenelang.backends.importers.model import (
    CameraData,
    Description,
    LightData,
    MeshData,
    ObjectData,
    Report,
)
from scenelang.backends.importers.recognise import Fit, recognise
from scenelang.backends.importers.textures import material_textures
from scenelang.backends.importers.transforms import (
    Unsupported,
    clean,
    color,
    decompose,
    transform_fields,
    valid_name,
    vec,
)
from scenelang.compiler.compile import DEFAULT_MATERIAL_NAME
from scenelang.resolve import shape_refs

MIRROR_AXIS = {"torus": 1}
"""The axis whose mirror maps a primitive's vertex set onto itself (default x)."""


# ---------------------------------------------------------------- shapes


class _Expr:
    """A shape expression under construction: a primitive fit or a CSG node, and its matrix."""

    def __init__(self, fit: Fit | None, kind: str, operands: list, matrix: np.ndarray, euler=None,
                 material: str | None = None):
        self.fit, self.kind, self.operands, self.matrix, self.euler = fit, kind, operands, matrix, euler
        self.material = material

    def moved(self, matrix: np.ndarray, euler=None) -> _Expr:
        same = np.allclose(self.matrix, np.eye(4))
        return _Expr(self.fit, self.kind, self.operands, matrix @ self.matrix,
                     euler if same else None, self.material)

    def to_ast(self) -> sl.ShapeBase:
        matrix = self.matrix
        if self.fit is not None and np.linalg.det(matrix[:3, :3]) < 0:
            mirror = np.eye(4)
            mirror[MIRROR_AXIS.get(self.fit.kind, 0), MIRROR_AXIS.get(self.fit.kind, 0)] = -1
            matrix = matrix @ mirror  # the primitive's vertex set is symmetric about this axis
        fields = transform_fields(matrix, self.euler)
        fields["material"] = self.material
        if self.fit is not None:
            params = {k: (tuple(clean(x) for x in v) if isinstance(v, tuple) else
                          v if isinstance(v, int) else clean(v)) for k, v in self.fit.params.items()}
            return sl.PRIMITIVES[self.fit.kind](**params, **fields)
        if self.kind == "mesh":
            return sl.MeshAsset(path=sl.String(value=self.operands[0]), **fields)
        return sl.Csg(kind=self.kind, operands=tuple(op.to_ast() for op in self.operands), **fields)


class AssetFolder:
    """Where mesh assets go: `folder` (absolute, created when the first asset is written), written
    in the scene as `folder.name/<file>` (so it must sit beside the output .sl). One PLY file
    per distinct mesh (same vertices and faces: one file)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.names: set[str] = set()
        self.paths: dict[tuple, str] = {}
        self.written: list[Path] = []

    def path_of(self, mesh: MeshData) -> str:
        """The scene path of `mesh`'s asset file, writing the file on first use."""
        vertices = np.asarray(mesh.vertices, dtype="<f4")  # Blender's own precision: exact
        faces = [tuple(int(i) for i in face) for face in mesh.faces or []]
        key = (vertices.tobytes(), tuple(faces))
        if key not in self.paths:
            name = valid_name(mesh.name or "mesh", self.names, "mesh")
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{name}.ply"
            target.write_bytes(ply_bytes(vertices, faces))
            self.written.append(target)
            self.paths[key] = f"{self.folder.name}/{target.name}"
        return self.paths[key]

    def image_path(self, name: str, data: bytes, suffix: str) -> str:
        """The scene path of an image texture's file (`data`, a PNG or JPEG: `suffix`),
        writing it on first use (same bytes: one file)."""
        key = ("image", data)
        if key not in self.paths:
            stem = valid_name(name, self.names, "image")
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{stem}{suffix}"
            target.write_bytes(data)
            self.written.append(target)
            self.paths[key] = f"{self.folder.name}/{target.name}"
        return self.paths[key]


def ply_bytes(vertices: np.ndarray, faces: list[tuple[int, ...]]) -> bytes:
    """An ASCII PLY file: x, y, z as float32 values written exactly (shortest repr, so both
    Blender's PLY importer and trimesh read back the same float32) and polygon faces as they are
    (n-gons kept, so a concave outline is not triangulated wrongly); z up."""
    header = ("ply\nformat ascii 1.0\ncomment written by scenelang import\n"
              f"element vertex {len(vertices)}\nproperty float x\nproperty float y\n"
              f"property float z\nelement face {len(faces)}\n"
              "property list uchar int vertex_indices\nend_header\n")
    lines = [" ".join(repr(float(c)) for c in row) for row in np.asarray(vertices, dtype="<f4")]
    lines += [" ".join(str(i) for i in (len(face), *face)) for face in faces]
    return (header + "\n".join(lines) + "\n").encode("ascii")


def _leaf(obj: ObjectData, report: Report, assets: AssetFolder | None, material) -> _Expr:
    """The object's own mesh as a primitive or a mesh asset; `material(name)` gives the scene's
    name of its part material (None: the object's)."""
    part = material(obj.part_material) if obj.part_material else None
    mesh = obj.mesh
    if mesh.vertices is None:
        raise Unsupported(f"mesh {mesh.name!r} is too large to be imported")
    fit = recognise(mesh.vertices, mesh.faces, triangulated=mesh.triangulated)
    if isinstance(fit, Fit):
        return _Expr(fit, fit.kind, [], fit.matrix, material=part)
    if assets is None or not mesh.faces or max(len(f) for f in mesh.faces) > 255:
        raise Unsupported(f"mesh {mesh.name!r} is not a primitive: {fit.reason}; write the "
                          "scene to a file to keep it as a mesh asset")
    before = len(assets.written)
    path = assets.path_of(mesh)
    if len(assets.written) > before:
        report.notes.append(f"mesh {mesh.name}: not a primitive ({fit.reason}); written as "
                            f"mesh asset {path}")
    return _Expr(None, "mesh", [path], np.eye(4), material=part)


def _expression(obj: ObjectData, report: Report, assets: AssetFolder | None = None,
                material=lambda name: None, depth: int = 0) -> _Expr:
    """The shape of `obj` in its own frame: its mesh, then its Boolean operands in order."""
    if depth > 8:
        raise Unsupported("its Boolean operands nest deeper than the language allows")
    expr = _leaf(obj, report, assets, material)
    run: list[_Expr] = []
    run_op = None
    for operand in obj.operands:
        inner = _expression(operand.node, report, assets, material, depth + 1).moved(operand.relative, operand.euler)
        if operand.operation != run_op and run:
            expr = _Expr(None, run_op, [expr, *run], np.eye(4))
            run = []
        run_op = operand.operation
        run.append(inner)
    if run:
        expr = _Expr(None, run_op, [expr, *run], np.eye(4))
    return expr


# ---------------------------------------------------------------- materials, lights, camera


def _clamped(name: str, key: str, value: float, low: float, high: float, report: Report) -> float:
    if not math.isfinite(value):
        value = low
    if value < low or value > high:
        report.notes.append(f"material {name}: {key} {value:g} clamped to {low:g}..{high:g}")
    return clean(min(max(value, low), high))


RANGES = {"metallic": (0, 1), "roughness": (0, 1), "ior": (1, 4), "specular": (0, 1),
          "transmission": (0, 1), "emission_strength": (0, 1e6), "alpha": (0, 1)}


def material_ast(name: str, params: dict, report: Report) -> sl.Principled:
    fields: dict = {}
    for key, value in params.items():
        if key in ("base_color", "emission_color"):
            fields[key] = color(value)
        elif key in RANGES:
            fields[key] = _clamped(name, key, float(value), *RANGES[key], report)
    return sl.Principled(**fields)


def _direction(matrix: np.ndarray) -> tuple[float, float, float]:
    d = -matrix[:3, 2]
    return vec(d / max(np.linalg.norm(d), 1e-30))


def light_ast(light: LightData) -> sl.Node:
    at = vec(light.matrix[:3, 3])
    energy = clean(min(max(light.energy, 0.0), 1e4 if light.kind == "sun" else 1e7))
    base = {"energy": energy, "color": color(light.color)}
    if light.kind == "sun":
        if light.angle is not None:  # unknown (glTF): the language's default
            base["angle"] = clean(min(max(math.degrees(light.angle), 0.0), 180.0))
        return sl.Sun(direction=_direction(light.matrix), **base)
    if light.kind == "point":
        return sl.Point(at=at, radius=clean(max(light.radius, 0.0)), **base)
    if light.kind == "spot":
        size = clean(min(max(math.degrees(light.spot_size or math.radians(45)), 1.0), 180.0))
        return sl.Spot(at=at, direction=_direction(light.matrix), radius=clean(max(light.radius, 0.0)),
                       spot_size=size, blend=clean(min(max(light.blend or 0.0, 0.0), 1.0)), **base)
    # Blender scales an area light's emitter with its object's scale
    shape = (light.shape or "square").lower()
    sx, sy = (float(np.linalg.norm(light.matrix[:3, i])) for i in (0, 1))
    size = (light.size or 1.0) * sx
    size_y = (light.size_y if shape in ("rectangle", "ellipse") and light.size_y else light.size or 1.0) * sy
    if abs(size_y - size) > 1e-6 * size:
        shape = {"square": "rectangle", "disk": "ellipse"}.get(shape, shape)
    wide = shape in ("rectangle", "ellipse")
    return sl.Area(at=at, direction=_direction(light.matrix), size=clean(max(size, 1e-6)),
                   size_y=clean(max(size_y, 1e-6)) if wide else None, shape=shape, **base)


def camera_ast(camera: CameraData, name: str) -> sl.Camera:
    at, rotate, _scale = decompose(_unscaled(camera.matrix), camera.euler)
    lens = clean(min(max(camera.lens, 1e-3), 10000.0))
    sensor = clean(min(max(camera.sensor, 1e-3), 10000.0))
    return sl.Camera(name=name, at=vec(at), rotate=vec(rotate), lens=lens, sensor=sensor,
                     resolution=tuple(int(min(max(v, 1), 4096)) for v in camera.resolution))


def _unscaled(matrix: np.ndarray) -> np.ndarray:
    out = matrix.copy()
    out[:3, :3] = matrix[:3, :3] / np.linalg.norm(matrix[:3, :3], axis=0)
    return out


# ---------------------------------------------------------------- the scene


def to_scene(description: Description,
             assets: AssetFolder | None = None) -> tuple[sl.Scene, Report]:
    """The scene the description holds, and what was recognised, flattened and skipped.

    assets: where meshes that are no primitive are written (None: such objects are skipped)."""
    report = description.report
    shapes: dict[sl.ShapeBase, str] = {}
    shape_defs: list[sl.ShapeDef] = []
    names = {"shape": set(), "material": set(), "object": set(), "light": {"world"}}
    material_names: dict[str, str] = {}
    used_materials: list[str] = []

    def material_ref(raw: str) -> str | None:
        """The scene's name of the file's material `raw` (None: unknown, or the default grey)."""
        if raw not in description.materials:
            return None
        params = description.materials[raw]
        if (raw.startswith(DEFAULT_MATERIAL_NAME)
                and material_ast(raw, params, Report()) == sl.Principled()):
            return None
        if raw not in material_names:
            material_names[raw] = valid_name(raw, names["material"], "material")
            used_materials.append(raw)
        return material_names[raw]

    composition: list = []
    if description.camera is not None:
        try:
            camera = camera_ast(description.camera, valid_name(description.camera.name,
                                                               names["object"], "camera"))
            composition.append(camera)
            report.recognised.append(f"camera {description.camera.name}")
        except Unsupported as exc:
            report.skipped.append(f"camera {description.camera.name}: {exc} (the default camera "
                                  "is used)")
    nodes = [Node(g.key, g.name, g.matrix, g.euler, g.parent) for g in description.groups]
    for obj in description.objects:
        try:
            expr = _expression(obj, report, assets, material_ref)
            world = obj.matrix
            if np.linalg.det(world[:3, :3]) < 0:  # move the mirror into the shape
                flip = np.diag([-1.0, 1.0, 1.0, 1.0])
                world, expr = world @ flip, expr.moved(flip)
            shape_ast = expr.to_ast()
            if obj.bevel is not None:
                shape_ast = shape_ast.model_copy(update={"bevel": clean(obj.bevel)})
        except Unsupported as exc:
            report.skipped.append(f"object {obj.name}: {exc}")
            nodes.append(Node(obj.key, obj.name, obj.matrix, obj.euler, obj.parent))  # a frame
            continue
        if shape_ast not in shapes:
            wanted = obj.mesh.name if obj.mesh.name else obj.name
            earlier = dict(shapes)
            shapes[shape_ast] = valid_name(wanted, names["shape"], "shape")
            shape_defs.append(sl.ShapeDef(name=shapes[shape_ast], shape=_with_refs(shape_ast, earlier)))
        material = material_ref(obj.material) if obj.material is not None else None
        nodes.append(Node(obj.key, obj.name, world, obj.euler, obj.parent, shapes[shape_ast],
                          material, frame=obj.matrix))
        report.recognised.append(f"object {obj.name}: {_kinds(shape_ast)}")
    rank = {key: i for i, key in enumerate(description.order)}
    nodes.sort(key=lambda n: rank.get(n.key, len(rank)))  # stable: unlisted keep their order
    composition += compose(nodes, names["object"], report)
    shape_defs = _used(shape_defs, composition)
    materials = _materials(description, [(material_names[m], m) for m in used_materials],
                           names["material"], assets, report)
    lighting: list = []
    if description.world is not None:
        rgb, strength = description.world
        lighting.append(sl.World(color=color(rgb), strength=clean(min(max(strength, 0.0), 1e4))))
    else:
        lighting.append(sl.World(color=sl.RGB(r=0, g=0, b=0), strength=0.0))
        report.notes.append("the file has no world: imported as a black background")
    for light in description.lights:
        name = valid_name(light.name, names["light"], "light")
        lighting.append(sl.LightDef(name=name, light=light_ast(light)))
        report.recognised.append(f"light {light.name}: {light.kind}")
    scene = sl.Scene(
        comments=(f"# imported from {description.source} by scenelang import",),
        geometry=sl.Section(name="geometry", statements=tuple(shape_defs)),
        materials=sl.Section(name="materials", statements=tuple(materials)),
        composition=sl.Section(name="composition", statements=tuple(composition)),
        lighting=sl.Section(name="lighting", statements=tuple(lighting)),
    )
    return scene, report


def _materials(description: Description, used: list[tuple[str, str]], taken: set[str],
               assets: AssetFolder | None, report: Report) -> list:
    """The materials section: `texture` statements (equal textures shared), then the materials
    `used` ((scene name, file name) pairs), their recognised textures plugged in by name."""
    textures: dict[sl.Node, str] = {}
    texture_defs: list[sl.TextureDef] = []
    material_defs: list[sl.MaterialDef] = []
    for name, raw in used:
        params = description.materials[raw]
        material = material_ast(name, params, report)
        found, reasons = material_textures(params.get("drivers") or {}, folder=description.folder,
                                           images=assets.image_path if assets else None)
        for reason in reasons:
            report.notes.append(f"material {raw}: {reason}: its own value is used")
        for key in ("base_color", "roughness", "bump"):
            if key not in found:
                continue
            texture = found[key]
            if texture not in textures:
                textures[texture] = valid_name(f"{name}_{ROLES[key]}", taken, "texture")
                texture_defs.append(sl.TextureDef(name=textures[texture], texture=texture))
                report.recognised.append(f"texture {textures[texture]}: {texture.kind}")
            found[key] = textures[texture]
        material_defs.append(sl.MaterialDef(name=name, material=material.model_copy(update=found)))
    return [*texture_defs, *material_defs]


ROLES = {"base_color": "color", "roughness": "roughness", "bump": "bump"}
"""The suffix of an imported texture's name, after its material's, by the input it drives."""


def _used(shape_defs: list[sl.ShapeDef], composition: list) -> list[sl.ShapeDef]:
    """The shape statements some placed object uses, directly or through references (an
    object that could not be placed leaves its shape out)."""
    wanted = {st.shape if isinstance(st, sl.ObjectDef) else st.source
              for st in _placed(composition) if isinstance(st, (sl.ObjectDef, sl.ArrayDef))}
    for definition in reversed(shape_defs):  # a reference names an earlier shape
        if definition.name in wanted:
            wanted |= {ref.name for ref in shape_refs(definition.shape)}
    return [d for d in shape_defs if d.name in wanted]


def _placed(statements):
    for st in statements:
        yield st
        if isinstance(st, sl.GroupDef):
            yield from _placed(st.members)


def _with_refs(node: sl.ShapeBase, earlier: dict[sl.ShapeBase, str]) -> sl.ShapeBase:
    """`node` with every CSG operand that an earlier shape statement spells out replaced by a
    reference to it (`difference(pawn, box(...))` rather than the pawn written out again)."""
    if not isinstance(node, sl.Csg):
        return node
    operands = []
    for operand in node.operands:
        bare = operand.model_copy(update={"at": None, "rotate": None, "scale": None})
        if operand in earlier:
            operands.append(sl.Ref(name=earlier[operand]))
        elif bare in earlier:  # the shape's own expression has no transform: the operand's stays
            operands.append(sl.Ref(name=earlier[bare], at=operand.at, rotate=operand.rotate,
                                   scale=operand.scale))
        else:
            operands.append(_with_refs(operand, earlier))
    return node.model_copy(update={"operands": tuple(operands)})


def _kinds(shape: sl.ShapeBase) -> str:
    if isinstance(shape, sl.Csg):
        return f"{shape.kind}({', '.join(_kinds(op) for op in shape.operands)})"
    return shape.kind
