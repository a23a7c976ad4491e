"""`scenelang fmt FILE|DIR|- ... [--check [--diff] | --diff | -w]`: canonical form, comments kept.

One file: print its canonical text (`-` reads standard input). With `-w` every file is rewritten
in place; with `--check` nothing is written and the exit code is 1 when a file is not canonical
(`--diff` also prints a unified diff of what `-w` would change). Folders stand for their `*.sl`
files. Exit 0 ok, 1 not canonical or invalid, 2 usage, 3 unreadable or unwritable.
"""

from __future__ import annotations

import argparse
import difflib
import sys

from scenelang import api
from scenelang.cli.console import console
from scenelang.cli.files import (
    EXIT_INVALID,
    EXIT_IO,
    EXIT_OK,
    EXIT_USAGE,
    STDIO,
    InputOutputError,
    expand_inputs,
    label,
    read_text,
    write_output,
)
from scenelang.errors import SceneError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fmt", help="print a scene in canonical form",
                       description="Print the canonical form of a .sl file (- reads standard "
                                   "input). --check exits 1 when a file is not canonical; --diff "
                                   "prints what would change; -w rewrites files in place. "
                                   "Several files and folders need --check, --diff or -w.")
    p.add_argument("files", nargs="+", metavar="FILE")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if a file is not canonical")
    mode.add_argument("-w", "--write", action="store_true", help="rewrite files in place")
    p.add_argument("--diff", action="store_true",
                   help="print a unified diff of the changes (implies --check)")
    p.set_defaults(func=cmd_fmt)


def _canonical(name: str) -> tuple[str, str]:
    """(source, canonical text) of one input; `SceneError` when it does not parse or validate."""
    source = read_text(name)
    return source, api.format(source, label(name))


def cmd_fmt(args: argparse.Namespace) -> int:
    if args.write and args.diff:
        console.error("--diff cannot be combined with -w")
        return EXIT_USAGE
    checking = args.check or args.diff
    names = list(expand_inputs(args.files))
    if args.write and STDIO in names:
        console.error("-w cannot rewrite standard input; drop -w to print the result")
        return EXIT_USAGE
    if not (checking or args.write) and names != args.files[:1]:
        console.error("several files or a folder: pass -w to rewrite them, --check or --diff "
                      "to check them")
        return EXIT_USAGE
    code = EXIT_OK
    for name in names:
        try:
            source, text = _canonical(name)
        except SceneError as exc:
            console.scene_error(exc)
            code = max(code, EXIT_INVALID) if code != EXIT_IO else code
            continue
        except InputOutputError as exc:
            console.error(str(exc))
            code = EXIT_IO
            continue
        if checking:
            if text != source:
                shown = label(name)
                if args.diff:
                    sys.stdout.writelines(difflib.unified_diff(
                        source.splitlines(keepends=True), text.splitlines(keepends=True),
                        f"{shown} (original)", f"{shown} (formatted)"))
                else:
                    console.print(f"{shown}: not canonical (run `scenelang fmt -w {shown}`)")
                code = max(code, EXIT_INVALID) if code != EXIT_IO else code
        elif args.write:
            if text != source:
                try:
                    write_output(name, text)
                except InputOutputError as exc:
                    console.error(str(exc))
                    code = EXIT_IO
        else:
            sys.stdout.write(text)
    return code
