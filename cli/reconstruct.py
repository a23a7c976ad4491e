"""`scenelang reconstruct`: one image in, an editable scene out (see docs/reconstruction.md)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
from pathlib import Path
from typing import Any

from scenelang import api
from scenelang.cli.args import (
    image_side,
    non_negative_int,
    parse_budget,
    positive_float,
    positive_int,
    sample_count,
)
from scenelang.cli.console import Progress, console
from scenelang.errors import SceneError
from scenelang.stages.engine.runfolder import RunFolder
from scenelang.stages.proposers.base import ProposerUnavailable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reconstruct", help="reconstruct an editable scene from an image",
        description="Rebuild IMAGE as a scene, stage by stage (geometry, materials, "
                    "composition, lighting), keeping every step in the run folder RUN. "
                    "Prints where final.sl, final.blend and final.png are.")
    p.add_argument("image", metavar="IMAGE", nargs="?",
                   help="the target image (PNG/JPEG); optional with --resume")
    p.add_argument("-o", "--output", metavar="RUN", required=True, help="the run folder")
    p.add_argument("--proposer", choices=["vlm", "offline"],
                   help="who writes the patches (default: offline; on --resume: the run's)")
    p.add_argument("--mode", choices=["staged", "direct"], default="staged",
                   help="staged (default) or direct: the same call budget on the whole scene")
    p.add_argument("--model", help="VLM model name (default: $SCENELANG_MODEL)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 "
                                      "(default: $OPENAI_BASE_URL, else OpenAI)")
    p.add_argument("--api-key", help="API key (default: $OPENAI_API_KEY); never written to disk")
    p.add_argument("--timeout", type=positive_float,
                   help="seconds per VLM request (default 120)")
    p.add_argument("--budget", type=parse_budget, default={},
                   help="rounds per stage (default geometry=5,materials=3,composition=3,"
                        "lighting=2)")
    p.add_argument("--candidates", type=positive_int, default=1,
                   help="proposals per round (default 1)")
    p.add_argument("--max-repairs", type=non_negative_int, default=2,
                   help="repairs after an invalid patch (default 2)")
    p.add_argument("--calls", type=positive_int,
                   help="direct mode: proposer calls to spend (default: the staged budget)")
    p.add_argument("--max-calls", type=positive_int,
                   help="hard cap on proposer + verifier calls per run")
    p.add_argument("--max-seconds", type=positive_float,
                   help="hard cap on wall time per run, in seconds")
    p.add_argument("--size", type=image_side, default=256,
                   help="long side of in-loop renders in px (default 256)")
    p.add_argument("--samples", type=sample_count, default=16,
                   help="Cycles samples of in-loop renders (default 16)")
    p.add_argument("--final-size", type=image_side,
                   help="long side of final.png in px (default: the image's, at most 1024)")
    p.add_argument("--final-samples", type=sample_count, default=64,
                   help="Cycles samples of final.png (default 64)")
    p.add_argument("--draft", action=argparse.BooleanOptionalAction, default=None,
                   help="begin with a draft of the whole scene (default: on for proposers that "
                        "want it, such as offline; off for vlm)")
    p.add_argument("--patience", type=non_negative_int,
                   help="end a stage after N rounds in a row that raise the score by less than "
                        "0.001 (default: 2 for offline, off for vlm; 0: run every round)")
    p.add_argument("--verify", action="store_true",
                   help="after each round the VLM reviews the render (costs a call)")
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted run in RUN (its settings are kept; "
                        "--max-calls/--max-seconds may be raised)")
    p.add_argument("--quiet", "-q", action="store_true", help="print only warnings and the result")
    p.add_argument("--json", action="store_true",
                   help="print the result (paths, scores, calls) as JSON on stdout")
    p.set_defaults(func=cmd_reconstruct)


class _ConsoleHandler(logging.Handler):
    """Log lines on the console: above the progress bar while it is shown (so the bar stays
    intact), plain lines otherwise."""

    def __init__(self, progress: Progress):
        super().__init__()
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            if self.progress.tty:
                self.progress.write(line)
            else:
                self.progress.console.print(line)
        except Exception:
            self.handleError(record)


def _setup_logging(quiet: bool, progress: Progress) -> logging.Handler:
    """Plain log lines off a terminal (one per round); on a terminal a progress bar plus
    warnings; `--quiet`: warnings only."""
    handler = _ConsoleHandler(progress)
    level = logging.WARNING if progress.tty or quiet else logging.INFO
    handler.setFormatter(logging.Formatter("reconstruct: %(message)s"))
    handler.setLevel(level)  # the console's level; run.log (the engine's handler) gets INFO
    logger = logging.getLogger("scenelang")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler


def _stored_proposer(run: Path) -> dict[str, Any]:
    folder = RunFolder(run)
    if not folder.exists():
        raise SceneError(f"{run}: nothing to resume (no run.json)")
    try:
        stored = folder.load_run().get("proposer")
    except Exception:  # a damaged run.json: the engine says what is wrong and how to recover
        return {}
    return dict(stored) if isinstance(stored, dict) else {}


def cmd_reconstruct(args: argparse.Namespace) -> int:
    run = Path(args.output)
    stored = _stored_proposer(run) if args.resume else {}
    if not args.resume and not args.image:
        console.error("IMAGE is required (unless --resume)")
        return 2
    kind = args.proposer or stored.get("name") or "offline"
    options: dict[str, Any] = {}
    if kind == "vlm":
        options = {"model": args.model or stored.get("model"),
                   "base_url": args.base_url or stored.get("base_url"),
                   "api_key": args.api_key, "timeout": args.timeout}
    try:  # the API imports the engine and proposers (scipy, scikit-image, trimesh) only now
        prepared = api.prepare_reconstruction(
            kind, options, mode=args.mode, budgets=args.budget, candidates=args.candidates,
            max_repairs=args.max_repairs, draft=args.draft, verify=args.verify,
            max_calls=args.max_calls, max_seconds=args.max_seconds, direct_calls=args.calls,
            size=args.size, samples=args.samples, final_size=args.final_size,
            final_samples=args.final_samples, patience=args.patience)
    except ProposerUnavailable as exc:
        console.error(str(exc))
        return 2
    # on a terminal a progress bar; elsewhere the per-round log lines are the progress
    progress = console.progress(prepared.planned_rounds(), "reconstruct",
                                quiet=args.quiet or args.json, terminal_only=True)
    handler = _setup_logging(args.quiet or args.json, progress)
    previous = signal.getsignal(signal.SIGTERM)

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        with progress:
            result = prepared.run(
                args.image, run, resume=args.resume,
                on_round=(lambda phase, line: progress.advance(
                    f"{phase} {line}", steps=0 if phase == "final" else 1))
                if progress.tty else None)
    finally:
        signal.signal(signal.SIGTERM, previous)
        logging.getLogger("scenelang").removeHandler(handler)
    if args.json:
        print(json.dumps({
            "run": str(result.root), "final_sl": str(result.final_sl),
            "final_py": str(result.final_py), "final_blend": str(result.final_blend),
            "final_png": str(result.final_png), "report": str(result.root / "report.html"),
            "final_score": result.final_score, "calls": result.calls, "stopped": result.stopped,
            "confidence": result.confidence.to_dict() if result.confidence else None,
        }, indent=2))
        return 0
    print(f"final scene:  {result.final_sl}")
    print(f"blend file:   {result.final_blend}")
    print(f"final render: {result.final_png}")
    print(f"bpy script:   {result.final_py}")
    print(f"report:       {result.root / 'report.html'}")
    combined = result.final_score.get("combined")
    summary = f"score {combined:.4f}, " if combined is not None else ""
    print(f"{summary}{result.calls} calls" +
          (f"; stopped early: {result.stopped}" if result.stopped else ""))
    if result.confidence is not None:  # each doubt was also logged as a warning
        doubts = len(result.confidence.doubts)
        print(f"confidence {result.confidence.overall:.2f}" +
              (f"; doubtful: {doubts} reason{'s' * (doubts != 1)}, see the report" if doubts else ""))
    return 0
