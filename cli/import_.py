"""`scenelang import FILE.blend|FILE.glb|FILE.gltf -o scene.sl`: a scene from Blender or glTF.

Primitives are recognised from the mesh data, live Boolean modifiers become CSG, linked
duplicates share one shape, other meshes become mesh assets in `<SCENE stem>_assets/` beside
the output; parents become groups, repeated groups and collection instances `instance`
statements, evenly placed copies arrays; a transform the language cannot hold is flattened
and what it cannot hold at all is reported as skipped, with the reason (docs/import.md). The
result is validated before it is written. Exit codes: 0 ok, 1 the file is corrupt or gives no
valid scene, 3 a missing input or an unwritable output (`scenelang.cli.files`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scenelang.cli.args import positive_float
from scenelang.cli.console import console
from scenelang.cli.files import EXIT_INVALID, InputOutputError, check_writable, label, write_output
from scenelang.errors import SceneError
from scenelang.parser import parse_scene
from scenelang.printer import print_scene
from scenelang.validate import check


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="make a .sl scene from a .blend, .glb or .gltf file",
        description="Read a .blend (through Blender), .glb or .gltf file and write the scene it "
                    "holds as scenelang text: primitives recognised from their mesh data, live "
                    "Boolean modifiers as CSG, Principled materials, lights, the world and the "
                    "camera. Parents become groups, repeated groups and collection instances "
                    "become instances; meshes that are not primitives become mesh assets beside "
                    "the output. Prints what was recognised, flattened and skipped.",
    )
    p.add_argument("file", metavar="FILE", help="the .blend, .glb or .gltf file")
    p.add_argument("-o", "--output", required=True, metavar="SCENE",
                   help="the .sl file to write (- for standard output)")
    p.add_argument("--timeout", type=positive_float, default=None, metavar="S",
                   help="seconds Blender may take to read a .blend (default 125)")
    p.add_argument("--blender", metavar="PATH", default=None,
                   help="a Blender executable (default: $SCENELANG_BLENDER, else the bpy wheel)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    # lazy: the importers pull in numpy/scipy and the Blender runner, which only this command needs
    from scenelang.backends.importers import SUFFIXES, ImportFailure, import_file

    source = Path(args.file)
    if source.suffix.lower() not in SUFFIXES:
        console.error(f"{args.file}: cannot import a {source.suffix or 'file without extension'}"
                      f" (expected {', '.join(SUFFIXES)})")
        return EXIT_INVALID
    if not source.is_file():
        raise InputOutputError(f"cannot read {args.file}: no such file")
    if args.output != "-":
        check_writable(args.output, make_parents=True)
    try:
        result = import_file(source, timeout=args.timeout, blender=args.blender,
                             output=args.output)
    except ImportFailure as exc:
        console.error(f"{args.file}: {exc}")
        return EXIT_INVALID
    text = print_scene(result.scene)
    report = result.report
    if not args.quiet:
        for line in report.recognised:
            console.print(f"recognised: {line}")
        for line in report.flattened:
            console.print(f"flattened: {line}")
        for line in report.notes:
            console.print(f"note: {line}")
    for line in report.skipped:
        console.warning(f"skipped: {line}")
    written = write_output(args.output, text, make_parents=True)
    if written != "-" and not args.quiet:
        console.print(f"wrote {written}")
    try:  # checked as written, so a problem points into the output file
        console.diagnostics(check(parse_scene(text, label(args.output))), text)
    except SceneError as exc:
        exc.source = exc.source or text
        raise
    return 0
