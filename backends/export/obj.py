"""`.obj` (+ `.mtl`) export: world-space meshes, one `o` group per object, Y-up.

The MTL has `Kd` (linear base colour), `d` (alpha) and the PBR extension `Pr`/`Pm`/`Ke` as
Blender writes them. Vertices are written as Blender's OBJ exporter does by default:
`(x, y, z)` becomes `(x, z, -y)`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial

from scenelang.ast import Principled
from scenelang.backends.export.common import Z_UP_TO_Y_UP, material_name, materials
from scenelang.backends.meshes import ObjectMesh


def write_obj(meshes: list[ObjectMesh], path: Path) -> list[Path]:
    """Write `path` and the `.mtl` beside it; returns both paths."""
    mtl_path = path.with_suffix(".mtl")
    scene = _scene(meshes, Z_UP_TO_Y_UP)
    text, _ = trimesh.exchange.obj.export_obj(
        scene, include_texture=True, return_texture=True, mtl_name=mtl_path.name
    )
    path.write_text(text)
    mtl_path.write_text(_mtl(materials(meshes)))
    return [path, mtl_path]


def _scene(meshes: list[ObjectMesh], transform: np.ndarray) -> trimesh.Scene:
    """A trimesh scene: one world-space geometry and node per object, named after it."""
    out = trimesh.Scene()
    pbr = {name: _pbr(name, material) for name, material in materials(meshes).items()}
    for obj in meshes:
        if obj.face_slots is None:
            parts = [(obj.name, material_name(obj), obj.mesh.faces)]
        else:  # per-operand materials: one object per material slot, `NAME__MATERIAL`
            names = [material_name(obj), *obj.slot_names]
            parts = [(obj.name if slot == 0 else f"{obj.name}__{names[slot]}", names[slot],
                      obj.mesh.faces[obj.face_slots == slot]) for slot in np.unique(obj.face_slots)]
        for name, material, faces in parts:
            mesh = trimesh.Trimesh(obj.mesh.vertices.copy(), faces.copy(), process=False)
            mesh.remove_unreferenced_vertices()
            mesh.apply_transform(transform)
            mesh.visual = TextureVisuals(material=pbr[material])
            out.add_geometry(mesh, node_name=name, geom_name=name)
    return out


def _pbr(name: str, material: Principled) -> PBRMaterial:
    r, g, b = material.base_color.linear()
    return PBRMaterial(name=name, baseColorFactor=[r, g, b, material.alpha],
                       metallicFactor=material.metallic, roughnessFactor=material.roughness)


def _mtl(library: dict[str, Principled]) -> str:
    """An MTL library with Blender's PBR extension (Pr roughness, Pm metallic, Ke emission)."""
    def triple(values) -> str:
        return " ".join(f"{float(v):.6f}" for v in values)

    lines = ["# scenelang: linear colours"]
    for name, m in library.items():
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
