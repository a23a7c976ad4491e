"""Reading .glb and .gltf files without Blender (json + numpy) into a `Description`.

- nodes: world matrices from `matrix` or `translation`/`rotation`/`scale`; the hierarchy is
  kept: a node with a mesh is an object, a node without one that has children a `GroupData`,
  each with the key of its parent node (`tosl`/`hierarchy` nest them into groups again; nodes
  that use one mesh share one shape); an array step node of scenelang's exporter
  (`NAME#step`, one child) is folded into its child. glTF is Y-up, so a node's matrix `M` becomes
  `C^-1 @ M @ C` in Blender's Z-up frame and mesh vertices `C^-1 @ v`, with
  `C = (x, y, z) -> (x, z, -y)` (`backends/export/common.Z_UP_TO_Y_UP`); cameras and lights, which
  look down local -Z in both conventions, become `C^-1 @ M`;
- meshes: one triangle primitive (`POSITION`, indices) each; vertices that glTF split (per-face
  data) are merged again before the primitive recognition; a mesh with several primitives
  (several materials) or another mode is skipped with the reason;
- materials: `pbrMetallicRoughness` (base colour and alpha, metallic, roughness), emissive (with
  `KHR_materials_emissive_strength`), `KHR_materials_transmission`, `KHR_materials_ior`;
- lights (`KHR_lights_punctual`): scenelang's own values from `extras["scenelang"]` when the file
  has them (its exporter writes them), else converted back with Blender's "Standard" units
  (683 lm/W: directional lux / 683 = W/m^2, point/spot candela * 4 pi / 683 = W);
- the camera: lens, sensor and resolution from `extras["scenelang"]`, else from `yfov` and
  `aspectRatio` (36 mm sensor, 640 px on the longer side); the world colour and strength from the
  glTF scene's `extras["scenelang"]["world"]`, else the default world (grey 0.05, strength 1).

Buffers: the .glb binary chunk, base64 data URIs, or files beside the .gltf (resolved and
confined to its folder). Malformed files raise `ImportFailure` with one line.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from pathlib import Path

import numpy as np

from scenelang.backends.importers.blend import ImportFailure
from scenelang.backends.importers.model import (
    CameraData,
    Description,
    GroupData,
    LightData,
    MeshData,
    ObjectData,
)
from scenelang.validate import Limits

WATTS_TO_LUMENS = 683.0
C = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]])
"""Blender (Z-up) to glTF (Y-up): (x, y, z) -> (x, z, -y)."""
C_INV = C.T
COMPONENTS = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32,
              5126: np.float32}
WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
MAX_BYTES = 256 * 2**20
MAX_MESH_TRIANGLES = Limits().max_asset_triangles
"""A mesh with more triangles is skipped (with the reason): the scene could not use it as an
asset (`Limits.max_asset_triangles`, 1,000,000)."""
MAX_TOTAL_TRIANGLES = Limits().max_triangles
"""Triangles read from all meshes of one file (`Limits.max_triangles`, 2,000,000); meshes past
it are skipped, so a small file whose many meshes share one huge accessor stays bounded work."""
STEP_SUFFIX = "#step"
"""scenelang's exporter writes an array copy's step as a parent node `ELEMENT#step`."""


def _read(path: Path) -> bytes:
    """At most `MAX_BYTES` + 1 bytes of a regular file (a FIFO or device would block)."""
    if not path.is_file():
        raise ImportFailure(f"{path.name}: not a regular file")
    with open(path, "rb") as handle:
        return handle.read(MAX_BYTES + 1)


def _load(path: Path) -> tuple[dict, list[bytes]]:
    data = _read(path)
    if len(data) > MAX_BYTES:
        raise ImportFailure(f"larger than {MAX_BYTES // 2**20} MiB")
    binary = b""
    if path.suffix.lower() == ".glb":
        if len(data) < 20 or data[:4] != b"glTF":
            raise ImportFailure("not a binary glTF file (corrupt?)")
        offset, doc = 12, None
        while offset + 8 <= len(data):
            length, kind = struct.unpack_from("<II", data, offset)
            chunk = data[offset + 8: offset + 8 + length]
            if kind == 0x4E4F534A:
                doc = chunk
            elif kind == 0x004E4942:
                binary = chunk
            offset += 8 + length
        if doc is None:
            raise ImportFailure("no JSON chunk (corrupt?)")
        data = doc
    try:
        gltf = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ImportFailure(f"not valid glTF JSON ({exc})") from None
    if not isinstance(gltf, dict):
        raise ImportFailure("not a glTF document")
    buffers = []
    for buffer in gltf.get("buffers", []):
        uri = buffer.get("uri")
        if uri is None:
            buffers.append(binary)
        elif uri.startswith("data:"):
            buffers.append(base64.b64decode(uri.split(",", 1)[1]))
        else:
            target = (path.parent / uri).resolve()
            if path.parent.resolve() not in target.parents:
                raise ImportFailure(f"buffer {uri!r} lies outside its folder")
            try:
                buffers.append(_read(target)[:MAX_BYTES])
            except OSError as exc:
                raise ImportFailure(f"buffer {uri!r}: "
                                    f"{exc.strerror or exc}") from None
    return gltf, buffers


def _accessor(gltf: dict, buffers: list[bytes], index: int) -> np.ndarray:
    accessor = gltf["accessors"][index]
    if "sparse" in accessor or "bufferView" not in accessor:
        raise ValueError("sparse or empty accessors are not supported")
    view = gltf["bufferViews"][accessor["bufferView"]]
    dtype = np.dtype(COMPONENTS[accessor["componentType"]])
    width = WIDTH[accessor["type"]]
    count = accessor["count"]
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    element = dtype.itemsize * width
    stride = view.get("byteStride") or element
    raw = buffers[view["buffer"]]
    for value in (count, start, stride):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"accessor {index}: count, offsets and stride must be whole "
                             f"numbers >= 0")
    if stride < element or (count and start + (count - 1) * stride + element > len(raw)):
        raise ValueError(f"accessor {index}: its {count} elements do not fit its buffer")
    # one strided view of the buffer (never a Python loop over `count` rows)
    return np.array(np.ndarray((count, width), dtype=dtype, buffer=raw, offset=start,
                               strides=(stride, dtype.itemsize)))


def _finite(value: object, what: str) -> float:
    """`value` as a finite float; a ValueError naming `what` when it is not a JSON number or not
    finite (`NaN`, `Infinity`, an integer too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} is not a number ({type(value).__name__})")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{what} is too large for a float") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} is not a finite number")
    return number


def _numbers(value: object, count: int, what: str) -> tuple[float, ...]:
    """The first `count` entries of the JSON list `value`, each `_finite`."""
    if not isinstance(value, list) or len(value) < count:
        raise ValueError(f"{what} is not a list of {count} numbers")
    return tuple(_finite(v, what) for v in value[:count])


def _name(entry: dict, fallback: str) -> str:
    """An entry's `name` when it is a non-empty string (glTF names are strings), else `fallback`."""
    name = entry.get("name")
    return name if isinstance(name, str) and name else fallback


def _triangle_count(gltf: dict, primitive: dict) -> int:
    """Triangles of a triangle-list primitive, from its accessor counts (nothing read)."""
    key = primitive["indices"] if "indices" in primitive else primitive["attributes"]["POSITION"]
    count = gltf["accessors"][key]["count"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"accessor {key}: count must be a whole number >= 0")
    return count // 3


def _local(node: dict) -> np.ndarray:
    if "matrix" in node:
        return np.asarray(node["matrix"], dtype=float).reshape(4, 4).T
    t = node.get("translation", [0, 0, 0])
    x, y, z, w = node.get("rotation", [0, 0, 0, 1])
    s = node.get("scale", [1, 1, 1])
    r = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                  [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                  [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
    m = np.eye(4)
    m[:3, :3] = r * np.asarray(s, dtype=float)
    m[:3, 3] = t
    return m


def _weld(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Vertices merged by position (first occurrence order kept), faces re-indexed."""
    scale = max(float(np.abs(vertices).max(initial=0.0)), 1e-12)
    keys = np.round(vertices / scale * 1e6).astype(np.int64)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    merged = vertices[first[order]]
    remap = rank[inverse.reshape(-1)]
    return merged, [[int(remap[i]) for i in face] for face in faces]


def _material(entry: dict) -> dict:
    pbr = entry.get("pbrMetallicRoughness", {})
    base = pbr.get("baseColorFactor", [1, 1, 1, 1])
    rgb = _numbers(base, 3, "baseColorFactor")
    ext = entry.get("extensions", {})
    emissive = _numbers(entry.get("emissiveFactor", [0, 0, 0]), 3, "emissiveFactor")
    strength = _finite(ext.get("KHR_materials_emissive_strength", {}).get("emissiveStrength", 1.0),
                       "emissiveStrength")
    peak = max(emissive)
    params = {"base_color": rgb,
              "metallic": _finite(pbr.get("metallicFactor", 1.0), "metallicFactor"),
              "roughness": _finite(pbr.get("roughnessFactor", 1.0), "roughnessFactor"),
              "alpha": _finite(base[3], "baseColorFactor") if len(base) > 3 else 1.0,
              "transmission": _finite(ext.get("KHR_materials_transmission", {})
                                      .get("transmissionFactor", 0.0), "transmissionFactor"),
              "ior": _finite(ext.get("KHR_materials_ior", {}).get("ior", 1.5), "ior")}
    if peak > 0:
        params["emission_color"] = tuple(c / peak for c in emissive)
        params["emission_strength"] = peak * strength
    return params


def _light(name: str, entry: dict, matrix: np.ndarray) -> LightData:
    ours = entry.get("extras", {}).get("scenelang", {})
    kind = {"directional": "sun", "point": "point", "spot": "spot"}.get(entry.get("type"), "point")
    intensity = _finite(entry.get("intensity", 1.0), f"light {name}: intensity")
    energy = intensity / WATTS_TO_LUMENS if kind == "sun" else intensity * 4 * math.pi / WATTS_TO_LUMENS
    spot = entry.get("spot", {})
    outer = _finite(spot.get("outerConeAngle", math.pi / 4), f"light {name}: outerConeAngle")
    inner = _finite(spot.get("innerConeAngle", 0.0), f"light {name}: innerConeAngle")

    def extra(key: str, default: float | None) -> float | None:
        value = ours.get(key, default)
        return None if value is None else _finite(value, f"light {name}: extras {key}")

    own_kind = ours.get("kind", kind)
    shape = ours.get("shape")
    light = LightData(name, own_kind if own_kind in ("sun", "point", "spot", "area") else kind,
                      matrix, extra("energy", energy),
                      _numbers(entry.get("color", [1, 1, 1]), 3, f"light {name}: color"),
                      extra("radius", 0.1),
                      angle=math.radians(extra("angle", 0.0)) if "angle" in ours else None,
                      spot_size=math.radians(extra("spot_size", 0.0)) if "spot_size" in ours
                      else 2 * outer,
                      blend=extra("blend", 1 - inner / outer if outer > 0 else 0.0),
                      shape=shape if shape in ("square", "rectangle", "disk", "ellipse") else None,
                      size=extra("size", None), size_y=extra("size_y", None))
    return light


def _camera(name: str, entry: dict, matrix: np.ndarray) -> CameraData:
    ours = entry.get("extras", {}).get("scenelang", {})
    persp = entry.get("perspective", {})
    aspect = _finite(persp.get("aspectRatio") or 4 / 3, f"camera {name}: aspectRatio")
    yfov = _finite(persp.get("yfov", 0.6911), f"camera {name}: yfov")
    if aspect <= 0 or not 0 < yfov < math.pi:
        raise ValueError(f"camera {name}: aspectRatio {aspect:g} or yfov {yfov:g} out of range")
    angle = 2 * math.atan(math.tan(yfov / 2) * aspect) if aspect >= 1 else yfov
    lens = 36.0 / (2 * math.tan(angle / 2))
    resolution = (640, max(1, round(640 / aspect))) if aspect >= 1 else (max(1, round(640 * aspect)), 640)
    if "resolution" in ours:
        resolution = tuple(int(v) for v in _numbers(ours["resolution"], 2,
                                                    f"camera {name}: extras resolution"))
    return CameraData(name, matrix, None, _finite(ours.get("lens", lens), f"camera {name}: lens"),
                      _finite(ours.get("sensor", 36.0), f"camera {name}: sensor"), resolution)


def describe_gltf(path: Path) -> Description:
    """The Description of a .glb or .gltf file (see the module docstring)."""
    try:
        gltf, buffers = _load(path)
        return _describe(gltf, buffers, path.name)
    except ImportFailure:
        raise
    except (AttributeError, KeyError, IndexError, TypeError, ValueError, ArithmeticError,
            struct.error) as exc:
        raise ImportFailure(f"malformed glTF ({type(exc).__name__}: "
                            f"{exc})") from None


def _describe(gltf: dict, buffers: list[bytes], source: str) -> Description:
    description = Description(source=source)
    report = description.report
    materials = gltf.get("materials", [])
    lights = gltf.get("extensions", {}).get("KHR_lights_punctual", {}).get("lights", [])
    meshes: dict[int, MeshData | str] = {}
    read = [0]  # triangles of the meshes read so far
    scenes = gltf.get("scenes", [])
    scene = scenes[gltf.get("scene", 0)] if scenes else {"nodes": list(range(len(gltf.get("nodes", []))))}
    world = scene.get("extras", {}).get("scenelang", {}).get("world") if isinstance(scene.get("extras"), dict) else None
    if world:
        description.world = (_numbers(world["color"], 3, "the world's colour"),
                             _finite(world["strength"], "the world's strength"))
    else:  # what Blender's glTF importer gives: its default world, the language's default too
        description.world = ((0.05, 0.05, 0.05), 1.0)
        report.notes.append("the file has no world (glTF has none): the default world is used")

    def mesh(index: int) -> MeshData | str:
        if index not in meshes:
            entry = gltf["meshes"][index]
            name = _name(entry, f"mesh_{index}")
            prims = entry.get("primitives", [])
            if len(prims) != 1:
                meshes[index] = f"mesh {name!r} has {len(prims)} primitives (several materials)"
            elif prims[0].get("mode", 4) != 4:
                meshes[index] = f"mesh {name!r} is not made of triangles"
            elif (count := _triangle_count(gltf, prims[0])) > MAX_MESH_TRIANGLES:
                meshes[index] = (f"mesh {name!r} has {count:,} triangles (over the limit of "
                                 f"{MAX_MESH_TRIANGLES:,} for one mesh)")
            elif read[0] + count > MAX_TOTAL_TRIANGLES:
                meshes[index] = (f"mesh {name!r}: the file's meshes have more than "
                                 f"{MAX_TOTAL_TRIANGLES:,} triangles in all")
            else:
                read[0] += count
                positions = _accessor(gltf, buffers, prims[0]["attributes"]["POSITION"]).astype(float)
                if "indices" in prims[0]:
                    indices = _accessor(gltf, buffers, prims[0]["indices"]).reshape(-1, 3).astype(int)
                else:
                    indices = np.arange(len(positions)).reshape(-1, 3)
                if positions.ndim != 2 or positions.shape[1] != 3 \
                        or not np.isfinite(positions).all():
                    raise ValueError(f"mesh {name!r}: POSITION is not finite VEC3 data")
                if indices.size and (indices.min() < 0 or indices.max() >= len(positions)):
                    raise ValueError(f"mesh {name!r}: an index lies outside its vertices")
                vertices, faces = _weld(positions @ C_INV[:3, :3].T, indices)
                meshes[index] = MeshData(name, vertices, faces, triangulated=True)
        return meshes[index]

    visited: set[int] = set()

    def visit(index: int, parent: np.ndarray, up: tuple[str, str] | None) -> list[tuple]:
        """Node `index` under `parent` (its world matrix, glTF frame); up: the (key, name) of the
        frame it hangs from (an array step node of scenelang's exporter is passed through).
        Returns its children's visits, so any depth is walked without recursion."""
        if index in visited:  # glTF nodes form a forest: a node reached twice is malformed
            raise ValueError(f"node {index} is reached twice (a cycle or a shared child)")
        visited.add(index)
        node = gltf["nodes"][index]
        name = _name(node, f"node_{index}")
        key = f"node {index}"
        world_g = parent @ _local(node)
        if not np.isfinite(world_g).all():
            raise ValueError(f"node {name!r}: its transform is not finite")
        world = C_INV @ world_g @ C
        here = (key, name)
        description.order.append(key)
        if "mesh" in node:
            found = mesh(node["mesh"])
            if isinstance(found, str):
                report.skipped.append(f"object {name}: {found}")
                description.groups.append(GroupData(name, world, None, up and up[0], key))
            else:
                prim = gltf["meshes"][node["mesh"]]["primitives"][0]
                material = None
                if "material" in prim:
                    material = _name(materials[prim["material"]], f"material_{prim['material']}")
                    description.materials.setdefault(material, _material(materials[prim["material"]]))
                description.objects.append(ObjectData(name, found, world, None, material,
                                                      parent=up and up[0], key=key))
        elif name.endswith(STEP_SUFFIX) and len(node.get("children", [])) == 1:
            here = up  # scenelang's array step: folded into the element below it
        elif node.get("children"):
            description.groups.append(GroupData(name, world, None, up and up[0], key))
        placed = f"placed in the lighting section at its world transform ({up[1]} is its parent)" \
            if up is not None else ""
        if "camera" in node:
            if description.camera is None:
                cam = gltf["cameras"][node["camera"]]
                if cam.get("type") != "perspective":
                    report.notes.append(f"camera {name}: orthographic, imported as perspective")
                description.camera = _camera(_name(cam, name), cam, C_INV @ world_g)
            else:
                report.skipped.append(f"camera {name}: the language has one camera")
        light_ref = node.get("extensions", {}).get("KHR_lights_punctual", {}).get("light")
        if light_ref is not None:
            entry = lights[light_ref]
            description.lights.append(_light(_name(entry, name), entry, C_INV @ world_g))
            if placed:
                report.notes.append(f"light {name}: {placed}")
        return [(child, world_g, here) for child in node.get("children", [])]

    pending = [(root, np.eye(4), None) for root in reversed(scene.get("nodes", []))]
    while pending:  # depth first, in file order
        pending.extend(reversed(visit(*pending.pop())))
    return description
