"""The description -> scene step of `scenelang import` (`backends/importers/tosl.py`): numbers,
colours, names, transforms, lights, and what is skipped with a reason."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenelang import ast as sl
from scenelang.backends.importers.model import Description, LightData, MeshData, ObjectData, Operand
from scenelang.backends.importers.tosl import (
    AssetFolder,
    Unsupported,
    clean,
    color,
    decompose,
    light_ast,
    to_scene,
    valid_name,
)
from scenelang.compiler.runtime.primitives import PRIMITIVES
from scenelang.printer import print_scene
from scenelang.validate import check


def test_numbers_lose_float32_noise():
    assert clean(np.float32(0.76)) == 0.76 and clean(-1e-12) == 0.0
    assert math.copysign(1, clean(-0.0)) == 1
    assert clean(63.86529541015625) == 63.8653


def test_colours_as_written_by_hand_or_as_hex():
    assert color((0.8, 0.8, 0.8, 1)) == sl.RGB(r=0.8, g=0.8, b=0.8)
    assert color(np.float32(sl.HexColor(hex="c0392b").linear())) == sl.HexColor(hex="c0392b")
    assert color((0.123456, 0.5, 2.0)) == sl.RGB(r=0.123456, g=0.5, b=1)  # clamped to 0..1


def test_names_become_valid_and_unique():
    taken: set[str] = set()
    assert valid_name("Cube.001", taken, "x") == "Cube_001"
    assert valid_name("Cube.001", taken, "x") == "Cube_001_2"
    assert valid_name("2 Balls", taken, "x") == "_2_Balls"
    assert valid_name("", taken, "shape") == "shape"
    assert len(valid_name("n" * 100, taken, "x")) <= 64


def test_decompose_keeps_the_files_euler_and_refuses_shear():
    m = np.eye(4)
    angle = math.radians(200)
    m[:2, :2] = [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
    _, rotate, _ = decompose(m, (0.0, 0.0, angle))
    assert rotate == pytest.approx((0, 0, 200))
    _, rotate, _ = decompose(m)
    assert rotate == pytest.approx((0, 0, -160))
    sheared = np.eye(4)
    sheared[0, 1] = 0.5
    with pytest.raises(Unsupported, match="shear"):
        decompose(sheared)


def test_scaled_area_light_keeps_its_emitter_size():
    m = np.diag([2.0, 1.0, 1.0, 1.0])
    light = light_ast(LightData("a", "area", m, 100.0, (1, 1, 1), size=1.0, size_y=1.0, shape="SQUARE"))
    assert (light.shape, light.size, light.size_y) == ("rectangle", 2, 1)
    disk = light_ast(LightData("d", "area", np.eye(4), 100.0, (1, 1, 1), size=2.0, size_y=1.0, shape="DISK"))
    assert (disk.shape, disk.size, disk.size_y) == ("disk", 2, None)


def _object(name, kind, params, matrix=None, operands=()):
    vertices, faces = PRIMITIVES[kind](**params)
    return ObjectData(name, MeshData(f"{name}_mesh", np.asarray(vertices), [list(f) for f in faces]),
                      np.eye(4) if matrix is None else matrix, operands=list(operands))


def test_mirrored_object_mirrors_its_primitive_and_csg_nests():
    mirrored = np.diag([-1.0, 1.0, 1.0, 1.0])
    mirrored[:3, 3] = (1, 2, 3)
    cutter = _object("cut", "sphere", {"radius": 0.5, "segments": 8, "rings": 4})
    moved = np.eye(4)
    moved[:3, 3] = (0, 0, 0.5)
    boxed = _object("boxed", "box", {"size": (1, 1, 1)},
                    operands=[Operand("difference", cutter, moved)])
    description = Description(source="t", objects=[_object("cone", "cone", {
        "radius": 1, "depth": 2, "top_radius": 0, "vertices": 5}, mirrored), boxed],
        world=((0.05, 0.05, 0.05), 1.0))
    scene, report = to_scene(description)
    check(scene)
    cone = scene.objects()[0]
    assert cone.at == (1, 2, 3) and cone.scale == 1
    shape = scene.shapes()[cone.shape].shape
    assert isinstance(shape, sl.Cone) and shape.radius == 1 and shape.vertices == 5
    assert scene.shapes()["boxed_mesh"].shape == sl.Csg(kind="difference", operands=(
        sl.Box(size=(1, 1, 1)), sl.Sphere(radius=0.5, segments=8, rings=4, at=(0, 0, 0.5))))
    assert "difference(box, sphere)" in " ".join(report.recognised)
    assert "scenelang 1" in print_scene(scene)


def test_unrecognised_and_sheared_objects_are_skipped_with_reasons():
    sheared = np.eye(4)
    sheared[0, 1] = 0.7
    blob = ObjectData("blob", MeshData("blob", np.random.default_rng(0).random((30, 3)), None), np.eye(4))
    description = Description(source="t", objects=[
        blob, _object("tilted", "cylinder", {"radius": 1, "depth": 1, "vertices": 8}, sheared),
        ObjectData("huge", MeshData("huge", None, None), np.eye(4))])
    scene, report = to_scene(description)
    assert scene.objects() == []
    reasons = " | ".join(report.skipped)
    assert "blob" in reasons and "write the scene to a file to keep it as a mesh asset" in reasons
    assert "tilted" in reasons and "shear" in reasons
    assert "huge" in reasons and "too large" in reasons
    assert any("black background" in n for n in report.notes)


def test_meshes_that_are_no_primitive_become_shared_ply_assets_with_part_materials(tmp_path):
    """One PLY per distinct mesh (n-gons kept, float32 exact), `mesh(path=...)` beside the output,
    and an operand's slot material as its `material` clause."""
    import trimesh

    # a concave L outline extruded: its 8-gon caps must stay 8-gons (a fan would be wrong)
    outline = [(0, 0), (0.6, 0), (0.6, 0.1), (0.1, 0.1), (0.1, 0.5), (0, 0.5)]
    vertices = np.array([(x, y, z) for z in (0.0, 0.25) for x, y in outline])
    faces = [[0, 1, 2, 3, 4, 5], [11, 10, 9, 8, 7, 6]] + [[i, (i + 1) % 6, (i + 1) % 6 + 6, i + 6]
                                                          for i in range(6)]
    bracket = MeshData("bracket", vertices, faces)
    cutter = _object("cutter", "box", {"size": (0.2, 0.2, 0.2)})
    cutter.part_material = "red"
    description = Description(source="t", objects=[
        ObjectData("a", bracket, np.eye(4), material="steel"),
        ObjectData("b", bracket, np.eye(4), material="steel",
                   operands=[Operand("difference", cutter, np.eye(4))])],
        materials={"steel": {"base_color": (0.5, 0.5, 0.5)}, "red": {"base_color": (1, 0, 0)}})
    scene, report = to_scene(description, AssetFolder(tmp_path / "out_assets"))
    assert not report.skipped
    shapes = scene.shapes()
    assert shapes["bracket"].shape == sl.MeshAsset(path=sl.String(value="out_assets/bracket.ply"))
    cut = shapes["bracket_2"].shape
    assert cut.operands[0] == sl.Ref(name="bracket") and cut.operands[1].material == "red"
    assert sorted(p.name for p in (tmp_path / "out_assets").iterdir()) == ["bracket.ply"]
    text = (tmp_path / "out_assets" / "bracket.ply").read_bytes()
    assert b"element face 8\n" in text
    loaded = trimesh.load(tmp_path / "out_assets" / "bracket.ply", process=False)
    assert np.array_equal(np.asarray(loaded.vertices), vertices.astype(np.float32))
    assert sum("written as mesh asset out_assets/bracket.ply" in n for n in report.notes) == 1


def test_the_compilers_default_grey_is_left_out_and_a_changed_one_kept():
    # docs/import.md: a material named scenelang_default_grey that equals principled() (what the
    # compiler gives objects without a material) is left out; edited, it is an ordinary material
    plain = _object("plain", "box", {"size": (1, 1, 1)})
    plain.material = "scenelang_default_grey"
    edited = _object("edited", "box", {"size": (1, 1, 1)})
    edited.material = "scenelang_default_grey.001"
    description = Description(source="t", objects=[plain, edited], materials={
        "scenelang_default_grey": {}, "scenelang_default_grey.001": {"roughness": 0.2}})
    scene, _ = to_scene(description)
    check(scene)
    by_name = {o.name: o for o in scene.objects()}
    assert by_name["plain"].material is None
    assert by_name["edited"].material == "scenelang_default_grey_001"
    assert list(scene.materials_by_name()) == ["scenelang_default_grey_001"]
    assert scene.materials_by_name()["scenelang_default_grey_001"].material.roughness == 0.2
