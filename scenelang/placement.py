"""The composition as a tree of placed parts: groups, instances and arrays expanded once.

`expand(statements, shapes)` turns the composition's `object`, `group`, `instance` and `array`
statements into `Part`s (an object, a group with children, or an array with one element
template), following instances and array sources by name, and reports what it cannot follow as
positioned diagnostics (an unknown source, an instance or array that contains itself).
`flatten(parts)` lists every object the tree makes, with the chain of transforms above it, and
`flatten(parts, kind="light")` every light written in a group (`light_in_world` places it).

Naming: members written in a group keep their names; copies made by an instance or an array get
names derived from the copy: an instance `chair_2` of group `chair` with member `seat` makes an
Empty `chair_2` and an object `chair_2_seat`; array `row` makes elements `row_1` .. `row_N`
(members `row_1_seat`, ...). Inside an array's element template, names are relative: the root
is `""` and a member `"_seat"`, prefixed with the element's name when flattened.

Transforms are `(at, rotate, scale)` triples (metres, degrees, per-axis scale), applied as
scale, then rotate (Euler XYZ), then translate; a chain lists them outermost first.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from difflib import get_close_matches
from typing import Literal

from scenelang import ast as A
from scenelang.errors import Diagnostic

Vec = tuple[float, float, float]
Transform = tuple[Vec, Vec, Vec]
IDENTITY: Transform = ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
LIGHT_WALK = 4
MAX_FLATTENED = 50_000
"""Objects `flatten` lists at most, so a hostile array costs bounded time (the validator's
`Limits.max_expanded_objects`, default 10,000, rejects such scenes; raising it above this cap
makes the resolved object list stop here)."""


def scale3(scale: float | tuple | None) -> Vec | None:
    if scale is None:
        return None
    if isinstance(scale, (int, float)):
        return (float(scale),) * 3
    return tuple(float(s) for s in scale)  # type: ignore[return-value]


@dataclass(frozen=True)
class Part:
    """One placed thing: an object, a light (a group's member), a group (children) or an array
    (count copies of `element`).

    `name` is the full name, or inside an array's element template the suffix after the
    element's name (`""` for the template's root). `transform` is relative to the parent.
    """

    name: str
    kind: Literal["object", "light", "group", "array"]
    statement: A.Statement
    transform: Transform
    shape: str | None = None
    material: str | None = None
    children: tuple[Part, ...] = ()
    count: int = 0
    offset: Vec | None = None
    around: Vec | None = None
    angle: float = 360.0
    element: Part | None = None
    array_transform: Transform = IDENTITY
    """An array's `at`/`rotate`/`scale`: where its first copy stands (its Empty is at the
    parent's origin; see `array_step`)."""

    def size(self) -> int:
        """How many objects and lights this part makes (arrays multiplied out)."""
        if self.kind in ("object", "light"):
            return 1
        if self.kind == "group":
            return sum(c.size() for c in self.children)
        return self.count * self.element.size() if self.element is not None else 0

    def nodes(self) -> int:
        """`size()` plus one per group copy (its Empty): the parts expanding it walks."""
        if self.kind in ("object", "light"):
            return 1
        if self.kind == "group":
            return 1 + sum(c.nodes() for c in self.children)
        return self.count * self.element.nodes() if self.element is not None else 0


def array_step(part: Part, index: int) -> Transform:
    """Element `index` (from 0) of an array part: the array's own transform (`at`, `rotate`,
    `scale`: where the first copy stands), then moved by `index * offset`, or turned by
    `index * angle / count` degrees about the vertical axis through `around`, both in the frame
    the array is written in. Turning about z adds to the Euler z angle (R = Rz @ Ry @ Rx), so the
    result is again one (at, rotate, scale)."""
    (x, y, z), (rx, ry, rz), scale = part.array_transform
    if part.offset is not None:
        ox, oy, oz = part.offset
        return ((x + index * ox, y + index * oy, z + index * oz), (rx, ry, rz), scale)
    theta = index * part.angle / part.count
    c, s = math.cos(math.radians(theta)), math.sin(math.radians(theta))
    cx, cy, _ = part.around  # type: ignore[misc]
    px, py = x - cx, y - cy
    return ((cx + c * px - s * py, cy + s * px + c * py, z), (rx, ry, rz + theta), scale)


def _own(st: A.Statement) -> Transform:
    return (tuple(st.at), tuple(st.rotate), scale3(st.scale))  # type: ignore[attr-defined,return-value]


class _Expander:
    def __init__(self, statements: tuple[A.Statement, ...], shapes: dict):
        self.shapes = shapes
        self.defs: dict[str, A.Statement] = {}
        self.errors: list[Diagnostic] = []
        self.reported: set[int] = set()
        self._index(statements)

    def _index(self, statements) -> None:
        for st in statements:
            if st.stmt in A.PLACEMENT_STMTS:
                self.defs.setdefault(st.name, st)
                if isinstance(st, A.GroupDef):
                    self._index(st.members)

    def error(self, st: A.Statement, message: str, hint: str | None = None) -> None:
        if id(st) not in self.reported:
            self.reported.add(id(st))
            self.errors.append(Diagnostic(message, st.span, hint=hint))

    def part(self, st: A.Statement, name: str, copied: bool, stack: tuple[str, ...],
             material: str | None = None) -> Part | None:
        if isinstance(st, A.ObjectDef):
            return Part(name, "object", st, _own(st), shape=st.shape, material=material or st.material)
        if isinstance(st, A.LightDef):  # its own placement is in the light (at, direction)
            return Part(name, "light", st, IDENTITY)
        if isinstance(st, A.GroupDef):
            if st.name in stack:
                return None
            children = []
            for member in st.members:
                child = self.part(member, f"{name}_{member.name}" if copied else member.name,
                                  copied, (*stack, st.name), material)
                if child is not None:
                    children.append(child)
            return Part(name, "group", st, _own(st), children=tuple(children))
        source = self.source(st, stack)
        if source is None:
            return None
        inner_material = st.material or material  # type: ignore[attr-defined]
        if isinstance(st, A.InstanceDef):
            if isinstance(source, A.ShapeDef):
                return Part(name, "object", st, self._over(IDENTITY, st), shape=source.name,
                            material=inner_material)
            inner = self.part(source, name, True, (*stack, st.name), inner_material)
            if inner is None:
                return None
            return replace(inner, statement=st, transform=self._over(inner.transform, st))
        assert isinstance(st, A.ArrayDef)
        if isinstance(source, A.ShapeDef):
            element = Part("", "object", st, IDENTITY, shape=source.name, material=inner_material)
        else:
            element = self.part(source, "", True, (*stack, st.name), inner_material)
            if element is None:
                return None
        return Part(name, "array", st, IDENTITY, count=st.count, offset=st.offset,
                    around=st.around, angle=st.angle, element=element, array_transform=_own(st))

    @staticmethod
    def _over(base: Transform, st: A.InstanceDef) -> Transform:
        """`base` with the clauses the instance writes replacing the source's."""
        at, rotate, scale = base
        return (tuple(st.at) if st.at is not None else at,  # type: ignore[return-value]
                tuple(st.rotate) if st.rotate is not None else rotate,
                scale3(st.scale) if st.scale is not None else scale)

    def source(self, st: A.Statement, stack: tuple[str, ...]) -> A.Statement | None:
        """What an instance or array copies: an object or group (by name), else a shape."""
        name = st.source  # type: ignore[attr-defined]
        what = "instance" if isinstance(st, A.InstanceDef) else "array"
        if name in stack or name == st.name:
            path = " -> ".join((*stack[stack.index(name):], st.name, name)) if name in stack \
                else f"{st.name} -> {name}"
            self.error(st, f"{what} '{st.name}' copies '{name}', which contains it: {path}",
                       hint="an instance or array cannot copy a group it stands in")
            return None
        found = self.defs.get(name)
        if found is not None:
            return found
        shape = self.shapes.get(name)
        if shape is not None:
            return shape.definition
        choices = sorted({*self.defs, *self.shapes})
        close = get_close_matches(name, choices, n=1, cutoff=0.6)
        self.error(st, f"{what} '{st.name}' copies '{name}', which is not an object, group or "
                       f"shape" + (f"; did you mean '{close[0]}'?" if close else ""),
                   hint="define it first (an object or group in composition, or a shape)")
        return None


def expand(statements: tuple[A.Statement, ...], shapes: dict) -> tuple[tuple[Part, ...], list[Diagnostic]]:
    """The composition's placement statements as parts, and the problems found (never raises).

    `shapes` maps shape names to entries with a `.definition` (`resolve.ShapeEntry`)."""
    expander = _Expander(statements, shapes)
    parts = []
    for st in statements:
        if st.stmt in A.PLACEMENT_STMTS:
            part = expander.part(st, st.name, False, ())
            if part is not None:
                parts.append(part)
    return tuple(parts), expander.errors


@dataclass(frozen=True)
class Leaf:
    """One object (or light) of the flattened tree: its part, full name, the chain above it, its
    parent."""

    part: Part
    name: str
    chain: tuple[Transform, ...]
    parent: str | None
    chain_names: tuple[str, ...] = ()
    """One name per chain link: the group's or array's name, `ELEMENT#step` for an array step."""


def flatten(parts: tuple[Part, ...], limit: int = MAX_FLATTENED,
            kind: Literal["object", "light"] = "object") -> list[Leaf]:
    """Every object (`kind="light"`: every light) the parts make, in order, at most `limit` (a
    list: recursion appending to one list is several times faster than nested generators for
    large arrays). The walk visits at most `LIGHT_WALK * limit` parts, however few of them are
    objects or lights (a hostile array of copies of empty groups costs bounded time; the
    validator rejects such a scene by `Part.nodes`)."""
    out: list[Leaf] = []
    budget = [LIGHT_WALK * limit]  # parts left to visit

    def walk(part: Part, prefix: str, chain: tuple[Transform, ...], names: tuple[str, ...],
             parent: str | None) -> None:
        if budget[0] == 0:
            return
        budget[0] -= 1
        name = prefix + part.name
        if part.kind in ("object", "light"):
            if part.kind == kind:
                out.append(Leaf(part, name, chain, parent, names))
            return
        inner, inner_names = (*chain, part.transform), (*names, name)
        if part.kind == "group":
            for child in part.children:
                if len(out) >= limit or budget[0] == 0:
                    return
                walk(child, prefix, inner, inner_names, name)
            return
        element = part.element
        if element is None:
            return
        for index in range(part.count):
            if len(out) >= limit or budget[0] == 0:
                return
            element_name = f"{name}_{index + 1}"
            walk(element, element_name, (*inner, array_step(part, index)),
                 (*inner_names, f"{element_name}#step"), name)

    for part in parts:
        walk(part, "", (), (), None)
    return out[:limit]


def names(parts: tuple[Part, ...], limit: int = MAX_FLATTENED) -> Iterator[tuple[str, Part]]:
    """The name of every object, light and Empty (group, array, element of a group array) the
    parts make, with the part it comes from, at most `limit` names."""
    count = 0

    def walk(part: Part, prefix: str):
        nonlocal count
        count += 1
        if count > limit:
            return
        yield prefix + part.name, part
        if part.kind == "group":
            for child in part.children:
                yield from walk(child, prefix)
        elif part.kind == "array" and part.element is not None:
            for index in range(part.count):
                yield from walk(part.element, f"{prefix}{part.name}_{index + 1}")

    for part in parts:
        yield from walk(part, "")


def has_lights(statements) -> bool:
    """True when a group among `statements` (at any depth) holds a light."""
    return any(isinstance(st, A.GroupDef) and any(
        m.stmt == "light" or (isinstance(m, A.GroupDef) and has_lights((m,))) for m in st.members)
        for st in statements)


def _rotated(v: Vec, rotate: Vec) -> Vec:
    """`v` turned by Euler XYZ angles `rotate` (degrees): R = Rz @ Ry @ Rx, as Blender."""
    x, y, z = v
    for axis, degrees in enumerate(rotate):
        if degrees:
            c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
            if axis == 0:
                y, z = c * y - s * z, s * y + c * z
            elif axis == 1:
                x, z = c * x + s * z, -s * x + c * z
            else:
                x, y = c * x - s * y, s * x + c * y
    return (x, y, z)


def chain_point(chain: tuple[Transform, ...], p: Vec, *, vector: bool = False) -> Vec:
    """Point `p` (or with `vector`, a direction: no translation) written inside the transforms
    `chain` (outermost first), in world space: each link scales, rotates, then moves by `at`."""
    for at, rotate, scale in reversed(chain):
        p = _rotated((p[0] * scale[0], p[1] * scale[1], p[2] * scale[2]), rotate)
        if not vector:
            p = (p[0] + at[0], p[1] + at[1], p[2] + at[2])
    return p


def light_in_world(light, chain: tuple[Transform, ...]):
    """A light (`ast.Sun|Point|Spot|Area`) written inside `chain`, in world space: `at` and
    `look_at` moved as points, `direction` turned (and scaled) as a vector, as Blender's parenting
    moves and turns the light object. Sizes, radii and energies are kept (Blender also scales an
    area light's size by the group's scale)."""
    update = {}
    for field in ("at", "look_at"):
        value = getattr(light, field, None)
        if value is not None:
            update[field] = chain_point(chain, tuple(value))
    direction = getattr(light, "direction", None)
    if direction is None and "direction" in type(light).model_fields and light.look_at is None:
        direction = (0.0, 0.0, -1.0)  # a spot or area light's default aim turns with the group
    if direction is not None:
        update["direction"] = chain_point(chain, tuple(direction), vector=True)
    return light.model_copy(update={**update, "exprs": ()}) if chain else light
