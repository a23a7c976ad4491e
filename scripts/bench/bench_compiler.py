"""Compiler benchmark for `make bench`: compile time per scene size.

`run_benchmark()` compiles generated scenes with 10, 100 and 1,000 objects (the same scenes as
the core benchmark, `common.generated_scene`) and reports the best of several
runs: total compile time (plan + templates + script check), the check alone, and script size.
"""

from __future__ import annotations

from common import best_of, format_table, generated_scene

from scenelang.compiler import check_script, compile_scene
from scenelang.parser import parse_scene

SIZES = (10, 100, 1000)


def run_benchmark() -> list[dict]:
    rows = []
    for n in SIZES:
        scene = parse_scene(generated_scene(n))
        repeats = 5 if n < 1000 else 3
        text = compile_scene(scene)
        compile_s = best_of(lambda scene=scene: compile_scene(scene), repeats)
        check_s = best_of(lambda text=text: check_script(text), repeats)
        rows.append({
            "objects": n,
            "compile ms": compile_s * 1e3,
            "of which check ms": check_s * 1e3,
            "ms per object": compile_s * 1e3 / n,
            "script KiB": len(text.encode()) / 1024,
            "script lines": text.count("\n"),
        })
    return rows


if __name__ == "__main__":
    print(format_table(run_benchmark()))
