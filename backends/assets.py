"""Mesh assets for the preview and export: the file read with trimesh, in the scene's axes.

`asset_mesh(node)` checks the path (`scenelang.assets.asset_path`: relative to the scene file,
confined to its folder, size limit), reads the file with trimesh (glTF with its node transforms,
OBJ, STL, PLY), checks `Limits.max_asset_triangles`, and turns glTF and OBJ from Y-up to Z-up
`(x, y, z) -> (x, -z, y)`, as Blender's importers do; STL and PLY are taken as Z-up. Problems are
positioned `SceneError`s at the `mesh(...)` call.
"""

from __future__ import annotations

import numpy as np
import trimesh

from scenelang.assets import asset_path
from scenelang.ast import MeshAsset
from scenelang.errors import Diagnostic, SceneError
from scenelang.validate import DEFAULT_LIMITS, Limits

Y_UP_SUFFIXES = (".glb", ".gltf", ".obj")


def asset_mesh(node: MeshAsset, limits: Limits = DEFAULT_LIMITS) -> trimesh.Trimesh:
    """The triangles of a mesh asset in its own (Z-up) space."""
    span = node.path.span or node.span
    path = asset_path(node.path.value, span, limits.max_asset_bytes)
    try:
        loaded = trimesh.load(str(path), force="mesh", process=False)
    except Exception as exc:  # trimesh reports unreadable files with assorted exception types
        raise SceneError(Diagnostic(f"cannot read mesh asset '{node.path.value}': {exc}", span,
                                    hint="export it again as .glb, .obj, .stl or .ply")) from None
    faces = np.asarray(getattr(loaded, "faces", np.zeros((0, 3))), dtype=np.int64)
    if len(faces) > limits.max_asset_triangles:
        raise SceneError(Diagnostic(
            f"mesh asset '{node.path.value}' has {len(faces):,} triangles; the limit is "
            f"{limits.max_asset_triangles:,}", span, hint="decimate the mesh before using it"))
    vertices = np.asarray(loaded.vertices, dtype=np.float64).reshape(-1, 3)
    if path.suffix.lower() in Y_UP_SUFFIXES:
        vertices = np.stack([vertices[:, 0], -vertices[:, 2], vertices[:, 1]], axis=1)
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    mesh.merge_vertices()  # STL and glTF repeat vertices per face; Blender's importers merge them
    return mesh
