"""The engine's records: what carries from round to round (saved in every step's score.json),
one round's candidates, and a finished run's result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenelang import ast as A
from scenelang.stages.engine.confidence import Confidence


@dataclass
class LoopState:
    """What carries from round to round; saved in every step's score.json for resume.

    `current`: run-relative folder whose scene.sl/render.png is the selected scene; `best`: the
    folder of the best scene by metric so far (rejected candidates included); `stage_best`: the
    best accepted scene of the current stage; `checklist`: the verifier's latest list;
    `history`: one line per earlier round of the stage; `stop`: why the run stopped early.
    """

    current: str
    current_score: float
    best: str
    best_score: float
    stage_best: str
    stage_best_score: float
    checklist: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    stop: str | None = None


def round_summary(record: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("stage", "round", "step", "status", "combined", "selected", "selected_combined",
            "calls")
    return ({k: record[k] for k in keys} | {"best_by_metric": record["best_by_metric"]["step"]}
            | {"previous_combined": record.get("previous_combined"),
               "hypothesis": bool(record.get("hypothesis"))})


def stalled_rounds(rounds: list[Mapping[str, Any]], stage: str, min_gain: float) -> int:
    """How many of `stage`'s last rounds in a row (`round_summary` records, in order) raised
    the scene's combined score by less than `min_gain`: rejected and invalid rounds count, as
    do accepted ones with a smaller gain (a record without `previous_combined` counts too); a
    rejected round that tested a proposer's hypothesis (`Proposal.hypothesis`) is skipped: it
    answered a question, it did not stall."""
    count = 0
    for r in rounds:
        if r["stage"] != stage or (r.get("hypothesis") and r["status"] == "rejected"):
            continue
        before, after = r.get("previous_combined"), r.get("combined")
        gained = (r["status"] == "accepted" and before is not None and after is not None
                  and after - before >= min_gain)
        count = 0 if gained else count + 1
    return count


@dataclass
class Candidate:
    """One candidate of a round: its attempts and, when valid, its scene, render and score."""

    number: int
    prompt: str = ""
    response: str = ""
    patch_text: str = ""
    scene: A.Scene | None = None
    render: Path | None = None
    score: dict[str, float] | None = None
    errors: list[str] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    hypothesis: bool = False

    @property
    def combined(self) -> float | None:
        return None if self.score is None else float(self.score["combined"])


@dataclass(frozen=True)
class RunResult:
    """Where a finished run put its results; `final_score` compares final.png with the target."""

    root: Path
    final_sl: Path
    final_py: Path
    final_blend: Path
    final_png: Path
    final_score: dict[str, float]
    calls: int
    stopped: str | None
    confidence: Confidence | None = None
