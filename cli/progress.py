"""A small progress display for long work (reconstruction rounds, benchmark cases, multi-view renders).

    with Progress(total=12, label="reconstruct") as progress:
        for step in steps:
            ...
            progress.advance(f"geometry round 2: score 0.61")

On a terminal (``stream.isatty()`` true) it keeps one line up to date with carriage returns::

    reconstruct [##########..........]  6/12  14.2s  ETA 14.2s  geometry round 2: score 0.61

Elsewhere (a pipe, a log file, CI) it prints one plain line per step and no control characters::

    reconstruct 6/12: geometry round 2: score 0.61

`quiet=True` (the CLI's ``--quiet``) prints nothing at all. `total=None` means the number of steps
is unknown: counts and elapsed time are shown, no bar and no ETA. Times are wall-clock seconds.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import Callable, TextIO

from scenelang.stages.report.html import format_duration

BAR_WIDTH = 20
"""Characters in the bar between the brackets."""


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (ValueError, OSError):  # a closed stream
        return False


class Progress:
    """Progress of `total` steps (None: unknown) under `label`, written to `stream`.

    `stream` defaults to `sys.stderr` (looked up when the object is created); `quiet` silences
    everything; `clock` is a monotonic clock in seconds (injectable for tests). On a terminal the
    line is cut to the terminal width (`shutil.get_terminal_size`, 80 columns by default).
    Use as a context manager; leaving it ends the updating line with a newline and a summary.
    """

    def __init__(
        self,
        total: int | None,
        label: str,
        stream: TextIO | None = None,
        quiet: bool = False,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        if total is not None and total < 0:
            raise ValueError(f"total must be >= 0 or None, got {total}")
        self.total = total
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet
        self.tty = not quiet and _is_tty(self.stream)
        self.done = 0
        self.message = ""
        self._clock = clock
        self._start = clock()
        self._line_open = False  # a TTY status line is on screen without its newline
        self._closed = False

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> "Progress":
        self._start = self._clock()
        if self.tty:
            self._draw()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(interrupted=exc_type is not None)

    # ------------------------------------------------------------------ public
    def elapsed(self) -> float:
        """Seconds since the display started."""
        return self._clock() - self._start

    def eta(self) -> float | None:
        """Estimated seconds left (None when the total is unknown or nothing is done yet)."""
        if self.total is None or self.done == 0:
            return None
        return self.elapsed() / self.done * max(0, self.total - self.done)

    def advance(self, message: str = "", steps: int = 1) -> None:
        """Count `steps` finished steps and show `message` (one line; newlines become spaces)."""
        self.done += steps
        self.message = " ".join(message.split())
        if self.quiet:
            return
        if self.tty:
            self._draw()
        else:
            self._write_line(self._plain_line())

    def write(self, text: str) -> None:
        """Print a log line without breaking the display (on a TTY the bar is redrawn below it)."""
        if self.quiet:
            return
        if self.tty:
            self._clear()
            self._write_line(text)
            self._draw()
        else:
            self._write_line(text)

    def close(self, interrupted: bool = False) -> None:
        """End the display with a summary line (idempotent)."""
        if self.quiet or self._closed:
            return
        self._closed = True
        state = "interrupted" if interrupted else "done"
        summary = f"{self.label}: {state}, {self._count()} in {format_duration(self.elapsed())}"
        if self.tty:
            self._clear()
        self._write_line(summary)

    # ------------------------------------------------------------------ rendering
    def _count(self) -> str:
        return f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"

    def _bar(self) -> str:
        if not self.total:
            return ""
        filled = min(BAR_WIDTH, int(BAR_WIDTH * self.done / self.total))
        return "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "] "

    def status_line(self) -> str:
        """The TTY status line (without control characters), not cut to the terminal width."""
        parts = [f"{self.label} {self._bar()}{self._count()}", format_duration(self.elapsed())]
        eta = self.eta()
        if eta is not None and self.done < (self.total or 0):
            parts.append(f"ETA {format_duration(eta)}")
        if self.message:
            parts.append(self.message)
        return "  ".join(parts)

    def _plain_line(self) -> str:
        head = f"{self.label} {self._count()}"
        return f"{head}: {self.message}" if self.message else head

    def _width(self) -> int:
        return max(20, shutil.get_terminal_size((80, 24)).columns - 1)

    def _draw(self) -> None:
        line = self.status_line()
        width = self._width()
        if len(line) > width:
            line = line[: width - 1] + "…"
        self._emit("\r\x1b[K" + line)
        self._line_open = True

    def _clear(self) -> None:
        if self._line_open:
            self._emit("\r\x1b[K")
            self._line_open = False

    def _write_line(self, text: str) -> None:
        self._emit(text + "\n")

    def _emit(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, ValueError):  # reader gone or stream closed: progress is optional
            self.quiet = True
