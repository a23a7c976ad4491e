"""`scenelang bench`: the reconstruction benchmark (see `scenelang.stages.bench.run` and
docs/benchmark.md)."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

from scenelang.cli.args import parse_budget, positive_int
from scenelang.cli.console import console
from scenelang.stages.proposers.base import ProposerUnavailable

RUN_LINE = re.compile(r"^(clevr scene \d+|tier \d+ scene \d+) (staged|direct): ")
"""The log line of one finished reconstruction (other lines, e.g. target renders, are not)."""


def _tier(text: str) -> int:
    if text not in ("1", "2", "3"):
        raise argparse.ArgumentTypeError(f"tier must be 1, 2 or 3, got {text!r}")
    return int(text)


def _size(text: str) -> int:
    value = positive_int(text)
    if value < 32:
        raise argparse.ArgumentTypeError(f"size must be at least 32 px, got {value}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench", help="benchmark reconstruction on seeded random scenes",
        description="Render seeded random scenes in Blender, reconstruct each from its image "
                    "alone, and print a table of 3D placement (share of objects within 0.5 m), "
                    "silhouette IoU, object counts, image similarity and time per image. "
                    "--suite tiers (default): the project's own three tiers; --suite clevr: "
                    "scenes sampled as the CLEVR generator does, rendered with its assets, "
                    "scored with the CLEVR measures (see docs/benchmark.md, docs/clevr.md).")
    p.add_argument("--suite", choices=["tiers", "clevr"], default="tiers",
                   help="which scenes: the project's tiers (default) or CLEVR")
    p.add_argument("--clevr-assets", metavar="DIR",
                   help="CLEVR assets folder (default $SCENELANG_CLEVR_ASSETS, else "
                        "../shared/clevr beside the checkout); with --suite clevr")
    p.add_argument("--tier", type=_tier, action="append",
                   help="tier 1, 2 or 3 (repeatable; default all three); --suite tiers only")
    p.add_argument("--n", type=positive_int, default=5, help="scenes per tier (default 5)")
    p.add_argument("--mode", choices=["staged", "direct", "both"], default="both",
                   help="reconstruction mode(s) to compare at equal budget (default both)")
    p.add_argument("--proposer", choices=["offline", "vlm"], default="offline",
                   help="who writes the patches (default offline)")
    p.add_argument("--model", help="VLM model (with --proposer vlm)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (with --proposer vlm)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first scene (default 0)")
    p.add_argument("--json", metavar="OUT", nargs="?", const="-",
                   help="results as JSON: `--json` alone prints them on stdout (the table goes "
                        "to stderr), `--json OUT` also writes them to the file OUT")
    p.add_argument("--size", type=_size, default=320,
                   help="long side (px) of targets and final renders, 4:3 (default 320)")
    p.add_argument("--samples", type=positive_int, default=32,
                   help="Cycles samples of targets and final renders (default 32)")
    p.add_argument("--loop-size", type=_size, default=256,
                   help="long side (px) of the engine's in-loop renders (default 256)")
    p.add_argument("--loop-samples", type=positive_int, default=16,
                   help="Cycles samples of in-loop renders (default 16)")
    p.add_argument("--budget", type=parse_budget, default=None,
                   help="rounds per stage, e.g. geometry=5,materials=3 (default: the engine's)")
    p.add_argument("--out", default=None, help="folder for targets and runs "
                                               "(default runs/bench, runs/bench/clevr)")
    p.add_argument("--workers", type=positive_int,
                   help="reconstruct in N local worker processes (see `scenelang batch`)")
    p.add_argument("--ray", action="store_true",
                   help="reconstruct on Ray ($RAY_ADDRESS, else a local instance)")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the table")
    p.set_defaults(func=cmd_bench)


def _executor(args: argparse.Namespace):
    """The batch executor of --workers / --ray, or None (one run after the other)."""
    if not (args.workers or args.ray):
        return None
    # lazy: as in cmd_bench
    from scenelang.stages.batch.executors import make_executor

    return make_executor(workers=args.workers, ray=args.ray)


def cmd_bench(args: argparse.Namespace) -> int:
    # lazy: the benchmark pulls scipy, scikit-image and trimesh (~1.2 s on every startup)
    from scenelang.stages.bench.run import json_text, write_json

    modes = ("staged", "direct") if args.mode == "both" else (args.mode,)
    options = {}
    if args.proposer == "vlm":
        options = {"model": args.model, "base_url": args.base_url}
    if args.suite == "clevr":
        if args.tier or args.size != 320:
            console.error("--tier and --size do not apply to --suite clevr (CLEVR is 320x240)")
            return 2
        try:
            run, total, table = _clevr(args, modes, options)
        except FileNotFoundError as exc:  # the CLEVR assets are missing (the message says where)
            console.error(str(exc))
            return 2
    else:
        if args.clevr_assets:
            console.error("--clevr-assets goes with --suite clevr")
            return 2
        run, total, table = _tiers(args, modes, options)
    logging.getLogger("scenelang").setLevel(logging.WARNING)
    to_stdout = args.json == "-"
    with console.progress(total, "bench", quiet=args.quiet) as progress:

        def say(message: str) -> None:
            if "target render failed" in message:
                progress.advance(message, steps=len(modes))
            elif RUN_LINE.match(message):  # one finished reconstruction
                progress.advance(message)

        try:
            results = run(say)
        except ProposerUnavailable as exc:
            console.error(str(exc))
            return 2
    text = table(results["summary"])
    if to_stdout:  # stdout holds only the JSON; the table joins the messages
        console.print(text)
        sys.stdout.write(json_text(results))
        return 0
    print(text)
    if args.json:
        write_json(results, Path(args.json))
        print(f"results: {args.json}")
    return 0


def _tiers(args: argparse.Namespace, modes: tuple[str, ...], options: dict):
    # lazy: as in cmd_bench
    from scenelang.stages.bench.run import BenchConfig, format_table, run_bench

    config = BenchConfig(
        tiers=tuple(sorted(set(args.tier))) if args.tier else (1, 2, 3), n=args.n, modes=modes,
        proposer=args.proposer, proposer_options=options, seed=args.seed, size=args.size,
        samples=args.samples, loop_size=args.loop_size, loop_samples=args.loop_samples,
        budgets=args.budget or None, out=Path(args.out or "runs/bench"))
    total = len(config.tiers) * config.n * len(modes)
    return (lambda log: run_bench(config, log=log, executor=_executor(args)), total,
            lambda summary: format_table(summary, vlm=args.proposer == "vlm"))


def _clevr(args: argparse.Namespace, modes: tuple[str, ...], options: dict):
    # lazy: as in cmd_bench
    from scenelang.stages.bench.clevr import resolve_assets
    from scenelang.stages.bench.clevr_bench import (
        ClevrBenchConfig,
        format_clevr_table,
        run_clevr_bench,
    )

    config = ClevrBenchConfig(
        n=args.n, modes=modes, proposer=args.proposer, proposer_options=options, seed=args.seed,
        samples=args.samples, loop_size=args.loop_size, loop_samples=args.loop_samples,
        budgets=args.budget or None, out=Path(args.out or "runs/bench/clevr"),
        assets=resolve_assets(Path(args.clevr_assets) if args.clevr_assets else None))
    return (lambda log: run_clevr_bench(config, log=log, executor=_executor(args)),
            args.n * len(modes), format_clevr_table)
