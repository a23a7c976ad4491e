"""Lowering the composition tree (`ResolvedScene.parts`) to plain rows the templates emit.

Every object, group and array becomes one row of `build_objects`: an object is built by its
shape's `shape_<name>` function (so every object of a shape shares one mesh: a linked
duplicate), a group or an array is an Empty, and each row is parented to the row of its group
(`parent`, a variable name) with its local transform, so the `.blend` keeps the hierarchy.
An array is one row (an Empty at its parent's origin) plus one call `repeat(ctx, NAME, EMPTY,
count, offset, around, angle, at, rotate, scale, part_<k>)`; `part_<k>(ctx, name, parent,
step)` builds one element (its own rows, named `name + suffix`), so a 1,000-copy array costs a
few lines of script, not 1,000 statements. A light written in a group is a row too: the light
object built from its statement as written (its `at`, `direction`, `look_at` relative to the
group) and parented to the group's Empty, so moving the group moves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scenelang.placement import Part


@dataclass
class Row:
    """One object or Empty: `var = ...`, named `name` (or `name + suffix` inside a part)."""

    kind: str  # "object" | "empty" | "light"
    var: str
    name: str
    prefixed: bool
    parent: str | None
    transform: tuple[Any, Any, Any]
    comment: str
    root: bool = False
    shape: str | None = None
    material: str | None = None
    array: dict[str, Any] | None = None
    light: dict[str, Any] | None = None
    """A light row's parameters (`compile._light_plan`), relative to its parent."""


@dataclass
class PartFunction:
    """`part_<index>(ctx, name, parent, step)`: one array element."""

    index: int
    rows: list[Row] = field(default_factory=list)


class _Lowering:
    def __init__(self, comment, light_plan):
        self.comment = comment
        self.light_plan = light_plan
        self.functions: list[PartFunction] = []
        self.counter = 0

    def var(self) -> str:
        self.counter += 1
        return f"p{self.counter}"

    def rows(self, part: Part, parent: str | None, prefixed: bool, out: list[Row],
             root: bool = False) -> None:
        var = self.var()
        comment = self.comment(part.statement)
        common = {"var": var, "name": part.name, "prefixed": prefixed, "parent": parent,
                  "transform": part.transform, "comment": comment, "root": root}
        if part.kind == "object":
            out.append(Row("object", shape=part.shape, material=part.material, **common))
            return
        if part.kind == "light":
            out.append(Row("light", light=self.light_plan(part.statement), **common))
            return
        row = Row("empty", **common)
        out.append(row)
        if part.kind == "group":
            for child in part.children:
                self.rows(child, var, prefixed, out)
            return
        function = PartFunction(len(self.functions) + 1)
        self.functions.append(function)
        assert part.element is not None
        self.rows(part.element, "parent", True, function.rows, root=True)
        row.array = {"count": part.count, "offset": part.offset, "around": part.around,
                     "angle": part.angle, "transform": part.array_transform,
                     "function": f"part_{function.index}"}


def lower_composition(parts: tuple[Part, ...], comment, light_plan
                      ) -> tuple[list[Row], list[PartFunction]]:
    """The rows of `build_objects` and the array element functions, in definition order.

    `comment(statement)` gives the line comment of a row (`scene.sl:12 object ball_1`),
    `light_plan(statement)` the parameters of a light row."""
    lowering = _Lowering(comment, light_plan)
    rows: list[Row] = []
    for part in parts:
        lowering.rows(part, None, False, rows)
    return rows, lowering.functions
