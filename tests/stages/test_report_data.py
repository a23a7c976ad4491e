"""Reading run folders for the report: notes, verdicts, diffs against the right scene, damage."""

from __future__ import annotations

import json
from pathlib import Path

from report_run_fixture import make_run, scene_text

from scenelang.stages.report.data import load_run, number, prose_of, read_json, unified_diff


def test_prose_of_drops_code_blocks():
    answer = ("I moved the ball.\n\n```sl\npatch geometry {\n  set ball.radius = 1\n}\n```\n"
              "~~~\nignored\n~~~\nDone.\n\n<!-- attempt 2 -->\n\nSecond try.\n````sl\nx\n````")
    assert prose_of(answer) == "attempt 1: I moved the ball.\n\nDone.\n\nattempt 2: Second try."
    assert prose_of("Only prose.\n\n\n\nMore.") == "Only prose.\n\nMore."
    assert prose_of("```sl\nx\n```\n\n<!-- attempt 2 -->\n\nFixed it.") == "attempt 2: Fixed it."
    assert prose_of(None) == "" and prose_of("```sl\nonly code\n```") == ""


def test_number_and_read_json_are_forgiving(tmp_path: Path):
    assert number(1) == 1.0 and number(True) is None and number("0.5") is None
    assert number(float("nan")) is None and number(float("inf")) is None
    (tmp_path / "a.json").write_text("[1]")
    (tmp_path / "b.json").write_bytes(b"\xff\xfe{")
    assert read_json(tmp_path / "a.json") is None and read_json(tmp_path / "b.json") is None
    assert read_json(tmp_path / "missing.json") is None


def _step(root: Path, rel: str, record: dict, scene: str, verdict: str = "") -> None:
    d = root / rel
    d.mkdir(parents=True)
    (d / "scene.sl").write_text(scene)
    (d / "score.json").write_text(json.dumps(record))
    if verdict:
        (d / "verdict").write_text(verdict)


def test_diffs_follow_the_engine_across_a_stage_boundary(tmp_path: Path):
    """A stage whose last accepted step scored below its best hands its best scene on."""
    root = tmp_path
    (root / "start").mkdir()
    (root / "start" / "scene.sl").write_text(scene_text([]))
    g1, g2, m1 = ("stages/01-geometry/step-01", "stages/01-geometry/step-02",
                  "stages/02-materials/step-01")
    one = scene_text([("a", "block", 0.5)])
    two = scene_text([("a", "block", 0.5), ("b", "ball", 2)])
    _step(root, g1, {"status": "accepted", "combined": 0.5, "selected": g1,
                     "state": {"current": g1, "stage_best": g1}}, one)
    _step(root, g2, {"status": "accepted", "combined": 0.49, "selected": g2,
                     "state": {"current": g2, "stage_best": g1}}, two,
          "accepted: score 0.5 -> 0.49\nverifier: rejected\n1. b floats\n2) too big\n")
    _step(root, m1, {"status": "accepted", "combined": 0.6, "selected": m1,
                     "state": {"current": m1, "stage_best": m1}},
          scene_text([("a", "block", 0.5)], "#ff0000"))
    view = load_run(root)
    steps = {s.rel: s for s in view.steps}
    assert steps[g1].diff[0] == "--- start/scene.sl"
    assert steps[g2].diff[0] == f"--- {g1}/scene.sl"
    assert steps[m1].diff[0] == f"--- {g1}/scene.sl"  # not g2: the stage's best went on
    assert steps[g2].verifier == "rejected" and steps[g2].checklist == ["b floats", "too big"]
    assert steps[g1].verifier == "not run"
    assert view.object_count is None  # no final.sl and no selected step recorded


def test_an_explicit_previous_field_wins(tmp_path: Path):
    root = make_run(tmp_path / "run")
    rel = "stages/02-materials/step-02"
    record = json.loads((root / rel / "score.json").read_text())
    record["previous"] = "start"
    (root / rel / "score.json").write_text(json.dumps(record))
    step = next(s for s in load_run(root).steps if s.rel == rel)
    assert step.diff[0] == "--- start/scene.sl"


def test_fixture_run_reads_completely(tmp_path: Path):
    view = load_run(make_run(tmp_path / "run"))
    assert view.status == "finished" and view.problems == []
    assert [s.key for s in view.stages] == ["geometry", "materials"]
    assert [s.planned_rounds for s in view.stages] == [3, 2]
    assert [s.status for s in view.steps] == ["accepted", "invalid", "accepted", "rejected",
                                              "accepted"]
    assert all(s.missing == [] for s in view.steps)
    assert view.object_count == 2 and view.calls == 9 and view.elapsed == 65.0
    assert [s.is_selected for s in view.steps] == [False] * 4 + [True]
    assert view.steps[1].errors and view.steps[1].combined is None
    assert view.steps[0].notes == "I added a box for the main block."


def test_unified_diff():
    assert unified_diff("a\nb\n", "a\nc\n", "x", "y") == ["--- x", "+++ y", "@@ -1,2 +1,2 @@",
                                                          " a", "-b", "+c"]
    assert unified_diff("same", "same", "x", "y") == []


def test_start_score_and_candidates_without_run_json(tmp_path: Path):
    root = make_run(tmp_path / "run")
    (root / "run.json").unlink()
    (root / "start" / "score.json").write_text(json.dumps({"score": {"combined": 0.25}}))
    step = root / "stages/01-geometry/step-01"
    for n, combined in ((1, 0.42), (2, None)):
        d = step / f"candidate-{n}"
        d.mkdir()
        (d / "score.json").write_text(json.dumps({"combined": combined, "score": None,
                                                  "errors": [] if combined else ["bad patch"]}))
        if combined:
            (d / "render.png").write_bytes((step / "render.png").read_bytes())
    view = load_run(root)
    assert view.start_score == 0.25
    assert view.steps[0].previous == 0.1  # the step records its own previous score
    cands = view.steps[0].candidates
    assert [(c.number, c.combined, c.errors, c.render is not None) for c in cands] == [
        (1, 0.42, [], True), (2, None, ["bad patch"], False)]
    assert view.calls == sum(s.calls for s in view.steps)  # no budget: counted from the steps
    assert view.elapsed is None and view.status == "unknown"
