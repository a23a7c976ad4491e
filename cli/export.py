"""`scenelang export SCENE -o OUT.glb|.gltf|.obj|.stl`: the scene's meshes for other tools."""

from __future__ import annotations

import argparse

from scenelang.cli.console import console
from scenelang.cli.files import InputOutputError, check_writable, label, read_text
from scenelang.errors import SceneError
from scenelang.parser import parse_scene
from scenelang.validate import check


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a scene's meshes to glTF, OBJ or STL",
        description="Evaluate a scene's shapes (CSG included) and write them as .glb or .gltf "
                    "(one node per object, materials' base colours), .obj (+ .mtl) or .stl (one "
                    "merged mesh). The format follows the output's extension. glTF and OBJ are "
                    "written Y-up like Blender's exporters; STL stays Z-up.",
    )
    p.add_argument("file", metavar="SCENE", help="the .sl file (- for standard input)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file: .glb, .gltf, .obj or .stl")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    # lazy: trimesh and manifold3d add ~0.8 s to every command's startup
    from scenelang.backends.export import check_format, export_scene

    check_format(args.output)
    output = check_writable(args.output, make_parents=True)
    source = read_text(args.file)
    try:
        scene = parse_scene(source, label(args.file))
        warnings = check(scene)
        console.diagnostics(warnings, source)
        result = export_scene(scene, output)
    except SceneError as exc:
        exc.source = exc.source or source
        raise
    except OSError as exc:
        raise InputOutputError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    for warning in result.warnings:
        console.print(f"{args.file}: warning: {warning}")
    for path in result.files:
        print(path)
    return 0
