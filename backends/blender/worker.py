"""The Blender worker process: imports bpy once, then runs many compiled scene scripts.

Run by `scenelang.backends.blender.runner.BlenderWorker`, never by hand:

    python -m scenelang.backends.blender.worker                       (the bpy wheel)
    blender -b --factory-startup --python worker.py --         (an external Blender)

This file uses only the standard library and bpy, so Blender's own Python can run it as a plain
file. Protocol: one JSON object per line on stdin, one JSON reply per line on the protocol pipe
(the original stdout). Blender's and the scripts' own output (file descriptors 1 and 2) goes to
the job's log file, so it can never corrupt the protocol.

Jobs:
    {"op": "run", "id": N, "script": PATH, "argv": [...], "log": PATH, "reset": BOOL}
        -> {"id": N, "ok": true, "seconds": S}
        -> {"id": N, "ok": false, "error": "ValueError: ...", "lines": [script line numbers,
            innermost first]}
    {"op": "ping", "id": N} -> {"id": N, "ok": true}
    {"op": "quit"} -> exits

Every compiled script starts by resetting Blender to empty factory settings, so the worker does
not repeat it; a job with `"reset": true` (sent after a failed job) resets first. The script (already
checked by `scenelang.compiler.check_script`) is executed as a module whose `__name__` is not
`__main__`, and its `main(argv)` is called.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
import time
import traceback


def _flush_c_stdio() -> None:
    """Flush C-level stdout/stderr buffers (Blender prints through them)."""
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass


class _Redirect:
    """Point file descriptors 1 and 2 at a log file for the duration of a job."""

    def __init__(self, path: str, fallback_fd: int):
        self.path = path
        self.fallback_fd = fallback_fd

    def __enter__(self):
        sys.stdout.flush()
        sys.stderr.flush()
        _flush_c_stdio()
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(self.fd, 1)
        os.dup2(self.fd, 2)
        return self

    def __exit__(self, *exc):
        sys.stdout.flush()
        sys.stderr.flush()
        _flush_c_stdio()
        os.dup2(self.fallback_fd, 1)
        os.dup2(self.fallback_fd, 2)
        os.close(self.fd)
        return False


def _script_lines(tb, script: str) -> list[int]:
    """Line numbers of the traceback's frames inside `script`, innermost first."""
    frames = traceback.extract_tb(tb)
    return [f.lineno for f in reversed(frames) if f.filename == script and f.lineno]


def run_job(job: dict, fallback_fd: int) -> dict:
    import bpy  # lazy: the worker imports Blender only once its protocol is set up

    reply: dict = {"id": job.get("id")}
    script = job["script"]
    start = time.perf_counter()
    with _Redirect(job["log"], fallback_fd):
        try:
            if job.get("reset"):
                bpy.ops.wm.read_factory_settings(use_empty=True)
            with open(script, encoding="utf-8") as handle:
                code = compile(handle.read(), script, "exec")
            namespace = {"__name__": "scenelang_scene", "__file__": script}
            exec(code, namespace)  # a compiled, checked scene script (see module docstring)
            status = namespace["main"](list(job.get("argv", [])))
            if status not in (0, None):
                raise RuntimeError(f"main() returned {status!r}")
            reply.update(ok=True)
        except SystemExit as exc:
            ok = exc.code in (0, None)
            reply.update(ok=ok)
            if not ok:
                reply.update(error=f"the script exited with status {exc.code!r}", lines=[])
        except Exception as exc:  # reported to the parent, the worker keeps serving
            traceback.print_exc()
            reply.update(ok=False, error=f"{type(exc).__name__}: {exc}"[:2000],
                         lines=_script_lines(exc.__traceback__, script))
    reply["seconds"] = time.perf_counter() - start
    return reply


def serve() -> int:
    # The protocol keeps the original stdout; fd 1 and 2 then point at the worker's base log
    # (its stderr as given by the parent), and at each job's own log while the job runs.
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    base_fd = os.dup(2)
    os.dup2(base_fd, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", closefd=False)

    def send(message: dict) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    import bpy  # lazy: as in run_job

    send({"ready": True, "pid": os.getpid(), "blender": bpy.app.version_string})
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        op = job.get("op")
        if op == "quit":
            break
        if op == "ping":
            send({"id": job.get("id"), "ok": True})
        elif op == "run":
            send(run_job(job, base_fd))
        else:
            send({"id": job.get("id"), "ok": False, "error": f"unknown op {op!r}", "lines": []})
    return 0


if __name__ == "__main__":
    sys.exit(serve())
