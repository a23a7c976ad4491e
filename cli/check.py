"""`scenelang check FILE|DIR|- ...`: parse and validate scene files.

Exit 0 when every file is valid, 1 when one is invalid, 3 when one cannot be read (a missing
file, a permission problem). A folder stands for its `*.sl` files (recursively); `-` reads
standard input.
"""

from __future__ import annotations

import argparse
import json

from scenelang import api
from scenelang.cli.console import console
from scenelang.cli.files import (
    EXIT_INVALID,
    EXIT_IO,
    EXIT_OK,
    InputOutputError,
    expand_inputs,
    label,
    read_text,
)
from scenelang.errors import Diagnostic, SceneError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="parse and validate scene files",
                       description="Parse and validate .sl files (exit 0 valid, 1 invalid, 3 "
                                   "unreadable). FILE may be a folder (its *.sl files) or - "
                                   "(standard input). Errors print as FILE:LINE:COL: error: "
                                   "message with the source line and a caret.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="print errors only, no warnings")
    p.set_defaults(func=cmd_check)


def _diag_json(d: Diagnostic) -> dict:
    out = {"severity": d.severity, "message": d.message}
    if d.span is not None:
        out.update(file=d.span.file, line=d.span.line, column=d.span.column,
                   end_line=d.span.end_line, end_column=d.span.end_column)
    if d.hint:
        out["hint"] = d.hint
    return out


def cmd_check(args: argparse.Namespace) -> int:
    results = []
    failed = unreadable = False
    try:
        names = list(expand_inputs(args.files))
    except InputOutputError as exc:
        if not args.json:
            raise
        print(json.dumps({"valid": False, "files": [], "error": str(exc)}, indent=2))
        return EXIT_IO
    for name in names:
        source = None
        shown = label(name)
        try:
            source = read_text(name)
            diagnostics = api.check(source, shown)
        except SceneError as exc:
            diagnostics = exc.diagnostics
        except InputOutputError as exc:
            unreadable = True
            results.append({"file": shown, "valid": False, "diagnostics": [],
                            "error": str(exc)})
            if not args.json:
                console.error(str(exc))
            continue
        errors = [d for d in diagnostics if d.severity == "error"]
        failed |= bool(errors)
        results.append({"file": shown, "valid": not errors,
                        "diagnostics": [_diag_json(d) for d in diagnostics]})
        if not args.json:
            console.diagnostics((d for d in diagnostics
                                 if not args.quiet or d.severity == "error"), source)
            if not errors and not args.quiet:
                console.print(f"{shown}: ok")
    if args.json:
        print(json.dumps({"valid": not (failed or unreadable), "files": results}, indent=2))
    return EXIT_IO if unreadable else EXIT_INVALID if failed else EXIT_OK
