"""Imported objects nested again: parents become groups, repeated groups become instances.

`compose(nodes, names, report)` takes the description's objects (shape and material already
named) and the frames they hang from (Blender Empties and other parents, glTF nodes without a
mesh) as `Node`s in file order, and returns the composition's placement statements:

- every node is written relative to its parent's frame, `local = inverse(parent world) @ world`,
  so parenting of any kind (an Empty, a mesh parent, a parent inverse) comes back as nested
  `group NAME at (...) rotate (...) scale S { ... }` blocks with the same world matrices (within
  the 6 significant digits imported numbers keep);
- a node whose local transform is no `at`/`rotate`/`scale` (shear: a rotated child of a parent
  scaled unevenly, or a parent inverse that is no such transform; a mirror; a zero scale) is
  flattened: placed at the top level at its world transform, reported under `flattened`; a group
  whose own transform cannot be written dissolves the same way (its members are placed at their
  world transforms); an object that cannot be placed even so is skipped with the reason; a
  hierarchy deeper than `MAX_DEPTH` is flattened into its group at that depth (reported);
- an object with children becomes `group NAME_group` holding the object (at the group's origin)
  and its children; a frame with no object below it (an Empty marking a place) is left out;
- a group whose members repeat an earlier group's (same structure, shapes, materials and local
  transforms, in any order) becomes `object NAME = instance EARLIER` with its own `at`/`rotate`/
  `scale` (those differing from the earlier group's), when the names the instance gives its
  copies (`NAME_member`, docs/language.md) are free and at most `MAX_NAME` characters long;
  otherwise it stays a group with its own member names;
- before that, a group of evenly placed copies of one shape (a row or a ring) becomes an
  `array(...)` statement (`arrays.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from scenelang import ast as sl
from scenelang.backends.importers.arrays import arrays
from scenelang.backends.importers.model import Report
from scenelang.backends.importers.transforms import Unsupported, decompose, valid_name, vec

MAX_DEPTH = 32
"""Deepest group nesting written (the parser allows 64 nested brackets); deeper hierarchies
are flattened into the group at this depth, with a report."""
MAX_NAME = 63
"""Longest derived name an instance may give a copy (Blender cuts object names at 63 bytes)."""


@dataclass
class Node:
    """An object (`shape` set) or a frame (`shape` None) of the imported scene.

    matrix: the world matrix it is placed by (an object's after its mirror moved into the shape);
    frame: the world matrix its children are relative to (default `matrix`); euler: the file's
    own Euler angles (radians) of its local rotation, used when they match; parent: the key of
    the node it hangs from (None, or a key not among the nodes: the top level)."""

    key: str
    name: str
    matrix: np.ndarray
    euler: tuple[float, float, float] | None = None
    parent: str | None = None
    shape: str | None = None
    material: str | None = None
    frame: np.ndarray | None = None

    @property
    def world(self) -> np.ndarray:
        return self.matrix if self.frame is None else self.frame


def _fields(matrix: np.ndarray, euler) -> dict:
    """`at`/`rotate`/`scale` of a local matrix (identity parts left out); raises Unsupported."""
    at, rotate, scale = decompose(matrix, euler)
    at, rotate, scale = vec(at), vec(rotate), vec(scale)
    out: dict = {}
    if at != (0, 0, 0):
        out["at"] = at
    if rotate != (0, 0, 0):
        out["rotate"] = rotate
    if scale != (1, 1, 1):
        out["scale"] = scale[0] if len(set(scale)) == 1 else scale
    return out


class _Composer:
    def __init__(self, nodes: list[Node], names: set[str], report: Report):
        self.names, self.report = names, report
        keys = {n.key: n for n in nodes}
        self.children: dict[str, list[Node]] = {n.key: [] for n in nodes}
        self.roots: list[Node] = []
        for node in nodes:
            if node.parent in keys and node.parent != node.key:
                self.children[node.parent].append(node)
            else:
                self.roots.append(node)
        reached = {n.key for n in self._below(self.roots)}
        self.roots += [n for n in nodes if n.key not in reached]  # a parent cycle: top level
        self.pending: list[Node] = []
        self._useful: set[str] = set()
        self._mark_useful(nodes)

    def _below(self, nodes: list[Node]) -> Iterator[Node]:
        seen: set[str] = set()
        stack = list(nodes)
        while stack:
            node = stack.pop()
            if node.key not in seen:
                seen.add(node.key)
                yield node
                stack.extend(self.children[node.key])

    def useful(self, node: Node) -> bool:
        """The node is an object or has one below it."""
        return node.key in self._useful

    def _mark_useful(self, nodes: list[Node]) -> None:
        parent_of = {n.key: n.parent for n in nodes}
        for node in nodes:
            key = node.key if node.shape is not None else None
            while key is not None and key in parent_of and key not in self._useful:
                self._useful.add(key)
                key = parent_of[key]

    def leaf(self, node: Node, parent: Node | None) -> list[sl.Statement]:
        """`node` alone (not what hangs from it) as an object in `parent`'s frame."""
        frame = np.eye(4) if parent is None else parent.world
        try:
            fields = _fields(np.linalg.pinv(frame) @ node.matrix, node.euler)
        except Unsupported as exc:
            return self._escape(node, parent, exc)
        name = valid_name(node.name, self.names, "object")
        return [sl.ObjectDef(name=name, shape=node.shape, material=node.material, **fields)]

    def emit(self, node: Node, parent: Node | None, depth: int = 0) -> list[sl.Statement]:
        """The statements placing `node` (and what hangs from it) in `parent`'s frame; depth:
        how many `emit` calls lead here (at `MAX_DEPTH`, what hangs from `node` is placed in
        `parent`'s frame without groups)."""
        frame = np.eye(4) if parent is None else parent.world
        inverse = np.linalg.pinv(frame)
        kids = [c for c in self.children[node.key] if self.useful(c)]
        if not kids:
            return self.leaf(node, parent) if node.shape is not None else []
        if depth >= MAX_DEPTH:
            where = "the scene" if parent is None else f"group {parent.name}"
            self.report.flattened.append(f"group {node.name} flattened: groups would nest more "
                                         f"than {MAX_DEPTH} deep; what hangs from it is placed "
                                         f"in {where}")
            out: list[sl.Statement] = []
            for below in self._below([node]):  # iterative: any depth
                if below.shape is not None:
                    out += self.leaf(below, parent)
            return out
        try:
            fields = _fields(inverse @ node.world, node.euler)
            if node.shape is not None:
                own = _fields(np.linalg.pinv(node.world) @ node.matrix, None)
        except Unsupported as exc:
            if parent is not None:
                return self._escape(node, parent, exc)
            self.report.flattened.append(
                f"group {node.name} flattened: {exc}; its members are placed at their world "
                "transforms")
            out = self.leaf(node, None) if node.shape is not None else []
            for kid in kids:
                self.report.flattened.append(f"parent {node.name} of {kid.name} flattened")
                out += self.emit(kid, None, depth + 1)
            return out
        wanted = node.name if node.shape is None else f"{node.name}_group"
        name = valid_name(wanted, self.names, "group")
        members: list = []
        if node.shape is not None:
            members.append(sl.ObjectDef(name=valid_name(node.name, self.names, "object"),
                                        shape=node.shape, material=node.material, **own))
        for kid in kids:
            members += self.emit(kid, node, depth + 1)
        if not members:
            self.names.discard(name)
            return []
        return [sl.GroupDef(name=name, members=tuple(members), **fields)]

    def _escape(self, node: Node, parent: Node | None, exc: Unsupported) -> list:
        if parent is None:
            said = f"object {node.name}: "
            self.report.recognised[:] = [r for r in self.report.recognised if not r.startswith(said)]
            self.report.skipped.append(f"{said}{exc}")
            return []
        self.report.flattened.append(f"parent {parent.name} of {node.name} flattened: relative "
                                     f"to it, {exc}; placed at its world transform")
        self.pending.append(node)
        return []

    def run(self) -> list[sl.Statement]:
        out: list[sl.Statement] = []
        for root in self.roots:
            out += self.emit(root, None)
        while self.pending:
            node = self.pending.pop(0)
            out += self.emit(node, None)
        return out


# ---------------------------------------------------------------- repeated groups


def _signature(st: sl.Statement) -> tuple:
    if isinstance(st, sl.GroupDef):
        return ("group", st.at, st.rotate, st.scale, _members(st))
    if isinstance(st, sl.InstanceDef):
        return ("instance", st.source, st.at, st.rotate, st.scale, st.material)
    if isinstance(st, sl.ArrayDef):
        return ("array", st.source, st.count, st.offset, st.around, st.angle, st.at, st.rotate,
                st.scale, st.material)
    return ("object", st.shape, st.at, st.rotate, st.scale, st.material)  # type: ignore[attr-defined]


def _members(group: sl.GroupDef) -> tuple:
    """The members' signatures in any order (a copy may list its members in another order)."""
    return tuple(sorted((_signature(m) for m in group.members), key=repr))


def _names(st: sl.Statement) -> Iterator[str]:
    """The names written in `st` (itself and every member, nested)."""
    yield st.name  # type: ignore[attr-defined]
    if isinstance(st, sl.GroupDef):
        for member in st.members:
            yield from _names(member)
    elif isinstance(st, sl.ArrayDef):  # arrays made here copy shapes: NAME_1 .. NAME_N
        yield from (f"{st.name}_{i + 1}" for i in range(st.count))


def _derived(group: sl.GroupDef, prefix: str, groups: dict[str, sl.GroupDef],
             depth: int = 0) -> Iterator[str]:
    """The names an instance named `prefix` of `group` gives its copies (docs/language.md)."""
    for member in group.members:
        name = f"{prefix}_{member.name}"
        yield name
        if isinstance(member, sl.GroupDef):
            yield from _derived(member, name, groups, depth)
        elif isinstance(member, sl.InstanceDef) and member.source in groups and depth < 8:
            yield from _derived(groups[member.source], name, groups, depth + 1)
        elif isinstance(member, sl.ArrayDef):
            yield from (f"{name}_{i + 1}" for i in range(member.count))


def _all(statements) -> Iterator[sl.Statement]:
    for st in statements:
        yield st
        if isinstance(st, sl.GroupDef):
            yield from _all(st.members)


def instances(statements: list[sl.Statement], names: set[str], report: Report) -> list[sl.Statement]:
    """`statements` with every group that repeats an earlier one written as an instance of it
    (see the module docstring); `names` is updated (the copies' derived names replace the
    group's member names)."""
    first: dict[tuple, sl.GroupDef] = {}
    sources = {st.source for st in _all(statements) if isinstance(st, sl.ArrayDef)}
    groups: dict[str, sl.GroupDef] = {}  # the groups kept, as written (inner instances made)

    def visit(st: sl.Statement) -> sl.Statement:
        if not isinstance(st, sl.GroupDef):
            return st
        key = _members(st)
        source = first.get(key)
        if source is not None:
            derived = list(_derived(source, st.name, groups))
            freed = set(_names(st)) - {st.name}
            taken = (names - freed) | sources  # a copy named like an array's shape: refused
            if (all(len(n) <= MAX_NAME for n in derived) and not taken & set(derived)
                    and len(set(derived)) == len(derived)):
                names.difference_update(freed)
                names.update(derived)
                clauses = {k: getattr(st, k) for k in ("at", "rotate", "scale")
                           if getattr(st, k) != getattr(source, k)}
                report.recognised.append(f"group {st.name}: a copy of group {source.name}, "
                                         f"written as an instance (its members are named "
                                         f"{st.name}_...)")
                return sl.InstanceDef(name=st.name, source=source.name, **clauses)
        members = tuple(visit(m) for m in st.members)
        updated = st.model_copy(update={"members": members})
        first.setdefault(key, updated)
        groups[st.name] = updated
        return updated

    return [visit(st) for st in statements]


def compose(nodes: list[Node], names: set[str], report: Report) -> list[sl.Statement]:
    """The placement statements of `nodes` (see the module docstring); `names` holds the names
    taken so far in the composition's namespace and gets the new ones."""
    statements = _Composer(nodes, names, report).run()
    return instances(arrays(statements, names, report), names, report)
