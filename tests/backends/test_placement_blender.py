"""Groups, instances and arrays in Blender (issue 12): the `.blend` keeps the hierarchy (an Empty
per group, array and copied group, members parented to it), every copy shares its shape's mesh
(linked duplicates), world positions match the preview's, and a 1,000-copy array renders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scenelang.backends.blender.runner import clean_env, render_scene
from scenelang.backends.meshes import world_matrix
from scenelang.compiler import RenderSettings
from scenelang.parser import load_scene
from scenelang.resolve import resolve

pytestmark = pytest.mark.blender

ROOT = Path(__file__).resolve().parents[2]
SMALL = RenderSettings(samples=1, seed=0, engine="BLENDER_WORKBENCH", size=(64, 48))

INSPECT = r"""
import json, sys
import bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[-1])
print('JSON:' + json.dumps({
    'objects': {o.name: {'type': o.type, 'parent': o.parent.name if o.parent else None,
                         'data': o.data.name if o.data else None,
                         'world': [round(x, 6) for x in o.matrix_world.translation]}
                for o in bpy.data.objects},
    'meshes': {m.name: m.users for m in bpy.data.meshes},
}))
"""


def inspect(blend: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", INSPECT, str(blend)], capture_output=True,
                          text=True, timeout=180, env=clean_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(next(l for l in proc.stdout.splitlines() if l.startswith("JSON:"))[5:])


def test_groups_and_instances_keep_their_hierarchy_in_the_blend(tmp_path):
    path = ROOT / "examples" / "table_chairs.sl"
    scene = load_scene(path)
    result = render_scene(scene, tmp_path / "t.png", blend=tmp_path / "t.blend", settings=SMALL,
                          source_file=path.name)
    assert result.png.exists()
    info = inspect(result.blend)
    objects = info["objects"]
    for empty in ("table", "chair_1", "chair_2", "lamp", "legs", "feet", "chair_2_feet"):
        assert objects[empty]["type"] == "EMPTY", empty
    assert objects["shade_1"]["parent"] == "lamp" and objects["chair_2_seat_1"]["parent"] == "chair_2"
    assert objects["chair_2_feet"]["parent"] == "chair_2"
    assert objects["chair_2_feet_3"]["parent"] == "chair_2_feet"
    # linked duplicates: the four legs of each chair and the two seats share one mesh each
    assert {objects[f"feet_{i}"]["data"] for i in range(1, 5)} == {"chair_leg"}
    assert info["meshes"]["chair_leg"] == 8 and info["meshes"]["seat"] == 2
    # Blender's parenting composes the transforms as the preview does
    for obj in resolve(scene).objects:
        want = world_matrix(obj)[:3, 3]
        np.testing.assert_allclose(objects[obj.name]["world"], want, atol=1e-5, err_msg=obj.name)


def test_a_thousand_copy_array_renders_with_one_shared_mesh(tmp_path):
    path = ROOT / "examples" / "large" / "array_1000.sl"
    result = render_scene(load_scene(path), tmp_path / "a.png", blend=tmp_path / "a.blend",
                          settings=SMALL, source_file=path.name)
    assert result.png.exists()
    info = inspect(result.blend)
    cubes = [o for o in info["objects"].values() if o["data"] == "cube"]
    assert len(cubes) == 1000
    assert info["meshes"]["cube"] == 1000  # one mesh datablock, 1,000 users
    assert info["objects"]["rows_24_cubes_40"]["parent"] == "rows_24_cubes"
    assert info["objects"]["rows_24_cubes"]["parent"] == "rows_24"
    assert info["objects"]["rows_24"]["parent"] == "rows"
    np.testing.assert_allclose(info["objects"]["rows_24_cubes_40"]["world"], (19.5, 12, 0.15), atol=1e-6)
