"""Groups of evenly placed copies of one shape written as `array(...)` statements again.

`arrays(statements, names, report)` replaces every group (at any depth) that

- has its own transform at the identity (as a compiled array's Empty: at its parent's origin),
- holds `MIN_COUNT` or more plain objects and nothing else, all of one shape, material and
  scale, with equal x and y rotations,
- places them, in the order written, as a row (position `i` = first + `i * offset`, the same
  rotation) or as a ring (each copy turned by the same angle about a vertical axis through a
  point: position and z rotation), within `TOLERANCE` (m, or degrees for angles),

by `object NAME = array(SHAPE, count=N, offset=(...) | around=(...), angle=A) at FIRST rotate
.. scale .. material M`, when the copies' names the language derives (`NAME_1` .. `NAME_N`) are
free (names of the group's own members may be reused) and no other object or group bears the
shape's name (an array's source names objects and groups before shapes). Where a group repeats
only roughly, it stays a group: nothing moves by more than the tolerance.
"""

from __future__ import annotations

import math

import numpy as np

from scenelang import ast as sl
from scenelang.backends.importers.model import Report
from scenelang.backends.importers.transforms import clean, vec

MIN_COUNT = 3
"""Fewest copies written as an array (two copies read better as two objects)."""
TOLERANCE = 1e-5
"""Largest difference (m for positions, degrees for angles) between a copy and the array's."""
ANGLE_TOLERANCE = 1e-3


def _turn(point: np.ndarray, centre: np.ndarray, degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    x, y = point[0] - centre[0], point[1] - centre[1]
    return np.array([centre[0] + c * x - s * y, centre[1] + s * x + c * y, point[2]])


def _wrap(degrees: float) -> float:
    """An angle in (-180, 180]."""
    out = math.fmod(degrees, 360.0)
    if out <= -180:
        out += 360
    elif out > 180:
        out -= 360
    return out


def _row(at: np.ndarray, rotations: np.ndarray) -> dict | None:
    if np.abs(rotations - rotations[0]).max() > ANGLE_TOLERANCE:
        return None
    offset = vec((at[-1] - at[0]) / (len(at) - 1))
    steps = at[0] + np.arange(len(at))[:, None] * np.asarray(offset)
    if np.abs(steps - at).max() > TOLERANCE or offset == (0, 0, 0):
        return None
    return {"offset": offset}


def _ring(at: np.ndarray, rotations: np.ndarray) -> dict | None:
    if np.abs(rotations[:, :2] - rotations[0, :2]).max() > ANGLE_TOLERANCE:
        return None
    step = _wrap(rotations[1, 2] - rotations[0, 2])
    if abs(step) < 0.01 or np.abs(at[:, 2] - at[0, 2]).max() > TOLERANCE:
        return None
    c, s = math.cos(math.radians(step)), math.sin(math.radians(step))
    turn = np.array([[c, -s], [s, c]])
    try:  # p1 = c + R (p0 - c)  <=>  (I - R) c = p1 - R p0
        centre = np.linalg.solve(np.eye(2) - turn, at[1, :2] - turn @ at[0, :2])
    except np.linalg.LinAlgError:
        return None
    count = len(at)
    angle = clean(step * count)
    around = vec((*centre, 0.0))
    for i in range(count):
        theta = i * angle / count
        if (abs(_wrap(rotations[i, 2] - rotations[0, 2] - theta)) > ANGLE_TOLERANCE
                or np.abs(_turn(at[0], np.asarray(around), theta) - at[i]).max() > TOLERANCE):
            return None
    return {"around": around, **({} if angle == 360 else {"angle": angle})}


def _as_array(group: sl.GroupDef, names: set[str]) -> sl.ArrayDef | None:
    members = group.members
    if (len(members) < MIN_COUNT or (group.at, group.rotate, group.scale) != ((0, 0, 0), (0, 0, 0), 1)
            or not all(isinstance(m, sl.ObjectDef) for m in members)):
        return None
    first = members[0]
    if any((m.shape, m.material, m.scale) != (first.shape, first.material, first.scale)
           for m in members):
        return None
    at = np.array([m.at for m in members], dtype=float)
    rotations = np.array([m.rotate for m in members], dtype=float)
    found = _row(at, rotations) or _ring(at, rotations)
    if found is None:
        return None
    derived = {f"{group.name}_{i + 1}" for i in range(len(members))}
    others = names - {m.name for m in members}  # the members' names are free once replaced
    if derived & others or first.shape in others | derived | {group.name}:
        return None  # taken names, or an object or group the source would name instead
    return sl.ArrayDef(name=group.name, source=first.shape, count=len(members), at=first.at,
                       rotate=first.rotate, scale=first.scale, material=first.material, **found)


def arrays(statements: list, names: set[str], report: Report) -> list:
    """`statements` with the groups that are arrays written as arrays (see the module
    docstring); `names` gets the copies' names in place of the members' names."""
    def visit(st):
        if not isinstance(st, sl.GroupDef):
            return st
        array = _as_array(st, names)
        if array is None:
            return st.model_copy(update={"members": tuple(visit(m) for m in st.members)})
        names.difference_update(m.name for m in st.members)
        names.update(f"{st.name}_{i + 1}" for i in range(array.count))
        how = "a row" if array.offset is not None else "a ring"
        report.recognised.append(f"group {st.name}: {array.count} copies of shape {array.source} "
                                 f"in {how}, written as an array")
        return array

    return [visit(st) for st in statements]
