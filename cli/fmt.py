"""`scenelang fmt FILE [--check | -w]`: print a scene in canonical form (comments kept)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scenelang.cli.console import console
from scenelang.errors import SceneError
from scenelang.parser import parse_scene, read_source
from scenelang.printer import print_scene
from scenelang.validate import check


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fmt", help="print a scene in canonical form",
                       description="Print the canonical form of a .sl file. --check exits 1 when "
                                   "the file is not canonical; -w rewrites it in place.")
    p.add_argument("file", metavar="FILE")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if the file is not canonical")
    mode.add_argument("-w", "--write", action="store_true", help="rewrite the file in place")
    p.set_defaults(func=cmd_fmt)


def cmd_fmt(args: argparse.Namespace) -> int:
    source = read_source(args.file)
    try:
        scene = parse_scene(source, args.file)
        check(scene)
    except SceneError as exc:
        exc.with_source(source, args.file)
        raise
    text = print_scene(scene)
    if args.check:
        if text != source:
            console.print(f"{args.file}: not canonical (run `scenelang fmt -w {args.file}`)")
            return 1
        return 0
    if args.write:
        if text != source:
            Path(args.file).write_text(text, encoding="utf-8")
        return 0
    sys.stdout.write(text)
    return 0
