"""Language v2 shapes and materials (profiles, bevels, per-operand CSG materials) and constants
(`let`, arithmetic: examples/stairs_constants.sl): Blender and the
preview agree on each new example's silhouette (IoU >= 0.99, Workbench without anti-aliasing,
surfaces hidden, as in test_preview.py), and the preview's meshes are closed and outward-facing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from blender_silhouettes import BLENDER_SILHOUETTES
from PIL import Image

from scenelang.backends.camera import image_size
from scenelang.backends.meshes import scene_meshes
from scenelang.backends.preview import render_preview, silhouette_iou
from scenelang.parser import load_scene

ROOT = Path(__file__).resolve().parents[2]
V2_EXAMPLES = ["vase_and_bracket", "geode_and_cake", "mesh_assets", "stairs_constants"]
IOU_MIN = 0.99
SIZE = 192



@pytest.fixture(scope="module")
def silhouettes(tmp_path_factory):
    from scenelang.compiler import compile_scene

    folder = tmp_path_factory.mktemp("v2")
    jobs, scenes = [], {}
    for name in V2_EXAMPLES:
        path = ROOT / "examples" / f"{name}.sl"
        scene = scenes[name] = load_scene(path)
        script = folder / f"{name}.py"
        script.write_text(compile_scene(scene))
        hide = [m.name for m in scene_meshes(scene) if m.is_surface]
        jobs.append({"script": str(script), "size": list(image_size(scene.camera(), SIZE)),
                     "hide": hide, "png": str(folder / f"{name}.png")})
    proc = subprocess.run([sys.executable, "-c", BLENDER_SILHOUETTES, json.dumps(jobs)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    masks = {n: np.asarray(Image.open(j["png"]))[..., 3] > 127 for n, j in zip(V2_EXAMPLES, jobs)}
    return masks, scenes


@pytest.mark.blender
@pytest.mark.parametrize("name", V2_EXAMPLES)
def test_v2_example_silhouette_matches_blender(silhouettes, name):
    masks, scenes = silhouettes
    scene = scenes[name]
    meshes = [m for m in scene_meshes(scene) if not m.is_surface]
    preview = render_preview(scene, SIZE, meshes=meshes)
    theirs = masks[name]
    assert theirs.any()
    iou = silhouette_iou(preview.silhouette, theirs)
    print(f"{name}: IoU {iou:.4f}")
    assert iou >= IOU_MIN, f"{name}: IoU {iou:.4f}"


CSG_SCENE = """scenelang 1
geometry {
  shape s = difference(box(size=(1, 1, 1)) material wood, sphere(radius=0.6) at (0.3, -0.3, 0.3) material steel, cylinder(radius=0.2, depth=2))
}
materials {
  material wood = principled(base_color=(0.5, 0.2, 0.05))
  material steel = principled(base_color=(0.05, 0.1, 0.6))
  material red = principled(base_color=(0.7, 0.02, 0.02))
}
composition {
  camera cam at (2.5, -3, 2.5) look_at (0, 0, 0) resolution (80, 60)
  object o = s material red
}
"""


def test_preview_colours_faces_by_operand_material():
    from scenelang.parser import parse_scene

    scene = parse_scene(CSG_SCENE)
    (mesh,) = scene_meshes(scene)
    assert [m.base_color for m in mesh.slot_materials][1:] == [
        scene.materials.statements[0].material.base_color,
        scene.materials.statements[1].material.base_color]
    counts = np.bincount(mesh.face_slots, minlength=3)
    assert counts[1] > 0 and counts[2] > 0 and counts[0] > 0  # box, sphere cut, cylinder hole
    # the cavity's faces lie on the sphere; the hole's on the cylinder (slot 0: the object's)
    centres = mesh.mesh.triangles_center
    radial = np.linalg.norm(centres - (0.3, -0.3, 0.3), axis=1)
    assert np.all(np.abs(radial[mesh.face_slots == 2] - 0.6) < 0.05)
    hole = np.linalg.norm(centres[mesh.face_slots == 0][:, :2], axis=1)
    assert np.all(hole < 0.21)
    colour = render_preview(scene).color
    # blue (steel), brown (wood) and red (the object's material) all appear
    blue = (colour[..., 2] > colour[..., 0] + 0.1).sum()
    red = ((colour[..., 0] > 0.3) & (colour[..., 1] < 0.15) & (colour[..., 2] < 0.15)).sum()
    assert blue > 20 and red > 3


def test_compiled_script_keeps_operand_materials_as_slots():
    from scenelang.compiler import compile_scene
    from scenelang.parser import parse_scene

    script = compile_scene(parse_scene(CSG_SCENE))
    assert "link_materials(ctx, obj, ['wood', 'steel', ])" in script
    assert "add_primitive(bm, 'box', {'size': (1.0, 1.0, 1.0)}, IDENTITY, 1)" in script
    assert "'sphere', {'radius': 0.6, 'segments': 32, 'rings': 16}, IDENTITY, 2)" in script
    assert "add_primitive(bm, 'cylinder', {'radius': 0.2, 'depth': 2.0, 'vertices': 32}, IDENTITY)\n" in script


BLENDER_SLOTS = r"""
import json, runpy, sys
from collections import Counter
import bpy
ns = runpy.run_path(sys.argv[-1])
ns["main"]([])
obj = bpy.data.objects["o"]
mesh = obj.evaluated_get(bpy.context.evaluated_depsgraph_get()).to_mesh()
counts = Counter(p.material_index for p in mesh.polygons)
print("SLOTS" + json.dumps([[s.material.name for s in obj.material_slots], {str(k): v for k, v in counts.items()}]))
"""


@pytest.mark.blender
def test_blender_keeps_operand_materials_through_the_boolean(tmp_path):
    from scenelang.compiler import compile_scene
    from scenelang.parser import parse_scene

    script = tmp_path / "s.py"
    script.write_text(compile_scene(parse_scene(CSG_SCENE)))
    proc = subprocess.run([sys.executable, "-c", BLENDER_SLOTS, str(script)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("SLOTS"))
    names, counts = json.loads(line[len("SLOTS"):])
    assert names == ["red", "wood", "steel"]
    assert counts.get("0", 0) > 0 and counts.get("1", 0) > 0 and counts.get("2", 0) > 0


BEVEL_SCENE = """scenelang 1
geometry {
  shape s = difference(box(size=(1, 1, 1)), cylinder(radius=0.25, depth=2)) bevel 0.08
}
composition {
  object o = s
}
"""


def test_bevel_is_a_live_modifier_after_the_booleans():
    from scenelang.compiler import compile_scene
    from scenelang.parser import parse_scene

    script = compile_scene(parse_scene(BEVEL_SCENE))
    body = script[script.index("def shape_s("):]
    body = body[: body.index("return obj")]
    assert body.index("add_operand(") < body.index("add_bevel(obj, 0.08)")


def test_bevel_on_a_part_is_a_positioned_error_with_a_hint():
    from scenelang.parser import parse_scene
    from scenelang.validate import validate

    text = BEVEL_SCENE.replace("box(size=(1, 1, 1))", "box(size=(1, 1, 1)) bevel 0.1")
    (diag,) = [d for d in validate(parse_scene(text, file="b.sl")) if d.severity == "error"]
    assert "bevel applies to a whole shape" in diag.message and diag.hint
    assert (diag.span.line, diag.span.column) == (3, 24)


BLENDER_BEVEL = r"""
import json, runpy, sys
import bpy
ns = runpy.run_path(sys.argv[-1])
ns["main"]([])
obj = bpy.data.objects["o"]
mesh = obj.evaluated_get(bpy.context.evaluated_depsgraph_get()).to_mesh()
print("BEVEL" + json.dumps([[m.type for m in obj.modifiers], len(mesh.polygons)]))
"""


@pytest.mark.blender
def test_blender_bevels_the_shape(tmp_path):
    from scenelang.compiler import compile_scene
    from scenelang.parser import parse_scene

    polygons = {}
    for label, text in (("sharp", BEVEL_SCENE.replace(" bevel 0.08", "")), ("bevel", BEVEL_SCENE)):
        script = tmp_path / f"{label}.py"
        script.write_text(compile_scene(parse_scene(text)))
        proc = subprocess.run([sys.executable, "-c", BLENDER_BEVEL, str(script)],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        line = next(x for x in proc.stdout.splitlines() if x.startswith("BEVEL"))
        modifiers, polygons[label] = json.loads(line[len("BEVEL"):])
        assert modifiers == (["BOOLEAN", "BEVEL"] if label == "bevel" else ["BOOLEAN"])
    assert polygons["bevel"] > 2 * polygons["sharp"]  # rounded edges add faces


def test_mesh_asset_over_the_triangle_limit_is_a_positioned_error(tmp_path):
    from scenelang.backends.assets import asset_mesh
    from scenelang.errors import SceneError
    from scenelang.validate import Limits

    (tmp_path / "cone.stl").write_bytes((ROOT / "examples" / "assets" / "cone.stl").read_bytes())
    scene_file = tmp_path / "s.sl"
    scene_file.write_text('scenelang 1\ngeometry {\n  shape s = mesh(path="cone.stl")\n}\n')
    node = load_scene(scene_file).geometry.statements[0].shape
    assert len(asset_mesh(node).faces) == 48
    assert len(asset_mesh(node, Limits(max_asset_triangles=48)).faces) == 48  # at the limit
    with pytest.raises(SceneError) as info:
        asset_mesh(node, Limits(max_asset_triangles=47))
    (diag,) = info.value.diagnostics
    assert "48 triangles; the limit is 47" in diag.message and diag.hint
    assert (diag.span.line, diag.span.column) == (3, 23)


def test_mesh_assets_are_turned_z_up_like_blender():
    scene = load_scene(ROOT / "examples" / "mesh_assets.sl")
    chair = next(m for m in scene_meshes(scene) if m.name == "chair_1").local
    # the chair stands on z = 0 and is 0.97 m tall; its back is at +y
    np.testing.assert_allclose(chair.bounds[:, 2], [0.0, 0.97], atol=1e-6)
    back = chair.vertices[chair.vertices[:, 2] > 0.9]
    assert back[:, 1].min() > 0.1


def test_exports_keep_operand_materials(tmp_path):
    from scenelang.backends.export import export_scene
    from scenelang.parser import parse_scene

    scene = parse_scene(CSG_SCENE)
    export_scene(scene, tmp_path / "s.obj")
    text = (tmp_path / "s.obj").read_text()
    assert [line for line in text.splitlines() if line.startswith("usemtl")] == [
        "usemtl red", "usemtl wood", "usemtl steel"]
    export_scene(scene, tmp_path / "s.glb")
    loaded = trimesh.load(tmp_path / "s.glb", force="scene")
    assert sorted(g.visual.material.name for g in loaded.geometry.values()) == ["red", "steel", "wood"]
