"""The Blender add-on (`scenelang_blender/`, zipped by `make addon`) in the bpy wheel: installed
from the zip, enabled, then File > Import > scenelang (.sl) builds an example into the open file
and File > Export > scenelang (.sl) writes the open file back as a scene that validates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from build_addon import build

from scenelang.backends.blender.runner import clean_env
from scenelang.parser import load_scene
from scenelang.validate import check

pytestmark = pytest.mark.blender

ROOT = Path(__file__).resolve().parents[2]

SESSION = r"""
import json, sys
import bpy
zip_path, scene_path, bad_path, out_path, result_path = sys.argv[-5:]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.preferences.addon_install(filepath=zip_path, overwrite=True)
bpy.ops.preferences.addon_enable(module='scenelang_blender')
bpy.ops.mesh.primitive_cube_add(location=(5, 5, 1))  # something already in the open file
result = {'import': list(bpy.ops.import_scene.scenelang(filepath=scene_path))}
result['objects'] = {o.name: {'type': o.type, 'material': (o.material_slots[0].material.name
                              if o.material_slots and o.material_slots[0].material else None),
                              'collection': o.users_collection[0].name}
                     for o in bpy.data.objects}
result['camera'] = bpy.context.scene.camera.name
result['resolution'] = [bpy.context.scene.render.resolution_x, bpy.context.scene.render.resolution_y]
result['csg_operands'] = {c.name: (c.hide_render, [p.name for p in bpy.data.collections
                          if c.name in p.children], len(c.objects))
                          for c in bpy.data.collections if c.name.startswith('csg_operands')}
before = sorted(o.name for o in bpy.data.objects), len(bpy.data.collections)
try:
    bpy.ops.import_scene.scenelang(filepath=bad_path)
    result['bad'] = 'accepted'
except RuntimeError as exc:
    result['bad'] = str(exc)
result['bad_changed_nothing'] = before == (sorted(o.name for o in bpy.data.objects),
                                           len(bpy.data.collections))
result['export'] = list(bpy.ops.export_scene.scenelang(filepath=out_path))
# without the scenelang package: both operators stop with one message and change nothing
import scenelang_blender
sys.modules['scenelang_blender.bridge'] = None  # importing it now fails like a missing package
del scenelang_blender.bridge
for op, path in ((bpy.ops.import_scene.scenelang, scene_path),
                 (bpy.ops.export_scene.scenelang, out_path + '.again.sl')):
    try:
        result.setdefault('missing', []).append(list(op(filepath=path)))
    except RuntimeError as exc:
        result.setdefault('missing', []).append(str(exc))
result['missing_changed_nothing'] = before == (sorted(o.name for o in bpy.data.objects),
                                               len(bpy.data.collections))
with open(result_path, 'w') as handle:
    json.dump(result, handle)
"""


def test_addon_imports_and_exports(tmp_path):
    zip_path = build(tmp_path / "scenelang_blender.zip")
    bad = tmp_path / "bad.sl"
    bad.write_text("scenelang 1\ngeometry {\n  shape b = sphere(radius=-1)\n}\n")
    out, result_path = tmp_path / "exported.sl", tmp_path / "result.json"
    env = clean_env()
    env.update(HOME=str(tmp_path / "home"), BLENDER_USER_RESOURCES=str(tmp_path / "blender-user"))
    proc = subprocess.run(
        [sys.executable, "-c", SESSION, str(zip_path), str(ROOT / "examples" / "bookshelf.sl"),
         str(bad), str(out), str(result_path)],
        capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(result_path.read_text())
    assert result["import"] == ["FINISHED"] and result["export"] == ["FINISHED"]
    objects = result["objects"]
    for name in ("floor_1", "shelf_1", "book_1", "book_4", "globe_1", "warm", "sun", "cam"):
        assert name in objects, sorted(objects)
    assert objects["shelf_1"]["material"] == "pine"
    assert objects["book_1"]["collection"] == "bookshelf.sl"
    assert objects["Cube"]["type"] == "MESH"  # what was in the file stays
    assert result["camera"] == "cam" and result["resolution"] == [480, 480]
    assert "bad.sl:3:" in result["bad"] and "radius" in result["bad"], result["bad"]
    assert result["bad_changed_nothing"]  # a refused scene builds nothing
    # the CSG helpers: one hidden collection inside the scene's collection
    (hidden, parents, helpers), = result["csg_operands"].values()
    assert hidden and parents == ["bookshelf.sl"] and helpers > 0, result["csg_operands"]
    assert len(result["missing"]) == 2 and result["missing_changed_nothing"]
    for message in result["missing"]:
        assert "the scenelang package is not importable in Blender's Python" in message, message
    assert not Path(str(out) + ".again.sl").exists()
    exported = load_scene(out)
    check(exported)
    names = {o.name for o in exported.objects()}
    assert {"shelf_1", "book_1", "globe_1", "Cube"} <= names
    shelf = exported.shapes()[next(o.shape for o in exported.objects() if o.name == "shelf_1")]
    assert shelf.shape.kind == "difference"
    assert {light.name for light in exported.lights()} == {"warm", "cool", "sun"}
    assert (tmp_path / "blender-user" / "scripts" / "addons" / "scenelang_blender").is_dir()
