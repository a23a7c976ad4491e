"""Running compiled scenes in Blender: one-shot subprocesses and a persistent worker.

- `render_scene(scene, png, ...)`: compile, run in Blender, return a `RenderResult`.
- `BlenderWorker`: a context manager around one long-lived Blender process (the bpy wheel, or an
  external Blender) that renders many scenes without paying Blender's start-up each time. A
  crash or a timeout is reported as `BlenderError` and the process is restarted for the next job.
- `BlenderError`: a short message (naming the `.sl` line when it can) plus the path of the full
  Blender log.

Blender always runs as a subprocess with an argument list (no shell), a timeout, a scratch
working directory and an environment without API keys. Which Blender: the `blender` argument,
else the `SCENELANG_BLENDER` environment variable (an executable, run as
`blender -b --factory-startup --python-exit-code 1 --python script.py -- ARGS`), else the bpy
wheel in this Python (`python script.py ARGS`). Logs are saved next to the PNG as `<stem>.log`.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scenelang.ast import Scene
from scenelang.compiler import check_script, compile_scene
from scenelang.compiler.settings import RenderSettings

DEFAULT_TIMEOUT = 300.0
"""Seconds a render may take before Blender is killed."""
STARTUP_TIMEOUT = 120.0
"""Seconds a persistent worker may take to import bpy and say it is ready."""
BLENDER_ENV = "SCENELANG_BLENDER"
WARNING_PREFIX = "scenelang-warning:"
SOURCE_COMMENT = re.compile(r"^\s*# (?P<where>\S+:\d+) (?P<what>.*)$")
TOP_LEVEL_DEF = re.compile(r"^def ")
WORKER_FILE = Path(__file__).with_name("worker.py")
NO_BPY = ("the bpy wheel is not installed in this Python (pip install 'scenelang[blender]') "
          "and no Blender executable was given (--blender PATH or $SCENELANG_BLENDER)")


class BlenderError(RuntimeError):
    """Blender failed: `message` is short (with the `.sl` line when known), `log_path` is the log."""

    def __init__(self, message: str, log_path: str | Path | None = None):
        self.message = message
        self.log_path = Path(log_path) if log_path else None
        super().__init__(message)

    def __str__(self) -> str:
        if self.log_path is None:
            return self.message
        return f"{self.message} (full Blender log: {self.log_path})"


@dataclass(frozen=True)
class RenderResult:
    """What a render produced. `seconds` is the wall time of the Blender part."""

    png: Path | None
    blend: Path | None
    seconds: float
    log_path: Path
    warnings: tuple[str, ...] = field(default=())


def clean_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for Blender: no API keys, tokens, secrets or passwords."""
    env = dict(os.environ if base is None else base)
    for key in list(env):
        upper = key.upper()
        if upper.endswith("API_KEY") or any(w in upper for w in ("TOKEN", "SECRET", "PASSWORD")):
            del env[key]
    return env


def find_blender(blender: str | Path | None = None) -> str | None:
    """The external Blender executable to use, or None for the bpy wheel."""
    chosen = str(blender) if blender else os.environ.get(BLENDER_ENV) or None
    if chosen is None:
        return None
    resolved = shutil.which(chosen)
    if resolved is None:
        raise BlenderError(f"Blender executable not found: {chosen}")
    return resolved


def script_command(script: Path, args: Sequence[str], blender: str | None) -> list[str]:
    """The argument list that runs a compiled script once."""
    if blender is None:
        return [sys.executable, str(script), *args]
    return [blender, "-b", "--factory-startup", "--python-exit-code", "1",
            "--python", str(script), "--", *args]


def worker_command(blender: str | None) -> list[str]:
    if blender is None:
        return [sys.executable, "-u", str(WORKER_FILE)]
    return [blender, "-b", "--factory-startup", "--python-exit-code", "1",
            "--python", str(WORKER_FILE), "--"]


def source_location(script_text: str, lines: Sequence[int]) -> str | None:
    """`scene.sl:12 object ball_1` for the first of `lines` (script line numbers, innermost
    frame first) that lies in a block carrying a source comment; None if none does."""
    text_lines = script_text.splitlines()
    for lineno in lines:
        for index in range(min(lineno, len(text_lines)) - 1, -1, -1):
            line = text_lines[index]
            match = SOURCE_COMMENT.match(line)
            if match:
                return f"{match['where']} ({match['what']})"
            if TOP_LEVEL_DEF.match(line):
                break
    return None


def traceback_lines(log_text: str, script: Path) -> list[int]:
    """Script line numbers in the last Python traceback of a log, innermost first."""
    pattern = re.compile(r'File "' + re.escape(str(script)) + r'", line (\d+)')
    start = log_text.rfind("Traceback (most recent call last)")
    if start < 0:
        return []
    return [int(n) for n in reversed(pattern.findall(log_text[start:]))]


def last_error_line(log_text: str) -> str:
    """The last non-empty line of a log (usually the exception), shortened."""
    for line in reversed(log_text.splitlines()):
        if line.strip():
            return line.strip()[:300]
    return "no output"


def log_warnings(log_path: Path) -> tuple[str, ...]:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    return tuple(line[len(WARNING_PREFIX):].strip() for line in text.splitlines()
                 if line.startswith(WARNING_PREFIX))


def _failure(error: str, script_text: str, lines: Sequence[int], log_path: Path) -> BlenderError:
    where = source_location(script_text, lines)
    message = f"{where}: {error}" if where else f"Blender failed: {error}"
    return BlenderError(message, log_path)


def _kill(process: subprocess.Popen) -> None:
    """Kill a process and everything it started (it runs in its own session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()


def _outputs(png: str | Path | None, blend: str | Path | None) -> tuple[Path | None, Path | None,
                                                                       Path]:
    png = Path(png).resolve() if png else None
    blend = Path(blend).resolve() if blend else None
    anchor = png or blend
    if anchor is None:
        raise ValueError("nothing to produce: give a PNG path, a .blend path or both")
    anchor.parent.mkdir(parents=True, exist_ok=True)
    if blend is not None:
        blend.parent.mkdir(parents=True, exist_ok=True)
    return png, blend, anchor.with_suffix(".log")


def _script_args(png: Path | None, blend: Path | None, settings: RenderSettings) -> list[str]:
    args = settings.script_args()
    if png is not None:
        args += ["--render", str(png)]
    if blend is not None:
        args += ["--blend", str(blend)]
    return args


def run_script_once(script_text: str, args: Sequence[str], log_path: Path, *,
                    timeout: float = DEFAULT_TIMEOUT, blender: str | None = None) -> float:
    """Run a checked script in a fresh Blender process; returns the wall time in seconds."""
    with tempfile.TemporaryDirectory(prefix="scenelang-blender-") as scratch:
        script = Path(scratch) / "scene.py"
        script.write_text(script_text, encoding="utf-8")
        command = script_command(script, args, blender)
        start = time.perf_counter()
        with open(log_path, "w", encoding="utf-8") as log:
            try:
                process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT, cwd=scratch,
                                           env=clean_env(), start_new_session=True)
            except OSError as exc:
                raise BlenderError(f"cannot start Blender ({command[0]}): {exc}", log_path) from None
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill(process)
                raise BlenderError(f"Blender timed out after {timeout:g} s", log_path) from None
        seconds = time.perf_counter() - start
        if code != 0:
            text = log_path.read_text(encoding="utf-8", errors="replace")
            error = last_error_line(text)
            if "No module named 'bpy'" in text:
                error = NO_BPY
            raise _failure(error, script_text, traceback_lines(text, script), log_path)
    return seconds


def render_scene(scene: Scene, png: str | Path | None, *, blend: str | Path | None = None,
                 settings: RenderSettings | None = None, timeout: float = DEFAULT_TIMEOUT,
                 worker: BlenderWorker | None = None, blender: str | Path | None = None,
                 apply_csg: bool = False, source_file: str | None = None) -> RenderResult:
    """Compile `scene`, render it to `png` and/or save it to `blend`.

    settings: render settings (default `RenderSettings()`: Cycles CPU, 32 samples, seed 0, camera
    resolution). timeout: seconds before Blender is killed (default 300). worker: a running
    `BlenderWorker` to use instead of a new process. blender: an external Blender executable
    (default: `$SCENELANG_BLENDER`, else the bpy wheel). Raises BlenderError on failure.
    """
    settings = settings or RenderSettings()
    if worker is not None:
        return worker.render(scene, png, blend=blend, settings=settings, timeout=timeout,
                             apply_csg=apply_csg, source_file=source_file)
    png_path, blend_path, log_path = _outputs(png, blend)
    text = compile_scene(scene, apply_csg=apply_csg, source_file=source_file, settings=settings)
    seconds = run_script_once(text, _script_args(png_path, blend_path, settings), log_path,
                              timeout=timeout, blender=find_blender(blender))
    return RenderResult(png_path, blend_path, seconds, log_path, log_warnings(log_path))


class BlenderWorker:
    """One persistent Blender process rendering many scenes (a context manager).

    blender: external Blender executable (default: `$SCENELANG_BLENDER`, else the bpy wheel).
    timeout: default seconds per job (300). log_dir: where the worker's own log goes (default: a
    temporary directory). The process starts lazily on the first job and restarts after a crash
    or timeout; `close()` (or leaving the `with` block) stops it.
    """

    restarts: int
    """How many times the process was killed after a crash or timeout (restarted lazily)."""

    def __init__(self, *, blender: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT,
                 log_dir: str | Path | None = None):
        self.blender = find_blender(blender)
        self.timeout = timeout
        self._scratch = tempfile.TemporaryDirectory(prefix="scenelang-worker-")
        self.log_dir = Path(log_dir) if log_dir else Path(self._scratch.name)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self._buffer = b""
        self._next_id = 0
        self._worker_log = None
        self._dirty = False  # the last job failed: reset Blender before the next one

    # ---------------------------------------------------------------- lifecycle
    def __enter__(self) -> BlenderWorker:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.poll() is None else None

    def start(self) -> None:
        """Start the process (if not running) and wait until bpy is imported."""
        if self.process is not None and self.process.poll() is None:
            return
        log_path = self.log_dir / "worker.log"
        self._worker_log = open(log_path, "a", encoding="utf-8")
        self._buffer = b""
        self.process = subprocess.Popen(
            worker_command(self.blender), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._worker_log, cwd=self._scratch.name, env=clean_env(),
            start_new_session=True)
        try:
            reply = self._read_reply(time.monotonic() + STARTUP_TIMEOUT, log_path)
        except (TimeoutError, BlenderError):
            reply = {}
        if not reply.get("ready"):
            self._stop()
            text = log_path.read_text(encoding="utf-8", errors="replace")
            reason = NO_BPY if "No module named 'bpy'" in text else last_error_line(text)
            raise BlenderError(f"the Blender worker did not start: {reason}", log_path)

    def close(self) -> None:
        """Ask the process to quit (kill it if it does not) and remove the scratch directory."""
        if self.process is not None and self.process.poll() is None:
            try:
                self.process.stdin.write(b'{"op": "quit"}\n')
                self.process.stdin.flush()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()
        self._scratch.cleanup()

    def _stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                _kill(self.process)
            for stream in (self.process.stdin, self.process.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.process = None
        if self._worker_log is not None:
            self._worker_log.close()
            self._worker_log = None
        self._dirty = False  # a fresh process needs no reset

    # ---------------------------------------------------------------- protocol
    def _read_reply(self, deadline: float, log_path: Path) -> dict:
        """The next JSON object line from the worker; BlenderError on timeout or exit.

        Lines that are not JSON objects (an external Blender prints its banner on stdout before
        the worker script takes over the descriptors) are copied to the worker log and skipped.
        """
        while True:
            line = self._read_line(deadline, log_path)
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if isinstance(message, dict):
                return message
            if self._worker_log is not None:
                self._worker_log.write(line.decode("utf-8", "replace") + "\n")
                self._worker_log.flush()

    def _read_line(self, deadline: float, log_path: Path) -> bytes:
        assert self.process is not None and self.process.stdout is not None
        fd = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                if not selector.select(remaining):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    code = self.process.wait()
                    raise BlenderError(f"the Blender worker exited unexpectedly (status {code})",
                                       log_path)
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def run_script(self, script_text: str, args: Sequence[str], log_path: str | Path, *,
                   timeout: float | None = None) -> float:
        """Run a checked script's `main(args)` in the worker; returns the seconds it took.

        On failure raises BlenderError; after a timeout or a crash the process is killed and a
        fresh one starts with the next job.
        """

        check_script(script_text)
        timeout = self.timeout if timeout is None else timeout
        log_path = Path(log_path)
        log_path.write_text("", encoding="utf-8")
        self._next_id += 1
        script = Path(self._scratch.name) / f"scene-{self._next_id}.py"
        script.write_text(script_text, encoding="utf-8")
        try:
            if self.process is None or self.process.poll() is not None:
                self._stop()
                self.start()
            job = {"op": "run", "id": self._next_id, "script": str(script), "argv": list(args),
                   "log": str(log_path), "reset": self._dirty}
            self._dirty = True
            assert self.process is not None and self.process.stdin is not None
            start = time.perf_counter()
            try:
                self.process.stdin.write((json.dumps(job) + "\n").encode())
                self.process.stdin.flush()
                reply = self._read_reply(time.monotonic() + timeout, log_path)
            except TimeoutError:
                self.restarts += 1
                self._stop()
                raise BlenderError(f"Blender timed out after {timeout:g} s", log_path) from None
            except (BlenderError, BrokenPipeError) as exc:
                self.restarts += 1
                self._stop()
                message = getattr(exc, "message", "the Blender worker exited unexpectedly")
                raise BlenderError(message, log_path) from None
            seconds = time.perf_counter() - start
            self._dirty = not reply.get("ok")
            if not reply.get("ok"):
                raise _failure(reply.get("error", "unknown error"), script_text,
                               reply.get("lines", []), log_path)
            return seconds
        finally:
            script.unlink(missing_ok=True)

    def render(self, scene: Scene, png: str | Path | None, *, blend: str | Path | None = None,
               settings: RenderSettings | None = None, timeout: float | None = None,
               apply_csg: bool = False, source_file: str | None = None) -> RenderResult:
        """Like `render_scene`, in this worker."""
        settings = settings or RenderSettings()
        png_path, blend_path, log_path = _outputs(png, blend)
        text = compile_scene(scene, apply_csg=apply_csg, source_file=source_file,
                             settings=settings)
        seconds = self.run_script(text, _script_args(png_path, blend_path, settings), log_path,
                                  timeout=timeout)
        return RenderResult(png_path, blend_path, seconds, log_path, log_warnings(log_path))
