"""`scenelang report RUN [-o OUT]`: (re)build the self-contained report.html of a run folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from scenelang.cli.files import InputOutputError
from scenelang.errors import SceneError
from scenelang.stages.report.html import write_report

RUN_MARKERS = ("run.json", "target.png", "stages")
"""A folder holding any of these is taken for a run folder."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="write the HTML report of a reconstruction run",
        description="Write RUN/report.html (or OUT): one self-contained page with the target "
                    "beside the final render, every stage round by round with scores, verdicts "
                    "and scene diffs, a score plot and the budget table. Works on unfinished "
                    "and interrupted runs too. Prints the report's path.")
    p.add_argument("run", metavar="RUN", help="the run folder (scenelang reconstruct -o RUN)")
    p.add_argument("-o", "--output", metavar="OUT", help="write the report here instead")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    run = Path(args.run)
    if not run.is_dir() or not any((run / marker).exists() for marker in RUN_MARKERS):
        raise SceneError(f"{run}: not a run folder (expected run.json, target.png or stages/ "
                         "from `scenelang reconstruct -o RUN`)")
    try:
        path = write_report(run, args.output)
    except OSError as exc:
        raise InputOutputError(f"cannot write the report: {exc.strerror or exc}") from None
    print(path)
    return 0
