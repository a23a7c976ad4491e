"""Export a scene to `.glb`, `.gltf`, `.obj` or `.stl`: `export_scene(scene, path)`.

The meshes are those of `scenelang.backends.meshes.scene_meshes` (CSG evaluated with
manifold3d, Blender's primitive vertices). What each format keeps:

* `.glb` / `.gltf` (`gltf.py`, `gltf_scene.py`): the scene, not only its meshes: one node per
  object with its local transform (translation, rotation, scale) over its shape's mesh in the
  shape's own space; objects of the same shape share the shape's vertex data (one glTF mesh per
  shape and material); the `.sl` materials (exact Principled parameters, see `gltf.py`); the
  camera (perspective, from the lens, sensor and resolution); the lights as
  `KHR_lights_punctual` (sun -> directional, point, spot, with Blender's glTF exporter's unit
  conversion). Approximated: area lights become 180-degree spot lights (a warning); kept only in
  `extras`: the world colour and strength, a sun's angle, a light's radius, an area light's size
  and outline. Not kept: Blender's smooth shading (no normals are written).
* `.obj` (+ a `.mtl` beside it, `obj.py`): world-space meshes, one `o` group per object; the
  MTL has `Kd` (linear base colour), `d` (alpha) and the PBR extension `Pr`/`Pm`/`Ke`. No
  camera, lights or instancing (OBJ has none).
* `.stl` (binary, `stl.py`): all objects merged into one world-space mesh (no objects, colours).

Axes: scenelang (like Blender) is Z-up. glTF and OBJ are Y-up by convention, so they are written
as Blender's exporters do by default: `(x, y, z)` becomes `(x, z, -y)` (for glTF in each node's
transform and mesh, with no extra root node). STL stays Z-up. Objects whose mesh is empty (e.g.
a CSG with no volume left) are skipped and reported in `ExportResult.warnings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scenelang.ast import Scene
from scenelang.backends.export.common import DEFAULT_MATERIAL_NAME, Z_UP_TO_Y_UP
from scenelang.backends.export.gltf import write_gltf
from scenelang.backends.export.obj import write_obj
from scenelang.backends.export.stl import write_stl
from scenelang.backends.meshes import ObjectMesh, scene_meshes
from scenelang.errors import SceneError
from scenelang.resolve import ResolvedScene, resolved
from scenelang.validate import DEFAULT_LIMITS, Limits

__all__ = [
    "DEFAULT_MATERIAL_NAME",
    "FLOAT32_MAX",
    "FORMATS",
    "Z_UP_TO_Y_UP",
    "ExportResult",
    "check_format",
    "check_meshes",
    "export_scene",
]

FORMATS = (".glb", ".gltf", ".obj", ".stl")


@dataclass
class ExportResult:
    """What `export_scene` wrote: the files, the exported object names, and any warnings."""

    files: list[Path]
    objects: list[str]
    warnings: list[str] = field(default_factory=list)


def export_scene(scene: Scene | ResolvedScene, path: str | Path) -> ExportResult:
    """Write the scene to `path`; the format follows the extension (see `FORMATS`).

    Raises `SceneError` for an unknown extension (before any work) or a scene that does not
    build (unknown shape or material), or whose meshes no format can store (`check_meshes`).
    """
    path = Path(path)
    check_format(path)
    bound = resolved(scene)
    meshes = scene_meshes(bound)
    check_meshes(meshes)
    kept = [m for m in meshes if not m.mesh.is_empty]
    warnings = [f"object {m.name!r} has an empty mesh (nothing left after CSG); not exported"
                for m in meshes if m.mesh.is_empty]
    suffix = path.suffix.lower()
    if suffix == ".stl":
        files = [write_stl(kept, path)]
    elif suffix == ".obj":
        files = write_obj(kept, path)
    else:
        warnings += write_gltf(bound, kept, path, binary=suffix == ".glb")
        files = [path]
    return ExportResult(files=files, objects=[m.name for m in kept], warnings=warnings)


FLOAT32_MAX = float(np.finfo(np.float32).max)
"""glTF, OBJ readers and binary STL store coordinates as 32-bit floats: larger ones become inf."""


def check_meshes(meshes: list[ObjectMesh], limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse meshes no format can store: coordinates (world, or the shape's own for glTF) that
    are not finite or beyond float32's range (huge but valid sizes and scales multiply up), and
    more triangles than `Limits.max_triangles`. A `SceneError` naming the object, never an
    invalid file."""
    total = 0
    for m in meshes:
        total += len(m.mesh.faces)
        for mesh in (m.mesh, m.local):
            if mesh is not None:
                _check_coordinates(m.name, np.asarray(mesh.vertices, dtype=np.float64))
    if total > limits.max_triangles:
        raise SceneError(f"the scene's meshes have {total:,} triangles; the limit is "
                         f"{limits.max_triangles:,}")


def _check_coordinates(name: str, vertices: np.ndarray) -> None:
    if vertices.size and not np.all(np.isfinite(vertices)):
        raise SceneError(f"object {name!r}: its mesh has coordinates that are not finite "
                         "(sizes, scales or positions multiply beyond a 64-bit float); "
                         "use smaller values")
    largest = float(np.abs(vertices).max()) if vertices.size else 0.0
    if largest > FLOAT32_MAX:
        raise SceneError(f"object {name!r}: a vertex lies {largest:.3g} m from the origin, "
                         f"beyond the {FLOAT32_MAX:.3g} that glTF, OBJ and STL readers store "
                         "(32-bit floats); use smaller sizes, scales or positions")


def check_format(path: str | Path) -> str:
    """The lower-case extension of `path` if it is an export format, else a `SceneError`."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = f"'{suffix}'" if suffix else "a file without an extension"
        raise SceneError(f"cannot export to {shown} ({path}): use one of {', '.join(FORMATS)}")
    return suffix
