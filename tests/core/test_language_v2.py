"""Language v2 constructs in the core: profiles (revolve, extrude), per-operand materials, bevel,
strings and mesh asset paths: parsing, printing, and positioned errors with hints for bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from strategies import examples, extrude_profiles, mesh_assets, revolve_profiles

from scenelang import ast as A
from scenelang.assets import asset_path
from scenelang.errors import SceneError
from scenelang.parser import load_scene, parse_scene
from scenelang.printer import format_string, print_scene
from scenelang.validate import Limits, validate

HEADER = "scenelang 1\ngeometry {\n"


def errors(text: str, file: str = "t.sl", limits: Limits | None = None):
    return [d for d in validate(parse_scene(text, file=file), limits) if d.severity == "error"]


def test_profiles_parse_print_and_round_trip():
    text = (HEADER + "  shape v = revolve(profile=[(0, 0), (0.3, 0), (0.25, 1,), ], segments=12)\n"
            "  shape e = extrude(profile=[(0, 0), (1, 0), (0, 1)], depth=0.1)\n}\n")
    scene = parse_scene(text)
    vase, plate = (s.shape for s in scene.geometry.statements)
    assert vase.profile == ((0.0, 0.0), (0.3, 0.0), (0.25, 1.0)) and vase.segments == 12
    assert plate.profile == ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0))
    printed = print_scene(scene)
    assert "revolve(profile=[(0, 0), (0.3, 0), (0.25, 1)], segments=12)" in printed
    assert parse_scene(printed) == scene


@pytest.mark.parametrize(("shape", "message", "column"), [
    ("revolve(profile=[(0, 0)])", "revolve profile needs at least 2 points, got 1", 13),
    ("revolve(profile=[(0, 0), (-0.5, 1)])", "negative radius", 13),
    ("revolve(profile=[(0, 0), (0, 1)])", "lies on the axis", 13),
    ("extrude(profile=[(0, 0), (1, 0)], depth=1)", "at least 3 points, got 2", 13),
    ("extrude(profile=[(0, 0), (1, 1), (1, 0), (0, 1)], depth=1)", "crosses itself", 13),
    ("extrude(profile=[(0, 0), (1, 0), (2, 0)], depth=1)", "", 13),
])
def test_bad_profiles_are_positioned_errors_with_hints(shape, message, column):
    (diag,) = errors(HEADER + f"  shape s = {shape}\n}}\n")
    assert message in diag.message and diag.hint
    assert (diag.span.file, diag.span.line, diag.span.column) == ("t.sl", 3, column)


def test_a_non_numeric_or_non_finite_profile_is_a_parse_error_at_the_value():
    for bad, needle in (("[(0, 0), (a, 1)]", "(a, 1)"), ("[(0, 0), (1e999, 1)]", "1e999")):
        with pytest.raises(SceneError) as info:
            parse_scene(HEADER + f"  shape s = revolve(profile={bad})\n}}\n", file="t.sl")
        (diag,) = info.value.diagnostics
        assert diag.span.line == 3 and diag.span.column >= 29, diag


def test_a_profile_must_be_a_list():
    with pytest.raises(SceneError) as info:
        parse_scene(HEADER + "  shape s = extrude(profile=(0, 0, 1), depth=1)\n}\n")
    assert "expected a list like [(0, 0), (1, 0)]" in str(info.value)


def test_operand_materials_print_and_must_exist():
    text = (HEADER + "  shape s = difference(box(size=(1, 1, 1)) material wod, sphere(radius=0.6)"
            " at (0, 0, 0.5) material steel) bevel 0.05\n}\nmaterials {\n"
            "  material wood = principled()\n  material steel = principled()\n}\n")
    scene = parse_scene(text, file="t.sl")
    shape = scene.geometry.statements[0].shape
    assert [op.material for op in shape.operands] == ["wod", "steel"] and shape.bevel == 0.05
    assert parse_scene(print_scene(scene)) == scene
    (diag,) = errors(text)
    assert "material 'wod', which is not defined; did you mean 'wood'?" in diag.message
    assert (diag.span.line, diag.span.column) == (3, 24) and diag.hint


def test_strings_escape_and_round_trip():
    for value in ('a/b.glb', 'with "quotes".stl', 'back\\slash.obj'):
        text = HEADER + f"  shape s = mesh(path={format_string(value)})\n}}\n"
        scene = parse_scene(text)
        assert scene.geometry.statements[0].shape.path.value == value
        assert print_scene(scene).count(format_string(value)) == 1


def test_a_string_cannot_span_lines():
    with pytest.raises(SceneError):
        parse_scene(HEADER + '  shape s = mesh(path="a\nb.glb")\n}\n')


@pytest.fixture
def scene_dir(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "cone.stl").write_bytes(
        (Path(__file__).resolve().parents[2] / "examples" / "assets" / "cone.stl").read_bytes())
    (tmp_path / "secret.stl").write_bytes(b"solid x\nendsolid x\n")
    inner = tmp_path / "scene"
    inner.mkdir()
    (inner / "assets").symlink_to(tmp_path / "assets")
    os.symlink(tmp_path / "secret.stl", inner / "leak.stl")
    return inner


def _asset_errors(folder: Path, path: str, limits: Limits | None = None):
    scene_file = folder / "s.sl"
    scene_file.write_text(HEADER + f'  shape s = mesh(path="{path}")\n}}\n')
    scene = load_scene(scene_file)
    return [d for d in validate(scene, limits) if d.severity == "error"]


@pytest.mark.parametrize(("path", "message"), [
    ("models/missing.glb", "not found"),
    ("../secret.stl", "leaves the scene's folder"),
    ("/etc/passwd.stl", "is absolute"),
    ("leak.stl", "leads out of the scene's folder"),
    ("assets/cone.txt", "is not a mesh file"),
])
def test_bad_asset_paths_are_positioned_errors_with_hints(scene_dir, path, message):
    (diag,) = _asset_errors(scene_dir, path)
    assert message in diag.message and diag.hint
    assert (diag.span.line, diag.span.column) == (3, 23)  # the string


def test_asset_path_is_relative_to_the_scene_file(scene_dir):
    # `assets` is a symlink to a folder outside: refused, the real file is outside the folder
    assert _asset_errors(scene_dir, "assets/cone.stl")
    real = scene_dir / "models"
    real.mkdir()
    (real / "cone.stl").write_bytes((scene_dir / "assets" / "cone.stl").read_bytes())
    assert _asset_errors(scene_dir, "models/cone.stl") == []
    assert asset_path("models/cone.stl", load_scene(scene_dir / "s.sl").geometry.statements[0].span) \
        == (real / "cone.stl").resolve()


def test_asset_over_the_size_limit(scene_dir):
    (scene_dir / "big.stl").write_bytes(b"x" * 2000)
    assert _asset_errors(scene_dir, "big.stl", Limits(max_asset_bytes=2000)) == []  # at the limit
    (diag,) = _asset_errors(scene_dir, "big.stl", Limits(max_asset_bytes=1999))
    assert "2,000 bytes; the limit is 1,999" in diag.message and diag.hint


def test_mesh_kind_is_registered():
    assert A.PRIMITIVES["mesh"] is A.MeshAsset


def test_a_texture_statement_parses():  # the details: tests/core/test_textures.py
    scene = parse_scene("scenelang 1\nmaterials {\n  texture t = checker(scale=5)\n}\n", file="t.sl")
    (st,) = scene.materials.statements
    assert isinstance(st, A.TextureDef) and st.texture == A.Checker(scale=5)


@settings(max_examples=examples(60), deadline=None)
@given(mesh_assets(), revolve_profiles(), extrude_profiles())
def test_v2_shapes_round_trip_through_text(asset, profile, outline):
    shapes = (asset, A.Revolve(profile=profile), A.Extrude(profile=outline, depth=0.5))
    scene = A.Scene(geometry=A.Section(name="geometry", statements=tuple(
        A.ShapeDef(name=f"s{i}", shape=s) for i, s in enumerate(shapes))))
    text = print_scene(scene)
    assert parse_scene(text) == scene
    assert print_scene(parse_scene(text)) == text


def test_an_empty_profile_prints_as_an_empty_list_and_is_an_error():
    text = HEADER + "  shape s = revolve(profile=[])\n}\n"
    scene = parse_scene(text)
    assert "revolve(profile=[])" in print_scene(scene) and parse_scene(print_scene(scene)) == scene
    (diag,) = errors(text)
    assert "at least 2 points, got 0" in diag.message
