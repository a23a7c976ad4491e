"""`scenelang patch SCENE PATCH [-o OUT] [--section S]`: apply a patch (.slp) to a scene."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scenelang.errors import SceneError
from scenelang.parser import load_scene, parse_patch, read_source
from scenelang.patches import apply_patch
from scenelang.printer import print_scene


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("patch", help="apply a patch (.slp) to a scene",
                       description="Apply the patches in PATCH to SCENE and print (or write) "
                                   "the resulting canonical scene.")
    p.add_argument("scene", metavar="SCENE")
    p.add_argument("patch", metavar="PATCH")
    p.add_argument("-o", "--output", metavar="OUT", help="write the result here instead of stdout")
    p.add_argument("--section", choices=["geometry", "materials", "composition", "lighting"],
                   help="reject patches that touch any other section")
    p.set_defaults(func=cmd_patch)


def cmd_patch(args: argparse.Namespace) -> int:
    scene = load_scene(args.scene)
    patch_text = read_source(args.patch)
    try:
        result = apply_patch(scene, parse_patch(patch_text, args.patch), section=args.section)
    except SceneError as exc:
        exc.with_source(patch_text, args.patch)
        raise
    text = print_scene(result)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
