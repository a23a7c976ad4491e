"""Hypothesis strategies for random VALID scenelang ASTs, shared by every layer's property tests.

Import them from tests (`from strategies import scenes`; pytest puts `tests/` on `sys.path`).

What "valid" means here (the rules `scenelang.validate` enforces, kept conservative):

- names match `[A-Za-z_][A-Za-z0-9_]*`, avoid `RESERVED` words, and are unique across the whole
  scene (so they are also unique per kind and per section);
- every `Ref` names a shape defined EARLIER in the geometry section; objects use existing shapes
  and materials; at most one camera and at most one world;
- numbers are finite and inside the field ranges of `scenelang.ast`, drawn from sane sub-ranges
  so the scenes also build and render in Blender quickly (positions within +-6 m, sizes
  0.05..4 m, segment counts <= 48, resolutions <= 320 px);
- scenes are small: <= 4 shapes, <= 3 materials, <= 6 objects, <= 3 lights; CSG depth <= 3
  counted through references; planes are never CSG operands (they have no volume);
- mutually exclusive options are never both set: camera `look_at`/`rotate` and `lens`/`fov`,
  spot/area `direction`/`look_at`; area `size_y` only with `rectangle`/`ellipse`; a camera or
  light never looks at its own position; a torus' minor radius is below its major radius;
- comments are optional, one line each, stored with their `#`: `"# " + text`, no trailing space.

Main entry points:

- `scenes(comments=True)`: a whole `Scene`.
- single nodes: `shape_exprs(refs)`, `primitives()`, `principled`, `lights`, `worlds`,
  `cameras(name)`, `objects(name, shapes, materials)`, `params_of(cls)` for any node class in
  `PARAMS`; values: `numbers(lo, hi)`, `vec3()`, `colors`, `raw_values`, `comments`, `names`.
- `patch_cases(scene)`: `(Patch, expected Scene)`: a patch touching one section that applies
  cleanly, and the scene it must produce. `patches(scene)` draws just the patch.
- `scene_pairs()`: `(a, b)`, two related valid scenes (b is a edited in one or more sections)
  with the same scene- and section-level comments, so `diff(a, b)` can reproduce b exactly.
- `arithmetic_scenes()`: a `scenes()` scene with some numbers written as arithmetic over `let`
  constants (each evaluating to exactly the number it replaces); `arithmetic_scene_pairs()`:
  `(a, b)` where b also changes, adds, removes or reorders constants.

Patch semantics assumed by `patch_cases`: `set NAME.PARAM = V` changes one parameter (of the
shape/material/light for those statements, see `scenelang.coerce.with_param`) and keeps the
statement's comments; a put replaces the same-named statement in place (comments and all) or
appends a new one; `remove NAME` deletes; `replace SECTION {...}` swaps the statements and keeps
the section's own comments.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from scenelang import ast as A
from scenelang.constants import reevaluate
from scenelang.errors import SceneError
from scenelang.printer import print_scene
from scenelang.validate import validate

RESERVED = frozenset(
    {
        "scenelang", "geometry", "materials", "composition", "lighting", "shape", "material",
        "object", "camera", "light", "world", "patch", "replace", "set", "remove",
        "box", "sphere", "cylinder", "cone", "torus", "plane", "union", "difference",
        "intersection", "principled", "sun", "point", "spot", "area", "revolve", "extrude",
        "texture", "profile", "group", "instance", "array", "let", "constants",
        "at", "rotate", "scale", "look_at", "lens", "fov", "sensor", "resolution", "color",
        "strength", "deg", "rad", "mm", "true", "false", "none",
    }
)
"""Words the strategies never use as names (keywords, kinds, clause names and units)."""

MAX_SHAPES, MAX_MATERIALS, MAX_OBJECTS, MAX_LIGHTS, MAX_CSG_DEPTH = 4, 3, 6, 3, 3

# ---------------------------------------------------------------- names, comments, numbers

names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,11}\Z").filter(
    lambda n: n.lower() not in RESERVED
)
"""Identifiers that are legal names and not reserved words."""

_comment_text = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"), max_codepoint=0x2FFF),
    max_size=30,
).map(str.rstrip)
comments = _comment_text.map(lambda t: ("# " + t).rstrip())
"""One comment line with its leading `#`, e.g. `"# a note"`."""


def comment_lists(max_size: int = 2) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(comments, max_size=max_size).map(tuple)


def numbers(lo: float, hi: float, *, exclude_lo: bool = False) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi] (or (lo, hi]): arbitrary ones and 'nice' two-decimal ones."""
    nice = st.integers(math.ceil(lo * 100), math.floor(hi * 100)).map(lambda i: i / 100)
    wild = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False,
                     exclude_min=exclude_lo)
    out = st.one_of(nice, wild)
    return out.filter(lambda x: x > lo) if exclude_lo else out


def vec3(lo: float = -6.0, hi: float = 6.0) -> st.SearchStrategy[tuple[float, float, float]]:
    return st.tuples(numbers(lo, hi), numbers(lo, hi), numbers(lo, hi))


def directions() -> st.SearchStrategy[tuple[float, float, float]]:
    """Non-degenerate direction vectors (length >= 0.1)."""
    return vec3(-1, 1).filter(lambda v: math.hypot(*v) >= 0.1)


angles = numbers(-360, 360)
angle_vec3 = st.tuples(angles, angles, angles)
fractions = numbers(0, 1)
scales = st.one_of(numbers(0.1, 3), st.tuples(numbers(0.1, 3), numbers(0.1, 3), numbers(0.1, 3)))
hex_colors = st.from_regex(r"\A[0-9a-f]{6}\Z").map(lambda h: A.HexColor(hex=h))
rgb_colors = st.builds(A.RGB, r=fractions, g=fractions, b=fractions)
colors = st.one_of(hex_colors, rgb_colors)
"""`#rrggbb` (sRGB) or `(r, g, b)` (linear) colours."""


def _far_from(point: tuple[float, float, float]) -> st.SearchStrategy[tuple]:
    return vec3().filter(lambda v: math.dist(v, point) >= 0.5)


# ---------------------------------------------------------------- parameter strategies


asset_paths = st.text(
    alphabet=st.characters(codec="ascii", exclude_characters="\n\r", exclude_categories=("Cc",)),
    min_size=1, max_size=40).map(lambda s: s + ".glb")
"""Any one-line path text (quotes and backslashes included), as `mesh(path=...)` may hold; the
file need not exist (for round trips; the validator checks files)."""


@st.composite
def mesh_assets(draw) -> A.MeshAsset:
    """A `mesh(path="...")` shape with an arbitrary one-line path and optional transforms."""
    shape = A.MeshAsset(path=A.String(value=draw(asset_paths)))
    return _draw_transforms(draw, shape)


@st.composite
def revolve_profiles(draw) -> tuple[tuple[float, float], ...]:
    """A lathe profile: 2..6 points (r, z) going up in z, r in 0..1.5, the inner points off the
    axis (so at least one r > 0)."""
    count = draw(st.integers(2, 6))
    zs = sorted(draw(st.lists(numbers(-1, 1.5), min_size=count, max_size=count, unique=True)))
    points = []
    for i, z in enumerate(zs):
        lo = 0.0 if i in (0, count - 1) and count > 2 else 0.05
        points.append((draw(numbers(lo, 1.5)), z))
    return tuple(points)


@st.composite
def extrude_profiles(draw) -> tuple[tuple[float, float], ...]:
    """A simple (never self-crossing) polygon: 3..8 corners at strictly increasing angles
    around the origin (a star-shaped outline, possibly concave), radius 0.1..1.5."""
    count = draw(st.integers(3, 8))
    step = 2 * math.pi / count
    points = []
    for k in range(count):
        angle = step * k + draw(numbers(0, 0.6)) * step
        radius = draw(numbers(0.1, 1.5))
        points.append((round(radius * math.cos(angle), 4), round(radius * math.sin(angle), 4)))
    return tuple(points)


_LEN = numbers(0.05, 4)
PARAMS: dict[type, dict[str, st.SearchStrategy]] = {
    A.Box: {"size": st.tuples(_LEN, _LEN, _LEN)},
    A.Sphere: {"radius": numbers(0.05, 2), "segments": st.integers(3, 48),
               "rings": st.integers(2, 24)},
    A.Cylinder: {"radius": numbers(0.05, 2), "depth": _LEN, "vertices": st.integers(3, 48)},
    A.Cone: {"radius": numbers(0.05, 2), "depth": _LEN, "top_radius": numbers(0, 2),
             "vertices": st.integers(3, 48)},
    A.Torus: {"major_radius": numbers(0.6, 2), "minor_radius": numbers(0.02, 0.5),
              "major_segments": st.integers(3, 48), "minor_segments": st.integers(3, 24)},
    A.Plane: {"size": numbers(0.5, 20)},
    A.Revolve: {"profile": revolve_profiles(), "segments": st.integers(3, 48)},
    A.Extrude: {"profile": extrude_profiles(), "depth": _LEN},
    A.Principled: {"base_color": colors, "metallic": fractions, "roughness": fractions,
                   "ior": numbers(1, 4), "specular": fractions, "transmission": fractions,
                   "emission_color": colors, "emission_strength": numbers(0, 50),
                   "alpha": fractions},
    A.Sun: {"direction": directions(), "energy": numbers(0, 10), "color": colors,
            "angle": numbers(0, 30)},
    A.Point: {"at": vec3(), "energy": numbers(0, 2000), "color": colors,
              "radius": numbers(0, 1)},
    A.Spot: {"at": vec3(), "direction": directions(), "look_at": vec3(),
             "energy": numbers(0, 2000), "color": colors, "radius": numbers(0, 1),
             "spot_size": numbers(1, 180), "blend": fractions},
    A.Area: {"at": vec3(), "direction": directions(), "look_at": vec3(),
             "energy": numbers(0, 2000), "color": colors, "size": numbers(0.1, 5),
             "size_y": numbers(0.1, 5),
             "shape": st.sampled_from(["square", "rectangle", "disk", "ellipse"])},
    A.ObjectDef: {"at": vec3(), "rotate": angle_vec3, "scale": scales},
    A.Camera: {"at": vec3(-12, 12), "look_at": vec3(-2, 2), "rotate": angle_vec3,
               "lens": numbers(10, 200), "fov": numbers(10, 120), "sensor": numbers(10, 50),
               "resolution": st.tuples(st.integers(16, 320), st.integers(16, 240))},
    A.World: {"color": colors, "strength": numbers(0, 2)},
}
"""Sane value strategies per (node class, parameter); shape transforms are in `TRANSFORMS`."""
TRANSFORMS: dict[str, st.SearchStrategy] = {"at": vec3(-2, 2), "rotate": angle_vec3,
                                            "scale": scales}


def node_ok(node: A.Node) -> bool:
    """The cross-parameter rules above for one node (ranges are enforced by pydantic)."""
    if isinstance(node, A.Camera):
        target = node.target()
        aimed = target is None or math.dist(target, node.at) >= 0.5
        return aimed and not (node.look_at and node.rotate) and not (node.lens and node.fov)
    if isinstance(node, (A.Spot, A.Area)):
        if node.direction is not None and node.look_at is not None:
            return False
        if node.look_at is not None and math.dist(node.look_at, node.at) < 0.5:
            return False
        if isinstance(node, A.Area) and node.size_y is not None:
            return node.shape in ("rectangle", "ellipse")
        return True
    if isinstance(node, A.Torus):
        return node.minor_radius < node.major_radius
    return True


_BOOL = st.booleans()
_AIM = st.sampled_from(["look_at", "rotate"])
_FOCAL = st.sampled_from(["lens", "fov"])
_LIGHT_AIM = st.sampled_from(["direction", "look_at"])
_CSG_KIND = st.sampled_from(A.CSG_OPS)
_OPERAND_COUNT = st.integers(2, 3)
_TRAILING = st.none() | comments
_COMMENT_LINES = comment_lists()
_LIGHT_CLASSES = st.sampled_from([A.Sun, A.Point, A.Spot, A.Area])
# mesh assets need a file next to the scene: drawn by `mesh_assets()` only, never at random here
_PRIMITIVE_CLASSES = st.sampled_from([c for c in A.PRIMITIVES.values() if c is not A.MeshAsset])
_SOLID_CLASSES = st.sampled_from([c for c in A.PRIMITIVES.values()
                                  if c not in (A.Plane, A.MeshAsset)])

# The _draw_* helpers draw directly (strategies built per draw are slow in hypothesis); the
# public strategies below wrap them.


def _draw_params(draw, cls: type, fixed: Mapping[str, Any] | None = None) -> A.Node:
    """A `cls` node: required parameters always, each optional one about half the time."""
    values = dict(fixed or {})
    for name, strategy in PARAMS[cls].items():
        if name in values:
            continue
        if cls.model_fields[name].is_required() or draw(_BOOL):
            values[name] = draw(strategy)
    if cls is A.Camera:
        values.pop(draw(_AIM), None)
        values.pop(draw(_FOCAL), None)
        target = values.get("look_at", (0.0, 0.0, 0.0))
        if "rotate" not in values and math.dist(target, values["at"]) < 0.5:
            values["rotate"] = (60.0, 0.0, 45.0)
            values.pop("look_at", None)
    if cls in (A.Spot, A.Area):
        values.pop(draw(_LIGHT_AIM), None)
        if values.get("look_at") is not None and math.dist(values["look_at"], values["at"]) < 0.5:
            values.pop("look_at")
    if cls is A.Area and values.get("shape") not in ("rectangle", "ellipse"):
        values.pop("size_y", None)
    return cls(**values)


@st.composite
def params_of(draw, cls: type, fixed: Mapping[str, Any] | None = None) -> A.Node:
    """A node of `cls` (a primitive, Principled, a light, ObjectDef, Camera or World) with
    sane random parameters; `fixed` gives some fields (e.g. `{"name": "cam"}`)."""
    return _draw_params(draw, cls, fixed)


# ---------------------------------------------------------------- shapes


def _draw_transforms(draw, shape: A.ShapeBase) -> A.ShapeBase:
    update = {name: draw(s) for name, s in TRANSFORMS.items() if draw(_BOOL)}
    return shape.model_copy(update=update) if update else shape


def _draw_primitive(draw, transforms: bool = True, planes: bool = True) -> A.ShapeBase:
    shape = _draw_params(draw, draw(_PRIMITIVE_CLASSES if planes else _SOLID_CLASSES))
    return _draw_transforms(draw, shape) if transforms else shape


@st.composite
def primitives(draw, transforms: bool = True, planes: bool = True) -> A.ShapeBase:
    """A primitive (box, sphere, cylinder, cone, torus, plane) with optional local transforms."""
    return _draw_primitive(draw, transforms, planes)


def shape_depth(shape: A.ShapeBase, depths: Mapping[str, int]) -> int:
    """CSG nesting depth, counted through references (`depths`: name -> depth of that shape)."""
    if isinstance(shape, A.Csg):
        return 1 + max(shape_depth(op, depths) for op in shape.operands)
    if isinstance(shape, A.Ref):
        return depths[shape.name]
    return 0


def is_flat(shape: A.ShapeBase, shapes: Mapping[str, A.ShapeBase]) -> bool:
    """A plane, or a reference to one (not usable as a CSG operand)."""
    if isinstance(shape, A.Ref):
        return is_flat(shapes[shape.name], shapes)
    return isinstance(shape, A.Plane)


def _draw_shape(draw, refs: Mapping[str, A.ShapeBase], max_depth: int, in_csg: bool = False,
                depths: dict[str, int] | None = None) -> A.ShapeBase:
    if depths is None:
        depths = {}
        for name, shape in refs.items():
            depths[name] = shape_depth(shape, depths)
    usable = sorted(n for n in refs if depths[n] <= max_depth
                    and not (in_csg and is_flat(refs[n], refs)))
    # weighted towards primitives so deep CSG trees (slow to build in Blender) stay rare
    choices = ["primitive"] * 3 + (["ref"] if usable else []) + (["csg"] if max_depth >= 1 else [])
    kind = draw(st.sampled_from(choices))
    if kind == "primitive":
        return _draw_primitive(draw, planes=not in_csg)
    if kind == "ref":
        return _draw_transforms(draw, A.Ref(name=draw(st.sampled_from(usable))))
    operands = tuple(_draw_shape(draw, refs, max_depth - 1, True, depths)
                     for _ in range(draw(_OPERAND_COUNT)))
    return _draw_transforms(draw, A.Csg(kind=draw(_CSG_KIND), operands=operands))


def _with_operand_materials(draw, shape: A.ShapeDef, materials: Sequence[str]) -> A.ShapeDef:
    """`shape` with a `material` clause on each operand of its top-level CSG about a third of
    the time (names from `materials`)."""
    if not isinstance(shape.shape, A.Csg):
        return shape
    operands = tuple(op.model_copy(update={"material": draw(st.sampled_from(materials))})
                     if draw(st.integers(0, 2)) == 0 else op for op in shape.shape.operands)
    return shape.model_copy(update={"shape": shape.shape.model_copy(update={"operands": operands})})


@st.composite
def shape_exprs(draw, refs: Mapping[str, A.ShapeBase] | None = None,
                max_depth: int = MAX_CSG_DEPTH, in_csg: bool = False) -> A.ShapeBase:
    """A shape expression using only the shapes in `refs` (name -> defining expression, all
    earlier in the section), of CSG depth at most `max_depth` counted through references."""
    return _draw_shape(draw, dict(refs or {}), max_depth, in_csg)


# ---------------------------------------------------------------- statements

principled = params_of(A.Principled)
worlds = params_of(A.World)


@st.composite
def _any_light(draw) -> A.Node:
    return _draw_params(draw, draw(_LIGHT_CLASSES))


lights = _any_light()
"""A sun, point, spot or area light."""


def _draw_comments(draw, statement: A.Node, with_comments: bool) -> A.Node:
    """Optionally attach comment lines and a trailing comment to a statement."""
    if not with_comments:
        return statement
    return statement.model_copy(update={"comments": draw(_COMMENT_LINES),
                                        "trailing_comment": draw(_TRAILING)})


def cameras(name: str = "cam") -> st.SearchStrategy[A.Camera]:
    return params_of(A.Camera, {"name": name})


def _draw_object(draw, name: str, shapes: Sequence[str], materials: Sequence[str]) -> A.ObjectDef:
    shape = draw(st.sampled_from(list(shapes)))
    material = draw(st.sampled_from([None, *materials]))
    return _draw_params(draw, A.ObjectDef, {"name": name, "shape": shape, "material": material})


@st.composite
def objects(draw, name: str, shapes: Sequence[str], materials: Sequence[str]) -> A.ObjectDef:
    """An `ObjectDef` placing one of `shapes`, with one of `materials` or none."""
    return _draw_object(draw, name, shapes, materials)


def _section(name: str, statements: Sequence, draw, with_comments: bool) -> A.Section:
    extra = {}
    if with_comments:
        extra = {"comments": draw(_COMMENT_LINES), "end_comments": draw(comment_lists(1))}
    return A.Section(name=name, statements=tuple(statements), **extra)


@st.composite
def scenes(draw, comments: bool = True, min_shapes: int = 1,
           name_strategy: st.SearchStrategy[str] | None = None) -> A.Scene:
    """A small valid scene (see the module docstring for the rules).

    `comments=False` gives comment-free scenes; `min_shapes` (0..4) the least number of shapes;
    `name_strategy` replaces `names` (it must offer at least 17 distinct valid names).
    """
    pool = draw(st.lists(names if name_strategy is None else name_strategy, min_size=17,
                         max_size=17, unique=True))
    geometry: list[A.ShapeDef] = []
    for name in pool[: draw(st.integers(min_shapes, MAX_SHAPES))]:
        expr = _draw_shape(draw, {s.name: s.shape for s in geometry}, MAX_CSG_DEPTH)
        if draw(st.integers(0, 4)) == 0:  # `bevel W` on a whole shape (language v2)
            expr = expr.model_copy(update={"bevel": draw(numbers(0.001, 0.1))})
        geometry.append(_draw_comments(draw, A.ShapeDef(name=name, shape=expr), comments))
    materials = [
        _draw_comments(draw, A.MaterialDef(name=n, material=_draw_params(draw, A.Principled)),
                       comments)
        for n in pool[4 : 4 + draw(st.integers(0, MAX_MATERIALS))]
    ]
    shape_names = [s.name for s in geometry]
    mat_names = [m.name for m in materials]
    if mat_names:  # per-operand materials (language v2): `material NAME` on some CSG operands
        geometry = [_with_operand_materials(draw, s, mat_names) for s in geometry]
    composition: list = []
    if shape_names:
        for n in pool[7 : 7 + draw(st.integers(0, MAX_OBJECTS))]:
            obj = _draw_object(draw, n, shape_names, mat_names)
            composition.append(_draw_comments(draw, obj, comments))
    if draw(_BOOL):
        cam = _draw_comments(draw, _draw_params(draw, A.Camera, {"name": pool[13]}), comments)
        composition.insert(draw(st.integers(0, len(composition))), cam)
    lighting: list = [
        _draw_comments(draw, A.LightDef(name=n, light=draw(lights)), comments)
        for n in pool[14 : 14 + draw(st.integers(0, MAX_LIGHTS))]
    ]
    if draw(_BOOL):
        world = _draw_comments(draw, _draw_params(draw, A.World), comments)
        lighting.insert(draw(st.integers(0, len(lighting))), world)
    extra = {}
    if comments:
        extra = {"comments": draw(_COMMENT_LINES), "end_comments": draw(comment_lists(1))}
    return A.Scene(
        geometry=_section("geometry", geometry, draw, comments),
        materials=_section("materials", materials, draw, comments),
        composition=_section("composition", composition, draw, comments),
        lighting=_section("lighting", lighting, draw, comments),
        **extra,
    )


# ---------------------------------------------------------------- raw values


def raw_numbers(units: Sequence[str | None] = (None, "deg", "rad", "mm")):
    return st.builds(A.Number, value=numbers(-1e6, 1e6), unit=st.sampled_from(list(units)))


raw_values = st.one_of(
    raw_numbers(),
    st.lists(raw_numbers(), min_size=1, max_size=4).map(lambda xs: A.Vector(items=tuple(xs))),
    hex_colors,
    names.map(lambda n: A.Ident(name=n)),
)
"""Any raw literal (`Number`, `Vector`, `HexColor`, `Ident`), as `set` ops carry them."""


def to_raw(value: Any, unit: str | None = None) -> A.Node:
    """The raw literal a user would write for a typed field value (degrees stay bare or `deg`,
    millimetres get `mm`)."""
    if isinstance(value, A.HexColor):
        return value
    if isinstance(value, A.RGB):
        return to_raw((value.r, value.g, value.b))
    if isinstance(value, str):
        return A.Ident(name=value)
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return A.ListValue(items=tuple(to_raw(v, unit) for v in value))
    if isinstance(value, tuple):
        return A.Vector(items=tuple(to_raw(v, unit) for v in value))
    return A.Number(value=float(value), unit=unit if unit == "mm" or (unit and value) else None)


# ---------------------------------------------------------------- edits, patches, pairs

SECTION_STATEMENT_LIMITS = {"geometry": MAX_SHAPES, "materials": MAX_MATERIALS,
                            "composition": MAX_OBJECTS + 1, "lighting": MAX_LIGHTS + 1}


def _used(scene: A.Scene) -> set[str]:
    """Names referenced by other statements (shapes by refs and objects, materials by objects
    and by `material` clauses in shapes)."""
    used: set[str] = set()

    def walk(shape):
        if isinstance(shape, A.Ref):
            used.add(shape.name)
        if shape.material is not None:  # per-operand materials
            used.add(shape.material)
        for op in getattr(shape, "operands", ()):
            walk(op)

    for s in scene.geometry.statements:
        walk(s.shape)
    for o in scene.objects():
        used.add(o.shape)
        if o.material:
            used.add(o.material)
    return used


def _all_names(scene: A.Scene) -> set[str]:
    return {st_.name for sec in scene.sections() for st_ in sec.statements}


@st.composite
def _new_statement(draw, scene: A.Scene, section: str, name: str, before: int | None = None):
    """A fresh valid statement for `section` of `scene` named `name` (a shape may refer only to
    the shapes before index `before`, default all)."""
    if section == "geometry":
        earlier = scene.geometry.statements[:before]
        refs = {s.name: s.shape for s in earlier}
        return A.ShapeDef(name=name, shape=_draw_shape(draw, refs, MAX_CSG_DEPTH))
    if section == "materials":
        return A.MaterialDef(name=name, material=_draw_params(draw, A.Principled))
    if section == "composition":
        shapes = [s.name for s in scene.geometry.statements]
        mats = [m.name for m in scene.materials.statements]
        return _draw_object(draw, name, shapes, mats)
    return A.LightDef(name=name, light=draw(lights))


@st.composite
def _edit(draw, scene: A.Scene, section: str, comments: bool = True):
    """Random edits of one section: `(ops, edited scene)`. ops are Set/Put/Remove ops whose
    application to `scene`, in order, gives the edited scene, which is valid. New statements
    carry random comments when `comments`."""
    ops: list[A.Node] = []
    for _ in range(draw(st.integers(1, 3))):
        sec = scene.section(section)
        kind = draw(st.sampled_from(["set", "put_new", "put_replace", "remove"]))
        statements = list(sec.statements)
        if kind in ("set", "put_replace", "remove") and not statements:
            kind = "put_new"
        if kind == "put_new":
            room = len(statements) < SECTION_STATEMENT_LIMITS[section]
            fresh = draw(names.filter(lambda n: n not in _all_names(scene)))
            no_camera = scene.camera() is A.DEFAULT_CAMERA
            if section == "composition" and no_camera and (
                not scene.geometry.statements or draw(st.booleans())
            ):
                new = _draw_params(draw, A.Camera, {"name": fresh})
            elif section == "composition" and not scene.geometry.statements:
                new = None
            elif section == "lighting" and scene.world() is None and draw(st.booleans()):
                new = _draw_params(draw, A.World)
            else:
                new = draw(_new_statement(scene, section, fresh))
            if section == "composition" and isinstance(new, A.ObjectDef):
                room = len(scene.objects()) < MAX_OBJECTS
            if new is None or not room:
                continue
            new = _draw_comments(draw, new, comments)
            statements.append(new)
            ops.append(A.PutOp(statement=new))
        else:
            index = draw(st.integers(0, len(statements) - 1))
            old = statements[index]
            if kind == "remove":
                if old.name in _used(scene):
                    continue
                del statements[index]
                ops.append(A.RemoveOp(name=old.name))
            elif kind == "put_replace":
                new = draw(_replacement(scene, section, old, index, comments))
                if new is None:
                    continue
                statements[index] = new
                ops.append(A.PutOp(statement=new))
            else:
                found = draw(_set_edit(old))
                if found is None:
                    continue
                op, statements[index] = found
                ops.append(op)
        scene = scene.with_section(sec.model_copy(update={"statements": tuple(statements)}))
    return ops, scene


@st.composite
def _replacement(draw, scene: A.Scene, section: str, old: A.Node, index: int, comments: bool):
    """A new statement of the same kind and name as `old`, valid in place (None if none fits)."""
    if isinstance(old, A.Camera):
        new = _draw_params(draw, A.Camera, {"name": old.name})
    elif isinstance(old, A.World):
        new = _draw_params(draw, A.World)
    elif isinstance(old, A.ShapeDef):
        # depth 0 or a plain re-draw: never deepen shapes that refer to this one
        refs = {s.name: s.shape for s in scene.geometry.statements[:index]}
        new = A.ShapeDef(name=old.name, shape=_draw_shape(draw, refs, 0))
        if is_flat(new.shape, refs) and old.name in _used(scene):
            return None
    else:
        new = draw(_new_statement(scene, section, old.name, before=index))
    return _draw_comments(draw, new, comments)


def _inner(statement: A.Node) -> tuple[A.Node, str | None]:
    for field in ("shape", "material", "light"):
        node = getattr(statement, field, None)
        if isinstance(node, A.Node):
            return node, field
    return statement, None


@st.composite
def _set_edit(draw, statement: A.Node):
    """`(SetOp, edited statement)` changing one parameter, or None when nothing fits."""
    node, field = _inner(statement)
    cls = type(node)
    table = dict(PARAMS.get(cls, {}))
    if isinstance(node, A.ShapeBase):
        table.update(TRANSFORMS)
    if cls is A.ObjectDef:
        return None  # shape/material names depend on other sections; use put instead
    param = draw(st.sampled_from(sorted(table)))
    value = draw(table[param])
    try:
        new_node = cls(**{**{f: getattr(node, f) for f in cls.model_fields}, param: value})
    except ValueError:
        return None
    if not node_ok(new_node):
        return None
    unit = _field_unit(cls, param)
    op = A.SetOp(target=statement.name, param=param, value=to_raw(value, unit))
    new = statement.model_copy(update={field: new_node}) if field else new_node
    return op, new


def _field_unit(cls: type, param: str) -> str | None:
    from scenelang.printer import field_unit

    return field_unit(cls, param)


@st.composite
def patch_cases(draw, scene: A.Scene, section: str | None = None) -> tuple[A.Patch, A.Scene]:
    """`(patch, expected)`: a patch of one section (`section` or a random one) that applies to
    `scene` without error, and the valid scene it must produce. About one in five patches is a
    whole-section `replace`."""
    section = section or draw(st.sampled_from(A.SECTION_NAMES))
    ops, edited = draw(_edit(scene, section))
    if draw(st.integers(0, 4)) == 0:
        statements = edited.section(section).statements
        ops = [A.PutOp(statement=s) for s in statements]
        return A.Patch(section=section, replace=True, ops=tuple(ops)), edited
    return A.Patch(section=section, ops=tuple(ops)), edited


def patches(scene: A.Scene, section: str | None = None) -> st.SearchStrategy[A.Patch]:
    """A patch that applies cleanly to `scene` (see `patch_cases`)."""
    return patch_cases(scene, section).map(lambda case: case[0])


@st.composite
def scene_pairs(draw, comments: bool = True) -> tuple[A.Scene, A.Scene]:
    """`(a, b)`: a random scene and an edited copy (1..4 rounds of edits to random sections;
    b's statements may be added, removed, replaced or changed, and may equal a's)."""
    a = draw(scenes(comments=comments))
    b = a
    for _ in range(draw(st.integers(1, 4))):
        _, b = draw(_edit(b, draw(st.sampled_from(A.SECTION_NAMES)), comments))
    return a, b


# ---------------------------------------------------------------- example counts (issue 15)

STRESS = __import__("os").environ.get("SCENELANG_STRESS") == "1"
"""True under `make stress` (SCENELANG_STRESS=1): tests/conftest.py then loads the `stress`
Hypothesis profile instead of `ci`."""
STRESS_EXAMPLES = 500
"""Examples per property test under `make stress` (the `stress` profile's max_examples)."""


def examples(ci: int, stress: int = STRESS_EXAMPLES) -> int:
    """`max_examples` for a property test: `ci` normally, under `make stress` the larger of `ci`
    and `stress` (500; tests/test_testing_docs.py refuses a smaller `stress`, Blender-rendering
    properties included, so `make stress` runs every property test with at least 500 examples).

    An explicit `@settings(max_examples=...)` overrides the loaded profile, so every property test
    that sets its own count goes through this function; one that sets none takes the profile's."""
    return max(ci, stress) if STRESS else ci


# ---------------------------------------------------------------- non-canonical text (issue 15)

_TOKEN = __import__("re").compile(
    r'"(?:[^"\\]|\\.)*"|' r"#[0-9a-f]{6}(?![0-9A-Za-z_])|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[A-Za-z_]\w*|\S")


def _respell_number(draw, tok: str) -> str:
    """The same number in another legal spelling: `.5`, `2.`, `+1`, `1e0`, `1E0`."""
    options = [tok]
    sign, body = (tok[0], tok[1:]) if tok[0] in "+-" else ("", tok)
    if body.startswith("0.") and len(body) > 2:
        options.append(sign + body[1:])
    if body.isdigit():
        options.append(sign + body + ".")
    if not sign:
        options.append("+" + body)
    if "e" in body:
        options.append(sign + body.upper())
    else:
        options += [sign + body + "e0", sign + body + "E0"]
    return draw(st.sampled_from(options))


_GAPS = st.sampled_from([" ", "  ", "\t", "\n    ", " \n\n  "])


@st.composite
def noncanonical_texts(draw, scene: A.Scene) -> tuple[str, A.Scene]:
    """`(text, expected)`: `scene` (comment-free, as `scenes(comments=False)` draws) printed
    non-canonically -- sections in any order, random whitespace and line breaks between the
    tokens of a statement, other number spellings, uppercase hex, blank lines -- and comments
    inside statements, which the parser attaches to that statement (so `expected` is `scene`
    with those comments). Line endings and BOM are left to the caller."""
    from scenelang.printer import print_scene

    blocks = print_scene(scene).rstrip("\n").split("\n\n")
    header, sections = blocks[0], blocks[1:]
    order = draw(st.permutations(range(len(sections))))
    out_blocks, expected = [header], scene
    for i in order:
        lines = sections[i].split("\n")
        name = lines[0].split()[0]
        statements = list(scene.section(name).statements)
        body = []
        for k, line in enumerate(lines[1:-1]):
            tokens = _TOKEN.findall(line.strip())
            inner: list[str] = []
            pieces = [tokens[0]]
            for tok in tokens[1:]:
                if tok in ("deg", "rad", "mm"):  # a unit is part of its number: `30deg`, `50mm`
                    pieces.append(tok)
                    continue
                gap = draw(_GAPS)
                if draw(st.integers(0, 9)) == 0:
                    comment = f"# inner {len(inner)}"
                    inner.append(comment)
                    gap = f" {comment}\n    "
                if tok[0] == "#" and len(tok) == 7 and draw(_BOOL):
                    tok = tok.upper()
                elif tok[0] in "+-.0123456789" and tok not in "+-.":
                    tok = _respell_number(draw, tok)
                pieces += [gap, tok]
            body.append("  " + "".join(pieces))
            if draw(st.integers(0, 4)) == 0:
                body.append("")
            if inner:
                statements[k] = statements[k].model_copy(update={"comments": tuple(inner)})
        expected = expected.with_section(
            expected.section(name).model_copy(update={"statements": tuple(statements)}))
        out_blocks.append("\n".join([lines[0], *body, lines[-1]]))
    return "\n\n".join(out_blocks) + "\n", expected


# ---------------------------------------------------------------- invalid values (issue 15)


def field_bounds(cls: type) -> dict[str, tuple[type, list[tuple[str, float]]]]:
    """Scalar fields of `cls` with range constraints: name -> (int or float, [(op, bound)]),
    op one of `ge`, `gt`, `le`, `lt`, read from the pydantic field metadata."""
    out = {}
    for name, info in cls.model_fields.items():
        if info.annotation not in (int, float):
            continue
        bounds = [(op, getattr(m, op)) for m in info.metadata for op in ("ge", "gt", "le", "lt")
                  if hasattr(m, op)]
        if bounds:
            out[name] = (info.annotation, bounds)
    return out


CALL_CLASSES = [*A.PRIMITIVES.values(), A.Principled, A.Sun, A.Point, A.Spot, A.Area]
"""Node classes written as calls `kind(param=value, ...)`, whose range checks
`out_of_range_values` covers."""


@st.composite
def out_of_range_values(draw) -> tuple[type, str, float | int]:
    """`(cls, field, value)`: a value just outside one range constraint of one field of a
    call-style node class (an int one past the bound; a float at an exclusive bound or a tiny or
    unit step past an inclusive one)."""
    cls = draw(st.sampled_from([c for c in CALL_CLASSES if field_bounds(c)]))
    name = draw(st.sampled_from(sorted(field_bounds(cls))))
    kind, bounds = field_bounds(cls)[name]
    op, bound = draw(st.sampled_from(bounds))
    if kind is int:
        return cls, name, int(bound) + (1 if op == "le" else -1 if op == "ge" else 0)
    if op in ("gt", "lt"):
        return cls, name, float(bound)
    step = draw(st.sampled_from([1e-6 * max(1.0, abs(bound)), 0.5, 1.0]))
    return cls, name, float(bound) + (step if op == "le" else -step)


# ---------------------------------------------------------------- groups, instances, arrays (issue 12)


def _placement_transform(draw) -> dict[str, Any]:
    return {"at": draw(vec3(-3.0, 3.0)), "rotate": draw(vec3(-180.0, 180.0)),
            "scale": draw(st.one_of(numbers(0.5, 2.0), vec3(0.5, 2.0)))}


@st.composite
def placement_scenes(draw, comments: bool = False) -> A.Scene:
    """A valid scene (`scenes`) whose composition also holds a group (with a nested group), an
    instance of it or of an object, and a linear or radial array of a shape or of the group.
    Either group may also hold a light (`l_main`, `l_inner`). The new statements are named
    `g_main`, `g_inner`, `m_one`, `m_inner`, `l_main`, `l_inner`, `i_copy`, `a_row`;
    a draw whose names clash with the scene's (or whose expanded copies' names clash) is
    rejected with `assume`."""
    scene = draw(scenes(comments=comments, min_shapes=1))
    shapes = [s_.name for s_ in scene.geometry.statements]
    materials = [m.name for m in scene.materials.statements]
    inner_members = [_draw_object(draw, "m_inner", shapes, materials)]
    if draw(_BOOL):  # a light in a group (copied with it by the instance and the array)
        inner_members.insert(draw(st.integers(0, 1)), A.LightDef(name="l_inner", light=draw(lights)))
    inner = A.GroupDef(name="g_inner", members=tuple(inner_members), **_placement_transform(draw))
    members = [_draw_object(draw, "m_one", shapes, materials)]
    if draw(_BOOL):
        members.append(A.LightDef(name="l_main", light=draw(lights)))
    if draw(_BOOL):
        members.append(inner)
    group = A.GroupDef(name="g_main", members=tuple(members), **_placement_transform(draw))
    source = draw(st.sampled_from(["g_main", "m_one"]))
    given = {k: v for k, v in _placement_transform(draw).items() if draw(_BOOL)}
    instance = A.InstanceDef(name="i_copy", source=source,
                             material=draw(st.sampled_from([None, *materials])), **given)
    radial = draw(_BOOL)
    array = A.ArrayDef(
        name="a_row", source=draw(st.sampled_from([*shapes, "g_main"])),
        count=draw(st.integers(1, 5)),
        offset=None if radial else draw(vec3(-1.0, 1.0)),
        around=draw(vec3(-2.0, 2.0)) if radial else None,
        angle=draw(st.sampled_from([360.0, 90.0, -45.0])) if radial else 360.0,
        **_placement_transform(draw))
    extra = [group, instance, array]
    composition = scene.composition.model_copy(update={
        "statements": (*scene.composition.statements, *extra)})
    result = scene.with_section(composition)
    assume(not any(d.severity == "error" for d in validate(result)))
    return result


# ---------------------------------------------------------------- constants and arithmetic


def _paren_if_sum(expr: A.Node) -> A.Node:
    """`expr` in parentheses when it is a `+`/`-` operation (as an operand of `*`, `/`)."""
    return A.Paren(inner=expr) if isinstance(expr, A.BinOp) and expr.op in "+-" else expr


def _exact_expr(draw, value: float, lets: list[A.LetDef], depth: int) -> A.Node:
    """An expression that evaluates to exactly `value` (float arithmetic included): a constant
    holding it, `(e)`, `e * 2` / `e / 4` (powers of two scale exactly), `e + 0`, `e - 0`,
    `-c`; new constants are appended to `lets` (before whatever uses them)."""
    choice = draw(st.integers(0, 6 if depth > 0 else 1))
    if choice == 0 or (abs(value) > 1e300 and choice in (2, 3)):
        name = f"k{len(lets)}_{draw(st.from_regex(r'[a-z]{1,3}', fullmatch=True))}"
        inner = _exact_expr(draw, value, lets, depth - 1) if depth > 0 and draw(_BOOL) \
            else A.Lit(value=value)
        lets.append(A.LetDef(name=name, expr=inner, value=value))
        return A.Const(name=name)
    if choice == 1:
        inner = _exact_expr(draw, value, lets, depth - 1) if depth > 0 else A.Lit(value=value)
        return A.Paren(inner=inner)
    if choice == 2:
        return A.BinOp(op="*", left=_paren_if_sum(_exact_expr(draw, value / 2, lets, depth - 1)),
                       right=A.Lit(value=2.0))
    if choice == 3:
        return A.BinOp(op="/", left=_paren_if_sum(_exact_expr(draw, value * 4, lets, depth - 1)),
                       right=A.Lit(value=4.0))
    if choice in (4, 5):
        return A.BinOp(op="+" if choice == 4 else "-",
                       left=_exact_expr(draw, value, lets, depth - 1), right=A.Lit(value=0.0))
    operand = _exact_expr(draw, -value, lets, depth - 1)
    if isinstance(operand, A.Lit):
        operand = A.Paren(inner=operand)  # `-2` would read as the literal -2
    elif isinstance(operand, A.BinOp):
        operand = A.Paren(inner=operand)
    return A.Neg(operand=operand)


def _number_paths(node: A.Node) -> list[tuple[str, float]]:
    """`(path, value)` of the float parameters of `node` (vector and colour components too)."""
    out = []
    for name in A.param_names(type(node)):
        value = getattr(node, name)
        if isinstance(value, A.RGB):
            value = (value.r, value.g, value.b)
        if isinstance(value, float):
            out.append((name, value))
        elif isinstance(value, tuple) and value and all(isinstance(v, float) for v in value):
            out.extend((f"{name}.{i}", v) for i, v in enumerate(value))
    return out


def _with_arithmetic(draw, node: Any, lets: list[A.LetDef]) -> Any:
    if isinstance(node, tuple):
        return tuple(_with_arithmetic(draw, n, lets) for n in node)
    if not isinstance(node, A.Node):
        return node
    update: dict[str, Any] = {}
    for name in type(node).model_fields:
        child = getattr(node, name)
        if name not in ("span", "exprs") and isinstance(child, (A.Node, tuple)) \
                and not isinstance(child, A.RGB):
            new = _with_arithmetic(draw, child, lets)
            if new != child:
                update[name] = new
    exprs = [(path, _exact_expr(draw, value, lets, 2))
             for path, value in _number_paths(node) if draw(st.integers(0, 3)) == 0]
    if exprs:
        update["exprs"] = tuple(exprs)
    return node.model_copy(update=update) if update else node


@st.composite
def arithmetic_scenes(draw, comments: bool = True) -> A.Scene:
    """A valid scene (`scenes`) with some of its numbers written as arithmetic over `let`
    constants (`k0_ab = 0.36`, `at (0, 0, k0_ab * 2)`), each evaluating to exactly the number
    it replaces, so the scene stays valid; the constants (named `k<i>_<letters>`) come first,
    each using only earlier ones; a few carry comments."""
    scene = draw(scenes(comments=comments))
    lets: list[A.LetDef] = []
    update = {}
    for section in scene.sections():
        statements = _with_arithmetic(draw, section.statements, lets)
        if statements != section.statements:
            update[section.name] = section.model_copy(update={"statements": statements})
    if comments:
        lets = [_draw_comments(draw, let, True) for let in lets]
    assume(len({let.name for let in lets}) == len(lets))
    return scene.model_copy(update={**update, "constants": tuple(lets)})


@st.composite
def arithmetic_scene_pairs(draw, comments: bool = True) -> tuple[A.Scene, A.Scene]:
    """`(a, b)` for `diff`: `a` from `arithmetic_scenes`, `b` a with edited statements
    (`scene_pairs`' edits) and edited constants: a constant's value changed (everything using
    it recomputed), an unused one added or removed, or the order of independent ones changed."""
    a = draw(arithmetic_scenes(comments=comments))
    b = a
    for _ in range(draw(st.integers(0, 2))):
        _, b = draw(_edit(b, draw(st.sampled_from(A.SECTION_NAMES)), comments))
    lets = list(b.constants)
    action = draw(st.sampled_from(["change", "add", "remove", "move", "none"]))
    if action == "change" and lets:
        i = draw(st.integers(0, len(lets) - 1))
        factor = draw(st.sampled_from([1.0, 1.5, 0.5, 2.0]))
        lets[i] = lets[i].model_copy(update={"expr": A.BinOp(op="*", left=_paren_if_sum(
            lets[i].expr), right=A.Lit(value=factor))})
    elif action == "add":
        lets.insert(draw(st.integers(0, len(lets))),
                    A.LetDef(name="extra_k", expr=A.Lit(value=draw(numbers(-5, 5))), value=0.0))
    elif action == "remove" and lets:
        used = print_names(b)
        unused = [i for i, let in enumerate(lets) if let.name not in used]
        if unused:
            lets.pop(draw(st.sampled_from(unused)))
    elif action == "move" and len(lets) > 1:
        free = [i for i, let in enumerate(lets) if not _consts_in(let.expr)]
        if free:
            lets.insert(0, lets.pop(draw(st.sampled_from(free))))
    try:
        b = reevaluate(b.model_copy(update={"constants": tuple(lets)}))
    except SceneError:
        assume(False)
    assume(not any(d.severity == "error" for d in validate(b)))
    return a, b


def _consts_in(expr: A.Node) -> set[str]:
    if isinstance(expr, A.Const):
        return {expr.name}
    return set().union(*(_consts_in(getattr(expr, f)) for f in ("operand", "left", "right", "inner")
                         if isinstance(getattr(expr, f, None), A.Node)))


def print_names(scene: A.Scene) -> set[str]:
    """The constants a scene's expressions use (its `let`s' expressions included)."""
    body = print_scene(scene.model_copy(update={"constants": ()}))
    names = set(re.findall(r"[A-Za-z_]\w*", body))
    for let in scene.constants:
        names |= _consts_in(let.expr)
    return names


# ---------------------------------------------------------------- textures (language v2)

TEXTURE_PARAMS: dict[type, dict[str, st.SearchStrategy]] = {
    A.Checker: {"color1": colors, "color2": colors, "scale": numbers(0.1, 50)},
    A.Noise: {"color1": colors, "color2": colors, "scale": numbers(0.1, 50),
              "detail": numbers(0, 15), "roughness": fractions, "distortion": numbers(0, 5)},
    A.Wave: {"color1": colors, "color2": colors, "scale": numbers(0.1, 50),
             "pattern": st.sampled_from(["bands", "rings"]), "axis": st.sampled_from("xyz"),
             "profile": st.sampled_from(["sine", "saw", "triangle"]), "distortion": numbers(0, 5)},
    A.Brick: {"color1": colors, "color2": colors, "mortar": colors, "scale": numbers(0.1, 50),
              "mortar_size": numbers(0, 0.1), "brick_width": numbers(0.05, 2),
              "row_height": numbers(0.05, 1), "plane": st.sampled_from(["xz", "xy"])},
    A.Gradient: {"color1": colors, "color2": colors, "axis": st.sampled_from("xyz"),
                 "start": numbers(-2, -0.1), "end": numbers(0.1, 2),
                 "ease": st.sampled_from(["linear", "easing"])},
    A.ImageTexture: {"path": st.just(A.String(value="tex.png")),
                     "mapping": st.sampled_from(["box", "uv"]), "scale": numbers(0.1, 10)},
}
"""Sane values per texture kind; images name `tex.png` (a test writes it next to the scene)."""
TEXTURE_CLASSES = st.sampled_from(list(TEXTURE_PARAMS))


@st.composite
def textures(draw, images: bool = True) -> A.TextureBase:
    """One texture of any kind (an `image` of `tex.png` only when `images`)."""
    cls = draw(TEXTURE_CLASSES if images else st.sampled_from(
        [c for c in TEXTURE_PARAMS if c is not A.ImageTexture]))
    values = {name: draw(strategy) for name, strategy in TEXTURE_PARAMS[cls].items()
              if cls.model_fields[name].is_required() or draw(_BOOL)}
    return cls(**values)


@st.composite
def textured_scenes(draw, comments: bool = True, images: bool = True) -> A.Scene:
    """A `scenes()` scene with 1..3 texture statements, each used by a material that plugs it
    into its base colour, roughness or bump (textures before the materials, in random order)."""
    scene = draw(scenes(comments=comments))
    taken = {st.name for section in scene.sections() for st in section.statements}
    names_ = draw(st.lists(names.filter(lambda n: n not in taken), min_size=2, max_size=6,
                           unique=True))
    count = max(1, len(names_) // 2)
    texture_defs = [_draw_comments(draw, A.TextureDef(name=n, texture=draw(textures(images))),
                                   comments) for n in names_[:count]]
    materials = list(scene.materials.statements)
    for tex, mat_name in zip(texture_defs, names_[count:]):
        field = draw(st.sampled_from(["base_color", "roughness", "bump"]))
        material = _draw_params(draw, A.Principled, {field: tex.name})
        if field == "bump" and draw(_BOOL):
            material = material.model_copy(update={"bump_strength": draw(fractions)})
        materials.append(_draw_comments(draw, A.MaterialDef(name=mat_name, material=material),
                                        comments))
    statements = [*texture_defs, *materials]
    order = draw(st.permutations(range(len(statements))))
    section = scene.materials.model_copy(update={"statements": tuple(statements[i] for i in order)})
    return scene.with_section(section)


@st.composite
def texture_scene_pairs(draw) -> tuple[A.Scene, A.Scene]:
    """`(a, b)`: a textured scene (no images: patches are validated, and an image needs its
    file) and a copy with one texture parameter changed, a texture
    replaced by another kind, or a material's texture swapped for a plain value."""
    a = draw(textured_scenes(comments=False, images=False))
    statements = list(a.materials.statements)
    index = draw(st.integers(0, len(statements) - 1))
    old = statements[index]
    if isinstance(old, A.TextureDef):
        if draw(_BOOL):
            new = A.TextureDef(name=old.name, texture=draw(textures(images=False)))
        else:
            name = draw(st.sampled_from(list(TEXTURE_PARAMS[type(old.texture)])))
            value = draw(TEXTURE_PARAMS[type(old.texture)][name])
            new = old.model_copy(update={"texture": old.texture.model_copy(update={name: value})})
    else:
        update = {f: draw(PARAMS[A.Principled][f]) for f in ("base_color", "roughness")
                  if isinstance(getattr(old.material, f), str) and draw(_BOOL)}
        new = old.model_copy(update={"material": old.material.model_copy(
            update=update or {"bump_strength": draw(fractions)})})
    statements[index] = new
    b = a.with_section(a.materials.model_copy(update={"statements": tuple(statements)}))
    return a, b
