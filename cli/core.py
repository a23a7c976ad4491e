"""`scenelang check | fmt | patch | diff`: the language commands (no Blender involved)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scenelang.errors import Diagnostic, SceneError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="parse and validate scene files",
                       description="Parse and validate .sl files (exit 0 valid, 1 invalid). "
                                   "Errors print as FILE:LINE:COL: error: message with the source "
                                   "line and a caret.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="print errors only, no warnings")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("fmt", help="print a scene in canonical form",
                       description="Print the canonical form of a .sl file. --check exits 1 when "
                                   "the file is not canonical; -w rewrites it in place.")
    p.add_argument("file", metavar="FILE")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if the file is not canonical")
    mode.add_argument("-w", "--write", action="store_true", help="rewrite the file in place")
    p.set_defaults(func=cmd_fmt)

    p = sub.add_parser("patch", help="apply a patch (.slp) to a scene",
                       description="Apply the patches in PATCH to SCENE and print (or write) "
                                   "the resulting canonical scene.")
    p.add_argument("scene", metavar="SCENE")
    p.add_argument("patch", metavar="PATCH")
    p.add_argument("-o", "--output", metavar="OUT", help="write the result here instead of stdout")
    p.add_argument("--section", choices=["geometry", "materials", "composition", "lighting"],
                   help="reject patches that touch any other section")
    p.set_defaults(func=cmd_patch)

    p = sub.add_parser("diff", help="print the patch that turns scene A into scene B",
                       description="Print patches P such that `scenelang patch A P` gives B.")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.set_defaults(func=cmd_diff)


def _diag_json(d: Diagnostic) -> dict:
    out = {"severity": d.severity, "message": d.message}
    if d.span is not None:
        out.update(file=d.span.file, line=d.span.line, column=d.span.column,
                   end_line=d.span.end_line, end_column=d.span.end_column)
    if d.hint:
        out["hint"] = d.hint
    return out


def cmd_check(args) -> int:
    from scenelang.cli.main import use_color
    from scenelang.parser import parse_scene, read_source
    from scenelang.validate import validate

    results = []
    failed = False
    color = use_color()
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
            for d in diagnostics:
                if args.quiet and d.severity != "error":
                    continue
                print(d.format(source, color), file=sys.stderr)
            if not errors and not args.quiet:
                print(f"{name}: ok", file=sys.stderr)
    if args.json:
        print(json.dumps({"valid": not failed, "files": results}, indent=2))
    return 1 if failed else 0


def cmd_fmt(args) -> int:
    from scenelang.parser import parse_scene, read_source
    from scenelang.printer import print_scene
    from scenelang.validate import check

    source = read_source(args.file)
    try:
        scene = parse_scene(source, args.file)
        check(scene)
    except SceneError as exc:
        raise exc.with_source(source, args.file)
    text = print_scene(scene)
    if args.check:
        if text != source:
            print(f"{args.file}: not canonical (run `scenelang fmt -w {args.file}`)", file=sys.stderr)
            return 1
        return 0
    if args.write:
        if text != source:
            Path(args.file).write_text(text, encoding="utf-8")
        return 0
    sys.stdout.write(text)
    return 0


def cmd_patch(args) -> int:
    from scenelang.parser import load_scene, parse_patch, read_source
    from scenelang.patches import apply_patch
    from scenelang.printer import print_scene

    scene = load_scene(args.scene)
    patch_text = read_source(args.patch)
    try:
        result = apply_patch(scene, parse_patch(patch_text, args.patch), section=args.section)
    except SceneError as exc:
        raise exc.with_source(patch_text, args.patch)
    text = print_scene(result)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def cmd_diff(args) -> int:
    from scenelang.parser import load_scene
    from scenelang.patches import diff
    from scenelang.printer import print_patch

    a, b = load_scene(args.a), load_scene(args.b)
    patches = diff(a, b)
    for patch in patches:
        sys.stdout.write(print_patch(patch))
    return 0
