"""`make demo`, the README's first command, runs to the end (real Blender, offline proposer)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.blender
@pytest.mark.slow
def test_the_demo_runs_every_step_and_says_where_the_results_are():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py")], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = proc.stdout
    for step in ("== scenelang check", "== scenelang fmt --check", "== scenelang patch",
                 "== scenelang diff", "== scenelang reconstruct"):
        assert step in out, step
    assert "final.sl" in out and "report.html" in out and "Traceback" not in proc.stderr
