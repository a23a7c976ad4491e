"""Textures outside the language (its side: tests/core/test_textures.py): the preview's
per-pixel evaluation (Cycles' formulas), mean colours for flat consumers, the compiled script's
texture nodes, glTF's `baseColorTexture`, and the preview against a tiny Cycles render.

`test_textured_preview_matches_cycles` (Blender, 64 x 48, 16 samples, denoised) compares the
pixels inside pattern cells of six textures (one of each kind); the silhouettes of examples/textures.sl are
compared with Blender's with every example in tests/backends/test_preview.py.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scenelang import ast as A
from scenelang.backends.export import export_scene
from scenelang.backends.meshes import scene_meshes
from scenelang.backends.preview import render_preview
from scenelang.backends.textures import evaluate, flat_material, mean_color
from scenelang.compiler.compile import compile_scene
from scenelang.parser import load_scene, parse_scene

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "textures.sl"
RED, BLUE = A.RGB(r=1, g=0, b=0), A.RGB(r=0, g=0, b=1)


def test_checker_follows_cycles_parity_rule():
    t = A.Checker(color1=RED, color2=BLUE, scale=2)
    points = np.array([[0.1, 0.1, 0.1], [0.6, 0.1, 0.1], [0.6, 0.6, 0.1], [-0.1, 0.1, 0.1],
                       [0.1, 0.1, 0.6]])
    got = evaluate(t, points, np.zeros_like(points))
    # cells (0,0,0) -> color2 ((x%2 == y%2) == (z%2) is False), (1,0,0) -> color1, ...
    assert got.tolist() == [[0, 0, 1], [1, 0, 0], [0, 0, 1], [1, 0, 0], [1, 0, 0]]


def test_wave_gradient_and_brick_values():
    bands = A.Wave(color1=RED, color2=BLUE, scale=2)  # 2 waves per metre along x
    got = evaluate(bands, np.array([[0, 0, 0], [0.25, 0, 0], [0.5, 0, 0]]), np.zeros((3, 3)))
    assert got[:, 2] == pytest.approx([0, 1, 0], abs=1e-4)  # trough, crest, trough
    ramp = A.Gradient(color1=RED, color2=BLUE, axis="z", start=0, end=2)
    got = evaluate(ramp, np.array([[5, 5, -1], [0, 0, 1], [0, 0, 3]]), np.zeros((3, 3)))
    assert got[:, 2].tolist() == [0, 0.5, 1]
    eased = evaluate(ramp.model_copy(update={"ease": "easing"}), np.array([[0, 0, 0.5]]), np.zeros((1, 3)))
    assert eased[0, 2] == pytest.approx(3 * 0.25**2 - 2 * 0.25**3)
    wall = A.Brick(color1=RED, color2=RED, mortar=BLUE, scale=1)  # xz plane, rows 0.25 high
    got = evaluate(wall, np.array([[0.2, 0.3, 0.1], [0.2, 0.3, 0.4], [0.2, 0.3, 0.005]]), np.zeros((3, 3)))
    assert got.tolist() == [[1, 0, 0], [1, 0, 0], [0, 0, 1]]  # brick, brick, joint


def test_box_mapped_image_picks_the_side_by_normal(tmp_path):
    pixels = np.zeros((2, 2, 3), np.uint8)
    pixels[1, 0] = (255, 0, 0)  # bottom-left in the file = Blender's (u, v) = (0, 0)
    Image.fromarray(pixels).save(tmp_path / "t.png")
    scene = parse_scene('scenelang 1\nmaterials {\n  texture t = image(path="t.png")\n}\n',
                        str(tmp_path / "s.sl"))
    t = scene.materials.statements[0].texture
    points = np.array([[0.0, 0.25, 0.25], [0.25, 0.0, 0.25], [0.25, 0.25, 0.0]])
    normals = np.array([[1.0, 0, 0], [0, -1.0, 0], [0, 0, -1.0]])
    got = evaluate(t, points, normals)
    assert got.tolist() == [[1, 0, 0]] * 3
    assert evaluate(t, points, -normals)[0].tolist() == [0, 0, 0]  # the mirrored side
    assert mean_color(t) == pytest.approx((0.25, 0, 0))


def test_flat_material_replaces_textures_by_their_means():
    textures = {"c": A.TextureDef(name="c", texture=A.Checker(color1=RED, color2=BLUE))}
    flat = flat_material(A.Principled(base_color="c", roughness="c", bump="c"), textures)
    assert flat.base_color == A.RGB(r=0.5, g=0, b=0.5) and flat.bump is None
    assert flat.roughness == pytest.approx(0.5 * 0.2126 + 0.5 * 0.0722)
    plain = A.Principled(roughness=0.3)
    assert flat_material(plain, textures) is plain


def test_preview_draws_the_example_patterns():
    scene = load_scene(EXAMPLE)
    meshes = scene_meshes(scene)
    floor = next(m for m in meshes if m.name == "floor_1")
    assert isinstance(floor.base_texture, A.Checker)
    assert floor.color == pytest.approx(mean_color(floor.base_texture))
    preview = render_preview(scene, 200)
    ids = preview.object_id
    floor_colours = preview.color[ids == [m.name for m in meshes].index("floor_1")]
    # a checker floor: both colours appear (dark and light squares)
    assert floor_colours.max(axis=0).sum() - floor_colours.min(axis=0).sum() > 1.0


def test_compiled_script_builds_texture_nodes():
    script = compile_scene(load_scene(EXAMPLE))  # passes compiler/script_check.py
    for kind in ("checker", "wave", "noise", "brick", "gradient", "image"):
        assert f"= texture_spec('{kind}', " in script
    assert f"'path': {str(ROOT / 'examples' / 'assets' / 'tiles.png')!r}" in script
    assert "bump=textures['knots'], bump_strength=0.3" in script
    for node in ("ShaderNodeTexChecker", "ShaderNodeTexNoise", "ShaderNodeTexWave",
                 "ShaderNodeTexBrick", "ShaderNodeTexGradient", "ShaderNodeTexImage",
                 "ShaderNodeBump"):
        assert f"'{node}'" in script


def _glb_json(path: Path) -> dict:
    data = path.read_bytes()
    (length,) = struct.unpack("<I", data[12:16])
    return json.loads(data[20:20 + length])


def test_gltf_writes_the_image_as_base_color_texture_and_the_rest_as_means(tmp_path):
    scene = load_scene(EXAMPLE)
    export_scene(scene, tmp_path / "t.glb")
    doc = _glb_json(tmp_path / "t.glb")
    materials = {m["name"]: m for m in doc["materials"]}
    tile = materials["tile_mat"]["pbrMetallicRoughness"]
    assert tile["baseColorTexture"] == {"index": 0} and tile["baseColorFactor"][:3] == [1, 1, 1]
    assert doc["images"][0]["mimeType"] == "image/png"
    assert doc["samplers"] == [{"wrapS": 10497, "wrapT": 10497}]
    meshes = {m["name"]: m for m in doc["meshes"]}
    assert "TEXCOORD_0" in meshes["block"]["primitives"][0]["attributes"]
    assert "TEXCOORD_0" not in meshes["floor"]["primitives"][0]["attributes"]
    floor = materials["floor_mat"]["pbrMetallicRoughness"]
    checker = scene.textures_by_name()["squares"].texture
    assert floor["baseColorFactor"][:3] == pytest.approx(mean_color(checker))
    assert "baseColorTexture" not in floor


SWATCHES = """scenelang 1

geometry {
  shape tile = plane(size=1)
  shape cube = box(size=(1, 1, 1))
}

materials {
  texture squares = checker(color1=#f0f0f0, color2=#101010, scale=3)
  texture stripes = wave(color1=#202080, color2=#e0e040, scale=1, distortion=1)
  texture wall = brick(color1=#c04020, color2=#903018, mortar=#e0e0e0, scale=1, plane=xy)
  texture ramp = gradient(color1=#000000, color2=#ffffff, axis=x, start=-0.5, end=0.5)
  texture tiles = image(path="assets/tiles.png", scale=2)
  texture clouds = noise(color1=#102040, color2=#f0e0c0, scale=2, detail=1)
  material m1 = principled(base_color=squares, specular=0)
  material m2 = principled(base_color=stripes, specular=0)
  material m3 = principled(base_color=wall, specular=0)
  material m4 = principled(base_color=ramp, specular=0)
  material m5 = principled(base_color=tiles, specular=0)
  material m6 = principled(base_color=clouds, specular=0)
}

composition {
  camera top at (0, 0, 4.6) rotate (0, 0, 0) lens 50mm resolution (128, 96)
  object a = tile at (-1.1, 0.55, 0) material m1
  object b = tile at (0, 0.55, 0) material m2
  object c = tile at (1.1, 0.55, 0) material m3
  object d = tile at (-1.1, -0.55, 0) material m4
  object e = cube at (0, -0.55, -0.5) material m5
  object f = tile at (1.1, -0.55, 0) material m6
}

lighting {
  world color #ffffff strength 1
}
"""


@pytest.mark.blender
def test_textured_preview_matches_cycles(tmp_path):
    """Six textures seen from above under a white sky (a lit surface then shows its base colour;
    no specular, which the preview does not draw):
    the preview's pixels match a small Cycles render (64 x 48, 16 samples, denoised)."""
    from scenelang.backends.blender.runner import render_scene
    from scenelang.compiler import RenderSettings

    file = ROOT / "examples" / "_swatches.sl"  # beside examples/assets (never written there)
    scene = parse_scene(SWATCHES, str(file))
    size = (64, 48)
    result = render_scene(scene, tmp_path / "c.png", timeout=120, settings=RenderSettings(
        samples=16, seed=0, denoise=True, size=size, threads=2))
    cycles = np.asarray(Image.open(result.png).convert("RGB"), dtype=np.float64) / 255
    preview = render_preview(scene, size)
    # pixels inside a pattern cell: the preview's 3 x 3 neighbourhood is one colour (Cycles
    # averages each pixel's area, the preview samples its centre: edges differ by design)
    colour = preview.color
    padded = np.pad(colour, ((1, 1), (1, 1), (0, 0)), mode="edge")
    spread = np.max([np.abs(padded[1 + dy:1 + dy + size[1], 1 + dx:1 + dx + size[0]] - colour).max(axis=2)
                     for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=0)
    inside = preview.silhouette & (spread < 0.05)
    assert inside.sum() > 300
    diff = np.abs(colour - cycles).max(axis=2)[inside]
    close = float((diff < 0.1).mean())
    print(f"{inside.sum()} pixels inside cells, {close:.1%} agree")
    assert close >= 0.95, f"only {close:.0%} of the pixels inside pattern cells agree"


@pytest.mark.blender
def test_uv_mapping_on_a_primitive_uses_the_box_projected_uv_map(tmp_path):
    """A primitive has no UV map: the script gives it a box-projected one, so `mapping=uv`
    renders like `mapping=box` (Cycles, 64 x 48, same seed); a UV-less mesh would show one
    constant colour instead."""
    from scenelang.backends.blender.runner import BlenderWorker
    from scenelang.compiler import RenderSettings

    text = (SWATCHES.replace('image(path="assets/tiles.png", scale=2)',
                             'image(path="assets/tiles.png", scale=2, mapping=MAPPING)')
            .replace("camera top at (0, 0, 4.6) rotate (0, 0, 0)",
                     "camera top at (2, -2.5, 2) look_at (0, -0.55, -0.2)"))
    settings = RenderSettings(samples=8, seed=0, size=(64, 48), threads=2)
    images = {}
    with BlenderWorker(timeout=120) as worker:
        for mapping in ("box", "uv"):
            scene = parse_scene(text.replace("MAPPING", mapping), str(ROOT / "examples" / "_uv.sl"))
            result = worker.render(scene, tmp_path / f"{mapping}.png", settings=settings)
            images[mapping] = np.asarray(Image.open(result.png).convert("RGB"), dtype=np.float64)
    preview = render_preview(scene, (64, 48))
    cube = preview.object_id == preview.object_names.index("e")
    assert cube.sum() > 100
    difference = np.abs(images["box"] - images["uv"])[cube].mean()
    print(f"uv vs box on the cube: {difference:.2f} / 255")
    assert difference < 3.0
    assert images["uv"][cube].std() > 30  # the tiles show on the cube
