"""The documented defaults of `scenelang reconstruct` and of `EngineConfig`
(docs/reconstruction.md: "Stages and budgets", "Direct mode", "Python API"). No Blender."""

from scenelang.cli.main import build_parser
from scenelang.stages.engine.config import EngineConfig, plan
from scenelang.stages.proposers.registry import make_proposer


def test_reconstruct_command_line_defaults():
    args = build_parser().parse_args(["reconstruct", "photo.png", "-o", "run"])
    assert args.proposer is None  # offline unless the run being resumed used another one
    assert (args.mode, args.candidates, args.max_repairs) == ("staged", 1, 2)
    assert (args.size, args.samples, args.final_size, args.final_samples) == (256, 16, None, 64)
    assert (args.max_calls, args.max_seconds, args.calls, args.verify) == (None, None, None, False)
    assert args.draft is None  # on for proposers that ask for a draft, see below


def test_engine_config_defaults_match_the_python_api_section():
    c = EngineConfig()
    assert (c.mode, c.candidates, c.max_repairs, c.draft, c.verify) == ("staged", 1, 2, False,
                                                                        False)
    assert (c.max_calls, c.max_seconds, c.direct_calls) == (None, None, None)
    assert (c.size, c.samples, c.final_size, c.final_samples, c.accept_tolerance) == (
        256, 16, None, 64, 0)


def test_default_stage_budgets_are_5_3_3_2_rounds_and_13_calls():
    c = EngineConfig()
    assert [(p.key, p.rounds) for p in plan(c)] == [
        ("geometry", 5), ("materials", 3), ("composition", 3), ("lighting", 2)]
    assert c.nominal_calls() == 13
    assert EngineConfig(draft=True).nominal_calls() == 14
    assert EngineConfig(candidates=2).nominal_calls() == 26


def test_a_budget_names_only_the_stages_it_changes_and_0_skips_a_stage():
    args = build_parser().parse_args(["reconstruct", "p.png", "-o", "r",
                                      "--budget", "materials=0,lighting=4"])
    config = EngineConfig(budgets={**EngineConfig().budgets, **args.budget})
    assert [(p.key, p.rounds) for p in plan(config)] == [
        ("geometry", 5), ("materials", 0), ("composition", 3), ("lighting", 4)]


def test_the_offline_proposer_asks_for_a_draft():
    assert make_proposer("offline").wants_draft is True
