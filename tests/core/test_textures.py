"""Textures (language v2): `texture NAME = KIND(...)` statements, plugged into materials by name.

Parse, print, validate (names, ranges, image paths confined to the scene's folder, image limits),
patches (`set grain.scale = 8`) and diff, with hypothesis over `strategies.textured_scenes`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from PIL import Image
from strategies import examples, texture_scene_pairs, textured_scenes

from scenelang import ast as A
from scenelang.errors import SceneError
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch, apply_patches, diff
from scenelang.printer import print_scene
from scenelang.validate import Limits, check, validate

SCENE = """scenelang 1

geometry {
  shape b = box(size=(1, 1, 1))
}

materials {
  texture grain = wave(color1=#6b4423, color2=#a8743f, scale=6, pattern=rings, axis=z)
  texture tiles = image(path="PATH")
  material oak = principled(base_color=grain, roughness=tiles, bump=grain, bump_strength=0.2)
}

composition {
  object o = b material oak
}

lighting {
  light sun = sun()
}
"""


def scene_in(folder: Path, path: str = "tiles.png", size=(4, 4)) -> Path:
    """A scene file in `folder` whose image texture names `path` (a PNG of `size` is written at
    `folder/tiles.png`)."""
    Image.new("RGB", size, (200, 30, 30)).save(folder / "tiles.png")
    file = folder / "scene.sl"
    file.write_text(SCENE.replace("PATH", path))
    return file


def errors_of(file: Path, limits: Limits | None = None) -> list:
    scene = parse_scene(file.read_text(), str(file))
    return [d for d in validate(scene, limits) if d.severity == "error"]


def test_a_textured_scene_parses_prints_canonically_and_validates(tmp_path):
    file = scene_in(tmp_path)
    scene = parse_scene(file.read_text(), str(file))
    assert print_scene(scene) == file.read_text()
    assert check(scene) == []
    grain, tiles, oak = scene.materials.statements
    assert grain.texture == A.Wave(color1=A.HexColor(hex="6b4423"), color2=A.HexColor(hex="a8743f"),
                                   scale=6, pattern="rings", axis="z")
    assert tiles.texture.mapping == "box" and tiles.texture.path.value == "tiles.png"
    assert oak.material.texture_names() == ("grain", "tiles")
    assert (oak.material.base_color, oak.material.roughness, oak.material.bump) == ("grain", "tiles", "grain")


def test_missing_file_and_escaping_paths_are_positioned_errors_with_hints(tmp_path):
    (tmp_path / "sub").mkdir()
    outside = tmp_path / "outside.png"
    Image.new("RGB", (2, 2)).save(outside)
    (tmp_path / "sub" / "link.png").symlink_to(outside)
    cases = {
        "textures/missing.png": "texture image file 'textures/missing.png' not found",
        "../outside.png": "texture image path '../outside.png' leaves the scene's folder ('..')",
        str(outside): "is absolute",
        "link.png": "leads out of the scene's folder (through a symbolic link)",
        "scene.sl": "is not a PNG or JPEG image",
    }
    for path, message in cases.items():
        (diag,) = errors_of(scene_in(tmp_path / "sub", path))
        assert message in diag.message, diag.message
        assert diag.message.startswith("texture 'tiles': ")
        assert (diag.span.line, diag.span.column) == (9, 30), path  # the string "..."
        assert diag.hint


def test_a_file_that_is_not_an_image_is_an_error(tmp_path):
    file = scene_in(tmp_path, "fake.png")
    (tmp_path / "fake.png").write_text("not a png")
    (diag,) = errors_of(file)
    assert "is not a readable PNG or JPEG file" in diag.message


def test_image_limits_accept_their_boundary_and_reject_one_past_it(tmp_path):
    file = scene_in(tmp_path, size=(16, 9))
    size = (tmp_path / "tiles.png").stat().st_size
    assert errors_of(file, Limits(max_image_bytes=size, max_image_side=16)) == []
    (diag,) = errors_of(file, Limits(max_image_bytes=size - 1))
    assert f"is {size:,} bytes; the limit is {size - 1:,}" in diag.message
    (diag,) = errors_of(file, Limits(max_image_side=15))
    assert "is 16 x 9 pixels; the limit is 15 per side" in diag.message


def test_unknown_texture_names_get_suggestions_and_unused_textures_warn(tmp_path):
    file = scene_in(tmp_path)
    text = file.read_text().replace("base_color=grain", "base_color=grian").replace(
        "bump=grain, ", "")
    diags = validate(parse_scene(text, str(file)))
    (error,) = [d for d in diags if d.severity == "error"]
    assert error.message == ("material 'oak' uses texture 'grian' (base_color), which is not "
                             "defined; did you mean 'grain'?")
    assert error.hint and error.span.line == 10
    warning = [d for d in diags if d.severity == "warning"]
    assert [w.message for w in warning] == ["texture 'grain' is not used by any material"]


def test_texture_values_are_range_checked_with_clean_messages():
    for text, message in [
        ("texture t = checker(scale=0)", "scale must be greater than 0, got 0"),
        ("texture t = wave(pattern=spiral)", "expected one of bands, rings, got spiral"),
        ("texture t = brick(mortar_size=0.5)", "mortar_size must be at most 0.125, got 0.5"),
        ("material m = principled(roughness=1.5)", "roughness must be at most 1, got 1.5"),
        ("material m = principled(roughness=#ff0000)", "expected a number or a texture name"),
        ("texture t = checker(sclae=2)", "unknown parameter 'sclae' for checker; did you mean 'scale'?"),
        ("texture t = marble()", "unknown texture type 'marble'"),
    ]:
        with pytest.raises(SceneError) as info:
            parse_scene(f"scenelang 1\nmaterials {{\n  {text}\n}}\n")
        (diag,) = info.value.diagnostics
        assert message in diag.message, (text, diag.message)
        assert diag.span.line == 3


def test_gradient_with_equal_ends_is_an_error():
    scene = parse_scene("scenelang 1\nmaterials {\n  texture g = gradient(start=1, end=1)\n"
                        "  material m = principled(base_color=g)\n}\n")
    (diag,) = [d for d in validate(scene) if d.severity == "error"]
    assert diag.message == "texture 'g': gradient start and end are both 1" and diag.hint


def test_set_a_texture_parameter_and_removal_of_a_used_texture(tmp_path):
    scene = parse_scene(scene_in(tmp_path).read_text(), str(tmp_path / "scene.sl"))
    changed = apply_patch(scene, parse_patch("patch materials {\n  set grain.scale = 8\n"
                                             "  set oak.roughness = 0.3\n}\n"))
    grain, _, oak = changed.materials.statements
    assert grain.texture.scale == 8 and oak.material.roughness == 0.3
    patches = diff(scene, changed)
    assert apply_patches(scene, patches) == changed
    with pytest.raises(SceneError) as info:
        apply_patch(scene, parse_patch("patch materials {\n  remove grain\n}\n"))
    (diag,) = info.value.diagnostics
    assert diag.message.startswith("cannot remove texture 'grain': material 'oak'")
    with pytest.raises(SceneError, match="has no parameter 'sclae'; did you mean 'scale'"):
        apply_patch(scene, parse_patch("patch materials {\n  set grain.sclae = 8\n}\n"))


@settings(max_examples=examples(40), deadline=None)
@given(textured_scenes())
def test_textured_scenes_round_trip_and_format_idempotently(scene):
    text = print_scene(scene)
    again = parse_scene(text)
    assert again == scene
    assert print_scene(again) == text


@settings(max_examples=examples(40), deadline=None)
@given(texture_scene_pairs())
def test_diff_then_apply_gives_the_second_scene(pair):
    a, b = pair
    assert apply_patches(a, diff(a, b)) == b
