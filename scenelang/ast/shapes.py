"""Shape expressions (geometry): primitives, references and CSG.

A primitive is one model class here, registered with `@primitive`; its mesh builder lives in
`scenelang/compiler/runtime/primitives.py` (see docs/architecture.md, "Adding a primitive")."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field

from scenelang.ast.base import (
    AngleVec3,
    Finite,
    MeshDetail,
    Name,
    Node,
    NonNegative,
    Positive,
    PositiveVec3,
    Segments,
    String,
    Vec3,
)

Point2 = tuple[Finite, Finite]
Profile = Annotated[tuple[Point2, ...], Field(max_length=1024)]
"""A list of 2D points `[(a, b), ...]`; at least 2 points (checked by `profile_problems`)."""



class ShapeBase(Node):
    """Fields shared by every shape expression: an optional local transform.

    Transforms apply as scale, then rotate (Euler XYZ, degrees), then translate (`at`), the same
    order Blender uses for an object. `material NAME` gives the faces that come from this part
    (typically a CSG operand) their own material, kept as a material slot in Blender; the
    innermost `material` wins, parts without one take the object's material.
    """

    at: Vec3 | None = None
    rotate: AngleVec3 | None = None
    scale: Positive | PositiveVec3 | None = None
    material: Name | None = Field(None, description="material of this part's faces (CSG operands; "
                                                    "default: the object's material)")
    bevel: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] | None = Field(
        None, description="round the shape's edges with this width (m): Blender's Bevel modifier "
                          "(3 segments, edges sharper than 30 degrees), kept live; whole shapes only")

    TRANSFORMS: ClassVar[tuple[str, ...]] = ("at", "rotate", "scale", "material", "bevel")
    """The clauses a shape expression takes after it: the three transforms, `material`, `bevel`."""

    def problems(self) -> list[tuple[str, str]]:
        """`(message, hint)` for each problem that needs more than one value (none by default)."""
        return []

    def triangle_bound(self) -> int | None:
        """An upper bound on the mesh's triangles when the mesh-detail fields do not give one."""
        return None


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


def _cross(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_cross(p, q, r, s) -> bool:
    """Whether the closed segments pq and rs intersect (collinear overlaps included)."""
    d1, d2, d3, d4 = _cross(r, s, p), _cross(r, s, q), _cross(p, q, r), _cross(p, q, s)
    if ((d1 > 0) != (d2 > 0)) and d1 != 0 and d2 != 0 and ((d3 > 0) != (d4 > 0)) and d3 != 0 and d4 != 0:
        return True

    def on(a, b, c):  # c on segment ab, given collinear
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    return ((d1 == 0 and on(r, s, p)) or (d2 == 0 and on(r, s, q))
            or (d3 == 0 and on(p, q, r)) or (d4 == 0 and on(p, q, s)))


def polygon_self_intersection(points) -> tuple[int, int] | None:
    """The first pair of edges `(i, j)` of the closed polygon that cross or touch (edges that
    share a vertex only count when they overlap), else None. O(n^2), n <= 1024."""
    n = len(points)
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            adjacent = j == i + 1 or (i == 0 and j == n - 1)
            (p, q), (r, s) = edges[i], edges[j]
            if adjacent:
                shared = q if j == i + 1 else p
                other_i = p if j == i + 1 else q
                other_j = s if j == i + 1 else r
                if _cross(shared, other_i, other_j) == 0 and (
                        (other_i[0] - shared[0]) * (other_j[0] - shared[0])
                        + (other_i[1] - shared[1]) * (other_j[1] - shared[1]) > 0):
                    return i, j  # folds back on itself
                continue
            if _segments_cross(p, q, r, s):
                return i, j
    return None


def polygon_area(points) -> float:
    """Signed area (shoelace): positive when the points run counter-clockwise."""
    n = len(points)
    return 0.5 * sum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
                     for i in range(n))


def _point(p) -> str:
    return f"({p[0]:g}, {p[1]:g})"


@primitive
class Revolve(ShapeBase):
    """A lathe: the profile `[(r, z), ...]` (radius from the z axis, height) turned a full
    circle around z. Points run in order; an end with r = 0 closes on the axis, an end with
    r > 0 is capped with a flat disc, so an open profile still makes a closed solid."""

    kind: Literal["revolve"] = "revolve"
    profile: Profile = Field(description="points (r, z): radius from the z axis and height (m), at least 2",
                             examples=[((0.0, 0.0), (0.5, 0.0), (0.3, 0.6), (0.0, 0.8))])
    segments: Segments = Field(32, description="segments around the z axis")

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if len(self.profile) < 2:
            out.append((f"revolve profile needs at least 2 points, got {len(self.profile)}",
                        "write profile=[(r, z), (r, z), ...], e.g. [(0.5, 0), (0.5, 1), (0, 1)]"))
        for p in self.profile:
            if p[0] < 0:
                out.append((f"revolve profile point {_point(p)} has a negative radius",
                            "r is the distance from the z axis: use r >= 0"))
                break
        if len(self.profile) >= 2 and all(p[0] == 0 for p in self.profile):
            out.append(("revolve profile lies on the axis (every r is 0)",
                        "give some points a radius r > 0"))
        return out

    def triangle_bound(self) -> int:
        return 2 * self.segments * (len(self.profile) + 1)


@primitive
class Extrude(ShapeBase):
    """A prism: the closed polygon `[(x, y), ...]` in the xy plane pulled `depth` along z,
    centred at the origin (from -depth/2 to depth/2). The polygon must not cross itself; it may
    be concave and in either winding order."""

    kind: Literal["extrude"] = "extrude"
    profile: Profile = Field(description="polygon points (x, y) in the xy plane (m), at least 3",
                             examples=[((0.0, 0.0), (1.0, 0.0), (1.0, 0.3), (0.3, 0.3), (0.3, 1.0), (0.0, 1.0))])
    depth: Positive = Field(description="thickness along z (m)")

    def problems(self) -> list[tuple[str, str]]:
        if len(self.profile) < 3:
            return [(f"extrude profile needs at least 3 points, got {len(self.profile)}",
                     "a polygon needs 3 or more corners, e.g. [(0, 0), (1, 0), (0, 1)]")]
        crossing = polygon_self_intersection(self.profile)
        if crossing is not None:
            i, j = crossing
            n = len(self.profile)
            return [(f"extrude profile crosses itself: edge {_point(self.profile[i])}-"
                     f"{_point(self.profile[(i + 1) % n])} meets edge {_point(self.profile[j])}-"
                     f"{_point(self.profile[(j + 1) % n])}",
                     "list the corners in order around the outline, without crossings")]
        if polygon_area(self.profile) == 0:
            return [("extrude profile has zero area", "the points must not all lie on a line")]
        return []

    def triangle_bound(self) -> int:
        return 4 * len(self.profile)


@primitive
class MeshAsset(ShapeBase):
    """A mesh read from a file: glTF (`.glb`, `.gltf`), OBJ, STL or PLY, in metres, with the
    file's own origin. glTF and OBJ are Y-up and turned Z-up on import (as Blender's importers
    do); STL and PLY are taken as Z-up. The path is relative to the scene file's folder and must
    stay inside it (see `scenelang.assets`)."""

    kind: Literal["mesh"] = "mesh"
    path: String = Field(description='the file, relative to the scene file: "assets/chair.glb"',
                         examples=[String(value="examples/assets/cone.stl")])

    def triangle_bound(self) -> int:
        return 0  # unknown until the file is read; the loader checks Limits.max_asset_triangles


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
