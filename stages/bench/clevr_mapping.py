"""Reading CLEVR attributes off a reconstructed scene (`scenelang.ast.Scene`).

`scene_to_clevr(scene, properties)` turns each object of the scene into a `ClevrPrediction`:

- **ignored**: open surfaces (planes) and large flat objects (ground, backdrop): footprint
  >= `FLAT_MIN_EXTENT` m with height <= `FLAT_MAX_RATIO` x footprint;
- **shape**: the primitive at the root of the object's shape (references followed; a
  difference counts as its first operand, a CSG of one kind as that kind): box -> cube,
  sphere -> sphere, cylinder -> cylinder. Anything else (cone, torus, a union or intersection
  of mixed kinds) -> the closest of the three by *fill ratio*: the mesh's volume over its bounding box's volume,
  measured in the object's own (unrotated) frame (cube 1, cylinder pi/4, sphere pi/6);
- **position**: the centre of the object's world-space bounding box (CLEVR's 3d_coords are the
  object's centre, z = scale);
- **size**: the CLEVR scale is the object's mean half-extent in its own frame; the size name is
  the nearest (in log scale) of each size's scale for that shape (a cube's scale is size / sqrt 2
  when `cube_sqrt2`, as in `clevr_sampler`);
- **colour**: CLEVR feeds `rgb / 255` straight into the shader's Color socket, so that is the
  objects' *linear* albedo. The reconstruction's linear base colour is compared with the
  palette's `rgb / 255` after sRGB-encoding both (a roughly perceptual space); the nearest
  name wins. `palette="srgb"` instead reads the palette as sRGB and compares it with the base
  colour's sRGB value;
- **material**: metal when `metallic >= 0.5`, else rubber;
- **confidence**: `confidences[object name]` when given, else 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from scenelang import ast as A
from scenelang.backends.meshes import scene_meshes, transform_matrix
from scenelang.stages.bench.clevr_measures import ClevrPrediction

FLAT_MIN_EXTENT = 3.0
FLAT_MAX_RATIO = 0.2
FILL_RATIO = {"cube": 1.0, "cylinder": math.pi / 4, "sphere": math.pi / 6}
KIND_TO_SHAPE = {"box": "cube", "sphere": "sphere", "cylinder": "cylinder"}


def _srgb(c: np.ndarray) -> np.ndarray:
    c = np.clip(np.asarray(c, float), 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)


def nearest_colour(linear_rgb: tuple[float, float, float], colours: Mapping[str, Any],
                   palette: str = "linear") -> str:
    """Name of the palette colour nearest `linear_rgb` (see the module docstring)."""
    names = list(colours)
    pal = np.array([colours[n] for n in names], float) / 255.0
    if palette == "linear":
        pal = _srgb(pal)
    elif palette != "srgb":
        raise ValueError(f"palette must be 'linear' or 'srgb', got {palette!r}")
    d = np.linalg.norm(pal - _srgb(np.asarray(linear_rgb, float))[None], axis=1)
    return names[int(np.argmin(d))]


def size_name(scale: float, shape: str, sizes: Mapping[str, float], cube_sqrt2: bool = True) -> str:
    """The size whose CLEVR scale for `shape` is nearest `scale` in log scale."""
    def expected(v: float) -> float:
        return v / math.sqrt(2) if (shape == "cube" and cube_sqrt2) else v

    return min(sizes, key=lambda n: abs(math.log(max(scale, 1e-6) / expected(float(sizes[n])))))


def root_kind(expr: Any, shapes: Mapping[str, A.ShapeDef], depth: int = 0) -> str | None:
    """'box', 'sphere', 'cylinder', ... for a primitive (references followed; a difference is
    its first operand; a CSG made of one kind only counts as that kind); None for other CSG."""
    if depth > 64:
        return None
    if isinstance(expr, A.ShapeDef):
        expr = expr.shape
    if isinstance(expr, A.Ref):
        target = shapes.get(expr.name)
        return root_kind(target, shapes, depth + 1) if target is not None else None
    if isinstance(expr, A.Csg):
        if expr.kind == "difference":
            return root_kind(expr.operands[0], shapes, depth + 1)
        kinds = {root_kind(op, shapes, depth + 1) for op in expr.operands}
        return kinds.pop() if len(kinds) == 1 else None
    return getattr(expr, "kind", None)


def _rotation(obj: A.ObjectDef) -> np.ndarray:
    m = transform_matrix(None, obj.rotate, None)
    return np.eye(3) if m is None else np.asarray(m)[:3, :3]


def _is_flat(extent: np.ndarray) -> bool:
    foot = float(max(extent[0], extent[1]))
    return foot >= FLAT_MIN_EXTENT and float(extent[2]) <= FLAT_MAX_RATIO * foot


def scene_to_clevr(scene: A.Scene, properties: Mapping[str, Any], *,
                   confidences: Mapping[str, float] | None = None, palette: str = "linear",
                   cube_sqrt2: bool = True) -> list[ClevrPrediction]:
    """Predicted CLEVR objects of a reconstructed scene (see the module docstring)."""
    shapes = scene.shapes()
    objects = {o.name: o for o in scene.objects()}
    sizes = properties["sizes"]
    out: list[ClevrPrediction] = []
    for m in scene_meshes(scene):
        obj = objects[m.name]
        if m.is_surface or m.mesh.is_empty:
            continue
        world = np.asarray(m.mesh.vertices, float)
        lo, hi = world.min(axis=0), world.max(axis=0)
        if _is_flat(hi - lo):
            continue
        local = world @ _rotation(obj)  # rows: R^T v, the object's unrotated frame
        llo, lhi = local.min(axis=0), local.max(axis=0)
        half = (lhi - llo) / 2.0
        kind = root_kind(shapes.get(obj.shape), shapes)
        shape = KIND_TO_SHAPE.get(kind or "")
        if shape is None:
            box_volume = float(np.prod(np.maximum(lhi - llo, 1e-9)))
            try:
                volume = abs(float(m.mesh.volume))
            except Exception:  # a broken mesh: call it a cube
                volume = box_volume
            fill = volume / box_volume
            shape = min(FILL_RATIO, key=lambda s: abs(FILL_RATIO[s] - fill))
        scale = float(np.mean(half))
        material = m.material
        out.append(ClevrPrediction(
            position=tuple(float(v) for v in (lo + hi) / 2.0),
            shape=shape,
            size=size_name(scale, shape, sizes, cube_sqrt2),
            material="metal" if float(material.metallic) >= 0.5 else "rubber",
            color=nearest_colour(m.color, properties["colors"], palette),
            confidence=float((confidences or {}).get(m.name, 1.0))))
    return out
