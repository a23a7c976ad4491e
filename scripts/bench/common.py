"""Helpers shared by the `make bench` benchmarks: the generated scenes, timing and tables."""

from __future__ import annotations

import time
from collections.abc import Callable


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
