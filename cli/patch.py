"""`scenelang patch SCENE PATCH [-o OUT | -i] [--section S]`: apply a patch (.slp) to a scene.

The result goes to standard output, to OUT (`-o`, `-` for standard output) or back into SCENE
(`-i/--in-place`). SCENE or PATCH may be `-` (standard input).
"""

from __future__ import annotations

import argparse
import sys

from scenelang import api
from scenelang.cli.console import console
from scenelang.cli.files import EXIT_USAGE, STDIO, label, read_text, write_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("patch", help="apply a patch (.slp) to a scene",
                       description="Apply the patches in PATCH to SCENE and print (or write) "
                                   "the resulting canonical scene. SCENE or PATCH may be - "
                                   "(standard input).")
    p.add_argument("scene", metavar="SCENE")
    p.add_argument("patch", metavar="PATCH")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="OUT",
                     help="write the result here instead of stdout (- for stdout)")
    out.add_argument("-i", "--in-place", action="store_true",
                     help="write the result back into SCENE")
    p.add_argument("--section", choices=["geometry", "materials", "composition", "lighting"],
                   help="reject patches that touch any other section")
    p.set_defaults(func=cmd_patch)


def cmd_patch(args: argparse.Namespace) -> int:
    if args.scene == STDIO and args.patch == STDIO:
        console.error("only one of SCENE and PATCH can be - (standard input)")
        return EXIT_USAGE
    if args.in_place and args.scene == STDIO:
        console.error("-i cannot rewrite standard input; use -o OUT or print to stdout")
        return EXIT_USAGE
    scene = api.parse(read_text(args.scene), label(args.scene))
    result = api.patch(scene, read_text(args.patch), section=args.section,
                       patch_filename=label(args.patch))
    text = api.format(result)
    target = args.scene if args.in_place else args.output
    if target:
        write_output(target, text)
    else:
        sys.stdout.write(text)
    return 0
