"""`make demo`: a tour of scenelang on the bundled files, ending in an offline reconstruction.

1. checks and formats an example scene,
2. applies a patch to it and prints the diff back,
3. reconstructs `examples/demo/target.png` (an image the project rendered from
   `examples/demo/demo_scene.sl`) with the offline proposer into `runs/demo/`, and prints where
   `final.sl`, `final.blend`, the renders and `report.html` are.

No network is needed. Run from the repository root (`make demo` does).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from scenelang.cli.console import Console, console
from scenelang.cli.main import main as cli
from scenelang.parser import load_scene

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "table_bowl.sl"
DEMO_TARGET = ROOT / "examples" / "demo" / "target.png"
RUN_DIR = ROOT / "runs" / "demo"

out = Console(stderr=False)
"""The tour's own lines go to standard output, between the commands' output."""

DEMO_PATCH = """\
patch materials {
  set {material}.roughness = 0.15
}
"""


def step(title: str) -> None:
    out.print()
    out.heading(f"== {title}")


def first_example() -> Path:
    if EXAMPLE.exists():
        return EXAMPLE
    return sorted((ROOT / "examples").glob("*.sl"))[0]


def main() -> int:
    example = first_example()
    step(f"scenelang check {example.relative_to(ROOT)}")
    if cli(["check", str(example)]) != 0:
        return 1
    step(f"scenelang fmt --check {example.relative_to(ROOT)}")
    if cli(["fmt", "--check", str(example)]) != 0:
        return 1
    print("canonical")

    scene = load_scene(example)
    materials = [m.name for m in scene.materials.statements]
    if materials:
        with tempfile.TemporaryDirectory() as tmp:
            patch = Path(tmp) / "shiny.slp"
            patch.write_text(DEMO_PATCH.replace("{material}", materials[0]))
            patched = Path(tmp) / "patched.sl"
            step(f"scenelang patch (make '{materials[0]}' shiny)")
            print(patch.read_text(), end="")
            if cli(["patch", str(example), str(patch), "-o", str(patched)]) != 0:
                return 1
            step("scenelang diff original patched (the patch back)")
            if cli(["diff", str(example), str(patched)]) != 1:  # 1: the scenes differ, as git
                return 1

    step(f"scenelang reconstruct {DEMO_TARGET.relative_to(ROOT)} -o {RUN_DIR.relative_to(ROOT)}")
    if RUN_DIR.exists():
        shutil.rmtree(RUN_DIR)
    code = cli(["reconstruct", str(DEMO_TARGET), "-o", str(RUN_DIR)])
    if code != 0:
        console.print("reconstruction failed")
        return code
    step("results")
    for name in ("final.sl", "final.blend", "final.png", "report.html"):
        path = RUN_DIR / name
        state = "" if path.exists() else "  (missing!)"
        print(f"  {name:12s} {path.relative_to(ROOT)}{state}")
    print(f"  {'renders':12s} {(RUN_DIR / 'stages').relative_to(ROOT)}/*/step-*/render.png")
    print("\nOpen the report in a browser, or the .blend in Blender, to look at the result.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
