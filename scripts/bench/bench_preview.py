"""Benchmark: the preview renderer against Blender Cycles on the same scenes (`make bench`).

`run_benchmark()` renders every example in `examples/` (and a built-in table-top scene) at
256 px on the longer side, once with `render_preview` and once with Cycles (32 samples, CPU)
in a persistent `BlenderWorker`, so Blender's start-up is not counted against it. Preview
times are the best of `PREVIEW_REPEATS` warm renders (meshes cached, as in the inner loop);
the cold time includes building the meshes. Target: preview at least 50x faster.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from scenelang.ast import Scene

SIZE = 256
CYCLES_SAMPLES = 32
PREVIEW_REPEATS = 5
SPEEDUP_TARGET = 50.0
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"  # the checkout's examples

TABLETOP = """\
scenelang 1

geometry {
  shape table = box(size=(2, 1, 0.1))
  shape leg = cylinder(radius=0.05, depth=0.7)
  shape bowl = difference(sphere(radius=0.5), sphere(radius=0.45) at (0, 0, 0.1))
  shape ball = sphere(radius=0.3)
  shape ring = torus(major_radius=0.4, minor_radius=0.08)
  shape floor = plane(size=40)
}

materials {
  material wood = principled(base_color=#8b5a2b, roughness=0.6)
  material red = principled(base_color=#c0392b, roughness=0.4)
  material steel = principled(base_color=(0.8, 0.8, 0.82), metallic=1, roughness=0.2)
}

composition {
  camera main at (5.5, -5, 3.6) look_at (0, 0, 0.7) lens 50mm resolution (640, 480)
  object floor_1 = floor
  object table_1 = table at (0, 0, 0.75) material wood
  object leg_1 = leg at (-0.9, -0.4, 0.35) material wood
  object leg_2 = leg at (0.9, -0.4, 0.35) material wood
  object leg_3 = leg at (-0.9, 0.4, 0.35) material wood
  object leg_4 = leg at (0.9, 0.4, 0.35) material wood
  object bowl_1 = bowl at (-0.4, 0, 1.2) material red
  object ball_1 = ball at (0.4, 0.1, 1.1) material steel
  object ring_1 = ring at (1.5, 1.2, 0.08)
}

lighting {
  world color #202830 strength 0.6
  light key = sun(direction=(-0.3, 0.4, -1), energy=3)
  light fill = area(at=(2, -2, 3), look_at=(0, 0, 0.7), size=2, energy=200)
}
"""


def benchmark_scenes() -> dict[str, Scene]:
    """The examples (by file stem) and the built-in table-top scene."""
    from scenelang.parser import load_scene, parse_scene

    scenes = {p.stem: load_scene(p) for p in sorted(EXAMPLES_DIR.glob("*.sl"))}
    scenes["builtin_tabletop"] = parse_scene(TABLETOP, "builtin_tabletop.sl")
    return scenes


def _preview_times(scene: Scene) -> tuple[float, float, int]:
    """(cold seconds, best warm seconds, triangle count) of `render_preview` at `SIZE`."""
    from scenelang.backends.meshes import clear_cache, scene_meshes
    from scenelang.backends.preview import render_preview

    clear_cache()
    start = time.perf_counter()
    render_preview(scene, SIZE)
    cold = time.perf_counter() - start
    warm = float("inf")
    for _ in range(PREVIEW_REPEATS):
        start = time.perf_counter()
        render_preview(scene, SIZE)
        warm = min(warm, time.perf_counter() - start)
    triangles = sum(len(m.mesh.faces) for m in scene_meshes(scene))
    return cold, warm, triangles


def run_benchmark() -> list[dict]:
    """One row per scene: preview and Cycles times per render at 256 px, and the speed-up."""
    from scenelang.backends.blender.runner import BlenderWorker
    from scenelang.backends.camera import image_size
    from scenelang.compiler.settings import RenderSettings

    rows = []
    with tempfile.TemporaryDirectory(prefix="scenelang-bench-preview-") as folder, BlenderWorker() as worker:
        out = Path(folder)
        warm_up = Scene()
        worker.render(warm_up, out / "warm_up.png", settings=RenderSettings(samples=1, size=(16, 16)))
        for name, scene in benchmark_scenes().items():
            cold, warm, triangles = _preview_times(scene)
            size = image_size(scene.camera(), SIZE)
            settings = RenderSettings(samples=CYCLES_SAMPLES, size=size)
            start = time.perf_counter()
            worker.render(scene, out / f"{name}.png", settings=settings)
            cycles = time.perf_counter() - start
            speedup = cycles / warm
            rows.append({
                "scene": name,
                "size": f"{size[0]}x{size[1]}",
                "triangles": triangles,
                "preview ms": warm * 1e3,
                "preview cold ms": cold * 1e3,
                "cycles ms": cycles * 1e3,
                "speed-up": speedup,
                f">= {SPEEDUP_TARGET:.0f}x": "met" if speedup >= SPEEDUP_TARGET else "MISSED",
            })
    return rows


if __name__ == "__main__":
    from common import format_table

    print(format_table(run_benchmark()))
