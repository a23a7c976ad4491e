"""The run folder of a reconstruction: every step on disk, written atomically, resumable.

Layout (design brief section 5)::

    RUN/
      target.png            the input image (converted to PNG)
      run.json              settings, status, budget used, calls, tokens, timings, scores
      run.log               the run's log lines (appended across resumed sessions)
      start/                the starting scene: scene.sl, render.png, score.json
      stages/00-draft/step-01/ (with --draft)
      stages/01-geometry/step-01/ {prompt.md, response.md, patch.slp, scene.sl, render.png,
                                   score.json, verdict}
      stages/02-materials/...  stages/03-composition/...  stages/04-lighting/...
      stages/01-direct/...  (--mode direct instead of the four stages)
      final.sl  final.py  final.blend  final.png

A step is built in a hidden temporary folder and renamed into place when complete, so a step
folder either exists whole or not at all: an interrupted run (Ctrl-C, SIGKILL, power loss) leaves
only finished steps, and `--resume` continues after the last of them. Single files (run.json,
final.*) are likewise written to a temporary name and renamed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scenelang.stages.files import DIR_MODE, FILE_MODE, atomic_write

STEP_FILES = ("prompt.md", "response.md", "patch.slp", "scene.sl", "render.png", "score.json",
              "verdict")
"""The files every step folder holds."""

_STEP_DIR = re.compile(r"^step-(\d+)$")


class RunFolderError(ValueError):
    """A path read from a run folder points outside it (or is not a plain run-relative path)."""


def confined(root: Path, rel: str | Path) -> Path:
    """`root / rel` resolved (symbolic links followed), refused unless it stays inside `root`.

    Every path the engine or the report reads from a run folder's own files (`state.current`,
    a step's `render.png`, ...) goes through here, so a damaged or hostile run folder cannot make
    them read (or embed, or adopt) a file from elsewhere."""
    base = Path(root).resolve()
    text = str(rel)
    if not text or "\x00" in text or Path(text).is_absolute():
        raise RunFolderError(f"{text!r} is not a path inside the run folder")
    path = (base / text).resolve()
    if path != base and base not in path.parents:
        raise RunFolderError(f"{text!r} points outside the run folder")
    return path


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


MAX_JSON_BYTES = 64 * 2**20
"""The largest JSON record read back from a run folder (run.json, score.json: a few kB)."""


def read_json(path: Path) -> Any:
    """The JSON document in the file `path` of a run folder. A run folder is data someone may
    have edited: a file that is not a regular file (a FIFO would block), larger than
    `MAX_JSON_BYTES` or nested too deeply for the decoder is a `ValueError` (`OSError` when it
    cannot be read), like any other malformed JSON, never another exception."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise OSError(f"{path.name} is not a regular file")
    with open(path, "rb") as handle:
        data = handle.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise ValueError(f"{path.name} is larger than {MAX_JSON_BYTES // 2**20} MiB")
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError(f"{path.name} is nested too deeply") from None


class RunFolder:
    """One run folder at `root`."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    # ------------------------------------------------------------------ paths
    @property
    def target(self) -> Path:
        return self.root / "target.png"

    @property
    def run_json(self) -> Path:
        return self.root / "run.json"

    @property
    def log_file(self) -> Path:
        return self.root / "run.log"

    @property
    def start(self) -> Path:
        return self.root / "start"

    def final(self, suffix: str) -> Path:
        """`final.sl`, `final.py`, `final.blend` or `final.png` (suffix with the dot)."""
        return self.root / f"final{suffix}"

    def stage_dir(self, folder: str) -> Path:
        """The folder of a stage, e.g. `stage_dir("01-geometry")`."""
        return self.root / "stages" / folder

    def step_dir(self, folder: str, step: int) -> Path:
        return self.stage_dir(folder) / f"step-{step:02d}"

    def relative(self, path: Path) -> str:
        return Path(path).relative_to(self.root).as_posix()

    # ------------------------------------------------------------------ state
    def exists(self) -> bool:
        return self.run_json.is_file()

    def is_empty_or_missing(self) -> bool:
        return not self.root.exists() or (self.root.is_dir() and not any(self.root.iterdir()))

    def load_run(self) -> dict[str, Any]:
        return read_json(self.run_json)

    def save_run(self, data: Mapping[str, Any]) -> None:
        write_json(self.run_json, dict(data))

    def finished_steps(self, folder: str) -> list[int]:
        """Numbers of the complete steps of a stage, ascending."""
        d = self.stage_dir(folder)
        if not d.is_dir():
            return []
        steps = []
        for child in d.iterdir():
            m = _STEP_DIR.match(child.name)
            if m and child.is_dir() and (child / "score.json").is_file():
                steps.append(int(m.group(1)))
        return sorted(steps)

    def step_record(self, folder: str, step: int) -> dict[str, Any]:
        return read_json(self.step_dir(folder, step) / "score.json")

    def clean_partial(self) -> list[Path]:
        """Remove temporary leftovers of an interrupted session; returns what was removed."""
        removed = []
        if not self.root.is_dir():
            return removed
        for path in list(self.root.rglob(".*.tmp")) + list(self.root.rglob(".*.partial*")):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
        return removed

    # ------------------------------------------------------------------ writing steps
    def write_step(self, folder: str, step: int, files: Mapping[str, bytes | str | Path],
                   extra_dirs: Mapping[str, Mapping[str, bytes | str | Path]] | None = None
                   ) -> Path:
        """Write a whole step folder at once: `files` maps file names to contents (bytes, text,
        or a Path to copy); `extra_dirs` adds sub-folders (e.g. one per candidate). The folder
        appears complete or not at all."""
        final = self.step_dir(folder, step)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".step-{step:02d}.partial", dir=final.parent))
        try:
            os.chmod(tmp, DIR_MODE)
            _fill(tmp, files)
            for sub, sub_files in (extra_dirs or {}).items():
                (tmp / sub).mkdir(mode=DIR_MODE)
                _fill(tmp / sub, sub_files)
            _fsync_tree(tmp)
            if final.exists():  # a step rewritten by the same session (never by resume)
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def write_dir(self, path: Path, files: Mapping[str, bytes | str | Path]) -> Path:
        """Like `write_step` for any folder under the run (e.g. `start/`)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial", dir=path.parent))
        try:
            os.chmod(tmp, DIR_MODE)
            _fill(tmp, files)
            _fsync_tree(tmp)
            if path.exists():
                shutil.rmtree(path)
            os.replace(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return path

    def step_folders(self, folders: Iterable[str]) -> list[Path]:
        """Every finished step folder of the given stages, in order."""
        return [self.step_dir(f, n) for f in folders for n in self.finished_steps(f)]


def _fill(directory: Path, files: Mapping[str, bytes | str | Path]) -> None:
    for name, content in files.items():
        target = directory / name
        if isinstance(content, Path):
            shutil.copyfile(content, target)
            os.chmod(target, FILE_MODE)
        elif isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)


def _fsync_tree(directory: Path) -> None:
    for child in directory.rglob("*"):
        if child.is_file():
            with open(child, "rb") as fh:
                os.fsync(fh.fileno())


def stage_scores(rounds: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-stage score summary from the round log: combined score per round (None for a round
    with no valid patch), rounds accepted, and the selected scene after the stage's last round."""
    stages: dict[str, Any] = {}
    for r in rounds:
        entry = stages.setdefault(r["stage"], {"rounds": [], "accepted": 0, "calls": 0})
        entry["rounds"].append(r.get("combined"))
        entry["accepted"] += r.get("status") == "accepted"
        entry["calls"] += r.get("calls", 0)
        entry["selected"] = r.get("selected")
        entry["selected_combined"] = r.get("selected_combined")
    return stages


def json_text(data: Any) -> str:
    return json.dumps(data, indent=2) + "\n"


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def verdict_text(status: str, before: float, combined: float | None,
                 verifier: str | None) -> str:
    """A step's `verdict` file: the engine's decision with the scores, then the verifier's
    verdict (`approved` or `rejected` and its checklist) or `not run`."""
    if combined is None:
        head = f"{status}: no valid patch; the scene stays as it was (score {before:.4f})"
    else:
        head = f"{status}: score {before:.4f} -> {combined:.4f}"
    return head + "\nverifier: " + ("not run\n" if verifier is None else verifier)


def run_summary(folder: RunFolder, *, status: str, stopped: str | None,
                target: Mapping[str, Any], settings: Mapping[str, Any],
                proposer: Mapping[str, Any], render: Mapping[str, Any],
                budget: Mapping[str, Any], rounds: list[Mapping[str, Any]],
                sessions: list[Mapping[str, Any]], selected: Mapping[str, Any] | None,
                best: Mapping[str, Any] | None,
                final_score: Mapping[str, float] | None,
                confidence: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The content of run.json.

    `status`: running, interrupted or finished; `stopped`: why a hard cap ended the run early;
    `budget`: `Budget.to_dict()` (calls, tokens, images, renders, timings per stage and in
    total); `rounds`: one entry per finished round (stage, round, status, combined score, the
    selected step and the best step by metric); `scores`: start, selected, best by metric, per
    stage, and final (final.png against the full-size target); `confidence`: per-object and
    overall confidence with the doubts about the result (`engine.confidence`), once finished.
    """
    start = folder.start / "score.json"
    return {
        "status": status,
        "stopped": stopped,
        "target": dict(target),
        "settings": dict(settings),
        "proposer": dict(proposer),
        "render": dict(render),
        "budget": dict(budget),
        "scores": {
            "start": read_json(start)["combined"] if start.is_file() else None,
            "selected": selected and dict(selected),
            "best_by_metric": best and dict(best),
            "stages": stage_scores(rounds),
            "final": dict(final_score) if final_score else None,
        },
        "confidence": dict(confidence) if confidence else None,
        "rounds": list(rounds),
        "sessions": list(sessions),
        "final": {k: f"final.{k}" for k in ("sl", "py", "blend", "png")}
        if status == "finished" else None,
    }
