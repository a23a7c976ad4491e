"""`scenelang import` from .blend files, in the real Blender (the bpy wheel).

Round trip: every example is compiled and rendered in Blender (Cycles, 96 px on the longer side,
8 samples, seed 0) and saved as a .blend; the .blend is imported back to a .sl (one Blender scan
for all the files), which must validate; the import is rendered with the same settings. The two
renders must agree: PSNR >= 35 dB (Cycles, same seed) and silhouette IoU >= 0.98 (foreground
masks of Workbench renders against the border colour, `stages.metrics`). One persistent worker
does all the renders.

Hand-made: a .blend built with bpy's own operators (cube, UV sphere, cylinder, a boolean, a
parent, a linked duplicate, a point light, a monkey that is no primitive, and a text block set
to run on load, which must not run) imports into a scene that checks cleanly.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bpy_script import write_blend

from scenelang import ast as sl
from scenelang.backends.blender.runner import BlenderWorker, clean_env
from scenelang.backends.importers import import_file, import_scanned
from scenelang.backends.importers.blend import scan_blends
from scenelang.backends.meshes import world_matrix
from scenelang.cli.main import main as cli_main
from scenelang.compiler import RenderSettings
from scenelang.parser import load_scene, parse_scene
from scenelang.printer import print_scene
from scenelang.resolve import resolve
from scenelang.stages.metrics import foreground_mask, psnr, silhouette_iou
from scenelang.validate import check

pytestmark = pytest.mark.blender

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.sl"))
LONG_SIDE = 96
CYCLES = RenderSettings(samples=8, seed=0)
WORKBENCH = RenderSettings(engine="BLENDER_WORKBENCH")
MIN_PSNR = 35.0
MIN_IOU = 0.98


def _size(scene: sl.Scene) -> tuple[int, int]:
    w, h = scene.camera().resolution
    scale = LONG_SIDE / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


@pytest.fixture(scope="module")
def round_trips(tmp_path_factory) -> dict[str, dict]:
    """Per example: the imported text, PSNR and IoU of the renders (original vs import)."""
    out = tmp_path_factory.mktemp("import-round-trip")
    results: dict[str, dict] = {}
    with BlenderWorker(timeout=120) as worker:
        blends = []
        for path in EXAMPLES:
            scene = load_scene(path)
            size = _size(scene)
            stem = out / path.stem
            worker.render(scene, f"{stem}.png", blend=f"{stem}.blend", settings=CYCLES.with_(size=size))
            worker.render(scene, f"{stem}.wb.png", settings=WORKBENCH.with_(size=size))
            blends.append(Path(f"{stem}.blend"))
        entries = scan_blends(blends)
        for path, entry in zip(EXAMPLES, entries):
            target = out / f"{path.stem}-imported.sl"  # mesh assets go beside it
            result = import_scanned(entry, f"{path.stem}.blend", output=target)
            text = print_scene(result.scene)
            imported = parse_scene(text, str(target))
            warnings = check(imported)
            size = _size(load_scene(path))
            stem = out / f"{path.stem}-imported"
            worker.render(imported, f"{stem}.png", settings=CYCLES.with_(size=size))
            worker.render(imported, f"{stem}.wb.png", settings=WORKBENCH.with_(size=size))
            original = out / path.stem
            results[path.stem] = {
                "text": text, "report": result.report, "warnings": warnings,
                "psnr": psnr(f"{original}.png", f"{stem}.png"),
                "iou": silhouette_iou(foreground_mask(f"{original}.wb.png"),
                                      foreground_mask(f"{stem}.wb.png")),
            }
    for name, r in results.items():  # the numbers docs/import.md quotes (pytest -s shows them)
        print(f"round trip {name}: PSNR {r['psnr']:.1f} dB, IoU {r['iou']:.4f}")
    results["folder"] = out
    return results


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_every_example_round_trips(round_trips, example):
    r = round_trips[example]
    assert not r["report"].skipped, r["report"].skipped
    assert r["psnr"] >= MIN_PSNR, (r["psnr"], r["text"])
    assert r["iou"] >= MIN_IOU, (r["iou"], r["text"])


def test_textures_come_back_as_the_same_texture_statements(round_trips):
    """Every texture of the textures example (all six kinds, a bump among them) is read back
    from the .blend's node chains with the same parameters, plugged into the same material
    input; the tiled image comes back from the bytes packed into the .blend."""
    original = load_scene(ROOT / "examples" / "textures.sl")
    imported = parse_scene(round_trips["textures"]["text"])
    notes = round_trips["textures"]["report"].notes
    assert not [n for n in notes if "its own value is used" in n], notes

    def plugged(scene):
        textures = scene.textures_by_name()
        out = {}
        for name, definition in scene.materials_by_name().items():
            material = definition.material
            for key in ("base_color", "roughness", "bump"):
                value = getattr(material, key)
                if isinstance(value, str):
                    texture = textures[value].texture
                    if texture.kind == "image":  # written beside the import: compare the bytes
                        texture = texture.model_copy(update={"path": None})
                    out[(name, key)] = texture
            out[(name, "bump_strength")] = material.bump_strength
        return out

    assert plugged(imported) == plugged(original)
    tiles = next(t.texture for t in imported.textures_by_name().values() if t.texture.kind == "image")
    assert (round_trips["folder"] / tiles.path.value).read_bytes() == \
        (ROOT / "examples" / "assets" / "tiles.png").read_bytes()


def test_round_trip_keeps_structure(round_trips):
    """CSG stays CSG, linked duplicates share one shape, materials keep their names."""
    pawn = parse_scene(round_trips["chess_pawn"]["text"])
    shapes = pawn.shapes()
    assert {"board", "pawn", "half_pawn"} <= set(shapes)
    half = shapes["half_pawn"].shape
    assert isinstance(half, sl.Csg) and half.kind == "difference"
    assert half.operands[0] == sl.Ref(name="pawn")  # the earlier shape, referenced
    swatches = parse_scene(round_trips["material_swatches"]["text"])
    balls = [o for o in swatches.objects() if o.shape == "ball"]
    assert len(balls) == 6 and len(swatches.shapes()) == 2
    glass = swatches.materials_by_name()["glass"].material
    assert glass.transmission == 1 and glass.ior == pytest.approx(1.45)
    assert swatches.camera().lens == pytest.approx(28) and swatches.camera().sensor == pytest.approx(24)


@pytest.mark.parametrize("example", ["table_chairs", "garden_arrays"])
def test_round_trip_keeps_groups_instances_and_arrays(round_trips, example):
    """Groups come back as groups, an instance as an instance, arrays as arrays, every object
    (copies included, by name) at the original's world matrix within 1e-4."""
    original = resolve(load_scene(ROOT / "examples" / f"{example}.sl"))
    imported = parse_scene(round_trips[example]["text"])
    before = {o.name: world_matrix(o) for o in original.objects}
    after = {o.name: world_matrix(o) for o in resolve(imported).objects}
    assert set(before) == set(after)
    assert max(float(np.abs(before[n] - after[n]).max()) for n in before) < 1e-4
    top = {st.name: st for st in imported.composition.statements}
    if example == "table_chairs":
        assert top["chair_2"] == sl.InstanceDef(name="chair_2", source="chair_1", at=(0, 0.85, 0),
                                                rotate=(0, 0, 180))
        assert isinstance(top["table"], sl.GroupDef) and isinstance(top["lamp"], sl.GroupDef)
        assert [type(m) for m in top["chair_1"].members] == [sl.ObjectDef, sl.ArrayDef, sl.ObjectDef]
    else:
        assert top["stones"] == sl.ArrayDef(name="stones", source="stone", count=12,
                                            around=(0, 0, 0), at=(1.2, 0, 0.06), material="granite")
        assert top["fence"].members[0].offset == (0.3, 0, 0)


HAND_MADE = r"""
import sys
import bpy
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
bpy.ops.mesh.primitive_cube_add(size=1.5, location=(0, 0, 0.75))
cube = bpy.context.active_object
cube.name = 'Block'
bpy.ops.mesh.primitive_uv_sphere_add(radius=0.6, location=(0.75, 0, 1.2))
cutter = bpy.context.active_object
cutter.name = 'Cutter'
cutter.hide_render = True
mod = cube.modifiers.new('Carve', 'BOOLEAN')
mod.operation = 'DIFFERENCE'
mod.object = cutter
bpy.ops.mesh.primitive_cylinder_add(radius=0.3, depth=1, location=(2, 0, 0.5), rotation=(0, 0, 0.5))
post = bpy.context.active_object
post.name = 'Post'
bpy.ops.object.empty_add(location=(0, 2, 0))
group = bpy.context.active_object
group.name = 'Group'
post.parent = group
twin = post.copy()
twin.name = 'Post.001'
twin.location = (-2, 0, 0.5)
scene.collection.objects.link(twin)
bpy.ops.mesh.primitive_monkey_add(location=(0, -2, 1))
bpy.ops.object.light_add(type='POINT', location=(3, -3, 4))
light = bpy.context.active_object
light.data.energy = 800
bpy.ops.object.camera_add(location=(7, -7, 5), rotation=(1.1, 0, 0.785))
scene.camera = bpy.context.active_object
material = bpy.data.materials.new('Red Paint')
bsdf = material.node_tree.nodes['Principled BSDF']
bsdf.inputs['Base Color'].default_value = (0.8, 0.1, 0.05, 1)
bsdf.inputs['Roughness'].default_value = 0.3
cube.data.materials.append(material)
props = bpy.data.collections.new('Props')  # a collection instance: reported, not dropped
props.objects.link(bpy.data.objects.new('PropCube', bpy.data.meshes.new('PropMesh')))
instance = bpy.data.objects.new('PropInstance', None)
instance.instance_type = 'COLLECTION'
instance.instance_collection = props
scene.collection.objects.link(instance)
evil = bpy.data.texts.new('evil.py')  # registered to run when the file loads: must not run
evil.write("open(" + repr(sys.argv[-1] + '.ran') + ", 'w').write('ran')")
evil.use_module = True
bpy.ops.wm.save_as_mainfile(filepath=sys.argv[-1])
"""


@pytest.fixture(scope="module")
def hand_blend(tmp_path_factory) -> Path:
    return write_blend(HAND_MADE, tmp_path_factory.mktemp("hand-made") / "hand.blend")


def test_hand_made_blend_imports(hand_blend, tmp_path, capsys):
    blend = hand_blend
    out = tmp_path / "hand.sl"
    assert cli_main(["import", str(blend), "-o", str(out)]) == 0
    printed = capsys.readouterr().err
    assert not Path(f"{blend}.ran").exists()  # the file's own Python never ran
    assert cli_main(["check", str(out)]) == 0
    assert capsys.readouterr().err.strip() == f"{out}: ok"  # checks cleanly: no warnings either
    text = out.read_text()
    scene = parse_scene(text, "hand.sl")
    resolved = {o.name: o for o in resolve(scene).objects}
    assert set(resolved) == {"Block", "Post", "Post_001", "Suzanne"}, text
    objects = {name: o.definition for name, o in resolved.items()}
    monkey = scene.shapes()[objects["Suzanne"].shape].shape  # no primitive: a mesh asset
    assert monkey == sl.MeshAsset(path=sl.String(value="hand_assets/Suzanne.ply"))
    assert (tmp_path / "hand_assets" / "Suzanne.ply").is_file()
    block = scene.shapes()[objects["Block"].shape].shape
    assert isinstance(block, sl.Csg) and block.kind == "difference"
    assert block.operands[0] == sl.Box(size=(1.5, 1.5, 1.5))
    sphere = block.operands[1]
    assert isinstance(sphere, sl.Sphere) and sphere.radius == pytest.approx(0.6)
    assert sphere.at == pytest.approx((0.75, 0, 0.45))
    # the linked duplicate shares the cylinder's shape; the parent Empty is a group
    assert objects["Post"].shape == objects["Post_001"].shape
    assert scene.shapes()[objects["Post"].shape].shape == sl.Cylinder(radius=0.3, depth=1)
    group = next(st for st in scene.composition.statements if isinstance(st, sl.GroupDef))
    assert group.name == "Group" and group.at == (0, 2, 0)
    assert [m.name for m in group.members] == ["Post", "Post_001"]
    assert objects["Post"].at == pytest.approx((2, 0, 0.5))  # relative to the group
    assert world_matrix(resolved["Post"])[:3, 3] == pytest.approx((2, 2, 0.5))
    assert objects["Post"].rotate == pytest.approx((0, 0, 28.6479), abs=1e-3)
    assert objects["Block"].material == "Red_Paint"
    red = scene.materials_by_name()["Red_Paint"].material
    assert red.roughness == pytest.approx(0.3) and red.base_color.linear() == pytest.approx((0.8, 0.1, 0.05))
    (light,) = scene.lights()
    assert isinstance(light.light, sl.Point) and light.light.energy == 800
    assert light.light.at == (3, -3, 4)
    assert "recognised: object Block: difference(box, sphere)" in printed
    assert "flattened:" not in printed
    assert "note: mesh Suzanne: not a primitive" in printed, printed
    assert "written as mesh asset hand_assets/Suzanne.ply" in printed
    # the instanced collection holds an empty mesh: its copy is skipped with the reason
    assert "skipped: object PropCube: mesh 'PropMesh' is not a primitive: the mesh is empty" in printed
    assert import_file(blend, output=out).scene == scene  # the library gives what the command wrote


GLTF_EXPORT = r"""
import sys
import bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[-2])
bpy.ops.export_scene.gltf(filepath=sys.argv[-1], export_lights=True, export_cameras=True)
"""


def test_blenders_own_gltf_export_imports(hand_blend, tmp_path):
    """Blender's glTF exporter (its vertex order, split vertices, light units) reads back."""
    glb = tmp_path / "hand.glb"
    proc = subprocess.run([sys.executable, "-c", GLTF_EXPORT, str(hand_blend), str(glb)],
                          capture_output=True, text=True, timeout=120, env=clean_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = import_file(glb)
    scene = parse_scene(print_scene(result.scene))
    check(scene)
    resolved = {o.name: o for o in resolve(scene).objects}
    assert resolved["Post"].parent == "Group"  # the Empty's node is a group again
    objects = {name: o.definition for name, o in resolved.items()}
    assert objects["Post"].shape == objects["Post_001"].shape
    assert scene.shapes()[objects["Post"].shape].shape == sl.Cylinder(radius=0.3, depth=1)
    assert world_matrix(resolved["Post_001"])[:3, 3] == pytest.approx((-2, 2, 0.5), abs=1e-5)
    assert scene.shapes()[objects["Block"].shape].shape == sl.Box(size=(1.5, 1.5, 1.5))
    (light,) = scene.lights()
    assert isinstance(light.light, sl.Point) and light.light.energy == pytest.approx(800, rel=1e-3)
    assert scene.camera().at == pytest.approx((7, -7, 5), abs=1e-5)
    assert any("Suzanne" in s for s in result.report.skipped)
