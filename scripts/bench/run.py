"""`make bench`: speed and memory tables for every layer, printed with ratios.

Run as a script (`python scripts/bench/run.py`, so this folder is on `sys.path`). The core
benchmark comes first: parse + validate + print of generated scenes with 10, 100 and 1,000
objects, then the parser against a frozen copy of the parser as it was before the speed work
(`baseline/`), timed in the same run so the ratio does not depend on the machine's load. Target:
1,000 objects parsed and validated in at most 50 ms. Then the layers' benchmarks (compiler,
Blender worker, preview vs Blender), each a `run_benchmark() -> list[dict]`; one whose imports
are missing (no Blender) is reported as not available. Timings are the best of several repeats,
since these machines are noisy.
"""

from __future__ import annotations

import sys
import tracemalloc

from common import best_of, format_table, generated_scene

PARSE_TARGET_MS = 50.0
COMPARE_OBJECTS = 1000


def core_rows() -> list[dict]:
    from scenelang.parser import parse_scene
    from scenelang.printer import print_scene
    from scenelang.validate import validate

    rows = []
    for n in (10, 100, 1000):
        text = generated_scene(n)
        scene = parse_scene(text)
        parse_s = best_of(lambda text=text: parse_scene(text))
        validate_s = best_of(lambda scene=scene: validate(scene))
        print_s = best_of(lambda scene=scene: print_scene(scene))
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


def baseline_rows(n: int = COMPARE_OBJECTS) -> list[dict]:
    """Parse + validate of `n` objects by the frozen baseline parser and by today's, same run."""
    from baseline.parser import parse_scene as baseline_parse

    from scenelang.parser import parse_scene
    from scenelang.validate import validate

    text = generated_scene(n)
    if baseline_parse(text) != parse_scene(text):
        raise SystemExit("error: the parser and the baseline parser disagree on the generated scene")
    times = {"baseline": float("inf"), "current": float("inf")}
    for _ in range(5):  # interleaved, so both see the same machine load; best of 5 each
        for label, parse in (("baseline", baseline_parse), ("current", parse_scene)):
            times[label] = min(times[label], best_of(lambda parse=parse: validate(parse(text)), 1))
    ratio = times["current"] / times["baseline"]
    return [
        {"parser": "baseline (31b11cc)", "objects": n, "parse+validate ms": times["baseline"] * 1e3,
         "ratio": 1.0, f"<= {PARSE_TARGET_MS:.0f} ms": ""},
        {"parser": "current", "objects": n, "parse+validate ms": times["current"] * 1e3,
         "ratio": ratio,
         f"<= {PARSE_TARGET_MS:.0f} ms": "met" if times["current"] * 1e3 <= PARSE_TARGET_MS else "MISSED"},
    ]


ARRAY_SCENE = "examples/large/array_1000.sl"
ARRAY_TARGET_MS = 100.0


def array_rows() -> list[dict]:
    """Parse + validate + compile of the 1,000-copy array scene (issue 12): `.sl` and script
    sizes, and the time against the 100 ms target."""
    from pathlib import Path

    from scenelang.compiler import compile_scene
    from scenelang.parser import parse_scene
    from scenelang.validate import check

    text = (Path(__file__).resolve().parents[2] / ARRAY_SCENE).read_text()

    def run() -> str:
        return compile_scene(check_and_keep(parse_scene(text)))

    def check_and_keep(scene):
        check(scene)
        return scene

    seconds = best_of(run)
    ms = seconds * 1e3
    return [{"scene": ARRAY_SCENE, "copies": 1000, ".sl bytes": len(text.encode()),
             "script KiB": len(run().encode()) / 1024, "parse+validate+compile ms": ms,
             f"<= {ARRAY_TARGET_MS:.0f} ms": "met" if ms <= ARRAY_TARGET_MS else "MISSED"}]


def layer_benchmarks():
    """(title, run_benchmark or None when the layer's imports are missing)."""
    try:
        import bench_compiler
    except ModuleNotFoundError:
        bench_compiler = None
    try:
        import bench_blender
    except ModuleNotFoundError:
        bench_blender = None
    try:
        import bench_preview
    except ModuleNotFoundError:
        bench_preview = None
    return (
        ("compiler", bench_compiler and bench_compiler.run_benchmark),
        ("blender worker", bench_blender and bench_blender.run_benchmark),
        ("preview vs blender", bench_preview and bench_preview.run_benchmark),
    )


def main(argv: list[str] | None = None) -> int:
    rows = core_rows()
    print("== core: parse + validate + print ==")
    print(format_table(rows))
    big = rows[-1]["parse+validate ms"]
    verdict = "met" if big <= PARSE_TARGET_MS else "MISSED"
    print(f"1,000 objects parse+validate: {big:.1f} ms (target <= {PARSE_TARGET_MS:.0f} ms: {verdict}); "
          f"ratio 1000/100 objects: {big / rows[1]['parse+validate ms']:.1f}x")
    compare = baseline_rows()
    print("\n== core: parser vs the pre-speed-up baseline, measured in this run ==")
    print(format_table(compare))
    print(f"current / baseline: {compare[1]['ratio']:.2f} ({1 / compare[1]['ratio']:.1f}x faster)", flush=True)
    print("\n== core: a 1,000-copy array (groups, instances, arrays) ==")
    print(format_table(array_rows()), flush=True)
    for title, run_benchmark in layer_benchmarks():
        if run_benchmark is None:
            print(f"\n== {title}: not available ==")
            continue
        print(f"\n== {title} ==", flush=True)
        print(format_table(run_benchmark()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
