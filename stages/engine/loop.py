"""The staged reconstruction engine: one target image in, an editable scene out.

Plan (`mode="staged"`, the default): an optional first draft of the whole scene (`draft=True`,
one round), then the stages geometry -> materials -> composition -> lighting with round budgets
(default 5/3/3/2) and `candidates` proposals per round (default 1). `mode="direct"` instead
spends the same number of proposer calls (`direct_calls`, default `nominal_calls()`; repairs
count) refining the whole scene at once, so both modes can be compared at equal cost.

A round: for each candidate, the proposer writes a patch to the stage's own section (`draft` and
`direct` may touch any section); the engine parses it and applies it with
`apply_patch(..., section=stage)`, which validates the result. On error the positioned error
text goes back to the proposer for at most `max_repairs` repairs. A valid candidate is rendered
(Blender Cycles, small size, one persistent worker for the whole run) and scored against the
target (`metrics.score(...).combined`, higher is better). The best candidate is accepted when
its score is not lower than the current scene's by more than `accept_tolerance` (default 0:
equal is accepted, worse is reverted). An optional verifier then approves the selected scene or
returns a checklist for the next round. When a stage's rounds are spent, its best accepted scene
goes on to the next stage.

Every round is written to the run folder (`scenelang.stages.engine.runfolder`) with the engine's state
before the next starts, so `resume=True` continues after the last finished round without
redoing any call or render. Hard caps (`max_calls`, `max_seconds`) end the run early; it then
finishes with the selected scene so far. Nothing a proposer writes is executed.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from PIL import Image

from scenelang import ast as A
from scenelang.compiler import compile_scene
from scenelang.compiler.settings import RenderSettings
from scenelang.errors import SceneError
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch
from scenelang.printer import print_scene, print_section
from scenelang.stages.budget import Budget
from scenelang.stages.engine.confidence import Confidence, assess
from scenelang.stages.engine.config import EngineConfig, Phase, plan
from scenelang.stages.engine.render import LoopRenderer, fit_size
from scenelang.stages.engine.resume import RunDamaged, check_resumable
from scenelang.stages.engine.runfolder import (
    RunFolder,
    RunFolderError,
    atomic_write,
    confined,
    json_text,
    now_iso,
    read_json,
    run_summary,
    verdict_text,
    write_json,
)
from scenelang.stages.engine.state import Candidate, LoopState, RunResult, round_summary, stalled_rounds
from scenelang.stages.metrics import load_image
from scenelang.stages.proposers.base import (
    BudgetExhausted,
    Feedback,
    Proposal,
    ProposalRequest,
    Proposer,
    ProposerError,
    Usage,
    Verdict,
    VerifyRequest,
)
from scenelang.stages.proposers.prompts import render_prompt
from scenelang.stages.report.html import write_report
from scenelang.validate import DEFAULT_LIMITS

log = logging.getLogger(__name__)

def starting_scene(target_size: tuple[int, int]) -> A.Scene:
    """Where a run starts: a camera at `DEFAULT_CAMERA`'s place with the target's resolution,
    and a default world; no objects, so it renders as an empty backdrop."""
    cam = A.DEFAULT_CAMERA
    camera = A.Camera(name="camera", at=cam.at, look_at=cam.look_at,
                      resolution=camera_resolution(target_size))
    return A.Scene(composition=A.Section(name="composition", statements=(camera,)),
                   lighting=A.Section(name="lighting", statements=(A.World(),)))


def camera_resolution(target_size: tuple[int, int]) -> tuple[int, int]:
    """The target's size, scaled down (aspect kept) to fit the validator's resolution limit, so a
    target larger than 4096 px still starts from a valid scene."""
    limit = DEFAULT_LIMITS.max_resolution
    w, h = max(1, int(target_size[0])), max(1, int(target_size[1]))
    if max(w, h) <= limit:
        return w, h
    k = limit / max(w, h)
    return max(1, min(limit, round(w * k))), max(1, min(limit, round(h * k)))


class Engine:
    """One reconstruction run; `run_reconstruction` is the usual entry point."""

    def __init__(self, target: str | Path, run_dir: str | Path, proposer: Proposer,
                 config: EngineConfig | None = None, *, resume: bool = False,
                 proposer_info: Mapping[str, Any] | None = None,
                 on_round: Callable[[str, str], None] | None = None):
        self.folder = RunFolder(run_dir)
        self.on_round = on_round
        self.source = Path(target)
        self.proposer = proposer
        self.config = config or EngineConfig()
        self.resume = resume
        describe = getattr(proposer, "describe", None)  # name, model, base URL: what --resume needs
        self.proposer_info = dict(proposer_info or (describe() if callable(describe)
                                                    else {"name": getattr(proposer, "name", "?")}))
        self.budget = Budget(self.config.max_calls, self.config.max_seconds)
        self.state: LoopState | None = None
        self.renderer: LoopRenderer | None = None
        self.rounds_log: list[dict[str, Any]] = []
        self.sessions: list[dict[str, Any]] = []
        self.confidence: Confidence | None = None

    # ------------------------------------------------------------------ entry
    def run(self) -> RunResult:
        with ExitStack() as stack:
            stored = self._open(stack)
            if stored.get("status") == "finished" and self.folder.final(".png").is_file():
                log.info("run already finished: %s", self.folder.root)
                return self._result(stored)
            self._save_run("running")
            try:
                self._loop()
                result = self._finish()
            except KeyboardInterrupt:
                self._save_run("interrupted")
                self._write_report()
                log.warning("interrupted: finished rounds are kept; continue with --resume")
                raise
            self._write_report()
            return result

    def _write_report(self) -> None:
        """report.html for the run as it stands; a report failure is logged, never fatal."""

        try:
            path = write_report(self.folder.root)
            log.info("report %s", path)
        except Exception as exc:  # the report is a view of the run; the run itself is complete
            log.warning("could not write report.html: %s", exc)

    def _open(self, stack: ExitStack) -> dict[str, Any]:
        f, stored = self.folder, {}
        if self.resume:
            if not f.exists():
                raise SceneError(f"{f.root}: nothing to resume (no run.json)")
            f.clean_partial()
            stored, settings = check_resumable(self.folder)
            caps = {k: getattr(self.config, k) for k in ("max_calls", "max_seconds")
                    if getattr(self.config, k) is not None}
            self.config = replace(settings, **caps)
            self.budget = Budget(self.config.max_calls, self.config.max_seconds)
            sessions = stored.get("sessions")
            self.sessions = [s for s in sessions if isinstance(s, dict)] \
                if isinstance(sessions, list) else []
            proposer = stored.get("proposer")
            self.proposer_info = {**(proposer if isinstance(proposer, dict) else {}),
                                  **self.proposer_info}
            target = stored.get("target")
            source = target.get("source") if isinstance(target, dict) else None
            self.source = Path(source) if isinstance(source, str) and source else f.target
        else:
            if not f.is_empty_or_missing():
                raise SceneError(f"{f.root} is not empty; pass --resume to continue the run in "
                                 "it, or choose another folder")
            _copy_target(self.source, f)
        self.sessions.append({"started": now_iso(), "resumed": self.resume})
        handler = logging.FileHandler(f.log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.setLevel(logging.INFO)
        root_logger = logging.getLogger("scenelang")
        if root_logger.getEffectiveLevel() > logging.INFO:
            # run.log keeps every round even when the console shows warnings only (a progress
            # bar on a terminal, --quiet): the console handler filters by its own level
            stack.callback(root_logger.setLevel, root_logger.level)
            root_logger.setLevel(logging.INFO)
        root_logger.addHandler(handler)
        stack.callback(handler.close)
        stack.callback(root_logger.removeHandler, handler)
        if self.config.verify and not callable(getattr(self.proposer, "verify", None)):
            log.warning("the %s proposer has no verifier; --verify is ignored",
                        getattr(self.proposer, "name", "?"))
        shutil.rmtree(f.root / ".work", ignore_errors=True)
        self.renderer = LoopRenderer(f.target, f.root / ".work", self.config.size,
                                     self.config.samples)
        # the scratch folder goes however the run ends (finished, interrupted, failed)
        stack.callback(shutil.rmtree, f.root / ".work", True)
        stack.enter_context(self.renderer)
        return stored

    # ------------------------------------------------------------------ the loop
    def _loop(self) -> None:
        f = self.folder
        self.state = self._start_state()
        self.rounds_log = []
        for phase in plan(self.config):
            done = f.finished_steps(phase.folder)
            for n in done:
                record = f.step_record(phase.folder, n)
                self.rounds_log.append(round_summary(record))
            if done:
                self.state = LoopState(**record["state"])
                self.budget.restore(record["budget"])
            if self.state.stop:
                return
            if not done:
                self.state.stage_best = self.state.current
                self.state.stage_best_score = self.state.current_score
                self.state.history = []
            step = len(done)
            while (step < phase.rounds) if phase.rounds is not None else self._direct_left() > 0:
                if self._stage_has_stalled(phase):
                    log.info("%s: %d round(s) in a row gained less than %g, stage ends early",
                             phase.key, self.config.patience, self.config.min_gain)
                    break
                step += 1
                t0 = time.monotonic()
                try:
                    self._round(phase, step)
                except BudgetExhausted as exc:
                    self.state.stop = str(exc)
                    log.warning("%s round %d: run stopped early: %s", phase.key, step, exc)
                    return
                finally:
                    self.budget.record_time(phase.key, time.monotonic() - t0)
            s = self.state
            if s.stage_best != s.current:
                log.info("%s: its best accepted scene (%s) goes on", phase.key, s.stage_best)
                s.current, s.current_score = s.stage_best, s.stage_best_score

    def _stage_has_stalled(self, phase: Phase) -> bool:
        """True when `config.patience` is set and that many of the phase's last rounds in a
        row gained less than `config.min_gain` (the draft always runs)."""
        patience = self.config.patience
        if patience is None or phase.key == "draft":
            return False
        return stalled_rounds(self.rounds_log, phase.key, self.config.min_gain) >= patience

    def _direct_left(self) -> int:
        allowed = self.config.direct_calls or self.config.nominal_calls()
        return allowed - sum(c.proposals for c in self.budget.stages.values())

    def _start_state(self) -> LoopState:
        f = self.folder
        assert self.renderer is not None
        if not (f.start / "score.json").is_file():
            scene = starting_scene(self.renderer.target_size)
            png, score, seconds = self.renderer.render_and_score(scene)
            self.budget.record_render("start", seconds)
            f.write_dir(f.start, {"scene.sl": print_scene(scene), "render.png": png,
                                  "score.json": json_text({"score": score, **score})})
            log.info("start: the empty scene scores %.4f", score["combined"])
        combined = float(read_json(f.start / "score.json")["combined"])
        return LoopState("start", combined, "start", combined, "start", combined)

    # ------------------------------------------------------------------ one round
    def _round(self, phase: Phase, step: int) -> None:
        state, cfg = self.state, self.config
        assert state is not None
        self.budget.check()
        scene = self._load_scene(state.current)
        candidates: list[Candidate] = []
        for number in range(1, cfg.candidates + 1):
            if phase.rounds is None and self._direct_left() <= 0:
                break
            candidates.append(self._candidate(phase, step, number, scene))
        valid = [c for c in candidates if c.score is not None]
        chosen = max(valid, key=lambda c: c.combined) if valid else None  # type: ignore[arg-type]
        step_rel = self.folder.relative(self.folder.step_dir(phase.folder, step))
        before = state.current_score
        if chosen is None:
            status = "invalid"
            line = f"round {step}: no valid patch, scene unchanged"
        elif chosen.combined >= before - cfg.accept_tolerance:  # type: ignore[operator]
            status = "accepted"
            line = f"round {step}: accepted, score {before:.4f} -> {chosen.combined:.4f}"
        else:
            status = "rejected"
            line = f"round {step}: rejected (score {before:.4f} -> {chosen.combined:.4f}), reverted"
        log.info("%s %s", phase.key, line)
        if self.on_round is not None:
            self.on_round(phase.key, line)
        if chosen is not None and status == "accepted":
            state.current, state.current_score = step_rel, float(chosen.combined or 0.0)
            if state.current_score >= state.stage_best_score:
                state.stage_best, state.stage_best_score = step_rel, state.current_score
        if chosen is not None and chosen.combined > state.best_score:  # type: ignore[operator]
            state.best, state.best_score = step_rel, chosen.combined  # type: ignore[assignment]
        state.history.append(line)
        verdict = self._verify(phase, chosen if status == "accepted" else None, scene)
        if verdict is not None:
            state.checklist = list(verdict.checklist)
        main = chosen or candidates[-1]
        record = {
            "stage": phase.key, "round": step, "step": step_rel, "status": status,
            "combined": main.combined, "previous_combined": before, "score": main.score,
            "selected": state.current, "selected_combined": state.current_score,
            "best_by_metric": {"step": state.best, "combined": state.best_score},
            "candidates": [{"number": c.number, "combined": c.combined, "errors": c.errors,
                            "attempts": c.attempts} for c in candidates],
            "verdict": None if verdict is None else
            {"approved": verdict.approved, "checklist": list(verdict.checklist)},
            "calls": sum(len(c.attempts) for c in candidates) + (verdict is not None),
            "hypothesis": bool(candidates) and all(c.hypothesis for c in candidates),
            "state": asdict(state), "budget": self.budget.to_dict(),
        }
        files: dict[str, Any] = {
            "prompt.md": main.prompt or "(no prompt was sent: the call failed)\n",
            "response.md": main.response or "(no response)\n",
            "patch.slp": main.patch_text,
            "scene.sl": print_scene(main.scene or scene),
            "render.png": main.render or self._here(state.current, "render.png"),
            "score.json": json_text(record),
            "verdict": verdict_text(status, before, chosen and chosen.combined,
                                    verdict and verdict.text()),
        }
        extra = None
        if len(candidates) > 1:
            extra = {f"candidate-{c.number}": _candidate_files(c, scene) for c in candidates}
        self.folder.write_step(phase.folder, step, files, extra)
        for leftover in self.renderer.work.iterdir():  # type: ignore[union-attr]
            leftover.unlink()
        self.rounds_log.append(round_summary(record))
        self._save_run("running")

    def _candidate(self, phase: Phase, step: int, number: int, scene: A.Scene) -> Candidate:
        state, renderer = self.state, self.renderer
        assert state is not None and renderer is not None
        cand = Candidate(number)
        scene_text = print_scene(scene)
        section_text = (scene_text if phase.section == "scene"
                        else print_section(scene.section(phase.section)))

        render_path = self._here(state.current, "render.png")
        render = load_image(render_path, size=renderer.size)
        rounds = phase.rounds or step - 1 + max(1, self._direct_left())
        instructions = render_prompt(phase.key, round=step, rounds=rounds,
                                     scene_empty=not scene.objects())
        where = f"{phase.key} round {step}" + (f" candidate {number}" if number > 1 else "")
        errors: tuple[str, ...] = ()
        previous: str | None = None
        for attempt in range(self.config.max_repairs + 1):
            self.budget.check()
            if phase.rounds is None and self._direct_left() <= 0:
                break
            request = ProposalRequest(
                stage=phase.key, section=phase.section, sections=phase.sections, round=step,
                rounds=rounds, attempt=attempt, scene=scene, scene_text=scene_text,
                section_text=section_text, target_path=self.folder.target.resolve(),
                target=renderer.target, render_path=render_path, render=render,
                instructions=instructions, budget=self.budget,
                render_size=renderer.size, candidate=number,
                feedback=Feedback(errors, previous, tuple(state.checklist), state.current_score,
                                  state.best_score, tuple(state.history)))
            label = f"{where} attempt {attempt + 1}"
            proposal, failure = self._call(request, phase.key, label)
            cand.attempts.append({"attempt": attempt + 1, "error": failure,
                                  "usage": proposal.usage.to_dict() if proposal else None})
            if proposal is None:
                cand.errors.append(failure or "the proposer failed")
                break  # a transport failure is not the patch's fault: no repair
            sep = f"\n\n<!-- attempt {attempt + 1} -->\n\n" if attempt else ""
            cand.prompt += sep + proposal.prompt
            cand.response += sep + proposal.raw
            cand.patch_text = proposal.patch_text or ""
            cand.hypothesis = proposal.hypothesis
            try:
                if proposal.patch_text is None:
                    raise SceneError(proposal.error or "the answer holds no patch")
                patch = parse_patch(proposal.patch_text, file="patch.slp",
                                    constants=scene.constants)
                section = None if phase.section == "scene" else phase.section
                new_scene = apply_patch(scene, patch, section=section)
            except SceneError as exc:
                if exc.source is None:
                    exc.source = proposal.patch_text
                message = exc.format()
                cand.errors.append(message)
                cand.attempts[-1]["error"] = message
                log.warning("%s: patch rejected: %s", label, " | ".join(
                    d.format() for d in exc.errors[:3]) or exc.summary())
                errors, previous = (message,), proposal.patch_text
                continue
            except RecursionError:
                message = "the patch is nested too deeply to read"
                cand.errors.append(message)
                cand.attempts[-1]["error"] = message
                log.warning("%s: patch rejected: %s", label, message)
                errors, previous = (message,), proposal.patch_text
                continue
            except Exception as exc:  # any fault reading a proposal rejects it, never the run
                message = f"the patch could not be read: {type(exc).__name__}: {exc}"[:2000]
                cand.errors.append(message)
                cand.attempts[-1]["error"] = message
                log.warning("%s: patch rejected (%s)", label, message)
                errors, previous = (message,), proposal.patch_text
                continue
            cand.scene = new_scene
            self._render_candidate(cand, phase, scene)
            break
        return cand

    def _call(self, request: ProposalRequest, stage: str, label: str
              ) -> tuple[Proposal | None, str | None]:
        try:
            proposal = self.proposer.propose(request)
        except BudgetExhausted:
            raise
        except ProposerError as exc:
            self.budget.record_call(stage, exc.usage, failed=True)
            log.warning("%s: proposer failed: %s", label, exc)
            return None, f"proposer failed: {exc}"
        except Exception as exc:  # a proposer's bug must not end the run
            self.budget.record_call(stage, Usage(), failed=True)
            log.error("%s: proposer raised %s: %s", label, type(exc).__name__, exc)
            return None, f"proposer raised {type(exc).__name__}: {exc}"
        if not isinstance(proposal, Proposal):
            self.budget.record_call(stage, Usage(), failed=True)
            log.error("%s: proposer returned %s, not a Proposal", label, type(proposal).__name__)
            return None, "the proposer returned no Proposal"
        self.budget.record_call(stage, proposal.usage)
        return proposal, None

    def _render_candidate(self, cand: Candidate, phase: Phase, current: A.Scene) -> None:
        state, renderer = self.state, self.renderer
        assert state is not None and renderer is not None and cand.scene is not None
        if cand.scene == current:  # nothing changed: reuse the current render and score
            cand.render = self._here(state.current, "render.png")
            cand.score = dict(read_json(self._here(state.current, "score.json"))
                              .get("score") or {"combined": state.current_score})
            cand.score["combined"] = state.current_score
            return
        try:
            png, score, seconds = renderer.render_and_score(cand.scene)
        except SceneError as exc:
            cand.errors.append(f"render failed: {exc.summary()}")
            log.warning("%s: render failed: %s", phase.key, exc.summary())
            return
        except Exception as exc:  # a candidate that cannot be compiled, rendered or scored
            cand.errors.append(f"render failed: {type(exc).__name__}: {exc}")
            log.warning("%s: render failed: %s: %s", phase.key, type(exc).__name__, exc)
            return
        self.budget.record_render(phase.key, seconds)
        cand.render, cand.score = png, score

    def _verify(self, phase: Phase, accepted: Candidate | None, scene: A.Scene) -> Verdict | None:
        verify = getattr(self.proposer, "verify", None)
        if not self.config.verify or verify is None or self.budget.exhausted():
            return None

        state = self.state
        assert state is not None
        if accepted is not None and accepted.scene is not None:
            scene = accepted.scene
        render = self._here(state.current, "render.png")
        if accepted is not None and accepted.render is not None:
            render = accepted.render
        try:
            verdict = verify(VerifyRequest(phase.key, self.folder.target.resolve(),
                                           Path(render).resolve(), scene, print_scene(scene),
                                           self.budget))
        except (ProposerError, BudgetExhausted) as exc:
            self.budget.record_call(phase.key, getattr(exc, "usage", Usage()), kind="verify",
                                    failed=True)
            log.warning("%s: verifier failed: %s", phase.key, exc)
            return None
        except Exception as exc:  # a verifier's bug must not end the run
            self.budget.record_call(phase.key, Usage(), kind="verify", failed=True)
            log.error("%s: verifier raised %s: %s", phase.key, type(exc).__name__, exc)
            return None
        self.budget.record_call(phase.key, verdict.usage, kind="verify")
        return verdict

    # ------------------------------------------------------------------ finishing
    def _here(self, rel: str, name: str | None = None) -> Path:
        """A run-relative path from the run's own records, resolved and confined to the run."""
        try:
            return confined(self.folder.root, f"{rel}/{name}" if name else rel)
        except RunFolderError as exc:
            raise RunDamaged(f"{self.folder.root}: {exc} (recorded step {rel!r}); the run "
                             "folder is damaged") from None

    def _load_scene(self, rel: str) -> A.Scene:
        path = self._here(rel, "scene.sl")
        return parse_scene(path.read_text(encoding="utf-8"), file=str(path))

    def _finish(self) -> RunResult:
        f, state, renderer = self.folder, self.state, self.renderer
        assert state is not None and renderer is not None
        scene = self._load_scene(state.current)
        long_side = self.config.final_size or min(1024, max(renderer.target_size))
        settings = RenderSettings(samples=self.config.final_samples,
                                  size=fit_size(renderer.target_size, long_side))
        atomic_write(f.final(".sl"), print_scene(scene))
        atomic_write(f.final(".py"), compile_scene(scene, source_file="final.sl",
                                                   settings=settings))
        if self.on_round is not None:  # the final render can take a while: say so
            w, h = settings.size
            self.on_round("final", f"rendering final.png ({w}x{h}, {settings.samples} samples)")
        t0 = time.monotonic()
        final_score = renderer.render_final(scene, f.final(".png"), f.final(".blend"),
                                            settings)
        self.budget.record_render("final", time.monotonic() - t0)
        shutil.rmtree(renderer.work, ignore_errors=True)
        log.info("final scene %s (combined score %.4f)%s", f.final(".sl"),
                 final_score["combined"], f"; stopped early: {state.stop}" if state.stop else "")
        self.confidence = self._assess(scene, final_score)
        for doubt in self.confidence.doubts:
            log.warning("doubtful result: %s", doubt)
        return self._result(self._save_run("finished", final_score))

    def _assess(self, scene: A.Scene, final_score: Mapping[str, float]) -> Confidence:
        """The final scene's confidence, with the proposer's own doubts (`doubts(scene, target)`,
        optional) as hints; a proposer's failure there is logged, never fatal."""
        target = load_image(self.folder.target)
        render = load_image(self.folder.final(".png"), size=(target.shape[1], target.shape[0]))
        hints: list[str] = []
        doubts = getattr(self.proposer, "doubts", None)
        if callable(doubts):
            try:
                hints = [str(h) for h in doubts(scene, target)]
            except Exception as exc:  # a proposer's bug must not end the run
                log.error("the proposer's doubts() raised %s: %s", type(exc).__name__, exc)
        return assess(scene, target, render, final_score, hints)

    def _result(self, data: Mapping[str, Any]) -> RunResult:
        f = self.folder
        stored = data.get("confidence")
        return RunResult(f.root, f.final(".sl"), f.final(".py"), f.final(".blend"),
                         f.final(".png"), dict(data["scores"].get("final") or {}),
                         int(data["budget"]["total"]["calls"]), data.get("stopped"),
                         Confidence.from_dict(stored) if stored else None)

    def _save_run(self, status: str, final_score: Mapping[str, float] | None = None
                  ) -> dict[str, Any]:
        assert self.renderer is not None
        state = self.state
        data = run_summary(
            self.folder, status=status, stopped=state.stop if state else None,
            target={"source": str(self.source), "size": list(self.renderer.target_size)},
            settings=self.config.to_dict(), proposer=self.proposer_info,
            render={"loop_size": list(self.renderer.size), "loop_samples": self.config.samples,
                    "final_samples": self.config.final_samples},
            budget=self.budget.to_dict(), rounds=self.rounds_log, sessions=self.sessions,
            selected=state and {"step": state.current, "combined": state.current_score},
            best=state and {"step": state.best, "combined": state.best_score},
            final_score=final_score,
            confidence=self.confidence.to_dict() if self.confidence else None)
        write_json(self.folder.run_json, data)
        return data


def run_reconstruction(target: str | Path, run_dir: str | Path, proposer: Proposer,
                       config: EngineConfig | None = None, *, resume: bool = False,
                       proposer_info: Mapping[str, Any] | None = None,
                       on_round: Callable[[str, str], None] | None = None) -> RunResult:
    """Reconstruct the image `target` into the run folder `run_dir` (see the module docstring).

    Raises `SceneError` for an unreadable target, a non-empty folder without `resume`, or
    nothing to resume. Proposer faults, invalid patches and failed renders are logged and end
    rounds, never the run. On resume the stored settings are used, except `max_calls` and
    `max_seconds` when `config` sets them. `on_round(phase, line)` is called after every
    finished round (for progress displays).
    """
    return Engine(target, run_dir, proposer, config, resume=resume,
                  proposer_info=proposer_info, on_round=on_round).run()


def _copy_target(source: Path, folder: RunFolder) -> None:
    try:
        with Image.open(source) as im:
            im.load()
            rgb = im.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise SceneError(f"{source}: cannot read the target image ({exc})") from None
    folder.root.mkdir(parents=True, exist_ok=True)
    tmp = folder.root / ".target.png.tmp"
    rgb.save(tmp, format="PNG")
    tmp.replace(folder.target)


def _candidate_files(c: Candidate, scene: A.Scene) -> dict[str, Any]:
    files: dict[str, Any] = {
        "prompt.md": c.prompt, "response.md": c.response, "patch.slp": c.patch_text,
        "scene.sl": print_scene(c.scene or scene),
        "score.json": json_text({"combined": c.combined, "score": c.score, "errors": c.errors}),
    }
    if c.render is not None:
        files["render.png"] = c.render
    return files
