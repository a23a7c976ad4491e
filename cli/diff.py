"""`scenelang diff A B`: print the patches that turn scene A into scene B.

Exit 0 when the scenes are the same, 1 when they differ (like git diff --exit-code and diff(1))
or one is invalid, 3 when one cannot be read. `-` reads one of them from standard input.
"""

from __future__ import annotations

import argparse
import sys

from scenelang.cli.console import console
from scenelang.cli.files import EXIT_INVALID, EXIT_OK, EXIT_USAGE, STDIO, label, read_text
from scenelang.errors import SceneError
from scenelang.parser import parse_scene
from scenelang.patches import diff
from scenelang.printer import print_patch


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diff", help="print the patch that turns scene A into scene B",
                       description="Print patches P such that `scenelang patch A P` gives B. "
                                   "Exit 0 when A and B are the same scene, 1 when they differ.")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.set_defaults(func=cmd_diff)


def load(name: str):
    source = read_text(name)
    try:
        return parse_scene(source, label(name))
    except SceneError as exc:
        raise exc.with_source(source, label(name)) from None


def cmd_diff(args: argparse.Namespace) -> int:
    if args.a == STDIO and args.b == STDIO:
        console.error("only one of A and B can be - (standard input)")
        return EXIT_USAGE
    a, b = load(args.a), load(args.b)
    patches = diff(a, b)
    for patch in patches:
        sys.stdout.write(print_patch(patch))
    return EXIT_INVALID if patches else EXIT_OK
