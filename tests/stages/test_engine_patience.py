"""A stage ends early after `patience` rounds in a row that gain less than `min_gain`
(`EngineConfig.patience`, the offline proposer asks for 2; issue 10: the time per image).

The pure rule (`stalled_rounds`) on hand-made round records, the settings' checks, and one real
run (Blender renders at 48x36 px, 4 samples) whose scripted proposer stops improving the scene
after its first composition round: with patience 2 the composition stage ends after round 3
of 5, and a later resume does not start the rounds it skipped."""

from __future__ import annotations

import json

import pytest
from ball_run import COMPOSITION, GEOMETRY, make_target

from scenelang.errors import SceneError
from scenelang.stages.engine.config import proposer_choices
from scenelang.stages.engine.loop import EngineConfig, run_reconstruction
from scenelang.stages.engine.state import stalled_rounds
from scenelang.stages.proposers.base import Proposal, Usage
from scenelang.stages.proposers.offline.proposer import OfflineProposer


def _round(stage, status, before, after):
    return {"stage": stage, "status": status, "previous_combined": before, "combined": after}


def test_stalled_rounds_counts_the_last_rounds_in_a_row_without_enough_gain():
    rounds = [_round("geometry", "accepted", 0.50, 0.60),   # a real gain: the count restarts
              _round("geometry", "accepted", 0.60, 0.6005),  # below 0.001: stalled
              _round("materials", "accepted", 0.1, 0.9),     # another stage: not counted
              _round("geometry", "rejected", 0.6005, 0.70)]  # rejected: gains nothing
    assert stalled_rounds(rounds, "geometry", 0.001) == 2
    assert stalled_rounds(rounds, "materials", 0.001) == 0
    assert stalled_rounds(rounds, "lighting", 0.001) == 0
    assert stalled_rounds(rounds + [_round("geometry", "accepted", 0.6005, 0.6015)],
                          "geometry", 0.001) == 0  # exactly min_gain is enough
    assert stalled_rounds(rounds[:2], "geometry", 0.0001) == 0
    invalid = {"stage": "geometry", "status": "invalid", "previous_combined": 0.5, "combined": None}
    assert stalled_rounds([invalid], "geometry", 0.001) == 1
    old = {"stage": "geometry", "status": "accepted", "combined": 0.9}  # older run: no previous
    assert stalled_rounds([old], "geometry", 0.001) == 1


def test_a_rejected_hypothesis_neither_counts_nor_restarts_the_stall():
    hypothesis = dict(_round("materials", "rejected", 0.6, 0.5), hypothesis=True)
    stalled = _round("materials", "accepted", 0.6, 0.6)
    assert stalled_rounds([stalled, hypothesis], "materials", 0.001) == 1
    assert stalled_rounds([stalled, hypothesis, hypothesis, stalled], "materials", 0.001) == 2
    # an accepted hypothesis is an ordinary round: it counts by its gain
    assert stalled_rounds([stalled, dict(stalled, hypothesis=True)], "materials", 0.001) == 2
    assert stalled_rounds([stalled, dict(_round("materials", "accepted", 0.6, 0.7), hypothesis=True)],
                          "materials", 0.001) == 0


def test_patience_settings_are_checked():
    assert EngineConfig().patience is None  # the engine alone runs every round
    assert EngineConfig(patience=1).patience == 1
    with pytest.raises(SceneError, match="patience must be at least 1"):
        EngineConfig(patience=0)
    with pytest.raises(SceneError, match="min_gain must be 0 or more"):
        EngineConfig(min_gain=-0.1)
    assert OfflineProposer.patience == 2
    # the API, batch and bench resolve draft and patience with one rule
    assert proposer_choices(OfflineProposer(), None, None) == (True, 2)
    assert proposer_choices(OfflineProposer(), False, 0) == (False, None)  # 0: every round
    assert proposer_choices(object(), None, 3) == (False, 3)  # a proposer that asks for nothing
    assert EngineConfig.from_dict(EngineConfig(patience=3).to_dict()).patience == 3


SAME = "patch composition {\n}"  # changes nothing: no gain


class Stalling:
    """Geometry: the shapes; composition round 1: the objects; later rounds change nothing."""

    name = "stalling"

    def __init__(self):
        self.rounds = []

    def propose(self, request):
        self.rounds.append((request.stage, request.round))
        text = {"geometry": GEOMETRY}.get(request.stage, COMPOSITION if request.round == 1 else SAME)
        return Proposal(raw="scripted", patch_text=text, usage=Usage(calls=1))


@pytest.mark.blender
def test_a_stage_without_gains_ends_after_patience_rounds_and_resume_keeps_it_ended(tmp_path):
    cfg = EngineConfig(size=48, samples=4, final_size=48, final_samples=4, patience=2,
                       budgets={"geometry": 1, "materials": 0, "composition": 5, "lighting": 0})
    proposer = Stalling()
    result = run_reconstruction(make_target(tmp_path), tmp_path / "run", proposer, cfg)
    assert proposer.rounds == [("geometry", 1), ("composition", 1), ("composition", 2),
                               ("composition", 3)]
    data = json.loads((result.root / "run.json").read_text())
    composition = [r for r in data["rounds"] if r["stage"] == "composition"]
    assert [r["round"] for r in composition] == [1, 2, 3]
    assert composition[0]["combined"] - composition[0]["previous_combined"] > 0.001
    assert composition[1]["previous_combined"] == composition[0]["combined"]
    assert data["settings"]["patience"] == 2 and data["settings"]["min_gain"] == 0.001
    resumed = Stalling()
    run_reconstruction(tmp_path / "target.png", tmp_path / "run", resumed, cfg, resume=True)
    assert resumed.rounds == []  # the stage had ended: nothing left to run


GLARE = """patch lighting {
  world color #ffffff strength 20
}"""


class Testing(Stalling):
    """Geometry and composition: the scene; lighting rounds 1 and 2: hypotheses that the
    render rejects (a glaring white world against the dark target); then no changes."""

    def propose(self, request):
        self.rounds.append((request.stage, request.round))
        if request.stage != "lighting":
            text = GEOMETRY if request.stage == "geometry" else COMPOSITION
            return Proposal(raw="scripted", patch_text=text, usage=Usage(calls=1))
        testing = request.round in (1, 2)
        return Proposal(raw="scripted", patch_text=GLARE if testing else "patch lighting {\n}",
                        usage=Usage(calls=1), hypothesis=testing)


@pytest.mark.blender
def test_rejected_hypotheses_do_not_end_a_stage(tmp_path):
    """Two rejected hypotheses in a row are answers, not a stall: the stage goes on, and ends
    after two rounds that gain nothing (without the rule it would end after the hypotheses)."""
    cfg = EngineConfig(size=48, samples=4, final_size=48, final_samples=4, patience=2,
                       budgets={"geometry": 1, "materials": 0, "composition": 1, "lighting": 6})
    proposer = Testing()
    result = run_reconstruction(make_target(tmp_path), tmp_path / "run", proposer, cfg)
    assert proposer.rounds == [("geometry", 1), ("composition", 1)] + [("lighting", k) for k in range(1, 5)]
    data = json.loads((result.root / "run.json").read_text())
    lighting = [r for r in data["rounds"] if r["stage"] == "lighting"]
    assert [(r["status"], r["hypothesis"]) for r in lighting[:2]] == [("rejected", True)] * 2
    assert [r["hypothesis"] for r in lighting[2:]] == [False, False]
