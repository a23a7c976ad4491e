"""`scenelang diff A B`: print the patches that turn scene A into scene B."""

from __future__ import annotations

import argparse
import sys

from scenelang.parser import load_scene
from scenelang.patches import diff
from scenelang.printer import print_patch


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diff", help="print the patch that turns scene A into scene B",
                       description="Print patches P such that `scenelang patch A P` gives B.")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.set_defaults(func=cmd_diff)


def cmd_diff(args: argparse.Namespace) -> int:
    a, b = load_scene(args.a), load_scene(args.b)
    for patch in diff(a, b):
        sys.stdout.write(print_patch(patch))
    return 0
