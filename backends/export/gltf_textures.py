"""Image textures in glTF export: `baseColorTexture` with box-projected UVs.

A material whose base colour is an `image` texture is exported with that image as its
`baseColorTexture` (the PNG or JPEG bytes embedded in the buffer, a repeating sampler,
`baseColorFactor` white x alpha) when every object using it can carry UVs, i.e. it is never a
per-operand (slot) material and no object using it has per-operand materials. The meshes of such
objects get their own unwelded vertices (three per triangle) with `TEXCOORD_0` from the box
projection Blender's box mapping uses (each triangle projected along the axis its normal is
closest to, in the shape's own coordinates times the texture's `scale`), for both
`mapping=box` and `mapping=uv` (the exported meshes carry no other UV map).

Every other texture (procedural ones; image textures on slot materials) is exported as its mean
colour in `baseColorFactor`, and a roughness texture as its mean grey in `roughnessFactor`
(`scenelang.backends.textures.flat_material`); bumps are not exported.
"""

from __future__ import annotations

import numpy as np

from scenelang.ast import ImageTexture
from scenelang.backends.export.common import material_name
from scenelang.backends.meshes import ObjectMesh
from scenelang.backends.textures import texture_file

REPEAT = 10497
MIME_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def image_materials(meshes: list[ObjectMesh]) -> dict[str, ImageTexture]:
    """Exported material name -> its image texture, for the materials exported with one."""
    out: dict[str, ImageTexture] = {}
    refused: set[str] = set()
    for m in meshes:
        refused.update(m.slot_names)
        name = material_name(m)
        if m.face_slots is not None:
            refused.add(name)
        elif isinstance(m.base_texture, ImageTexture):
            out.setdefault(name, m.base_texture)
    return {name: texture for name, texture in out.items() if name not in refused}


def box_uv_mesh(vertices: np.ndarray, faces: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """`(positions (3T, 3), uvs (3T, 2))`: each triangle's own corners and their box-projected
    texture coordinates (glTF's v runs down the image, Blender's up: v = 1 - v)."""
    tris = np.asarray(vertices, dtype=np.float64)[np.asarray(faces)]
    normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    a = np.abs(normal)
    side_x = (a[:, 0] >= a[:, 1]) & (a[:, 0] >= a[:, 2])
    side_y = ~side_x & (a[:, 1] >= a[:, 2])
    co = tris * scale
    nx, ny, nz = (np.repeat(normal[:, i:i + 1], 3, axis=1) for i in range(3))
    sx, sy = (np.repeat(s[:, None], 3, axis=1) for s in (side_x, side_y))
    u = np.where(sx, np.where(nx < 0, 1 - co[..., 1], co[..., 1]),
                 np.where(sy, np.where(ny > 0, 1 - co[..., 0], co[..., 0]),
                          np.where(nz > 0, 1 - co[..., 1], co[..., 1])))
    v = np.where(sx | sy, co[..., 2], co[..., 0])
    return tris.reshape(-1, 3), np.stack([u, 1 - v], axis=-1).reshape(-1, 2)


def image_entries(textures: dict[str, ImageTexture], add_bytes) -> tuple[dict[str, int], dict]:
    """Material name -> glTF texture index, and the document parts (`images`, `textures`,
    `samplers`); `add_bytes(data)` stores bytes in the buffer and returns a buffer view index.
    One image per file."""
    images: list[dict] = []
    gltf_textures: list[dict] = []
    by_file: dict[str, int] = {}
    index: dict[str, int] = {}
    for name, texture in textures.items():
        path = texture_file(texture)
        key = str(path)
        if key not in by_file:
            view = add_bytes(path.read_bytes())
            images.append({"name": path.stem, "bufferView": view,
                           "mimeType": MIME_TYPES[path.suffix.lower()]})
            by_file[key] = len(gltf_textures)
            gltf_textures.append({"source": len(images) - 1, "sampler": 0})
        index[name] = by_file[key]
    if not images:
        return index, {}
    return index, {"images": images, "textures": gltf_textures,
                   "samplers": [{"wrapS": REPEAT, "wrapT": REPEAT}]}
