"""The Python API (`scenelang.api`, docs/api.md): each function against the command it backs,
its errors, the lazy `import scenelang`, and the doctested examples of docs/api.md."""

from __future__ import annotations

import ast
import doctest
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import scenelang
import scenelang.api as api
from scenelang.cli.main import main as cli
from scenelang.stages.proposers.base import ProposerUnavailable

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "examples" / "minimal.sl"
TEXT = MINIMAL.read_text()
MESSY = "scenelang 1\ngeometry {\nshape b=box(size=(1,1,1))\n}\n"
BAD = TEXT.replace("box(size=(2, 2, 2))", "box(size=(2, -2, 2))")
NAMES = ("parse", "load", "check", "format", "patch", "diff", "compile", "render", "export",
         "reconstruct")


def test_docs_api_examples_run():
    """docs/api.md's examples, run through doctest from plain `pytest`."""
    result = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 20 and result.failed == 0, result


def test_every_name_is_reachable_from_the_package_and_documented():
    for name in NAMES:
        function = getattr(scenelang, name)
        assert function is getattr(api, name) and name in scenelang.__all__
        assert name in dir(scenelang)
        doc = function.__doc__ or ""
        assert len(doc) > 80, name  # a docstring stating defaults and units
        assert f"`{name}(" in (ROOT / "docs" / "api.md").read_text(), name
    assert scenelang.SceneError is scenelang.errors.SceneError
    assert set(scenelang.__all__) == set(api.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        scenelang.nope  # noqa: B018


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}; import sys; print(sorted(sys.modules))"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    return set(ast.literal_eval(out))


def test_importing_the_language_core_stays_cheap():
    """`import scenelang.ast` (the Blender worker, the language core) loads neither the API
    nor the compiler, the backends or the stages, nor numpy; the first API name loads the API
    and still defers the heavy layers to the functions that need them."""
    core = _modules_after("import scenelang.ast")
    assert {m for m in core if m.startswith("scenelang")} <= {
        "scenelang", "scenelang.errors", *(m for m in core if m.startswith("scenelang.ast"))}
    assert "numpy" not in core and "scenelang.api" not in core
    used = _modules_after("import scenelang; scenelang.parse")
    assert "scenelang.api" in used
    assert not {m for m in used if m.startswith(("scenelang.stages", "scenelang.backends.preview",
                                                 "scenelang.backends.export"))}
    assert "numpy" not in used and "trimesh" not in used


# ---------------------------------------------------------------- the light tools


def test_parse_and_load(tmp_path):
    scene = scenelang.parse(TEXT, "minimal.sl")
    assert isinstance(scene, scenelang.Scene) and [o.name for o in scene.objects()] == [
        "floor_1", "cube_1"]
    with pytest.raises(scenelang.SceneError) as info:
        scenelang.parse(TEXT.replace("box(", "bx("), "m.sl")
    assert str(info.value).startswith("m.sl:7:")
    assert "^" in str(info.value)  # the source line and a caret
    assert scenelang.load(MINIMAL) == scene
    bad = tmp_path / "bad.sl"
    bad.write_text(BAD)
    with pytest.raises(scenelang.SceneError, match=r"bad\.sl:7:\d+: error: size must be"):
        scenelang.load(bad)
    dangling = TEXT.replace("cube_1 = cube at", "cube_1 = cubes at")
    scenelang.parse(dangling)  # parses; the validator finds the unknown name
    bad.write_text(dangling)
    with pytest.raises(scenelang.SceneError, match=r"bad\.sl:16:3: error: .* 'cubes'"):
        scenelang.load(bad)
    with pytest.raises(FileNotFoundError):
        scenelang.load(tmp_path / "missing.sl")
    with pytest.raises(IsADirectoryError):
        scenelang.load(tmp_path)
    latin = tmp_path / "latin.sl"
    latin.write_bytes(b"scenelang 1\n# caf\xe9\n")
    with pytest.raises(scenelang.SceneError, match=r"latin\.sl:2:6: error: file is not UTF-8"):
        scenelang.load(latin)


def test_check_gives_what_the_check_command_prints(tmp_path, capsys):
    bad = tmp_path / "bad.sl"
    bad.write_text(BAD)
    diagnostics = scenelang.check(BAD, str(bad))
    assert [d.severity for d in diagnostics] == ["error"]
    assert cli(["check", str(bad)]) == 1
    assert capsys.readouterr().err == "\n".join(d.format(BAD) for d in diagnostics) + "\n"
    assert scenelang.check(bad) == diagnostics  # a path is read
    assert scenelang.check(TEXT) == [] and scenelang.check(scenelang.parse(TEXT)) == []
    syntax = scenelang.check("scenelang 1\ngeometry {\n", "s.sl")  # returned, not raised
    assert syntax and syntax[0].span.file == "s.sl" and syntax[0].severity == "error"
    unused = TEXT.replace("materials {", "materials {\n  material spare = principled()")
    assert [d.severity for d in scenelang.check(unused)] == ["warning"]


def test_format_is_fmt(tmp_path, capsys):
    path = tmp_path / "messy.sl"
    path.write_text(MESSY)
    assert cli(["fmt", str(path)]) == 0
    assert scenelang.format(MESSY) == capsys.readouterr().out
    assert scenelang.format(scenelang.parse(MESSY)) == scenelang.format(MESSY)
    with pytest.raises(scenelang.SceneError, match="size must be"):
        scenelang.format(BAD, "bad.sl")


def test_patch_and_diff(tmp_path, capsys):
    scene = scenelang.parse(TEXT)
    shiny = scenelang.patch(TEXT, "patch materials {\n  set orange.roughness = 0.1\n}\n")
    text = scenelang.diff(scene, shiny)
    assert text == "patch materials {\n  set orange.roughness = 0.1\n}\n"
    assert scenelang.patch(scene, text) == shiny
    assert scenelang.diff(scene, scene) == "" and scenelang.diff(TEXT, scene) == ""
    other = tmp_path / "shiny.sl"
    other.write_text(scenelang.format(shiny))
    assert cli(["diff", str(MINIMAL), str(other)]) == 1
    assert capsys.readouterr().out == text
    with pytest.raises(scenelang.SceneError) as info:
        scenelang.patch(scene, "patch materials {\n  set blue.roughness = 0.1\n}\n",
                        patch_filename="p.slp")
    assert str(info.value).startswith("p.slp:2:3: error: there is no statement named 'blue'")
    with pytest.raises(scenelang.SceneError, match="geometry"):
        scenelang.patch(scene, "patch geometry {\n  set cube.size = (1, 1, 1)\n}\n",
                        section="materials")
    with pytest.raises(TypeError):
        scenelang.diff(scene, 42)


def test_compile_is_the_compile_command(capsys):
    assert cli(["compile", str(MINIMAL)]) == 0
    assert scenelang.compile(scenelang.load(MINIMAL), source_file=str(MINIMAL)) == (
        capsys.readouterr().out)
    assert "def main(" in scenelang.compile(TEXT)
    with pytest.raises(scenelang.SceneError, match="size must be"):
        scenelang.compile(BAD)


# ---------------------------------------------------------------- renders and files


def test_render_preview_writes_the_png_atomically(tmp_path):
    result = scenelang.render(TEXT, tmp_path / "sub" / "out.png", size=(64, 48))
    assert result.png == (tmp_path / "sub" / "out.png") and result.engine == "preview"
    assert result.blend is None and result.warnings == () and result.seconds >= 0
    assert Image.open(result.png).size == (64, 48)
    assert Image.open(scenelang.render(TEXT, tmp_path / "w.png", size=80).png).size == (80, 60)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["out.png"]  # no temp left
    with pytest.raises(ValueError, match="engine"):
        scenelang.render(TEXT, tmp_path / "x.png", engine="eevee")
    with pytest.raises(ValueError, match="Blender"):
        scenelang.render(TEXT, tmp_path / "x.png", blend=tmp_path / "x.blend")
    with pytest.raises(scenelang.SceneError, match="size must be"):
        scenelang.render(BAD, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_export_writes_meshes(tmp_path):
    result = scenelang.export(TEXT, tmp_path / "scene.stl")
    assert result.files == [tmp_path / "scene.stl"] and (tmp_path / "scene.stl").stat().st_size
    with pytest.raises(scenelang.SceneError):
        scenelang.export(TEXT, tmp_path / "scene.xyz")
    with pytest.raises(scenelang.SceneError, match="size must be"):
        scenelang.export(BAD, tmp_path / "bad.stl")


def test_prepare_reconstruction_settings_and_errors():
    prepared = scenelang.prepare_reconstruction("offline", budgets={"geometry": 1}, size=64)
    assert prepared.config.draft is True  # what the offline proposer wants
    assert prepared.config.budgets["geometry"] == 1 and prepared.config.budgets["materials"] == 3
    assert prepared.planned_rounds() == 1 + 1 + 3 + 3 + 2
    assert prepared.info["name"] == "offline" and prepared.config.size == 64
    with pytest.raises(ProposerUnavailable, match="unknown proposer"):
        scenelang.prepare_reconstruction("oracle")
    with pytest.raises(scenelang.SceneError, match="unknown stage"):
        scenelang.prepare_reconstruction("offline", budgets={"texture": 1})
