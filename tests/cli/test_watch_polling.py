"""`scenelang watch`'s documented behaviour in process, one look at a time (docs/watch.md): the
defaults, the debounce (a change is built once it stayed the same for one look), a save that
changes nothing, a deleted file, and the `--samples` warning with the preview. The real command
in a subprocess is `tests/cli/test_watch.py`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PIL import Image

from scenelang.backends.blender.runner import DEFAULT_TIMEOUT
from scenelang.cli.main import build_parser
from scenelang.cli.main import main as cli
from scenelang.cli.watch import DEFAULT_INTERVAL, Watcher

ROOT = Path(__file__).resolve().parents[2]
VALID = (ROOT / "examples" / "minimal.sl").read_text()
RECOLOURED = VALID.replace("#ff8c42", "#2060ff")


def write(path: Path, text: str, bump: float = 1.0) -> None:
    """Write `text` with a modification time `bump` seconds later than now (a new signature even
    on a file system with a coarse clock)."""
    path.write_text(text)
    later = time.time() + bump
    os.utime(path, (later, later))


def watcher_for(tmp_path: Path) -> tuple[Watcher, Path, Path]:
    scene, png = tmp_path / "scene.sl", tmp_path / "view.png"
    write(scene, VALID)
    args = build_parser().parse_args(["watch", str(scene), "-o", str(png), "--size", "16", "12"])
    watcher = Watcher(args, png)
    watcher.seen = watcher.signature()
    assert watcher.build(watcher.seen) == 0
    return watcher, scene, png


def test_watch_defaults_are_the_documented_ones(tmp_path):
    args = build_parser().parse_args(["watch", "scene.sl"])
    assert (args.output, args.engine, args.size, args.samples, args.once, args.blender) == (
        None, "preview", None, None, False, None)
    assert args.interval == DEFAULT_INTERVAL == 0.3
    assert args.timeout == DEFAULT_TIMEOUT == 300
    assert build_parser().parse_args(["watch", "s.sl", "--size", "4096", "1"]).size == [4096, 1]
    for size in (("4097", "10"), ("0", "10")):  # 1 to 4096 pixels each
        with pytest.raises(SystemExit) as info:
            build_parser().parse_args(["watch", "s.sl", "--size", *size])
        assert info.value.code == 2


def test_a_change_is_built_once_it_stayed_the_same_for_one_look(tmp_path, capsys):
    watcher, scene, png = watcher_for(tmp_path)
    first = png.read_bytes()
    capsys.readouterr()
    write(scene, VALID.replace("#ff8c42", "#808080"), bump=1)
    watcher.poll()  # changed since the last look: wait
    write(scene, RECOLOURED, bump=2)  # the editor's second write of the same save
    watcher.poll()  # changed again: wait
    assert png.read_bytes() == first and "rendered" not in capsys.readouterr().err
    watcher.poll()  # the same as at the last look: build
    assert png.read_bytes() != first
    assert capsys.readouterr().err.count(": ok, rendered") == 1
    watcher.poll()
    assert "rendered" not in capsys.readouterr().err  # nothing changed: no second render


def test_saving_without_changing_the_content_renders_nothing(tmp_path, capsys):
    watcher, scene, png = watcher_for(tmp_path)
    capsys.readouterr()
    write(scene, VALID, bump=5)  # a new modification time, the same bytes
    watcher.poll()
    watcher.poll()
    watcher.poll()
    assert capsys.readouterr().err == ""


def test_a_deleted_file_is_reported_once_after_two_looks_and_rebuilt_when_it_returns(tmp_path,
                                                                                   capsys):
    watcher, scene, png = watcher_for(tmp_path)
    capsys.readouterr()
    scene.unlink()
    watcher.poll()
    assert capsys.readouterr().err == ""  # one look: perhaps a save through a rename
    watcher.poll()
    watcher.poll()
    assert capsys.readouterr().err == (
        f"warning: {scene} was deleted; waiting for it to come back\n")
    write(scene, VALID)  # the same content as before: still rebuilt
    watcher.poll()
    assert capsys.readouterr().err == f"{scene} is back\n"
    watcher.poll()
    assert capsys.readouterr().err.count(": ok, rendered") == 1


def test_an_invalid_save_keeps_the_last_image_and_says_so(tmp_path, capsys):
    watcher, scene, png = watcher_for(tmp_path)
    first = png.read_bytes()
    capsys.readouterr()
    write(scene, VALID.replace("box(size=(2, 2, 2))", "box(size=(2, -2, 2))"))
    watcher.poll()
    watcher.poll()
    err = capsys.readouterr().err
    assert f"{scene}:7:" in err and "error: size must be greater than 0, got -2" in err
    assert err.rstrip().endswith(": 1 error, not rendered (the previous image is kept)")
    assert png.read_bytes() == first


def test_samples_with_the_preview_are_ignored_with_a_warning(tmp_path, capsys):
    scene = tmp_path / "scene.sl"
    scene.write_text(VALID)
    assert cli(["watch", str(scene), "--once", "--samples", "8", "--size", "20", "15"]) == 0
    captured = capsys.readouterr()
    assert "warning: --samples is a Cycles setting; ignored with --engine preview" in captured.err
    assert captured.out.strip() == str(tmp_path / "scene.png")
    assert Image.open(tmp_path / "scene.png").size == (20, 15)


def test_a_failed_render_prints_a_short_message_and_the_log_and_watching_goes_on(tmp_path, capsys):
    """`/bin/false` as the external Blender: the worker cannot start, which is a failed render."""
    scene, png = tmp_path / "scene.sl", tmp_path / "scene.png"
    write(scene, VALID)
    args = build_parser().parse_args(["watch", str(scene), "--engine", "cycles", "--blender",
                                      "/bin/false", "--size", "16", "12", "--timeout", "30"])
    watcher = Watcher(args, png)
    try:
        watcher.seen = watcher.signature()
        assert watcher.build(watcher.seen) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "Traceback" not in err
        assert err.splitlines()[-1] == f"  full Blender log: {tmp_path / 'scene.log'}"
        write(scene, RECOLOURED)
        watcher.poll()
        watcher.poll()  # the next save is checked and rendered again
        assert capsys.readouterr().err.count("full Blender log") == 1
    finally:
        watcher.close()
    assert not png.exists()
