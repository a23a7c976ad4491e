"""Render examples/demo/target.png from examples/demo/demo_scene.sl (Cycles, 320x240).

Run from the repository root: `.venv/bin/python scripts/make_demo_target.py [--samples N]`.
The PNG is what `make demo` reconstructs; re-run this after editing the demo scene.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENE = ROOT / "examples" / "demo" / "demo_scene.sl"
TARGET = ROOT / "examples" / "demo" / "target.png"


def main(argv: list[str] | None = None) -> int:
    from scenelang.backends.blender.runner import render_scene
    from scenelang.compiler.settings import RenderSettings
    from scenelang.parser import load_scene

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=64, help="Cycles samples (default 64)")
    args = parser.parse_args(argv)
    scene = load_scene(SCENE)
    result = render_scene(scene, TARGET, settings=RenderSettings(samples=args.samples, size=(320, 240)))
    result.log_path.unlink(missing_ok=True)  # keep only the PNG in examples/
    print(f"wrote {TARGET.relative_to(ROOT)} ({TARGET.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
