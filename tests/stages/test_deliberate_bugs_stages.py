"""Issue 15: one test per deliberate one-line bug of the score, the engine and the Blender
environment, each named after the behaviour it protects. docs/testing.md lists the mutation each
test was shown to catch.

The engine tests drive `run_reconstruction` with a plain Python proposer (answers by stage and
round, every request kept) and real Blender renders at tiny size (48x36 px, 16 samples)."""

from __future__ import annotations

import json
import math
import os
import shutil
import stat

import numpy as np
import pytest
from engine_script import TARGET_SL

from scenelang.backends.blender.runner import render_scene
from scenelang.compiler.settings import RenderSettings
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch
from scenelang.stages.engine.loop import EngineConfig, run_reconstruction, starting_scene
from scenelang.stages.engine.runfolder import RunFolder
from scenelang.stages.metrics import DEFAULT_WEIGHTS, PSNR_NORM, score
from scenelang.stages.proposers.base import Proposal

# ---------------------------------------------------------------- the score, by hand


H, W = 48, 64
GREY_A, GREY_B = 0.5, 0.6
C1 = 0.01 ** 2  # SSIM's stabiliser for data range 1 (K1 = 0.01)


def hand_example():
    """Two flat greys 0.1 apart and silhouettes covering 1/2 and 3/4 of the frame."""
    target = np.full((H, W, 3), GREY_A, np.float32)
    render = np.full((H, W, 3), GREY_B, np.float32)
    mask_t = np.zeros((H, W), bool)
    mask_t[:, : W // 2] = True
    mask_r = np.zeros((H, W), bool)
    mask_r[:, : 3 * W // 4] = True
    return target, render, (mask_t, mask_r)


def test_score_terms_match_a_hand_computed_example():
    target, render, masks = hand_example()
    s = score(target, render, masks=masks)
    assert s.psnr == pytest.approx(20.0, abs=1e-4)  # MSE 0.01 -> 10 log10(1 / 0.01)
    # flat images: SSIM = (2 mu_a mu_b + C1) / (mu_a^2 + mu_b^2 + C1), the contrast term is 1
    ssim = (2 * GREY_A * GREY_B + C1) / (GREY_A ** 2 + GREY_B ** 2 + C1)
    assert s.ssim == pytest.approx(ssim, abs=1e-5)
    assert s.iou == pytest.approx(2 / 3)
    assert s.color_error == pytest.approx(0.1, abs=1e-5)
    assert s.edge_f1 == 1.0  # no edges in either image


def test_combined_score_uses_the_documented_formula_and_default_weights():
    """docs: combined = 0.35 ssim + 0.25 iou + 0.2 clip(psnr / 40 dB) + 0.1 edge_f1 + 0.1 color."""
    target, render, masks = hand_example()
    s = score(target, render, masks=masks)
    ssim = (2 * GREY_A * GREY_B + C1) / (GREY_A ** 2 + GREY_B ** 2 + C1)
    by_hand = 0.35 * ssim + 0.25 * (2 / 3) + 0.2 * (20 / 40) + 0.1 * 1.0 + 0.1 * (1 - 0.1)
    assert s.combined == pytest.approx(by_hand, abs=1e-5)
    assert dict(DEFAULT_WEIGHTS) == {"ssim": 0.35, "iou": 0.25, "psnr": 0.2, "edge_f1": 0.1,
                                     "color": 0.1, "ms_ssim": 0.0}


def test_psnr_term_is_psnr_over_40_db():
    target, render, masks = hand_example()
    only_psnr = {"ssim": 0, "iou": 0, "edge_f1": 0, "color": 0, "psnr": 1}
    assert score(target, render, only_psnr, masks=masks).combined == pytest.approx(0.5, abs=1e-5)
    assert PSNR_NORM == 40.0


@pytest.mark.parametrize("term, expected", [
    ("ssim", (2 * GREY_A * GREY_B + C1) / (GREY_A ** 2 + GREY_B ** 2 + C1)),
    ("iou", 2 / 3), ("edge_f1", 1.0), ("color", 0.9),
])
def test_each_weight_selects_its_own_term(term, expected):
    target, render, masks = hand_example()
    weights = dict.fromkeys(DEFAULT_WEIGHTS, 0.0)
    weights[term] = 1.0
    assert score(target, render, weights, masks=masks).combined == pytest.approx(expected,
                                                                                abs=1e-5)


# ---------------------------------------------------------------- the one-shot Blender environment


def test_one_shot_blender_run_gets_no_api_keys(tmp_path, monkeypatch):
    """`render_scene` without a worker starts Blender once; that process must not inherit API
    keys, tokens or secrets. A shim 'Blender' writes its environment and exits."""
    dump = tmp_path / "environ.txt"
    shim = tmp_path / "blender"
    shim.write_text(f"#!/bin/sh\nenv > '{dump}'\nexit 0\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    monkeypatch.setenv("MY_PASSWORD", "secret")
    monkeypatch.setenv("SCENELANG_HARMLESS", "kept")
    render_scene(parse_scene(TARGET_SL), tmp_path / "out.png", blender=str(shim), timeout=60)
    names = {line.split("=", 1)[0] for line in dump.read_text().splitlines() if "=" in line}
    assert not names & {"OPENAI_API_KEY", "GITHUB_TOKEN", "MY_PASSWORD"}
    assert "SCENELANG_HARMLESS" in names and "PATH" in names
    assert os.environ["OPENAI_API_KEY"] == "sk-secret"  # the caller's environment is untouched


# ---------------------------------------------------------------- the engine


GEOMETRY = """patch geometry {
  shape ground = plane(size=20)
  shape ball = sphere(radius=0.8)
  shape crate = box(size=(1, 1, 1))
}"""
COMPOSITION = """patch composition {
  camera camera at (7.36, -6.93, 4.96) look_at (0, 0, 0.5) resolution (96, 72)
  object ground_1 = ground
  object ball_1 = ball at (0, 0, 0.8)
  object crate_1 = crate at (1.5, 1.5, 0.5)
}"""
EMPTY_FRAME = """patch composition {
  remove ball_1
  remove crate_1
  remove ground_1
}"""


class Scripted:
    """A proposer answering `answers[(stage, round)]` (no answer: an answer without a patch);
    raises KeyboardInterrupt on call number `interrupt_at`. Keeps every request."""

    name = "scripted"

    def __init__(self, answers, interrupt_at: int | None = None):
        self.answers = answers
        self.interrupt_at = interrupt_at
        self.requests = []

    def propose(self, request):
        self.requests.append(request)
        if len(self.requests) == self.interrupt_at:
            raise KeyboardInterrupt
        text = self.answers.get((request.stage, request.round))
        if text is None:
            return Proposal(raw="(nothing)", patch_text=None, error="no scripted answer")
        return Proposal(raw=text, patch_text=text, prompt=f"{request.stage} {request.round}")


def config(budgets) -> EngineConfig:
    full = {"geometry": 0, "materials": 0, "composition": 0, "lighting": 0}
    full.update(budgets)
    return EngineConfig(size=48, samples=16, final_size=48, final_samples=16, budgets=full)


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """The scene the scripted answers build from the starting scene, rendered at 48x36."""
    path = tmp_path_factory.mktemp("target") / "target.png"
    scene = starting_scene((48, 36))
    for text in (GEOMETRY, COMPOSITION):
        scene = apply_patch(scene, parse_patch(text))
    render_scene(scene, path, settings=RenderSettings(samples=16, size=(48, 36)))
    return path


@pytest.fixture(scope="module")
def interrupted(target, tmp_path_factory):
    """A run interrupted in geometry round 3 (rounds 1 and 2 finished)."""
    root = tmp_path_factory.mktemp("interrupted") / "run"
    answers = {("geometry", 1): GEOMETRY,
               ("geometry", 2): "patch geometry {\n  set ball.radius = 0.7\n}"}
    with pytest.raises(KeyboardInterrupt):
        run_reconstruction(target, root, Scripted(answers, interrupt_at=3),
                           config({"geometry": 3}))
    return root


@pytest.mark.blender
def test_an_interrupted_run_writes_report_html(interrupted):
    assert json.loads((interrupted / "run.json").read_text())["status"] == "interrupted"
    report = interrupted / "report.html"
    assert report.is_file() and report.stat().st_size > 0
    assert "step-02" in report.read_text() or "round 2" in report.read_text()


@pytest.mark.blender
def test_resume_in_the_middle_of_a_stage_keeps_the_stage_history(interrupted, target, tmp_path):
    root = tmp_path / "run"
    shutil.copytree(interrupted, root)
    proposer = Scripted({})
    run_reconstruction(target, root, proposer, config({"geometry": 3}), resume=True)
    first = proposer.requests[0]
    assert (first.stage, first.round) == ("geometry", 3)
    history = first.feedback.history
    assert len(history) == 2, history
    assert history[0].startswith("round 1: ") and history[1].startswith("round 2: ")


@pytest.mark.blender
def test_a_candidate_that_changes_nothing_reuses_the_current_render(target, tmp_path):
    answers = {("geometry", 1): GEOMETRY, ("geometry", 2): GEOMETRY}  # round 2: same scene
    result = run_reconstruction(target, tmp_path / "run", Scripted(answers),
                                config({"geometry": 2}))
    run = json.loads((result.root / "run.json").read_text())
    assert run["budget"]["stages"]["geometry"]["renders"] == 1  # round 1 only
    folder = RunFolder(result.root)
    one, two = folder.step_record("01-geometry", 1), folder.step_record("01-geometry", 2)
    assert two["status"] == "accepted" and two["combined"] == one["combined"]
    assert ((folder.step_dir("01-geometry", 2) / "render.png").read_bytes()
            == (folder.step_dir("01-geometry", 1) / "render.png").read_bytes())


@pytest.mark.blender
def test_a_rejected_candidate_never_becomes_the_current_scene(target, tmp_path):
    proposer = Scripted({("geometry", 1): GEOMETRY, ("composition", 1): COMPOSITION,
                         ("composition", 2): EMPTY_FRAME})
    result = run_reconstruction(target, tmp_path / "run", proposer,
                                config({"geometry": 1, "composition": 3}))
    folder = RunFolder(result.root)
    accepted, worse = (folder.step_record("03-composition", n) for n in (1, 2))
    assert accepted["status"] == "accepted"
    assert worse["status"] == "rejected", worse
    assert worse["combined"] < worse["previous_combined"]
    assert worse["selected"] == accepted["step"] == "stages/03-composition/step-01"
    # the next round is asked to improve the accepted scene, not the rejected one
    third = [r for r in proposer.requests if (r.stage, r.round) == ("composition", 3)][0]
    assert {o.name for o in third.scene.objects()} == {"ground_1", "ball_1", "crate_1"}
    assert math.isclose(third.feedback.score, accepted["combined"])
    final = parse_scene(result.final_sl.read_text())
    assert {o.name for o in final.objects()} == {"ground_1", "ball_1", "crate_1"}
