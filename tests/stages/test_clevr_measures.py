"""CLEVR measures on hand-made cases with known answers."""

from __future__ import annotations

import math

import pytest

from scenelang.stages.bench.clevr_bench import format_clevr_table, summarise_clevr
from scenelang.stages.bench.clevr_measures import (
    ClevrPrediction,
    aggregate,
    average_precision,
    match,
    precision_recall_ap,
    scene_measures,
)

P = ClevrPrediction
TRUTH = [P((0.0, 0.0, 0.7), "sphere", "large", "metal", "red"),
         P((2.0, 1.0, 0.35), "cube", "small", "rubber", "blue"),
         P((-2.0, 2.0, 0.35), "cylinder", "small", "rubber", "green")]


def moved(o, dx=0.0, dy=0.0, **kw):
    return P((o.position[0] + dx, o.position[1] + dy, o.position[2]),
             kw.get("shape", o.shape), kw.get("size", o.size), kw.get("material", o.material),
             kw.get("color", o.color), kw.get("confidence", o.confidence))


def test_perfect_prediction():
    m = scene_measures(TRUTH, list(reversed(TRUTH)))
    for k in ("count_exact", "shape_acc", "size_acc", "color_acc", "material_acc", "all_attr_acc",
              "within_0.5", "within_0.25"):
        assert m[k] == 1.0, k
    assert m["count_error"] == 0 and m["position_error"] == 0
    agg = aggregate([TRUTH], [TRUTH])
    assert all(agg[k] == 1.0 for k in ("ap_inf", "ap_1", "ap_0.5", "ap_0.25", "ap_0.125"))


def test_shifted_object():
    pred = [TRUTH[0], moved(TRUTH[1], dx=0.3), TRUTH[2]]
    m = scene_measures(TRUTH, pred)
    assert m["position_error"] == pytest.approx(0.1)
    assert m["within_0.5"] == 1.0 and m["within_0.25"] == pytest.approx(2 / 3)
    assert m["all_attr_acc"] == 1.0
    agg = aggregate([TRUTH], [pred])
    assert agg["ap_inf"] == agg["ap_1"] == agg["ap_0.5"] == 1.0
    # at 0.25 m the shifted one is a false positive; all predictions tie on confidence, in list
    # order: TP, FP, TP -> precision 1, 1/2, 2/3 at recall 1/3, 1/3, 2/3 -> AP = 1/3 + 2/3 * 1/3
    assert agg["ap_0.25"] == pytest.approx(1 / 3 + (2 / 3) * (1 / 3))


def test_missing_object():
    pred = TRUTH[:2]
    m = scene_measures(TRUTH, pred)
    assert m["count_exact"] == 0 and m["count_error"] == 1
    assert m["all_attr_acc"] == 1.0 and m["position_error"] == 0
    assert average_precision([TRUTH], [pred], 0.5) == pytest.approx(2 / 3)


def test_wrong_colour():
    pred = [TRUTH[0], moved(TRUTH[1], color="red"), TRUTH[2]]
    m = scene_measures(TRUTH, pred)
    assert m["color_acc"] == pytest.approx(2 / 3) and m["shape_acc"] == 1.0
    assert m["all_attr_acc"] == pytest.approx(2 / 3)
    assert m["position_error"] == 0
    # the wrong one ranked last: precision 1, 1 then 2/3 -> AP = 2/3; ranked first: precision
    # 0, 1/2, 2/3 made monotone (2/3 everywhere) over recall 0, 1/3, 2/3 -> AP = 4/9
    last = [moved(TRUTH[0], confidence=0.9), moved(pred[1], confidence=0.1), moved(TRUTH[2], confidence=0.8)]
    assert average_precision([TRUTH], [last], math.inf) == pytest.approx(2 / 3)
    first = [moved(TRUTH[0], confidence=0.5), moved(pred[1], confidence=0.9), moved(TRUTH[2], confidence=0.4)]
    assert average_precision([TRUTH], [first], math.inf) == pytest.approx(4 / 9)


def test_duplicate_prediction_is_a_false_positive():
    pred = [*TRUTH, moved(TRUTH[0], dx=0.05, confidence=0.5)]
    assert average_precision([TRUTH], [pred], 0.5) == pytest.approx(1.0)  # ranked last: no harm
    pred = [moved(o, confidence=0.5) for o in TRUTH] + [moved(TRUTH[0], confidence=0.9)]
    # the duplicate (0.9) claims object 0; the exact copy of object 0 (0.5, first of the ties)
    # is then a false positive: TP, FP, TP, TP; precision 1, 1/2, 2/3, 3/4 made monotone
    # (1, 3/4, 3/4, 3/4) over recall 1/3, 1/3, 2/3, 1 -> AP = 1/3 + 3/4 * 2/3 = 5/6
    assert average_precision([TRUTH], [pred], 0.5) == pytest.approx(5 / 6)


def test_ap_over_scenes_and_edge_cases():
    assert math.isnan(average_precision([[]], [[TRUTH[0]]], 1.0))
    assert average_precision([TRUTH, TRUTH], [TRUTH, []], 1.0) == pytest.approx(0.5)
    assert precision_recall_ap([1.0, 0.5], [0.5, 0.5]) == pytest.approx(0.5)
    assert match([], TRUTH) == []
    m = scene_measures(TRUTH, [])
    assert m["count_error"] == 3 and math.isnan(m["shape_acc"])
    with pytest.raises(ValueError):
        average_precision([TRUTH], [], 1.0)


def test_from_truth_reads_scene_json_records():
    rec = {"shape": "cube", "size": "small", "material": "metal", "color": "cyan",
           "3d_coords": [1, 2, 0.2475], "rotation": 12.0, "pixel_coords": [1, 2, 3.0]}
    assert ClevrPrediction.from_truth(rec) == P((1.0, 2.0, 0.2475), "cube", "small", "metal", "cyan")


def test_summary_and_table():
    def d(o):
        return {"position": list(o.position), "shape": o.shape, "size": o.size,
                "material": o.material, "color": o.color, "confidence": o.confidence}

    rows = []
    for seed, pred in enumerate([TRUTH, TRUTH[:2]]):
        row = {"mode": "staged", "seed": seed, "psnr": 30.0, "ssim": 0.9, "valid": 1.0,
               "seconds": 10.0 + seed, **scene_measures(TRUTH, pred),
               "truth": [d(o) for o in TRUTH], "pred": [d(o) for o in pred]}
        rows.append(row)
    (s,) = summarise_clevr(rows)
    assert s["n"] == 2 and s["count_exact"] == 0.5 and s["max_seconds"] == 11.0
    assert s["ap_0.5"] == pytest.approx(5 / 6)
    table = format_clevr_table([s])
    assert "AP 0.125" in table and "| staged | 2 | 50% |" in table
