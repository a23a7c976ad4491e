"""`scenelang watch SCENE [-o PNG] [--engine preview|cycles]`: re-check and re-render on every save.

    scenelang watch scene.sl                 # writes scene.png beside it, with the preview
    scenelang watch scene.sl -o out.png --engine cycles --size 320 240 --samples 16

On start and after every change the scene is parsed and validated; its diagnostics print as
`scenelang check` prints them (FILE:LINE:COL, the source line and a caret). A valid scene is
rendered to PNG (default: SCENE with the suffix `.png`) with the preview renderer (default,
milliseconds, no Blender) or Cycles (`--engine cycles`, in one persistent Blender worker started
on the first render, so later renders skip Blender's start-up). The PNG is written to a temporary
file and renamed onto PNG, so an image viewer that keeps it open never shows half an image; an
invalid scene leaves the last good PNG in place. Each new PNG's path is printed on standard
output.

Change detection polls, every `--interval` seconds (default `DEFAULT_INTERVAL`, 0.3 s), the
file's modification time, size and content hash (SHA-256 of at most 4 MiB, the parser's input
limit), so no file-system notification library is needed and saving through a rename, a copy or
a network file system all work. A change is acted on once the file has stayed the same for one
interval (debounce: an editor's save in several writes gives one render), so a render starts 0.3
to 0.6 s after a save. Saving an unchanged file does nothing. A file deleted while watching is
waited for (one message) and rebuilt when it returns; a file that cannot be read at start is an
error (exit 3).

`--once` checks and renders once and exits: 0 rendered, 1 invalid (or a failed render), 3
unreadable. Otherwise the command runs until Ctrl-C (or SIGTERM), which stops it cleanly (a
Blender worker is killed, temporary files removed) with exit code 130.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import time
from pathlib import Path
from typing import Any

from scenelang import api
from scenelang.backends.blender.runner import DEFAULT_TIMEOUT, BlenderError, BlenderWorker
from scenelang.cli.args import image_side, positive_float, sample_count
from scenelang.cli.console import console
from scenelang.cli.files import (
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_IO,
    EXIT_OK,
    EXIT_USAGE,
    STDIO,
    InputOutputError,
    check_writable,
    read_bytes,
    read_text,
)
from scenelang.errors import SceneError

DEFAULT_INTERVAL = 0.3
"""Seconds between two looks at the file (and the debounce delay)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("watch", help="re-check and re-render a scene on every save",
                       description="Watch SCENE: on every save print its diagnostics (like "
                                   "check) and, when it is valid, render it to PNG (default: "
                                   "SCENE.png) with the preview, or Cycles with --engine cycles. "
                                   "The PNG is replaced atomically. Ctrl-C stops (exit 130).")
    p.add_argument("file", metavar="SCENE", help="the .sl file to watch")
    p.add_argument("-o", "--output", metavar="PNG",
                   help="the image to write (default: SCENE with the suffix .png)")
    p.add_argument("--engine", choices=["preview", "cycles"], default="preview",
                   help="preview (default: fast, no Blender) or cycles (a persistent Blender)")
    p.add_argument("--size", type=image_side, nargs=2, metavar=("W", "H"),
                   help="image size in pixels (default: the camera resolution)")
    p.add_argument("--samples", type=sample_count,
                   help="Cycles samples, 1 to 4096 (default 32; not used by the preview)")
    p.add_argument("--interval", type=positive_float, default=DEFAULT_INTERVAL, metavar="S",
                   help=f"seconds between looks at the file (default {DEFAULT_INTERVAL:g})")
    p.add_argument("--once", action="store_true",
                   help="check and render once, then exit (0 rendered, 1 invalid, 3 unreadable)")
    p.add_argument("--blender", metavar="PATH",
                   help="external Blender executable (default: $SCENELANG_BLENDER, else bpy)")
    p.add_argument("--timeout", type=positive_float, default=DEFAULT_TIMEOUT, metavar="S",
                   help=f"seconds per Cycles render before Blender is killed (default "
                        f"{DEFAULT_TIMEOUT:g})")
    p.set_defaults(func=cmd_watch)


class Watcher:
    """The state of one watch: the last signature seen and built, and the Blender worker."""

    def __init__(self, args: argparse.Namespace, output: Path):
        self.args = args
        self.name = args.file
        self.output = output
        self.seen: tuple[Any, ...] | None = None  # the signature at the previous look
        self.built: tuple[Any, ...] | None = None  # the signature last checked and rendered
        self.missing = 0  # consecutive looks that found no file
        self.worker: BlenderWorker | None = None

    # ---------------------------------------------------------------- looking
    def signature(self) -> tuple[Any, ...] | None:
        """(mtime ns, size, SHA-256 of the content) of the file; None when it does not exist.
        A file that cannot be read has a signature naming the problem (so it prints once)."""
        try:
            stat = os.stat(self.name)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return ("unreadable", str(exc))
        try:
            digest = hashlib.sha256(read_bytes(self.name)).hexdigest()
        except (InputOutputError, SceneError) as exc:  # unreadable, too large
            digest = f"{type(exc).__name__}: {exc}"
        return (stat.st_mtime_ns, stat.st_size, digest)

    def poll(self) -> None:
        """One look: build when the file changed and then stayed the same for one interval."""
        current = self.signature()
        if current is None:
            self.missing += 1
            if self.missing == 2:  # two looks in a row: not an editor's save-by-rename
                console.warning(f"{self.name} was deleted; waiting for it to come back")
                self.built = None
            self.seen = None
            return
        if self.missing >= 2:
            console.print(f"{self.name} is back")
        self.missing = 0
        if current != self.seen:
            self.seen = current  # changed: wait until it stays so for one interval
            return
        if self.built is None or current[-1] != self.built[-1]:  # the content changed
            self.build(current)

    # ---------------------------------------------------------------- building
    def build(self, current: tuple[Any, ...] | None = None) -> int:
        """Check the file and render it when valid; the exit code `--once` returns."""
        self.built = current if current is not None else self.signature()
        stamp = time.strftime("%H:%M:%S")
        try:
            source = read_text(self.name)
        except InputOutputError as exc:
            console.error(str(exc))
            return EXIT_IO
        except SceneError as exc:
            console.scene_error(exc)
            return EXIT_INVALID
        diagnostics = api.check(source, self.name)
        console.diagnostics(diagnostics, source)
        errors = sum(d.severity == "error" for d in diagnostics)
        if errors:
            kept = " (the previous image is kept)" if self.output.exists() else ""
            console.print(f"[{stamp}] {self.name}: {errors} error{'s' * (errors != 1)}, "
                          f"not rendered{kept}")
            return EXIT_INVALID
        return self.render(api.parse(source, self.name), stamp)

    def render(self, scene: api.Scene, stamp: str) -> int:
        args = self.args
        if args.engine == "cycles" and self.worker is None:
            self.worker = BlenderWorker(blender=args.blender, timeout=args.timeout)
        try:
            result = api.render(scene, self.output, engine=args.engine,
                                size=tuple(args.size) if args.size else None,
                                samples=args.samples, timeout=args.timeout, worker=self.worker,
                                source_file=self.name)
        except BlenderError as exc:
            console.error(exc.message)
            if exc.log_path:
                console.print(f"  full Blender log: {exc.log_path}")
            return EXIT_INVALID
        except OSError as exc:
            console.error(f"cannot write {self.output}: {exc.strerror or exc}")
            return EXIT_IO
        for warning in result.warnings:
            console.warning(warning)
        console.print(f"[{stamp}] {self.name}: ok, rendered {self.output} ({args.engine}, "
                      f"{result.seconds:.2f} s)")
        print(result.png, flush=True)
        return EXIT_OK

    def close(self, interrupted: bool = False) -> None:
        """Stop the Blender worker (killed at once after an interrupt: it may be rendering)."""
        worker, self.worker = self.worker, None
        if worker is None:
            return
        if interrupted and worker.pid is not None:
            try:
                os.killpg(worker.pid, signal.SIGKILL)  # its own session: Ctrl-C never reached it
            except (ProcessLookupError, PermissionError):
                pass
        worker.close()


def cmd_watch(args: argparse.Namespace) -> int:
    if args.file == STDIO:
        console.error("watch needs a file; standard input cannot change")
        return EXIT_USAGE
    output = Path(args.output) if args.output else Path(args.file).with_suffix(".png")
    if output.suffix.lower() != ".png":
        raise InputOutputError(f"cannot write {output}: the image must be a .png file")
    if args.engine == "preview" and args.samples is not None:
        console.warning("--samples is a Cycles setting; ignored with --engine preview")
    check_writable(str(output), make_parents=True)
    read_bytes(args.file)  # a missing or unreadable file is an error at start (exit 3)
    watcher = Watcher(args, output)
    previous = signal.getsignal(signal.SIGTERM)

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    interrupted = False
    try:
        watcher.seen = watcher.signature()
        code = watcher.build(watcher.seen)
        if args.once:
            return code
        console.print(f"watching {args.file} (every {args.interval:g} s; Ctrl-C stops)")
        while True:
            time.sleep(args.interval)
            watcher.poll()
    except KeyboardInterrupt:
        interrupted = True
        console.print("stopped watching")
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
        watcher.close(interrupted)
