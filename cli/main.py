"""The `scenelang` command line: one entry point, one module per command.

Each module in `COMMANDS` exposes `register(subparsers)`, which adds its subcommand with
`parser.set_defaults(func=handler)`; a handler takes the parsed `argparse.Namespace` and returns
the exit code. A `SceneError` escaping a handler is printed as positioned diagnostics (exit 1);
no Python traceback reaches the user.

Exit codes (see `scenelang.cli.files`): 0 ok, 1 invalid input, 2 usage error, 3 input/output
error (a file that cannot be read or written), 4 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

from scenelang.cli import (
    batch,
    bench,
    check,
    diff,
    export,
    fmt,
    import_,
    lsp,
    patch,
    reconstruct,
    render,
    report,
    watch,
)
from scenelang.cli import compile as compile_  # the module (`compile` is a builtin)
from scenelang.cli.console import console
from scenelang.cli.files import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_IO,
    InputOutputError,
)
from scenelang.errors import SceneError

COMMANDS = (check, fmt, patch, diff, compile_, render, watch, export, import_, reconstruct, report,
            bench, batch, lsp)
"""The command modules, in the order `scenelang --help` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scenelang",
        description="A typed scene language between images, vision-language models and Blender.",
    )
    parser.add_argument("--version", action="version", version=f"scenelang {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.register(sub)
    return parser


def version() -> str:
    try:
        return package_version("scenelang")
    except PackageNotFoundError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SceneError as exc:
        console.scene_error(exc)
        return EXIT_INVALID
    except InputOutputError as exc:
        console.error(str(exc))
        return EXIT_IO
    except KeyboardInterrupt:
        console.print("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a file-system problem no command foresaw: still one clear line
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        console.error(f"{where}{exc.strerror or exc}")
        return EXIT_IO
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("SCENELANG_DEBUG"):
            traceback.print_exc()
        console.error(f"internal error: {type(exc).__name__}: {exc} (this is a bug; set "
                      "SCENELANG_DEBUG=1 for the traceback)")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
