"""Issue 11: the command line's conventions -- `-` for stdin/stdout, `--version`, many files and
folders, `fmt --check --diff`, `diff` exit 1, `patch -i`, exit codes (0 ok, 1 invalid input, 2
usage, 3 I/O), bounded reads, bad sizes refused at parse time, file-system errors as one line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scenelang.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "examples" / "minimal.sl"
MESSY = "scenelang 1\ngeometry {\nshape b=box(size=(1,1,1))\n}\n"
LONG = "b" * 70


def cli(*args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "scenelang.cli.main", *args], input=input,
                          capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_version():
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("scenelang ")


def test_python_dash_m_scenelang_is_the_same_command_line(tmp_path):
    bad = tmp_path / "bad.sl"
    bad.write_text("scenelang 1\ngeometry {\n  shape b = sphere(radius=-1)\n}\n")
    run = [sys.executable, "-m", "scenelang"]
    ok = subprocess.run([*run, "check", str(MINIMAL)], capture_output=True, text=True, timeout=60)
    wrong = subprocess.run([*run, "check", str(bad)], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "minimal.sl: ok" in ok.stderr
    assert wrong.returncode == 1 and "bad.sl:3:" in wrong.stderr + wrong.stdout
    assert "Traceback" not in wrong.stderr


def test_exit_codes_ok_invalid_usage_io(tmp_path):
    bad = tmp_path / "bad.sl"
    bad.write_text("scenelang 1\ngeometry {\n  shape b = sphere(radius=-1)\n}\n")
    assert cli("check", str(MINIMAL)).returncode == 0
    assert cli("check", str(bad)).returncode == 1
    assert cli("check").returncode == 2
    assert cli("check", str(tmp_path / "missing.sl")).returncode == 3
    assert cli("check", str(MINIMAL), str(tmp_path / "missing.sl")).returncode == 3


def test_stdin_and_stdout_dash(tmp_path):
    text = MINIMAL.read_text()
    assert cli("check", "-", input=text).stdout == "" and cli("check", "-", input=text).returncode == 0
    proc = cli("check", "-", input="scenelang 1\ngeometry {\n")
    assert proc.returncode == 1 and "<stdin>:" in proc.stderr
    assert cli("fmt", "-", input=MESSY).stdout.startswith("scenelang 1\n\ngeometry {\n  shape b")
    assert "def main(" in cli("compile", "-", "-o", "-", input=text).stdout
    assert not (Path.cwd() / "-").exists()
    patch = tmp_path / "p.slp"
    patch.write_text("patch materials {\n  material m = principled()\n}\n")
    assert "material m" in cli("patch", "-", str(patch), input=text).stdout
    assert cli("diff", "-", str(MINIMAL), input=text).returncode == 0


def test_check_and_fmt_take_many_files_and_folders(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.sl").write_text(MINIMAL.read_text())
    (tmp_path / "sub" / "b.sl").write_text(MESSY)
    proc = cli("check", str(tmp_path), str(MINIMAL))
    assert proc.returncode == 0 and proc.stderr.count(": ok") == 3
    assert cli("fmt", str(tmp_path / "a.sl"), str(MINIMAL)).returncode == 2  # needs a mode
    proc = cli("fmt", "--check", str(tmp_path))
    assert proc.returncode == 1 and "b.sl: not canonical" in proc.stderr
    proc = cli("fmt", "--check", "--diff", str(tmp_path))
    assert proc.returncode == 1 and "+  shape b = box(size=(1, 1, 1))" in proc.stdout
    assert cli("fmt", "-w", str(tmp_path)).returncode == 0
    assert cli("fmt", "--check", str(tmp_path)).returncode == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("check", str(empty)).returncode == 3


def test_diff_exits_1_when_scenes_differ(tmp_path, capsys):
    other = tmp_path / "o.sl"
    other.write_text(MINIMAL.read_text().replace("energy=", "energy=1", 1))
    assert main(["diff", str(MINIMAL), str(MINIMAL)]) == 0
    assert main(["diff", str(MINIMAL), str(other)]) == 1
    assert capsys.readouterr().out.strip()


def test_patch_in_place(tmp_path):
    scene = tmp_path / "s.sl"
    scene.write_text(MINIMAL.read_text())
    patch = tmp_path / "p.slp"
    patch.write_text("patch materials {\n  material gold = principled(metallic=1)\n}\n")
    assert main(["patch", "-i", str(scene), str(patch)]) == 0
    assert "material gold" in scene.read_text()
    assert main(["patch", "--in-place", str(scene), str(patch)]) == 0


def test_over_long_names_are_positioned_in_every_command(tmp_path):
    path = tmp_path / "long.sl"
    path.write_text(f"scenelang 1\ngeometry {{\n  shape {LONG} = box(size=(1, 1, 1))\n}}\n")
    patch = tmp_path / "long.slp"
    patch.write_text(f"patch geometry {{\n  shape {LONG} = box(size=(1, 1, 1))\n}}\n")
    for args in (["check", str(path)], ["check", "--json", str(path)], ["fmt", str(path)],
                 ["patch", str(MINIMAL), str(patch)]):
        proc = cli(*args)
        assert proc.returncode == 1
        assert ":3:3" in proc.stderr or '"line": 3' in proc.stdout or ":2:3" in proc.stderr


def test_reads_are_bounded_for_devices_and_fifos(tmp_path):
    proc = cli("check", "/dev/zero", timeout=30)
    assert proc.returncode == 1 and "too large" in proc.stderr
    fifo = tmp_path / "scene.fifo"
    os.mkfifo(fifo)
    text = MINIMAL.read_text()
    writer = threading.Thread(target=lambda: fifo.write_text(text))
    writer.start()
    proc = cli("check", str(fifo), timeout=30)
    writer.join(10)
    assert proc.returncode == 0


def test_file_system_errors_are_one_line_and_exit_3(tmp_path):
    cases = [
        ("compile", str(MINIMAL), "-o", str(tmp_path)),
        ("compile", str(MINIMAL), "-o", str(tmp_path / "missing" / "x.py")),
        ("render", str(MINIMAL), "-o", str(tmp_path / "noext"), "--engine", "preview"),
        ("render", str(MINIMAL), "-o", str(tmp_path), "--engine", "preview"),
        ("export", str(MINIMAL), "-o", str(tmp_path / "d.glb" / "x.glb")),
        ("check", str(tmp_path)),
        ("fmt", str(tmp_path / "missing.sl")),
    ]
    (tmp_path / "d.glb").write_text("a file where a folder is needed")
    for args in cases:
        proc = cli(*args)
        assert proc.returncode == 3, (args, proc.stderr)
        assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes anything")
def test_permission_errors_exit_3(tmp_path):
    secret = tmp_path / "secret.sl"
    secret.write_text(MINIMAL.read_text())
    secret.chmod(0)
    assert cli("check", str(secret)).returncode == 3
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert cli("compile", str(MINIMAL), "-o", str(locked / "x.py")).returncode == 3


@pytest.mark.parametrize("args", [
    ["--size", "0", "0"], ["--size", "100000", "100000"], ["--timeout", "nan"],
    ["--timeout", "inf"], ["--samples", "0"], ["--samples", "100000"], ["--threads", "-1"],
    ["--views", "0"],
])
def test_bad_render_options_are_usage_errors(args, tmp_path):
    proc = cli("render", str(MINIMAL), "-o", str(tmp_path / "x.png"), *args)
    assert proc.returncode == 2 and "usage:" in proc.stderr


@pytest.mark.parametrize("args", [["--size", "0"], ["--size", "9000"], ["--timeout", "nan"],
                                  ["--max-seconds", "inf"], ["--final-size", "0"]])
def test_bad_reconstruct_options_are_usage_errors(args, tmp_path):
    proc = cli("reconstruct", "x.png", "-o", str(tmp_path / "run"), *args)
    assert proc.returncode == 2


def test_preview_warns_about_cycles_options_and_prints_an_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    proc = cli("render", str(MINIMAL), "-o", "out.png", "--engine", "preview", "--size", "32",
               "24", "--samples", "8", "--denoise", "--threads", "2")
    assert proc.returncode == 0, proc.stderr
    assert "--samples is a Cycles setting" in proc.stderr and "--denoise" in proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "out.png")


def test_errors_that_are_not_about_a_scene_have_no_scene_label(tmp_path):
    proc = cli("export", str(MINIMAL), "-o", str(tmp_path / "x.xyz"))
    assert proc.returncode == 1 and proc.stderr.startswith("error: cannot export")
    proc = cli("report", str(tmp_path))
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and "<scene>" not in proc.stderr
