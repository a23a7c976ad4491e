"""`scenelang reconstruct` on the command line: options, errors, a whole run in a subprocess,
and SIGKILL mid-run followed by `--resume` (scripted server, real Blender at 96 px)."""

import argparse
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from engine_script import GOOD, TARGET_SL
from scripted_server import ScriptedServer, StageScript, stage_of
from terminal import FakeClock, FakeTTY, screen

from scenelang.cli.console import Console
from scenelang.cli.main import main
from scenelang.cli.reconstruct import _setup_logging, parse_budget
from scenelang.parser import parse_scene
from scenelang.stages.engine.loop import EngineConfig, plan
from scenelang.stages.engine.runfolder import RunFolder

API_KEY = "sk-test-secret-4242"
SMALL = ["--size", "96", "--samples", "4", "--final-size", "96", "--final-samples", "4"]
BUDGET = "geometry=3,materials=2,composition=2,lighting=2"


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    from scenelang.backends.blender.runner import render_scene
    from scenelang.compiler.settings import RenderSettings

    path = tmp_path_factory.mktemp("target") / "target.png"
    render_scene(parse_scene(TARGET_SL), path, settings=RenderSettings(samples=4, size=(96, 72)))
    return path


def reconstruct(*args: str, server=None, wait=True):
    command = [sys.executable, "-m", "scenelang.cli.main", "reconstruct", *args]
    if server is not None:
        command += ["--proposer", "vlm", "--base-url", server.base_url, "--model", "scripted"]
    env = {**os.environ, "OPENAI_API_KEY": API_KEY}
    env.pop("SCENELANG_MODEL", None)
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_parse_budget():
    assert parse_budget("geometry=5,materials=3") == {"geometry": 5, "materials": 3}
    assert parse_budget(" lighting=0 ,") == {"lighting": 0}
    for bad in ("shading=2", "geometry", "geometry=two", "geometry=-1"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_budget(bad)


def test_log_lines_go_above_the_bar_on_a_terminal_and_plain_elsewhere():
    logger = logging.getLogger("scenelang")
    level = logger.level
    for stream, quiet, shown in (
            (io.StringIO(), False, ["reconstruct: round 1", "reconstruct: slow"]),
            (io.StringIO(), True, ["reconstruct: slow"]),
            (FakeTTY(), False, ["reconstruct: slow", "reconstruct: done, 1/3 in 0.0s"])):
        progress = Console(stream, clock=FakeClock()).progress(3, "reconstruct", quiet=quiet,
                                                               terminal_only=True)
        handler = _setup_logging(quiet, progress)
        try:
            with progress:
                logger.info("round 1")
                logger.warning("slow")
                progress.advance("geometry round 1")
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
        assert screen(stream.getvalue()) == shown
        assert progress.tty == isinstance(stream, FakeTTY)


def test_bad_options_are_usage_errors(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["reconstruct", "x.png", "-o", str(tmp_path / "run"), "--budget", "shading=2"])
    assert info.value.code == 2
    assert "STAGE=ROUNDS" in capsys.readouterr().err


def test_unknown_proposer_is_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["reconstruct", "x.png", "-o", str(tmp_path / "run"), "--proposer", "oracle"])
    assert info.value.code == 2
    assert "invalid choice: 'oracle'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_registry_names_every_proposer_and_refuses_unknown_ones():
    from scenelang.stages.proposers.base import ProposerUnavailable
    from scenelang.stages.proposers.registry import PROPOSERS, make_proposer

    assert sorted(PROPOSERS) == ["offline", "vlm"]
    with pytest.raises(ProposerUnavailable, match="unknown proposer 'oracle' .choose offline or vlm"):
        make_proposer("oracle")


def test_vlm_without_a_model_is_a_clear_error(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("SCENELANG_MODEL", raising=False)
    code = main(["reconstruct", "x.png", "-o", str(tmp_path / "run"), "--proposer", "vlm"])
    assert code == 2
    assert "--model" in capsys.readouterr().err


@pytest.mark.blender
def test_unreadable_image_and_busy_folder_are_positioned_errors(target, tmp_path, capsys):
    with ScriptedServer([]) as server:
        args = ["--proposer", "vlm", "--base-url", server.base_url, "--model", "m", *SMALL]
        (tmp_path / "notes.txt").write_text("not an image")
        assert main(["reconstruct", str(tmp_path / "notes.txt"), "-o",
                     str(tmp_path / "run"), *args]) == 1
        assert "cannot read the target image" in capsys.readouterr().err
        assert main(["reconstruct", str(target), "-o", str(tmp_path), *args]) == 1
        assert "not empty" in capsys.readouterr().err
        assert main(["reconstruct", "-o", str(tmp_path / "nothing"), "--resume", *args]) == 1
        assert "nothing to resume" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.blender
def test_whole_run_prints_where_the_results_are(target, tmp_path):
    run = tmp_path / "run"
    with ScriptedServer(StageScript(GOOD)) as server:
        proc = reconstruct(str(target), "-o", str(run), "--budget", BUDGET, *SMALL,
                           server=server)
    assert proc.returncode == 0, proc.stderr
    assert f"final scene:  {run / 'final.sl'}" in proc.stdout
    assert f"blend file:   {run / 'final.blend'}" in proc.stdout
    assert f"final render: {run / 'final.png'}" in proc.stdout
    assert "9 calls" in proc.stdout
    assert "reconstruct: lighting round 1: accepted" in proc.stderr
    assert len(server.requests) == 9
    assert parse_scene((run / "final.sl").read_text()) == parse_scene(TARGET_SL)
    data = json.loads((run / "run.json").read_text())
    assert data["proposer"] == {"name": "vlm", "model": "scripted", "base_url": server.base_url}
    assert data["settings"]["budgets"] == parse_budget(BUDGET) and not data["settings"]["draft"]
    for path in run.rglob("*"):  # the API key never reaches the disk
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path


@pytest.mark.slow
@pytest.mark.blender
def test_json_output_and_report(target, tmp_path):
    run = tmp_path / "run"
    with ScriptedServer(StageScript(GOOD)) as server:
        proc = reconstruct(str(target), "-o", str(run), "--budget", BUDGET, *SMALL, "--json",
                           server=server)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["final_sl"] == str(run / "final.sl") and result["calls"] == 9
    assert 0 < result["final_score"]["combined"] <= 1
    confidence = result["confidence"]
    assert 0 <= confidence["overall"] <= 1 and "ball_1" in confidence["objects"]
    for doubt in confidence["doubts"]:  # each doubt is also a warning on stderr
        assert f"doubtful result: {doubt}" in proc.stderr
    assert "round 1: accepted" not in proc.stderr  # --json keeps stderr to warnings
    assert (run / "report.html").is_file() and result["report"] == str(run / "report.html")


def finished_keys(run) -> set:
    folder = RunFolder(run)
    return {(p.key, n) for p in plan(EngineConfig()) for n in folder.finished_steps(p.folder)}


def wait_for_rounds(proc, run, count: int) -> None:
    deadline = time.monotonic() + 120
    while len(finished_keys(run)) < count and proc.poll() is None:
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.blender
def test_sigkill_then_ctrl_c_then_resume_finishes_without_redoing_rounds(target, tmp_path):
    whole, run = tmp_path / "whole", tmp_path / "run"
    all_rounds = {(s, n) for s, n in [("geometry", 1), ("geometry", 2), ("geometry", 3),
                                      ("materials", 1), ("materials", 2), ("composition", 1),
                                      ("composition", 2), ("lighting", 1), ("lighting", 2)]}
    with ScriptedServer(StageScript(GOOD)) as server:
        proc = reconstruct(str(target), "-o", str(whole), "--budget", BUDGET, *SMALL,
                           server=server)
        assert proc.returncode == 0, proc.stderr
        server.reset()

        # SIGKILL after three finished rounds: nothing can be cleaned up, nothing is lost
        killed = reconstruct(str(target), "-o", str(run), "--budget", BUDGET, *SMALL,
                             server=server, wait=False)
        wait_for_rounds(killed, run, 3)
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=30)
        assert killed.returncode == -signal.SIGKILL
        after_kill = finished_keys(run)
        assert 3 <= len(after_kill) < 9
        assert json.loads((run / "run.json").read_text())["status"] == "running"
        server.reset()

        # resume, then Ctrl-C (SIGINT) one round later, while the run waits for the model:
        # a clean stop, marked interrupted (the server holds every request after the first)
        server.hold_after, server.release = 1, threading.Event()
        interrupted = reconstruct("-o", str(run), "--resume", server=server, wait=False)
        wait_for_rounds(interrupted, run, len(after_kill) + 1)
        assert interrupted.poll() is None, "the resumed run ended before the signal"
        time.sleep(0.5)  # let it reach the held request
        interrupted.send_signal(signal.SIGINT)
        try:
            _, err = interrupted.communicate(timeout=60)
        finally:
            server.release.set()
            server.hold_after = None
        assert interrupted.returncode == 130, err
        assert "interrupted" in err and "Traceback" not in err
        assert json.loads((run / "run.json").read_text())["status"] == "interrupted"
        after_interrupt = finished_keys(run)
        assert after_kill < after_interrupt < all_rounds
        asked_first = {stage_of(r) for r in server.requests}
        server.reset()

        resumed = reconstruct("-o", str(run), "--resume", server=server)
    assert resumed.returncode == 0, resumed.stderr
    # finished rounds were never asked again; each remaining round was asked exactly once
    asked = [stage_of(r) for r in server.requests]
    assert sorted(asked) == sorted(all_rounds - after_interrupt)
    assert not asked_first & after_kill
    assert finished_keys(run) == all_rounds
    assert (run / "final.sl").read_text() == (whole / "final.sl").read_text()
    first, second = (json.loads((p / "run.json").read_text()) for p in (whole, run))
    assert [r["combined"] for r in first["rounds"]] == [r["combined"] for r in second["rounds"]]
    assert second["budget"]["total"]["proposals"] == 9
    assert second["settings"] == first["settings"]
    assert [s["resumed"] for s in second["sessions"]] == [False, True, True]
    assert not list(run.rglob("*.partial*")) and not list(run.rglob(".*.tmp"))
