"""`scenelang import` from glTF (.glb/.gltf), without Blender: files made here, and the
project's own exporter's output.

Primitive recognition itself (`recognise`) is checked on every builder, moved, rotated, scaled,
mirrored and with its vertices shuffled, and on meshes that are not primitives.
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np
import pytest
import trimesh
from hypothesis import given
from hypothesis import strategies as st

from scenelang import ast as sl
from scenelang.backends.export import export_scene
from scenelang.backends.importers import ImportFailure, import_file
from scenelang.backends.importers.hierarchy import MAX_DEPTH
from scenelang.backends.importers.recognise import Fit, NoFit, recognise
from scenelang.backends.meshes import world_matrix
from scenelang.compiler.runtime.primitives import PRIMITIVES
from scenelang.parser import load_scene, parse_scene
from scenelang.printer import print_scene
from scenelang.resolve import resolve
from scenelang.validate import check

ROOT = Path(__file__).resolve().parents[2]
CASES = {
    "box": {"size": (1.0, 2.0, 0.5)},
    "plane": {"size": 3.0},
    "sphere": {"radius": 0.3, "segments": 16, "rings": 8},
    "cylinder": {"radius": 0.2, "depth": 0.5, "vertices": 12},
    "cone": {"radius": 0.4, "depth": 0.8, "top_radius": 0.0, "vertices": 16},
    "frustum": {"radius": 0.4, "depth": 0.8, "top_radius": 0.12, "vertices": 32},
    "torus": {"major_radius": 0.5, "minor_radius": 0.2, "major_segments": 24, "minor_segments": 10},
}


def _kind(name: str) -> str:
    return "cone" if name == "frustum" else name


def _rotation(rx: float, ry: float, rz: float) -> np.ndarray:
    cx, sx, cy, sy, cz, sz = (math.cos(rx), math.sin(rx), math.cos(ry), math.sin(ry),
                              math.cos(rz), math.sin(rz))
    return (np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]]) @ np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
            @ np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]]))


def _assert_same_mesh(fit: Fit, vertices: np.ndarray) -> None:
    built, _ = PRIMITIVES[fit.kind](**fit.params)
    moved = np.asarray(built) @ fit.matrix[:3, :3].T + fit.matrix[:3, 3]
    assert np.abs(np.sort(moved, axis=0) - np.sort(vertices, axis=0)).max() < 1e-6


@pytest.mark.parametrize("name", list(CASES))
def test_recognise_every_builder_in_place(name):
    vertices, faces = PRIMITIVES[_kind(name)](**CASES[name])
    fit = recognise(vertices, faces)
    assert isinstance(fit, Fit) and fit.kind == _kind(name)
    for key, value in CASES[name].items():
        assert fit.params[key] == pytest.approx(value, abs=1e-9)
    assert np.allclose(fit.matrix, np.eye(4))


@given(name=st.sampled_from(list(CASES)), angles=st.tuples(*[st.floats(-3, 3)] * 3),
       at=st.tuples(*[st.floats(-5, 5)] * 3), scale=st.floats(0.2, 3), mirror=st.booleans())
def test_recognise_moved_builders(name, angles, at, scale, mirror):
    """A baked transform (rotation, uniform scale, a mirror, a move) is found again exactly."""
    vertices, faces = PRIMITIVES[_kind(name)](**CASES[name])
    linear = _rotation(*angles) * scale
    if mirror:
        linear = linear @ np.diag([-1.0, 1.0, 1.0])
    moved = np.asarray(vertices) @ linear.T + np.asarray(at)
    fit = recognise(moved, faces)
    assert isinstance(fit, Fit) and fit.kind == _kind(name)
    assert np.linalg.det(fit.matrix[:3, :3]) > 0
    _assert_same_mesh(fit, moved)


@pytest.mark.parametrize("name", list(CASES))
def test_recognise_shuffled_vertices(name):
    """Any vertex order, for a primitive in its own pose (as from a glTF file)."""
    vertices, faces = PRIMITIVES[_kind(name)](**CASES[name])
    order = np.random.default_rng(1).permutation(len(vertices))
    where = np.argsort(order)
    shuffled = np.asarray(vertices)[order] + [0.5, -1.0, 2.0]
    fit = recognise(shuffled, [[int(where[i]) for i in f] for f in faces])
    assert isinstance(fit, Fit) and fit.kind == _kind(name)
    assert fit.matrix[:3, 3] == pytest.approx([0.5, -1.0, 2.0])


def test_not_primitives_say_why():
    ico = trimesh.creation.icosphere(subdivisions=2)
    no = recognise(ico.vertices, ico.faces.tolist())
    assert isinstance(no, NoFit) and "match no primitive" in no.reason
    vertices, faces = PRIMITIVES["box"](size=(1, 1, 1))
    bent = np.asarray(vertices).copy()
    bent[0] += 0.1  # one corner moved: not a box any more
    assert isinstance(recognise(bent, faces), NoFit)
    assert isinstance(recognise(vertices, faces[:5]), NoFit)  # an open box is no box
    sheared = np.asarray(vertices) @ np.array([[1, 0.5, 0], [0, 1, 0], [0, 0, 1.0]]).T
    assert isinstance(recognise(sheared, faces), NoFit)
    assert isinstance(recognise(np.zeros((0, 3)), []), NoFit)


# ---------------------------------------------------------------- glTF files


def _gltf(nodes, meshes_data, *, lights=(), cameras=(), materials=(), scene_extras=None):
    """A .gltf document with one buffer (positions float32, indices uint32) per mesh."""
    blob = b""
    views, accessors, meshes = [], [], []
    for name, vertices, triangles, material in meshes_data:
        pos = np.asarray(vertices, dtype=np.float32).tobytes()
        idx = np.asarray(triangles, dtype=np.uint32).tobytes()
        for data, target in ((pos, 34962), (idx, 34963)):
            views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(data), "target": target})
            blob += data + b"\0" * (-len(data) % 4)
        accessors.append({"bufferView": len(views) - 2, "componentType": 5126, "count": len(vertices),
                          "type": "VEC3", "min": np.min(vertices, 0).tolist(), "max": np.max(vertices, 0).tolist()})
        accessors.append({"bufferView": len(views) - 1, "componentType": 5125, "count": int(np.size(triangles)),
                          "type": "SCALAR"})
        prim = {"attributes": {"POSITION": len(accessors) - 2}, "indices": len(accessors) - 1}
        if material is not None:
            prim["material"] = material
        meshes.append({"name": name, "primitives": [prim]})
    doc = {"asset": {"version": "2.0"}, "scene": 0,
           "scenes": [{"nodes": [i for i, n in enumerate(nodes) if not n.pop("_child", False)]}],
           "nodes": nodes, "meshes": meshes, "accessors": accessors, "bufferViews": views,
           "buffers": [{"byteLength": len(blob),
                        "uri": "data:application/octet-stream;base64," + base64.b64encode(blob).decode()}]}
    if scene_extras:
        doc["scenes"][0]["extras"] = scene_extras
    if materials:
        doc["materials"] = list(materials)
    if cameras:
        doc["cameras"] = list(cameras)
    if lights:
        doc["extensionsUsed"] = ["KHR_lights_punctual"]
        doc["extensions"] = {"KHR_lights_punctual": {"lights": list(lights)}}
    return doc


def _triangles(faces):
    return [(f[0], f[i], f[i + 1]) for f in faces for i in range(1, len(f) - 1)]


def _split(vertices, faces):
    """Per-triangle vertices, as exporters write flat-shaded meshes (glTF Y-up)."""
    tris = _triangles(faces)
    flat = np.array([vertices[i] for t in tris for i in t], dtype=float)
    yup = flat[:, [0, 2, 1]] * [1, 1, -1]  # (x, y, z) -> (x, z, -y)
    return yup, np.arange(len(flat)).reshape(-1, 3)


def test_gltf_nodes_lights_camera_materials(tmp_path):
    box_v, box_f = PRIMITIVES["box"](size=(1.0, 2.0, 0.5))
    cyl_v, cyl_f = PRIMITIVES["cylinder"](radius=0.25, depth=1.0, vertices=16)
    ico = trimesh.creation.icosphere(subdivisions=1)
    meshes = [("crate", *_split(box_v, box_f), 0), ("post", *_split(cyl_v, cyl_f), None),
              ("blob", ico.vertices[:, [0, 2, 1]] * [1, 1, -1], ico.faces, None)]
    half = math.sqrt(0.5)
    nodes = [
        {"name": "group", "translation": [1.0, 0.0, 0.0], "children": [1]},
        {"name": "crate_1", "mesh": 0, "translation": [0.0, 0.25, 0.0], "_child": True},
        {"name": "post_1", "mesh": 1, "translation": [2.0, 0.5, -1.0]},
        {"name": "post_2", "mesh": 1, "translation": [-2.0, 0.5, -1.0], "rotation": [half, 0, 0, half]},
        {"name": "blob_1", "mesh": 2},
        {"name": "lamp", "translation": [0.0, 4.0, 0.0], "extensions": {"KHR_lights_punctual": {"light": 0}}},
        {"name": "cam", "translation": [0.0, 1.0, 8.0], "camera": 0},
    ]
    doc = _gltf(nodes, meshes,
                lights=[{"type": "point", "intensity": 683 * 500 / (4 * math.pi), "color": [1, 0.5, 0.25]}],
                cameras=[{"type": "perspective", "perspective": {"yfov": 0.5, "aspectRatio": 1.5}}],
                materials=[{"name": "Crate Paint", "pbrMetallicRoughness": {
                    "baseColorFactor": [0.5, 0.25, 0.125, 1], "metallicFactor": 0.0, "roughnessFactor": 0.4}}])
    path = tmp_path / "scene.gltf"
    path.write_text(json.dumps(doc))
    result = import_file(path)
    text = print_scene(result.scene)
    scene = parse_scene(text, "scene.sl")
    check(scene)
    resolved = {o.name: o for o in resolve(scene).objects}
    assert set(resolved) == {"crate_1", "post_1", "post_2"}, text
    (group,) = [st for st in scene.composition.statements if isinstance(st, sl.GroupDef)]
    assert group.name == "group" and group.at == (1, 0, 0)  # the parent node is a group, Z-up
    objects = {o.name: o.definition for o in resolved.values()}
    assert scene.shapes()[objects["crate_1"].shape].shape == sl.Box(size=(1, 2, 0.5))
    assert objects["crate_1"].at == pytest.approx((0, 0, 0.25))  # relative to the group
    assert world_matrix(resolved["crate_1"])[:3, 3] == pytest.approx((1, 0, 0.25))
    assert objects["post_1"].shape == objects["post_2"].shape  # one shared shape
    assert objects["post_2"].rotate == pytest.approx((90, 0, 0))
    assert objects["crate_1"].material == "Crate_Paint"
    paint = scene.materials_by_name()["Crate_Paint"].material
    assert paint.base_color == sl.RGB(r=0.5, g=0.25, b=0.125) and paint.roughness == pytest.approx(0.4)
    (light,) = scene.lights()
    assert isinstance(light.light, sl.Point) and light.light.energy == pytest.approx(500)
    assert light.light.at == pytest.approx((0, 0, 4))
    camera = scene.camera()
    assert camera.at == pytest.approx((0, -8, 1)) and camera.rotate == pytest.approx((90, 0, 0))
    assert camera.resolution == (640, 427)
    report = result.report
    assert any("blob_1" in s and "not a primitive" in s for s in report.skipped)
    assert not report.flattened


def test_gltf_from_trimesh(tmp_path):
    """A .glb written by trimesh (its own vertex order and triangulation)."""
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.creation.box(extents=(1.0, 0.5, 0.25)), node_name="brick",
                       geom_name="brick", transform=trimesh.transformations.translation_matrix((0, 2, 0)))
    vertices, faces = PRIMITIVES["sphere"](radius=0.5, segments=12, rings=6)
    yup = np.asarray(vertices)[:, [0, 2, 1]] * [1, 1, -1]
    ball = trimesh.Trimesh(yup, _triangles(faces), process=False)
    scene.add_geometry(ball, node_name="ball", geom_name="ball")
    path = tmp_path / "t.glb"
    path.write_bytes(scene.export(file_type="glb"))
    result = import_file(path)
    shapes = {s.name: s.shape for s in result.scene.geometry.statements}
    assert shapes["brick"] == sl.Box(size=(1, 0.25, 0.5))  # glTF y up is Blender's z
    assert shapes["ball"] == sl.Sphere(radius=0.5, segments=12, rings=6)
    brick = next(o for o in result.scene.objects() if o.shape == "brick")
    assert brick.at == pytest.approx((0, 0, 2))


def test_gltf_from_our_exporter(tmp_path):
    """The project's exporter writes what the importer reads back (CSG results are meshes, not
    primitives: reported as skipped)."""
    original = load_scene(ROOT / "examples" / "donut.sl")
    path = tmp_path / "donut.glb"
    export_scene(original, path)
    result = import_file(path)
    scene = parse_scene(print_scene(result.scene))
    check(scene)
    objects = {o.name: o for o in scene.objects()}
    assert set(objects) == {o.name for o in original.objects()} - {"icing_1"}
    for obj in original.objects():
        if obj.name in objects:
            assert objects[obj.name].at == pytest.approx(obj.at, abs=1e-6)
            assert objects[obj.name].material == obj.material
    assert scene.shapes()["sprinkle"].shape == original.shapes()["sprinkle"].shape
    assert [light.name for light in scene.lights()] == ["overhead", "sun"]
    assert scene.lights()[0].light.shape == "ellipse"
    assert scene.world() == original.world()
    assert scene.camera().at == pytest.approx(original.camera().at)
    assert any("icing_1" in s for s in result.report.skipped)


@pytest.mark.parametrize("content, message", [
    (b"not json at all", "not valid glTF JSON"),
    (b"[1, 2]", "not a glTF document"),
    (json.dumps({"asset": {"version": "2.0"}, "nodes": [{"mesh": 3}]}).encode(), "malformed glTF"),
    (json.dumps({"asset": {"version": "2.0"}, "nodes": [7]}).encode(), "malformed glTF"),
    (json.dumps({"asset": {"version": "2.0"}, "scenes": [{"nodes": [0]}],
                 "nodes": [{"children": [0]}]}).encode(), "reached twice"),
])
def test_corrupt_gltf_is_one_line(tmp_path, content, message):
    path = tmp_path / "bad.gltf"
    path.write_bytes(content)
    with pytest.raises(ImportFailure, match=message) as info:
        import_file(path)
    assert "\n" not in str(info.value)


def test_gltf_buffer_outside_its_folder_is_refused(tmp_path):
    (tmp_path / "secret.bin").write_bytes(b"\0" * 12)
    folder = tmp_path / "models"
    folder.mkdir()
    path = folder / "x.gltf"
    path.write_text(json.dumps({"asset": {"version": "2.0"}, "buffers": [{"uri": "../secret.bin", "byteLength": 12}]}))
    with pytest.raises(ImportFailure, match="outside its folder"):
        import_file(path)


def test_corrupt_glb_and_bad_extension(tmp_path):
    glb = tmp_path / "bad.glb"
    glb.write_bytes(b"glTX" + b"\0" * 30)
    with pytest.raises(ImportFailure, match="not a binary glTF"):
        import_file(glb)
    with pytest.raises(ImportFailure, match="unsupported extension"):
        import_file(tmp_path / "scene.fbx")
    with pytest.raises(ImportFailure, match="no such file"):
        import_file(tmp_path / "missing.glb")


def test_gltf_deep_node_chain_is_walked_and_capped(tmp_path):
    """A 300-deep chain of nodes (a rig's bones, a hostile file) imports without recursion:
    groups nest at most `hierarchy.MAX_DEPTH` deep, what hangs deeper keeps its world place."""
    box_v, box_f = PRIMITIVES["box"](size=(1.0, 1.0, 1.0))
    depth = 300
    nodes = [{"name": f"bone{i}", "translation": [0.0, 0.01, 0.0], "children": [i + 1],
              **({"_child": True} if i else {})} for i in range(depth)]
    nodes.append({"name": "tip", "mesh": 0, "_child": True})
    path = tmp_path / "chain.gltf"
    path.write_text(json.dumps(_gltf(nodes, [("cube", *_split(box_v, box_f), None)])))
    result = import_file(path)
    scene = parse_scene(print_scene(result.scene))
    check(scene)
    (tip,) = resolve(scene).objects
    assert len(tip.chain) == MAX_DEPTH
    assert world_matrix(tip)[:3, 3] == pytest.approx((0, 0, depth * 0.01), abs=1e-6)
    assert result.report.flattened == [f"group bone{MAX_DEPTH} flattened: groups would nest more "
                                       f"than {MAX_DEPTH} deep; what hangs from it is placed in "
                                       f"group bone{MAX_DEPTH - 1}"]
