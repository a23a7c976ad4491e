"""The layers depend one way: stages -> backends -> compiler -> scenelang (core) -> grammar.

Every import in every module (top level or inside functions) is checked. The command-line and
tooling modules of the core folder (`cli*.py`, `demo.py`, `gallery.py`, `benchmarks.py`) sit on
top of everything and may import any layer.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RANK = {"grammar": 0, "core": 1, "compiler": 2, "backends": 3, "stages": 4}
FOLDER_LAYER = {"grammar": "grammar", "scenelang": "core", "compiler": "compiler",
                "backends": "backends", "stages": "stages"}
APPLICATION = ("cli", "demo", "gallery", "benchmarks", "__main__")


def layer_of_module(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "scenelang":
        return None
    if len(parts) > 1 and parts[1] in ("grammar", "compiler", "backends", "stages"):
        return parts[1]
    return "core"


def modules():
    for folder, layer in FOLDER_LAYER.items():
        for path in sorted((ROOT / folder).glob("*.py")):
            if layer == "core" and path.stem.startswith(APPLICATION):
                continue
            yield pytest.param(path, layer, id=f"{folder}/{path.name}")


@pytest.mark.parametrize("path, layer", list(modules()))
def test_imports_point_down_the_layers(path, layer):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            target = layer_of_module(name)
            assert target is None or RANK[target] <= RANK[layer], (
                f"{path.relative_to(ROOT)}:{node.lineno} imports {name} ({target} layer) "
                f"from the {layer} layer")
            assert name.split(".")[0] not in ("bpy", "bmesh", "mathutils") or layer in (
                "backends", "stages"), f"{path.relative_to(ROOT)}:{node.lineno} imports Blender"


def test_no_generic_top_level_packages_are_installed(tmp_path):
    """Installed, the layers exist only inside `scenelang` (run away from the source tree)."""
    code = ("import importlib.util, pathlib, scenelang.compiler as c; "
            "print(pathlib.Path(c.__file__).parent.name); "
            "print([n for n in ('compiler', 'backends', 'stages', 'grammar') "
            "if importlib.util.find_spec(n) is not None])")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": ""}).stdout
    assert out.split("\n")[:2] == ["compiler", "[]"]
