"""Statements, sections and the whole scene."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from scenelang.ast.base import (
    RGB,
    SECTION_NAMES,
    AngleVec3,
    Color,
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
from scenelang.ast.materials import Principled
from scenelang.ast.shapes import ShapeExpr


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
    ShapeDef | MaterialDef | ObjectDef | Camera | World | LightDef, Field(discriminator="stmt")
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
    def _statements_belong(self) -> Section:
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
