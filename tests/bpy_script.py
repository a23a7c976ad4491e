"""Run a small bpy script with the bpy wheel in a clean environment (Blender's own Python):
the shared way tests write a .blend by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scenelang.backends.blender.runner import clean_env


def write_blend(script: str, blend: Path, timeout: float = 120) -> Path:
    """Run `script` (it saves to `sys.argv[-1]`) with `blend` as its last argument; the test
    fails with the end of Blender's stderr when it does not exit 0. Returns `blend`."""
    proc = subprocess.run([sys.executable, "-c", script, str(blend)], capture_output=True,
                          text=True, timeout=timeout, env=clean_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    return blend
