"""Export a scene's meshes to `.glb`, `.gltf`, `.obj` or `.stl` through trimesh.

The meshes are those of `scenelang.backends.meshes.scene_meshes` (CSG evaluated with
manifold3d), in world space, one node per object named after the object.

* `.glb` / `.gltf` (embedded buffers): one mesh and node per object; materials carry the `.sl`
  material names and the Principled parameters glTF knows, written exactly (not 8-bit
  quantised): `baseColorFactor` (linear base colour + alpha; `alphaMode` BLEND when alpha < 1),
  `metallicFactor`, `roughnessFactor`, `emissiveFactor` (+ `KHR_materials_emissive_strength`),
  `KHR_materials_transmission` and `KHR_materials_ior`. Materials are double-sided, as in
  Blender. Objects without a material get `DEFAULT_MATERIAL_NAME` (grey 0.8).
* `.obj` (+ a `.mtl` beside it): one `o` group per object; the MTL has `Kd` (linear base
  colour), `d` (alpha) and the PBR extension `Pr`/`Pm`/`Ke` as Blender writes them.
* `.stl` (binary): all objects merged into one mesh (STL has no objects or colours).

Axes: scenelang (like Blender) is Z-up. glTF and OBJ are Y-up by convention, so they are
written as Blender's exporters do by default: `(x, y, z)` becomes `(x, z, -y)`. STL stays Z-up.
Objects whose mesh is empty (e.g. a CSG with no volume left) are skipped and reported.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial

from scenelang.ast import Principled, Scene
from scenelang.backends.meshes import ObjectMesh, scene_meshes
from scenelang.errors import SceneError
from scenelang.validate import DEFAULT_LIMITS, Limits

FORMATS = (".glb", ".gltf", ".obj", ".stl")
DEFAULT_MATERIAL_NAME = "default-grey"
"""Material name for objects without one (not a valid `.sl` name, so it cannot collide)."""
Z_UP_TO_Y_UP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]], dtype=float)


@dataclass
class ExportResult:
    """What `export_scene` wrote: the files, the exported object names, and any warnings."""

    files: list[Path]
    objects: list[str]
    warnings: list[str] = field(default_factory=list)


def export_scene(scene: Scene, path: str | Path) -> ExportResult:
    """Write the scene's meshes to `path`; the format follows the extension (see `FORMATS`).

    Raises `SceneError` for an unknown extension (before any work) or a scene that does not
    build (unknown shape or material).
    """
    path = Path(path)
    check_format(path)
    meshes = scene_meshes(scene)
    check_meshes(meshes)
    kept = [m for m in meshes if not m.mesh.is_empty]
    warnings = [f"object {m.name!r} has an empty mesh (nothing left after CSG); not exported"
                for m in meshes if m.mesh.is_empty]
    suffix = path.suffix.lower()
    if suffix == ".stl":
        files = [_write_stl(kept, path)]
    elif suffix == ".obj":
        files = _write_obj(kept, path)
    else:
        files = [_write_gltf(kept, path, binary=suffix == ".glb")]
    return ExportResult(files=files, objects=[m.name for m in kept], warnings=warnings)


FLOAT32_MAX = float(np.finfo(np.float32).max)
"""glTF, OBJ readers and binary STL store coordinates as 32-bit floats: larger ones become inf."""


def check_meshes(meshes: list[ObjectMesh], limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse meshes no format can store: coordinates that are not finite or beyond float32's
    range (huge but valid sizes and scales multiply up), and more triangles than
    `Limits.max_triangles`. A `SceneError` naming the object, never an invalid file."""
    total = 0
    for m in meshes:
        vertices = np.asarray(m.mesh.vertices, dtype=np.float64)
        total += len(m.mesh.faces)
        if vertices.size and not np.all(np.isfinite(vertices)):
            raise SceneError(f"object {m.name!r}: its mesh has coordinates that are not finite "
                             "(sizes, scales or positions multiply beyond a 64-bit float); "
                             "use smaller values")
        largest = float(np.abs(vertices).max()) if vertices.size else 0.0
        if largest > FLOAT32_MAX:
            raise SceneError(f"object {m.name!r}: a vertex lies {largest:.3g} m from the origin, "
                             f"beyond the {FLOAT32_MAX:.3g} that glTF, OBJ and STL readers store "
                             "(32-bit floats); use smaller sizes, scales or positions")
    if total > limits.max_triangles:
        raise SceneError(f"the scene's meshes have {total:,} triangles; the limit is "
                         f"{limits.max_triangles:,}")


def check_format(path: str | Path) -> str:
    """The lower-case extension of `path` if it is an export format, else a `SceneError`."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = f"'{suffix}'" if suffix else "a file without an extension"
        raise SceneError(f"cannot export to {shown} ({path}): use one of {', '.join(FORMATS)}")
    return suffix


# ---------------------------------------------------------------- formats


def _material_name(obj: ObjectMesh) -> str:
    return obj.material_name or DEFAULT_MATERIAL_NAME


def _materials(meshes: list[ObjectMesh]) -> dict[str, Principled]:
    return {_material_name(m): m.material for m in meshes}


def _scene(meshes: list[ObjectMesh], transform: np.ndarray | None) -> trimesh.Scene:
    """A trimesh scene: one geometry and node per object, named after it, with its material."""
    out = trimesh.Scene()
    pbr = {name: _pbr(name, material) for name, material in _materials(meshes).items()}
    for obj in meshes:
        mesh = trimesh.Trimesh(obj.mesh.vertices.copy(), obj.mesh.faces.copy(), process=False)
        if transform is not None:
            mesh.apply_transform(transform)
        mesh.visual = TextureVisuals(material=pbr[_material_name(obj)])
        out.add_geometry(mesh, node_name=obj.name, geom_name=obj.name)
    return out


def _pbr(name: str, material: Principled) -> PBRMaterial:
    r, g, b = material.base_color.linear()
    return PBRMaterial(name=name, baseColorFactor=[r, g, b, material.alpha],
                       metallicFactor=material.metallic, roughnessFactor=material.roughness)


def _gltf_material(material: Principled) -> dict:
    """The glTF material dict for a Principled BSDF (exact floats)."""
    r, g, b = material.base_color.linear()
    out: dict = {
        "pbrMetallicRoughness": {
            "baseColorFactor": [r, g, b, material.alpha],
            "metallicFactor": material.metallic,
            "roughnessFactor": material.roughness,
        },
        "doubleSided": True,
    }
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


def _patch_gltf_json(doc: dict, materials: dict[str, Principled]) -> dict:
    """Replace trimesh's 8-bit material approximations by the exact Principled parameters."""
    used: set[str] = set(doc.get("extensionsUsed", []))
    for i, entry in enumerate(doc.get("materials", [])):
        name = entry.get("name")
        if name in materials:
            doc["materials"][i] = {"name": name, **_gltf_material(materials[name])}
            used.update(doc["materials"][i].get("extensions", {}))
    if used:
        doc["extensionsUsed"] = sorted(used)
    return doc


def _write_gltf(meshes: list[ObjectMesh], path: Path, binary: bool) -> Path:
    scene = _scene(meshes, Z_UP_TO_Y_UP)
    materials = _materials(meshes)
    if binary:
        data = _patch_glb(trimesh.exchange.gltf.export_glb(scene), materials)
    else:
        files = trimesh.exchange.gltf.export_gltf(scene, embed_buffers=True)
        doc = _patch_gltf_json(json.loads(files["model.gltf"]), materials)
        data = json.dumps(doc, indent=1).encode()
    path.write_bytes(data)
    return path


def _patch_glb(data: bytes, materials: dict[str, Principled]) -> bytes:
    """Rewrite the JSON chunk of a GLB container (header, JSON chunk, binary chunk)."""
    magic, version, _ = struct.unpack_from("<4sII", data, 0)
    json_length, json_type = struct.unpack_from("<I4s", data, 12)
    if magic != b"glTF" or json_type != b"JSON":  # pragma: no cover - trimesh always writes these
        raise ValueError("not a GLB container")
    doc = _patch_gltf_json(json.loads(data[20:20 + json_length]), materials)
    text = json.dumps(doc, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    rest = data[20 + json_length:]
    body = struct.pack("<I4s", len(text), b"JSON") + text + rest
    return struct.pack("<4sII", b"glTF", version, 12 + len(body)) + body


def _write_obj(meshes: list[ObjectMesh], path: Path) -> list[Path]:
    mtl_path = path.with_suffix(".mtl")
    scene = _scene(meshes, Z_UP_TO_Y_UP)
    text, _ = trimesh.exchange.obj.export_obj(
        scene, include_texture=True, return_texture=True, mtl_name=mtl_path.name
    )
    path.write_text(text)
    mtl_path.write_text(_mtl(_materials(meshes)))
    return [path, mtl_path]


def _mtl(materials: dict[str, Principled]) -> str:
    """An MTL library with Blender's PBR extension (Pr roughness, Pm metallic, Ke emission)."""
    def triple(values) -> str:
        return " ".join(f"{float(v):.6f}" for v in values)

    lines = ["# scenelang: linear colours"]
    for name, m in materials.items():
        emission = np.asarray(m.emission_color.linear()) * m.emission_strength
        lines += [
            "",
            f"newmtl {name}",
            f"Kd {triple(m.base_color.linear())}",
            f"Ks {triple([m.specular] * 3)}",
            f"Ns {(1 - m.roughness) ** 2 * 1000:.6f}",
            f"Ni {m.ior:.6f}",
            f"d {m.alpha:.6f}",
            f"Pr {m.roughness:.6f}",
            f"Pm {m.metallic:.6f}",
            f"Ke {triple(emission)}",
            "illum 2",
        ]
    return "\n".join(lines) + "\n"


def _write_stl(meshes: list[ObjectMesh], path: Path) -> Path:
    if meshes:
        merged = trimesh.util.concatenate([m.mesh for m in meshes])
    else:
        merged = trimesh.Trimesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), process=False)
    path.write_bytes(trimesh.exchange.stl.export_stl(merged))
    return path

