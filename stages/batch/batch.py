"""The batch driver: images in, one run folder and one manifest line per image out.

`run_batch(config, executor)`:

1. collects the images (`inputs.collect_images`) and reads the manifest;
2. skips every image whose last record says `ok` and whose run folder still has `final.sl`;
3. hands the rest to the executor as `ImageJob`s (`job.run_image` in the workers: fresh,
   resumed or already finished, see `job`), and appends each record to `results.jsonl` as it
   comes back, in completion order;
4. at the end (also after Ctrl-C or an error) rewrites the manifest with one line per image,
   in input order, and writes `results.parquet` when pyarrow is importable.

`OUT/.batch.lock` (an `flock`) keeps two batch processes from writing the same OUT at once;
the kernel releases it when the process dies, so a killed batch never blocks the next call.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenelang.errors import SceneError
from scenelang.stages.batch.executors import WorkerDied
from scenelang.stages.batch.inputs import collect_images, run_dir
from scenelang.stages.batch.job import ImageJob, failed_record, run_image
from scenelang.stages.batch.manifest import Manifest, Record


@dataclass(frozen=True)
class BatchConfig:
    """A batch: `inputs` (files, folders, globs, list files), `out` (the batch folder),
    `engine` (`EngineConfig` fields for every image; `draft` None lets the proposer decide),
    `proposer` and its options."""

    inputs: tuple[str, ...]
    out: Path
    engine: Mapping[str, Any] = field(default_factory=dict)
    proposer: str = "offline"
    proposer_options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """The images of a batch, the jobs still to run and the records of those already done."""

    images: list[Path]
    jobs: list[ImageJob]
    done: list[Record]


def plan_batch(config: BatchConfig) -> Plan:
    """Which images need work (see the module docstring)."""
    out = Path(config.out).resolve()
    images = collect_images(config.inputs)
    previous = Manifest(out).read()
    jobs, done = [], []
    for image in images:
        run = run_dir(out, image)
        record = previous.get(str(image))
        if record and record.get("status") == "ok" and (run / "final.sl").is_file():
            done.append(record)
            continue
        jobs.append(ImageJob(image=str(image), run=str(run), out=str(out),
                             engine=dict(config.engine), proposer=config.proposer,
                             proposer_options=dict(config.proposer_options)))
    return Plan(images, jobs, done)


def run_batch(config: BatchConfig, executor: Any,
              on_result: Callable[[Record], None] | None = None,
              plan: Plan | None = None) -> dict[str, Any]:
    """Run the batch on `executor` (see the module docstring); returns the summary:
    `out`, `manifest`, `parquet`, `images`, `ok`, `failed`, `skipped` (finished earlier),
    `processed` (this call), `seconds`, `images_per_second` (processed / seconds) and the
    executor's settings. `on_result(record)` is called for every processed image."""
    out = Path(config.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out)
    with _batch_lock(out):
        plan = plan or plan_batch(config)
        t0 = time.monotonic()
        processed = 0
        try:
            for job, result in executor.run(run_image, plan.jobs):
                record = _as_record(job, result)
                manifest.append(record)
                processed += 1
                if on_result is not None:
                    on_result(record)
        finally:
            rows = manifest.compact(str(i) for i in plan.images)
            parquet = manifest.write_parquet(rows)
        seconds = time.monotonic() - t0
    wanted = {str(i) for i in plan.images}
    status = [r["status"] for r in rows if r["image"] in wanted]
    return {"out": str(out), "manifest": str(manifest.path),
            "parquet": str(parquet) if parquet else None, "images": len(plan.images),
            "ok": status.count("ok"), "failed": status.count("failed"),
            "skipped": len(plan.done), "processed": processed, "seconds": round(seconds, 3),
            "images_per_second": round(processed / seconds, 4) if seconds > 0 else None,
            **executor.describe()}


def _as_record(job: ImageJob, result: Any) -> Record:
    if isinstance(result, dict):
        return result
    if isinstance(result, WorkerDied):
        return failed_record(job, str(result))
    if isinstance(result, BaseException):
        return failed_record(job, f"{type(result).__name__}: {result}")
    return failed_record(job, f"unexpected worker result {type(result).__name__}")


@contextmanager
def _batch_lock(out: Path) -> Iterator[None]:
    with open(out / ".batch.lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SceneError(f"{out}: another batch is writing to this folder") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
