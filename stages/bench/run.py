"""The reconstruction benchmark: seeded random scenes, rendered, rebuilt from the image alone.

For each tier and scene index `i`, `bench_scenes.make_scene(tier, seed + i)` is rendered in
Blender (Cycles, `samples`, `size` px on the long side; 4:3) to `target.png`; then each mode
(`staged`, `direct`) reconstructs it with the chosen proposer through the real stage engine
(`run_reconstruction`), which sees only the image: the reconstruction starts from the default
camera whatever camera made the image. Both modes get the same proposer-call budget (direct
mode's `direct_calls` defaults to the staged plan's nominal calls).

Per run the benchmark measures (definitions):

- `psnr`, `ssim`: `final.png` against `target.png` (`stages.metrics`);
- `iou`: silhouette IoU of the *objects only*, in the image: the preview renderer draws the
  true scene through the true camera and the reconstruction through its own (estimated)
  camera, at the target's size, without ground planes (objects whose shape is a plane); IoU of
  the two silhouettes. This is what the two images show;
- `iou_aligned` (headline): the same, but the reconstruction is first carried onto the truth's
  frame by the gauge alignment of `bench.placement` (the scale, turn and shift one image cannot
  tell) and drawn through the TRUE camera, so errors in the estimated pitch and focal length and
  in the objects' 3D places count, while the arbitrary choice of world frame does not;
- `count_error`: |reconstructed objects - true objects| (ground planes excluded); `count_exact`
  is 1 when it is 0;
- `position_error` (world frame, as written) and `position_error_aligned` (after the gauge
  alignment): mean distance (m) between the centres (`at`) of true and reconstructed objects
  matched by the Hungarian assignment on those distances (unmatched objects count only in
  `count_error`); `within_0.5`, `within_0.25` (aligned, headline) and `within_0.5_world`: the
  share of true objects whose match lies within that distance (unmatched ones count as not);
- `color_error`: mean colour error of `final.png` against the target (`stages.metrics.
  mean_color_error`, 0..1);
- `material_error`: mean distance of matched objects' base colours (linear RGB, / sqrt 3);
  `metal_agreement`: the share of matched objects whose metal-or-matte call (`metallic` >= 0.5)
  agrees with the truth's. Objects are matched on their aligned centres (as `within_0.5`);
- `valid`: 1 when `final.sl` parses and validates and `final.png` exists;
- `seconds`: wall time of the reconstruction, final render included (the target's render is
  not counted); `calls`, `prompt_tokens`, `completion_tokens`: from the run's budget.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from scenelang import ast as A
from scenelang.backends.blender.runner import BlenderWorker
from scenelang.backends.meshes import scene_meshes
from scenelang.backends.preview import render_preview
from scenelang.compiler.settings import RenderSettings
from scenelang.errors import SceneError
from scenelang.parser import load_scene
from scenelang.printer import print_scene
from scenelang.stages.bench.placement import aligned_scene, match, object_centres, placement
from scenelang.stages.bench.scenes import make_scene
from scenelang.stages.engine.config import proposer_choices
from scenelang.stages.engine.loop import EngineConfig, run_reconstruction
from scenelang.stages.metrics import load_image, mean_color_error, psnr, ssim
from scenelang.stages.proposers.registry import make_proposer
from scenelang.validate import check

METRICS = ("psnr", "ssim", "iou", "iou_aligned", "count_error", "count_exact", "position_error",
           "position_error_aligned", "within_0.5", "within_0.25", "within_0.5_world", "color_error",
           "material_error", "metal_agreement", "valid", "seconds", "calls", "prompt_tokens", "completion_tokens")
TARGETS = {1: {"within_0.5": 0.85, "iou": 0.85, "iou_aligned": 0.85},
           2: {"within_0.5": 0.70, "iou": 0.85, "iou_aligned": 0.85},
           3: {"within_0.5": 0.70, "iou": 0.85, "iou_aligned": 0.85}}
"""Issue 10's targets per tier (plus a median of at most `MAX_MEDIAN_SECONDS` per image)."""
MAX_MEDIAN_SECONDS = 40.0


@dataclass(frozen=True)
class BenchConfig:
    """Benchmark settings.

    `tiers`; `n` scenes per tier; `modes` ("staged", "direct"); `proposer` ("offline" or "vlm",
    with `proposer_options` for the VLM); `seed` of the first scene; `size` long side (px) of
    targets and final renders (4:3); `samples` Cycles samples of targets and final renders;
    `loop_size`/`loop_samples` of the engine's in-loop renders; `budgets` rounds per stage (None:
    the engine's defaults); `draft` and `patience` (the engine's early end of a stage): None lets
    the proposer decide (`wants_draft`, `patience`); `out` folder.
    """

    tiers: tuple[int, ...] = (1, 2, 3)
    n: int = 5
    modes: tuple[str, ...] = ("staged", "direct")
    proposer: str = "offline"
    proposer_options: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    size: int = 320
    samples: int = 32
    loop_size: int = 256
    loop_samples: int = 16
    budgets: dict[str, int] | None = None
    draft: bool | None = None
    patience: int | None = None
    out: Path = Path("runs/bench")


def image_size(long_side: int) -> tuple[int, int]:
    return long_side, max(8, round(long_side * 3 / 4))


# ------------------------------------------------------------------------------ measurements


def object_silhouette(scene: A.Scene, camera: A.Camera, size: tuple[int, int]) -> np.ndarray:
    """Preview silhouette of `scene`'s objects (ground planes left out) through `camera`."""

    keep = {o.name for o in object_centres(scene)}
    comp = [s for s in scene.composition.statements if not isinstance(s, A.Camera)]
    view = scene.with_section(A.Section(name="composition", statements=(camera, *comp)))
    meshes = [m for m in scene_meshes(view) if m.name in keep]
    return render_preview(view, size, meshes=meshes).silhouette


def compare_scenes(truth: A.Scene, recon: A.Scene, size: tuple[int, int]) -> dict[str, float]:
    """The scene-level measures of the module docstring (iou, counts, positions, materials)."""
    camera = truth.camera()
    a = object_silhouette(truth, camera, size)
    own = object_silhouette(recon, recon.camera(), size)
    aligned = aligned_scene(recon, camera)
    t_objs, r_objs = object_centres(truth), object_centres(recon)
    world = placement(truth, recon, frame="world")
    out = {"iou": _iou(a, own), "iou_aligned": _iou(a, object_silhouette(aligned, camera, size)),
           "count_error": float(abs(len(t_objs) - len(r_objs))),
           "count_exact": float(len(t_objs) == len(r_objs)),
           "position_error": world["position_error"], "within_0.5_world": world["within_0.5"],
           "material_error": math.nan, "metal_agreement": math.nan}
    at = placement(truth, recon, frame="aligned")
    out.update(position_error_aligned=at["position_error"], **{
        k: v for k, v in at.items() if k.startswith("within_")})
    a_objs = object_centres(aligned)
    if t_objs and a_objs:
        rows, cols, _ = match(np.array([o.at for o in t_objs]), np.array([o.at for o in a_objs]))
        tm, rm = truth.materials_by_name(), recon.materials_by_name()

        def material(scene_mats, o):
            m = scene_mats.get(o.material) if o.material else None
            return m.material if m is not None and isinstance(m.material, A.Principled) else None

        def colour(m):  # a texture's colour is not compared: the default grey stands in
            known = m is not None and not isinstance(m.base_color, str)
            return np.asarray(m.base_color.linear() if known else (0.8, 0.8, 0.8))

        def metal(m):
            return m is not None and float(m.metallic) >= 0.5

        pairs = [(material(tm, t_objs[r]), material(rm, a_objs[c])) for r, c in zip(rows, cols)]
        out["material_error"] = float(np.mean(
            [np.linalg.norm(colour(t) - colour(r)) / math.sqrt(3) for t, r in pairs]))
        out["metal_agreement"] = float(np.mean([metal(t) == metal(r) for t, r in pairs]))
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return float(np.count_nonzero(a & b) / union) if union else 1.0


def measure_run(truth: A.Scene, target: Path, run: Path, size: tuple[int, int]) -> dict[str, float]:
    """Every measure of one finished (or failed) reconstruction run folder."""

    row: dict[str, float] = dict.fromkeys(METRICS, math.nan)
    final_sl, final_png = run / "final.sl", run / "final.png"
    try:
        recon = load_scene(final_sl)
        check(recon)
        valid = final_png.is_file()
    except (SceneError, OSError):
        recon, valid = None, False
    row["valid"] = float(valid)
    if final_png.is_file():
        t = load_image(target)
        r = load_image(final_png, size=(t.shape[1], t.shape[0]))
        row.update(psnr=psnr(t, r), ssim=ssim(t, r), color_error=mean_color_error(t, r))
    if recon is not None:
        row.update(compare_scenes(truth, recon, size))
    run_json = run / "run.json"
    if run_json.is_file():
        data = json.loads(run_json.read_text(encoding="utf-8"))
        total = data.get("budget", {}).get("total", {})
        usage = total.get("usage", {})
        row.update(calls=float(total.get("calls", 0)),
                   prompt_tokens=float(usage.get("prompt_tokens", 0)),
                   completion_tokens=float(usage.get("completion_tokens", 0)))
    return row


# ------------------------------------------------------------------------------ running


def render_target(worker: Any, scene: A.Scene, png: Path, size: tuple[int, int], samples: int) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    worker.render(scene, png, settings=RenderSettings(samples=samples, size=size))


def _proposer(config: BenchConfig) -> Any:
    if config.proposer == "vlm":
        return make_proposer("vlm", **config.proposer_options)
    return make_proposer(config.proposer)


def run_bench(config: BenchConfig, log: Any = print, executor: Any = None) -> dict[str, Any]:
    """Run the benchmark; returns the JSON-ready results (settings, rows, summary).

    `executor`: a `scenelang.stages.batch` executor (`bench --workers N`, `bench --ray`): the
    targets are rendered here first, then every reconstruction runs as one job there
    (`reconstruct_job`), measured here as it completes. None: one after the other, here."""

    size = image_size(config.size)
    proposer = _proposer(config)
    draft, patience = proposer_choices(proposer, config.draft, config.patience)
    config = replace(config, patience=patience)
    rows: list[dict[str, Any]] = []
    with BlenderWorker() as worker:
        if executor is None:
            _run_all(config, proposer, draft, size, worker, rows, log)
        else:
            _run_on(executor, config, draft, size, worker, rows, log)
    return {"settings": _settings(config, draft), "machine": machine(), "date": utc_now(),
            "rows": rows, "summary": summarise(rows)}


def _targets(config: BenchConfig, size: tuple[int, int], worker: Any,
             rows: list[dict[str, Any]], log: Any):
    """Each scene of the run as (tier, seed, truth, folder, target), its truth.sl written and its
    target rendered (once: kept between runs). A scene whose target fails to render is recorded
    in `rows` as failed for every mode and skipped."""
    out = Path(config.out)
    for tier in config.tiers:
        for i in range(config.n):
            seed = config.seed + i
            truth = make_scene(tier, seed, size)
            folder = out / f"tier{tier}" / f"scene{seed:03d}"
            target = folder / "target.png"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "truth.sl").write_text(print_scene(truth), encoding="utf-8")
            if not target.is_file():
                try:
                    render_target(worker, truth, target, size, config.samples)
                except Exception as exc:  # e.g. a Blender failure: record it, go on
                    error = f"target render failed: {type(exc).__name__}: {exc}"
                    log(f"tier {tier} scene {seed}: {error}")
                    rows.extend({"tier": tier, "seed": seed, "mode": mode, "error": error,
                                 **dict.fromkeys(METRICS, math.nan), "valid": 0.0}
                                for mode in config.modes)
                    continue
            yield tier, seed, truth, folder, target


def bench_engine(config: Any, mode: str, draft: bool, final_size: int) -> EngineConfig:
    """The engine settings of one bench reconstruction: the config's loop size and samples, its
    final samples, patience and stage budgets (the engine's own when it gives none), the final
    render `final_size` px on its longer side."""
    return EngineConfig(
        mode=mode, draft=draft, size=config.loop_size, samples=config.loop_samples,
        final_size=final_size, final_samples=config.samples, patience=config.patience,
        **({"budgets": dict(config.budgets)} if config.budgets else {}))


def _run_all(config: BenchConfig, proposer: Any, draft: bool, size: tuple[int, int],
             worker: Any, rows: list[dict[str, Any]], log: Any) -> None:
    for tier, seed, truth, folder, target in _targets(config, size, worker, rows, log):
        for mode in config.modes:
            run = folder / mode
            if run.exists():
                shutil.rmtree(run)
            engine = bench_engine(config, mode, draft, config.size)
            t0 = time.monotonic()
            error = None
            try:
                run_reconstruction(target, run, proposer, engine,
                                   proposer_info={"name": config.proposer})
            except Exception as exc:  # a failed run is a result, not a crash of the bench
                error = f"{type(exc).__name__}: {exc}"
            seconds = time.monotonic() - t0
            row = {"tier": tier, "seed": seed, "mode": mode, "error": error,
                   **measure_run(truth, target, run, size)}
            row["seconds"] = seconds
            rows.append(row)
            log(f"tier {tier} scene {seed} {mode}: within 0.5 m {row['within_0.5']:.0%}, iou "
                f"{row['iou']:.3f}, psnr "
                f"{row['psnr']:.2f} dB, objects {'exact' if row['count_exact'] == 1 else 'off'}"
                f", {seconds:.1f} s" + (f" ERROR {error}" if error else ""))


_JOB_PROPOSERS: dict[str, Any] = {}


def reconstruct_job(job: dict[str, Any]) -> dict[str, Any]:
    """One reconstruction of the benchmark, in whichever process runs it (`run_bench` with an
    executor): the proposer is built once per process. Returns `error` and `seconds`."""
    key = json.dumps([job["proposer"], job["proposer_options"]], sort_keys=True, default=str)
    if key not in _JOB_PROPOSERS:
        options = job["proposer_options"] if job["proposer"] == "vlm" else {}
        _JOB_PROPOSERS[key] = make_proposer(job["proposer"], **options)
    run = Path(job["run"])
    if run.exists():
        shutil.rmtree(run)
    t0 = time.monotonic()
    error = None
    try:
        run_reconstruction(job["target"], run, _JOB_PROPOSERS[key], EngineConfig(**job["engine"]),
                           proposer_info={"name": job["proposer"]})
    except Exception as exc:  # a failed run is a result, not a crash of the bench
        error = f"{type(exc).__name__}: {exc}"
    return {"error": error, "seconds": time.monotonic() - t0}


def _run_on(executor: Any, config: BenchConfig, draft: bool, size: tuple[int, int],
            worker: Any, rows: list[dict[str, Any]], log: Any) -> None:
    """`_run_all` through an executor: targets here, reconstructions as parallel jobs."""
    jobs, truths = [], {}
    for tier, seed, truth, folder, target in _targets(config, size, worker, rows, log):
        truths[(tier, seed)] = truth
        for mode in config.modes:
            engine = bench_engine(config, mode, draft, config.size).to_dict()
            jobs.append({"tier": tier, "seed": seed, "mode": mode, "target": str(target),
                         "run": str(folder / mode), "engine": engine,
                         "proposer": config.proposer,
                         "proposer_options": dict(config.proposer_options)})
    for job, result in executor.run(reconstruct_job, jobs):
        if not isinstance(result, dict):  # the worker died too often
            result = {"error": f"{type(result).__name__}: {result}", "seconds": math.nan}
        tier, seed, mode = job["tier"], job["seed"], job["mode"]
        row = {"tier": tier, "seed": seed, "mode": mode, "error": result["error"],
               **measure_run(truths[(tier, seed)], Path(job["target"]), Path(job["run"]), size)}
        row["seconds"] = result["seconds"]
        rows.append(row)
        log(f"tier {tier} scene {seed} {mode}: within 0.5 m {row['within_0.5']:.0%}, iou "
            f"{row['iou']:.3f}, psnr {row['psnr']:.2f} dB, {row['seconds']:.1f} s"
            + (f" ERROR {row['error']}" if row["error"] else ""))
    rows.sort(key=lambda r: (r["tier"], r["seed"], r["mode"]))


def summarise(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean of every metric per (tier, mode), NaNs ignored; `n` runs; `targets_met` per tier."""
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["tier"], r["mode"]), []).append(r)
    out = []
    for (tier, mode), rs in sorted(groups.items()):
        entry: dict[str, Any] = {"tier": tier, "mode": mode, "n": len(rs)}
        for k in METRICS:
            vals = [float(r[k]) for r in rs if r.get(k) is not None and not math.isnan(float(r[k]))]
            entry[k] = float(np.mean(vals)) if vals else math.nan
        seconds = [float(r["seconds"]) for r in rs if not math.isnan(float(r["seconds"]))]
        entry["max_seconds"] = max(seconds) if seconds else math.nan
        entry["median_seconds"] = float(np.median(seconds)) if seconds else math.nan
        entry["min_iou"] = min((float(r["iou"]) for r in rs if not math.isnan(float(r["iou"]))),
                               default=math.nan)
        met = {k: entry[k] >= v for k, v in TARGETS.get(tier, {}).items()}
        met["median_seconds"] = entry["median_seconds"] <= MAX_MEDIAN_SECONDS
        met["no_catastrophe"] = entry["min_iou"] >= 0.5
        entry["targets_met"] = met
        out.append(entry)
    return out


def format_table(summary: Sequence[dict[str, Any]], vlm: bool = False) -> str:
    """The per-tier table as Markdown."""
    cols = [("tier", "tier", "{}"), ("mode", "mode", "{}"), ("n", "n", "{}"),
            ("within 0.5 m", "within_0.5", "{:.0%}"), ("within 0.25 m", "within_0.25", "{:.0%}"),
            ("pos err m", "position_error_aligned", "{:.2f}"),
            ("IoU aligned", "iou_aligned", "{:.3f}"), ("IoU image", "iou", "{:.3f}"),
            ("min IoU", "min_iou", "{:.2f}"),
            ("count exact", "count_exact", "{:.0%}"), ("count err", "count_error", "{:.2f}"),
            ("within 0.5 m world", "within_0.5_world", "{:.0%}"),
            ("PSNR dB", "psnr", "{:.2f}"), ("SSIM", "ssim", "{:.3f}"),
            ("colour err", "color_error", "{:.3f}"), ("material err", "material_error", "{:.3f}"),
            ("metal agree", "metal_agreement", "{:.0%}"),
            ("valid", "valid", "{:.0%}"), ("median s", "median_seconds", "{:.1f}"),
            ("max s", "max_seconds", "{:.1f}")]
    if vlm:
        cols += [("calls", "calls", "{:.1f}"), ("prompt tok", "prompt_tokens", "{:.0f}"),
                 ("compl tok", "completion_tokens", "{:.0f}")]
    lines = ["| " + " | ".join(c[0] for c in cols) + " |",
             "|" + "|".join("---" for _ in cols) + "|"]
    for e in summary:
        cells = []
        for _, key, fmt in cols:
            v = e.get(key)
            cells.append("n/a" if isinstance(v, float) and math.isnan(v) else fmt.format(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count()}


def _settings(config: BenchConfig, draft: bool) -> dict[str, Any]:
    return {"tiers": list(config.tiers), "n": config.n, "modes": list(config.modes),
            "proposer": config.proposer, "seed": config.seed, "size": list(image_size(config.size)),
            "samples": config.samples, "loop_size": config.loop_size,
            "loop_samples": config.loop_samples, "budgets": config.budgets, "draft": draft,
            "patience": config.patience, "out": str(config.out)}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def json_text(results: dict[str, Any]) -> str:
    """The results as JSON text (NaN becomes null, numpy scalars plain numbers)."""
    def clean(x: Any) -> Any:
        if isinstance(x, float) and math.isnan(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list):
            return [clean(v) for v in x]
        if isinstance(x, (np.floating, np.integer, np.bool_)):
            return x.item()
        return x

    return json.dumps(clean(results), indent=2) + "\n"


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_text(results), encoding="utf-8")
