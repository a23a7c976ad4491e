"""Checking a run folder before `--resume` touches it: every file the engine will read is read
first, and damage is a `RunDamaged` error saying what is damaged and how to recover."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from scenelang.errors import SceneError
from scenelang.parser import parse_scene
from scenelang.stages.engine.config import EngineConfig, plan
from scenelang.stages.engine.runfolder import RunFolder, confined, read_json
from scenelang.stages.engine.state import LoopState, round_summary


class RunDamaged(SceneError):
    """`--resume` found a run folder it cannot continue: what is damaged and how to recover."""


def why(exc: BaseException) -> str:
    """A short reason for a damage message (SceneErrors give their first diagnostic)."""
    if isinstance(exc, SceneError):
        return exc.errors[0].message if exc.errors else exc.summary()
    if isinstance(exc, KeyError):
        return f"missing {exc}"
    if isinstance(exc, FileNotFoundError):
        return f"{Path(exc.filename or '?').name} is missing"
    return f"{type(exc).__name__}: {exc}"[:300]


def check_resumable(folder: RunFolder) -> tuple[dict[str, Any], EngineConfig]:
    """Read everything `--resume` relies on before anything runs; a damaged run folder is a
    `RunDamaged` error that says what is damaged and how to recover, never a traceback."""
    f = folder
    root = f.root
    fresh = (f"start a new run instead (`scenelang reconstruct IMAGE -o NEW_RUN`); "
             f"`scenelang report {root}` still shows what the run holds")

    def damaged(what: str, why: object, recover: str) -> RunDamaged:
        return RunDamaged(f"{root}: cannot resume: {what} is damaged ({why}); to recover, "
                          f"{recover}")

    try:
        stored = f.load_run()
    except (OSError, ValueError) as exc:
        raise damaged("run.json", why(exc), fresh) from None
    if not isinstance(stored, dict):
        raise damaged("run.json", f"a JSON {type(stored).__name__}, not an object", fresh)
    try:
        settings = stored["settings"]
        if not isinstance(settings, dict):
            raise TypeError("settings is not an object")
        config = EngineConfig.from_dict(settings)
    except Exception as exc:
        raise damaged("run.json's settings", why(exc), fresh) from None
    try:
        with Image.open(confined(root, "target.png")) as im:
            im.load()
    except Exception as exc:
        raise damaged("target.png", why(exc),
                      "copy the original image to target.png (as PNG), or " + fresh) from None
    if stored.get("status") == "finished":
        try:
            dict(stored["scores"].get("final") or {})
            int(stored["budget"]["total"]["calls"])
        except Exception as exc:
            raise damaged("run.json's results", why(exc), fresh) from None
    if (f.start / "score.json").exists():
        try:
            float(read_json(confined(root, "start/score.json"))["combined"])
            check_scene_dir(root, "start")
        except Exception as exc:
            raise damaged("start/", why(exc),
                          f"remove {f.start} (it is rendered again) and resume") from None
    fields = set(LoopState.__dataclass_fields__)
    for phase in plan(config):
        done = f.finished_steps(phase.folder)
        if done != list(range(1, len(done) + 1)):
            raise damaged(f"stages/{phase.folder}", f"steps {done} are not 1..{len(done)}",
                          f"remove the step folders after the gap in "
                          f"{f.stage_dir(phase.folder)} and resume")
        for n in done:
            step = f.step_dir(phase.folder, n)
            rel = f.relative(step)
            try:
                record = f.step_record(phase.folder, n)
                if not isinstance(record, dict):
                    raise TypeError("score.json is not a JSON object")
                state = record["state"]
                if not isinstance(state, dict) or set(state) - fields:
                    raise TypeError("its state is not the engine's")
                LoopState(**state)
                if not isinstance(record["budget"], dict):
                    raise TypeError("its budget is not an object")
                round_summary(record)
                for key in ("current", "stage_best", "best"):
                    if not isinstance(state[key], str):
                        raise TypeError(f"state.{key} is not a path")
                    confined(root, state[key])
                for key in ("current", "stage_best"):
                    check_scene_dir(root, state[key])
                check_scene_dir(root, rel)
            except Exception as exc:
                raise damaged(rel, why(exc),
                              f"remove {step} and the steps after it, then resume to redo "
                              f"those rounds") from None
    return stored, config

def check_scene_dir(root: Path, rel: str) -> None:
    """A run-relative step folder holds a parsable scene.sl and a readable render.png."""
    folder = confined(root, rel)
    parse_scene(confined(folder, "scene.sl").read_text(encoding="utf-8"), file=rel)
    with Image.open(confined(folder, "render.png")) as im:
        im.load()
