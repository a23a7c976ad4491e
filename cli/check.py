"""`scenelang check FILE...`: parse and validate scene files (exit 0 valid, 1 invalid)."""

from __future__ import annotations

import argparse
import json

from scenelang.cli.console import console
from scenelang.errors import Diagnostic, SceneError
from scenelang.parser import parse_scene, read_source
from scenelang.validate import validate


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="parse and validate scene files",
                       description="Parse and validate .sl files (exit 0 valid, 1 invalid). "
                                   "Errors print as FILE:LINE:COL: error: message with the source "
                                   "line and a caret.")
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
    failed = False
    for name in args.files:
        source = None
        try:
            source = read_source(name)
            scene = parse_scene(source, name)
            diagnostics = validate(scene)
        except SceneError as exc:
            diagnostics = exc.diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        failed |= bool(errors)
        results.append({"file": name, "valid": not errors,
                        "diagnostics": [_diag_json(d) for d in diagnostics]})
        if not args.json:
            console.diagnostics((d for d in diagnostics
                                 if not args.quiet or d.severity == "error"), source)
            if not errors and not args.quiet:
                console.print(f"{name}: ok")
    if args.json:
        print(json.dumps({"valid": not failed, "files": results}, indent=2))
    return 1 if failed else 0
