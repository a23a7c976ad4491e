"""The scenelang Python API: the command line's tools as functions (see docs/api.md).

    import scenelang
    scene = scenelang.load("scene.sl")                # read, parse, validate
    scenelang.render(scene, "out.png", size=(160, 120))  # the numpy preview, no Blender

Every function here is what one `scenelang` command does, without the command line's files,
exit codes and console: `parse`, `load`, `check`, `format`, `patch`, `diff`, `compile`,
`render`, `export`, `reconstruct` (the `cli/` command modules call them). Problems with a scene
are a `SceneError` carrying positioned diagnostics (`FILE:LINE:COL`, with the source line and a
caret when printed); files that cannot be read or written raise the usual `OSError`s; bad
arguments raise `ValueError`. Scenes are immutable `scenelang.ast.Scene` values.

Where a function takes a scene it also takes the scene's text (`str`), parsed with `filename`
(default `<string>` in positions). Units: lengths in metres (the scene's), image sizes in
pixels, times in seconds.

Importing this module is cheap (the language core, the compiler and the Blender runner, about
0.2 s after `scenelang.ast`); the preview renderer, the exporters and the reconstruction engine
(numpy, scipy, trimesh: about 1.5 s) are imported by `render`, `export` and `reconstruct` on
their first call.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from scenelang import ast as A
from scenelang.backends.blender.runner import (
    DEFAULT_TIMEOUT,
    BlenderError,
    BlenderWorker,
    RenderResult,
    render_scene,
)
from scenelang.compiler import compile_scene
from scenelang.compiler.settings import RenderSettings
from scenelang.errors import Diagnostic, SceneError, Span
from scenelang.parser import DEFAULT_LIMITS as PARSE_LIMITS
from scenelang.parser import decode_source, parse_patch, parse_scene
from scenelang.patches import apply_patch
from scenelang.patches import diff as diff_scenes
from scenelang.printer import print_patch, print_scene
from scenelang.validate import Limits, validate

if TYPE_CHECKING:
    from scenelang.backends.export import ExportResult
    from scenelang.stages.engine.config import EngineConfig
    from scenelang.stages.engine.state import RunResult
    from scenelang.stages.proposers.base import Proposer

__all__ = [
    "Diagnostic", "Rendered", "Reconstruction", "Scene", "SceneError", "check", "compile", "diff",
    "export", "format", "load", "parse", "patch", "prepare_reconstruction", "reconstruct",
    "render",
]

Scene = A.Scene
SceneLike = A.Scene | str
"""A scene, or its `.sl` text (parsed on the way in)."""
Engine = Literal["preview", "cycles", "workbench"]
ENGINES: dict[str, str] = {"preview": "preview", "cycles": "CYCLES", "workbench": "BLENDER_WORKBENCH"}
"""`render`'s engines: the numpy preview (no Blender), Cycles, Blender's Workbench."""


# ---------------------------------------------------------------- text and scenes


def parse(text: str, filename: str | None = None) -> A.Scene:
    """Parse `.sl` text into a `Scene` (syntax and value types only: `load` and `check` also
    validate names, references and limits).

    `filename` names the text in positions (default None: `<string>`). Raises `SceneError`
    with every problem found, positioned (`FILE:LINE:COL`), the text attached so that
    `str(error)` shows the source line and a caret.
    """
    try:
        return parse_scene(text, filename)
    except SceneError as exc:
        raise exc.with_source(text, filename) from None


def read(path: str | os.PathLike[str], max_bytes: int = PARSE_LIMITS.max_bytes) -> str:
    """The UTF-8 text of the file `path` (a byte-order mark dropped), reading at most
    `max_bytes` + 1 bytes (default 4 MiB, the parser's limit) whatever the file is.

    Raises `OSError` when it cannot be read, `SceneError` when it is too large or not UTF-8
    (positioned at the first bad byte).
    """
    name = os.fspath(path)
    if Path(name).is_dir():
        raise IsADirectoryError(21, "Is a directory", name)
    with open(name, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SceneError(f"input is too large (over the limit of {max_bytes:,} bytes)",
                         Span(file=name))
    return decode_source(data, name)


def load(path: str | os.PathLike[str], limits: Limits | None = None) -> A.Scene:
    """Read, parse and validate the `.sl` file `path`; the valid `Scene`.

    `limits`: the validator's resource limits (default `scenelang.validate.DEFAULT_LIMITS`).
    Raises `OSError` when the file cannot be read and `SceneError` (positioned, with the text
    attached) when it is not a valid scene; warnings are not raised (see `check`).
    """
    text = read(path)
    scene = parse(text, os.fspath(path))
    _raise_errors(validate(scene, limits), text, os.fspath(path))
    return scene


def check(scene: SceneLike | os.PathLike[str], filename: str | None = None,
          limits: Limits | None = None) -> list[Diagnostic]:
    """Every error and warning of a scene, as `scenelang check` prints them (it calls this).

    `scene`: a `Scene`, its text (`str`, named `filename` in positions) or a path
    (`pathlib.Path`, read with `read`). Syntax errors are returned, not raised; an empty list
    means valid without warnings. Each `Diagnostic` has `severity` ("error" or "warning"),
    `message`, `span` (file, line, column; None when not about one place) and `hint`;
    `d.format(source)` gives the printed form. `limits` as in `load`.
    """
    if isinstance(scene, os.PathLike):
        filename = os.fspath(scene)
        scene = read(scene)
    try:
        parsed = parse(scene, filename) if isinstance(scene, str) else scene
    except SceneError as exc:
        return list(exc.diagnostics)
    return validate(parsed, limits)


def format(scene: SceneLike, filename: str | None = None) -> str:
    """The canonical text of a scene, comments kept: what `scenelang fmt` prints for its text.

    `scene`: the text (`str`, named `filename` in positions) or a `Scene`. Raises `SceneError`
    (positioned) when it does not parse or is not a valid scene.
    """
    parsed = _scene(scene, filename)
    _raise_errors(validate(parsed), scene if isinstance(scene, str) else None, filename)
    return print_scene(parsed)


def patch(scene: SceneLike, patch_text: str, *, section: str | None = None,
          filename: str | None = None, patch_filename: str | None = None) -> A.Scene:
    """The scene with the patches of `patch_text` (`.slp` text) applied, validated.

    `section` (default None: any) rejects patches that touch another section ("geometry",
    "materials", "composition" or "lighting"). `filename` and `patch_filename` name the two
    texts in positions. Raises `SceneError` positioned in the patch: unknown names, bad values,
    and any error the patch causes in the scene (positioned at the op that caused it).
    """
    base = _scene(scene, filename)
    try:
        return apply_patch(base, parse_patch(patch_text, patch_filename, constants=base.constants),
                           section=section)
    except SceneError as exc:
        raise exc.with_source(patch_text, patch_filename) from None


def diff(a: SceneLike, b: SceneLike) -> str:
    """Patch text that turns scene `a` into scene `b` (`patch(a, diff(a, b))` equals `b`):
    one `patch`/`replace` block per changed section; `""` when they are the same scene."""
    return "".join(print_patch(p) for p in diff_scenes(_scene(a), _scene(b)))


def compile(scene: SceneLike, *, apply_csg: bool = False,
            source_file: str | None = None) -> str:
    """The scene as a standalone bpy script for Blender 5.0 (text); the scene is validated
    first (`SceneError` when invalid).

    `apply_csg` (default False) applies the Boolean modifiers instead of keeping CSG live;
    `source_file` is the name the script's line comments give (default: the scene's file).
    Run it as `blender -b --python scene.py -- ARGS` or `python scene.py ARGS` with the bpy
    wheel; ARGS: `--render PNG --blend FILE --samples N --size W H --seed S`.
    """
    base = _scene(scene)
    _raise_errors(validate(base), scene if isinstance(scene, str) else None, None)
    return compile_scene(base, apply_csg=apply_csg, source_file=source_file)


def _scene(scene: SceneLike, filename: str | None = None) -> A.Scene:
    if isinstance(scene, A.Scene):
        return scene
    if isinstance(scene, str):
        return parse(scene, filename)
    raise TypeError(f"expected a Scene or its text, got {type(scene).__name__}")


def _raise_errors(diagnostics: list[Diagnostic], source: str | None, filename: str | None) -> None:
    if any(d.severity == "error" for d in diagnostics):
        raise SceneError(diagnostics).with_source(source, filename)


# ---------------------------------------------------------------- renders and files


@dataclass(frozen=True)
class Rendered:
    """What `render` wrote: `png` (absolute path; None when only a `.blend` was asked for),
    `blend` (or None), `engine`, `seconds` (wall time of the render) and `warnings` (Blender's
    warnings about the scene; none for the preview)."""

    png: Path | None
    blend: Path | None
    engine: str
    seconds: float
    warnings: tuple[str, ...] = field(default=())


def render(scene: SceneLike, out: str | os.PathLike[str] | None, *, engine: Engine = "preview",
           size: int | tuple[int, int] | None = None, samples: int | None = None,
           seed: int | None = None, denoise: bool = False, threads: int | None = None,
           blend: str | os.PathLike[str] | None = None, apply_csg: bool = False,
           timeout: float = DEFAULT_TIMEOUT, blender: str | None = None,
           worker: BlenderWorker | None = None, source_file: str | None = None) -> Rendered:
    """Render a (validated) scene to the PNG `out` through its camera.

    engine: "preview" (default: the numpy renderer, no Blender, flat shading, milliseconds),
    "cycles" (Blender's path tracer, the reference) or "workbench" (Blender's flat engine).
    size: None (the camera's resolution), an int (the longer side in pixels, aspect kept) or
    `(W, H)` pixels. Cycles only: samples per pixel (default 32), seed (default 0), denoise
    (default off), threads (default 0: one per core). blend: also save a `.blend` (Blender
    engines only; `out` may then be None to save it without rendering). apply_csg: apply
    Boolean modifiers (default off). timeout: seconds before Blender is killed (default 300).
    blender: an external Blender executable (default `$SCENELANG_BLENDER`, else the bpy wheel).
    worker: a running `BlenderWorker` to render in (repeated renders skip Blender's start-up).
    source_file: the scene's file name in positions and in Blender's messages. The PNG is
    written to a temporary file in the same folder and renamed, so a viewer never sees half an
    image.

    Raises `SceneError` for an invalid scene, `ValueError` for bad settings, `BlenderError`
    (a short message and the path of the full log, kept next to the PNG) when Blender fails;
    a successful render leaves no log.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if out is None and blend is None:
        raise ValueError("nothing to render: give the PNG path `out` (or a `blend` path)")
    base = _scene(scene, source_file)
    _raise_errors(validate(base), scene if isinstance(scene, str) else None, source_file)
    png = Path(out).resolve() if out is not None else None
    if engine == "preview":
        if blend is not None or png is None:
            raise ValueError("a .blend needs Blender: use engine='cycles' or 'workbench'")
        return _render_preview(base, png, size)
    pixels = _pixels(base, size)
    _check_limits(pixels, samples)
    settings = RenderSettings(engine=ENGINES[engine]).with_(  # type: ignore[arg-type]
        samples=samples, seed=seed, size=pixels, denoise=True if denoise else None,
        threads=threads)
    options = dict(blend=blend, settings=settings, timeout=timeout, apply_csg=apply_csg,
                   source_file=source_file)
    if png is None:
        result = _blender(base, None, worker, blender, options)
        result.log_path.unlink(missing_ok=True)  # a successful render leaves no log
        return Rendered(None, result.blend, engine, result.seconds, result.warnings)
    with _atomic_png(png) as tmp:
        result = _blender(base, tmp, worker, blender, options)
    return Rendered(png, result.blend, engine, result.seconds, result.warnings)


def _blender(scene: A.Scene, png: Path | None, worker: BlenderWorker | None,
             blender: str | None, options: dict[str, Any]) -> RenderResult:
    if worker is not None:
        return worker.render(scene, png, **options)
    return render_scene(scene, png, blender=blender, **options)


def _check_limits(pixels: tuple[int, int] | None, samples: int | None) -> None:
    """The CLI's limits (`Limits.max_samples`, `Limits.max_resolution`) for API renders too."""
    limits = Limits()
    if samples is not None and not 1 <= samples <= limits.max_samples:
        raise ValueError(f"samples must be in 1..{limits.max_samples}, got {samples}")
    if pixels is not None and not all(1 <= side <= limits.max_resolution for side in pixels):
        raise ValueError(f"size must be 1..{limits.max_resolution} pixels per side, "
                         f"got {pixels[0]}x{pixels[1]}")


def _pixels(scene: A.Scene, size: int | tuple[int, int] | None) -> tuple[int, int] | None:
    if size is None or isinstance(size, tuple):
        return size
    # lazy: numpy (the camera model) is only needed to scale the camera's resolution
    from scenelang.backends.camera import image_size

    return image_size(scene.camera(), size)


def _render_preview(scene: A.Scene, out: Path, size: int | tuple[int, int] | None) -> Rendered:
    # lazy: the preview pulls numpy, scipy and trimesh (~1 s); the light tools never need them
    from scenelang.backends.preview import render_preview

    start = time.perf_counter()
    image = render_preview(scene, size)
    with _atomic_png(out) as tmp:
        image.save_png(tmp)
    return Rendered(out, None, "preview", time.perf_counter() - start)


@contextmanager
def _atomic_png(out: Path) -> Iterator[Path]:
    """A temporary PNG path in a fresh hidden folder beside `out`, renamed onto `out` when the
    block succeeds (an image viewer never sees half a file). On a Blender failure the log moves
    to `out`'s `.log`, the file the error names."""
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield folder / out.name
        os.replace(folder / out.name, out)
    except BlenderError as exc:
        if exc.log_path is not None and exc.log_path.exists():
            log = out.with_suffix(".log")
            os.replace(exc.log_path, log)
            exc.log_path = log
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def export(scene: SceneLike, path: str | os.PathLike[str]) -> ExportResult:
    """Write a (validated) scene to `path` for other tools: `.glb`/`.gltf` (the scene: objects,
    meshes, materials, camera, lights), `.obj` (+ `.mtl`) or `.stl` (meshes), the format
    following the extension (see `scenelang.backends.export`; lengths in metres, Y-up for glTF
    and OBJ as Blender writes them).

    Returns the `ExportResult` (`files` written, `objects` exported, `warnings`). Raises
    `SceneError` for an invalid scene or an unknown extension, `OSError` when it cannot write.
    """
    # lazy: trimesh and manifold3d add ~0.8 s to every import of the API
    from scenelang.backends.export import export_scene

    base = _scene(scene)
    _raise_errors(validate(base), scene if isinstance(scene, str) else None, None)
    return export_scene(base, Path(path))


# ---------------------------------------------------------------- reconstruction


@dataclass
class Reconstruction:
    """A reconstruction ready to run: the `proposer`, the engine's `config`, and `info` (what
    the run folder records about the proposer). Made by `prepare_reconstruction`."""

    proposer: Proposer
    config: EngineConfig
    info: dict[str, Any]

    def planned_rounds(self) -> int:
        """How many rounds the run will do at most (the draft, then every stage's budget)."""
        # lazy: the engine pulls scipy, scikit-image, trimesh (~1.5 s startup)
        from scenelang.stages.proposers.base import STAGE_ORDER

        config = self.config
        if config.mode == "direct":
            return int(config.draft) + (config.direct_calls or config.nominal_calls())
        return int(config.draft) + sum(config.rounds(s) for s in STAGE_ORDER)

    def run(self, image: str | os.PathLike[str] | None, out_dir: str | os.PathLike[str], *,
            resume: bool = False, on_round: Callable[[str, str], None] | None = None) -> RunResult:
        """Run it on `image` into the run folder `out_dir` (see `reconstruct`)."""
        # lazy: as above
        from scenelang.stages.engine.loop import run_reconstruction

        run = Path(out_dir)
        target = Path(image) if image is not None else run / "target.png"
        return run_reconstruction(target, run, self.proposer, self.config, resume=resume,
                                  proposer_info=self.info, on_round=on_round)


def prepare_reconstruction(proposer: str | Proposer = "offline",
                           proposer_options: Mapping[str, Any] | None = None,
                           **settings: Any) -> Reconstruction:
    """The proposer and the engine settings of a reconstruction, before it runs.

    proposer: "offline" (default: classical vision, no network), "vlm" (any OpenAI-compatible
    endpoint) or a proposer object. proposer_options: the VLM's `model`, `base_url`, `api_key`,
    `timeout` (seconds per request). settings: `scenelang.stages.engine.config.EngineConfig`
    fields: `mode` ("staged" or "direct"), `budgets` (rounds per stage, merged over the
    defaults geometry=5, materials=3, composition=3, lighting=2), `candidates` (1), `max_repairs`
    (2), `draft` (default: what the proposer wants: on for offline), `verify`, `max_calls`,
    `max_seconds` (s), `direct_calls`, `size` (long side of loop renders, 256 px), `samples`
    (16), `final_size` (px; default the image's, at most 1024), `final_samples` (64),
    `patience` (default: what the proposer asks for: 2 rounds for offline, none for a VLM; a
    stage ends after that many rounds in a row gaining less than `min_gain`, 0.001; 0: every
    round of the budget).

    Raises `ProposerUnavailable` when the proposer cannot be built (e.g. no model for "vlm"),
    `SceneError` for bad settings.
    """
    # lazy: the engine and the proposers pull scipy, scikit-image, trimesh (~1.5 s startup)
    from scenelang.stages.engine.config import EngineConfig, proposer_choices
    from scenelang.stages.proposers.registry import make_proposer

    if isinstance(proposer, str):
        name = proposer
        made = make_proposer(proposer, **dict(proposer_options or {}))
    else:
        name, made = getattr(proposer, "name", type(proposer).__name__), proposer
    describe = getattr(made, "describe", None)
    info = dict(describe()) if callable(describe) else {"name": name}
    fields = dict(settings)
    fields["budgets"] = {**EngineConfig().budgets, **dict(fields.get("budgets") or {})}
    fields["draft"], fields["patience"] = proposer_choices(made, fields.get("draft"),
                                                          fields.get("patience"))
    return Reconstruction(made, EngineConfig(**fields), info)


def reconstruct(image: str | os.PathLike[str] | None, out_dir: str | os.PathLike[str],
                proposer: str | Proposer = "offline", *,
                proposer_options: Mapping[str, Any] | None = None, resume: bool = False,
                on_round: Callable[[str, str], None] | None = None, **settings: Any) -> RunResult:
    """Rebuild the image `image` (PNG/JPEG) as an editable scene in the run folder `out_dir`,
    stage by stage; what `scenelang reconstruct` does (see docs/reconstruction.md).

    proposer, proposer_options and settings as in `prepare_reconstruction` (defaults: the
    offline proposer, the default budgets). resume: continue the interrupted run in `out_dir`
    (`image` may then be None). on_round(phase, line): called after every round. Returns the
    `RunResult` (`final_sl`, `final_png`, `final_blend`, `final_py`, `final_score`, `calls`,
    `confidence`). Raises `SceneError` for an unreadable image or a non-empty folder without
    `resume`; proposer faults and failed renders end rounds, not the run.
    """
    prepared = prepare_reconstruction(proposer, proposer_options, **settings)
    return prepared.run(image, out_dir, resume=resume, on_round=on_round)
