"""`scenelang compile SCENE [-o SCRIPT] [--apply-csg]`: a `.sl` file to a standalone bpy script.

The script runs as `blender -b --python scene.py -- ARGS` or `python scene.py ARGS` with the bpy
wheel. An invalid scene prints positioned diagnostics and exits 1.
"""

from __future__ import annotations

import argparse
import sys

from scenelang import api
from scenelang.cli.console import console
from scenelang.cli.files import STDIO, label, read_text, write_output
from scenelang.errors import SceneError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compile", help="compile a scene to a standalone bpy script",
                       description="Compile a .sl file to a bpy script for Blender 5.0. The "
                                   "script runs as `blender -b --python scene.py -- ARGS` or "
                                   "`python scene.py ARGS` with the bpy wheel; ARGS: --render PNG "
                                   "--blend FILE --samples N --size W H --seed S.")
    p.add_argument("file", metavar="SCENE", help="the .sl file (- for standard input)")
    p.add_argument("-o", "--output", metavar="SCRIPT",
                   help="write here instead of stdout (- for stdout)")
    p.add_argument("--apply-csg", action="store_true",
                   help="apply Boolean modifiers (default: keep CSG live and editable)")
    p.set_defaults(func=cmd_compile)


def load_checked(path: str) -> api.Scene:
    """Parse and validate a scene file (`-`: standard input); warnings go to the console,
    errors raise SceneError, unreadable files `InputOutputError`."""
    source = read_text(path)
    scene = api.parse(source, label(path))
    diagnostics = api.check(scene)
    if any(d.severity == "error" for d in diagnostics):
        raise SceneError(diagnostics, source=source)
    console.diagnostics(diagnostics, source)
    return scene


def cmd_compile(args: argparse.Namespace) -> int:
    scene = load_checked(args.file)
    text = api.compile(scene, apply_csg=args.apply_csg, source_file=label(args.file))
    if args.output and args.output != STDIO:
        write_output(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
