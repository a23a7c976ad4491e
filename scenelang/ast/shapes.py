"""Shape expressions (geometry): primitives, references and CSG.

A primitive is one model class here, registered with `@primitive`; its mesh builder lives in
`scenelang/compiler/runtime/primitives.py` (see docs/architecture.md, "Adding a primitive")."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field

from scenelang.ast.base import (
    AngleVec3,
    MeshDetail,
    Name,
    Node,
    NonNegative,
    Positive,
    PositiveVec3,
    Segments,
    Vec3,
)


class ShapeBase(Node):
    """Fields shared by every shape expression: an optional local transform.

    Transforms apply as scale, then rotate (Euler XYZ, degrees), then translate (`at`), the same
    order Blender uses for an object.
    """

    at: Vec3 | None = None
    rotate: AngleVec3 | None = None
    scale: Positive | PositiveVec3 | None = None

    TRANSFORMS: ClassVar[tuple[str, ...]] = ("at", "rotate", "scale")


PRIMITIVES: dict[str, type[ShapeBase]] = {}
"""Every primitive model by its kind, in registration (= documentation) order."""


def primitive(cls: type[ShapeBase]) -> type[ShapeBase]:
    """Register a primitive model: its `kind` literal names it in the language, in `PRIMITIVES`
    and in the mesh builders' table (`scenelang.compiler.runtime.primitives.PRIMITIVES`)."""
    PRIMITIVES[cls.model_fields["kind"].default] = cls
    return cls


def detail_fields(cls: type[Node]) -> tuple[str, ...]:
    """The fields of a primitive that set its mesh resolution (marked `MeshDetail`)."""
    return tuple(name for name, info in cls.model_fields.items()
                 if any(isinstance(m, MeshDetail) for m in info.metadata))


@primitive
class Box(ShapeBase):
    """An axis-aligned box centred at the origin; `size` is its full extent in metres."""

    kind: Literal["box"] = "box"
    size: PositiveVec3 = Field(description="full extent along x, y, z (m)")


@primitive
class Sphere(ShapeBase):
    """A UV sphere centred at the origin."""

    kind: Literal["sphere"] = "sphere"
    radius: Positive = Field(description="radius (m)")
    segments: Segments = Field(32, description="segments around the z axis")
    rings: Annotated[int, MeshDetail(), Field(ge=2, le=4096)] = Field(16, description="rings from pole to pole")


@primitive
class Cylinder(ShapeBase):
    """A cylinder along z, centred at the origin."""

    kind: Literal["cylinder"] = "cylinder"
    radius: Positive = Field(description="radius (m)")
    depth: Positive = Field(description="height along z (m)")
    vertices: Segments = Field(32, description="vertices around the circumference")


@primitive
class Cone(ShapeBase):
    """A cone (or frustum) along z, centred at the origin, base at -depth/2."""

    kind: Literal["cone"] = "cone"
    radius: Positive = Field(description="base radius (m)")
    depth: Positive = Field(description="height along z (m)")
    top_radius: NonNegative = Field(0.0, description="top radius (m); > 0 makes a frustum")
    vertices: Segments = Field(32, description="vertices around the circumference")


@primitive
class Torus(ShapeBase):
    """A torus in the xy plane, centred at the origin."""

    kind: Literal["torus"] = "torus"
    major_radius: Positive = Field(description="distance from the centre to the tube's centre (m)")
    minor_radius: Positive = Field(description="tube radius (m)")
    major_segments: Segments = Field(48, description="segments around the ring")
    minor_segments: Segments = Field(12, description="segments around the tube")


@primitive
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
    operands: tuple[ShapeExpr, ...] = Field(min_length=2, max_length=64)


CSG_OPS = ("union", "difference", "intersection")

ShapeExpr = Annotated[Union[(*PRIMITIVES.values(), Ref, Csg)], Field(discriminator="kind")]
Csg.model_rebuild()
