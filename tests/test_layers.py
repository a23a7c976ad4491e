"""The layering rules that import-linter cannot express, checked on every module.

The layer contracts themselves (cli > stages > backends > compiler > language core > grammar,
and the rooms inside stages/) are import-linter contracts in `pyproject.toml`, run by
`make test` (`lint-imports`); `test_import_contracts_hold` runs them here too, so a plain
`pytest` run checks them as well. What this file adds:

* imports are at module level, so every tool sees the real graph; a function-level import is
  allowed only for a heavy optional dependency (`LAZY_ALLOWED`), or in a CLI command module for
  the heavy layer a single command needs (`LAZY_COMMAND_LAYERS`: importing the reconstruction
  layer costs every command about 1 s of start-up, measured), or in the two modules listed in
  `LAZY_IN_MODULE` (the package's PEP 562 `__getattr__` and the API), each with a comment;
* nothing loads the project's own code through `importlib.import_module` strings;
* installed, the layers exist only inside `scenelang` (no generic top-level packages).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYER_FOLDERS = ("grammar", "scenelang", "compiler", "backends", "stages", "lsp", "cli")
LAZY_ALLOWED = {"bpy", "bmesh", "mathutils", "openai", "ray", "pyarrow", "pygls"}
"""Heavy or optional dependencies that may be imported inside a function."""
LAZY_COMMAND_LAYERS = ("scenelang.stages", "scenelang.backends", "scenelang.lsp")
"""What a `cli/` command module may import inside its handler (with a reason)."""
LAZY_IN_MODULE = {
    # PEP 562: `scenelang.parse` etc. import the API on first use, so that `import scenelang.ast`
    # (the Blender worker, the language core) loads neither the API nor the stages
    "scenelang/__init__.py": ("scenelang.api",),
    # the API is what the CLI commands call: it defers the same heavy layers a command does
    "scenelang/api.py": ("scenelang.stages", "scenelang.backends"),
}
"""The only other modules allowed a function-level import of project code, and of what."""


def source_files():
    """Every .py file of the layers, once (the links scenelang/<layer> are not followed)."""
    for folder in LAYER_FOLDERS:
        for dirpath, _dirs, files in sorted(os.walk(ROOT / folder, followlinks=False)):
            for name in sorted(files):
                if name.endswith(".py"):
                    path = Path(dirpath) / name
                    yield pytest.param(path, id=str(path.relative_to(ROOT)))


def _function_imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    yield inner, [a.name for a in inner.names]
                elif isinstance(inner, ast.ImportFrom):
                    yield inner, ["." * inner.level + (inner.module or "")]


def _comment_above(lines: list[str], index: int) -> bool:
    """A comment line among the lines above `index`, up to the enclosing `def`."""
    for line in reversed(lines[:index]):
        text = line.strip()
        if text.startswith("#"):
            return True
        if text.startswith(("def ", "async def ")):
            return False
    return False


@pytest.mark.parametrize("path", list(source_files()))
def test_imports_are_at_module_level(path: Path):
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for node, names in _function_imports(ast.parse(text, str(path))):
        for name in names:
            top = name.split(".")[0]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            command = path.parent.name == "cli" and name.startswith(LAZY_COMMAND_LAYERS)
            listed = name.startswith(LAZY_IN_MODULE.get(path.relative_to(ROOT).as_posix(), ()))
            assert top in LAZY_ALLOWED or command or listed, f"{where}: function-level import of {name}"
            reason = "#" in lines[node.lineno - 1] or _comment_above(lines, node.lineno - 1)
            assert reason, f"{where}: lazy import of {name} without a reason (a comment on it or above)"


@pytest.mark.parametrize("path", list(source_files()))
def test_no_string_imports_of_project_code(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__"):
            arg = node.args[0] if node.args else None
            assert not (isinstance(arg, ast.Constant) and str(arg.value).startswith("scenelang")), (
                f"{path.relative_to(ROOT)}:{node.lineno} imports project code by string")
            assert isinstance(arg, ast.Constant), (
                f"{path.relative_to(ROOT)}:{node.lineno} imports a computed module name")


def test_layer_folders_are_linked_into_the_package():
    """Folder paths match import names: scenelang/<layer> links to the layer folder."""
    for folder in ("grammar", "compiler", "backends", "stages", "lsp", "cli"):
        link = ROOT / "scenelang" / folder
        assert link.is_symlink() and link.resolve() == (ROOT / folder).resolve(), link


def test_import_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a test dependency (pip install -e '.[test]')"
    proc = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_no_generic_top_level_packages_are_installed(tmp_path):
    """Installed, the layers exist only inside `scenelang` (run away from the source tree)."""
    code = ("import importlib.util, pathlib, scenelang.compiler as c; "
            "print(pathlib.Path(c.__file__).parent.name); "
            "print([n for n in ('compiler', 'backends', 'stages', 'grammar', 'lsp', 'cli') "
            "if importlib.util.find_spec(n) is not None])")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": ""}).stdout
    assert out.split("\n")[:2] == ["compiler", "[]"]
