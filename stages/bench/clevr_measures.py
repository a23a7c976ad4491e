"""Measures of a CLEVR reconstruction: objects matched to the ground truth, attribute accuracies,
3D position error, and set-prediction average precision (pure numpy/scipy).

An object (true or predicted) is a `ClevrPrediction`: position (x, y, z) of its centre in metres,
shape (cube/sphere/cylinder), size (large/small), material (rubber/metal), colour name, and a
confidence (predictions only; default 1).

Per scene (`scene_measures`):
- `count_exact` (1/0), `count_error` |predicted - true|;
- Hungarian matching of predictions to true objects on 3D centre distance; over matched pairs:
  `shape_acc`, `size_acc`, `color_acc`, `material_acc`, `all_attr_acc` (all four right),
  `position_error` (mean distance, m), `within_0.5` and `within_0.25` (share of matched pairs
  closer than 0.5 m / 0.25 m). Accuracies are over matched pairs only (unmatched objects show up
  in the counts and in AP); NaN when nothing is matched.

Over a set of scenes (`average_precision`, `aggregate`): AP at 3D distance thresholds
(inf, 1, 0.5, 0.25, 0.125 m) as in Locatello et al. 2020 ("Object-Centric Learning with Slot
Attention", set prediction on CLEVR): all predictions of all scenes are ranked by confidence;
each is compared with the *closest* true object of its scene whose four attributes all equal
its own; it is a true positive when that distance is below the threshold (any distance for inf)
and that true object has not been claimed by a higher-ranked prediction, otherwise a false
positive. Recall = TP / number of true objects, precision = TP / (TP + FP); AP is the area under
the precision-recall curve with precision made monotone (the reference implementation's
`compute_average_precision`, i.e. the VOC all-points interpolation). Note: like the reference,
a prediction whose closest attribute-matching object is already claimed is a false positive even
if another matching object is free within the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

AP_THRESHOLDS = (math.inf, 1.0, 0.5, 0.25, 0.125)
ATTRIBUTES = ("shape", "size", "material", "color")
SCENE_KEYS = ("count_exact", "count_error", "shape_acc", "size_acc", "color_acc", "material_acc",
              "all_attr_acc", "position_error", "within_0.5", "within_0.25")


@dataclass(frozen=True)
class ClevrPrediction:
    position: tuple[float, float, float]
    shape: str
    size: str
    material: str
    color: str
    confidence: float = 1.0

    @classmethod
    def from_truth(cls, obj: Mapping[str, Any] | Any) -> ClevrPrediction:
        """From a `scene.json` object record (dict) or a `clevr_sampler.ClevrObject`."""
        get = obj.get if isinstance(obj, Mapping) else lambda k, d=None: getattr(obj, k, d)
        coords = get("3d_coords") or get("coords")
        return cls(tuple(float(v) for v in coords), get("shape"), get("size"), get("material"),
                   get("color"))

    def attributes(self) -> tuple[str, str, str, str]:
        return (self.shape, self.size, self.material, self.color)


def _positions(objs: Sequence[ClevrPrediction]) -> np.ndarray:
    return np.array([o.position for o in objs], float).reshape(-1, 3)


def match(truth: Sequence[ClevrPrediction], pred: Sequence[ClevrPrediction]
          ) -> list[tuple[int, int, float]]:
    """Hungarian matching on 3D centre distance: (truth index, prediction index, distance)."""
    if not truth or not pred:
        return []
    dist = np.linalg.norm(_positions(truth)[:, None] - _positions(pred)[None], axis=2)
    rows, cols = linear_sum_assignment(dist)
    return [(int(r), int(c), float(dist[r, c])) for r, c in zip(rows, cols)]


def scene_measures(truth: Sequence[ClevrPrediction], pred: Sequence[ClevrPrediction]
                   ) -> dict[str, float]:
    """The per-scene measures of the module docstring."""
    out = dict.fromkeys(SCENE_KEYS, math.nan)
    out["count_error"] = float(abs(len(truth) - len(pred)))
    out["count_exact"] = float(len(truth) == len(pred))
    pairs = match(truth, pred)
    if not pairs:
        return out
    same = {a: np.mean([getattr(truth[t], a) == getattr(pred[p], a) for t, p, _ in pairs])
            for a in ATTRIBUTES}
    out.update(shape_acc=float(same["shape"]), size_acc=float(same["size"]),
               color_acc=float(same["color"]), material_acc=float(same["material"]))
    out["all_attr_acc"] = float(np.mean([truth[t].attributes() == pred[p].attributes()
                                         for t, p, _ in pairs]))
    d = np.array([x for _, _, x in pairs])
    out["position_error"] = float(d.mean())
    out["within_0.5"] = float(np.mean(d < 0.5))
    out["within_0.25"] = float(np.mean(d < 0.25))
    return out


def precision_recall_ap(precision: Sequence[float], recall: Sequence[float]) -> float:
    """Area under a precision-recall curve (precision made monotone decreasing; the reference
    implementation's `compute_average_precision`)."""
    r = [0.0, *map(float, recall), 1.0]
    p = [0.0, *map(float, precision), 0.0]
    for i in range(len(p) - 1, 0, -1):
        p[i - 1] = max(p[i - 1], p[i])
    return float(sum(p[i + 1] * (r[i + 1] - r[i]) for i in range(len(r) - 1) if r[i + 1] != r[i]))


def average_precision(truths: Sequence[Sequence[ClevrPrediction]],
                      preds: Sequence[Sequence[ClevrPrediction]], threshold: float) -> float:
    """Set-prediction AP over scenes (`truths[i]` and `preds[i]` belong to scene i) at a 3D
    distance `threshold` (m; `math.inf` or -1 for no distance limit). NaN with no true objects."""
    if len(truths) != len(preds):
        raise ValueError("truths and preds must list the same scenes")
    n_true = sum(len(t) for t in truths)
    if n_true == 0:
        return math.nan
    if threshold is None or threshold < 0:
        threshold = math.inf
    flat = [(p.confidence, s, k) for s, ps in enumerate(preds) for k, p in enumerate(ps)]
    # highest confidence first; ties keep scene/list order (stable sort)
    order = sorted(range(len(flat)), key=lambda i: -flat[i][0])
    claimed: set[tuple[int, int]] = set()
    tp = np.zeros(len(flat))
    fp = np.zeros(len(flat))
    for rank, i in enumerate(order):
        _, s, k = flat[i]
        p = preds[s][k]
        best, best_id = math.inf, None
        for j, t in enumerate(truths[s]):
            if t.attributes() == p.attributes():
                d = float(np.linalg.norm(np.subtract(t.position, p.position)))
                if d < best:
                    best, best_id = d, j
        if best_id is not None and (best < threshold or math.isinf(threshold)) \
                and (s, best_id) not in claimed:
            tp[rank] = 1
            claimed.add((s, best_id))
        else:
            fp[rank] = 1
    ctp, cfp = np.cumsum(tp), np.cumsum(fp)
    recall = ctp / n_true
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(ctp + cfp > 0, ctp / np.maximum(ctp + cfp, 1), 0.0)
    return precision_recall_ap(precision, recall)


def ap_key(threshold: float) -> str:
    return "ap_inf" if math.isinf(threshold) else f"ap_{threshold:g}"


def aggregate(truths: Sequence[Sequence[ClevrPrediction]],
              preds: Sequence[Sequence[ClevrPrediction]],
              thresholds: Iterable[float] = AP_THRESHOLDS) -> dict[str, float]:
    """Means of the per-scene measures (NaNs ignored) plus AP at each threshold over all scenes;
    `n` scenes. Keys: SCENE_KEYS, `ap_inf`, `ap_1`, `ap_0.5`, `ap_0.25`, `ap_0.125`."""
    rows = [scene_measures(t, p) for t, p in zip(truths, preds)]
    out: dict[str, float] = {"n": float(len(rows))}
    for k in SCENE_KEYS:
        vals = [r[k] for r in rows if not math.isnan(r[k])]
        out[k] = float(np.mean(vals)) if vals else math.nan
    for th in thresholds:
        out[ap_key(th)] = average_precision(truths, preds, th)
    return out
