"""The offline proposer: reconstructs simple scenes from the image alone, with no network.

`OfflineProposer` implements the proposer interface of `scenelang.stages.proposers.base` (build it with
`make_proposer("offline")`). It reads only `request.target` (the target at the engine's render
size), `request.scene` and the engine's current render (`request.render_path`), and answers
with scene-language patches built by `scenelang.patches.diff`; it never runs anything else.

Per stage (`request.stage`):

- `draft` (whole scene): segmentation, camera, primitive fits, lights and colours
  (`offline_draft.draft_model`), starting from the prior's camera (`draft.initial_camera`: the
  scene's camera is only the engine's placeholder);
- `geometry`, `materials`, `composition`, `lighting`: the refinements of `offline_refine`,
  each returning a patch of its own section; from the materials stage's second round, one
  object per round is proposed as the other material, metal or matte (`metal_check`), and the
  engine's render decides (a `hypothesis` proposal: its rejection does not end the stage).
  When the scene lacks that section's content (the run began without a draft), the section is
  taken from the draft instead, so that a run without `--draft` still builds the whole scene
  stage by stage;
- `direct` (whole scene): the draft when the scene is empty, else all four refinements at once.

When a refinement finds nothing to change, the answer is an empty patch (the engine then keeps
the scene without rendering it again). Deterministic: no randomness is used, the same target and
scene give the same patch: every search has a fixed evaluation budget (the draft's camera search
`draft.CAMERA_EVALS` cameras, the composition stage's `refine.CAMERA_REFINE_EVALS`, the fits
their `max_evals`), so the result does not depend on the machine's speed or load.
`seconds_per_call` (default 120 s) is only a safety net: when a call runs that long (or the
run's budget has less than twice that left) its searches stop with what they have, and only
then can a result differ from an idle machine's. `Usage.renders` counts the silhouettes and
preview renders computed.

`wants_draft = True` tells the CLI/bench that this proposer works best with the engine's draft
stage turned on; `patience = 2` that a stage may end after two rounds in a row that gain less
than the engine's `min_gain` (measured on 30 CLEVR scenes, the rounds after the draft changed
no 3D measure and the combined score by about 0.01, mostly in the first materials round, while
taking most of the time).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from scenelang import ast as A
from scenelang.errors import SceneError
from scenelang.patches import diff
from scenelang.printer import print_patch
from scenelang.stages.metrics import load_image
from scenelang.stages.proposers.base import (
    STAGE_ORDER,
    Proposal,
    ProposalRequest,
    Usage,
)
from scenelang.stages.proposers.offline.draft import (
    Analysis,
    Model,
    analyse,
    draft_model,
    initial_camera,
)
from scenelang.stages.proposers.offline.metal_check import FIRST_ROUND, flip_order, flipped
from scenelang.stages.proposers.offline.refine import (
    colours_changed,
    match_regions,
    refine_composition,
    refine_geometry,
    refine_lighting,
    refine_materials,
)
from scenelang.stages.proposers.offline.scene_model import build_scene, model_from_scene

DEFAULT_SECONDS_PER_CALL = 120.0
"""Safety-net wall-time cap (s) of one call's inner optimisation (normally never reached: the
searches have fixed evaluation budgets)."""


class OfflineProposer:
    """Classical-vision proposer (see the module docstring). No options are required."""

    name = "offline"
    wants_draft = True
    patience = 2

    def __init__(self, seconds_per_call: float = DEFAULT_SECONDS_PER_CALL):
        self.seconds_per_call = float(seconds_per_call)
        self._analyses: dict[str, Analysis] = {}
        self._drafts: dict[tuple[str, A.Camera], tuple[Model, int]] = {}
        self._last: dict[str, str] = {}
        self._rejected: set[tuple[str, str]] = set()
        self._flips_tried: set[tuple[str, str]] = set()
        self._testing = False

    def describe(self) -> dict[str, Any]:
        """What the run folder records about this proposer."""
        return {"name": self.name, "seconds_per_call": self.seconds_per_call}

    # ------------------------------------------------------------------ interface
    def propose(self, request: ProposalRequest) -> Proposal:
        t0 = time.monotonic()
        deadline = self._deadline(request, t0)
        key = _key(request.target)
        analysis = self._analysis(key, request.target)
        scene = request.scene
        self._testing = False
        new_scene, evals, notes = self._new_scene(request, key, analysis, scene, deadline)
        text = _patch_text(scene, new_scene, request.sections)
        self._remember_rejection(request)
        if (request.stage, text) in self._rejected:
            notes += "; the same patch was rejected before, so no change"
            text = f"patch {request.sections[0]} {{\n}}\n"
        self._last[request.stage] = text
        seconds = time.monotonic() - t0
        raw = (f"offline proposer, {request.stage} round {request.round}: {notes}; "
               f"{len(analysis.regions)} object region(s) in the target; {evals} silhouettes; "
               f"{seconds:.1f} s\n\n```slp\n{text}```\n")
        return Proposal(raw=raw, patch_text=text, usage=Usage(renders=evals, latency_s=seconds),
                        prompt=f"(offline proposer: no prompt)\nstage {request.stage}, "
                               f"round {request.round}\n", notes=notes, hypothesis=self._testing)

    # ------------------------------------------------------------------ internals
    def _remember_rejection(self, request: ProposalRequest) -> None:
        """Note the previous patch of this stage as rejected when the engine says it was."""
        history = request.feedback.history
        last = self._last.get(request.stage)
        if last is not None and history and "rejected" in history[-1]:
            self._rejected.add((request.stage, last))

    def _deadline(self, request: ProposalRequest, t0: float) -> Callable[[], bool]:
        limit = self.seconds_per_call
        left = request.budget.seconds_left() if request.budget is not None else None
        if left is not None and np.isfinite(left):
            limit = min(limit, max(1.0, 0.5 * float(left)))
        return lambda: time.monotonic() - t0 > limit

    def _analysis(self, key: str, target: np.ndarray) -> Analysis:
        if key not in self._analyses:
            self._analyses.clear()
            self._drafts.clear()
            self._analyses[key] = analyse(target)
        return self._analyses[key]

    def _draft(self, key: str, analysis: Analysis, camera: A.Camera,
               deadline: Callable[[], bool]) -> tuple[Model, int]:
        k = (key, camera)
        if k not in self._drafts:
            # the scene's camera is the engine's placeholder: start from the prior's camera
            self._drafts[k] = draft_model(analysis, initial_camera(camera), deadline=deadline)
            return self._drafts[k]
        return self._drafts[k][0], 0

    def _new_scene(self, request: ProposalRequest, key: str, analysis: Analysis, scene: A.Scene,
                   deadline: Callable[[], bool]) -> tuple[A.Scene, int, str]:
        stage, round_ = request.stage, request.round
        model = model_from_scene(scene)
        if model is None:
            return scene, 0, "the scene is not in a form the offline proposer edits; no change"
        if stage == "draft" or (stage == "direct" and not model.guesses):
            draft, evals = self._draft(key, analysis, scene.camera(), deadline)
            return build_scene(_copy(draft)), evals, "draft of the whole scene"
        if stage in STAGE_ORDER and _section_missing(scene, stage):
            draft, evals = self._draft(key, analysis, scene.camera(), deadline)
            return (scene.with_section(build_scene(_copy(draft)).section(stage)), evals,
                    f"the {stage} section taken from a draft")
        render = _load_render(request)
        evals = 0
        if stage in ("geometry", "direct"):
            model, n = refine_geometry(model, analysis, round_, deadline)
            evals += n
        if stage in ("composition", "direct"):
            model, n = refine_composition(model, analysis, round_, deadline,
                                          add_objects=stage == "direct")
            evals += n
        if stage in ("lighting", "direct"):
            model = refine_lighting(model, analysis, render)
        if stage == "materials" and round_ >= FIRST_ROUND:
            flip = self._metal_flip(key, model, analysis, scene)
            if flip is not None:
                return flip[0], evals, flip[1]
        if stage in ("materials", "direct"):
            before = _copy(model)
            model = refine_materials(model, analysis, render)
            if stage == "materials" and not colours_changed(before, model):
                return scene, evals, "colours already agree with the target; no change"
        return build_scene(model), evals, f"{stage} refined"

    def _metal_flip(self, key: str, model: Model, analysis: Analysis, scene: A.Scene
                    ) -> tuple[A.Scene, str] | None:
        """The scene with the next object not tried yet as the other material (least sure
        metal call first, `metal_check`), or None when every object has been tried."""
        model.region_of = match_regions(model, analysis)
        for i in flip_order(model, analysis):
            name = model.names[i][0]
            if (key, name) in self._flips_tried:
                continue
            self._flips_tried.add((key, name))
            self._testing = True
            new = flipped(model, analysis, i)
            what = "metal" if new.guesses[i].metallic > 0.5 else "matte"
            return build_scene(new), f"metal check: {name} tried as {what}"
        return None


def _copy(model: Model) -> Model:
    return Model(camera=model.camera, guesses=list(model.guesses), lighting=model.lighting,
                 ground=model.ground, region_of=list(model.region_of), names=list(model.names))


def _key(target: np.ndarray) -> str:
    data = np.ascontiguousarray(target, dtype=np.float32)
    return hashlib.sha1(data.tobytes() + str(data.shape).encode()).hexdigest()


def _section_missing(scene: A.Scene, stage: str) -> bool:
    """True when the stage's section lacks what a draft would put there."""
    if stage == "geometry":
        return not any(s.name != "ground" for s in scene.geometry.statements)
    if stage == "materials":
        return not scene.materials.statements
    if stage == "composition":
        return not any(o.name != "ground" for o in scene.objects())
    return not scene.lights()


def _load_render(request: ProposalRequest) -> np.ndarray | None:
    if request.render is not None:
        return np.asarray(request.render, np.float32)
    path = request.render_path
    if path is None or not path.is_file():
        return None

    try:
        return load_image(path, size=tuple(request.render_size))
    except SceneError:
        return None


def _patch_text(scene: A.Scene, new: A.Scene, sections: tuple[str, ...]) -> str:
    """The patch from `scene` to `new` restricted to `sections` (an empty patch of the first
    allowed section when nothing changes)."""
    limited = scene
    for name in sections:
        limited = limited.with_section(new.section(name))
    patches = diff(scene, limited)
    if not patches:
        return f"patch {sections[0]} {{\n}}\n"
    return print_patch(patches)
