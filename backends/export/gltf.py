"""`.glb` / `.gltf` export: the scene as a glTF 2.0 scene graph, written without trimesh.

The file holds, in one glTF scene named "scene":

* **One node per object** (named after the object, in source order) with the object's LOCAL
  transform (`translation`, `rotation` quaternion, `scale`); its mesh stays in the shape's own
  space (the shape expression's own `at/rotate/scale` and CSG applied), so world vertices are
  the node transform applied to the mesh, as in Blender.
* **Instancing.** Objects of the same shape share its vertex and index data (one `POSITION` and
  one index accessor per shape); glTF materials live on primitives, so there is one glTF mesh
  per (shape, material) pair, named after the shape, and objects with the same shape and
  material point to the same mesh index.
* **Materials** named after the `.sl` materials (`DEFAULT_MATERIAL_NAME` for objects without
  one), with the Principled parameters glTF knows, written exactly (not 8-bit quantised):
  `baseColorFactor` (linear base colour + alpha; `alphaMode` BLEND when alpha < 1),
  `metallicFactor`, `roughnessFactor`, `emissiveFactor` (+ `KHR_materials_emissive_strength`),
  `KHR_materials_transmission` and `KHR_materials_ior`; double-sided, as in Blender. Textures:
  an image base colour becomes `baseColorTexture` (with box-projected `TEXCOORD_0`), any other
  texture its mean value (`scenelang.backends.export.gltf_textures`).
* **The camera** (the scene's, or the default camera) and **the lights** (`KHR_lights_punctual`;
  area lights approximated by spot lights, with a warning), each a node named after it, and the
  world colour in the scene's `extras`: see `scenelang.backends.export.gltf_scene`. A light
  written in a group is a child of the group's node with its local transform, as an object is.

There is no root node: the Z-up to Y-up change is in each node's transform (and each mesh's
vertices), as Blender's exporter writes it. Meshes carry positions and triangle indices only
(no normals: glTF readers then shade flat; Blender's smooth shading is not kept). `.gltf`
embeds its buffer as a base64 data URI; `.glb` stores it in the binary chunk.
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import numpy as np

from scenelang.ast import Principled
from scenelang.backends.export.common import Z_UP_TO_Y_UP, material_name, materials
from scenelang.backends.export.gltf_scene import (
    LIGHTS_EXTENSION,
    gltf_camera,
    gltf_light,
    object_trs,
    world_extras,
)
from scenelang.backends.export.gltf_textures import box_uv_mesh, image_entries, image_materials
from scenelang.backends.meshes import ObjectMesh
from scenelang.resolve import ResolvedLight, ResolvedScene

FLOAT, UNSIGNED_SHORT, UNSIGNED_INT = 5126, 5123, 5125
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
TRIANGLES = 4
GENERATOR = "scenelang"


class _Buffer:
    """The one binary buffer: buffer views (4-byte aligned) and the accessors over them."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def add(self, array: np.ndarray, target: int, accessor: dict) -> int:
        """Append `array` as one buffer view with one accessor; returns the accessor index."""
        raw = np.ascontiguousarray(array).tobytes()
        self.views.append({"buffer": 0, "byteOffset": len(self.data), "byteLength": len(raw),
                           "target": target})
        self.data += raw + b"\0" * (-len(raw) % 4)
        self.accessors.append({"bufferView": len(self.views) - 1, **accessor})
        return len(self.accessors) - 1

    def add_bytes(self, raw: bytes) -> int:
        """Append raw bytes (an image) as one buffer view without a target; returns its index."""
        self.views.append({"buffer": 0, "byteOffset": len(self.data), "byteLength": len(raw)})
        self.data += raw + b"\0" * (-len(raw) % 4)
        return len(self.views) - 1

    def add_uvs(self, uvs: np.ndarray) -> int:
        """The `TEXCOORD_0` accessor of per-vertex texture coordinates."""
        return self.add(np.asarray(uvs, dtype="<f4"), ARRAY_BUFFER, {
            "componentType": FLOAT, "count": len(uvs), "type": "VEC2"})

    def add_shape(self, local_vertices: np.ndarray, faces: np.ndarray | None) -> tuple[int, int]:
        """`(positions, indices)` accessors of a shape's mesh, vertices turned to Y-up (indices
        -1 when `faces` is None)."""
        vertices = (np.asarray(local_vertices, dtype=np.float64) @ Z_UP_TO_Y_UP[:3, :3].T)
        vertices = vertices.astype("<f4")
        positions = self.add(vertices, ARRAY_BUFFER, {
            "componentType": FLOAT, "count": len(vertices), "type": "VEC3",
            "min": [float(v) for v in vertices.min(axis=0)],
            "max": [float(v) for v in vertices.max(axis=0)],
        })
        if faces is None:  # per-operand materials: indices per material slot, added by the caller
            return positions, -1
        return positions, self.add_indices(faces, len(vertices))

    def add_indices(self, faces: np.ndarray, vertex_count: int) -> int:
        """The index accessor of triangles `faces` over `vertex_count` vertices."""
        # 16-bit indices when they fit (65535 is the primitive-restart value, never an index)
        small = vertex_count < 0xFFFF
        indices = np.asarray(faces).reshape(-1).astype("<u2" if small else "<u4")
        return self.add(indices, ELEMENT_ARRAY_BUFFER, {
            "componentType": UNSIGNED_SHORT if small else UNSIGNED_INT, "count": len(indices),
            "type": "SCALAR",
        })


def _parent_node(nodes: list[dict], group_nodes: dict, chain: tuple, names: tuple[str, ...]) -> int | None:
    """The node of the innermost group (or array step) above an object, made on first use with
    its local transform; None for a top-level object. Groups become parent nodes, so the glTF
    keeps the hierarchy as the .blend does."""
    parent = None
    for depth, ((at, rotate, scale), name) in enumerate(zip(chain, names, strict=True)):
        key = names[: depth + 1]
        if key not in group_nodes:
            group_nodes[key] = len(nodes)
            nodes.append({"name": name, **object_trs(at, rotate, scale)})
            if parent is not None:
                nodes[parent].setdefault("children", []).append(group_nodes[key])
        parent = group_nodes[key]
    return parent


def gltf_document(scene: ResolvedScene, meshes: list[ObjectMesh]) -> tuple[dict, bytes, list[str]]:
    """`(json document, binary buffer, warnings)` for the non-empty object meshes of `scene`."""
    buffer = _Buffer()
    library = materials(meshes)
    material_index = {name: i for i, name in enumerate(library)}
    textured = image_materials(meshes)
    texture_index, texture_parts = image_entries(textured, buffer.add_bytes)
    shape_accessors: dict[str, tuple[int, int]] = {}
    mesh_index: dict[tuple[str, str], int] = {}
    gltf_meshes: list[dict] = []
    nodes: list[dict] = []
    roots: list[int] = []
    placed: list[tuple[int, ObjectMesh | ResolvedLight]] = []
    for obj in meshes:
        local, d = obj.local, obj.definition
        if local is None or d is None:
            raise ValueError(f"object {obj.name!r}: glTF export needs the meshes of scene_meshes "
                             "(with the shape's own mesh and the object statement)")
        image = textured.get(material_name(obj))
        shape_key = obj.shape_name if image is None else f"{obj.shape_name}\0uv{image.scale!r}"
        if shape_key not in shape_accessors:
            if image is None:
                shape_accessors[shape_key] = buffer.add_shape(
                    local.vertices, local.faces if obj.face_slots is None else None)
            else:  # unwelded corners with box-projected TEXCOORD_0
                corners, uvs = box_uv_mesh(local.vertices, local.faces, image.scale)
                flat = np.arange(len(corners)).reshape(-1, 3)
                shape_accessors[shape_key] = (*buffer.add_shape(corners, flat), buffer.add_uvs(uvs))
        key = (obj.shape_name, material_name(obj), *obj.slot_names)
        if key not in mesh_index:
            positions, indices, *uv = shape_accessors[shape_key]
            mesh_index[key] = len(gltf_meshes)
            if obj.face_slots is None:
                attributes = {"POSITION": positions, **({"TEXCOORD_0": uv[0]} if uv else {})}
                primitives = [{"attributes": attributes, "indices": indices,
                               "material": material_index[key[1]], "mode": TRIANGLES}]
            else:  # per-operand materials: one primitive per material slot, shared positions
                primitives = [{"attributes": {"POSITION": positions},
                               "indices": buffer.add_indices(local.faces[obj.face_slots == slot],
                                                             len(local.vertices)),
                               "material": material_index[key[1 + int(slot)]], "mode": TRIANGLES}
                              for slot in np.unique(obj.face_slots)]
            gltf_meshes.append({"name": obj.shape_name, "primitives": primitives})
        placed.append((len(nodes), obj))
        nodes.append({"name": obj.name, "mesh": mesh_index[key], **object_trs(d.at, d.rotate, d.scale)})

    camera, camera_node = gltf_camera(scene.camera)
    roots.append(len(nodes))
    nodes.append({**camera_node, "camera": 0})
    lights, warnings = [], []
    for resolved_light in scene.lights:  # a light in a group: its local transform, as objects
        light, node, warning = gltf_light(resolved_light.local())
        placed.append((len(nodes), resolved_light))
        nodes.append({**node, "extensions": {LIGHTS_EXTENSION: {"light": len(lights)}}})
        lights.append(light)
        if warning:
            warnings.append(warning)

    # groups, arrays and array steps: parent nodes after the objects, camera and lights
    group_nodes: dict[tuple[str, ...], int] = {}
    for index, obj in placed:
        parent = _parent_node(nodes, group_nodes, obj.chain, obj.chain_names)
        if parent is None:
            roots.append(index)
        else:
            nodes[parent].setdefault("children", []).append(index)
    roots.extend(index for key, index in group_nodes.items() if len(key) == 1)
    doc: dict = {
        "asset": {"version": "2.0", "generator": GENERATOR},
        "scene": 0,
        "scenes": [{"name": "scene", "nodes": sorted(roots),
                    "extras": world_extras(scene.world)}],
        "nodes": nodes,
        "cameras": [camera],
    }
    if gltf_meshes:
        doc |= {"meshes": gltf_meshes,
                "materials": [{"name": name, **gltf_material(m, texture_index.get(name))}
                              for name, m in library.items()],
                "accessors": buffer.accessors, "bufferViews": buffer.views,
                "buffers": [{"byteLength": len(buffer.data)}], **texture_parts}
    used = {ext for m in doc.get("materials", []) for ext in m.get("extensions", {})}
    if lights:
        doc["extensions"] = {LIGHTS_EXTENSION: {"lights": lights}}
        used.add(LIGHTS_EXTENSION)
    if used:
        doc["extensionsUsed"] = sorted(used)
    return doc, bytes(buffer.data), warnings


def gltf_material(material: Principled, texture: int | None = None) -> dict:
    """The glTF material dict for a Principled BSDF (exact floats, linear colours); with
    `texture` (a glTF texture index) the base colour is that image (`gltf_textures`)."""
    r, g, b = material.base_color.linear() if texture is None else (1.0, 1.0, 1.0)
    out: dict = {
        "pbrMetallicRoughness": {
            "baseColorFactor": [r, g, b, material.alpha],
            "metallicFactor": material.metallic,
            "roughnessFactor": material.roughness,
        },
        "doubleSided": True,
    }
    if texture is not None:
        out["pbrMetallicRoughness"]["baseColorTexture"] = {"index": texture}
    if material.alpha < 1:
        out["alphaMode"] = "BLEND"
    extensions: dict = {}
    if material.emission_strength > 0:
        out["emissiveFactor"] = list(material.emission_color.linear())
        if material.emission_strength != 1:
            extensions["KHR_materials_emissive_strength"] = {"emissiveStrength": material.emission_strength}
    if material.transmission > 0:
        extensions["KHR_materials_transmission"] = {"transmissionFactor": material.transmission}
    if material.ior != 1.5:
        extensions["KHR_materials_ior"] = {"ior": material.ior}
    if extensions:
        out["extensions"] = extensions
    return out


def write_gltf(scene: ResolvedScene, meshes: list[ObjectMesh], path: Path, binary: bool) -> list[str]:
    """Write `path` (`.glb` when `binary`, else `.gltf` with an embedded buffer); returns warnings."""
    doc, data, warnings = gltf_document(scene, meshes)
    if binary:
        path.write_bytes(glb(doc, data))
    else:
        if data:
            doc["buffers"][0]["uri"] = ("data:application/octet-stream;base64,"
                                        + base64.b64encode(data).decode("ascii"))
        path.write_text(json.dumps(doc, indent=1))
    return warnings


def glb(doc: dict, data: bytes) -> bytes:
    """A GLB container: header, JSON chunk (space-padded), binary chunk (zero-padded, if any)."""
    text = json.dumps(doc, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    body = struct.pack("<I4s", len(text), b"JSON") + text
    if data:
        data += b"\0" * (-len(data) % 4)
        body += struct.pack("<I4s", len(data), b"BIN\0") + data
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body
