"""CLEVR scenes for the benchmark: where the assets are, rendering batches, reading ground truth.

The assets are the CLEVR generator's `image_generation/data/` folder from the public repository
`facebookresearch/clevr-dataset-gen` (BSD licence): `base_scene.blend`, `shapes/*.blend`,
`materials/*.blend`, `properties.json`. Their folder is, in order: the `assets` argument, the
`SCENELANG_CLEVR_ASSETS` environment variable, `<repo>/../shared/clevr` when it exists.

- `render_scenes(n, seed, out_dir, assets, samples)`: scenes `seed .. seed+n-1` sampled by the
  generator's rules (`clevr_sampler`) and rendered with Cycles by ONE Blender process
  (`clevr_render.SCRIPT`, the bpy wheel's Python or `$SCENELANG_BLENDER`), each into
  `out_dir/scene<seed:03d>/{target.png, scene.json, mask.png}`; returns the folders.
- `load_truth(folder)`: the true objects of a rendered scene as `ClevrPrediction`s.
- The benchmark itself (reconstruct, measure, table) is `clevr_bench.run_clevr_bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scenelang.backends.blender.runner import BlenderError, clean_env, find_blender, last_error_line, script_command
from scenelang.stages.bench import clevr_render
from scenelang.stages.bench.clevr_measures import ClevrPrediction

ASSETS_ENV = "SCENELANG_CLEVR_ASSETS"
SAMPLER_FILE = Path(__file__).resolve().with_name("clevr_sampler.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository root (`stages/bench/` is two levels down; `scenelang/stages` is a symlink)."""
ASSET_FILES = ("base_scene.blend", "properties.json", "shapes/SmoothCube_v2.blend",
               "shapes/Sphere.blend", "shapes/SmoothCylinder.blend", "materials/Rubber.blend",
               "materials/MyMetal.blend")
SOURCE_HINT = ("take them from the public repository facebookresearch/clevr-dataset-gen "
               "(folder image_generation/data/, BSD licence) and pass --clevr-assets DIR or set "
               f"${ASSETS_ENV}")
STARTUP_SECONDS = 60.0
SECONDS_PER_SCENE = 60.0
SECONDS_PER_SCENE_SAMPLE = 1.0
"""Timeout budget per scene and per scene and Cycles sample (generous: a scene at 32 samples
takes about 4 s on 2 idle cores, 20-50 s when other processes load them)."""


class ClevrAssetsError(FileNotFoundError):
    pass


def default_assets() -> Path | None:
    """`$SCENELANG_CLEVR_ASSETS`, else `<repo>/../shared/clevr` if it exists, else None."""
    env = os.environ.get(ASSETS_ENV)
    if env:
        return Path(env)
    shared = REPO_ROOT.parent / "shared" / "clevr"
    return shared if shared.is_dir() else None


def resolve_assets(assets: str | Path | None = None) -> Path:
    """The assets folder (argument, env var, default), checked; ClevrAssetsError if incomplete."""
    folder = Path(assets) if assets else default_assets()
    if folder is None:
        raise ClevrAssetsError(f"CLEVR assets not found: {SOURCE_HINT}")
    missing = [f for f in ASSET_FILES if not (folder / f).is_file()]
    if missing:
        raise ClevrAssetsError(f"CLEVR assets in {folder} lack {', '.join(missing)}: {SOURCE_HINT}")
    return folder.resolve()


def load_properties(assets: str | Path | None = None) -> dict[str, Any]:
    return json.loads((resolve_assets(assets) / "properties.json").read_text(encoding="utf-8"))


def scene_folder(out_dir: str | Path, seed: int) -> Path:
    return Path(out_dir) / f"scene{seed:03d}"


def render_command(script: Path, args: Sequence[str], blender: str | None = None) -> list[str]:
    """The argument list that runs the render script (bpy wheel: this Python)."""
    return script_command(script, list(args), find_blender(blender))


def render_scenes(n: int, seed: int, out_dir: str | Path, assets: str | Path | None = None,
                  samples: int = 32, *, size: tuple[int, int] = (320, 240), threads: int = 0,
                  min_pixels: int = 200, cube_sqrt2: bool = True, skip_existing: bool = True,
                  min_objects: int = 3, max_objects: int = 10,
                  timeout: float | None = None, blender: str | None = None,
                  log: Callable[[str], None] | None = None) -> list[Path]:
    """Render CLEVR scenes `seed .. seed+n-1` in one Blender process; returns their folders.

    size: (W, H) px (CLEVR: 320x240). threads: Cycles threads (0 = one per core).
    min_pixels: the visible-pixel rule (CLEVR: 200). min_objects/max_objects: CLEVR's 3 and 10.
    cube_sqrt2: shrink cubes by sqrt 2 (see `clevr_sampler`). skip_existing: keep folders that
    already hold `target.png` and `scene.json`. timeout: seconds for the whole batch (default: 60 + n x
    (60 + samples) s). Raises `BlenderError` (log in `out_dir/clevr_render.log`) on failure or
    timeout, `ClevrAssetsError` without assets.
    """
    folder = resolve_assets(assets)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    args = ["--assets", str(folder), "--out", str(out), "--seed", str(int(seed)), "--n", str(int(n)),
            "--samples", str(int(samples)), "--threads", str(int(threads)),
            "--width", str(int(size[0])), "--height", str(int(size[1])),
            "--min-pixels", str(int(min_pixels)), "--min-objects", str(int(min_objects)),
            "--max-objects", str(int(max_objects))]
    if not cube_sqrt2:
        args.append("--no-cube-sqrt2")
    if skip_existing:
        args.append("--skip-existing")
    if timeout is None:
        timeout = STARTUP_SECONDS + n * (SECONDS_PER_SCENE + samples * SECONDS_PER_SCENE_SAMPLE)
    log_path = out / "clevr_render.log"
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="scenelang-clevr-") as scratch, \
            open(log_path, "w", encoding="utf-8") as log_file:
        script = clevr_render.write_script(scratch)
        shutil.copyfile(SAMPLER_FILE, Path(scratch) / SAMPLER_FILE.name)
        command = render_command(script, ["--sampler-dir", scratch, *args], blender)
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, cwd=scratch, env=clean_env(),
                                       start_new_session=True, text=True)
        except OSError as exc:
            raise BlenderError(f"cannot start Blender ({command[0]}): {exc}", log_path) from None
        try:
            _pump(process, log_file, start + timeout, log)
        except TimeoutError:
            _kill(process)
            raise BlenderError(f"CLEVR render timed out after {timeout:g} s", log_path) from None
        code = process.wait()
    if code != 0:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        raise BlenderError(f"CLEVR render failed: {last_error_line(text)}", log_path)
    folders = [scene_folder(out, seed + i) for i in range(n)]
    missing = [f for f in folders if not (f / "target.png").is_file()]
    if missing:
        raise BlenderError(f"CLEVR render produced no image in {missing[0]}", log_path)
    return folders


def _pump(process: subprocess.Popen, log_file: Any, deadline: float,
          log: Callable[[str], None] | None) -> None:
    """Copy the process's output to the log until it exits; TimeoutError past `deadline`."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if not sel.select(min(remaining, 1.0)):
                if process.poll() is not None:
                    break
                continue
            line = process.stdout.readline()
            if not line:
                break
            log_file.write(line)
            if log is not None and line.startswith("{"):
                try:
                    info = json.loads(line)
                except ValueError:
                    continue
                if info.get("skipped"):
                    log(f"clevr scene {info['seed']}: already rendered")
                else:
                    log(f"clevr scene {info['seed']}: {info['objects']} objects, "
                        f"{info['seconds']:.1f} s ({info['checks']} visibility checks)")


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()


def load_scene_json(folder: str | Path) -> dict[str, Any]:
    return json.loads((Path(folder) / "scene.json").read_text(encoding="utf-8"))


def load_truth(folder: str | Path) -> list[ClevrPrediction]:
    """The true objects of a rendered scene folder (or a path to its `scene.json`)."""
    path = Path(folder)
    data = json.loads(path.read_text(encoding="utf-8")) if path.suffix == ".json" \
        else load_scene_json(path)
    return [ClevrPrediction.from_truth(o) for o in data["objects"]]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m scenelang.stages.bench.clevr OUT [--n N] [--seed S] [--samples K]
    [--clevr-assets DIR]`: render a CLEVR set without reconstructing it."""
    p = argparse.ArgumentParser(prog="python -m scenelang.stages.bench.clevr",
                                description="Render CLEVR scenes (target.png + scene.json).")
    p.add_argument("out")
    p.add_argument("--n", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--samples", type=int, default=32)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--clevr-assets", default=None)
    a = p.parse_args(argv)
    try:
        render_scenes(a.n, a.seed, a.out, a.clevr_assets, a.samples, threads=a.threads,
                      log=lambda s: print(s, file=sys.stderr))
    except ClevrAssetsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
