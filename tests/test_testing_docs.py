"""docs/testing.md stays true: every test it names exists, its claims table covers every
documentation page, the markers mean what they say, and `make stress` raises every property test
to 500 examples."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path

from hypothesis import settings
from strategies import STRESS_EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
TESTING_MD = ROOT / "docs" / "testing.md"
CLAIMS_HEADING = "## Documented claims and their tests"
PAGES = ("README.md", "docs/architecture.md", "docs/language.md", "docs/reconstruction.md",
         "docs/benchmark.md", "docs/clevr.md", "docs/batch.md", "docs/testing.md", "docs/api.md",
         "docs/watch.md", "docs/lsp.md", "docs/import.md", "docs/blender-addon.md")
"""The pages whose claims the table maps."""

REFERENCE = re.compile(r"`((?:tests/)?[\w/]*test_\w+\.py)::(\w+)(?:\[[^\]`]*\])?`")


@cache
def _test_files() -> dict[str, list[Path]]:
    by_name: dict[str, list[Path]] = {}
    for path in TESTS.rglob("test_*.py"):
        by_name.setdefault(path.name, []).append(path)
    return by_name


@cache
def functions_of(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(node.name for node in ast.walk(tree)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))


def resolve(file: str) -> list[Path]:
    """`tests/stages/test_x.py`, `stages/test_x.py` or a bare `test_x.py` (unique in tests/)."""
    if "/" in file:
        path = ROOT / file if file.startswith("tests/") else TESTS / file
        return [path] if path.exists() else []
    return _test_files().get(file, [])


def claims_rows() -> list[list[str]]:
    text = TESTING_MD.read_text(encoding="utf-8")
    assert CLAIMS_HEADING in text, f"docs/testing.md has no section {CLAIMS_HEADING!r}"
    section = text.split(CLAIMS_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and not set(cells[0]) <= {"-", ":"} \
                and cells[0] != "page":
            rows.append(cells)
    return rows


def test_every_test_named_in_docs_testing_md_exists():
    text = TESTING_MD.read_text(encoding="utf-8")
    references = REFERENCE.findall(text)
    assert len(references) >= 100
    missing = []
    for file, name in references:
        paths = resolve(file)
        if len(paths) != 1 or name not in functions_of(paths[0]):
            missing.append(f"{file}::{name}" + (" (file name not unique)" if len(paths) > 1
                                                else ""))
    assert not missing, "docs/testing.md names tests that do not exist:\n" + "\n".join(missing)


def test_the_claims_table_covers_every_page_and_every_row_names_a_test_or_a_measurement():
    rows = claims_rows()
    assert {page for page, _, _ in rows} >= set(PAGES)
    assert {page for page, _, _ in rows} <= set(PAGES) | {
        str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")}
    for page, claim, test in rows:
        assert claim, f"a row of {page} has no claim"
        assert REFERENCE.search(test) or test.startswith("measurement"), (
            f"{page}: {claim!r} names no test ({test!r})")


def test_make_stress_raises_every_property_test_to_500_examples():
    assert STRESS_EXAMPLES == 500 and settings.get_profile("stress").max_examples == 500
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    stress = makefile.split("\nstress:", 1)[1].split("\n\n", 1)[0]
    assert "SCENELANG_STRESS=1" in stress and '-m "blender or slow or property"' in stress
    # a test that sets its own count overrides the profile, so it must go through
    # `strategies.examples(n)`, which gives max(n, 500) under stress (no smaller stress count)
    offenders = []
    for path in TESTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg != "max_examples" or path.name in ("conftest.py", "strategies.py"):
                    continue
                value = kw.value
                ok = (isinstance(value, ast.Call) and getattr(value.func, "id", None) == "examples"
                      and not any(k.arg == "stress" for k in value.keywords))
                if not ok:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, "max_examples not raised to 500 by make stress: " + ", ".join(offenders)


def test_a_test_that_starts_blender_without_the_blender_marker_fails(tmp_path):
    """The guard of tests/conftest.py (tests/blender_guard.py), run on a throw-away suite. The
    child asks the import system for `bpy` (find_spec) without loading Blender, which is what
    every start of the bpy wheel does first."""
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        import blender_guard
        import pytest

        blender_guard.install()

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_setup(item):
            blender_guard.arm(item)

        @pytest.hookimpl(trylast=True)
        def pytest_runtest_teardown(item):
            blender_guard.check(item)
        """))
    (tmp_path / "test_guarded.py").write_text(textwrap.dedent("""
        import subprocess, sys
        import pytest

        PROBE = "import importlib.util; importlib.util.find_spec('bpy')"

        def test_unmarked_starts_blender():
            subprocess.run([sys.executable, "-c", PROBE], check=True)

        @pytest.mark.blender
        def test_marked_starts_blender():
            subprocess.run([sys.executable, "-c", PROBE], check=True)

        def test_unmarked_without_blender():
            subprocess.run([sys.executable, "-c", "print(1)"], check=True)
        """))
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    env.pop("SCENELANG_TEST_BPY_LOG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o",
         "markers=blender: runs Blender", "-rA", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "3 passed, 1 error" in out, out
    assert re.search(r"ERROR .*test_unmarked_starts_blender", out), out
    assert "not marked @pytest.mark.blender" in out, out
