"""Accounting of a reconstruction run: calls, tokens, images, renders and time, with hard caps.

A *call* is one request the engine makes of a proposer (`propose`, first tries and repairs alike)
or of a verifier (`verify`), whatever the proposer does inside; this is the unit of the round
budgets, of `max_calls` and of the staged-vs-direct equal-cost comparison. Model-level numbers
(HTTP requests with retries, tokens, images sent, latency) come from each answer's `Usage`.

Time is wall-clock seconds of this run, summed over resumed sessions (`elapsed_before`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any


class BudgetExhausted(Exception):
    """The run's hard cap on model calls or wall time is reached; the engine finishes the run."""


@dataclass(frozen=True)
class Usage:
    """What one or more proposer/verifier calls cost.

    `calls`: model calls answered (HTTP requests that returned, retries excluded);
    `requests`: HTTP requests sent, retries included; `prompt_tokens`/`completion_tokens` as the
    endpoint reported in `usage`; `images_sent`: images attached to requests; `renders`: renders
    the proposer made itself (the engine counts its own separately); `latency_s`: seconds spent
    waiting, backoff included; `retries`: failed requests that were retried.
    """

    calls: int = 0
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    images_sent: int = 0
    renders: int = 0
    latency_s: float = 0.0
    retries: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                        for f in fields(self)})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Usage:
        return cls(**{f.name: data.get(f.name, 0) for f in fields(cls)})



@dataclass
class Counters:
    """Totals for one stage or for the whole run.

    `proposals`/`verifications`: engine calls of the proposer/verifier; `failed_calls`: calls that
    raised `ProposerError`; `usage`: summed `Usage`; `renders`: Blender renders by the engine;
    `render_seconds`: time spent in them; `seconds`: wall time spent in the stage.
    """

    proposals: int = 0
    verifications: int = 0
    failed_calls: int = 0
    usage: Usage = field(default_factory=Usage)
    renders: int = 0
    render_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def calls(self) -> int:
        return self.proposals + self.verifications

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "proposals": self.proposals,
            "verifications": self.verifications,
            "failed_calls": self.failed_calls,
            "renders": self.renders,
            "render_seconds": round(self.render_seconds, 3),
            "seconds": round(self.seconds, 3),
            "usage": self.usage.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Counters:
        return cls(
            proposals=data.get("proposals", 0),
            verifications=data.get("verifications", 0),
            failed_calls=data.get("failed_calls", 0),
            usage=Usage.from_dict(data.get("usage", {})),
            renders=data.get("renders", 0),
            render_seconds=data.get("render_seconds", 0.0),
            seconds=data.get("seconds", 0.0),
        )


class Budget:
    """Run-wide counters per stage plus the hard caps.

    `max_calls`: most proposer+verifier calls in the run (None: no cap); `max_seconds`: most wall
    seconds in the run, resumed sessions included (None: no cap); `elapsed_before`: seconds
    spent by earlier sessions of a resumed run; `clock`: a monotonic clock in seconds.
    """

    def __init__(
        self,
        max_calls: int | None = None,
        max_seconds: float | None = None,
        *,
        elapsed_before: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_calls = max_calls
        self.max_seconds = max_seconds
        self.elapsed_before = elapsed_before
        self._clock = clock
        self._start = clock()
        self.stages: dict[str, Counters] = {}

    # ------------------------------------------------------------------ queries
    def elapsed(self) -> float:
        """Wall seconds of the run so far, earlier sessions included."""
        return self.elapsed_before + (self._clock() - self._start)

    @property
    def total(self) -> Counters:
        out = Counters()
        for c in self.stages.values():
            out.proposals += c.proposals
            out.verifications += c.verifications
            out.failed_calls += c.failed_calls
            out.usage = out.usage + c.usage
            out.renders += c.renders
            out.render_seconds += c.render_seconds
            out.seconds += c.seconds
        return out

    def calls_used(self) -> int:
        return sum(c.calls for c in self.stages.values())

    def calls_left(self) -> int | None:
        """Calls still allowed, or None without a cap."""
        if self.max_calls is None:
            return None
        return max(0, self.max_calls - self.calls_used())

    def seconds_left(self) -> float | None:
        """Seconds still allowed, or None without a cap."""
        if self.max_seconds is None:
            return None
        return max(0.0, self.max_seconds - self.elapsed())

    def exhausted(self) -> str | None:
        """Why the run must stop ("max calls 12 reached"), or None while it may go on."""
        if self.max_calls is not None and self.calls_used() >= self.max_calls:
            return f"max calls {self.max_calls} reached"
        if self.max_seconds is not None and self.elapsed() >= self.max_seconds:
            return f"max time {self.max_seconds:g} s reached"
        return None

    def check(self) -> None:
        """Raise `BudgetExhausted` when a hard cap is reached."""
        reason = self.exhausted()
        if reason:
            raise BudgetExhausted(reason)

    # ------------------------------------------------------------------ recording
    def stage(self, name: str) -> Counters:
        return self.stages.setdefault(name, Counters())

    def record_call(self, stage: str, usage: Usage, *, kind: str = "propose",
                    failed: bool = False) -> None:
        """Count one proposer (`kind="propose"`) or verifier (`"verify"`) call and its usage."""
        c = self.stage(stage)
        if kind == "verify":
            c.verifications += 1
        else:
            c.proposals += 1
        if failed:
            c.failed_calls += 1
        c.usage = c.usage + usage

    def record_render(self, stage: str, seconds: float) -> None:
        c = self.stage(stage)
        c.renders += 1
        c.render_seconds += seconds

    def record_time(self, stage: str, seconds: float) -> None:
        self.stage(stage).seconds += seconds

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        return {
            "max_calls": self.max_calls,
            "max_seconds": self.max_seconds,
            "elapsed_seconds": round(self.elapsed(), 3),
            "total": self.total.to_dict(),
            "stages": {name: c.to_dict() for name, c in self.stages.items()},
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Load the counters (not the caps) saved by `to_dict`, for a resumed run."""
        self.stages = {name: Counters.from_dict(d) for name, d in data.get("stages", {}).items()}
        self.elapsed_before = float(data.get("elapsed_seconds", 0.0))
        self._start = self._clock()
