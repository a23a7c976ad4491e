"""`scenelang batch`: reconstruct many images, one run folder each, on a local process pool or
a Ray cluster (see docs/batch.md and `scenelang.stages.batch`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Any

from scenelang.cli.args import parse_budget, positive_float, positive_int
from scenelang.cli.console import console
from scenelang.stages.report.html import format_duration


def _memory(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of GB, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the memory cap must be 0 (off) or more GB")
    return value


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """--workers, --threads, --max-memory-gb, --max-retries, --ray, --ray-address."""
    g = p.add_argument_group("executor")
    g.add_argument("--workers", type=positive_int,
                   help="worker processes of the local pool (default: one per core)")
    g.add_argument("--threads", type=positive_int,
                   help="CPU cores per image: Cycles and numpy threads (default: cores / workers)")
    g.add_argument("--max-memory-gb", type=_memory, default=8.0,
                   help="address-space cap per worker process in GB (local pool, RLIMIT_AS; "
                        "Ray: the task's memory request); 0 turns it off (default 8)")
    g.add_argument("--max-retries", type=int, default=2,
                   help="retries of an image whose worker process died (default 2)")
    g.add_argument("--ray", action="store_true",
                   help="run on Ray: attach to $RAY_ADDRESS or start a local instance "
                        "(pip install 'scenelang[ray]')")
    g.add_argument("--ray-address", metavar="ADDR",
                   help="run on the Ray cluster at ADDR (HOST:PORT or auto)")


def make_executor(args: argparse.Namespace) -> Any:
    # lazy: the executors pull the engine (scipy, scikit-image, trimesh: ~1 s of startup)
    from scenelang.stages.batch.executors import make_executor as make

    return make(workers=args.workers, threads=args.threads, max_memory_gb=args.max_memory_gb,
                max_retries=max(0, args.max_retries), ray=args.ray,
                ray_address=args.ray_address)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch", help="reconstruct many images (local process pool or Ray)",
        description="Reconstruct every image named by INPUTS (files, folders, globs, or text "
                    "files listing one image path per line) into OUT/runs/<stem>-<hash>/, "
                    "recording one line per image in OUT/results.jsonl (and "
                    "OUT/results.parquet when pyarrow is installed). Run it again to resume: "
                    "finished images are skipped, interrupted ones continue. Exit 1 when an "
                    "image failed (see the manifest).")
    p.add_argument("inputs", metavar="INPUTS", nargs="+",
                   help="image files, folders, glob patterns or list files")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="the batch folder")
    p.add_argument("--proposer", choices=["offline", "vlm"], default="offline",
                   help="who writes the patches (default offline)")
    p.add_argument("--model", help="VLM model (with --proposer vlm)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (with --proposer vlm); the "
                                      "key is read from $OPENAI_API_KEY on every worker")
    p.add_argument("--mode", choices=["staged", "direct"], default="staged",
                   help="reconstruction mode (default staged)")
    p.add_argument("--budget", type=parse_budget, default={},
                   help="rounds per stage, e.g. geometry=5,materials=3 (default: the engine's)")
    p.add_argument("--candidates", type=positive_int, default=1, help="proposals per round")
    p.add_argument("--draft", action=argparse.BooleanOptionalAction, default=None,
                   help="begin with a whole-scene draft (default: as the proposer prefers)")
    p.add_argument("--size", type=positive_int, default=256,
                   help="long side of in-loop renders in px (default 256)")
    p.add_argument("--samples", type=positive_int, default=16,
                   help="Cycles samples of in-loop renders (default 16)")
    p.add_argument("--final-size", type=positive_int,
                   help="long side of final.png (default: the image's, at most 1024)")
    p.add_argument("--final-samples", type=positive_int, default=64,
                   help="Cycles samples of final.png (default 64)")
    p.add_argument("--max-calls", type=positive_int, help="cap on proposer calls per image")
    p.add_argument("--max-seconds", type=positive_float, help="cap on wall time per image")
    add_executor_options(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.set_defaults(func=cmd_batch)


def engine_fields(args: argparse.Namespace) -> dict[str, Any]:
    # lazy: only `batch` needs the reconstruction layer
    from scenelang.stages.engine.config import EngineConfig

    fields = {"mode": args.mode, "budgets": {**EngineConfig().budgets, **args.budget},
              "candidates": args.candidates, "draft": args.draft, "size": args.size,
              "samples": args.samples, "final_size": args.final_size,
              "final_samples": args.final_samples, "max_calls": args.max_calls,
              "max_seconds": args.max_seconds}
    EngineConfig(**{**fields, "draft": bool(args.draft)})  # settings errors here, not per image
    return fields


def cmd_batch(args: argparse.Namespace) -> int:
    # lazy: only `batch` needs the reconstruction layer (~1 s of startup for every command)
    from scenelang.stages.batch.batch import BatchConfig, plan_batch, run_batch

    options: dict[str, Any] = {}
    if args.proposer == "vlm":
        options = {"model": args.model, "base_url": args.base_url}
    config = BatchConfig(inputs=tuple(args.inputs), out=Path(args.output),
                         engine=engine_fields(args), proposer=args.proposer,
                         proposer_options=options)
    plan = plan_batch(config)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            executor = make_executor(args)
    except RuntimeError as exc:  # e.g. Ray not installed
        console.error(str(exc))
        return 2
    previous = signal.getsignal(signal.SIGTERM)

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    progress = console.progress(len(plan.jobs), "batch", quiet=args.quiet)
    if plan.done and not args.quiet:
        console.print(f"batch: {len(plan.done)} of {len(plan.images)} images already finished "
                      "(skipped)")
    try:
        with progress:

            def shown(record: dict[str, Any]) -> None:
                seconds = progress.elapsed()
                rate = (progress.done + 1) / seconds if seconds > 0 else 0.0
                left = len(plan.jobs) - progress.done - 1
                eta = format_duration(left / rate) if rate > 0 else "?"
                head = (f"{record['name']}: ok, score {record['combined']:.3f}"
                        if record["status"] == "ok" and record.get("combined") is not None
                        else f"{record['name']}: {record['status']}"
                        + (f" ({record['error']})" if record.get("error") else ""))
                progress.advance(f"{head} | {rate:.2f} images/s, ETA {eta}")

            # stdout is for the --json summary only; Ray's driver prints its workers' and
            # raylet's messages on sys.stdout, which therefore points at stderr meanwhile
            with contextlib.redirect_stdout(sys.stderr):
                summary = run_batch(config, executor, on_result=shown, plan=plan)
    finally:
        signal.signal(signal.SIGTERM, previous)
        executor.close()
    if args.json:
        print(json.dumps(summary, indent=2))
    elif not args.quiet:
        rate = summary["images_per_second"]
        console.print(f"batch: {summary['ok']} ok, {summary['failed']} failed, "
                      f"{summary['skipped']} skipped of {summary['images']} images"
                      + (f"; {rate:.3f} images/s" if rate else ""))
        print(f"manifest: {summary['manifest']}")
        if summary["parquet"]:
            print(f"parquet:  {summary['parquet']}")
    return 1 if summary["failed"] else 0


__all__ = ["add_executor_options", "cmd_batch", "make_executor", "register"]
