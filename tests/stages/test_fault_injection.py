"""Issue 11: `reconstruct` against the scripted model server with faults -- bodies that trickle,
bodies that never end, over-long names -- and resumes of damaged run folders. The wall-clock
bound holds and every run still writes a valid final.sl, final.blend and report.html.

Real Blender renders at tiny size (32 px, 1 sample)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import time

import pytest
from engine_script import GEOMETRY, block
from PIL import Image
from scripted_server import Fault, ScriptedServer, StageScript

from scenelang.parser import parse_scene
from scenelang.stages.engine.loop import EngineConfig, run_reconstruction
from scenelang.stages.engine.resume import RunDamaged
from scenelang.stages.proposers.vlm.client import VLMProposer, VLMSettings
from scenelang.validate import check

pytestmark = pytest.mark.blender

LONG = "x" * 70
LONG_NAMES = block(f"patch geometry {{\n  shape {LONG} = sphere(radius=0.8)\n}}")
FINAL_RENDER_MARGIN = 40.0
"""Seconds allowed on top of --max-seconds: Blender's start and the final render come after."""


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    path = tmp_path_factory.mktemp("target") / "target.png"
    Image.new("RGB", (48, 36), (120, 90, 60)).save(path)
    return path


def config(**changes) -> EngineConfig:
    options = dict(size=32, samples=1, final_size=32, final_samples=1,
                   budgets={"geometry": 2, "materials": 0, "composition": 1, "lighting": 0})
    options.update(changes)
    return EngineConfig(**options)


def vlm(server, **changes) -> VLMProposer:
    options = dict(timeout=1.0, backoff=0.01, max_backoff=0.05, max_attempts=2)
    options.update(changes)
    return VLMProposer(VLMSettings(model="scripted-vlm", base_url=server.base_url,
                                   api_key="test", **options))


def assert_valid_run(root):
    check(parse_scene((root / "final.sl").read_text(), file="final.sl"))
    assert (root / "final.blend").stat().st_size > 0
    assert (root / "report.html").stat().st_size > 0
    assert json.loads((root / "run.json").read_text())["status"] == "finished"


@pytest.fixture(scope="module")
def faulty_run(target, tmp_path_factory):
    """Geometry round 1 trickles (both attempts time out), round 2 answers an over-long name and
    is repaired, composition never ends its body. The console logger is at WARNING, as on a
    terminal."""
    script = StageScript({("geometry", 1): Fault.trickle(0.3, GEOMETRY),
                          ("geometry", 2): [LONG_NAMES, GEOMETRY],
                          ("composition", 1): Fault.endless(0.05)})
    root = tmp_path_factory.mktemp("faulty") / "run"
    logger = logging.getLogger("scenelang")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with ScriptedServer(script) as server:
            t0 = time.monotonic()
            result = run_reconstruction(target, root, vlm(server), config(max_seconds=60))
            elapsed = time.monotonic() - t0
    finally:
        logger.setLevel(level)
    return result, elapsed, server


def test_trickling_endless_and_long_names_end_as_failed_rounds(faulty_run):
    result, elapsed, server = faulty_run
    assert elapsed < 60 + FINAL_RENDER_MARGIN
    assert_valid_run(result.root)
    step = lambda s, n: json.loads(
        (result.root / f"stages/{s}/step-{n:02d}/score.json").read_text())
    first = step("01-geometry", 1)
    assert first["status"] == "invalid"
    assert "timed out" in first["candidates"][0]["errors"][0]
    second = step("01-geometry", 2)
    assert second["status"] == "accepted"
    assert "too long" in second["candidates"][0]["attempts"][0]["error"]
    assert step("03-composition", 1)["status"] == "invalid"
    scene = parse_scene((result.root / "final.sl").read_text())
    assert {s.name for s in scene.geometry.statements} == {"ground", "ball"}


def test_run_folder_files_are_0644_and_no_scratch_is_left(faulty_run):
    root = faulty_run[0].root
    assert not (root / ".work").exists()
    for path in root.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_file():
            assert mode & 0o644 == 0o644 and not mode & 0o022, (path, oct(mode))
        else:
            assert mode & 0o755 == 0o755, (path, oct(mode))


def test_run_log_has_every_round_even_when_the_console_shows_warnings_only(faulty_run):
    log = (faulty_run[0].root / "run.log").read_text()
    assert "round 1: no valid patch" in log and "round 2: accepted" in log
    assert "final scene" in log


def test_max_seconds_holds_against_a_body_that_never_ends(target, tmp_path):
    with ScriptedServer([], default=Fault.endless(0.05)) as server:
        t0 = time.monotonic()
        result = run_reconstruction(target, tmp_path / "run",
                                    vlm(server, timeout=120.0, max_attempts=5),
                                    config(max_seconds=8, budgets={"geometry": 5}))
        elapsed = time.monotonic() - t0
    assert elapsed < 8 + FINAL_RENDER_MARGIN
    assert result.stopped and "max time" in result.stopped
    assert_valid_run(result.root)


def _damaged_copy(run, tmp_path, name):
    copy = tmp_path / name
    shutil.copytree(run, copy)
    data = json.loads((copy / "run.json").read_text())
    data["status"] = "interrupted"
    (copy / "run.json").write_text(json.dumps(data))
    (copy / "final.png").unlink()
    return copy


def _set_state(path, **changes):
    record = json.loads(path.read_text())
    record["state"].update(changes)
    path.write_text(json.dumps(record))


DAMAGE = {
    "run.json garbage": (lambda r: (r / "run.json").write_text("{not json"), "run.json"),
    "run.json a list": (lambda r: (r / "run.json").write_text("[1, 2]"), "run.json"),
    "run.json without settings": (
        lambda r: (r / "run.json").write_text(json.dumps({"status": "interrupted"})),
        "settings"),
    "target.png truncated": (lambda r: (r / "target.png").write_bytes(b"\x89PNG\r\n"),
                             "target.png"),
    "score.json garbage": (
        lambda r: (r / "stages/01-geometry/step-02/score.json").write_text("{"),
        "stages/01-geometry/step-02"),
    "render.png garbage": (
        lambda r: (r / "stages/01-geometry/step-02/render.png").write_text("no image"),
        "stages/01-geometry/step-02"),
    "scene.sl missing": (lambda r: (r / "stages/01-geometry/step-02/scene.sl").unlink(),
                         "stages/01-geometry/step-02"),
    "state.current outside": (
        lambda r: _set_state(r / "stages/03-composition/step-01/score.json",
                             current="../../outside"), "outside the run folder"),
    "start score garbage": (lambda r: (r / "start/score.json").write_text("[]"), "start/"),
    "a gap in the steps": (lambda r: shutil.rmtree(r / "stages/01-geometry/step-01"),
                           "not 1..1"),
    "response.md symlinked": (
        lambda r: ((r / "stages/01-geometry/step-02/response.md").unlink(),
                   os.symlink("/etc/passwd", r / "stages/01-geometry/step-02/response.md")),
        None),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_resume_of_a_damaged_run_says_what_and_how_to_recover(faulty_run, tmp_path, damage):
    damage_fn, named = DAMAGE[damage]
    run = _damaged_copy(faulty_run[0].root, tmp_path, "run")
    damage_fn(run)
    with ScriptedServer([], default=Fault.status(500)) as server:
        if named is None:  # harmless to the engine; the report must not embed the link
            result = run_reconstruction(run / "target.png", run, vlm(server), resume=True)
            assert_valid_run(result.root)
            assert "root:x:0:0" not in (run / "report.html").read_text()
            return
        with pytest.raises(RunDamaged) as info:
            run_reconstruction(run / "target.png", run, vlm(server), resume=True)
    message = str(info.value)
    assert "cannot resume" in message and named in message and "to recover" in message
    assert not (run / ".work").exists()


def test_following_the_recovery_advice_finishes_the_run(faulty_run, tmp_path):
    run = _damaged_copy(faulty_run[0].root, tmp_path, "run")
    (run / "stages/03-composition/step-01/render.png").write_text("broken")
    with ScriptedServer([], default=Fault.status(500)) as server:
        with pytest.raises(RunDamaged, match="remove .*step-01"):
            run_reconstruction(run / "target.png", run, vlm(server), resume=True)
        shutil.rmtree(run / "stages/03-composition/step-01")
        result = run_reconstruction(run / "target.png", run, vlm(server), resume=True)
    assert_valid_run(result.root)
