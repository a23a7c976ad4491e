"""Mesh export: every format written, reloaded (trimesh and real Blender) and checked."""

from __future__ import annotations

import json
import struct
import subprocess
import sys

import numpy as np
import pytest
import trimesh

from scenelang.ast import HexColor
from scenelang.backends.export import DEFAULT_MATERIAL_NAME, Z_UP_TO_Y_UP, export_scene
from scenelang.backends.meshes import scene_bounds, scene_meshes
from scenelang.cli.main import main as cli_main
from scenelang.errors import SceneError
from scenelang.parser import parse_scene

SCENE = """\
scenelang 1

geometry {
  shape table = box(size=(2, 1, 0.1))
  shape bowl = difference(sphere(radius=0.5), sphere(radius=0.45) at (0, 0, 0.1))
  shape ball = sphere(radius=0.3)
  shape nothing = intersection(sphere(radius=0.2), sphere(radius=0.2) at (2, 0, 0))
  shape floor = plane(size=10)
}

materials {
  material red = principled(base_color=#c0392b, roughness=0.4)
  material steel = principled(base_color=(0.8, 0.8, 0.82), metallic=1, roughness=0.2)
  material glass = principled(base_color=(0.9, 0.95, 1), transmission=1, ior=1.45, alpha=0.5)
  material lamp = principled(emission_color=#ffcc88, emission_strength=5)
}

composition {
  camera main at (7.4, -6.9, 5.0) look_at (0, 0, 0.5)
  object floor_1 = floor
  object table_1 = table at (0, 0, 0.75) material red
  object ball_1 = ball at (0.3, 0.1, 1.1) rotate (0, 0, 30deg) scale 1.2 material steel
  object bowl_1 = bowl at (-0.5, 0, 1.3) material glass
  object bulb_1 = ball at (0, 0, 3) scale 0.2 material lamp
  object ghost_1 = nothing
}
"""
NAMES = ["floor_1", "table_1", "ball_1", "bowl_1", "bulb_1"]  # ghost_1 is empty: skipped


@pytest.fixture(scope="module")
def scene():
    return parse_scene(SCENE, "export_test.sl")


@pytest.fixture(scope="module")
def world(scene):
    """name -> world-space (Z-up) mesh, as scenelang builds it."""
    return {m.name: m.mesh for m in scene_meshes(scene)}


def y_up_bounds(mesh: trimesh.Trimesh) -> np.ndarray:
    return trimesh.transform_points(mesh.vertices, Z_UP_TO_Y_UP).min(0), trimesh.transform_points(
        mesh.vertices, Z_UP_TO_Y_UP).max(0)


def glb_json(path) -> dict:
    data = path.read_bytes()
    length, kind = struct.unpack_from("<I4s", data, 12)
    assert data[:4] == b"glTF" and kind == b"JSON"
    assert struct.unpack_from("<I", data, 8)[0] == len(data)  # the header length was rewritten
    return json.loads(data[20:20 + length])


@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
def test_gltf_nodes_bounds_and_materials(scene, world, tmp_path, suffix):
    path = tmp_path / f"scene{suffix}"
    result = export_scene(scene, path)
    assert result.files == [path] and result.objects == NAMES
    assert len(result.warnings) == 1 and "ghost_1" in result.warnings[0]

    loaded = trimesh.load(path, force="scene", process=False)
    assert sorted(loaded.graph.nodes_geometry) == sorted(NAMES)
    for name in NAMES:  # node transform @ the shape's mesh = the world mesh, Y-up
        transform, geometry = loaded.graph[name]
        mesh = loaded.geometry[geometry].copy().apply_transform(transform)
        lo, hi = y_up_bounds(world[name])
        np.testing.assert_allclose(mesh.bounds, [lo, hi], atol=1e-5)
        assert len(mesh.faces) == len(world[name].faces)

    doc = glb_json(path) if suffix == ".glb" else json.loads(path.read_text())
    assert [n["name"] for n in doc["nodes"] if "mesh" in n] == NAMES
    materials = {m["name"]: m for m in doc["materials"]}
    assert set(materials) == {"red", "steel", "glass", "lamp", DEFAULT_MATERIAL_NAME}
    red = materials["red"]["pbrMetallicRoughness"]
    assert red["baseColorFactor"] == [*HexColor(hex="c0392b").linear(), 1.0]  # exact, linear
    assert red["roughnessFactor"] == 0.4 and red["metallicFactor"] == 0.0
    assert materials["steel"]["pbrMetallicRoughness"]["metallicFactor"] == 1.0
    glass = materials["glass"]
    assert glass["alphaMode"] == "BLEND" and glass["pbrMetallicRoughness"]["baseColorFactor"][3] == 0.5
    assert glass["extensions"]["KHR_materials_transmission"] == {"transmissionFactor": 1.0}
    assert glass["extensions"]["KHR_materials_ior"] == {"ior": 1.45}
    lamp = materials["lamp"]
    np.testing.assert_allclose(lamp["emissiveFactor"], HexColor(hex="ffcc88").linear())
    assert lamp["extensions"]["KHR_materials_emissive_strength"] == {"emissiveStrength": 5.0}
    assert materials[DEFAULT_MATERIAL_NAME]["pbrMetallicRoughness"]["baseColorFactor"] == [0.8, 0.8, 0.8, 1.0]
    assert set(doc["extensionsUsed"]) == {"KHR_materials_transmission", "KHR_materials_ior",
                                          "KHR_materials_emissive_strength"}
    # each node's mesh uses its object's material
    node_material = {n["name"]: doc["materials"][doc["meshes"][n["mesh"]]["primitives"][0]["material"]]["name"]
                     for n in doc["nodes"] if "mesh" in n}
    assert node_material == {"floor_1": DEFAULT_MATERIAL_NAME, "table_1": "red", "ball_1": "steel",
                             "bowl_1": "glass", "bulb_1": "lamp"}
    # trimesh reads the colours back (it quantises them to 8 bits)
    _, ball = loaded.graph["ball_1"]
    np.testing.assert_allclose(loaded.geometry[ball].visual.material.baseColorFactor[:3] / 255,
                               [0.8, 0.8, 0.82], atol=1 / 255)


def test_obj_objects_and_mtl(scene, world, tmp_path):
    path = tmp_path / "scene.obj"
    result = export_scene(scene, path)
    assert result.files == [path, tmp_path / "scene.mtl"]
    text = path.read_text()
    assert [line[2:] for line in text.splitlines() if line.startswith("o ")] == NAMES
    assert "mtllib scene.mtl" in text
    mtl = (tmp_path / "scene.mtl").read_text()
    red = mtl.split("newmtl red\n")[1].split("\n\n")[0]
    kd = [float(v) for v in red.split("Kd ")[1].split("\n")[0].split()]
    np.testing.assert_allclose(kd, HexColor(hex="c0392b").linear(), atol=1e-6)
    assert "Pm 1.000000" in mtl.split("newmtl steel\n")[1].split("\n\n")[0]
    loaded = trimesh.load(path, group_material=False)
    assert len(loaded.geometry) == len(NAMES)
    lo, hi = zip(*(y_up_bounds(world[n]) for n in NAMES))
    np.testing.assert_allclose(loaded.bounds, [np.min(lo, 0), np.max(hi, 0)], atol=1e-5)


def test_stl_is_one_merged_z_up_mesh(scene, world, tmp_path):
    path = tmp_path / "scene.stl"
    export_scene(scene, path)
    loaded = trimesh.load(path)
    assert isinstance(loaded, trimesh.Trimesh)
    assert len(loaded.faces) == sum(len(world[n].faces) for n in NAMES)
    np.testing.assert_allclose(loaded.bounds, scene_bounds(scene_meshes(scene)), atol=1e-5)


def test_unknown_extension_is_a_clear_error(scene, tmp_path):
    for name in ("scene.fbx", "scene", "scene.GLTFX"):
        with pytest.raises(SceneError, match=r"cannot export to .*use one of \.glb, \.gltf, \.obj, \.stl"):
            export_scene(scene, tmp_path / name)
    assert not list(tmp_path.iterdir())
    export_scene(scene, tmp_path / "UPPER.GLB")  # the extension is case-insensitive
    assert (tmp_path / "UPPER.GLB").stat().st_size > 0


def test_cli_export(tmp_path, capsys):
    source = tmp_path / "scene.sl"
    source.write_text(SCENE)
    out = tmp_path / "sub" / "scene.glb"
    assert cli_main(["export", str(source), "-o", str(out)]) == 0
    assert sorted(trimesh.load(out, force="scene").graph.nodes_geometry) == sorted(NAMES)
    captured = capsys.readouterr()
    assert str(out) in captured.out and "ghost_1" in captured.err
    assert cli_main(["export", str(source), "-o", str(tmp_path / "scene.ply")]) == 1
    err = capsys.readouterr().err
    assert "cannot export to '.ply'" in err and "Traceback" not in err
    broken = tmp_path / "broken.sl"
    broken.write_text(SCENE.replace("material red\n", "material gold\n"))
    assert cli_main(["export", str(broken), "-o", str(tmp_path / "b.glb")]) == 1
    err = capsys.readouterr().err
    assert "broken.sl:" in err and "gold" in err and not (tmp_path / "b.glb").exists()


BLENDER_IMPORT = r"""
import json, sys
import bpy
path = sys.argv[-1]
bpy.ops.wm.read_factory_settings(use_empty=True)
if path.endswith((".glb", ".gltf")):
    bpy.ops.import_scene.gltf(filepath=path)
else:
    bpy.ops.wm.obj_import(filepath=path)
out = {}
for obj in bpy.context.scene.objects:
    if obj.type != "MESH":
        continue
    corners = [obj.matrix_world @ v.co for v in obj.data.vertices]
    material = obj.active_material
    bsdf = material.node_tree.nodes.get("Principled BSDF") if material and material.node_tree else None
    out[obj.name] = {
        "lo": [min(c[i] for c in corners) for i in range(3)],
        "hi": [max(c[i] for c in corners) for i in range(3)],
        "material": material.name if material else None,
        "base_color": list(bsdf.inputs["Base Color"].default_value)[:3] if bsdf else None,
        "metallic": bsdf.inputs["Metallic"].default_value if bsdf else None,
    }
print("RESULT" + json.dumps(out))
"""


@pytest.mark.blender
@pytest.mark.parametrize("suffix", [".glb", ".obj"])
def test_blender_imports_export_upright_with_names_and_colours(scene, world, tmp_path, suffix):
    path = tmp_path / f"scene{suffix}"
    export_scene(scene, path)
    proc = subprocess.run([sys.executable, "-c", BLENDER_IMPORT, str(path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = json.loads(next(l for l in proc.stdout.splitlines() if l.startswith("RESULT"))[6:])
    assert set(imported) == set(NAMES)
    for name in NAMES:  # Blender converts back to Z-up: the bounds are scenelang's own
        np.testing.assert_allclose(imported[name]["lo"], world[name].bounds[0], atol=1e-4)
        np.testing.assert_allclose(imported[name]["hi"], world[name].bounds[1], atol=1e-4)
    assert imported["table_1"]["material"] == "red"
    np.testing.assert_allclose(imported["table_1"]["base_color"], HexColor(hex="c0392b").linear(), atol=1e-5)
    assert imported["ball_1"]["metallic"] == pytest.approx(1.0)
