"""`scenelang export SCENE -o OUT.glb|.gltf|.obj|.stl`: the scene (glTF) or its meshes (OBJ, STL) for other tools."""

from __future__ import annotations

import argparse

from scenelang import api
from scenelang.cli.compile import load_checked
from scenelang.cli.console import console
from scenelang.cli.files import InputOutputError, check_writable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a scene to glTF (camera, lights, instances), OBJ or STL",
        description="Evaluate a scene's shapes (CSG included) and write them as .glb or .gltf "
                    "(the scene: one node per object with its local transform, shared meshes, "
                    "materials, the camera and the lights; area lights become spot lights), "
                    ".obj (+ .mtl, world-space meshes) or .stl (one merged mesh). The format "
                    "follows the output's extension. glTF and OBJ are written Y-up like "
                    "Blender's exporters; STL stays Z-up.",
    )
    p.add_argument("file", metavar="SCENE", help="the .sl file (- for standard input)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file: .glb, .gltf, .obj or .stl")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    # lazy: trimesh and manifold3d add ~0.8 s to every command's startup
    from scenelang.backends.export import check_format

    check_format(args.output)
    output = check_writable(args.output, make_parents=True)
    scene = load_checked(args.file)
    try:
        result = api.export(scene, output)
    except OSError as exc:
        raise InputOutputError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    for warning in result.warnings:
        console.print(f"{args.file}: warning: {warning}")
    for path in result.files:
        print(path)
    return 0
