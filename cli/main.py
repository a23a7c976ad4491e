"""The `scenelang` command line: one entry point, one module per command.

Each module in `COMMANDS` exposes `register(subparsers)`, which adds its subcommand with
`parser.set_defaults(func=handler)`; a handler takes the parsed `argparse.Namespace` and returns
the exit code. A `SceneError` escaping a handler is printed as positioned diagnostics (exit 1);
no Python traceback reaches the user.
"""

from __future__ import annotations

import argparse
import sys

from scenelang.cli import bench, check, diff, export, fmt, patch, reconstruct, render, report
from scenelang.cli import compile as compile_  # the module (`compile` is a builtin)
from scenelang.cli.console import console
from scenelang.errors import SceneError

COMMANDS = (check, fmt, patch, diff, compile_, render, export, reconstruct, report, bench)
"""The command modules, in the order `scenelang --help` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scenelang",
        description="A typed scene language between images, vision-language models and Blender.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SceneError as exc:
        console.scene_error(exc)
        return 1
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
