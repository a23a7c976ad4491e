"""The proposer interface: what the stage engine asks for, and what a proposer answers.

A *proposer* writes scene-language patches. The engine (`scenelang.stages.engine.loop`) calls it once
per attempt: for each round of a stage it builds a `ProposalRequest` (the current scene, the
stage's section, the target image, the current render, feedback from earlier attempts) and expects
a `Proposal` back, whose `patch_text` is `.slp` text (`patch SECTION { ... }` or
`replace SECTION { ... }`). The engine (never the proposer) parses, validates, applies,
renders and scores the patch, and reverts it when the score gets worse. Nothing a proposer returns is
executed: it is only parsed as scene language.

How to write a proposer
-----------------------
Any object with a `name` attribute and a `propose(request) -> Proposal` method is a proposer
(`Proposer` is a `typing.Protocol`; no subclassing needed)::

    class MyProposer:
        name = "mine"

        def propose(self, request: ProposalRequest) -> Proposal:
            text = f"patch {request.section} {{\\n  set ball.radius = 0.4\\n}}"
            return Proposal(raw=text, patch_text=text, usage=Usage(calls=1))

Rules:

* `request.stage` is one of `draft`, `geometry`, `materials`, `composition`, `lighting` or
  `direct`; `request.sections` lists the sections the patch may touch (one section for the four
  stages; all four for `draft` and `direct`). A patch touching any other section is rejected.
* `request.attempt` is 0 for a round's first proposal and 1.. for repairs. On a repair,
  `request.feedback.errors` holds the positioned error text of the previous attempt (verbatim, as
  the user would see it) and `request.feedback.previous_patch` its patch text.
* `request.feedback.checklist` holds the verifier's numbered list of what is still wrong (if a
  verifier runs); `request.feedback.score` / `best_score` are the current combined scores
  (higher is better).
* Return `Proposal(patch_text=None, error="...")` when you have nothing usable (for example no
  code block in a model's answer): the engine feeds `error` back as a repair.
* Raise `ProposerError` for failures of the proposer itself (endpoint down after retries); the
  engine logs it, counts the attempt and ends the round with no change. Raise
  `BudgetExhausted` if `request.budget` says the run is out of calls or time.
* Report what you spent in `Proposal.usage` (model calls, tokens, images sent, preview renders,
  latency in seconds). The engine adds it to the stage's and the run's totals.
* A proposer that does its own inner render-and-compare (the offline proposer with the preview
  renderer) is welcome to: it receives the target as an array (`request.target`, float32 RGB in
  0..1, sized like the engine's renders) and should watch `request.budget.seconds_left()`.

A *verifier* (optional) is any object with `verify(request: VerifyRequest) -> Verdict`; it looks at
the target and the current render and approves or returns a short checklist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from scenelang.stages.budget import Budget, BudgetExhausted, Usage

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from scenelang.ast import Scene

__all__ = [
    "ALL_SECTIONS",
    "Budget",
    "BudgetExhausted",
    "Feedback",
    "Proposal",
    "ProposalRequest",
    "Proposer",
    "ProposerError",
    "ProposerUnavailable",
    "STAGE_ORDER",
    "Usage",
    "Verdict",
    "Verifier",
    "VerifyRequest",
]

STAGE_ORDER = ("geometry", "materials", "composition", "lighting")
"""The four refinement stages, in order; each edits the section of the same name."""

ALL_SECTIONS = STAGE_ORDER



class ProposerError(Exception):
    """The proposer could not produce an answer (transport failure after retries, bad config).

    `usage` is what the failed attempt still cost (requests sent, time waited).
    """

    def __init__(self, message: str, usage: Usage | None = None):
        super().__init__(message)
        self.usage = usage if usage is not None else Usage()


class ProposerUnavailable(ProposerError):
    """The requested proposer is not installed or not configured (no model, no endpoint...)."""


@dataclass(frozen=True)
class Feedback:
    """What the proposer should know from earlier attempts and rounds.

    `errors`: positioned error messages of the previous attempt of this round (empty on a first
    attempt); `previous_patch`: that attempt's patch text; `checklist`: the verifier's list of
    what is still wrong; `score`: combined score of the current scene (None before the first
    render); `best_score`: the best score of this run so far; `history`: one line per earlier
    round of this stage (e.g. "round 2: rejected, score 0.61 -> 0.58").
    """

    errors: tuple[str, ...] = ()
    previous_patch: str | None = None
    checklist: tuple[str, ...] = ()
    score: float | None = None
    best_score: float | None = None
    history: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProposalRequest:
    """Everything a proposer gets for one attempt. Paths are absolute; images are PNG files.

    `stage`: draft, geometry, materials, composition, lighting or direct; `section`: the section
    the prompt is about (for draft/direct: "scene"); `sections`: the sections the patch may touch;
    `round` (1-based) of `rounds` in the stage; `attempt`: 0 first try, 1.. repairs;
    `scene`/`scene_text`: the current scene and its canonical text; `section_text`: the canonical
    text of `section` (the whole scene for draft/direct); `target_path`/`target`: the target image
    (array float32 HxWx3 in 0..1 at the engine's render size); `render_path`/`render`: the
    current scene's render (None before anything rendered); `instructions`: the stage's prompt
    text rendered from `stages/proposers/templates/<stage>.md.j2`; `budget`: the run's `Budget` (read-only use:
    `calls_left()`, `seconds_left()`); `render_size`: (width, height) of the engine's renders.
    """

    stage: str
    section: str
    sections: tuple[str, ...]
    round: int
    rounds: int
    attempt: int
    scene: Scene
    scene_text: str
    section_text: str
    target_path: Path
    target: np.ndarray
    render_path: Path | None
    render: np.ndarray | None
    feedback: Feedback
    instructions: str
    budget: Budget
    render_size: tuple[int, int] = (256, 192)
    candidate: int = 1


@dataclass(frozen=True)
class Proposal:
    """A proposer's answer to one request.

    `raw`: the full response (prose and all; written to response.md); `patch_text`: the `.slp`
    text to apply, or None when the answer had none (then `error` says why and is fed back);
    `usage`: what the answer cost; `prompt`: the prompt as sent (written to prompt.md; a proposer
    without a text prompt may leave it empty); `notes`: free text for the log; `hypothesis`:
    the patch tests one of several alternatives the proposer has queued (an object as metal
    instead of matte), so the render answers a question: a rejected hypothesis does not count
    toward the engine's `patience` (default False).
    """

    raw: str
    patch_text: str | None
    usage: Usage = field(default_factory=Usage)
    prompt: str = ""
    error: str | None = None
    notes: str = ""
    hypothesis: bool = False


@dataclass(frozen=True)
class VerifyRequest:
    """What a verifier looks at: the stage, the target, the current render and the scene."""

    stage: str
    target_path: Path
    render_path: Path
    scene: Scene
    scene_text: str
    budget: Budget


@dataclass(frozen=True)
class Verdict:
    """A verifier's answer: approved, or a short numbered checklist of what is still wrong."""

    approved: bool
    checklist: tuple[str, ...] = ()
    raw: str = ""
    usage: Usage = field(default_factory=Usage)

    def text(self) -> str:
        """The verdict file's content: `approved`, or `rejected` and the checklist."""
        if self.approved:
            return "approved\n"
        items = "".join(f"{i}. {item}\n" for i, item in enumerate(self.checklist, 1))
        return "rejected\n" + items


@runtime_checkable
class Proposer(Protocol):
    """Writes patches. See the module docstring for the rules."""

    name: str

    def propose(self, request: ProposalRequest) -> Proposal: ...


@runtime_checkable
class Verifier(Protocol):
    """Judges a render against the target (optional)."""

    def verify(self, request: VerifyRequest) -> Verdict: ...
