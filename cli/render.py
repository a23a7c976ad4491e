"""`scenelang render`: a `.sl` file to a PNG (and a `.blend`) with Blender or the preview renderer.

    scenelang render scene.sl -o out.png [--blend out.blend] [--samples N] [--size W H]
        [--seed S] [--views N] [--engine cycles|workbench|preview] [--blender PATH]
        [--timeout S] [--apply-csg] [--denoise] [--threads N]

`--views N` renders N views orbiting the scene's centre (out-00.png, out-01.png, ...) through
one persistent Blender worker. Errors: an invalid scene prints positioned diagnostics; a Blender
failure prints a short message and the path of the full log (kept next to the PNG; a
successful render leaves no log); both exit 1. Files that cannot be written exit 3.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from scenelang import api
from scenelang import ast as A
from scenelang.backends.blender.runner import BlenderError, BlenderWorker
from scenelang.cli.args import image_side, non_negative_int, positive_float, positive_int, sample_count
from scenelang.cli.compile import load_checked
from scenelang.cli.console import console
from scenelang.cli.files import InputOutputError, check_writable
from scenelang.compiler.settings import DEFAULT_SETTINGS
from scenelang.errors import SceneError

ENGINES = api.ENGINES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="render a scene with Blender (or the preview renderer)",
                       description="Render a .sl file to a PNG (and optionally save a .blend). "
                                   "Defaults: Cycles on CPU, 32 samples, seed 0, the camera's "
                                   "resolution.")
    p.add_argument("file", metavar="SCENE", help="the .sl file (- for standard input)")
    p.add_argument("-o", "--output", metavar="PNG", required=True, help="the image (.png)")
    p.add_argument("--blend", metavar="FILE", help="also save the scene as a .blend file")
    p.add_argument("--samples", type=sample_count,
                   help="Cycles samples, 1 to 4096 (default 32; not used by the other engines)")
    p.add_argument("--size", type=image_side, nargs=2, metavar=("W", "H"),
                   help="image size in pixels, 1 to 4096 each (default: the camera resolution)")
    p.add_argument("--seed", type=non_negative_int, help="Cycles noise seed (default 0)")
    p.add_argument("--denoise", action="store_true", help="run Cycles' denoiser (default off)")
    p.add_argument("--threads", type=non_negative_int, metavar="N",
                   help="render threads (default 0: one per core)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    p.add_argument("--views", type=positive_int, default=1, metavar="N",
                   help="render N views orbiting the scene's centre: OUT-00.png ...")
    p.add_argument("--engine", choices=sorted(ENGINES), default="cycles",
                   help="cycles (default), workbench (fast flat) or preview (no Blender)")
    p.add_argument("--blender", metavar="PATH",
                   help="external Blender executable (default: $SCENELANG_BLENDER, else bpy)")
    p.add_argument("--timeout", type=positive_float, default=300.0, metavar="S",
                   help="seconds per render before Blender is killed (default 300)")
    p.add_argument("--apply-csg", action="store_true", help="apply Boolean modifiers")
    p.set_defaults(func=cmd_render)


def scene_centre(scene: A.Scene) -> tuple[float, float, float]:
    """Middle of the objects' positions (their bounding box), else the camera's target."""
    positions = [o.at for o in scene.objects()]
    if not positions:
        return tuple(scene.camera().target() or (0.0, 0.0, 0.0))  # type: ignore[return-value]
    return tuple((min(p[i] for p in positions) + max(p[i] for p in positions)) / 2
                 for i in range(3))  # type: ignore[return-value]


def orbit_scenes(scene: A.Scene, views: int) -> list[A.Scene]:
    """`views` copies of the scene whose camera circles the centre about the z axis.

    View 0 starts at the camera's own position; each keeps its height and horizontal distance
    from the centre and looks at the centre.
    """
    camera = scene.camera()
    centre = scene_centre(scene)
    rel = [camera.at[i] - centre[i] for i in range(3)]
    radius, height = math.hypot(rel[0], rel[1]), rel[2]
    if radius < 1e-6:
        distance = max(math.sqrt(sum(r * r for r in rel)), 1.0)
        radius, height = distance * 0.7, distance * 0.7
    start = math.atan2(rel[1], rel[0])
    result = []
    for i in range(views):
        angle = start + 2 * math.pi * i / views
        at = (centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle),
              centre[2] + height)
        moved = camera.model_copy(update={"at": at, "look_at": centre, "rotate": None})
        statements = [s for s in scene.composition.statements if not isinstance(s, A.Camera)]
        section = scene.composition.model_copy(update={"statements": (moved, *statements)})
        result.append(scene.with_section(section))
    return result


def view_paths(output: Path, views: int) -> list[Path]:
    if views == 1:
        return [output]
    return [output.with_name(f"{output.stem}-{i:02d}{output.suffix}") for i in range(views)]


def cmd_render(args: argparse.Namespace) -> int:
    if Path(args.output).suffix.lower() != ".png":
        raise InputOutputError(f"cannot write {args.output}: the image must be a .png file")
    output = check_writable(args.output, make_parents=True).resolve()
    if args.blend:
        check_writable(args.blend, make_parents=True)
    scene = load_checked(args.file)
    scenes = orbit_scenes(scene, args.views) if args.views > 1 else [scene]
    paths = view_paths(output, args.views)
    if args.engine == "preview":
        return _render_preview(scenes, paths, args)
    return _render_blender(scene, scenes, paths, args)


def _render_preview(scenes: list[A.Scene], paths: list[Path], args: argparse.Namespace) -> int:
    if args.blend:
        console.warning("--blend needs Blender; ignored with --engine preview")
    for option in ("samples", "seed", "denoise", "threads"):
        if getattr(args, option) not in (None, False):
            console.warning(f"--{option} is a Cycles setting; ignored with --engine preview")
    for scene, path in zip(scenes, paths):
        try:  # the API imports the preview (numpy, scipy, trimesh) only now
            api.render(scene, path, engine="preview", size=tuple(args.size) if args.size else None)
        except OSError as exc:
            raise InputOutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        print(path)
    return 0


def _render_blender(scene: A.Scene, scenes: list[A.Scene], paths: list[Path],
                    args: argparse.Namespace) -> int:
    options = dict(engine=args.engine, samples=args.samples, seed=args.seed,
                   size=tuple(args.size) if args.size else None, denoise=args.denoise,
                   threads=args.threads, timeout=args.timeout, apply_csg=args.apply_csg,
                   source_file=args.file)
    samples = args.samples or DEFAULT_SETTINGS.samples
    try:
        if len(scenes) == 1:
            with console.status(f"rendering {paths[0]} ({ENGINES[args.engine]}, {samples} "
                                f"samples)", quiet=args.quiet):
                results = [api.render(scene, paths[0], blend=args.blend, blender=args.blender,
                                      **options)]
        else:
            with BlenderWorker(blender=args.blender, timeout=args.timeout) as worker, \
                    console.progress(len(scenes), "render", quiet=args.quiet) as progress:
                if args.blend:
                    api.render(scene, None, blend=args.blend, worker=worker, **options)
                results = []
                for s, p in zip(scenes, paths):
                    results.append(api.render(s, p, worker=worker, **options))
                    progress.advance(str(p))
    except ValueError as exc:  # render settings out of range (e.g. a seed of 2**31)
        raise SceneError(str(exc)) from None
    except BlenderError as exc:
        console.error(exc.message)
        if exc.log_path:
            console.print(f"  full Blender log: {exc.log_path}")
        return 1
    for result in results:
        for warning in result.warnings:
            console.warning(warning)
        print(result.png)
    if args.blend:
        print(Path(args.blend).resolve())
    return 0
