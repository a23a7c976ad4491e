"""`scenelang bench --suite clevr`: reconstruct CLEVR renders and score them on CLEVR's attributes.

For scene `seed + i` (i < n) the target is rendered once by `clevr.render_scenes` into
`OUT/scene<NNN>/{target.png, scene.json}` (kept between runs); each mode reconstructs it into
`OUT/scene<NNN>/<mode>/` with the chosen proposer through the real stage engine (which sees
only the image), `final.sl` is mapped to CLEVR objects (`clevr_mapping.scene_to_clevr`) and
compared with the truth (`clevr_measures`). Per run: PSNR/SSIM of `final.png` against the
target, `iou` (the silhouette of the reconstruction's objects drawn by the preview through its
own camera against the truth's instance mask `mask.png`, objects only), `valid`, `seconds`, the
per-scene measures; per mode: their means, the median time, and average precision over all
scenes at 3D distance thresholds inf, 1, 0.5, 0.25, 0.125 m, predictions ranked by the run's
per-object confidence (run.json `confidence.objects`; 1 when absent).
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from scenelang import ast as A
from scenelang.errors import SceneError
from scenelang.parser import load_scene
from scenelang.stages.bench import clevr
from scenelang.stages.bench.clevr_mapping import scene_to_clevr
from scenelang.stages.bench.clevr_measures import (
    AP_THRESHOLDS,
    SCENE_KEYS,
    ClevrPrediction,
    aggregate,
    ap_key,
    scene_measures,
)
from scenelang.stages.bench.run import (
    bench_engine,
    machine,
    object_silhouette,
    reconstruct_job,
    utc_now,
)
from scenelang.stages.engine.config import proposer_choices
from scenelang.stages.engine.loop import run_reconstruction
from scenelang.stages.metrics import load_image, psnr, ssim
from scenelang.stages.proposers.registry import make_proposer
from scenelang.validate import check

RUN_KEYS = ("psnr", "ssim", "iou", "valid", "seconds", *SCENE_KEYS)
TARGETS = {"count_exact": 0.80, "within_0.5": 0.90, "shape_acc": 0.90, "material_acc": 0.90,
           "color_acc": 0.85, "iou": 0.85}
"""Issue 10's CLEVR targets (plus a median of at most `MAX_MEDIAN_SECONDS` per image)."""
MAX_MEDIAN_SECONDS = 40.0
AP_KEYS = tuple(ap_key(t) for t in AP_THRESHOLDS)
SIZE = (320, 240)


@dataclass(frozen=True)
class ClevrBenchConfig:
    """CLEVR suite settings (same meaning as `run.BenchConfig` where the names agree).

    `assets`: the CLEVR assets folder (None: `$SCENELANG_CLEVR_ASSETS`, else
    `<repo>/../shared/clevr`). Targets are 320x240 (CLEVR's size) with `samples` Cycles samples;
    `threads`: Cycles threads for the targets (0 = one per core).
    """

    n: int = 5
    modes: tuple[str, ...] = ("staged", "direct")
    proposer: str = "offline"
    proposer_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    samples: int = 32
    loop_size: int = 256
    loop_samples: int = 16
    budgets: dict[str, int] | None = None
    draft: bool | None = None
    patience: int | None = None
    out: Path = Path("runs/bench/clevr")
    assets: Path | None = None
    threads: int = 0


def _final_scene(run: Path) -> A.Scene | None:
    try:
        scene = load_scene(run / "final.sl")
        check(scene)
        return scene
    except (SceneError, OSError):
        return None


def _confidences(run: Path) -> dict[str, float] | None:
    try:
        data = json.loads((run / "run.json").read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in dict(data["confidence"]["objects"]).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def predictions_of_run(run: Path, properties: dict[str, Any]) -> list[ClevrPrediction] | None:
    """CLEVR objects of a run's `final.sl` (None when it is missing or invalid), with the run's
    per-object confidence when run.json has it."""
    scene = _final_scene(run)
    if scene is None:
        return None
    return scene_to_clevr(scene, properties, confidences=_confidences(run))


def silhouette_iou(folder: Path, run: Path) -> float:
    """IoU of the reconstruction's object silhouette (preview, its own camera) with the truth's
    instance mask (`mask.png`, non-zero = an object); NaN when either is missing."""
    scene = _final_scene(run)
    mask_png = folder / "mask.png"
    if scene is None or not mask_png.is_file():
        return math.nan
    with Image.open(mask_png) as im:
        truth = np.asarray(im.convert("L")) > 0
    own = object_silhouette(scene, scene.camera(), (truth.shape[1], truth.shape[0]))
    union = np.count_nonzero(truth | own)
    return float(np.count_nonzero(truth & own) / union) if union else 1.0


def measure_clevr_run(folder: Path, run: Path, properties: dict[str, Any]) -> dict[str, Any]:
    """Every measure of one run folder against its scene folder's truth; also `truth` and
    `pred` (lists of dicts, for AP over scenes)."""
    truth = clevr.load_truth(folder)
    pred = predictions_of_run(run, properties)
    row: dict[str, Any] = dict.fromkeys(RUN_KEYS, math.nan)
    final_png = run / "final.png"
    row["valid"] = float(pred is not None and final_png.is_file())
    if final_png.is_file():
        t = load_image(folder / "target.png")
        r = load_image(final_png, size=(t.shape[1], t.shape[0]))
        row.update(psnr=psnr(t, r), ssim=ssim(t, r))
    row["iou"] = silhouette_iou(folder, run)
    row.update(scene_measures(truth, pred or []))
    row["n_true"], row["n_pred"] = len(truth), len(pred or [])
    row["truth"] = [_as_dict(o) for o in truth]
    row["pred"] = [_as_dict(o) for o in (pred or [])]
    return row


def _as_dict(o: ClevrPrediction) -> dict[str, Any]:
    return {"position": list(o.position), "shape": o.shape, "size": o.size,
            "material": o.material, "color": o.color, "confidence": o.confidence}


def _from_dict(d: dict[str, Any]) -> ClevrPrediction:
    return ClevrPrediction(tuple(d["position"]), d["shape"], d["size"], d["material"], d["color"],
                           float(d.get("confidence", 1.0)))


def run_clevr_bench(config: ClevrBenchConfig, log: Any = print, executor: Any = None
                    ) -> dict[str, Any]:
    """Render (once), reconstruct and measure; returns the JSON-ready results
    (`settings`, `machine`, `date`, `rows`, `summary`). `executor`: run the reconstructions as
    parallel jobs there (see `run.run_bench`); None: one after the other, here."""
    out = Path(config.out)
    properties = clevr.load_properties(config.assets)
    t0 = time.monotonic()
    folders = clevr.render_scenes(config.n, config.seed, out, config.assets, config.samples,
                                  size=SIZE, threads=config.threads, log=log)
    log(f"clevr targets ready in {time.monotonic() - t0:.1f} s")
    proposer = (make_proposer("vlm", **config.proposer_options) if config.proposer == "vlm"
                else make_proposer(config.proposer))
    draft, patience = proposer_choices(proposer, config.draft, config.patience)
    config = replace(config, patience=patience)
    rows: list[dict[str, Any]] = []
    if executor is not None:
        _run_on(executor, config, folders, draft, properties, rows, log)
    for i, folder in enumerate(folders if executor is None else []):
        seed = config.seed + i
        for mode in config.modes:
            run = folder / mode
            if run.exists():
                shutil.rmtree(run)
            engine = bench_engine(config, mode, draft, SIZE[0])
            start = time.monotonic()
            error = None
            try:
                run_reconstruction(folder / "target.png", run, proposer, engine,
                                   proposer_info={"name": config.proposer})
            except Exception as exc:  # a failed run is a result, not a crash of the bench
                error = f"{type(exc).__name__}: {exc}"
            seconds = time.monotonic() - start
            row = {"suite": "clevr", "seed": seed, "mode": mode, "error": error,
                   **measure_clevr_run(folder, run, properties)}
            row["seconds"] = seconds
            rows.append(row)
            log(f"clevr scene {seed} {mode}: {row['n_pred']}/{row['n_true']} objects, "
                f"pos err {row['position_error']:.2f} m, attrs {row['all_attr_acc']:.2f}, "
                f"{seconds:.1f} s" + (f" ERROR {error}" if error else ""))
    settings = {"suite": "clevr", "n": config.n, "modes": list(config.modes),
                "proposer": config.proposer, "seed": config.seed, "size": list(SIZE),
                "samples": config.samples, "loop_size": config.loop_size,
                "loop_samples": config.loop_samples, "budgets": config.budgets, "draft": draft,
                "patience": config.patience, "out": str(out), "assets": str(clevr.resolve_assets(config.assets))}
    return {"settings": settings, "machine": machine(), "date": utc_now(), "rows": rows,
            "summary": summarise_clevr(rows)}


def _run_on(executor: Any, config: ClevrBenchConfig, folders: Sequence[Path], draft: bool,
            properties: dict[str, Any], rows: list[dict[str, Any]], log: Any) -> None:
    """The reconstructions of `run_clevr_bench` as parallel jobs on `executor`."""

    jobs = [{"seed": config.seed + i, "mode": mode, "folder": str(folder),
             "target": str(folder / "target.png"), "run": str(folder / mode),
             "engine": bench_engine(config, mode, draft, SIZE[0]).to_dict(),
             "proposer": config.proposer, "proposer_options": dict(config.proposer_options)}
            for i, folder in enumerate(folders) for mode in config.modes]
    for job, result in executor.run(reconstruct_job, jobs):
        if not isinstance(result, dict):  # the worker died too often
            result = {"error": f"{type(result).__name__}: {result}", "seconds": math.nan}
        row = {"suite": "clevr", "seed": job["seed"], "mode": job["mode"],
               "error": result["error"],
               **measure_clevr_run(Path(job["folder"]), Path(job["run"]), properties)}
        row["seconds"] = result["seconds"]
        rows.append(row)
        log(f"clevr scene {job['seed']} {job['mode']}: {row['n_pred']}/{row['n_true']} objects, "
            f"{row['seconds']:.1f} s" + (f" ERROR {row['error']}" if row["error"] else ""))
    rows.sort(key=lambda r: (r["seed"], r["mode"]))


def summarise_clevr(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per mode: `n`, means of RUN_KEYS (NaNs ignored), `max_seconds`, and AP_KEYS over all
    scenes of the mode (a run without a valid `final.sl` predicts nothing)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["mode"], []).append(r)
    out = []
    for mode, rs in sorted(groups.items()):
        entry: dict[str, Any] = {"suite": "clevr", "mode": mode, "n": len(rs)}
        for k in RUN_KEYS:
            vals = [float(r[k]) for r in rs if r.get(k) is not None and not math.isnan(float(r[k]))]
            entry[k] = float(np.mean(vals)) if vals else math.nan
        secs = [float(r["seconds"]) for r in rs if not math.isnan(float(r["seconds"]))]
        entry["max_seconds"] = max(secs) if secs else math.nan
        entry["median_seconds"] = float(np.median(secs)) if secs else math.nan
        truths = [[_from_dict(d) for d in r.get("truth", [])] for r in rs]
        preds = [[_from_dict(d) for d in r.get("pred", [])] for r in rs]
        agg = aggregate(truths, preds)
        entry.update({k: agg[k] for k in AP_KEYS})
        met = {k: entry[k] >= v for k, v in TARGETS.items()}
        met["median_seconds"] = entry["median_seconds"] <= MAX_MEDIAN_SECONDS
        entry["targets_met"] = met
        out.append(entry)
    return out


TABLE_COLUMNS = (
    ("mode", "mode", "{}"), ("n", "n", "{}"), ("count exact", "count_exact", "{:.0%}"),
    ("count err", "count_error", "{:.2f}"), ("shape", "shape_acc", "{:.0%}"),
    ("size", "size_acc", "{:.0%}"), ("colour", "color_acc", "{:.0%}"),
    ("material", "material_acc", "{:.0%}"), ("all attrs", "all_attr_acc", "{:.0%}"),
    ("IoU", "iou", "{:.3f}"), ("pos err m", "position_error", "{:.2f}"),
    ("< 0.5 m", "within_0.5", "{:.0%}"),
    ("< 0.25 m", "within_0.25", "{:.0%}"), ("AP inf", "ap_inf", "{:.3f}"),
    ("AP 1", "ap_1", "{:.3f}"), ("AP 0.5", "ap_0.5", "{:.3f}"), ("AP 0.25", "ap_0.25", "{:.3f}"),
    ("AP 0.125", "ap_0.125", "{:.3f}"), ("PSNR dB", "psnr", "{:.2f}"), ("SSIM", "ssim", "{:.3f}"),
    ("valid", "valid", "{:.0%}"), ("median s", "median_seconds", "{:.1f}"),
    ("max s", "max_seconds", "{:.1f}"))


def format_clevr_table(summary: Sequence[dict[str, Any]]) -> str:
    """The CLEVR suite table as Markdown (attribute accuracies are over matched objects)."""
    lines = ["| " + " | ".join(c[0] for c in TABLE_COLUMNS) + " |",
             "|" + "|".join("---" for _ in TABLE_COLUMNS) + "|"]
    for e in summary:
        cells = []
        for _, key, fmt in TABLE_COLUMNS:
            v = e.get(key)
            bad = v is None or (isinstance(v, float) and math.isnan(v))
            cells.append("n/a" if bad else fmt.format(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
