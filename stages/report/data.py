"""Reading a run folder into plain data for the report, tolerating anything missing or broken.

`load_run(run_dir)` never raises for a damaged folder: a missing or unreadable file becomes None
(or an entry in `problems` / `StepView.missing`), so a report of an interrupted, partial or
hand-edited run still shows everything that is there. It reads the layout written by
`scenelang.stages.engine.loop` and `scenelang.stages.engine.runfolder` (design brief section 5):
`run.json`, `target.png`, `start/`, `stages/NN-stage/step-NN/{prompt.md, response.md, patch.slp,
scene.sl, render.png, score.json, verdict}` (with `candidate-N/` sub-folders when a round had
several candidates) and `final.{sl,py,blend,png,glb}`.
"""

from __future__ import annotations

import contextvars
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenelang.errors import SceneError
from scenelang.parser import parse_scene

STEP_STATUSES = ("accepted", "rejected", "invalid")
"""Step outcomes the engine records; anything else is shown as "unknown"."""

METRIC_KEYS = ("combined", "ssim", "ms_ssim", "iou", "edge_f1", "psnr", "color_error")
"""Metrics shown in the report, in this order (others in a score are ignored)."""

_STAGE_DIR = re.compile(r"^(\d+)-([A-Za-z_][A-Za-z0-9_]*)$")
_STEP_DIR = re.compile(r"^step-(\d+)$")
_CANDIDATE_DIR = re.compile(r"^candidate-(\d+)$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CHECK_ITEM = re.compile(r"^\s*\d+[.)]\s+(.*\S)\s*$")

MAX_TEXT_CHARS = 200_000
"""Longer text files are cut to this many characters (a report is meant to stay small)."""


# ------------------------------------------------------------------------------ safe readers


_ROOT: contextvars.ContextVar[Path | None] = contextvars.ContextVar("report_root", default=None)
"""The run folder being read (set by `load_run`): files outside it are never read."""


def run_file(root: Path, rel: str, name: str) -> Path | None:
    """`root/rel/name` when it is a regular file inside the run folder `root` (see
    `inside_run`), else None; for paths named by the run's own records."""
    token = _ROOT.set(Path(root).resolve())
    try:
        path = Path(root) / rel / name
        return path if inside_run(path) and path.is_file() else None
    except (OSError, ValueError):
        return None
    finally:
        _ROOT.reset(token)


def inside_run(path: Path) -> bool:
    """True when `path` may be read into a report: a regular file (or folder) that is not a
    symbolic link and whose resolved path lies inside the run folder being read. A run folder
    is data someone else may have written: a `response.md` linked to `/etc/passwd`, or a step
    path `../../outside` in a score.json, must not end up embedded in report.html."""
    path = Path(path)
    try:
        if path.is_symlink():
            return False
        root = _ROOT.get()
        if root is None:
            return True
        resolved = path.resolve()
        return resolved == root or root in resolved.parents
    except (OSError, RuntimeError, ValueError):
        return False


def read_text(path: Path, limit: int = MAX_TEXT_CHARS) -> str | None:
    """The file's text (cut to `limit` characters), or None when missing, unreadable, a
    symbolic link or outside the run folder (`inside_run`)."""
    if not inside_run(path):
        return None
    try:
        if not Path(path).is_file():  # a FIFO or device would block or never end
            return None
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(limit)
    except (OSError, ValueError):
        return None


def read_json(path: Path) -> dict[str, Any] | None:
    """The file's JSON object, or None when missing, unreadable or not an object."""
    text = read_text(path, limit=10_000_000)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: `[[[[...` nested too deeply
        return None
    return data if isinstance(data, dict) else None


def number(value: Any) -> float | None:
    """`value` as a finite float, else None (JSON from a damaged run may hold anything)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:  # a JSON integer too large for a float (`1` and 400 zeros)
        return None
    return value if value == value and abs(value) != float("inf") else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# ------------------------------------------------------------------------------ views


@dataclass
class CandidateView:
    """One candidate of a multi-candidate round (`candidate-N/`)."""

    number: int
    combined: float | None = None
    errors: list[str] = field(default_factory=list)
    render: Path | None = None


@dataclass
class StepView:
    """One round of a stage, as recorded in its step folder.

    `rel`: folder relative to the run; `status`: accepted/rejected/invalid/unknown; `combined`:
    the proposed scene's combined score (None when the patch was invalid); `previous`: the score
    before the round; `selected_combined`/`best_combined`: the run's selected and best-by-metric
    scores after the round; `diff`: unified diff lines from the scene before the round to the
    proposed scene (None when either text is missing); `missing`: step files that are absent.
    """

    stage: str
    number: int
    rel: str
    path: Path
    status: str = "unknown"
    combined: float | None = None
    previous: float | None = None
    selected_combined: float | None = None
    best_combined: float | None = None
    best_step: str | None = None
    score: dict[str, float] = field(default_factory=dict)
    render: Path | None = None
    scene_text: str | None = None
    patch_text: str | None = None
    response_text: str | None = None
    notes: str = ""
    verdict_text: str | None = None
    verifier: str = "not run"
    checklist: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    calls: int | None = None
    candidates: list[CandidateView] = field(default_factory=list)
    diff: list[str] | None = None
    missing: list[str] = field(default_factory=list)
    is_selected: bool = False
    is_best: bool = False


@dataclass
class StageView:
    """One stage folder (`stages/NN-key`) and its steps in order."""

    key: str
    folder: str
    steps: list[StepView] = field(default_factory=list)
    planned_rounds: int | None = None

    @property
    def accepted(self) -> int:
        return sum(s.status == "accepted" for s in self.steps)

    def score_range(self) -> tuple[float | None, float | None]:
        """Selected score before the first and after the last round."""
        if not self.steps:
            return None, None
        return self.steps[0].previous, self.steps[-1].selected_combined


@dataclass
class RunView:
    """Everything the report shows about one run folder."""

    root: Path
    run: dict[str, Any]
    status: str
    target: Path | None
    final_png: Path | None
    start_render: Path | None
    start_score: float | None
    final_score: dict[str, float]
    selected: dict[str, Any]
    best_by_metric: dict[str, Any]
    stages: list[StageView]
    budget: dict[str, Any]
    object_count: int | None
    final_files: dict[str, bool]
    problems: list[str]

    @property
    def steps(self) -> list[StepView]:
        return [s for stage in self.stages for s in stage.steps]

    @property
    def elapsed(self) -> float | None:
        return number(self.budget.get("elapsed_seconds"))

    @property
    def calls(self) -> int | None:
        value = number(_dict(self.budget.get("total")).get("calls"))
        if value is None and self.steps:
            counted = [s.calls for s in self.steps if s.calls is not None]
            return sum(counted) if counted else None
        return None if value is None else int(value)

    @property
    def end_score(self) -> float | None:
        """The final render's combined score, else the selected scene's."""
        value = number(self.final_score.get("combined"))
        if value is None:
            value = number(self.selected.get("combined"))
        if value is None and self.steps:
            value = self.steps[-1].selected_combined
        return value


# ------------------------------------------------------------------------------ loading


def _image(path: Path) -> Path | None:
    return path if inside_run(path) and path.is_file() else None


_ATTEMPT = re.compile(r"^\s*<!-- attempt (\d+) -->\s*$")


def prose_of(response: str | None) -> str:
    """The text of a model's answer outside its fenced code blocks (the proposer's notes).

    A response file holding several attempts (the engine separates them with
    `<!-- attempt N -->` lines) gives one paragraph per attempt with prose, each headed
    "attempt N:".
    """
    if not response:
        return ""
    attempts: list[tuple[int, list[str]]] = [(1, [])]
    fence = None
    for line in response.splitlines():
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            continue
        if fence is not None:
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                fence = None
            continue
        marker = _ATTEMPT.match(line)
        if marker:
            attempts.append((int(marker.group(1)), []))
            continue
        attempts[-1][1].append(line)
    texts = [(n, re.sub(r"\n{3,}", "\n\n", "\n".join(lines).strip())) for n, lines in attempts]
    texts = [(n, t) for n, t in texts if t]
    if len(attempts) == 1 or not texts:
        return texts[0][1] if texts else ""
    return "\n\n".join(f"attempt {n}: {t}" for n, t in texts)


def _verdict_parts(text: str | None) -> tuple[str, list[str]]:
    """("approved" / "rejected" / "not run", checklist) from a verdict file's text."""
    if not text:
        return "not run", []
    verifier, items = "not run", []
    for line in text.splitlines():
        low = line.strip().lower()
        if low.startswith("verifier:"):
            rest = low.split(":", 1)[1].strip()
            verifier = rest.split()[0] if rest else verifier
        else:
            m = _CHECK_ITEM.match(line)
            if m:
                items.append(m.group(1))
    return verifier, items


def _load_step(stage: str, path: Path, root: Path, number_: int) -> StepView:
    step = StepView(stage=stage, number=number_, rel=path.relative_to(root).as_posix(), path=path)
    for name in ("prompt.md", "response.md", "patch.slp", "scene.sl", "render.png", "score.json",
                 "verdict"):
        if not (path / name).is_file() or not inside_run(path / name):
            step.missing.append(name)
    record = read_json(path / "score.json") or {}
    status = record.get("status")
    step.status = status if status in STEP_STATUSES else "unknown"
    step.combined = number(record.get("combined"))
    step.previous = number(record.get("previous_combined"))
    step.selected_combined = number(record.get("selected_combined"))
    best = _dict(record.get("best_by_metric"))
    step.best_combined = number(best.get("combined"))
    step.best_step = best.get("step") if isinstance(best.get("step"), str) else None
    step.score = {k: v for k, v in ((k, number(v)) for k, v in _dict(record.get("score")).items())
                  if v is not None}
    calls = number(record.get("calls"))
    step.calls = None if calls is None else int(calls)
    step.render = _image(path / "render.png")
    step.scene_text = read_text(path / "scene.sl")
    step.patch_text = read_text(path / "patch.slp")
    step.response_text = read_text(path / "response.md")
    step.notes = "\n\n".join(n for n in (prose_of(step.response_text),) if n)
    step.verdict_text = read_text(path / "verdict")
    step.verifier, step.checklist = _verdict_parts(step.verdict_text)
    verdict = record.get("verdict")
    if isinstance(verdict, dict):
        step.verifier = "approved" if verdict.get("approved") else "rejected"
        step.checklist = [str(i) for i in _list(verdict.get("checklist"))]
    errors: list[str] = []
    for cand in _list(record.get("candidates")):
        cand = _dict(cand)
        for err in _list(cand.get("errors")):
            if isinstance(err, str) and err not in errors:
                errors.append(err)
        notes = cand.get("notes")
        if isinstance(notes, str) and notes.strip():
            step.notes = notes.strip() + ("\n\n" + step.notes if step.notes else "")
    step.errors = errors
    for child in sorted(path.iterdir()) if path.is_dir() and inside_run(path) else []:
        m = _CANDIDATE_DIR.match(child.name)
        if m and child.is_dir():
            crec = read_json(child / "score.json") or {}
            step.candidates.append(CandidateView(
                number=int(m.group(1)), combined=number(crec.get("combined")),
                errors=[e for e in _list(crec.get("errors")) if isinstance(e, str)],
                render=_image(child / "render.png")))
    step.candidates.sort(key=lambda c: c.number)
    return step


def _stage_folders(root: Path) -> list[tuple[str, str, Path]]:
    base = root / "stages"
    if not base.is_dir():
        return []
    found = []
    for child in base.iterdir():
        m = _STAGE_DIR.match(child.name)
        if m and child.is_dir():
            found.append((int(m.group(1)), m.group(2), child.name, child))
    return [(key, name, path) for _, key, name, path in sorted(found)]


def _step_folders(stage_dir: Path) -> list[tuple[int, Path]]:
    steps = []
    for child in stage_dir.iterdir():
        m = _STEP_DIR.match(child.name)
        if m and child.is_dir():
            steps.append((int(m.group(1)), child))
    return sorted(steps)


def unified_diff(before: str, after: str, before_name: str, after_name: str) -> list[str]:
    """Unified diff lines (no trailing newlines) from `before` to `after`, 3 lines of context."""
    return list(difflib.unified_diff(before.splitlines(), after.splitlines(), before_name,
                                     after_name, lineterm="", n=3))


def _attach_diffs(root: Path, stages: list[StageView], start_text: str | None) -> None:
    """Diff each step's proposed scene against the scene its round started from.

    The starting scene of a round is the selected scene after the previous round, i.e. the
    previous step's `state.current` — except across a stage boundary, where the engine carries
    on with the previous stage's best accepted scene (`state.stage_best`).
    """
    current, current_text = "start", start_text
    for stage in stages:
        for step in stage.steps:
            record = read_json(step.path / "score.json") or {}
            previous = record.get("previous") if isinstance(record.get("previous"), str) else None
            if previous is not None and previous != current:
                current = previous
                current_text = read_text(root / previous / "scene.sl")
            if current_text is not None and step.scene_text is not None:
                step.diff = unified_diff(current_text, step.scene_text, f"{current}/scene.sl",
                                         f"{step.rel}/scene.sl")
            selected = record.get("selected")
            if isinstance(selected, str) and selected != current:
                current = selected
                current_text = read_text(root / selected / "scene.sl")
            elif selected is None and step.status == "accepted":
                current, current_text = step.rel, step.scene_text
        if stage.steps:
            state = _dict((read_json(stage.steps[-1].path / "score.json") or {}).get("state"))
            stage_best = state.get("stage_best")
            if isinstance(stage_best, str) and stage_best != current:
                current = stage_best
                current_text = read_text(root / stage_best / "scene.sl")


def _count_objects(text: str | None) -> int | None:
    if text is None:
        return None

    try:
        return len(parse_scene(text, file="final.sl").objects())
    except SceneError:
        return None


def load_run(run_dir: str | Path) -> RunView:
    """Read the run folder at `run_dir` (see the module docstring); never raises for bad content."""
    token = _ROOT.set(Path(run_dir).resolve())
    try:
        return _load_run(Path(run_dir))
    finally:
        _ROOT.reset(token)


def _load_run(root: Path) -> RunView:
    problems: list[str] = []
    run = read_json(root / "run.json")
    if run is None:
        problems.append("run.json is missing or unreadable; showing the step folders only")
        run = {}
    status = run.get("status") if isinstance(run.get("status"), str) else "unknown"
    scores = _dict(run.get("scores"))
    budgets = _dict(_dict(run.get("settings")).get("budgets"))

    stages: list[StageView] = []
    for key, name, path in _stage_folders(root):
        planned = number(budgets.get(key))
        stage = StageView(key=key, folder=name, planned_rounds=None if planned is None else int(planned))
        for n, step_dir in _step_folders(path):
            stage.steps.append(_load_step(key, step_dir, root, n))
        stages.append(stage)

    start_record = read_json(root / "start" / "score.json") or {}
    start_score = number(scores.get("start"))
    if start_score is None:
        start_score = number(start_record.get("combined"))
    if start_score is None:
        start_score = number(_dict(start_record.get("score")).get("combined"))
    _attach_diffs(root, stages, read_text(root / "start" / "scene.sl"))
    for stage in stages:
        previous = start_score
        for step in stage.steps:
            if step.previous is None:
                step.previous = previous
            previous = step.selected_combined if step.selected_combined is not None else previous

    selected = _dict(scores.get("selected"))
    best = _dict(scores.get("best_by_metric"))
    steps = [s for st in stages for s in st.steps]
    if not selected and steps and steps[-1].selected_combined is not None:
        selected = {"step": None, "combined": steps[-1].selected_combined}
    if not best and steps and steps[-1].best_step:
        best = {"step": steps[-1].best_step, "combined": steps[-1].best_combined}
    for step in steps:
        step.is_selected = selected.get("step") == step.rel
        step.is_best = best.get("step") == step.rel

    final_text = read_text(root / "final.sl")
    scene_for_count = final_text
    if scene_for_count is None and isinstance(selected.get("step"), str):
        scene_for_count = read_text(root / selected["step"] / "scene.sl")
    final_score = {k: v for k, v in ((k, number(v)) for k, v in _dict(scores.get("final")).items())
                   if v is not None}
    final_files = {f"final{ext}": (root / f"final{ext}").is_file()
                   and inside_run(root / f"final{ext}")
                   for ext in (".sl", ".py", ".blend", ".png")}
    target = _image(root / "target.png")
    if target is None:
        problems.append("target.png is missing")
    if not steps:
        problems.append("no finished rounds yet")
    if status == "finished" and not final_files["final.png"]:
        problems.append("the run is marked finished but final.png is missing")

    return RunView(
        root=root, run=run, status=status, target=target,
        final_png=_image(root / "final.png"), start_render=_image(root / "start" / "render.png"),
        start_score=start_score, final_score=final_score, selected=selected, best_by_metric=best,
        stages=stages, budget=_dict(run.get("budget")), object_count=_count_objects(scene_for_count),
        final_files=final_files, problems=problems,
    )
