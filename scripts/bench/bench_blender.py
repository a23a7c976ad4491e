"""Blender benchmark for `make bench`: cold start vs the persistent worker, per render.

For each test scene (tests/golden/scenes, Cycles CPU at 256 px longer side, 32 samples, the loop's
settings) `run_benchmark()` measures, as the median of a few runs:

- `render s`: Cycles itself, i.e. `bpy.ops.render.render` on an already built scene in a warm
  process (what no runner can avoid);
- `worker s`: one `BlenderWorker.render` call as the caller sees it (compile, reset, build,
  render, write PNG);
- `cold s`: one `render_scene` call without a worker (a fresh Python + bpy process each time);
- `worker overhead`: (worker - render) / render, target under 10%.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scenelang.backends.blender.runner import BlenderWorker, clean_env, render_scene
from scenelang.compiler import RenderSettings, compile_scene

SCENES_DIR = Path(__file__).resolve().parents[2] / "tests" / "golden" / "scenes"  # in the checkout
LONG_SIDE = 256
SAMPLES = 32
REPEATS = 3

# Trusted benchmark code (not a compiled scene): times the render call alone, warm.
_PURE_RENDER = r"""
import json, sys, time
import bpy
namespace = {'__name__': 'bench'}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], 'exec'), namespace)
args = namespace['parse_args'](sys.argv[2:-1])
namespace['build_scene']()
namespace['configure_render'](args)
times = []
for _ in range(int(sys.argv[-1]) + 1):
    start = time.perf_counter()
    bpy.ops.render.render(write_still=False)
    times.append(time.perf_counter() - start)
print('JSON:' + json.dumps(times[1:]))
"""


def _settings(scene) -> RenderSettings:
    w, h = scene.camera().resolution
    scale = LONG_SIDE / max(w, h)
    return RenderSettings(samples=SAMPLES, size=(round(w * scale), round(h * scale)))


def pure_render_seconds(scene, settings: RenderSettings, repeats: int, scratch: Path) -> float:
    script = scratch / "bench_scene.py"
    script.write_text(compile_scene(scene, settings=settings))
    proc = subprocess.run(
        [sys.executable, "-c", _PURE_RENDER, str(script), *settings.script_args(), str(repeats)],
        capture_output=True, text=True, timeout=600, cwd=scratch, env=clean_env())
    line = next(x for x in proc.stdout.splitlines() if x.startswith("JSON:"))
    return min(json.loads(line[5:]))


def run_benchmark() -> list[dict]:
    from scenelang.parser import load_scene

    rows = []
    with tempfile.TemporaryDirectory(prefix="scenelang-bench-") as folder:
        scratch = Path(folder)
        with BlenderWorker() as worker:
            for path in sorted(SCENES_DIR.glob("*.sl")):
                scene = load_scene(path)
                settings = _settings(scene)
                render_s = pure_render_seconds(scene, settings, REPEATS, scratch)
                worker.render(scene, scratch / "warmup.png", settings=settings)
                worker_times, cold_times = [], []
                for _ in range(REPEATS):
                    start = time.perf_counter()
                    worker.render(scene, scratch / "worker.png", settings=settings)
                    worker_times.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    render_scene(scene, scratch / "cold.png", settings=settings)
                    cold_times.append(time.perf_counter() - start)
                worker_s = min(worker_times)
                cold_s = min(cold_times)
                rows.append({
                    "scene": path.stem,
                    "size": "x".join(map(str, settings.size)),
                    "samples": SAMPLES,
                    "render s": render_s,
                    "worker s": worker_s,
                    "cold s": cold_s,
                    "worker overhead %": 100 * (worker_s - render_s) / render_s,
                    "cold / worker": cold_s / worker_s,
                })
    return rows


if __name__ == "__main__":
    from common import format_table

    print(format_table(run_benchmark()))
