"""`check_resumable` on run folders built by hand (no Blender): a healthy folder is accepted with
its stored settings, and each kind of damage is a `RunDamaged` error naming what is damaged, why,
and how to recover (issue 15: the mutation run of `stages/engine/resume.py` found branches and
messages only the slow Blender resume tests reached, and several that none pinned)."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from PIL import Image

from scenelang.errors import SceneError
from scenelang.parser import parse_scene
from scenelang.printer import print_scene
from scenelang.stages.engine.config import EngineConfig
from scenelang.stages.engine.loop import starting_scene
from scenelang.stages.engine.resume import RunDamaged, check_resumable, why
from scenelang.stages.engine.runfolder import RunFolder, json_text

GEOMETRY = "01-geometry"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (120, 130, 140)).save(out, format="PNG")
    return out.getvalue()


def settings() -> EngineConfig:
    return EngineConfig(size=48, samples=1, final_size=48, final_samples=1,
                        budgets={"geometry": 3, "materials": 0, "composition": 0, "lighting": 0})


def state(step: str, score: float) -> dict:
    return {"current": step, "current_score": score, "best": step, "best_score": score,
            "stage_best": step, "stage_best_score": score, "checklist": [],
            "history": ["round 1: accepted"], "stop": None}


def record(n: int, score: float) -> dict:
    step = f"stages/{GEOMETRY}/step-{n:02d}"
    return {"stage": "geometry", "round": n, "step": step, "status": "accepted",
            "combined": score, "previous_combined": 0.1, "score": {"combined": score},
            "selected": step, "selected_combined": score,
            "best_by_metric": {"step": step, "combined": score}, "candidates": [],
            "verdict": None, "calls": 1, "state": state(step, score), "budget": {"calls": n}}


def build_run(root, steps: int = 2, status: str = "interrupted") -> RunFolder:
    """A run folder as the engine leaves it after `steps` geometry rounds."""
    folder = RunFolder(root)
    root.mkdir(parents=True)
    image = png_bytes()
    (root / "target.png").write_bytes(image)
    scene_text = print_scene(starting_scene((8, 6)))
    folder.write_dir(folder.start, {"scene.sl": scene_text, "render.png": image,
                                    "score.json": json_text({"score": {"combined": 0.1},
                                                             "combined": 0.1})})
    for n in range(1, steps + 1):
        folder.write_step(GEOMETRY, n, {"scene.sl": scene_text, "render.png": image,
                                        "score.json": json_text(record(n, 0.1 + n / 10))})
    run = {"status": status, "settings": settings().to_dict(), "proposer": {"name": "x"}}
    if status == "finished":
        run |= {"scores": {"final": {"combined": 0.5}}, "budget": {"total": {"calls": 2}}}
    folder.save_run(run)
    return folder


@pytest.fixture
def run(tmp_path):
    return build_run(tmp_path / "run")


def edit_json(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def damage_of(folder: RunFolder) -> str:
    with pytest.raises(RunDamaged) as info:
        check_resumable(folder)
    return info.value.errors[0].message


def fresh(folder: RunFolder) -> str:
    return (f"start a new run instead (`scenelang reconstruct IMAGE -o NEW_RUN`); "
            f"`scenelang report {folder.root}` still shows what the run holds")


def expect(folder: RunFolder, what: str, why_text: str, recover: str) -> None:
    assert damage_of(folder) == (f"{folder.root}: cannot resume: {what} is damaged ({why_text}); "
                                 f"to recover, {recover}")


# ---------------------------------------------------------------- healthy folders


def test_a_healthy_run_folder_gives_back_its_run_json_and_settings(run):
    stored, config = check_resumable(run)
    assert stored == json.loads(run.run_json.read_text())
    assert config == settings()


def test_a_finished_run_with_its_results_is_resumable(tmp_path):
    folder = build_run(tmp_path / "run", status="finished")
    stored, _ = check_resumable(folder)
    assert stored["status"] == "finished"


def test_a_run_without_a_start_folder_is_resumable(run):
    shutil.rmtree(run.start)  # the engine renders the start again
    check_resumable(run)


def test_best_may_name_a_step_whose_files_are_gone(run):
    """Only `current` and `stage_best` are read back as scenes; `best` is a record."""
    edit_json(run.step_dir(GEOMETRY, 2) / "score.json",
              lambda r: r["state"].update(best="stages/01-geometry/step-09"))
    check_resumable(run)


# ---------------------------------------------------------------- run.json and target.png


def test_run_json_that_is_not_json(run):
    run.run_json.write_text("{not json")
    expect(run, "run.json",
           "JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 "
           "(char 1)", fresh(run))


def test_run_json_missing(run):
    run.run_json.unlink()
    expect(run, "run.json", "run.json is missing", fresh(run))


def test_run_json_that_is_a_list(run):
    run.run_json.write_text("[1, 2]")
    expect(run, "run.json", "a JSON list, not an object", fresh(run))


def test_settings_missing(run):
    edit_json(run.run_json, lambda d: d.pop("settings"))
    expect(run, "run.json's settings", "missing 'settings'", fresh(run))


def test_settings_not_an_object(run):
    edit_json(run.run_json, lambda d: d.update(settings=[1]))
    expect(run, "run.json's settings", "TypeError: settings is not an object", fresh(run))


def test_settings_the_engine_refuses(run):
    edit_json(run.run_json, lambda d: d["settings"].update(mode="sideways"))
    expect(run, "run.json's settings", "mode must be staged or direct, got 'sideways'", fresh(run))


def test_target_png_truncated(run):
    run.target.write_bytes(b"\x89PNG\r\n")
    assert damage_of(run).startswith(f"{run.root}: cannot resume: target.png is damaged (")
    assert damage_of(run).endswith(
        f"); to recover, copy the original image to target.png (as PNG), or {fresh(run)}")


def test_target_png_missing(run):
    run.target.unlink()
    expect(run, "target.png", "target.png is missing",
           f"copy the original image to target.png (as PNG), or {fresh(run)}")


@pytest.mark.parametrize("change, reason", [
    (lambda d: d.pop("scores"), "missing 'scores'"),
    (lambda d: d["budget"]["total"].pop("calls"), "missing 'calls'"),
    (lambda d: d["budget"]["total"].update(calls="many"),
     "ValueError: invalid literal for int() with base 10: 'many'"),
    (lambda d: d["scores"].update(final=[1, 2]),
     "TypeError: cannot convert dictionary update sequence element #0 to a sequence"),
])
def test_a_finished_run_without_its_results(tmp_path, change, reason):
    folder = build_run(tmp_path / "run", status="finished")
    edit_json(folder.run_json, change)
    expect(folder, "run.json's results", reason, fresh(folder))


def test_an_unfinished_run_needs_no_results(run):
    edit_json(run.run_json, lambda d: d.update(scores=None, budget=None))
    check_resumable(run)


# ---------------------------------------------------------------- start/


def start_recover(run: RunFolder) -> str:
    return f"remove {run.start} (it is rendered again) and resume"


def test_start_score_that_is_a_list(run):
    (run.start / "score.json").write_text("[]")
    expect(run, "start/", "TypeError: list indices must be integers or slices, not str",
           start_recover(run))


def test_a_long_reason_is_cut_at_300_characters(run):
    (run.start / "score.json").write_text(json.dumps({"combined": "x" * 400}))
    message = damage_of(run)
    reason = message.split(" is damaged (", 1)[1].rsplit("); to recover, ", 1)[0]
    assert reason.startswith("ValueError: could not convert string to float: 'xxx")
    assert len(reason) == 300


def test_start_scene_that_does_not_parse(run):
    text = "scenelang 1\ngeometry {\n"
    (run.start / "scene.sl").write_text(text)
    with pytest.raises(SceneError) as parsed:
        parse_scene(text)
    expect(run, "start/", parsed.value.errors[0].message, start_recover(run))


def test_start_render_missing(run):
    (run.start / "render.png").unlink()
    expect(run, "start/", "render.png is missing", start_recover(run))


# ---------------------------------------------------------------- steps


def step_recover(run: RunFolder, n: int) -> str:
    return (f"remove {run.step_dir(GEOMETRY, n)} and the steps after it, then resume to redo "
            f"those rounds")


def test_a_gap_in_the_steps(run):
    shutil.rmtree(run.step_dir(GEOMETRY, 1))
    expect(run, "stages/01-geometry", "steps [2] are not 1..1",
           f"remove the step folders after the gap in {run.stage_dir(GEOMETRY)} and resume")


STEP_DAMAGE = {
    "score.json a list": (None, "TypeError: score.json is not a JSON object"),
    "state not an object": (lambda r: r.update(state=[1]), "TypeError: its state is not the engine's"),
    "state with a foreign key": (lambda r: r["state"].update(mine=1),
                                 "TypeError: its state is not the engine's"),
    "state without a field": (lambda r: r["state"].pop("best_score"),
                              "TypeError: LoopState.__init__() missing 1 required positional "
                              "argument: 'best_score'"),
    "budget not an object": (lambda r: r.update(budget=3), "TypeError: its budget is not an object"),
    "record without calls": (lambda r: r.pop("calls"), "missing 'calls'"),
    "current not a path": (lambda r: r["state"].update(current=3), "TypeError: state.current is not a path"),
    "stage_best not a path": (lambda r: r["state"].update(stage_best=None),
                              "TypeError: state.stage_best is not a path"),
    "best not a path": (lambda r: r["state"].update(best=1.5), "TypeError: state.best is not a path"),
    "best outside the run": (lambda r: r["state"].update(best="../elsewhere"),
                             "RunFolderError: '../elsewhere' points outside the run folder"),
    "current without files": (lambda r: r["state"].update(current="stages/01-geometry"),
                              "scene.sl is missing"),
    "stage_best without files": (lambda r: r["state"].update(stage_best="start/nothing"),
                                 "scene.sl is missing"),
}


@pytest.mark.parametrize("damage", sorted(STEP_DAMAGE))
def test_a_damaged_step_names_the_step_and_how_to_recover(run, damage):
    change, reason = STEP_DAMAGE[damage]
    path = run.step_dir(GEOMETRY, 2) / "score.json"
    if change is None:
        path.write_text("[]")
    else:
        edit_json(path, change)
    expect(run, "stages/01-geometry/step-02", reason, step_recover(run, 2))


def test_a_step_render_that_is_no_image(run):
    (run.step_dir(GEOMETRY, 1) / "render.png").write_text("no image")
    message = damage_of(run)
    assert message.startswith(f"{run.root}: cannot resume: stages/01-geometry/step-01 is damaged (")
    assert message.endswith(step_recover(run, 1))


def test_a_step_scene_that_is_missing(run):
    (run.step_dir(GEOMETRY, 1) / "scene.sl").unlink()
    expect(run, "stages/01-geometry/step-01", "scene.sl is missing", step_recover(run, 1))


# ---------------------------------------------------------------- why


def test_why_gives_the_first_error_of_a_scene_error():
    assert why(SceneError("bad thing")) == "bad thing"


def test_why_of_a_parse_error_is_its_message_without_the_position():
    with pytest.raises(SceneError) as info:
        parse_scene("scenelang 1\ngeometry {\n", file="x.sl")
    assert info.value.errors[0].span is not None
    assert why(info.value) == info.value.errors[0].message
    assert "x.sl" not in why(info.value)


def test_why_of_a_scene_error_without_errors_is_its_summary():
    error = SceneError([])
    assert why(error) == error.summary() == ""


def test_why_of_a_missing_file_without_a_name():
    assert why(FileNotFoundError()) == "? is missing"
