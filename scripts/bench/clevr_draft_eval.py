"""The offline proposer's draft alone on prerendered CLEVR targets: CLEVR measures and camera error.

Cheap diagnosis of 3D placement and counts (no Blender, no stage loop): for each scene folder
`SCENES/scene<NNN>/` (made by `scenelang bench --suite clevr` or
`python -m scenelang.stages.bench.clevr`: `target.png`, `mask.png`, `scene.json`), the target is
loaded at the engine's loop size (long side 256 px), the offline proposer's draft is computed
exactly as the engine's draft stage asks for it (`draft.analyse` + `draft.draft_model` from
`draft.initial_camera` of the engine's starting camera, with the proposer's per-call safety-net
time cap), the draft scene is mapped to
CLEVR objects (`clevr_mapping.scene_to_clevr`) and scored with the suite's own measures
(`clevr_measures.scene_measures`, `aggregate`); the silhouette IoU is the bench's (preview of the
draft through its own camera against `mask.png`).

Also per scene: the camera error (height above the ground, pitch, lens in mm on a 36 mm sensor,
estimate minus truth), the number of object regions the segmentation found and how they cover
the true instances (`merged`: a region holding two or more true objects; `missed`: a true
object no region covers for at least 30% of its visible pixels; `extra`: a region over no
object), and each matched object's position error split into range (along the ground direction
from the camera) and lateral parts. `--oracle-camera` fits the objects through the true camera
instead (no camera search): the gap to the normal run is what the camera estimate costs.

    .venv/bin/python scripts/bench/clevr_draft_eval.py [--scenes runs/bench/clevr] [--n 30]
        [--first 0] [--ids 0,3,7] [--oracle-camera] [--seconds S] [--json OUT] [--quiet]

Prints one line per scene and a summary (times: wall and the process's CPU time, which a loaded
machine changes less); `--json` writes every row. Deterministic when the
draft's budgets are (see docs/reconstruction.md); `--seconds` sets the per-call time cap
(default: the proposer's, `DEFAULT_SECONDS_PER_CALL`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from scenelang import ast as A
from scenelang.stages.bench import clevr
from scenelang.stages.bench.clevr_mapping import scene_to_clevr
from scenelang.stages.bench.clevr_measures import aggregate, match, scene_measures
from scenelang.stages.bench.run import object_silhouette
from scenelang.stages.engine.loop import starting_scene
from scenelang.stages.engine.render import fit_size
from scenelang.stages.metrics import load_image
from scenelang.stages.proposers.offline.draft import (
    Model,
    analyse,
    colour_guesses,
    draft_model,
    fit_regions,
    initial_camera,
)
from scenelang.stages.proposers.offline.fit import refine_joint
from scenelang.stages.proposers.offline.light import estimate_lighting
from scenelang.stages.proposers.offline.proposer import DEFAULT_SECONDS_PER_CALL
from scenelang.stages.proposers.offline.scene_model import build_scene
from scenelang.stages.vision.camera import camera_parameters

LOOP_LONG_SIDE = 256
"""The engine's default in-loop render size (long side, px): the draft sees the target at it."""
COVER = 0.3
"""A true object counts as covered by a region holding at least this share of its pixels."""


def true_camera(data: dict[str, Any]) -> A.Camera:
    cam = data["camera"]
    return A.Camera(name="camera", at=tuple(float(v) for v in cam["location"]),
                    look_at=tuple(float(v) for v in cam.get("look_at", (0.0, 0.0, 0.0))),
                    lens=float(cam["lens_mm"]), sensor=float(cam["sensor_width_mm"]),
                    resolution=tuple(int(v) for v in cam["resolution"]))


def camera_terms(camera: A.Camera) -> dict[str, float]:
    p = camera_parameters(camera)
    if p is None:
        return {"pitch": math.nan, "lens": math.nan, "height": math.nan, "distance": math.nan}
    return {"pitch": p.pitch, "lens": p.lens, "height": float(camera.at[2]), "distance": p.distance}


def oracle_draft(analysis, camera: A.Camera) -> Model:
    """The draft's steps with the camera given (no horizon turn, no camera search)."""
    guesses, index, _ = fit_regions(analysis, camera)
    if guesses:
        targets = [analysis.regions[i] for i in index]
        guesses, _, _ = refine_joint(guesses, targets, camera, analysis.size, fit_position=True,
                                     fit_dims=True, max_evals=40, care=analysis.care)
    lighting, ground = estimate_lighting(analysis.linear, analysis.seg, analysis.objects_mask,
                                         guesses, camera, analysis.size)
    guesses = colour_guesses(analysis, camera, guesses, index, lighting,
                             ground_albedo=float(np.mean(ground)))
    return Model(camera=camera, guesses=guesses, lighting=lighting, ground=ground,
                 region_of=list(index),
                 names=[(f"object_{k}", f"shape_{k}", f"material_{k}")
                        for k in range(1, len(guesses) + 1)])


def coverage(regions: list[np.ndarray], instance: np.ndarray, n_true: int) -> dict[str, int]:
    """How the object regions cover the true instances (`instance`: 0 background, k + 1 object
    k, at the regions' size)."""
    counts = [int(np.count_nonzero(instance == k + 1)) for k in range(n_true)]
    covered = [False] * n_true
    merged = extra = 0
    for r in regions:
        held = [k for k in range(n_true)
                if counts[k] and np.count_nonzero(r & (instance == k + 1)) >= COVER * counts[k]]
        for k in held:
            covered[k] = True
        merged += len(held) >= 2
        extra += not held and np.count_nonzero(r & (instance > 0)) < 0.3 * r.sum()
    missed = sum(1 for k in range(n_true) if counts[k] and not covered[k])
    return {"regions": len(regions), "merged": int(merged), "missed": int(missed),
            "extra": int(extra)}


def range_lateral(truth_xy: np.ndarray, pred_xy: np.ndarray, cam_xy: np.ndarray
                  ) -> tuple[float, float]:
    """Ground-plane error split into range (along camera -> truth) and lateral parts (m)."""
    d = truth_xy - cam_xy
    d /= max(float(np.linalg.norm(d)), 1e-9)
    e = pred_xy - truth_xy
    return float(e @ d), float(e @ np.array([-d[1], d[0]]))


def evaluate(folder: Path, properties: dict[str, Any], *, oracle: bool, seconds: float
             ) -> dict[str, Any]:
    data = clevr.load_scene_json(folder)
    truth = clevr.load_truth(folder)
    with Image.open(folder / "target.png") as im:
        target_size = im.size
    size = fit_size(target_size, LOOP_LONG_SIDE)
    t0, c0 = time.monotonic(), time.process_time()
    target = load_image(folder / "target.png", size=size)
    analysis = analyse(target)
    start = starting_scene(target_size).camera()
    truth_cam = true_camera(data)
    if oracle:
        model = oracle_draft(analysis, truth_cam)
    else:
        model, _ = draft_model(analysis, initial_camera(start),
                               deadline=lambda: time.monotonic() - t0 > seconds)
    elapsed, cpu = time.monotonic() - t0, time.process_time() - c0
    scene = build_scene(model)
    pred = scene_to_clevr(scene, properties)
    row: dict[str, Any] = {"scene": folder.name, "seconds": elapsed, "cpu_seconds": cpu,
                           "n_true": len(truth),
                           "n_pred": len(pred), **scene_measures(truth, pred)}
    est, tru = camera_terms(scene.camera()), camera_terms(truth_cam)
    for k in ("pitch", "lens", "height"):
        row[f"cam_{k}"] = est[k]
        row[f"cam_{k}_err"] = est[k] - tru[k]
    with Image.open(folder / "mask.png") as im:
        mask_full = np.asarray(im.convert("L"))
        small = np.asarray(im.convert("L").resize(size, Image.NEAREST))
    row.update(coverage(analysis.regions, small.astype(int), len(truth)))
    own = object_silhouette(scene, scene.camera(), (mask_full.shape[1], mask_full.shape[0]))
    union = np.count_nonzero((mask_full > 0) | own)
    row["iou"] = float(np.count_nonzero((mask_full > 0) & own) / union) if union else 1.0
    cam_xy = np.asarray(truth_cam.at[:2], float)
    pairs = []
    for t, p, dist in match(truth, pred):
        rng, lat = range_lateral(np.asarray(truth[t].position[:2]), np.asarray(pred[p].position[:2]),
                                 cam_xy)
        pairs.append({"truth": t, "dist": dist, "range": rng, "lateral": lat,
                      "dz": pred[p].position[2] - truth[t].position[2],
                      "shape": (truth[t].shape, pred[p].shape),
                      "size": (truth[t].size, pred[p].size)})
    row["pairs"] = pairs
    row["truth"] = [o.__dict__ for o in truth]
    row["pred"] = [o.__dict__ for o in pred]
    return row


def summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    truths = [[clevr.ClevrPrediction(**d) for d in r["truth"]] for r in rows]
    preds = [[clevr.ClevrPrediction(**d) for d in r["pred"]] for r in rows]
    out = aggregate(truths, preds)
    for k in ("cam_pitch_err", "cam_lens_err", "cam_height_err"):
        vals = np.array([r[k] for r in rows], float)
        out[k + "_mean"] = float(np.nanmean(vals))
        out[k + "_abs"] = float(np.nanmean(np.abs(vals)))
    pairs = [p for r in rows for p in r["pairs"]]
    if pairs:
        out["range_abs"] = float(np.mean([abs(p["range"]) for p in pairs]))
        out["range_mean"] = float(np.mean([p["range"] for p in pairs]))
        out["lateral_abs"] = float(np.mean([abs(p["lateral"]) for p in pairs]))
    for k in ("iou", "seconds", "cpu_seconds"):
        out[k] = float(np.nanmean([r[k] for r in rows]))
    out["median_seconds"] = float(np.median([r["seconds"] for r in rows]))
    out["median_cpu_seconds"] = float(np.median([r["cpu_seconds"] for r in rows]))
    for k in ("regions", "merged", "missed", "extra", "n_true", "n_pred"):
        out[k] = int(sum(r[k] for r in rows))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenes", type=Path, default=Path("runs/bench/clevr"))
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--ids", default=None, help="comma-separated scene numbers (overrides --n)")
    ap.add_argument("--oracle-camera", action="store_true")
    ap.add_argument("--seconds", type=float, default=DEFAULT_SECONDS_PER_CALL)
    ap.add_argument("--assets", default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    ids = ([int(s) for s in args.ids.split(",")] if args.ids
           else list(range(args.first, args.first + args.n)))
    properties = clevr.load_properties(args.assets)
    rows = []
    for i in ids:
        folder = clevr.scene_folder(args.scenes, i)
        if not (folder / "scene.json").is_file():
            print(f"{folder}: no scene.json, skipped", file=sys.stderr)
            continue
        r = evaluate(folder, properties, oracle=args.oracle_camera, seconds=args.seconds)
        rows.append(r)
        if not args.quiet:
            print(f"{r['scene']}: {r['n_pred']}/{r['n_true']} obj (regions {r['regions']}, "
                  f"merged {r['merged']}, missed {r['missed']}, extra {r['extra']}) "
                  f"<0.5m {r['within_0.5']:.0%} pos {r['position_error']:.2f} m "
                  f"shape {r['shape_acc']:.0%} col {r['color_acc']:.0%} "
                  f"mat {r['material_acc']:.0%} IoU {r['iou']:.3f} | cam err pitch "
                  f"{r['cam_pitch_err']:+.1f} deg lens {r['cam_lens_err']:+.1f} mm height "
                  f"{r['cam_height_err']:+.2f} m | {r['seconds']:.1f} s "
                  f"({r['cpu_seconds']:.1f} s CPU)", flush=True)
    s = summary(rows)
    print(f"\n{len(rows)} scenes{' (oracle camera)' if args.oracle_camera else ''}: "
          f"count exact {s['count_exact']:.0%} (err {s['count_error']:.2f}; {s['n_pred']} found "
          f"for {s['n_true']}; regions {s['regions']}, merged {s['merged']}, missed "
          f"{s['missed']}, extra {s['extra']}), within 0.5 m {s['within_0.5']:.0%}, 0.25 m "
          f"{s['within_0.25']:.0%}, pos err {s['position_error']:.2f} m (range |{s.get('range_abs', math.nan):.2f}| "
          f"mean {s.get('range_mean', math.nan):+.2f}, lateral |{s.get('lateral_abs', math.nan):.2f}|), "
          f"shape {s['shape_acc']:.0%}, size {s['size_acc']:.0%}, colour {s['color_acc']:.0%}, "
          f"material {s['material_acc']:.0%}, IoU {s['iou']:.3f}; camera |err| pitch "
          f"{s['cam_pitch_err_abs']:.1f} deg (mean {s['cam_pitch_err_mean']:+.1f}), lens "
          f"{s['cam_lens_err_abs']:.1f} mm (mean {s['cam_lens_err_mean']:+.1f}), height "
          f"{s['cam_height_err_abs']:.2f} m; median {s['median_seconds']:.1f} s "
          f"({s['median_cpu_seconds']:.1f} s CPU)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "summary": s}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
