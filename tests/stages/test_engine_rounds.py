"""What the engine writes for every round, and how it accepts, reverts and carries a stage's best
scene on (issue 15: the mutation run of `stages/engine/loop.py` found parts of a round's record,
of the candidates' folders and of the end-of-stage revert that no test read).

Two scripted runs with real Blender renders at 48x36 px, 4 samples, against a target drawn by
the preview renderer:

- `rounds`: geometry 2 rounds, composition 3, two candidates per round, a verifier. Geometry 1:
  a valid patch and a patch that never parses (three attempts); geometry 2: no patch at all
  (invalid round); composition 1: the objects (better) and a patch that changes nothing;
  composition 2: removing the objects (worse: rejected); composition 3: nothing.
- `tolerant`: `accept_tolerance=1`, so the worse composition round is accepted; at the end of the
  stage the engine goes back to the stage's best accepted scene.
"""

from __future__ import annotations

import json

import pytest
from ball_run import COMPOSITION, GEOMETRY, make_target

from scenelang.parser import parse_scene
from scenelang.stages.engine.loop import EngineConfig, run_reconstruction
from scenelang.stages.engine.runfolder import RunFolder
from scenelang.stages.proposers.base import Proposal, ProposerError, Usage, Verdict

pytestmark = pytest.mark.blender

SAME = "patch composition {\n}"  # changes nothing
EMPTY = """patch composition {
  remove ball_1
  remove ground_1
}"""
BROKEN = "patch geometry { shape = }"
CHECKLIST = ("move the ball left", "darker ground")


class Scripted:
    """Answers `answers[(stage, round, candidate)]` (missing: an answer without a patch) and, as
    a verifier, always returns the same checklist. Keeps every request."""

    name = "scripted"

    def __init__(self, answers, failing=()):
        self.answers = answers
        self.failing = set(failing)
        self.requests = []
        self.verified = []

    def propose(self, request):
        self.requests.append(request)
        if (request.stage, request.round, request.candidate) in self.failing:
            raise ProposerError("the scripted endpoint is down")
        text = self.answers.get((request.stage, request.round, request.candidate))
        if text is None:
            return Proposal(raw="(nothing)", patch_text=None, error="no scripted answer",
                            usage=Usage(calls=1))
        return Proposal(raw=f"raw {request.stage} {request.round}", patch_text=text,
                        prompt=f"prompt {request.stage} {request.round} {request.candidate}",
                        usage=Usage(calls=1))

    def verify(self, request):
        self.verified.append(request)
        return Verdict(approved=False, checklist=CHECKLIST, usage=Usage(calls=1))


def config(**changes) -> EngineConfig:
    options = dict(size=48, samples=4, final_size=48, final_samples=4, candidates=2,
                   verify=True, budgets={"geometry": 2, "materials": 0, "composition": 3,
                                         "lighting": 0})
    options.update(changes)
    return EngineConfig(**options)


ANSWERS = {("geometry", 1, 1): GEOMETRY, ("geometry", 1, 2): BROKEN,
           ("composition", 1, 1): COMPOSITION, ("composition", 1, 2): SAME,
           ("composition", 2, 1): EMPTY, ("composition", 2, 2): BROKEN}


def run_rounds(tmp_path):
    proposer = Scripted(ANSWERS)
    lines = []
    statuses = []

    def on_round(phase, line):
        lines.append((phase, line))
        run_json = tmp_path / "run" / "run.json"
        statuses.append(json.loads(run_json.read_text())["status"])

    result = run_reconstruction(make_target(tmp_path), tmp_path / "run", proposer, config(),
                                on_round=on_round)
    proposer.statuses = statuses
    return result, proposer, lines, RunFolder(result.root)


def test_a_staged_run_chooses_accepts_reverts_and_records_every_round(tmp_path):
    """One run, every check below on it. (One test, not one per check: mutmut maps a function
    to the tests that call it, and a module fixture's run would count only for the first test.)"""
    rounds = run_rounds(tmp_path)
    for check in (check_a_round_record_names_its_stage_step_and_previous_score,
                  check_every_candidate_is_recorded_with_its_attempts_and_errors,
                  check_every_candidate_gets_its_own_folder,
                  check_the_step_files_are_those_of_the_chosen_candidate,
                  check_a_round_without_a_valid_patch_keeps_the_scene_and_its_render,
                  check_the_best_candidate_of_a_round_is_chosen,
                  check_an_unchanged_candidate_scores_like_the_current_scene,
                  check_a_worse_round_is_rejected_and_the_scene_reverted,
                  check_the_best_by_metric_is_kept_apart_from_the_selected_scene,
                  check_the_verifier_sees_the_accepted_scene_and_its_checklist_reaches_the_next_round,
                  check_on_round_hears_every_round_in_order_and_history_holds_the_stage_only,
                  check_the_run_json_keeps_the_selected_scene_and_the_rounds):
        check(rounds)


def test_a_stage_hands_its_best_accepted_scene_to_the_next(tmp_path):
    tolerant = run_tolerant(tmp_path)
    check_a_worse_scene_within_the_tolerance_is_accepted(tolerant)
    check_the_next_stage_starts_from_the_stage_best_accepted_scene(tolerant)
    check_a_single_candidate_round_has_no_candidate_folders(tolerant)
    check_a_failed_call_leaves_placeholder_prompt_and_response(tolerant)


def check_a_single_candidate_round_has_no_candidate_folders(tolerant):
    _, _, f = tolerant
    assert not list(f.step_dir("03-composition", 1).glob("candidate-*"))


def check_a_failed_call_leaves_placeholder_prompt_and_response(tolerant):
    _, _, f = tolerant
    folder = f.step_dir("04-lighting", 1)
    assert (folder / "prompt.md").read_text() == "(no prompt was sent: the call failed)\n"
    assert (folder / "response.md").read_text() == "(no response)\n"


def step(folder, stage, n):
    return folder.step_record(stage, n)


def check_a_round_record_names_its_stage_step_and_previous_score(rounds):
    _, _, _, f = rounds
    start = json.loads((f.start / "score.json").read_text())["combined"]
    g1 = step(f, "01-geometry", 1)
    assert (g1["stage"], g1["round"], g1["step"]) == ("geometry", 1, "stages/01-geometry/step-01")
    assert g1["previous_combined"] == start
    assert g1["status"] == "accepted"
    assert g1["selected"] == "stages/01-geometry/step-01"
    assert g1["selected_combined"] == g1["combined"]


def check_every_candidate_is_recorded_with_its_attempts_and_errors(rounds):
    _, _, _, f = rounds
    g1 = step(f, "01-geometry", 1)
    one, two = g1["candidates"]
    assert one["number"] == 1 and one["errors"] == [] and one["combined"] == g1["combined"]
    assert [a["attempt"] for a in one["attempts"]] == [1]
    assert two["number"] == 2 and two["combined"] is None
    assert [a["attempt"] for a in two["attempts"]] == [1, 2, 3]  # max_repairs 2
    assert len(two["errors"]) == 3 and all(a["error"] for a in two["attempts"])
    assert g1["calls"] == 1 + 3 + 1  # two candidates' attempts and the verifier
    assert g1["budget"]["total"]["calls"] == 5  # what resume restores


def check_every_candidate_gets_its_own_folder(rounds):
    _, _, _, f = rounds
    folder = f.step_dir("01-geometry", 1)
    one, two = folder / "candidate-1", folder / "candidate-2"
    assert (one / "render.png").is_file() and not (two / "render.png").exists()
    assert json.loads((two / "score.json").read_text())["combined"] is None
    assert (one / "patch.slp").read_text() == GEOMETRY
    assert (one / "prompt.md").read_text() == "prompt geometry 1 1"


def check_the_step_files_are_those_of_the_chosen_candidate(rounds):
    _, _, _, f = rounds
    folder = f.step_dir("01-geometry", 1)
    assert (folder / "patch.slp").read_text() == GEOMETRY
    assert (folder / "prompt.md").read_text() == "prompt geometry 1 1"
    assert (folder / "response.md").read_text() == "raw geometry 1"
    assert (folder / "render.png").read_bytes() == (folder / "candidate-1" / "render.png").read_bytes()
    assert parse_scene((folder / "scene.sl").read_text()).section("geometry").statements
    assert (folder / "verdict").read_text().startswith("accepted: score ")
    assert (folder / "verdict").read_text().endswith(
        "verifier: rejected\n1. move the ball left\n2. darker ground\n")


def check_a_round_without_a_valid_patch_keeps_the_scene_and_its_render(rounds):
    _, _, _, f = rounds
    g1, g2 = step(f, "01-geometry", 1), step(f, "01-geometry", 2)
    assert g2["status"] == "invalid" and g2["combined"] is None and g2["score"] is None
    assert g2["selected"] == g1["step"] and g2["selected_combined"] == g1["combined"]
    folder = f.step_dir("01-geometry", 2)
    assert (folder / "render.png").read_bytes() == (f.step_dir("01-geometry", 1) / "render.png").read_bytes()
    assert (folder / "scene.sl").read_text() == (f.step_dir("01-geometry", 1) / "scene.sl").read_text()
    assert (folder / "verdict").read_text().startswith("invalid: no valid patch")
    assert (folder / "prompt.md").read_text() == "\n\n<!-- attempt 2 -->\n\n\n\n<!-- attempt 3 -->\n\n"
    assert (folder / "response.md").read_text().startswith("(nothing)")


def check_the_best_candidate_of_a_round_is_chosen(rounds):
    _, _, _, f = rounds
    c1 = step(f, "03-composition", 1)
    one, two = c1["candidates"]
    assert one["combined"] > two["combined"]  # the objects beat the unchanged scene
    assert c1["combined"] == one["combined"] and c1["status"] == "accepted"
    assert (f.step_dir("03-composition", 1) / "patch.slp").read_text() == COMPOSITION


def check_an_unchanged_candidate_scores_like_the_current_scene(rounds):
    _, _, _, f = rounds
    c1 = step(f, "03-composition", 1)
    assert c1["candidates"][1]["combined"] == c1["previous_combined"]
    saved = json.loads((f.step_dir("03-composition", 1) / "candidate-2" / "score.json").read_text())
    assert saved["score"]["combined"] == c1["previous_combined"]
    assert set(saved["score"]) >= {"psnr", "ssim", "iou", "combined"}


def check_a_worse_round_is_rejected_and_the_scene_reverted(rounds):
    _, proposer, _, f = rounds
    c1, c2, c3 = (step(f, "03-composition", n) for n in (1, 2, 3))
    assert c2["status"] == "rejected" and c2["combined"] < c2["previous_combined"]
    assert c2["selected"] == c1["step"] and c2["selected_combined"] == c1["combined"]
    assert c2["state"]["current"] == c1["step"]
    assert (f.step_dir("03-composition", 2) / "verdict").read_text().startswith("rejected: score ")
    third = [r for r in proposer.requests if (r.stage, r.round) == ("composition", 3)][0]
    assert {o.name for o in third.scene.objects()} == {"ground_1", "ball_1"}
    assert c3["state"]["best"] == c1["step"]


def check_the_best_by_metric_is_kept_apart_from_the_selected_scene(rounds):
    _, _, _, f = rounds
    c1, c2 = step(f, "03-composition", 1), step(f, "03-composition", 2)
    assert c2["best_by_metric"] == {"step": c1["step"], "combined": c1["combined"]}
    assert c1["state"]["best_score"] == c1["combined"]
    start = json.loads((f.start / "score.json").read_text())["combined"]
    g1 = step(f, "01-geometry", 1)
    # the best by metric moves only on a strictly higher score
    assert g1["best_by_metric"]["step"] == ("start" if g1["combined"] <= start else g1["step"])


def check_the_verifier_sees_the_accepted_scene_and_its_checklist_reaches_the_next_round(rounds):
    _, proposer, _, f = rounds
    c1 = step(f, "03-composition", 1)
    assert c1["verdict"] == {"approved": False, "checklist": list(CHECKLIST)}
    verified = {o.name for o in proposer.verified[2].scene.objects()}  # composition round 1
    assert verified == {"ground_1", "ball_1"}
    # round 2 was rejected: the verifier judges the scene that stays, not the rejected one
    assert {o.name for o in proposer.verified[3].scene.objects()} == {"ground_1", "ball_1"}
    later = [r for r in proposer.requests if (r.stage, r.round) == ("composition", 2)][0]
    assert later.feedback.checklist == CHECKLIST
    assert c1["state"]["checklist"] == list(CHECKLIST)


def check_on_round_hears_every_round_in_order_and_history_holds_the_stage_only(rounds):
    _, proposer, lines, f = rounds
    phases = [phase for phase, _ in lines]
    assert phases == ["geometry"] * 2 + ["composition"] * 3 + ["final"]
    assert lines[0][1].startswith("round 1: accepted, score ")
    assert lines[1][1] == "round 2: no valid patch, scene unchanged"
    assert lines[3][1].startswith("round 2: rejected (score ") and lines[3][1].endswith("reverted")
    c3 = step(f, "03-composition", 3)
    assert c3["state"]["history"] == [line for phase, line in lines[2:5]]
    first_composition = [r for r in proposer.requests if r.stage == "composition"][0]
    assert first_composition.feedback.history == ()


def check_the_run_json_keeps_the_selected_scene_and_the_rounds(rounds):
    result, _, _, f = rounds
    run = json.loads((result.root / "run.json").read_text())
    assert run["scores"]["selected"]["step"] == "stages/03-composition/step-01"
    assert [r["step"] for r in run["rounds"]] == [
        f"stages/{s}/step-{n:02d}" for s, n in
        [("01-geometry", 1), ("01-geometry", 2), ("03-composition", 1), ("03-composition", 2),
         ("03-composition", 3)]]
    assert not (result.root / ".work").exists()  # the scratch renders are gone
    # renders are booked to their stage: geometry 1 (candidate 2 never parsed), composition 2
    # (the unchanged candidate reuses the current render)
    stages = run["budget"]["stages"]
    assert (stages["geometry"]["renders"], stages["composition"]["renders"]) == (1, 2)
    # seen from on_round: run.json says "running" while the rounds go on
    assert set(rounds[1].statuses) == {"running"} and run["status"] == "finished"


# ---------------------------------------------------------------- the end-of-stage revert


def run_tolerant(tmp_path):
    answers = {("composition", 1, 1): COMPOSITION, ("geometry", 1, 1): GEOMETRY,
               ("composition", 2, 1): EMPTY}
    proposer = Scripted(answers, failing={("lighting", 1, 1)})
    cfg = config(candidates=1, verify=False, accept_tolerance=1.0,
                 budgets={"geometry": 1, "materials": 0, "composition": 2, "lighting": 1})
    result = run_reconstruction(make_target(tmp_path), tmp_path / "run", proposer, cfg)
    return result, proposer, RunFolder(result.root)


def check_a_worse_scene_within_the_tolerance_is_accepted(tolerant):
    _, _, f = tolerant
    c1, c2 = step(f, "03-composition", 1), step(f, "03-composition", 2)
    assert c2["status"] == "accepted" and c2["combined"] < c1["combined"]
    assert c2["state"]["current"] == c2["step"]
    assert c2["state"]["stage_best"] == c1["step"]


def check_the_next_stage_starts_from_the_stage_best_accepted_scene(tolerant):
    result, proposer, f = tolerant
    lighting = [r for r in proposer.requests if r.stage == "lighting"][0]
    assert {o.name for o in lighting.scene.objects()} == {"ground_1", "ball_1"}
    assert lighting.feedback.score == step(f, "03-composition", 1)["combined"]
    final = parse_scene(result.final_sl.read_text())
    assert {o.name for o in final.objects()} == {"ground_1", "ball_1"}


# ---------------------------------------------------------------- direct mode: candidates within the call budget


def test_direct_mode_stops_a_round_s_candidates_when_the_calls_run_out(tmp_path):
    """3 direct calls, 2 candidates per round: round 1 gets two candidates, round 2 only one."""
    answers = {("direct", 1, 1): GEOMETRY, ("direct", 1, 2): SAME, ("direct", 2, 1): COMPOSITION}
    proposer = Scripted(answers)
    result = run_reconstruction(make_target(tmp_path), tmp_path / "run", proposer,
                                config(mode="direct", direct_calls=3, verify=False))
    f = RunFolder(result.root)
    assert f.finished_steps("01-direct") == [1, 2]
    assert [c["number"] for c in step(f, "01-direct", 1)["candidates"]] == [1, 2]
    assert [c["number"] for c in step(f, "01-direct", 2)["candidates"]] == [1]
    assert len(proposer.requests) == 3
