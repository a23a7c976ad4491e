"""Numbers, names and transforms of imported scenes (shared by `tosl.py` and `hierarchy.py`).

Numbers are rounded to `DIGITS` significant digits (Blender stores 32-bit floats); transforms
are 4x4 matrices (numpy, Blender's frame) split into the language's `at` (m), `rotate` (Euler XYZ,
degrees) and per-axis `scale`, or refused with the reason (`Unsupported`).
"""

from __future__ import annotations

import math
import re

import numpy as np

from scenelang import ast as sl

DIGITS = 6
"""Significant digits kept for imported numbers."""


class Unsupported(Exception):
    """An object the language cannot hold yet; the message is the reason."""


def clean(x: float) -> float:
    """`x` rounded to DIGITS significant digits, tiny values snapped to 0 (never -0)."""
    x = float(x)
    if abs(x) < 1e-9:
        return 0.0
    value = float(f"{x:.{DIGITS}g}")
    return value + 0.0


def vec(values) -> tuple[float, float, float]:
    out = tuple(clean(v) for v in values)
    scale = max((abs(v) for v in out), default=0.0)
    return tuple(0.0 if abs(v) < 1e-6 * max(scale, 1.0) else v for v in out)  # type: ignore[return-value]


def valid_name(wanted: str, taken: set[str], fallback: str) -> str:
    """`wanted` made a valid, unused name (invalid characters -> `_`, at most 64 characters)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", wanted)[:60] or fallback
    if not re.match(r"[A-Za-z_]", name):
        name = "_" + name
    base, n = name, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name

def euler_of(rotation: np.ndarray) -> tuple[float, float, float]:
    """XYZ Euler angles (radians) of a rotation matrix R = Rz @ Ry @ Rx."""
    sy = -rotation[2, 0]
    if abs(sy) < 1 - 1e-9:
        return (math.atan2(rotation[2, 1], rotation[2, 2]), math.asin(sy),
                math.atan2(rotation[1, 0], rotation[0, 0]))
    return (math.atan2(-rotation[1, 2], rotation[1, 1]), math.copysign(math.pi / 2, sy), 0.0)


def rotation_of(euler) -> np.ndarray:
    x, y, z = euler
    cx, sx, cy, sy, cz, sz = math.cos(x), math.sin(x), math.cos(y), math.sin(y), math.cos(z), math.sin(z)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def decompose(matrix: np.ndarray, euler=None):
    """(at, rotate in degrees, scale) of a 4x4 matrix, or raise Unsupported (shear, mirror)."""
    a = matrix[:3, :3]
    s = np.linalg.norm(a, axis=0)
    if np.any(s <= 1e-12):
        raise Unsupported("its transform has a zero scale")
    r = a / s
    if np.abs(r.T @ r - np.eye(3)).max() > 1e-4:
        raise Unsupported("its transform has shear, which the language cannot hold")
    if np.linalg.det(r) < 0:
        raise Unsupported("its transform mirrors it (a negative scale)")
    if euler is None or np.abs(rotation_of(euler) - r).max() > 1e-5:
        euler = euler_of(r)
    return matrix[:3, 3], tuple(math.degrees(e) for e in euler), s


def transform_fields(matrix: np.ndarray, euler=None) -> dict:
    """The `at`/`rotate`/`scale` of a shape expression (None where it is the identity)."""
    at, rotate, scale = decompose(matrix, euler)
    at, rotate, scale = vec(at), vec(rotate), vec(scale)
    return {"at": None if at == (0, 0, 0) else at,
            "rotate": None if rotate == (0, 0, 0) else rotate,
            "scale": None if scale == (1, 1, 1) else (scale[0] if len(set(scale)) == 1 else scale)}


def color(rgb) -> sl.HexColor | sl.RGB:
    """A linear colour as `(r, g, b)` when it has at most 3 significant digits per channel (as
    written by hand), else `#rrggbb` when it is exactly an 8-bit sRGB colour, else `(r, g, b)`."""
    linear = [min(max(float(c), 0.0), 1.0) for c in list(rgb)[:3]]
    short = [float(f"{c:.3g}") for c in linear]
    if all(abs(a - b) < 2e-7 for a, b in zip(short, linear)):  # written as a plain tuple
        return sl.RGB(r=short[0], g=short[1], b=short[2])
    codes = [sl.linear_to_srgb(c) * 255 for c in linear]
    if all(abs(c - round(c)) < 0.02 for c in codes):
        hexed = sl.HexColor(hex="".join(f"{round(c):02x}" for c in codes))
        if all(abs(a - b) < 2e-6 for a, b in zip(hexed.linear(), linear)):
            return hexed
    return sl.RGB(r=clean(linear[0]), g=clean(linear[1]), b=clean(linear[2]))
