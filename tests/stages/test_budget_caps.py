"""The run's hard caps (docs/reconstruction.md, "Hard caps"): `--max-calls` counts proposer plus
verifier calls; `--max-seconds` counts the wall time of earlier sessions of a resumed run (and the
API key never reaches the run folder). First
on `Budget` alone (fast), then through the engine with real Blender renders at tiny size and the
VLM proposer over the scripted server."""

import json

import pytest
from engine_script import GOOD, TARGET_SL
from scripted_server import ScriptedServer, StageScript
from test_engine import assert_valid_final, small, vlm

from scenelang.parser import parse_scene
from scenelang.stages.budget import Budget, BudgetExhausted, Usage
from scenelang.stages.engine.loop import run_reconstruction
from scenelang.stages.engine.runfolder import RunFolder
from scenelang.stages.proposers.vlm.client import VLMProposer, VLMSettings


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_verifier_calls_count_against_max_calls():
    budget = Budget(max_calls=3)
    budget.record_call("geometry", Usage(calls=1))
    budget.record_call("geometry", Usage(calls=1), kind="verify")
    assert budget.exhausted() is None and budget.calls_left() == 1
    budget.record_call("geometry", Usage(calls=1), kind="verify")
    assert budget.exhausted() == "max calls 3 reached"
    with pytest.raises(BudgetExhausted, match="max calls 3"):
        budget.check()
    assert budget.total.proposals == 1 and budget.total.verifications == 2


def test_max_seconds_counts_the_time_of_earlier_sessions():
    clock = Clock()
    first = Budget(max_seconds=60, clock=clock)
    clock.now += 40
    saved = json.loads(json.dumps(first.to_dict()))  # as run.json / score.json store it
    clock.now += 1000  # time between the sessions does not count
    second = Budget(max_seconds=60, clock=clock)
    second.restore(saved)
    assert second.elapsed() == pytest.approx(40) and second.seconds_left() == pytest.approx(20)
    clock.now += 19.5
    assert second.exhausted() is None
    clock.now += 0.5
    assert second.exhausted() == "max time 60 s reached"


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    from scenelang.backends.blender.runner import render_scene
    from scenelang.compiler.settings import RenderSettings

    path = tmp_path_factory.mktemp("target") / "target.png"
    render_scene(parse_scene(TARGET_SL), path, settings=RenderSettings(samples=4, size=(96, 72)))
    return path


def approve_or_answer(request):
    if "Review: does the render match" in request.text:
        return "APPROVED"
    return StageScript(GOOD)(request)


@pytest.mark.blender
def test_a_run_with_a_verifier_stops_when_proposals_plus_verifications_reach_max_calls(
        target, tmp_path):
    key = "sk-test-key-never-written-7f3a"
    with ScriptedServer(approve_or_answer) as server:
        proposer = VLMProposer(VLMSettings(model="scripted-vlm", base_url=server.base_url,
                                           api_key=key, timeout=5.0, backoff=0.01,
                                           max_backoff=0.05, max_attempts=3))
        result = run_reconstruction(target, tmp_path / "run", proposer,
                                    small(verify=True, max_calls=3))
    _, run = assert_valid_final(result)
    assert server.requests[0].headers["authorization"] == f"Bearer {key}"
    # the key is sent as a bearer token and never written to the run folder
    assert not [p for p in result.root.rglob("*") if p.is_file() and key.encode() in p.read_bytes()]
    total = run["budget"]["total"]
    # round 1: propose + verify, round 2: propose -> 3 calls, the cap; no 4th request
    assert len(server.requests) == 3 == result.calls == total["calls"]
    assert (total["proposals"], total["verifications"]) == (2, 1)
    assert "max calls 3" in run["stopped"]


@pytest.mark.blender
def test_max_seconds_on_resume_counts_the_earlier_sessions(target, tmp_path):
    budgets = {"geometry": 2, "materials": 1, "composition": 1, "lighting": 1}
    with ScriptedServer(StageScript(GOOD)) as server:
        class Interrupting(VLMProposer):
            calls = 0

            def propose(self, request):
                Interrupting.calls += 1
                if Interrupting.calls == 3:
                    raise KeyboardInterrupt
                return super().propose(request)

        with pytest.raises(KeyboardInterrupt):
            run_reconstruction(target, tmp_path / "run", Interrupting(vlm(server).settings),
                               small(budgets=budgets))
        assert len(server.requests) == 2
        last = RunFolder(tmp_path / "run").step_record("01-geometry", 2)
        spent = last["budget"]["elapsed_seconds"]
        assert spent > 0
        server.reset()
        # a cap equal to the time already spent: the resumed session may make no call at all
        resumed = run_reconstruction(target, tmp_path / "run", vlm(server),
                                     small(max_seconds=spent), resume=True)
    assert server.requests == []
    _, run = assert_valid_final(resumed)
    assert run["stopped"].startswith("max time") and run["settings"]["max_seconds"] == spent
    assert run["budget"]["elapsed_seconds"] >= spent  # the run's time, both sessions
    assert [s["resumed"] for s in run["sessions"]] == [False, True]
