"""`scenelang diff A B`: print the patches that turn scene A into scene B.

Exit 0 when the scenes are the same, 1 when they differ (like git diff --exit-code and diff(1))
or one is invalid, 3 when one cannot be read. `-` reads one of them from standard input.
"""

from __future__ import annotations

import argparse
import sys

from scenelang import api
from scenelang.cli.console import console
from scenelang.cli.files import EXIT_INVALID, EXIT_OK, EXIT_USAGE, STDIO, label, read_text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diff", help="print the patch that turns scene A into scene B",
                       description="Print patches P such that `scenelang patch A P` gives B. "
                                   "Exit 0 when A and B are the same scene, 1 when they differ.")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.set_defaults(func=cmd_diff)


def load(name: str) -> api.Scene:
    return api.parse(read_text(name), label(name))


def cmd_diff(args: argparse.Namespace) -> int:
    if args.a == STDIO and args.b == STDIO:
        console.error("only one of A and B can be - (standard input)")
        return EXIT_USAGE
    text = api.diff(load(args.a), load(args.b))
    sys.stdout.write(text)
    return EXIT_INVALID if text else EXIT_OK
