"""What every export format shares: the Y-up axis change and the material names."""

from __future__ import annotations

import numpy as np

from scenelang.ast import Principled
from scenelang.backends.meshes import ObjectMesh

DEFAULT_MATERIAL_NAME = "default-grey"
"""Material name for objects without one (not a valid `.sl` name, so it cannot collide)."""
Z_UP_TO_Y_UP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]], dtype=float)
"""Blender's exporters' axis change, `(x, y, z) -> (x, z, -y)`: a -90 degree turn about x."""


def material_name(obj: ObjectMesh) -> str:
    """The exported material name of an object: its `.sl` material, or `DEFAULT_MATERIAL_NAME`."""
    return obj.material_name or DEFAULT_MATERIAL_NAME


def materials(meshes: list[ObjectMesh]) -> dict[str, Principled]:
    """Exported material name -> material, in order of first use (per-operand materials, the
    `material` clauses inside shapes, after their object's)."""
    out: dict[str, Principled] = {}
    for m in meshes:
        out.setdefault(material_name(m), m.material)
        for name, material in zip(m.slot_names, m.slot_materials[1:]):
            out.setdefault(name, material)
    return out
