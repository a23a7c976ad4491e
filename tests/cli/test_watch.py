"""`scenelang watch`: the real command in a subprocess, driven by writing its scene file.

Every wait has a deadline (`wait_for`), and the process is killed in `finally`, so a broken
watcher fails the test instead of hanging it.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
VALID = (ROOT / "examples" / "minimal.sl").read_text()
RECOLOURED = VALID.replace("#ff8c42", "#2060ff")
INVALID = VALID.replace("box(size=(2, 2, 2))", "box(size=(2, -2, 2))")
DEADLINE = 90.0
"""Seconds any one expected event may take (start-up on 2 busy cores included)."""


def wait_for(what: str, condition: Callable[[], bool], proc: subprocess.Popen | None = None,
             err: Path | None = None, timeout: float = DEADLINE) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.05)
    log = err.read_text() if err is not None and err.exists() else ""
    raise AssertionError(f"waited for {what} in vain (exit {proc.poll() if proc else None})\n{log}")


def start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path, Path]:
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    proc = subprocess.Popen([sys.executable, "-m", "scenelang.cli.main", "watch", *args],
                            stdout=out.open("w"), stderr=err.open("w"), cwd=tmp_path)
    return proc, out, err


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=60)


def write(path: Path, text: str) -> None:
    """Replace the file's content (with a new mtime even on a coarse-clock file system)."""
    path.write_text(text)
    later = time.time() + 1
    os.utime(path, (later, later))


def test_watch_renders_keeps_the_last_good_image_and_stops_on_ctrl_c(tmp_path):
    scene, png = tmp_path / "scene.sl", tmp_path / "view.png"
    write(scene, VALID)
    proc, out, err = start(tmp_path, str(scene), "-o", str(png), "--size", "64", "48",
                           "--interval", "0.1")
    try:
        wait_for("the first PNG", png.exists, proc, err)
        first = png.read_bytes()
        assert Image.open(png).size == (64, 48)
        wait_for("the watching message", lambda: "watching" in err.read_text(), proc, err)

        write(scene, INVALID)
        wait_for("a positioned diagnostic", lambda: "scene.sl:7:" in err.read_text(), proc, err)
        text = err.read_text()
        assert "error: " in text and "^" in text and "not rendered" in text
        assert png.read_bytes() == first  # the last good image stays

        write(scene, RECOLOURED)
        wait_for("the new PNG", lambda: png.read_bytes() != first, proc, err)
        pixels = Image.open(png).convert("RGB")
        assert pixels.size == (64, 48)
        before = Image.open(io.BytesIO(first)).convert("RGB")
        assert pixels.getpixel((32, 24)) != before.getpixel((32, 24))  # the cube's colour changed

        scene.unlink()
        wait_for("the deletion message", lambda: "deleted" in err.read_text(), proc, err)
        renders = err.read_text().count(": ok, rendered")
        write(scene, VALID)
        wait_for("a render after the file came back",
                 lambda: err.read_text().count(": ok, rendered") > renders, proc, err)

        assert stop(proc) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    text = err.read_text()
    assert "Traceback" not in text and "stopped watching" in text
    assert out.read_text().splitlines()[0] == str(png)  # each new image's path on stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "scene.sl", "stderr.txt", "stdout.txt", "view.png"]  # no temporary file left behind


def test_watch_once_exit_codes_and_default_output(tmp_path):
    scene = tmp_path / "scene.sl"
    scene.write_text(VALID)
    run = lambda *a: subprocess.run(
        [sys.executable, "-m", "scenelang.cli.main", "watch", *a], capture_output=True,
        text=True, timeout=DEADLINE, cwd=tmp_path)
    proc = run(str(scene), "--once", "--size", "40", "30")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "scene.png")  # beside the scene by default
    assert Image.open(tmp_path / "scene.png").size == (40, 30)
    scene.write_text(INVALID)
    proc = run(str(scene), "--once")
    assert proc.returncode == 1 and "scene.sl:7:" in proc.stderr and proc.stdout == ""
    proc = run(str(tmp_path / "missing.sl"))
    assert proc.returncode == 3 and "cannot read" in proc.stderr and "no such file" in proc.stderr
    proc = run(str(scene), "-o", str(tmp_path / "out.jpg"))
    assert proc.returncode == 3 and ".png" in proc.stderr
    proc = run("-")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


@pytest.mark.blender
def test_watch_with_cycles_renders_again_in_the_same_worker(tmp_path):
    scene, png = tmp_path / "scene.sl", tmp_path / "scene.png"
    write(scene, VALID)
    proc, out, err = start(tmp_path, str(scene), "--engine", "cycles", "--size", "32", "24",
                           "--samples", "1", "--interval", "0.1")
    try:
        wait_for("the first Cycles render", lambda: "(cycles," in err.read_text(), proc, err)
        first = png.read_bytes()
        write(scene, RECOLOURED)
        wait_for("the second render", lambda: err.read_text().count("(cycles,") == 2, proc, err)
        assert png.read_bytes() != first and Image.open(png).size == (32, 24)
        assert stop(proc) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert "Traceback" not in err.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
