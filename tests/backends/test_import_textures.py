"""Textures read back from scanned node chains (`backends/importers/textures.py`), without Blender.

The chains are written as the scan describes them (`backends/blender/scan.node_entry`); the
round trip through real .blend files is in `test_import_blend.py`. Here: what each kind needs,
what is refused with the reason (so the material keeps its own value), and the confinement of
image files a .blend refers to.
"""

from __future__ import annotations

import base64
import math
import os

import numpy as np
import pytest

from scenelang import ast as sl
from scenelang.backends.importers.model import Description, MeshData, ObjectData
from scenelang.backends.importers.textures import WAVE_UNIT, material_textures
from scenelang.backends.importers.tosl import AssetFolder, to_scene
from scenelang.printer import print_scene

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 24


def node(kind, inputs=None, **properties):
    return {"type": f"ShaderNode{kind}", "name": kind, "properties": properties,
            "inputs": inputs or {}}


def link(from_node, output="Color"):
    return {"from": from_node, "output": output}


def coords(output="Object"):
    return link(node("TexCoord"), output)


def mapping(vector, location=(0, 0, 0), rotation=(0, 0, 0), scale=(1, 1, 1)):
    return link(node("Mapping", {"Vector": vector, "Location": list(location),
                                 "Rotation": list(rotation), "Scale": list(scale)},
                     vector_type="POINT"), "Vector")


def ramp(factor, c1=(0.2, 0.2, 0.2), c2=(0.8, 0.8, 0.8), stops=None, interpolation="LINEAR"):
    entry = node("ValToRGB", {"Factor": factor})
    entry["ramp"] = {"interpolation": interpolation,
                     "stops": stops or [[0.0, [*c1, 1.0]], [1.0, [*c2, 1.0]]]}
    return link(entry)


def noise(**changes):
    inputs = {"Vector": coords(), "Scale": 20.0, "Detail": 3.0, "Roughness": 0.5,
              "Lacunarity": 2.0, "Distortion": 0.0}
    props = {"noise_dimensions": "3D", "noise_type": "FBM", "normalize": True}
    for key, value in changes.items():
        (inputs if key[0].isupper() else props)[key] = value
    return link(node("TexNoise", inputs, **props), "Factor")


def image_node(image, vector=None, projection="BOX"):
    return link(node("TexImage", {"Vector": vector or mapping(coords(), scale=(2, 2, 2))},
                     projection=projection, extension="REPEAT"))
    # (the image entry is set by the caller)


def with_image(chain, image):
    chain["from"]["image"] = image
    return chain


def read(drivers, folder=None, written=None):
    def images(name, data, suffix):
        written.append((name, data, suffix))
        return f"out/{name}{suffix}"
    return material_textures(drivers, folder=folder, images=images if written is not None else None)


def test_each_kind_is_read_with_its_parameters():
    checker = link(node("TexChecker", {"Vector": coords(), "Color1": [1.0, 1.0, 1.0, 1],
                                       "Color2": [0.0, 0.0, 0.0, 1], "Scale": 4.0}))
    wave = node("TexWave", {"Vector": coords(), "Scale": 6 * WAVE_UNIT, "Distortion": 0.0,
                            "Phase Offset": 0.0}, wave_type="RINGS", rings_direction="Z",
                bands_direction="X", wave_profile="SAW")
    found, reasons = read({"base_color": checker, "roughness": ramp(link(wave, "Fac")),
                           "normal": link(node("Bump", {"Strength": 0.25, "Distance": 0.02,
                                                        "Height": ramp(noise())}, invert=False),
                                          "Normal")})
    assert reasons == []
    assert found["base_color"] == sl.Checker(color1=sl.RGB(r=1, g=1, b=1), color2=sl.RGB(r=0, g=0, b=0),
                                             scale=4)
    assert found["roughness"] == sl.Wave(color1=sl.RGB(r=0.2, g=0.2, b=0.2),
                                         color2=sl.RGB(r=0.8, g=0.8, b=0.8), scale=6,
                                         pattern="rings", axis="z", profile="saw")
    assert found["bump"] == sl.Noise(color1=sl.RGB(r=0.2, g=0.2, b=0.2),
                                     color2=sl.RGB(r=0.8, g=0.8, b=0.8), scale=20, detail=3)
    assert found["bump_strength"] == 0.25


@pytest.mark.parametrize("axis, rotation", [("x", (0, 0, 0)), ("y", (0, 0, -math.pi / 2)),
                                            ("z", (0, math.pi / 2, 0))])
def test_a_gradient_gets_its_axis_start_and_end_from_the_mapping(axis, rotation):
    start, end = -0.5, 1.5  # Mapping: R (S v) + L puts start..end on 0..1
    length = end - start
    gradient = node("TexGradient", {"Vector": mapping(coords(), (-start / length, 0, 0), rotation,
                                                      (1 / length,) * 3)}, gradient_type="EASING")
    found, reasons = read({"base_color": ramp(link(gradient, "Fac"))})
    assert reasons == []
    assert (found["base_color"].axis, found["base_color"].start, found["base_color"].end,
            found["base_color"].ease) == (axis, start, end, "easing")


def test_a_brick_wall_and_floor():
    inputs = {"Color1": [0.5, 0.1, 0.1, 1], "Color2": [0.3, 0.1, 0.1, 1], "Mortar": [0.7, 0.7, 0.7, 1],
              "Scale": 2.5, "Mortar Size": 0.02, "Mortar Smooth": 0.1, "Bias": 0.0,
              "Brick Width": 0.5, "Row Height": 0.25}
    props = {"offset": 0.5, "offset_frequency": 2, "squash": 1.0, "squash_frequency": 2}
    wall = link(node("TexBrick", {**inputs, "Vector": mapping(coords(), rotation=(-math.pi / 2, 0, 0))}, **props))
    floor = link(node("TexBrick", {**inputs, "Vector": coords()}, **props))
    assert read({"base_color": wall})[0]["base_color"].plane == "xz"
    assert read({"base_color": floor})[0]["base_color"].plane == "xy"
    squashed = link(node("TexBrick", {**inputs, "Vector": coords()}, **{**props, "squash": 2.0}))
    assert read({"base_color": squashed}) == ({}, ["base color: Brick's squash is 2.0; the "
                                                   "language's brick has 1 only"])


@pytest.mark.parametrize("drivers, reason", [
    ({"base_color": link(node("TexVoronoi", {"Vector": coords()}))},
     "driven by a TexVoronoi node, which the language has no texture for"),
    ({"base_color": ramp(noise(), stops=[[0.0, [0, 0, 0, 1]], [0.5, [1, 1, 1, 1]], [1.0, [0, 0, 0, 1]]])},
     "a Color Ramp other than two linear stops at 0 and 1"),
    ({"base_color": ramp(noise(), interpolation="CONSTANT")}, "a Color Ramp other than two linear stops"),
    ({"base_color": ramp(noise(noise_type="RIDGED_MULTIFRACTAL"))}, "Noise's type RIDGED_MULTIFRACTAL"),
    ({"base_color": ramp(noise(Vector=coords("Generated")))}, "TexNoise reads Generated coordinates"),
    ({"base_color": ramp(noise(Vector=mapping(coords(), scale=(2, 2, 2))))},
     "through a Mapping the language does not make"),
    ({"base_color": ramp(noise(Lacunarity=3.0))}, "TexNoise's Lacunarity is 3"),
    ({"base_color": ramp(noise(Scale={"from": None, "output": None}))}, "Scale is driven by other nodes"),
    ({"roughness": ramp(noise(), c1=(0, 0, 0))} | {"normal": link(node(
        "Bump", {"Strength": 1.0, "Distance": 0.1, "Height": ramp(noise())}, invert=False), "Normal")},
     "a Bump distance of 0.1 m"),
    ({"normal": link(node("NormalMap", {}), "Normal")}, "driven by a NormalMap node"),
    ({"base_color": {"from": None, "output": None}}, "a chain too long or cut off"),
])
def test_what_the_language_cannot_say_is_refused_with_the_reason(drivers, reason):
    found, reasons = read(drivers)
    assert len(reasons) == 1 and reason in reasons[0], reasons
    assert not {"base_color", "bump"} & set(found)


def test_a_packed_image_is_written_beside_the_output():
    written = []
    chain = with_image(image_node(None), {"name": "tiles.png", "packed": base64.b64encode(PNG).decode()})
    found, reasons = read({"base_color": chain}, written=written)
    assert reasons == [] and written == [("tiles", PNG, ".png")]
    assert found["base_color"] == sl.ImageTexture(path=sl.String(value="out/tiles.png"), scale=2)
    uv = with_image(image_node(None, vector=coords("UV"), projection="FLAT"),
                    {"name": "tiles.png", "packed": base64.b64encode(PNG).decode()})
    assert read({"base_color": uv}, written=[])[0]["base_color"].mapping == "uv"


def test_image_files_are_confined_to_the_blends_folder(tmp_path):
    folder, outside = tmp_path / "scene", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    (folder / "in.png").write_bytes(PNG)
    (outside / "out.png").write_bytes(PNG)
    os.symlink(outside / "out.png", folder / "link.png")
    (folder / "fake.png").write_bytes(b"#!/bin/sh\necho not an image\n")

    def attempt(path):
        written = []
        chain = with_image(image_node(None), {"name": os.path.basename(path), "path": str(path)})
        found, reasons = read({"base_color": chain}, folder=folder, written=written)
        return found, reasons, written

    found, reasons, written = attempt(folder / "in.png")
    assert reasons == [] and written == [("in", PNG, ".png")]
    for path, reason in [(outside / "out.png", "is outside the .blend's folder"),
                         (folder / ".." / "elsewhere" / "out.png", "is outside the .blend's folder"),
                         (folder / "link.png", "is outside the .blend's folder"),
                         (folder / "missing.png", "not found"),
                         (folder / "fake.png", "is not a PNG or JPEG file")]:
        found, reasons, written = attempt(path)
        assert len(reasons) == 1 and reason in reasons[0], (path, reasons)
        assert written == [] and found == {}
    chain = with_image(image_node(None), {"name": "in.png", "path": str(folder / "in.png")})
    assert "no folder to write it to" in read({"base_color": chain}, folder=folder)[1][0]
    assert "is not packed" in read({"base_color": chain}, folder=None, written=[])[1][0]


def test_to_scene_writes_shared_textures_once_and_notes_the_rest(tmp_path):
    checker = link(node("TexChecker", {"Vector": coords(), "Color1": [1.0, 1.0, 1.0, 1],
                                       "Color2": [0.0, 0.0, 0.0, 1], "Scale": 4.0}))
    voronoi = link(node("TexVoronoi", {"Vector": coords()}))
    box = MeshData("cube", np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float),
                   [[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3]])
    description = Description(source="test.blend", materials={
        "A": {"base_color": (0.5, 0.5, 0.5), "roughness": 0.3, "drivers": {"base_color": checker}},
        "B": {"base_color": (0.5, 0.5, 0.5), "drivers": {"base_color": checker, "roughness": voronoi}},
    }, objects=[ObjectData("a", box, np.eye(4), material="A"), ObjectData("b", box, np.eye(4), material="B")])
    scene, report = to_scene(description, AssetFolder(tmp_path / "x_assets"))
    textures = scene.textures_by_name()
    assert list(textures) == ["A_color"] and textures["A_color"].texture.kind == "checker"
    materials = scene.materials_by_name()
    assert materials["A"].material.base_color == materials["B"].material.base_color == "A_color"
    assert materials["B"].material.roughness == 0.5  # its own value: the language has no voronoi
    assert any(n.startswith("material B: roughness: driven by a TexVoronoi") for n in report.notes)
    assert "texture A_color = checker(" in print_scene(scene)
