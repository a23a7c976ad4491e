"""Statements, sections and the whole scene."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from scenelang.ast.base import (
    RGB,
    SECTION_NAMES,
    Angle,
    AngleVec3,
    Color,
    Expr,
    Finite,
    Millimetres,
    Name,
    Node,
    Positive,
    PositiveVec3,
    Resolution,
    SectionName,
    Unit,
    Vec3,
)
from scenelang.ast.lights import Light
from scenelang.ast.materials import Principled, Texture
from scenelang.ast.shapes import ShapeExpr
from scenelang.errors import with_article


class Statement(Node):
    """A named definition inside a section, with the comments written around it."""

    name: Name
    comments: tuple[str, ...] = ()
    trailing_comment: str | None = None


class LetDef(Statement):
    """`let NAME = EXPR`: a named number, written after the header and before the sections
    (patches edit them in `patch constants { ... }`). `expr` is the expression as written,
    `value` its evaluated value (scenelang.constants); a constant uses only earlier ones."""

    stmt: Literal["let"] = "let"
    expr: Expr
    value: Finite


class ShapeDef(Statement):
    """`shape NAME = EXPR` (geometry)."""

    stmt: Literal["shape"] = "shape"
    shape: ShapeExpr


class MaterialDef(Statement):
    """`material NAME = principled(...)` (materials)."""

    stmt: Literal["material"] = "material"
    material: Principled


class TextureDef(Statement):
    """`texture NAME = checker(...) | noise(...) | wave(...) | brick(...) | gradient(...) |
    image(...)` (materials): a texture materials plug in by name."""

    stmt: Literal["texture"] = "texture"
    texture: Texture


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


class InstanceDef(Statement):
    """`object NAME = instance SOURCE [at V] [rotate V] [scale S] [material M]` (composition).

    A copy of the object or group named SOURCE (or, when no object or group has that name, of
    the shape SOURCE). Clauses left out are taken from the source: an instance of an object keeps
    its transform and material unless written; an instance of a group replaces the group's own
    transform by the one written here, and `material` overrides every member's material.
    """

    stmt: Literal["instance"] = "instance"
    source: Name = Field(description="name of an object, group or shape to copy")
    at: Vec3 | None = Field(None, description="position (m), default the source's")
    rotate: AngleVec3 | None = Field(None, description="Euler XYZ rotation, default the source's")
    scale: Positive | PositiveVec3 | None = Field(
        None, description="uniform or per-axis scale, default the source's")
    material: Name | None = Field(None, description="material for the copy (default: the source's)")


Count = Annotated[int, Field(ge=1, le=1_000_000)]


class ArrayDef(Statement):
    """`object NAME = array(SOURCE, count=N, offset=V | around=P [, angle=A]) [at V] [rotate V]
    [scale S] [material M]` (composition).

    `count` copies of the object, group or shape SOURCE. The array's `at`/`rotate`/`scale` place
    the first copy (as an instance's would; the source's own transform applies inside them).
    Linear: copy i (from 0) is then moved by `i * offset`. Radial: copy i is turned by
    `i * angle / count` degrees about the vertical (z) axis through the point `around`
    (`angle` defaults to 360, a full circle). `offset` and `around` are in the frame the array is
    written in. Copies are named `NAME_1` .. `NAME_N` and share the source's mesh.
    """

    stmt: Literal["array"] = "array"
    source: Name = Field(description="name of an object, group or shape to repeat")
    count: Count = Field(description="number of copies")
    offset: Vec3 | None = Field(None, description="step between copies (m), linear arrays")
    around: Vec3 | None = Field(None, description="centre of a radial array (m), about +z")
    angle: Angle = Field(360.0, description="total angle of a radial array")
    at: Vec3 = Field((0.0, 0.0, 0.0), description="position of the first copy (m)")
    rotate: AngleVec3 = Field((0.0, 0.0, 0.0), description="Euler XYZ rotation of each copy")
    scale: Positive | PositiveVec3 = Field(1.0, description="scale of each copy")
    material: Name | None = Field(None, description="material for every copy (default: the source's)")

    CALL_PARAMS: ClassVar[tuple[str, ...]] = ("count", "offset", "around", "angle")

    @model_validator(mode="after")
    def _one_kind(self) -> ArrayDef:
        if (self.offset is None) == (self.around is None):
            raise ValueError("an array takes exactly one of offset= (a row) or around= (a circle)")
        return self


class LightDef(Statement):
    """`light NAME = sun(...) | point(...) | spot(...) | area(...)` (lighting).

    Also a member of a composition `group { }`: its `at`, `direction` and `look_at` are then
    relative to the group, whose transform moves and turns it with the group's objects
    (`ResolvedScene.lights` holds it in world space; compiled as a light parented to the group's
    Empty)."""

    stmt: Literal["light"] = "light"
    light: Light


class GroupDef(Statement):
    """`group NAME [at V] [rotate V] [scale S] { object ... group ... light ... }` (composition).

    Objects, instances, arrays, groups and lights placed together: the members' transforms (a
    light's `at`, `direction`, `look_at`) are relative to the group, whose own transform (scale,
    rotate, then `at`) moves them all. Compiled to an Empty with the members parented to it.
    """

    stmt: Literal["group"] = "group"
    at: Vec3 = Field((0.0, 0.0, 0.0), description="position (m)")
    rotate: AngleVec3 = Field((0.0, 0.0, 0.0), description="Euler XYZ rotation")
    scale: Positive | PositiveVec3 = Field(1.0, description="uniform or per-axis scale")
    members: tuple[Member, ...] = Field((), description="the statements inside the braces")


Member = Annotated[ObjectDef | InstanceDef | ArrayDef | GroupDef | LightDef, Field(discriminator="stmt")]
GroupDef.model_rebuild()
PLACEMENT_STMTS = ("object", "instance", "array", "group")
"""Statements that place objects (and may be copied by an instance or array)."""
MEMBER_STMTS = (*PLACEMENT_STMTS, "light")
"""Statements a group may hold."""


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


StatementType = Annotated[
    ShapeDef | MaterialDef | TextureDef | ObjectDef | InstanceDef | ArrayDef | GroupDef | Camera | World | LightDef,
    Field(discriminator="stmt"),
]
SECTION_OF: dict[str, str] = {
    "shape": "geometry",
    "material": "materials",
    "texture": "materials",
    "object": "composition",
    "instance": "composition",
    "array": "composition",
    "group": "composition",
    "camera": "composition",
    "world": "lighting",
    "light": "lighting",
    "let": "constants",  # `let` lines after the header; `patch constants { ... }` in patches
}
DEFAULT_CAMERA = Camera(name="default", at=(7.36, -6.93, 4.96), look_at=(0.0, 0.0, 0.0))


class Section(Node):
    """One of the four sections, its statements in source order."""

    name: SectionName
    statements: tuple[StatementType, ...] = ()
    comments: tuple[str, ...] = ()
    end_comments: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _statements_belong(self) -> Section:
        for st in self.statements:
            if SECTION_OF[st.stmt] != self.name:
                raise ValueError(
                    f"{with_article(st.stmt)} statement belongs in {SECTION_OF[st.stmt]}, not {self.name}"
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
    constants: tuple[LetDef, ...] = ()
    geometry: Section = Field(default_factory=lambda: _empty("geometry"))
    materials: Section = Field(default_factory=lambda: _empty("materials"))
    composition: Section = Field(default_factory=lambda: _empty("composition"))
    lighting: Section = Field(default_factory=lambda: _empty("lighting"))
    comments: tuple[str, ...] = ()
    end_comments: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _sections_named(self) -> Scene:
        for name in SECTION_NAMES:
            if getattr(self, name).name != name:
                raise ValueError(f"section field {name} holds section {getattr(self, name).name}")
        return self

    def section(self, name: str) -> Section:
        return getattr(self, name)

    def sections(self) -> Iterator[Section]:
        for name in SECTION_NAMES:
            yield getattr(self, name)

    def with_section(self, section: Section) -> Scene:
        return self.model_copy(update={section.name: section})

    # convenient typed views -------------------------------------------------
    def shapes(self) -> dict[str, ShapeDef]:
        return {s.name: s for s in self.geometry.statements}  # type: ignore[misc]

    def materials_by_name(self) -> dict[str, MaterialDef]:
        """The material statements (not the textures) by name."""
        return {s.name: s for s in self.materials.statements if isinstance(s, MaterialDef)}

    def textures_by_name(self) -> dict[str, TextureDef]:
        return {s.name: s for s in self.materials.statements if isinstance(s, TextureDef)}

    def objects(self) -> list[ObjectDef]:
        return [s for s in self.composition.statements if isinstance(s, ObjectDef)]

    def camera(self) -> Camera:
        """The scene's camera, or `DEFAULT_CAMERA` when the composition has none."""
        for s in self.composition.statements:
            if isinstance(s, Camera):
                return s
        return DEFAULT_CAMERA

    def lights(self) -> list[LightDef]:
        """The lighting section's lights (lights in composition groups: `ResolvedScene.lights`)."""
        return [s for s in self.lighting.statements if isinstance(s, LightDef)]

    def world(self) -> World | None:
        for s in self.lighting.statements:
            if isinstance(s, World):
                return s
        return None
