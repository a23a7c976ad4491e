"""Lights in composition groups in the backends: the numpy preview lights the scene with them where
their groups put them (the same image as the light written in lighting at that world position),
and glTF export writes each as a child node of its group's node whose world transform is the
resolved light's."""

from __future__ import annotations

import json

import numpy as np

from scenelang.backends.camera import quaternion_matrix
from scenelang.backends.export import Z_UP_TO_Y_UP, export_scene
from scenelang.backends.preview import render_preview
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch
from scenelang.resolve import resolve

C = Z_UP_TO_Y_UP[:3, :3]

ROOM = """scenelang 1
geometry {
  shape ground = plane(size=8)
  shape post = cylinder(radius=0.05, depth=0.5)
}
composition {
  camera cam at (0, -0.01, 9) look_at (0, 0, 0) resolution (48, 48)
  object floor = ground
%s
}
lighting {
  world color #000000 strength 0
%s
}
"""
GROUPED = """  group lamp at (1.5, 0, 0.25) rotate (0, 0, 90deg) {
    object post_1 = post
    light bulb = point(at=(1, 0, 1), energy=300, radius=0.05)
  }"""
FLAT = "  object post_1 = post at (1.5, 0, 0.25) rotate (0, 0, 90deg)", \
    "  light bulb = point(at=(1.5, 1, 1.25), energy=300, radius=0.05)"


def test_the_preview_lights_a_scene_with_a_light_in_a_group_where_the_group_puts_it():
    grouped = parse_scene(ROOM % (GROUPED, ""))
    flat = parse_scene(ROOM % FLAT)
    a, b = render_preview(grouped).color, render_preview(flat).color
    assert a.max() > 0.3  # lit by the group's light (the world is black)
    np.testing.assert_allclose(a, b, atol=1e-6)
    # the brightest floor point is under the light; moving the group moves it
    def brightest(color):
        return np.unravel_index(np.argmax(color.mean(axis=2)), color.shape[:2])
    moved = apply_patch(grouped, parse_patch("patch composition { set lamp.at = (-1.5, 0, 0.25) }"))
    (r0, c0), (r1, c1) = brightest(a), brightest(render_preview(moved).color)
    assert r0 == r1 and c1 < c0 - 10  # image columns follow world x from this camera


def _world(nodes: list[dict], index: int) -> np.ndarray:
    """A node's world matrix through its parents."""
    parent = {c: i for i, n in enumerate(nodes) for c in n.get("children", [])}
    m = np.eye(4)
    while index is not None:
        n = nodes[index]
        x, y, z, w = n.get("rotation", (0, 0, 0, 1))
        local = np.eye(4)
        local[:3, :3] = quaternion_matrix((w, x, y, z)) * np.asarray(n.get("scale", (1, 1, 1)))
        local[:3, 3] = n.get("translation", (0, 0, 0))
        m = local @ m
        index = parent.get(index)
    return m


SCENE = """scenelang 1
geometry {
  shape s = box(size=(1, 1, 1))
}
composition {
  object floor = s scale (4, 4, 0.1)
  group lamp at (1, 2, 0.5) rotate (0, 0, 90deg) scale 2 {
    object base = s scale 0.2
    light bulb = point(at=(0.5, 0, 0.25), energy=40)
    group head at (0, 0, 1) rotate (90deg, 0, 0) {
      light key = sun(direction=(0, 0, -1))
      light beam = spot(at=(0, 1, 0), look_at=(0, 0, 0), spot_size=40deg)
    }
  }
  object row = array(lamp, count=2, offset=(0, -2, 0)) at (0, -1, 0)
}
lighting {
  light fill = sun(direction=(0.3, 0.2, -1))
}
"""


def test_gltf_writes_a_light_in_a_group_as_a_child_of_the_group_node(tmp_path):
    scene = parse_scene(SCENE)
    path = tmp_path / "lamp.gltf"
    export_scene(scene, path)
    doc = json.loads(path.read_text())
    nodes = doc["nodes"]
    index = {n["name"]: i for i, n in enumerate(nodes)}
    lights = resolve(scene).lights
    assert len(lights) == 3 * 3 + 1
    assert len(doc["extensions"]["KHR_lights_punctual"]["lights"]) == len(lights)
    roots = doc["scenes"][0]["nodes"]
    for light in lights:
        i = index[light.name]
        assert "KHR_lights_punctual" in nodes[i]["extensions"], light.name
        if light.parent is None:
            assert i in roots
        else:
            assert i not in roots and i in nodes[index[light.parent]]["children"], light.name
        world = _world(nodes, i)
        kind = light.light.kind
        if kind != "sun":
            np.testing.assert_allclose(world[:3, 3], C @ np.asarray(light.light.at), atol=1e-9,
                                       err_msg=light.name)
        if kind != "point":
            aim = (np.subtract(light.light.look_at, light.light.at) if kind == "spot"
                   else np.asarray(light.light.direction))
            forward = world[:3, :3] @ (0, 0, -1)  # glTF lights shine along their -Z
            np.testing.assert_allclose(forward / np.linalg.norm(forward),
                                       C @ aim / np.linalg.norm(aim), atol=1e-9, err_msg=light.name)
    assert nodes[index["bulb"]]["translation"] == list(C @ np.array([0.5, 0, 0.25]))  # local
    assert index["row_2_head_key"] in nodes[index["row_2_head"]]["children"]
