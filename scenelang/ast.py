"""The scene AST: frozen pydantic models, the single source of truth for a scene.

Every node carries an optional `span` (where it came from in a `.sl` file). Spans never take part
in equality or hashing, so `parse(print_scene(scene)) == scene` holds for any scene.

Units: lengths are metres, angles are stored in degrees, lens and sensor sizes in millimetres,
light energy in watts (sun: W/m^2), colours as linear RGB in 0..1 (a `#rrggbb` colour is sRGB and
is converted to linear when used). Field defaults below are the language's defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Iterator, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scenelang.errors import Span

SECTION_NAMES = ("geometry", "materials", "composition", "lighting")
SectionName = Literal["geometry", "materials", "composition", "lighting"]
LANGUAGE_VERSION = 1


@dataclass(frozen=True)
class Unit:
    """Marks a float field as a quantity: `deg` (angle; `rad` and bare numbers accepted) or `mm`."""

    name: str


NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Angle = Annotated[float, Unit("deg"), Field(allow_inf_nan=False)]
Millimetres = Annotated[float, Unit("mm"), Field(gt=0, le=10000, allow_inf_nan=False)]
Segments = Annotated[int, Field(ge=3, le=4096)]
Vec3 = tuple[Finite, Finite, Finite]
PositiveVec3 = tuple[Positive, Positive, Positive]
AngleVec3 = tuple[Angle, Angle, Angle]
Resolution = tuple[Annotated[int, Field(ge=1, le=16384)], Annotated[int, Field(ge=1, le=16384)]]


class Node(BaseModel):
    """Base of every AST node: frozen, unknown fields rejected, span ignored by ==."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    span: Span | None = Field(default=None, repr=False, exclude=True)

    def _key(self) -> tuple:
        return tuple(getattr(self, f) for f in type(self).model_fields if f != "span")

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def params(self) -> dict[str, Any]:
        """The node's own parameters (fields other than span, kind and bookkeeping)."""
        return {f: getattr(self, f) for f in param_names(type(self))}


NON_PARAM_FIELDS = frozenset(
    {"span", "kind", "stmt", "name", "comments", "trailing_comment", "shape_kind"}
)


def param_names(cls: type[BaseModel]) -> list[str]:
    """Names of the user-settable parameters of a node class, in declaration order."""
    return [f for f in cls.model_fields if f not in NON_PARAM_FIELDS]


def required_params(cls: type[BaseModel]) -> list[str]:
    return [f for f in param_names(cls) if cls.model_fields[f].is_required()]


# ---------------------------------------------------------------- colours


def srgb_to_linear(c: float) -> float:
    """The sRGB transfer function inverted (what Blender does to a hex colour)."""
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def linear_to_srgb(c: float) -> float:
    c = min(max(c, 0.0), 1.0)
    return c * 12.92 if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


class HexColor(Node):
    """`#rrggbb`: an sRGB colour as written in image editors. Stored as 6 lowercase hex digits."""

    kind: Literal["hex"] = "hex"
    hex: Annotated[str, Field(pattern=r"^[0-9a-f]{6}$")]

    def linear(self) -> tuple[float, float, float]:
        r, g, b = (int(self.hex[i : i + 2], 16) / 255 for i in (0, 2, 4))
        return (srgb_to_linear(r), srgb_to_linear(g), srgb_to_linear(b))


class RGB(Node):
    """`(r, g, b)`: a linear RGB colour, each channel in 0..1."""

    kind: Literal["rgb"] = "rgb"
    r: Fraction
    g: Fraction
    b: Fraction

    def linear(self) -> tuple[float, float, float]:
        return (self.r, self.g, self.b)


Color = Annotated[Union[HexColor, RGB], Field(discriminator="kind")]
WHITE = RGB(r=1, g=1, b=1)


# ---------------------------------------------------------------- raw values (patches)


class Number(Node):
    """A literal number as written, with its unit suffix (`deg`, `rad`, `mm`) if any."""

    kind: Literal["number"] = "number"
    value: Finite
    unit: Literal["deg", "rad", "mm"] | None = None


class Vector(Node):
    """A literal tuple `(a, b, ...)` of numbers."""

    kind: Literal["vector"] = "vector"
    items: tuple[Number, ...] = Field(min_length=1, max_length=4)


class Ident(Node):
    """A bare identifier used as a value (a material name, an enum choice)."""

    kind: Literal["ident"] = "ident"
    name: Name


Value = Annotated[Union[Number, Vector, HexColor, Ident], Field(discriminator="kind")]


# ---------------------------------------------------------------- geometry


class ShapeBase(Node):
    """Fields shared by every shape expression: an optional local transform.

    Transforms apply as scale, then rotate (Euler XYZ, degrees), then translate (`at`), the same
    order Blender uses for an object.
    """

    at: Vec3 | None = None
    rotate: AngleVec3 | None = None
    scale: Positive | PositiveVec3 | None = None

    TRANSFORMS: ClassVar[tuple[str, ...]] = ("at", "rotate", "scale")


class Box(ShapeBase):
    """An axis-aligned box centred at the origin; `size` is its full extent in metres."""

    kind: Literal["box"] = "box"
    size: PositiveVec3 = Field(description="full extent along x, y, z (m)")


class Sphere(ShapeBase):
    """A UV sphere centred at the origin."""

    kind: Literal["sphere"] = "sphere"
    radius: Positive = Field(description="radius (m)")
    segments: Segments = Field(32, description="segments around the z axis")
    rings: Annotated[int, Field(ge=2, le=4096)] = Field(16, description="rings from pole to pole")


class Cylinder(ShapeBase):
    """A cylinder along z, centred at the origin."""

    kind: Literal["cylinder"] = "cylinder"
    radius: Positive = Field(description="radius (m)")
    depth: Positive = Field(description="height along z (m)")
    vertices: Segments = Field(32, description="vertices around the circumference")


class Cone(ShapeBase):
    """A cone (or frustum) along z, centred at the origin, base at -depth/2."""

    kind: Literal["cone"] = "cone"
    radius: Positive = Field(description="base radius (m)")
    depth: Positive = Field(description="height along z (m)")
    top_radius: NonNegative = Field(0.0, description="top radius (m); > 0 makes a frustum")
    vertices: Segments = Field(32, description="vertices around the circumference")


class Torus(ShapeBase):
    """A torus in the xy plane, centred at the origin."""

    kind: Literal["torus"] = "torus"
    major_radius: Positive = Field(description="distance from the centre to the tube's centre (m)")
    minor_radius: Positive = Field(description="tube radius (m)")
    major_segments: Segments = Field(48, description="segments around the ring")
    minor_segments: Segments = Field(12, description="segments around the tube")


class Plane(ShapeBase):
    """A square in the xy plane, centred at the origin, facing +z."""

    kind: Literal["plane"] = "plane"
    size: Positive = Field(description="side length (m)")


class Ref(ShapeBase):
    """A reference to a shape defined earlier in the geometry section, by name."""

    kind: Literal["ref"] = "ref"
    name: Name


class Csg(ShapeBase):
    """n-ary constructive solid geometry. `difference(a, b, c)` is a minus b minus c."""

    kind: Literal["union", "difference", "intersection"]
    operands: tuple["ShapeExpr", ...] = Field(min_length=2, max_length=64)


PRIMITIVES: dict[str, type[ShapeBase]] = {
    cls.model_fields["kind"].default: cls for cls in (Box, Sphere, Cylinder, Cone, Torus, Plane)
}
CSG_OPS = ("union", "difference", "intersection")

ShapeExpr = Annotated[
    Union[Box, Sphere, Cylinder, Cone, Torus, Plane, Ref, Csg], Field(discriminator="kind")
]
Csg.model_rebuild()


# ---------------------------------------------------------------- materials


class Principled(Node):
    """Blender's Principled BSDF. All parameters are optional."""

    kind: Literal["principled"] = "principled"
    base_color: Color = Field(RGB(r=0.8, g=0.8, b=0.8), description="diffuse/base colour")
    metallic: Fraction = Field(0.0, description="0 dielectric .. 1 metal")
    roughness: Fraction = Field(0.5, description="0 mirror .. 1 fully rough")
    ior: Annotated[float, Field(ge=1, le=4, allow_inf_nan=False)] = Field(
        1.5, description="index of refraction"
    )
    specular: Fraction = Field(0.5, description="specular IOR level (0.5 is physically neutral)")
    transmission: Fraction = Field(0.0, description="0 opaque .. 1 glass-like")
    emission_color: Color = Field(WHITE, description="emitted colour")
    emission_strength: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] = Field(
        0.0, description="emission strength (0 = none)"
    )
    alpha: Fraction = Field(1.0, description="opacity, 0 invisible .. 1 opaque")


MATERIAL_KINDS: dict[str, type[Node]] = {"principled": Principled}


# ---------------------------------------------------------------- lights


class Sun(Node):
    """Parallel light from infinitely far away."""

    kind: Literal["sun"] = "sun"
    direction: Vec3 = Field((0.0, 0.0, -1.0), description="direction the light travels")
    energy: Annotated[float, Field(ge=0, le=1e4, allow_inf_nan=False)] = Field(
        3.0, description="irradiance (W/m^2)"
    )
    color: Color = Field(WHITE, description="light colour")
    angle: Annotated[float, Unit("deg"), Field(ge=0, le=180, allow_inf_nan=False)] = Field(
        0.526, description="angular diameter (softness of shadows)"
    )


class Point(Node):
    """An omnidirectional light at a point."""

    kind: Literal["point"] = "point"
    at: Vec3 = Field(description="position (m)")
    energy: Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)] = Field(
        1000.0, description="power (W)"
    )
    color: Color = Field(WHITE, description="light colour")
    radius: NonNegative = Field(0.1, description="source radius (m)")


class Spot(Node):
    """A cone of light from a point, aimed by `direction` or `look_at`."""

    kind: Literal["spot"] = "spot"
    at: Vec3 = Field(description="position (m)")
    direction: Vec3 | None = Field(None, description="aim direction (default (0, 0, -1))")
    look_at: Vec3 | None = Field(None, description="aim at this point instead of a direction")
    energy: Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)] = Field(
        1000.0, description="power (W)"
    )
    color: Color = Field(WHITE, description="light colour")
    radius: NonNegative = Field(0.1, description="source radius (m)")
    spot_size: Annotated[float, Unit("deg"), Field(ge=1, le=180, allow_inf_nan=False)] = Field(
        45.0, description="cone angle"
    )
    blend: Fraction = Field(0.15, description="softness of the cone's edge")


class Area(Node):
    """A flat emitting surface, aimed by `direction` or `look_at`."""

    kind: Literal["area"] = "area"
    at: Vec3 = Field(description="position (m)")
    direction: Vec3 | None = Field(None, description="aim direction (default (0, 0, -1))")
    look_at: Vec3 | None = Field(None, description="aim at this point instead of a direction")
    energy: Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)] = Field(
        100.0, description="power (W)"
    )
    color: Color = Field(WHITE, description="light colour")
    size: Positive = Field(1.0, description="side length or diameter (m)")
    size_y: Positive | None = Field(None, description="second side for rectangle/ellipse (m)")
    shape: Literal["square", "rectangle", "disk", "ellipse"] = Field(
        "square", description="outline of the emitter"
    )


LIGHT_KINDS: dict[str, type[Node]] = {"sun": Sun, "point": Point, "spot": Spot, "area": Area}
Light = Annotated[Union[Sun, Point, Spot, Area], Field(discriminator="kind")]


# ---------------------------------------------------------------- statements


class Statement(Node):
    """A named definition inside a section, with the comments written around it."""

    name: Name
    comments: tuple[str, ...] = ()
    trailing_comment: str | None = None


class ShapeDef(Statement):
    """`shape NAME = EXPR` (geometry)."""

    stmt: Literal["shape"] = "shape"
    shape: ShapeExpr


class MaterialDef(Statement):
    """`material NAME = principled(...)` (materials)."""

    stmt: Literal["material"] = "material"
    material: Principled


class ObjectDef(Statement):
    """`object NAME = SHAPE [at V] [rotate V] [scale S] [material M]` (composition).

    The object's transform applies scale, then rotate (Euler XYZ, degrees), then `at`.
    """

    stmt: Literal["object"] = "object"
    shape: Name = Field(description="name of a shape from the geometry section")
    at: Vec3 = Field((0.0, 0.0, 0.0), description="position (m)")
    rotate: AngleVec3 = Field((0.0, 0.0, 0.0), description="Euler XYZ rotation")
    scale: Positive | PositiveVec3 = Field(1.0, description="uniform or per-axis scale")
    material: Name | None = Field(None, description="name of a material (default: grey)")


class Camera(Statement):
    """`camera NAME at V [look_at V | rotate V] [lens L | fov A] [sensor S] [resolution (W, H)]`.

    With neither `look_at` nor `rotate`, the camera looks at the origin. `rotate` is Blender's
    camera rotation (rotate (0, 0, 0) looks down -z). `lens` defaults to 50mm.
    """

    stmt: Literal["camera"] = "camera"
    at: Vec3 = Field(description="position (m)")
    look_at: Vec3 | None = Field(None, description="point the camera aims at (m)")
    rotate: AngleVec3 | None = Field(None, description="Euler XYZ rotation instead of look_at")
    lens: Millimetres | None = Field(None, description="focal length (mm), default 50mm")
    fov: Annotated[float, Unit("deg"), Field(gt=0, lt=180, allow_inf_nan=False)] | None = Field(
        None, description="field of view across the longer image side, instead of lens"
    )
    sensor: Millimetres = Field(36.0, description="sensor width (mm)")
    resolution: Resolution = Field((640, 480), description="image size in pixels (w, h)")

    DEFAULT_LENS: ClassVar[float] = 50.0

    def focal_length(self) -> float:
        """Focal length in mm, from `lens`, `fov` or the 50mm default."""
        if self.fov is not None:
            return self.sensor / (2 * math.tan(math.radians(self.fov) / 2))
        return self.lens if self.lens is not None else self.DEFAULT_LENS

    def target(self) -> tuple[float, float, float] | None:
        if self.rotate is not None:
            return None
        return self.look_at if self.look_at is not None else (0.0, 0.0, 0.0)


class World(Statement):
    """`world [color C] [strength S]` (lighting): the background and ambient light."""

    stmt: Literal["world"] = "world"
    name: Literal["world"] = "world"
    color: Color = Field(RGB(r=0.05, g=0.05, b=0.05), description="background colour")
    strength: Annotated[float, Field(ge=0, le=1e4, allow_inf_nan=False)] = Field(
        1.0, description="background strength"
    )


class LightDef(Statement):
    """`light NAME = sun(...) | point(...) | spot(...) | area(...)` (lighting)."""

    stmt: Literal["light"] = "light"
    light: Light


StatementType = Annotated[
    Union[ShapeDef, MaterialDef, ObjectDef, Camera, World, LightDef], Field(discriminator="stmt")
]
SECTION_OF: dict[str, str] = {
    "shape": "geometry",
    "material": "materials",
    "object": "composition",
    "camera": "composition",
    "world": "lighting",
    "light": "lighting",
}
DEFAULT_CAMERA = Camera(name="default", at=(7.36, -6.93, 4.96), look_at=(0.0, 0.0, 0.0))


class Section(Node):
    """One of the four sections, its statements in source order."""

    name: SectionName
    statements: tuple[StatementType, ...] = ()
    comments: tuple[str, ...] = ()
    end_comments: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _statements_belong(self) -> "Section":
        for st in self.statements:
            if SECTION_OF[st.stmt] != self.name:
                raise ValueError(
                    f"a {st.stmt} statement belongs in {SECTION_OF[st.stmt]}, not {self.name}"
                )
        return self

    def get(self, name: str) -> StatementType | None:
        for st in self.statements:
            if st.name == name:
                return st
        return None


def _empty(name: str) -> Section:
    return Section(name=name)


class Scene(Node):
    """A whole scene: a version and the four sections (always present, possibly empty)."""

    version: Literal[1] = 1
    geometry: Section = Field(default_factory=lambda: _empty("geometry"))
    materials: Section = Field(default_factory=lambda: _empty("materials"))
    composition: Section = Field(default_factory=lambda: _empty("composition"))
    lighting: Section = Field(default_factory=lambda: _empty("lighting"))
    comments: tuple[str, ...] = ()
    end_comments: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _sections_named(self) -> "Scene":
        for name in SECTION_NAMES:
            if getattr(self, name).name != name:
                raise ValueError(f"section field {name} holds section {getattr(self, name).name}")
        return self

    def section(self, name: str) -> Section:
        return getattr(self, name)

    def sections(self) -> Iterator[Section]:
        for name in SECTION_NAMES:
            yield getattr(self, name)

    def with_section(self, section: Section) -> "Scene":
        return self.model_copy(update={section.name: section})

    # convenient typed views -------------------------------------------------
    def shapes(self) -> dict[str, ShapeDef]:
        return {s.name: s for s in self.geometry.statements}  # type: ignore[misc]

    def materials_by_name(self) -> dict[str, MaterialDef]:
        return {s.name: s for s in self.materials.statements}  # type: ignore[misc]

    def objects(self) -> list[ObjectDef]:
        return [s for s in self.composition.statements if isinstance(s, ObjectDef)]

    def camera(self) -> Camera:
        """The scene's camera, or `DEFAULT_CAMERA` when the composition has none."""
        for s in self.composition.statements:
            if isinstance(s, Camera):
                return s
        return DEFAULT_CAMERA

    def lights(self) -> list[LightDef]:
        return [s for s in self.lighting.statements if isinstance(s, LightDef)]

    def world(self) -> World | None:
        for s in self.lighting.statements:
            if isinstance(s, World):
                return s
        return None


# ---------------------------------------------------------------- patches


class SetOp(Node):
    """`set TARGET.PARAM = VALUE`: change one parameter of a named statement."""

    op: Literal["set"] = "set"
    target: Name
    param: Name
    value: Value


class RemoveOp(Node):
    """`remove NAME`: delete a statement of the patch's section."""

    op: Literal["remove"] = "remove"
    name: Name


class PutOp(Node):
    """A full statement: adds it, or replaces the statement of the same name in place."""

    op: Literal["put"] = "put"
    statement: StatementType


PatchOp = Annotated[Union[SetOp, RemoveOp, PutOp], Field(discriminator="op")]


class Patch(Node):
    """`patch SECTION { ops }`, or with `replace=True` the form `replace SECTION { statements }`."""

    section: SectionName
    replace: bool = False
    ops: tuple[PatchOp, ...] = ()

    @model_validator(mode="after")
    def _replace_only_puts(self) -> "Patch":
        if self.replace and any(not isinstance(op, PutOp) for op in self.ops):
            raise ValueError("a replace block holds only statements")
        return self


class PatchFile(Node):
    """A `.slp` file: one or more patches, applied in order."""

    patches: tuple[Patch, ...] = Field(min_length=1)
