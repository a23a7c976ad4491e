"""`.stl` export (binary): all objects merged into one world-space mesh, Z-up as in scenelang.

STL has no objects, colours or axes convention; most slicers and CAD tools read it Z-up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from scenelang.backends.meshes import ObjectMesh


def write_stl(meshes: list[ObjectMesh], path: Path) -> Path:
    """Write the merged mesh (an empty STL when there is nothing to write)."""
    if meshes:
        merged = trimesh.util.concatenate([m.mesh for m in meshes])
    else:
        merged = trimesh.Trimesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), process=False)
    path.write_bytes(trimesh.exchange.stl.export_stl(merged))
    return path
