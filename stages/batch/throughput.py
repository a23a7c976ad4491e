"""`make bench-batch`: batch throughput of the executors, in one run, on the same small images.

    python -m scenelang.stages.batch.throughput [--n 6] [--out DIR] [--no-ray]

Makes `n` small images (96x72: a ball on a floor, a little different each), then reconstructs
all of them (offline proposer, draft plus one round per stage, 64 px loop renders) with:

1. the local pool, 1 worker x 2 threads (Cycles and numpy on both cores, one image at a time);
2. the local pool, 2 workers x 1 thread (two images at a time, one core each);
3. Ray on a local instance with 2 CPUs, one task (1 CPU) per image;

and prints images/s of each (wall time of `run_batch`: dispatch to the last manifest line;
the one-off Ray start is printed apart), each as a ratio of the fastest, and whether
(a) the default configuration (`make_executor()` with no options: one worker per core, cores /
workers threads each) is within 5% of the fastest and (b) Ray's overhead over the local pool with
the same parallelism (2 x 1) is at most 15%. Every configuration starts from an empty OUT.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from scenelang.stages.batch.batch import BatchConfig, run_batch
from scenelang.stages.batch.executors import LocalExecutor, RayExecutor, Resources, cores

ENGINE = {"budgets": {"geometry": 1, "materials": 1, "composition": 1, "lighting": 1},
          "draft": None, "size": 64, "samples": 4, "final_size": 96, "final_samples": 8}


def make_images(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        im = Image.new("RGB", (96, 72), (110 + 5 * i, 125, 140))
        d = ImageDraw.Draw(im)
        d.rectangle([0, 46, 95, 71], fill=(90, 85, 80))
        d.ellipse([20 + 6 * i, 18, 50 + 6 * i, 52], fill=(190, 50 + 20 * i, 60))
        paths.append(folder / f"ball{i}.png")
        im.save(paths[-1])
    return paths


def measure(name: str, executor: Any, images: Path, out: Path) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    summary = run_batch(BatchConfig(inputs=(str(images),), out=out, engine=ENGINE), executor)
    rate = summary["processed"] / summary["seconds"]
    print(f"  {name:<28} {summary['processed']} images in {summary['seconds']:6.1f} s  "
          f"{rate:.4f} images/s  ({summary['ok']} ok)", flush=True)
    return {"name": name, "rate": rate, **summary}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench-batch", description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=6, help="images (default 6)")
    p.add_argument("--out", type=Path, help="working folder (default: a temporary one)")
    p.add_argument("--no-ray", action="store_true", help="skip the Ray configuration")
    args = p.parse_args(argv)
    work = args.out or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    images = work / "images"
    make_images(images, args.n)
    n_cores = cores()
    print(f"bench-batch: {args.n} images 96x72, {n_cores} cores, engine {ENGINE}")
    results = [
        measure("local 1 worker x 2 threads", LocalExecutor(1, Resources(threads=2)), images,
                work / "w1t2"),
        measure("local 2 workers x 1 thread", LocalExecutor(2, Resources(threads=1)), images,
                work / "w2t1"),
    ]
    if not args.no_ray:
        t0 = time.monotonic()
        try:
            ray = RayExecutor(None, Resources(threads=1), num_cpus=2)
        except RuntimeError as exc:
            print(f"  ray: not run ({exc})")
        else:
            print(f"  (ray start: {time.monotonic() - t0:.1f} s, not counted)")
            try:
                results.append(measure("ray, 2 CPUs, 1 CPU per task", ray, images, work / "ray"))
            finally:
                ray.close()
    best = max(results, key=lambda r: r["rate"])
    print("\nimages/s as a ratio of the fastest:")
    for r in results:
        print(f"  {r['name']:<28} {r['rate']:.4f} images/s  {r['rate'] / best['rate']:.2f}x")
    default_workers = n_cores
    default_threads = max(1, n_cores // default_workers)
    default = next((r for r in results if r.get("executor") == "local"
                    and r["workers"] == default_workers and r["threads"] == default_threads),
                   None)
    if default is None:
        print(f"\ndefault ({default_workers} workers x {default_threads} thread) was not measured "
              "on this machine (the comparison assumes 2 cores)")
    else:
        gap = 1 - default["rate"] / best["rate"]
        print(f"\ndefault ({default['name']}): {gap:.1%} below the fastest -> within 5%: "
              f"{'met' if gap <= 0.05 else 'MISSED'}")
    ray_row = next((r for r in results if r.get("executor") == "ray"), None)
    if ray_row is not None:
        local = results[1]
        overhead = local["rate"] / ray_row["rate"] - 1
        print(f"ray overhead over the local pool (2 x 1): {overhead:+.1%} -> at most 15%: "
              f"{'met' if overhead <= 0.15 else 'MISSED'}")
    if args.out is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
