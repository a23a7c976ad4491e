"""Every test that runs Blender carries the `blender` marker (docs/testing.md, "Markers").

For a test without the marker, `arm` (before its fixtures are set up) puts `blender_guard/` first
on PYTHONPATH, whose `sitecustomize` records any `import bpy` in a child Python process (the bpy
wheel is how Blender runs: the renderer, the persistent worker, `python -c "import bpy"`,
CLI subprocesses, batch workers), and installs the same recorder in this process. `check` (after
teardown) restores the environment and fails the test when Blender was started. A fixture that
first starts Blender for a marked test and is then reused by an unmarked one is not seen.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

LOG_ENV = "SCENELANG_TEST_BPY_LOG"
SITE = Path(__file__).parent / "blender_guard"
_ARMED = pytest.StashKey[tuple]()


class _RecordBpyImports:
    """The in-process twin of `blender_guard/sitecustomize.py`."""

    def find_spec(self, name, path=None, target=None):
        log = os.environ.get(LOG_ENV)
        if name == "bpy" and log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"pid {os.getpid()} (the pytest process): import bpy\n")
        return None


def install() -> None:
    if not any(isinstance(f, _RecordBpyImports) for f in sys.meta_path):
        sys.meta_path.insert(0, _RecordBpyImports())


def arm(item: pytest.Item) -> None:
    if item.get_closest_marker("blender") is not None:
        return
    fd, log = tempfile.mkstemp(prefix="scenelang-bpy-guard-", suffix=".log")
    os.close(fd)
    saved = (os.environ.get(LOG_ENV), os.environ.get("PYTHONPATH"))
    item.stash[_ARMED] = (log, saved)
    os.environ[LOG_ENV] = log
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE), saved[1]) if p)


def check(item: pytest.Item) -> None:
    armed = item.stash.get(_ARMED, None)
    if armed is None:
        return
    del item.stash[_ARMED]
    log, (log_env, pythonpath) = armed
    for key, value in ((LOG_ENV, log_env), ("PYTHONPATH", pythonpath)):
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        seen = Path(log).read_text(encoding="utf-8")
    finally:
        Path(log).unlink(missing_ok=True)
    if seen:
        pytest.fail(f"{item.nodeid} runs Blender (imports bpy) but is not marked "
                    f"@pytest.mark.blender:\n{seen}", pytrace=False)
