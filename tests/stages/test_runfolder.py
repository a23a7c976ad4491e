"""The run folder: atomic step folders and files, finished-step discovery, leftovers cleaned."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from scenelang.stages.engine.runfolder import (
    STEP_FILES,
    RunFolder,
    atomic_write,
    read_json,
    stage_scores,
    write_json,
)


def _files(n: int) -> dict:
    return {name: f"{name} of step {n}\n" for name in STEP_FILES if name != "score.json"} | {
        "score.json": json.dumps({"round": n})}


def test_step_folders_hold_every_file_and_are_found_in_order(tmp_path):
    folder = RunFolder(tmp_path / "run")
    for n in (1, 2, 3):
        folder.write_step("01-geometry", n, _files(n))
    assert folder.finished_steps("01-geometry") == [1, 2, 3]
    step = folder.step_dir("01-geometry", 2)
    assert step == tmp_path / "run" / "stages" / "01-geometry" / "step-02"
    assert sorted(p.name for p in step.iterdir()) == sorted(STEP_FILES)
    assert folder.step_record("01-geometry", 3) == {"round": 3}
    assert folder.finished_steps("02-materials") == []
    assert folder.relative(step) == "stages/01-geometry/step-02"


def test_a_path_value_is_copied_and_subfolders_are_written(tmp_path):
    folder = RunFolder(tmp_path)
    src = tmp_path / "render-0001.png"
    src.write_bytes(b"\x89PNG fake")
    folder.write_step("01-direct", 1, {"render.png": src, "score.json": "{}"},
                      {"candidate-1": {"patch.slp": "patch geometry {\n}\n"}})
    step = folder.step_dir("01-direct", 1)
    assert (step / "render.png").read_bytes() == b"\x89PNG fake"
    assert (step / "candidate-1" / "patch.slp").read_text() == "patch geometry {\n}\n"


def test_a_failed_write_leaves_no_step(tmp_path):
    folder = RunFolder(tmp_path)
    with pytest.raises(FileNotFoundError):
        folder.write_step("01-geometry", 1, {"score.json": "{}",
                                             "render.png": tmp_path / "missing.png"})
    assert folder.finished_steps("01-geometry") == []
    assert not list((tmp_path / "stages" / "01-geometry").iterdir())


def test_killed_writer_leaves_only_whole_steps_and_leftovers_are_cleaned(tmp_path):
    # a child process dies (SIGKILL-like, os._exit) while its step folder is half written
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from scenelang.stages.engine import runfolder as rf
        folder = rf.RunFolder({str(tmp_path)!r})
        folder.write_step("01-geometry", 1, {{"score.json": "{{}}"}})
        def dying_fill(directory, files):
            (Path(directory) / "prompt.md").write_text("half")
            os._exit(9)
        rf._fill = dying_fill
        folder.write_step("01-geometry", 2, {{"score.json": "{{}}"}})
    """)
    proc = subprocess.run([sys.executable, "-c", script])
    assert proc.returncode == 9
    folder = RunFolder(tmp_path)
    assert folder.finished_steps("01-geometry") == [1]
    leftovers = [p for p in (tmp_path / "stages" / "01-geometry").iterdir() if p.name != "step-01"]
    assert leftovers and all(p.name.startswith(".step-02.partial") for p in leftovers)
    removed = folder.clean_partial()
    assert sorted(removed) == sorted(leftovers)
    assert [p.name for p in (tmp_path / "stages" / "01-geometry").iterdir()] == ["step-01"]


def test_atomic_write_replaces_whole_files(tmp_path):
    path = tmp_path / "run.json"
    write_json(path, {"status": "running"})
    write_json(path, {"status": "finished"})
    assert read_json(path) == {"status": "finished"}
    atomic_write(tmp_path / "final.sl", "scenelang 1\n")
    assert (tmp_path / "final.sl").read_text() == "scenelang 1\n"
    assert sorted(os.listdir(tmp_path)) == ["final.sl", "run.json"]


def test_write_dir_and_run_json(tmp_path):
    folder = RunFolder(tmp_path / "run")
    assert folder.is_empty_or_missing() and not folder.exists()
    folder.write_dir(folder.start, {"scene.sl": "scenelang 1\n", "score.json": "{}"})
    folder.save_run({"status": "running"})
    assert folder.exists() and folder.load_run() == {"status": "running"}
    assert (folder.start / "scene.sl").is_file()
    assert not folder.is_empty_or_missing()


def test_stage_scores_summarises_rounds():
    rounds = [
        {"stage": "geometry", "status": "accepted", "combined": 0.5, "calls": 1,
         "selected": "stages/01-geometry/step-01", "selected_combined": 0.5},
        {"stage": "geometry", "status": "rejected", "combined": 0.4, "calls": 3,
         "selected": "stages/01-geometry/step-01", "selected_combined": 0.5},
        {"stage": "lighting", "status": "invalid", "combined": None, "calls": 3,
         "selected": "stages/01-geometry/step-01", "selected_combined": 0.5},
    ]
    got = stage_scores(rounds)
    assert got["geometry"] == {"rounds": [0.5, 0.4], "accepted": 1, "calls": 4,
                               "selected": "stages/01-geometry/step-01", "selected_combined": 0.5}
    assert got["lighting"]["rounds"] == [None] and got["lighting"]["accepted"] == 0
