"""The `scenelang` command line: one entry point, subcommands registered by modules.

Each module in `COMMAND_MODULES` exposes `register(subparsers)`, which adds its subcommands with
`parser.set_defaults(func=handler)`; a handler takes the parsed `argparse.Namespace` and returns
the exit code. A `SceneError` escaping a handler is printed as positioned diagnostics (exit 1);
no Python traceback reaches the user.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from scenelang.errors import SceneError

COMMAND_MODULES = (
    "scenelang.cli.core",  # check, fmt, patch, diff
    "scenelang.cli.render",  # compile, render
    "scenelang.cli.export",  # export
    "scenelang.cli.reconstruct",  # reconstruct
    "scenelang.cli.report",  # report
    "scenelang.cli.bench",  # bench
)


def use_color(stream=None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scenelang",
        description="A typed scene language between images, vision-language models and Blender.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # a command group not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SceneError as exc:
        print(exc.format(color=use_color()), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
