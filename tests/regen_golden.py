"""Regenerate the golden images compared by tests/backends/test_blender.py.

    .venv/bin/python tests/regen_golden.py            # every example and golden test scene
    .venv/bin/python tests/regen_golden.py csg        # only the named ones

Renders with exactly the test's settings (Cycles, 16 samples, seed 0, 128 px longer side) into
tests/golden/<name>.png. Look at the images before committing them.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "backends"))

from test_blender import GOLDEN_DIR, golden_cases, golden_settings

from scenelang.backends.blender.runner import BlenderWorker
from scenelang.parser import load_scene


def main(names: list[str]) -> int:
    cases = [c for c in golden_cases() if not names or c[0] in names]
    if names and len(cases) != len(names):
        known = ", ".join(c[0] for c in golden_cases())
        print(f"unknown golden name(s); known: {known}", file=sys.stderr)
        return 1
    with BlenderWorker() as worker:
        for name, path in cases:
            scene = load_scene(path)
            png = GOLDEN_DIR / f"{name}.png"
            result = worker.render(scene, png, settings=golden_settings(scene),
                                   source_file=path.name)
            result.log_path.unlink(missing_ok=True)
            print(f"{png}  ({result.seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
