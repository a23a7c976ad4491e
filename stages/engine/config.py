"""The settings of a reconstruction run and the plan of phases they give."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from scenelang.errors import SceneError
from scenelang.stages.proposers.base import STAGE_ORDER

DEFAULT_BUDGETS: Mapping[str, int] = {
    "geometry": 5, "materials": 3, "composition": 3, "lighting": 2}
"""Rounds per stage when none are given."""


@dataclass(frozen=True)
class EngineConfig:
    """Settings of one run.

    `mode`: "staged" or "direct"; `budgets`: rounds per stage; `candidates`: proposals per round;
    `max_repairs`: repair attempts after an invalid patch (default 2); `draft`: begin with a
    whole-scene draft; `verify`: call the proposer's `verify` after every round; `max_calls`: cap
    on proposer+verifier calls; `max_seconds`: cap on wall time in seconds; `direct_calls`:
    proposer calls of direct mode (None: `nominal_calls()`); `size`: long side in px of loop
    renders (default 256); `samples`: their Cycles samples (default 16); `final_size`: long side
    of final.png (None: the target's, at most 1024); `final_samples`: Cycles samples of final.png
    (default 64); `accept_tolerance`: how much lower a candidate's combined score may be and still
    be accepted (default 0); `patience`: a stage ends early after this many rounds in a row that
    raise the scene's combined score by less than `min_gain` (default 0.001; a rejected or
    invalid round raises it by 0), None (default): every round of the budget is run. The
    offline proposer asks for 2 (`patience` attribute of a proposer, applied by the CLI, the
    API, batch and bench when none is given).
    """

    mode: str = "staged"
    budgets: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    candidates: int = 1
    max_repairs: int = 2
    draft: bool = False
    verify: bool = False
    max_calls: int | None = None
    max_seconds: float | None = None
    direct_calls: int | None = None
    size: int = 256
    samples: int = 16
    final_size: int | None = None
    final_samples: int = 64
    accept_tolerance: float = 0.0
    patience: int | None = None
    min_gain: float = 0.001

    def __post_init__(self) -> None:
        if self.mode not in ("staged", "direct"):
            raise SceneError(f"mode must be staged or direct, got {self.mode!r}")
        unknown = set(self.budgets) - set(STAGE_ORDER)
        if unknown:
            raise SceneError(f"unknown stage(s) in the budget: {', '.join(sorted(unknown))}; "
                             f"the stages are {', '.join(STAGE_ORDER)}")
        if any(int(v) < 0 for v in self.budgets.values()):
            raise SceneError("stage budgets must be 0 or more rounds")
        if self.candidates < 1 or self.samples < 1 or self.final_samples < 1:
            raise SceneError("candidates and samples must be at least 1")
        if self.max_repairs < 0 or self.size < 8 or (self.final_size or 8) < 8:
            raise SceneError("max_repairs must be at least 0 and sizes at least 8 px")
        if self.patience is not None and self.patience < 1:
            raise SceneError("patience must be at least 1 round (or None: run every round)")
        if not self.min_gain >= 0:
            raise SceneError("min_gain must be 0 or more")

    def rounds(self, stage: str) -> int:
        return int(self.budgets.get(stage, DEFAULT_BUDGETS[stage]))

    def nominal_calls(self) -> int:
        """Proposer calls of a staged run without repairs: draft + rounds x candidates."""
        return int(self.draft) + sum(self.rounds(s) for s in STAGE_ORDER) * self.candidates

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["budgets"] = {s: self.rounds(s) for s in STAGE_ORDER}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EngineConfig:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def proposer_choices(proposer: Any, draft: bool | None, patience: int | None
                     ) -> tuple[bool, int | None]:
    """`draft` and `patience` for a run with `proposer`: None takes what the proposer asks for
    (its `wants_draft`, default off; its `patience`, default none); a patience of 0 means every
    round of the budget (None). Used by the API, batch and bench, so they agree."""
    if draft is None:
        draft = bool(getattr(proposer, "wants_draft", False))
    if patience is None:
        patience = getattr(proposer, "patience", None)
    return draft, patience or None


@dataclass(frozen=True)
class Phase:
    """One stage of the plan: key, folder, rounds (None: until direct calls run out), sections
    its patches may touch, and `section` the prompt shows ("scene" for the whole scene)."""

    key: str
    folder: str
    rounds: int | None
    sections: tuple[str, ...]
    section: str


def plan(config: EngineConfig) -> list[Phase]:
    """The phases of a run with `config`, in order."""
    phases = [Phase("draft", "00-draft", 1, STAGE_ORDER, "scene")] if config.draft else []
    if config.mode == "direct":
        return phases + [Phase("direct", "01-direct", None, STAGE_ORDER, "scene")]
    return phases + [Phase(s, f"{i:02d}-{s}", config.rounds(s), (s,), s)
                     for i, s in enumerate(STAGE_ORDER, 1)]
