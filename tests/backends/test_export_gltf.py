"""glTF export keeps the scene: validated by the Khronos glTF validator (Node), camera checked by
projection against `backends/camera.py`, lights against Blender's own glTF exporter, geometry
against the world-space meshes."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings
from strategies import cameras, examples, lights, objects

from scenelang import ast as A
from scenelang.backends.camera import camera_pose, project, quaternion_matrix
from scenelang.backends.export import Z_UP_TO_Y_UP, export_scene
from scenelang.backends.export.gltf_scene import (
    PBR_WATTS_TO_LUMENS,
    aim_matrix,
    gltf_camera,
    gltf_light,
    object_trs,
)
from scenelang.backends.meshes import object_matrix, scene_meshes
from scenelang.compiler.compile import compile_scene
from scenelang.parser import parse_scene
from scenelang.resolve import resolve

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.sl"))
VALIDATE = Path(__file__).with_name("gltf_validate.mjs")
C = Z_UP_TO_Y_UP[:3, :3]

LIGHTS = """\
scenelang 1

geometry {
  shape block = box(size=(1, 0.5, 0.25))
  shape ball = sphere(radius=0.3, segments=12, rings=6)
  shape nothing = intersection(sphere(radius=0.2), sphere(radius=0.2) at (2, 0, 0))
}

materials {
  material red = principled(base_color=#c0392b)
  material blue = principled(base_color=(0.1, 0.2, 0.8))
}

composition {
  camera cam at (4, -4, 3) rotate (60deg, 0, 45deg) fov 40deg resolution (300, 500)
  object block_1 = block at (0, 0, 0.2) rotate (10deg, 20deg, 30deg) scale (1, 2, 0.5) material red
  object block_2 = block at (1, 1, 0.2) rotate (0, 0, 90deg) material red
  object block_3 = block at (-1, 1, 0.2) scale 1.5 material blue
  object ball_1 = ball at (0, -1, 0.3)
  object ghost_1 = nothing
}

lighting {
  world color #ffeecc strength 0.7
  light sun = sun(direction=(0.3, -0.2, -1), energy=2.5, color=#ffeecc, angle=3deg)
  light bulb = point(at=(1, 2, 3), energy=250, radius=0.3)
  light aimed = spot(at=(-1, -2, 4), direction=(0.2, 0.4, -1), energy=800, spot_size=60deg, blend=0.3)
  light looking = spot(at=(2, -1, 3), look_at=(0, 0, 0.5), energy=500, spot_size=180deg, blend=0)
  light panel = area(at=(0, -3, 2), look_at=(0, 0, 0), energy=200, size=2, size_y=1, shape=rectangle)
}
"""
EMPTY = "scenelang 1\n"  # no objects: the default camera only


def gltf_json(path: Path) -> dict:
    data = path.read_bytes()
    if data[:4] == b"glTF":
        length = int.from_bytes(data[12:16], "little")
        return json.loads(data[20:20 + length])
    return json.loads(data)


def validate(paths: list[Path]) -> dict[str, dict]:
    """Khronos glTF validator reports, one Node run for all files. Node is required (CI has it)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is required for the glTF validator (`node` not found on PATH); "
                    "install Node >= 20 and run `make` (npm ci installs gltf-validator)")
    if not (ROOT / "node_modules" / "gltf-validator").is_dir():
        pytest.fail("node_modules/gltf-validator is missing: run `make lint` or `npm ci` at the "
                    "repository root")
    proc = subprocess.run([node, str(VALIDATE), *map(str, paths)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def trs_matrix(node: dict) -> np.ndarray:
    x, y, z, w = node.get("rotation", (0, 0, 0, 1))
    m = np.eye(4)
    m[:3, :3] = quaternion_matrix((w, x, y, z)) * np.asarray(node.get("scale", (1, 1, 1)))
    m[:3, 3] = node.get("translation", (0, 0, 0))
    return m


def gltf_pixels(node: dict, perspective: dict, size: tuple[int, int], points: np.ndarray):
    """Pixels and depths of Z-up world points through a glTF camera node and its perspective."""
    w, h = size
    view = np.linalg.inv(trs_matrix(node))
    cam = (np.c_[points @ C.T, np.ones(len(points))] @ view.T)[:, :3]
    f = 1 / math.tan(perspective["yfov"] / 2)
    n_, f_ = perspective["znear"], perspective["zfar"]
    proj = np.array([[f / perspective["aspectRatio"], 0, 0, 0], [0, f, 0, 0],
                     [0, 0, (f_ + n_) / (n_ - f_), 2 * f_ * n_ / (n_ - f_)], [0, 0, -1, 0]])
    clip = np.c_[cam, np.ones(len(cam))] @ proj.T
    ndc = clip[:, :2] / clip[:, 3:]
    return np.c_[(ndc[:, 0] + 1) / 2 * w, (1 - ndc[:, 1]) / 2 * h], -cam[:, 2]


def light_nodes(doc: dict) -> dict[str, tuple[dict, dict]]:
    """light name -> (node, light), every node naming a KHR_lights_punctual light."""
    lights = doc["extensions"]["KHR_lights_punctual"]["lights"]
    return {n["name"]: (n, lights[n["extensions"]["KHR_lights_punctual"]["light"]])
            for n in doc["nodes"] if "extensions" in n}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, tuple[object, Path, Path]]:
    """name -> (scene, .glb, .gltf) for every example plus the light and empty test scenes."""
    out = tmp_path_factory.mktemp("gltf")
    # examples by their real path: mesh assets are found relative to the scene file
    sources = {p.stem: (p.read_text(), str(p)) for p in EXAMPLES} | {
        "_lights": (LIGHTS, "_lights.sl"), "_empty": (EMPTY, "_empty.sl")}
    result = {}
    for name, (text, file) in sources.items():
        scene = parse_scene(text, file)
        files = [out / f"{name}.glb", out / f"{name}.gltf"]
        for path in files:
            export_scene(scene, path)
        result[name] = (scene, *files)
    return result


def test_validator_reports_no_errors_for_every_example(exported):
    paths = [p for _, glb, gltf in exported.values() for p in (glb, gltf)]
    reports = validate(paths)
    assert len(reports) == len(paths) == 2 * (len(EXAMPLES) + 2)
    for path, report in reports.items():
        issues = report["issues"]
        errors = [m for m in issues["messages"] if m["severity"] == 0]
        assert issues["numErrors"] == 0, f"{path}: {errors}"
        assert report["info"]["hasDefaultScene"]
    # the validator does find errors (not a silent pass): a light colour out of range
    _, _, gltf = exported["_lights"]
    broken = gltf.with_name("broken.gltf")
    doc = json.loads(gltf.read_text())
    doc["extensions"]["KHR_lights_punctual"]["lights"][0]["color"] = [2, 0, 0]
    broken.write_text(json.dumps(doc))
    assert validate([broken])[str(broken)]["issues"]["numErrors"] == 1


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES] + ["_lights", "_empty"])
def test_camera_lights_nodes_and_instances_are_in_the_file(exported, name):
    scene, glb, gltf = exported[name]
    bound = resolve(scene)
    doc = gltf_json(glb)
    text_doc = gltf_json(gltf)  # .gltf = .glb's JSON with the buffer embedded as a data URI
    for buffer in text_doc.get("buffers", []):
        assert buffer.pop("uri").startswith("data:application/octet-stream;base64,")
    assert text_doc == doc
    meshes = [m for m in scene_meshes(bound) if not m.mesh.is_empty]
    nodes = doc["nodes"]
    children = {c for n in nodes for c in n.get("children", [])}
    assert doc["scenes"][doc["scene"]]["nodes"] == [i for i in range(len(nodes)) if i not in children]
    flat = len(meshes) + 1 + len(bound.lights)  # groups and arrays: parent nodes after these
    assert all("mesh" not in n and "camera" not in n and n.get("children") for n in nodes[flat:])
    nodes = nodes[:flat]
    # one node per object (local transform, mesh in the shape's space), then camera, then lights
    assert [n["name"] for n in nodes] == ([m.name for m in meshes] + [bound.camera.name]
                                          + [light.name for light in bound.lights])
    for m, node in zip(meshes, nodes):
        definition = m.definition
        np.testing.assert_allclose(node.get("translation", [0, 0, 0]), C @ np.asarray(definition.at))
        assert ("rotation" in node) == any(definition.rotate)
        assert ("scale" in node) == (np.broadcast_to(definition.scale, 3) != 1).any()
    # instancing: the same shape and material -> the same mesh; the same shape -> the same data
    by_key: dict = {}
    for m, node in zip(meshes, nodes):
        by_key.setdefault((m.shape_name, m.material_name), set()).add(node["mesh"])
    assert all(len(indices) == 1 for indices in by_key.values())
    assert len(doc.get("meshes", [])) == len(by_key)
    def textured(node):  # an image texture: its own unwelded corners with TEXCOORD_0
        return "TEXCOORD_0" in doc["meshes"][node["mesh"]]["primitives"][0]["attributes"]

    positions = {(m.shape_name, textured(node)): doc["meshes"][node["mesh"]]["primitives"][0][
        "attributes"]["POSITION"] for m, node in zip(meshes, nodes)}
    indices = {p["indices"] for mesh in doc.get("meshes", []) for p in mesh["primitives"]}
    uvs = {p["attributes"]["TEXCOORD_0"] for mesh in doc.get("meshes", []) for p in mesh["primitives"]
           if "TEXCOORD_0" in p["attributes"]}
    # POSITION per shape (and textured shape), indices per shape (per material slot for
    # per-operand materials), TEXCOORD_0 per textured shape
    assert len(doc.get("accessors", [])) == len(positions) + len(indices) + len(uvs)
    for m, node in zip(meshes, nodes):
        primitive = doc["meshes"][node["mesh"]]["primitives"][0]
        assert primitive["attributes"]["POSITION"] == positions[(m.shape_name, textured(node))]
        slots = [0] if m.face_slots is None else np.unique(m.face_slots)
        names = [m.material_name or "default-grey", *m.slot_names]
        assert [doc["materials"][p["material"]]["name"] for p in doc["meshes"][node["mesh"]]["primitives"]
                ] == [names[s] for s in slots]
        corners = 3 * len(m.local.faces) if textured(node) else len(m.local.vertices)
        assert doc["accessors"][primitive["attributes"]["POSITION"]]["count"] == corners
    # the camera
    camera_node = nodes[len(meshes)]
    assert camera_node["camera"] == 0 and len(doc["cameras"]) == 1
    assert doc["cameras"][0]["type"] == "perspective"
    # the lights: count and types (area lights become spot lights)
    kinds = [light.light.kind for light in bound.lights]
    lights = doc.get("extensions", {}).get("KHR_lights_punctual", {}).get("lights", [])
    expected = {"sun": "directional", "point": "point", "spot": "spot", "area": "spot"}
    assert [light["type"] for light in lights] == [expected[k] for k in kinds]
    assert [light["extras"]["scenelang"]["kind"] for light in lights] == kinds
    assert ("KHR_lights_punctual" in doc.get("extensionsUsed", [])) == bool(kinds)
    world = doc["scenes"][0]["extras"]["scenelang"]["world"]
    assert world == {"color": list(bound.world.color.linear()), "strength": bound.world.strength}


def test_examples_share_meshes_between_objects(exported):
    """Examples where objects share a shape really share glTF meshes and vertex data."""
    doc = gltf_json(exported["snowman"][1])  # four pebbles, one material; three snow balls
    meshes = {n["name"]: n.get("mesh") for n in doc["nodes"]}
    pebbles = {meshes[name] for name in ("eye_l", "eye_r", "button_1", "button_2")}
    balls = {meshes[name] for name in ("bottom", "middle", "head")}
    assert len(pebbles) == len(balls) == 1 and pebbles != balls
    assert [doc["meshes"][i]["name"] for i in (*pebbles, *balls)] == ["pebble", "ball"]
    doc = gltf_json(exported["bookshelf"][1])  # four books, three materials
    books = {n["name"]: n["mesh"] for n in doc["nodes"] if n["name"].startswith("book_")}
    assert len(books) == 4 and len(set(books.values())) == 3
    assert len({doc["meshes"][i]["primitives"][0]["attributes"]["POSITION"] for i in books.values()}) == 1


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES] + ["_lights"])
def test_exported_camera_projects_like_blender(exported, name):
    """World points through the glTF camera (node matrix, yfov, aspect) land on the pixels that
    `backends/camera.py` (Blender's camera) gives."""
    scene, glb, _ = exported[name]
    camera = resolve(scene).camera
    doc = gltf_json(glb)
    node = next(n for n in doc["nodes"] if "camera" in n)
    perspective = doc["cameras"][node["camera"]]["perspective"]
    w, h = camera.resolution
    assert perspective["aspectRatio"] == pytest.approx(w / h)
    points = np.concatenate([m.mesh.vertices for m in scene_meshes(scene) if not m.mesh.is_empty])
    points = points[:: max(1, len(points) // 300)]
    expected, depth = project(points, camera)
    pixels, gltf_depth = gltf_pixels(node, perspective, (w, h), points)
    front = depth > 0.5
    assert front.sum() >= 4
    np.testing.assert_allclose(pixels[front], expected[front], atol=1e-6 * max(w, h))
    np.testing.assert_allclose(gltf_depth, depth, atol=1e-9)


@settings(max_examples=examples(60), deadline=None)
@given(camera=cameras())
def test_any_camera_projects_like_blender(camera):
    """Points seen by any camera (look_at or rotate, lens or fov, any resolution) land on the same
    pixels through the glTF camera as through `backends/camera.py`."""
    entry, node = gltf_camera(camera)
    camera_space = np.array([[x, y, -d] for x in (-0.4, 0, 0.3) for y in (-0.3, 0, 0.2) for d in (1, 7)])
    pose = camera_pose(camera)
    points = camera_space @ pose[:3, :3].T + pose[:3, 3]
    expected, depth = project(points, camera)
    pixels, gltf_depth = gltf_pixels(node, entry["perspective"], camera.resolution, points)
    np.testing.assert_allclose(pixels, expected, atol=1e-6 * max(camera.resolution), rtol=1e-9)
    np.testing.assert_allclose(gltf_depth, depth, atol=1e-6 * (1 + np.linalg.norm(camera.at)))


@settings(max_examples=examples(60), deadline=None)
@given(obj=objects("o", ["s"], []))
def test_any_object_node_is_its_blender_matrix_in_y_up(obj):
    """The node's TRS is `C @ object_matrix @ C^-1` for any position, rotation and scale."""
    c4 = Z_UP_TO_Y_UP
    expected = c4 @ object_matrix(obj) @ c4.T
    got = trs_matrix(object_trs(obj.at, obj.rotate, obj.scale))
    np.testing.assert_allclose(got, expected, atol=1e-9 * (1 + np.abs(expected).max()))


@settings(max_examples=examples(60), deadline=None)
@given(light=lights)
def test_any_light_node_sits_and_points_like_the_compiled_light(light):
    entry, node, warning = gltf_light(A.LightDef(name="l", light=light))
    assert (warning is not None) == (light.kind == "area")
    at = (0.0, 0.0, 0.0) if light.kind == "sun" else light.at
    np.testing.assert_allclose(trs_matrix(node)[:3, 3], C @ np.asarray(at), atol=1e-9)
    aim = (aim_matrix(at, light.direction, None) if light.kind == "sun" else np.eye(3) if light.kind == "point"
           else aim_matrix(light.at, light.direction, light.look_at))
    np.testing.assert_allclose(trs_matrix(node)[:3, :3], C @ aim, atol=1e-9)
    assert entry["intensity"] >= 0 and all(0 <= c <= 1 for c in entry["color"])
    if "spot" in entry:
        assert 0 <= entry["spot"]["innerConeAngle"] < entry["spot"]["outerConeAngle"] <= math.pi / 2


def test_lights_units_cones_and_aim(exported):
    scene, glb, _ = exported["_lights"]
    result = export_scene(scene, glb)
    assert len(result.warnings) == 2 and "ghost_1" in result.warnings[0]
    assert "'panel' is an area light" in result.warnings[1]
    lights = light_nodes(gltf_json(glb))
    lm = PBR_WATTS_TO_LUMENS

    def forward(node):  # the node's -Z in scenelang's Z-up world
        return C.T @ (trs_matrix(node)[:3, :3] @ [0, 0, -1])

    def unit(v):
        return np.asarray(v, dtype=float) / np.linalg.norm(v)

    node, sun = lights["sun"]
    assert sun["type"] == "directional" and sun["intensity"] == pytest.approx(2.5 * lm)  # lux
    np.testing.assert_allclose(forward(node), unit((0.3, -0.2, -1)), atol=1e-6)
    assert "translation" not in node and sun["extras"]["scenelang"]["angle"] == 3.0
    np.testing.assert_allclose(sun["color"], parse_scene(LIGHTS).lighting.statements[1].light.color.linear())
    node, bulb = lights["bulb"]
    assert bulb["type"] == "point" and bulb["intensity"] == pytest.approx(250 * lm / (4 * math.pi))  # cd
    assert node["translation"] == [1.0, 3.0, -2.0] and "range" not in bulb
    assert bulb["color"] == [1.0, 1.0, 1.0] and bulb["extras"]["scenelang"]["radius"] == 0.3
    node, aimed = lights["aimed"]
    assert aimed["intensity"] == pytest.approx(800 * lm / (4 * math.pi))
    assert aimed["spot"]["outerConeAngle"] == pytest.approx(math.radians(30))
    assert aimed["spot"]["innerConeAngle"] == pytest.approx(math.radians(30) * 0.7)
    np.testing.assert_allclose(forward(node), unit((0.2, 0.4, -1)), atol=1e-6)
    node, looking = lights["looking"]
    assert looking["spot"]["outerConeAngle"] == pytest.approx(math.pi / 2)
    assert looking["spot"]["innerConeAngle"] < looking["spot"]["outerConeAngle"]  # blend 0
    np.testing.assert_allclose(forward(node), unit(np.subtract((0, 0, 0.5), (2, -1, 3))), atol=1e-6)
    node, panel = lights["panel"]
    assert panel["type"] == "spot" and panel["intensity"] == pytest.approx(200 * lm / math.pi)
    assert panel["spot"] == {"innerConeAngle": 0.0, "outerConeAngle": math.pi / 2}
    assert panel["extras"]["scenelang"] == {"kind": "area", "energy": 200.0, "size": 2.0,
                                            "size_y": 1.0, "shape": "rectangle"}
    np.testing.assert_allclose(forward(node), unit((0, 3, -2)), atol=1e-6)
    np.testing.assert_allclose(trs_matrix(node)[:3, 3], C @ [0, -3, 2])


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES] + ["_lights"])
def test_glb_round_trip_has_the_world_space_geometry(exported, name):
    """trimesh applies the node transforms: the same world vertices as the meshes, Y-up."""
    scene, glb, _ = exported[name]
    loaded = trimesh.load(glb, force="scene", process=False)
    # (trimesh splits a mesh of several primitives, per-operand materials, into one per primitive)
    world = {m.name: m.mesh for m in scene_meshes(scene) if not m.mesh.is_empty and m.face_slots is None}
    assert set(world) <= set(loaded.graph.nodes_geometry)
    for node_name, mesh in world.items():
        transform, geometry = loaded.graph[node_name]
        got = loaded.geometry[geometry]
        vertices = trimesh.transform_points(got.vertices, transform)
        if len(got.vertices) == 3 * len(mesh.faces) != len(mesh.vertices):  # image texture: unwelded
            np.testing.assert_allclose(vertices[got.faces], trimesh.transform_points(
                mesh.vertices, Z_UP_TO_Y_UP)[mesh.faces], atol=1e-5)
            continue
        np.testing.assert_allclose(vertices, trimesh.transform_points(mesh.vertices, Z_UP_TO_Y_UP),
                                   atol=1e-5)
        np.testing.assert_array_equal(got.faces, mesh.faces)


BLENDER_DRIVER = r"""
import json, runpy, sys
import bpy
script, ours, theirs = sys.argv[-3:]
runpy.run_path(script, run_name="scenelang_scene")["main"]([])
bpy.ops.export_scene.gltf(filepath=theirs, export_format="GLTF_SEPARATE", export_cameras=True,
                          export_lights=True)
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=ours)
out = {}
for obj in bpy.context.scene.objects:
    entry = {"type": obj.type, "matrix": [list(row) for row in obj.matrix_world]}
    if obj.type == "LIGHT":
        entry |= {"light": obj.data.type, "energy": obj.data.energy}
        if obj.data.type == "SPOT":
            entry |= {"spot_size": obj.data.spot_size, "spot_blend": obj.data.spot_blend}
    out[obj.name] = entry
print("RESULT" + json.dumps(out))
"""


@pytest.mark.blender
def test_nodes_camera_and_lights_match_blenders_exporter(exported, tmp_path):
    """The compiled scene built in Blender and exported by Blender's glTF exporter has the same
    node transforms, camera and light values as ours; Blender imports ours back to the values
    the compiled script sets (energies in W, poses)."""
    scene, glb, _ = exported["_lights"]
    script = tmp_path / "scene.py"
    script.write_text(compile_scene(scene, source_file="lights.sl"))
    theirs = tmp_path / "blender.gltf"
    proc = subprocess.run([sys.executable, "-c", BLENDER_DRIVER, str(script), str(glb), str(theirs)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("RESULT"))[6:])
    ours, blender = gltf_json(glb), json.loads(theirs.read_text())
    blender_nodes = {n["name"]: n for n in blender["nodes"]}
    for node in ours["nodes"]:
        np.testing.assert_allclose(trs_matrix(node), trs_matrix(blender_nodes[node["name"]]), atol=1e-6)
    assert "extensions" not in blender_nodes["panel"]  # Blender writes an area light as an empty
    ours_camera, blender_camera = ours["cameras"][0]["perspective"], blender["cameras"][0]["perspective"]
    for key in ("aspectRatio", "yfov", "znear", "zfar"):
        assert ours_camera[key] == pytest.approx(blender_camera[key], rel=1e-6)
    blender_lights = {light["name"]: light for light in blender["extensions"]["KHR_lights_punctual"]["lights"]}
    for name, (_, light) in light_nodes(ours).items():
        if name == "panel":
            continue
        theirs_light = blender_lights[name]
        assert light["type"] == theirs_light["type"]
        assert light["intensity"] == pytest.approx(theirs_light["intensity"], rel=1e-6)
        np.testing.assert_allclose(light["color"], theirs_light["color"], atol=1e-6)
        for key in ("innerConeAngle", "outerConeAngle"):
            if "spot" in light:
                assert light["spot"][key] == pytest.approx(theirs_light["spot"][key], abs=1e-6)
    # Blender's importer brings our file back to the compiled scene's values
    by_name = {light.name: light.light for light in resolve(scene).lights}
    assert imported["bulb"]["energy"] == pytest.approx(250, rel=1e-6)
    assert imported["aimed"]["energy"] == pytest.approx(800, rel=1e-6)
    assert imported["aimed"]["spot_size"] == pytest.approx(math.radians(60), rel=1e-6)
    assert imported["aimed"]["spot_blend"] == pytest.approx(0.3, abs=1e-5)
    assert imported["sun"]["energy"] == pytest.approx(2.5, rel=1e-6)
    np.testing.assert_allclose(np.asarray(imported["bulb"]["matrix"])[:3, 3], by_name["bulb"].at, atol=1e-6)
    camera = resolve(scene).camera
    np.testing.assert_allclose(imported["cam"]["matrix"], camera_pose(camera), atol=1e-6)
    for name in ("block_1", "block_2", "block_3", "ball_1"):
        assert imported[name]["type"] == "MESH"
