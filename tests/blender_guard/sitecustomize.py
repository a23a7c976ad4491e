"""Loaded by every Python child process of an unmarked test (tests/blender_guard.py puts this
folder first on PYTHONPATH): records an attempt to import `bpy` (Blender) in the file named by
$SCENELANG_TEST_BPY_LOG, then lets the import go ahead. The test is failed afterwards, since it
runs Blender without the `blender` marker."""

import os
import sys


class _RecordBpyImports:
    def find_spec(self, name, path=None, target=None):
        log = os.environ.get("SCENELANG_TEST_BPY_LOG")
        if name == "bpy" and log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"pid {os.getpid()}: {' '.join(sys.argv)[:300]}\n")
        return None


sys.meta_path.insert(0, _RecordBpyImports())
