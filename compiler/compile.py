"""Lowering a Scene AST into a standalone bpy script for Blender 5.0.

`compile_scene(scene)` resolves the scene's names once (`scenelang.resolve`), builds a plain-data
plan of it (which meshes, operands, materials, lights...) and renders it through the Jinja
templates in `templates/`, which inline the fixed runtime (`runtime/*.py`: primitive builders,
mesh and scene building, the entry point) around the per-scene parts. Every value reaches the
script through a `py_*` escaping filter (see `filters.py`), and the finished script is checked by
`check_script` before it is returned. Nothing here runs Blender.

Geometry lowering:
- each primitive becomes one generic call `add_primitive(bm, KIND, {PARAMS}, MATRIX)`, which
  builds it with the builder registered for KIND in `runtime/primitives.py` (the preview uses the
  same builders);
- each shape used by an object becomes one mesh named after the shape, shared by every object of
  that shape (a linked duplicate; materials are linked per object). Transforms written inside the
  shape expression are baked into the mesh; the object's `at`/`rotate`/`scale` is the Blender
  object's transform.
- CSG keeps its operands live: the first operand is the mesh itself, every further operand is a
  hidden helper object `<object>__op1`, `<object>__op2`, ... (mesh `<shape>__op1`, ...) parented to
  the object it cuts, with a Boolean modifier on that object (Manifold solver, which agrees with the
  preview and export; Exact where an open mesh such as a plane takes part). A helper whose
  transform has shear (non-uniform scale over a rotation) gets its own copy of the mesh with the
  transform baked in, since a Blender object transform cannot hold shear. Nested CSG nests the
  same way. `apply_csg=True` applies the modifiers and deletes the helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jinja2

from scenelang import ast as sl
from scenelang.assets import asset_path, image_path
from scenelang.compiler import runtime
from scenelang.compiler.composition import lower_composition
from scenelang.compiler.filters import FILTERS, Emitted, check_name, finalize
from scenelang.compiler.runtime.primitives import PRIMITIVES
from scenelang.compiler.script_check import check_script
from scenelang.compiler.settings import DEFAULT_SETTINGS, RenderSettings
from scenelang.errors import SceneError
from scenelang.resolve import ResolvedScene, SceneLike, resolved

BOOLEAN_OPERATIONS = {"union": "UNION", "difference": "DIFFERENCE", "intersection": "INTERSECT"}
AREA_SHAPES = {"square": "SQUARE", "rectangle": "RECTANGLE", "disk": "DISK", "ellipse": "ELLIPSE"}
DEFAULT_MATERIAL_NAME = "scenelang_default_grey"
DEFAULT_SOURCE_LABEL = "<scene>"

Transform = tuple[Any, Any, Any]  # (at, rotate, scale) with None for "not given"


@dataclass
class PrimitiveCall:
    """One primitive added to a mesh: its kind, its parameters and the transform baked into it."""

    kind: str
    params: dict[str, Any]
    matrix: list[Transform]
    slot: int = 0
    """The material slot of its faces: 0 the object's material, k > 0 `ShapePlan.slots[k - 1]`."""


@dataclass
class MeshPlan:
    """A mesh built once (by the script function `mesh_<name>`) and shared by objects."""

    name: str
    primitives: list[PrimitiveCall] = field(default_factory=list)


@dataclass
class OperandPlan:
    """A CSG helper object: built from `mesh`, parented to `parent` (None = the object itself)."""

    suffix: str
    mesh: MeshPlan
    parent: str | None
    matrix: list[Transform]
    operation: str


@dataclass
class ShapePlan:
    name: str
    comment: str
    mesh: MeshPlan
    operands: list[OperandPlan] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)
    """Materials named by `material` clauses inside the shape (slots 1.. of its objects)."""
    bevel: float | None = None
    """The width of the Bevel modifier on every object of the shape (after its Booleans)."""


def _comment(node: sl.Node, label: str, what: str) -> str:
    """`scene.sl:12 object ball_1` (the line is left out when the node has no span)."""
    span = node.span
    if span is None:
        return f"{label} {what}"
    return f"{label}:{span.line} {what}"


def _scale3(scale: Any) -> tuple[float, float, float] | None:
    if scale is None:
        return None
    if isinstance(scale, (int, float)):
        return (float(scale),) * 3
    return tuple(scale)  # type: ignore[return-value]


def _transform(node: sl.ShapeBase) -> Transform:
    return (node.at, node.rotate, _scale3(node.scale))


class _ShapeLowering:
    """Turns one ShapeDef's expression into a base mesh plus CSG operand helpers."""

    def __init__(self, scene: ResolvedScene, shape: sl.ShapeDef, taken: set[str]):
        self.scene = scene
        self.taken = taken  # mesh names in use (an operand mesh must not reuse a shape's name)
        self.plan = ShapePlan(name=shape.name, comment="", mesh=MeshPlan(shape.name))
        self._owners: list[str] = [shape.name]  # the definition each nested reference is in
        self._slot = 0  # the material slot of the part being lowered (`material` clauses)

    def _enter(self, node: sl.ShapeBase) -> int:
        """Switch to `node`'s material slot (if it names one); returns the slot to restore."""
        before = self._slot
        if node.material is not None:
            if node.material not in self.plan.slots:
                self.plan.slots.append(node.material)
            self._slot = self.plan.slots.index(node.material) + 1
        return before

    def _follow(self, ref: sl.Ref) -> sl.ShapeBase:
        """The expression `ref` names (a later shape is fine; unknown or cyclic raise)."""
        target = self.scene.target(self._owners[-1], ref, allow_later=True)
        self._owners.append(target.name)
        return target.shape

    def fill(self, mesh: MeshPlan, owner: str | None, node: sl.ShapeBase, outer: list[Transform]):
        """Add `node` (with its own transform, inside `outer`) to `mesh`, the base of `owner`."""
        chain = [*outer, _transform(node)]
        before = self._enter(node)
        if isinstance(node, sl.Ref):
            inner = self._follow(node)
            self.fill(mesh, owner, inner, chain)
            self._owners.pop()
        elif isinstance(node, sl.Csg):
            self.csg_body(mesh, owner, node, chain)
        else:
            if node.kind not in PRIMITIVES:
                raise SceneError(f"no mesh builder for primitive {node.kind!r}", node.span)
            params = {k: v for k, v in node.params().items() if k not in sl.ShapeBase.TRANSFORMS}
            if isinstance(node, sl.MeshAsset):  # only a checked absolute path reaches the script
                params = {"path": str(asset_path(node.path.value, node.path.span or node.span))}
            mesh.primitives.append(PrimitiveCall(node.kind, params, chain, self._slot))
        self._slot = before

    def csg_body(self, mesh: MeshPlan, owner: str | None, node: sl.Csg, chain: list[Transform]):
        """The first operand goes into `mesh`; each further operand becomes a helper of owner."""
        first, *rest = node.operands
        self.fill(mesh, owner, first, chain)
        for operand in rest:
            self.operand(owner, operand, chain, BOOLEAN_OPERATIONS[node.kind])

    def operand(self, parent: str | None, node: sl.ShapeBase, outer: list[Transform], op: str):
        pushed, before = 0, self._slot
        while isinstance(node, sl.Ref):
            outer = [*outer, _transform(node)]
            self._enter(node)
            node = self._follow(node)
            pushed += 1
        self._enter(node)
        suffix = f"op{len(self.plan.operands) + 1}"
        mesh = MeshPlan(_unique_name(f"{self.plan.name}__{suffix}", self.taken))
        self.taken.add(mesh.name)
        helper = OperandPlan(suffix, mesh, parent, [*outer, _transform(node)], op)
        self.plan.operands.append(helper)
        if isinstance(node, sl.Csg):
            self.csg_body(mesh, suffix, node, [])
        else:
            self.fill(mesh, suffix, node.model_copy(update={"at": None, "rotate": None, "scale": None}), [])
        del self._owners[len(self._owners) - pushed :]
        self._slot = before


def lower_shape(scene: SceneLike, shape: sl.ShapeDef, label: str,
                taken: set[str] | None = None) -> ShapePlan:
    """The mesh and CSG operands of one shape; `taken` collects the mesh names used so far."""
    bound = resolved(scene)
    lowering = _ShapeLowering(bound, shape, set(bound.shapes) if taken is None else taken)
    lowering.fill(lowering.plan.mesh, None, shape.shape, [])
    lowering.plan.comment = _comment(shape, label, f"shape {shape.name}")
    lowering.plan.bevel = shape.shape.bevel
    return lowering.plan


def _material_plan(material: sl.MaterialDef, label: str,
                   textures: dict[str, sl.TextureDef]) -> dict[str, Any]:
    """The material's parameters; a texture name in base colour, roughness or bump becomes
    `base_texture`/`roughness_texture`/`bump` (the name of a `textures` entry), and the base
    colour and roughness then carry its mean value (what the viewport shows)."""
    params = material.material.params()
    plan = {"name": material.name, "comment": _comment(material, label, f"material {material.name}"),
            **params, "base_texture": None, "roughness_texture": None}
    for param, key in (("base_color", "base_texture"), ("roughness", "roughness_texture")):
        name = params[param]
        if isinstance(name, str):
            mean = textures[name].texture.mean_color() if name in textures else None
            mean = mean if mean is not None else (0.8, 0.8, 0.8)
            plan[param] = mean if param == "base_color" else sl.luminance(mean)
            plan[key] = name
    return plan


def _texture_plan(texture: sl.TextureDef, label: str) -> dict[str, Any]:
    """A texture's parameters as plain values: colours linear RGB, an image's path checked and
    absolute (only such a path reaches the script)."""
    params: dict[str, Any] = {}
    for key, value in texture.texture.params().items():
        if isinstance(value, (sl.HexColor, sl.RGB)):
            value = value.linear()
        elif isinstance(value, sl.String):
            value = str(image_path(value.value, value.span or texture.texture.span or texture.span))
        params[key] = value
    return {"name": texture.name, "kind": texture.texture.kind, "params": params,
            "comment": _comment(texture, label, f"texture {texture.name}")}


def _light_plan(light: sl.LightDef, label: str) -> dict[str, Any]:
    params = light.light.params()
    if isinstance(light.light, sl.Area):
        params["shape"] = AREA_SHAPES[light.light.shape]
    return {"name": light.name, "kind": light.light.kind,
            "comment": _comment(light, label, f"light {light.name}"), **params}


def _unique_name(wanted: str, taken: set[str]) -> str:
    name = wanted
    while name in taken:
        name += "_"
    return name


def build_plan(scene: SceneLike, *, apply_csg: bool, source_file: str | None,
               settings: RenderSettings) -> dict[str, Any]:
    """Everything the templates need, as plain data (names checked, references resolved)."""
    bound = resolved(scene)
    scene = bound.scene
    label = source_file or DEFAULT_SOURCE_LABEL
    bound.check_objects()
    used = {obj.shape.name for obj in bound.objects if obj.shape is not None}
    used_shapes: list[ShapePlan] = []
    mesh_names = set(bound.shapes)
    for entry in bound.shapes.values():
        if entry.name in used:
            check_name(entry.name)
            used_shapes.append(lower_shape(bound, entry.definition, label, mesh_names))

    all_names = {st.name for section in scene.sections() for st in section.statements}
    default_material = None
    if any(obj.material_def is None for obj in bound.objects):
        default_material = _unique_name(DEFAULT_MATERIAL_NAME, all_names)

    textures = scene.textures_by_name()
    camera, world = bound.camera, bound.world
    object_rows, part_functions = lower_composition(
        bound.parts, lambda st: _comment(st, label, f"{st.stmt} {st.name}"),
        lambda st: _light_plan(st, label))
    return {
        "source": label,
        "version": scene.version,
        "apply_csg": apply_csg,
        "settings": settings,
        "resolution": camera.resolution,
        "shapes": used_shapes,
        "materials": [_material_plan(m, label, textures) for m in scene.materials.statements
                      if isinstance(m, sl.MaterialDef)],
        "textures": [_texture_plan(t, label) for t in textures.values()],
        "default_material": default_material,
        "object_rows": object_rows,
        "part_functions": part_functions,
        "camera": {"name": camera.name, "at": camera.at, "look_at": camera.target(),
                   "rotate": camera.rotate, "lens": camera.lens if camera.fov is None else None,
                   "fov": camera.fov, "sensor": camera.sensor,
                   "default_lens": sl.Camera.DEFAULT_LENS,
                   "comment": _comment(camera, label, f"camera {camera.name}")},
        "world": {"color": world.color, "strength": world.strength,
                  "comment": _comment(world, label, "world")},
        # lights in groups are rows of build_objects (parented to their group's Empty)
        "lights": [_light_plan(light.definition, label) for light in bound.lights
                   if light.parent is None],
    }


@lru_cache(maxsize=1)
def template_environment() -> jinja2.Environment:
    """The Jinja environment: StrictUndefined, no autoescape, every printed value filtered."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("scenelang.compiler", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        finalize=finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals["runtime"] = _runtime_source
    return env


def _runtime_source(name: str) -> Emitted:
    """The fixed source of runtime module `name` (trusted package code, not a scene value)."""
    return Emitted(runtime.inline(name))


def compile_scene(scene: SceneLike, *, apply_csg: bool = False, source_file: str | None = None,
                  settings: RenderSettings | None = None) -> str:
    """The scene as a standalone, checked bpy script (text).

    apply_csg: apply the Boolean modifiers (default False: CSG stays live and editable).
    source_file: the `.sl` file named in the script's line comments (default: the spans' file,
    else `<scene>`).
    settings: render defaults embedded in the script (default `RenderSettings()`).
    Raises SceneError for dangling references, FilterError for values that cannot be emitted
    (only reachable with hand-built, unvalidated ASTs) and ScriptCheckError if the script fails
    the safety check.
    """
    bound = resolved(scene)
    if source_file is None:
        source_file = next((st.span.file for section in bound.scene.sections()
                            for st in section.statements if st.span and st.span.file), None)
    plan = build_plan(bound, apply_csg=apply_csg, source_file=source_file,
                      settings=settings or DEFAULT_SETTINGS)
    text = template_environment().get_template("script.py.j2").render(**plan)
    check_script(text)
    return text
