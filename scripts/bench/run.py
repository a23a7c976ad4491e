"""`make bench`: speed and memory tables for every layer, printed with ratios.

Each layer contributes rows from a `run_benchmark() -> list[dict]` function; this module runs the
core benchmark itself (parse + validate + print of generated scenes with 10, 100 and 1,000
objects; target: 1,000 objects parsed and validated in at most 150 ms) and then the layers'
benchmarks that exist. Timings are the best of several repeats, since these machines are noisy.
"""

from __future__ import annotations

import importlib
import sys
import time
import tracemalloc
from typing import Callable

LAYER_BENCHMARKS = (
    ("compiler", "scenelang.compiler.bench"),
    ("blender worker", "scenelang.backends.bench_blender"),
    ("preview vs blender", "scenelang.backends.bench_preview"),
)
PARSE_TARGET_MS = 150.0


def generated_scene(n_objects: int) -> str:
    """A valid scene with `n_objects` objects over a handful of shapes and materials."""
    shapes = ["box(size=(1, 1, 1))", "sphere(radius=0.5)", "cylinder(radius=0.3, depth=1)",
              "cone(radius=0.4, depth=1)", "torus(major_radius=0.5, minor_radius=0.1)",
              "difference(box(size=(1, 1, 1)), sphere(radius=0.6) at (0, 0, 0.2))"]
    lines = ["scenelang 1", "", "geometry {"]
    lines += [f"  shape s{i} = {s}" for i, s in enumerate(shapes)]
    lines += ["}", "", "materials {"]
    lines += [f"  material m{i} = principled(base_color=#{(i * 40) % 256:02x}80c0, roughness=0.{i + 1})"
              for i in range(8)]
    lines += ["}", "", "composition {", "  camera main at (20, -20, 15) look_at (0, 0, 0) lens 35mm"]
    for i in range(n_objects):
        lines.append(f"  object o{i} = s{i % len(shapes)} at ({i % 32}, {i // 32}, 0.5) "
                     f"rotate (0, 0, {i % 90}deg) scale 0.8 material m{i % 8}")
    lines += ["}", "", "lighting {", "  world color #101010 strength 0.5",
              "  light key = sun(direction=(-0.3, 0.4, -1), energy=3)", "}", ""]
    return "\n".join(lines)


def best_of(fn: Callable[[], object], repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def core_rows() -> list[dict]:
    from scenelang.parser import parse_scene
    from scenelang.printer import print_scene
    from scenelang.validate import validate

    rows = []
    for n in (10, 100, 1000):
        text = generated_scene(n)
        scene = parse_scene(text)
        parse_s = best_of(lambda: parse_scene(text))
        validate_s = best_of(lambda: validate(scene))
        print_s = best_of(lambda: print_scene(scene))
        tracemalloc.start()
        validate(parse_scene(text))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append({
            "objects": n,
            "parse ms": parse_s * 1e3,
            "validate ms": validate_s * 1e3,
            "print ms": print_s * 1e3,
            "parse+validate ms": (parse_s + validate_s) * 1e3,
            "peak MiB": peak / 2**20,
        })
    return rows


def format_table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)"
    headers = list(rows[0])
    cells = [[_cell(r.get(h)) for h in headers] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    out = ["  ".join(h.rjust(w) for h, w in zip(headers, widths)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(out)


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return "" if v is None else str(v)


def main(argv: list[str] | None = None) -> int:
    rows = core_rows()
    print("== core: parse + validate + print ==")
    print(format_table(rows))
    big = rows[-1]["parse+validate ms"]
    verdict = "met" if big <= PARSE_TARGET_MS else "MISSED"
    print(f"1,000 objects parse+validate: {big:.1f} ms (target <= {PARSE_TARGET_MS:.0f} ms: {verdict}); "
          f"ratio 1000/100 objects: {big / rows[1]['parse+validate ms']:.1f}x")
    for title, module_name in LAYER_BENCHMARKS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            print(f"\n== {title}: not available ==")
            continue
        print(f"\n== {title} ==", flush=True)
        print(format_table(module.run_benchmark()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
