"""Lights in composition groups, compiled and run by the bpy wheel: each is a Blender light object
parented to its group's Empty (copies to the copy's Empty), kept in the saved `.blend`, with the
world position and aim `ResolvedScene.lights` computes (the numbers the preview and glTF use)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from scenelang.compiler import compile_scene
from scenelang.parser import parse_scene
from scenelang.resolve import resolve

SCENE = """scenelang 1
geometry {
  shape s = box(size=(1, 1, 1))
}
composition {
  camera cam at (6, -6, 5) look_at (0, 0, 1) resolution (64, 48)
  object floor = s scale (4, 4, 0.1)
  group lamp at (1, 2, 0.5) rotate (0, 0, 90deg) scale 2 {
    object base = s scale 0.2
    light bulb = point(at=(0.5, 0, 0.25), energy=40, color=#ffd89a, radius=0.03)
    light beam = spot(at=(0, 0, 1), direction=(1, 0, 0), spot_size=30deg)
    group head at (0, 0, 1) rotate (90deg, 0, 0) {
      light key = sun(direction=(0, 0, -1))
      light panel = area(at=(0, 1, 0), look_at=(0, 0, 0), size=0.5)
      light soft = area(at=(0, 0, 0.5), size=0.3)
    }
  }
  object lamp_2 = instance lamp at (-1, 0, 0)
  object row = array(lamp, count=2, offset=(0, -2, 0)) at (0, -1, 0)
}
lighting {
  light fill = sun(direction=(0.3, 0.2, -1))
}
"""

INSPECT = r"""
import json, runpy, sys
import bpy
ns = runpy.run_path(sys.argv[-2])
ns["main"]([])
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[-1])
bpy.ops.wm.open_mainfile(filepath=sys.argv[-1])  # what the .blend keeps
out = {}
for obj in bpy.data.objects:
    if obj.type == "LIGHT":
        m = obj.matrix_world
        aim = m.to_3x3() @ __import__("mathutils").Vector((0.0, 0.0, -1.0))
        out[obj.name] = {"parent": obj.parent.name if obj.parent else None,
                         "parent_type": obj.parent.type if obj.parent else None,
                         "type": obj.data.type, "energy": obj.data.energy,
                         "at": list(m.translation), "aim": list(aim.normalized())}
print("LIGHTS" + json.dumps(out))
"""


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


@pytest.mark.blender
def test_lights_in_groups_are_parented_to_the_group_empties_at_their_world_transform(tmp_path):
    scene = parse_scene(SCENE)
    script = tmp_path / "lamp.py"
    script.write_text(compile_scene(scene))
    proc = subprocess.run([sys.executable, "-c", INSPECT, str(script), str(tmp_path / "lamp.blend")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    held = json.loads(next(x for x in proc.stdout.splitlines() if x.startswith("LIGHTS"))[6:])
    lights = resolve(scene).lights
    assert sorted(held) == sorted(light.name for light in lights)
    assert len(held) == 5 * 4 + 1  # the group's five lights, in the lamp and three copies, + fill
    for light in lights:
        got = held[light.name]
        assert got["parent"] == light.parent, light.name
        if light.parent is not None:
            assert got["parent_type"] == "EMPTY"
        assert got["type"] == light.light.kind.upper()
        assert got["energy"] == pytest.approx(light.light.energy)
        world = light.light
        if world.kind != "sun":
            np.testing.assert_allclose(got["at"], world.at, atol=1e-5, err_msg=light.name)
        if world.kind == "point":
            continue
        want = (np.subtract(world.look_at, world.at) if getattr(world, "look_at", None) is not None
                else world.direction)
        np.testing.assert_allclose(got["aim"], _unit(want), atol=1e-5, err_msg=light.name)
    assert held["bulb"]["parent"] == "lamp" and held["key"]["parent"] == "head"
    assert held["lamp_2_head_key"]["parent"] == "lamp_2_head" and held["row_2_bulb"]["parent"] == "row_2"
    np.testing.assert_allclose(held["bulb"]["at"], (1, 3, 1), atol=1e-6)
    np.testing.assert_allclose(held["key"]["aim"], (-1, 0, 0), atol=1e-6)  # turned with its groups
