"""`scenelang check | fmt | patch | diff` on the examples and on bad input (subprocess + in-process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scenelang.cli.main import main
from scenelang.parser import load_scene, parse_scene
from scenelang.printer import print_scene

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.sl"))

SCENE = """\
scenelang 1

geometry {
  shape ball = sphere(radius=0.5)
}

materials {
  material red = principled(base_color=#c0392b)
  material steel = principled(metallic=1, roughness=0.2)
}

composition {
  object ball_1 = ball at (0, 0, 0.5) material red
}

lighting {
  light key = sun(energy=3)
}
"""


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenelang.cli.main", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


@pytest.fixture
def scene_file(tmp_path) -> Path:
    path = tmp_path / "scene.sl"
    path.write_text(SCENE)
    return path


def test_check_accepts_every_example(capsys):
    assert main(["check", *map(str, EXAMPLES)]) == 0
    err = capsys.readouterr().err
    assert err.count(": ok") == len(EXAMPLES)


def test_fmt_check_passes_on_every_example():
    for example in EXAMPLES:
        assert main(["fmt", "--check", str(example)]) == 0, example


@pytest.mark.parametrize("content, message", [
    ("", "empty input"),
    ("scenelang 1\ngeometry {\n  shape b = sphere(radius=nan)\n}\n", "expected a number"),
    ("scenelang 1\ngeometry {\n  shape b = sphere(radius=1e309)\n}\n", "out of range"),
    ("scenelang 1\ngeometry {\n  shape b = sphere(radius=1)\n", "never closed"),
    ("scenelang 1\ncomposition {\n  object o = missing\n}\n", "shape 'missing', which is not defined"),
    ("scenelang 1\ngeometry { shape b\u0430ll = sphere(radius=1) }\n", "CYRILLIC"),
])
def test_check_reports_positioned_errors_without_traceback(tmp_path, content, message):
    path = tmp_path / "bad.sl"
    path.write_text(content)
    proc = run_cli("check", str(path))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith(f"{path}:") and ": error: " in first, proc.stderr
    assert message in proc.stderr


def test_check_binary_garbage_and_huge_files(tmp_path):
    garbage = tmp_path / "garbage.sl"
    garbage.write_bytes(bytes(range(256)) * 10)
    control = tmp_path / "control.sl"
    control.write_bytes(b"scenelang 1\n\x01\x02")
    huge = tmp_path / "huge.sl"
    huge.write_bytes(b"scenelang 1\n" + b"# padding\n" * 1_100_000)
    for path, message in ((garbage, "not UTF-8"), (control, "control character"),
                          (huge, "too large")):
        proc = run_cli("check", str(path))
        assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr


def test_check_json_lists_diagnostics(tmp_path, capsys):
    bad = tmp_path / "bad.sl"
    bad.write_text("scenelang 1\nmaterials {\n  material m = principled(roughness=2)\n}\n")
    assert main(["check", "--json", str(bad), str(EXAMPLES[0])]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False
    first, second = data["files"]
    assert first["valid"] is False and second["valid"] is True
    d = first["diagnostics"][0]
    assert (d["line"], d["column"], d["severity"]) == (3, 37, "error")
    assert "roughness must be at most 1" in d["message"]


def test_check_warnings_do_not_fail(scene_file, capsys):
    assert main(["check", str(scene_file)]) == 0
    assert "warning" in capsys.readouterr().err  # the unused material 'steel'


def test_fmt_prints_canonical_text_and_keeps_comments(tmp_path, capsys):
    messy = tmp_path / "messy.sl"
    messy.write_text("# top\nscenelang 1\nlighting{light key=sun( energy = 4.0 ) # sun\n}\n"
                     "geometry{shape ball=sphere(radius=.5)}\n")
    assert main(["fmt", str(messy)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# top\nscenelang 1\n\ngeometry {\n  shape ball = sphere(radius=0.5)\n}")
    assert "  light key = sun(energy=4)  # sun\n" in out
    assert main(["fmt", "--check", str(messy)]) == 1
    assert "not canonical" in capsys.readouterr().err
    assert main(["fmt", "-w", str(messy)]) == 0
    assert messy.read_text() == out
    assert main(["fmt", "--check", str(messy)]) == 0


def test_fmt_refuses_invalid_scenes(tmp_path):
    path = tmp_path / "bad.sl"
    path.write_text("scenelang 1\ncomposition {\n  object o = nothing\n}\n")
    proc = run_cli("fmt", "-w", str(path))
    assert proc.returncode == 1 and f"{path}:3:" in proc.stderr
    assert path.read_text().startswith("scenelang 1\ncomposition")  # untouched


def test_patch_and_diff_round_trip(scene_file, tmp_path, capsys):
    patch = tmp_path / "change.slp"
    patch.write_text("patch materials {\n  set red.roughness = 0.3\n"
                     "  material gold = principled(base_color=#d4af37, metallic=1)\n"
                     "  remove steel\n}\n")
    out = tmp_path / "out.sl"
    assert main(["patch", str(scene_file), str(patch), "-o", str(out)]) == 0
    patched = load_scene(out)
    materials = patched.materials_by_name()
    assert materials["red"].material.roughness == 0.3 and "steel" not in materials
    assert "gold" in materials
    capsys.readouterr()
    assert main(["diff", str(scene_file), str(out)]) == 1  # different, like diff(1)
    diff_text = capsys.readouterr().out
    assert diff_text.startswith(("patch materials {", "replace materials {"))
    again = tmp_path / "again.slp"
    again.write_text(diff_text)
    assert main(["patch", str(scene_file), str(again), "-o", str(tmp_path / "again.sl")]) == 0
    assert load_scene(tmp_path / "again.sl") == patched


def test_diff_of_identical_scenes_is_empty(scene_file, capsys):
    assert main(["diff", str(scene_file), str(scene_file)]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("patch_text, message", [
    ("patch materials {\n  remove red\n}\n", "cannot remove material 'red'"),
    ("patch materials {\n  shape x = box(size=(1, 1, 1))\n}\n", "belongs in the geometry section"),
    ("patch materials {\n  set red.roughnes = 0.3\n}\n", "did you mean 'roughness'"),
    ("patch materials {\n  set red.roughness = 3\n}\n", "roughness must be at most 1"),
    ("patch materials {\n  set red.roughness = 0.3\n", "never closed"),
])
def test_patch_errors_are_positioned_in_the_patch(scene_file, tmp_path, patch_text, message):
    patch = tmp_path / "bad.slp"
    patch.write_text(patch_text)
    proc = run_cli("patch", str(scene_file), str(patch))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert message in proc.stderr
    assert proc.stderr.startswith(f"{patch}:")


def test_patch_for_the_wrong_section_is_rejected(scene_file, tmp_path):
    patch = tmp_path / "light.slp"
    patch.write_text("patch lighting {\n  set key.energy = 5\n}\n")
    proc = run_cli("patch", str(scene_file), str(patch), "--section", "materials")
    assert proc.returncode == 1 and "may only edit 'materials'" in proc.stderr


def test_patched_output_is_canonical(scene_file, tmp_path, capsys):
    patch = tmp_path / "p.slp"
    patch.write_text("patch lighting { world strength 0.5 }")
    assert main(["patch", str(scene_file), str(patch)]) == 0
    text = capsys.readouterr().out
    assert print_scene(parse_scene(text)) == text and "world strength 0.5" in text


def test_every_command_has_help():
    for command in ("check", "fmt", "patch", "diff", "compile", "render", "export",
                    "reconstruct", "report", "bench", "watch"):
        proc = run_cli(command, "--help")
        assert proc.returncode == 0 and "usage: scenelang" in proc.stdout, command
