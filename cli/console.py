"""One console for the command line and the make tools, modelled on rich's `Console`.

A `Console` owns the terminal policy of one output stream (standard error by default):

- `is_terminal`: the stream is a TTY (a closed or odd stream counts as not one);
- `color`: colour only on a terminal, and never when `NO_COLOR` is set;
- `print`, `error`, `warning`, `heading`: plain lines, tinted when `color`;
- `diagnostic`, `scene_error`: positioned diagnostics (`Diagnostic.format(source, color=...)`);
- `progress(total, label, quiet=...)`: a `Progress` display (below).

Results meant for other programs (paths, scene text, `--json`) go to standard output with plain
`print`; everything addressed to the person at the terminal goes through the console. The module
has one shared instance, `console` (standard error, looked up at each write, so tests capturing
`sys.stderr` see it).

    with console.progress(total=12, label="reconstruct", quiet=args.quiet) as progress:
        for step in steps:
            ...
            progress.advance("geometry round 2: score 0.61")

On a terminal the progress is a rich bar (count, elapsed time, ETA, last message, cut to the
terminal width), redrawn at each step and removed at the end, leaving a summary line::

    reconstruct ━━━━━━━━━━╸━━━━━━━━━ 6/12 14.2s ETA 14.2s geometry round 2: score 0.61
    reconstruct: done, 12/12 in 28.4s

Elsewhere (a pipe, a log file, CI) it prints one plain line per step and no control characters::

    reconstruct 6/12: geometry round 2: score 0.61

`quiet=True` (the CLI's ``--quiet``) prints nothing at all; `terminal_only=True` shows the bar on
a terminal and nothing elsewhere (for commands whose log lines already are the progress).
`total=None` means the number of steps is unknown: counts and elapsed time, no bar, no ETA.
Times are wall-clock seconds from the console's `clock`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console as RichConsole
from rich.progress import BarColumn, ProgressColumn, Task, TextColumn
from rich.progress import Progress as RichProgress
from rich.table import Column
from rich.text import Text

from scenelang.errors import Diagnostic, SceneError
from scenelang.stages.report.html import format_duration

BAR_WIDTH = 20
FIXED_COLUMNS_WIDTH = BAR_WIDTH + 28
"""Width of the bar, count, elapsed and ETA columns with their gaps (cells), about: messages are
cut between words to the rest of the line (rich's ellipsis still guards a narrow terminal)."""


def fit_words(text: str, width: int) -> str:
    """`text` in at most `width` cells, cut at a word boundary with an ellipsis (never mid-word,
    unless its first word alone is too long)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…" if width == 1 else ""
    cut = text[: width - 1]
    space = cut.rfind(" ")
    if space > 0:
        cut = cut[:space].rstrip(" ,;:")
    return cut + "…"
"""Characters of the progress bar on a terminal."""

_BOLD, _RED, _YELLOW, _RESET = "\033[1m", "\033[1;31m", "\033[1;33m", "\033[0m"
"""The tints of `Diagnostic.format(color=True)`, reused for the console's own messages."""

_STREAM_ERRORS = (BrokenPipeError, ValueError, OSError)
"""A reader gone or a stream closed: progress output is optional, so it just stops."""


class _RichConsole(RichConsole):
    def on_broken_pipe(self) -> None:  # rich would exit the process; a progress display just stops
        raise BrokenPipeError


class Console:
    """The terminal policy of one stream: `file`, or standard error (standard output with
    `stderr=False`), looked up when written to. `clock` is a monotonic clock in seconds used by
    progress displays (injectable for tests)."""

    def __init__(self, file: TextIO | None = None, *, stderr: bool = True,
                 clock: Callable[[], float] = time.monotonic):
        self._file = file
        self._stderr = stderr
        self.clock = clock

    @property
    def file(self) -> TextIO:
        if self._file is not None:
            return self._file
        return sys.stderr if self._stderr else sys.stdout

    @property
    def is_terminal(self) -> bool:
        isatty = getattr(self.file, "isatty", None)
        try:
            return bool(isatty()) if callable(isatty) else False
        except (ValueError, OSError):  # a closed stream
            return False

    @property
    def color(self) -> bool:
        """Colour only on a terminal, and never when NO_COLOR is set."""
        return self.is_terminal and "NO_COLOR" not in os.environ

    # ------------------------------------------------------------------ lines
    def print(self, text: str = "") -> None:
        """One line (or several, when `text` holds newlines), written and flushed."""
        stream = self.file
        stream.write(text + "\n")
        stream.flush()

    def _tint(self, text: str, tint: str) -> str:
        return f"{tint}{text}{_RESET}" if self.color else text

    def error(self, message: str) -> None:
        self.print(f"{self._tint('error:', _RED)} {message}")

    def warning(self, message: str) -> None:
        self.print(f"{self._tint('warning:', _YELLOW)} {message}")

    def heading(self, text: str) -> None:
        self.print(self._tint(text, _BOLD))

    def diagnostic(self, diagnostic: Diagnostic, source: str | None = None) -> None:
        """`FILE:LINE:COL: error: message`, the source line and a caret (when `source` is
        given)."""
        self.print(diagnostic.format(source, self.color))

    def diagnostics(self, diagnostics: Iterable[Diagnostic], source: str | None = None) -> None:
        for diagnostic in diagnostics:
            self.diagnostic(diagnostic, source)

    def scene_error(self, error: SceneError) -> None:
        """Positioned diagnostics as `FILE:LINE:COL: error: ...`; one without a position is not
        about a place in a scene, so it prints as a plain `error: ...` line (no `<scene>:`)."""
        for d in error.diagnostics:
            if d.span is None:
                (self.error if d.severity == "error" else self.warning)(d.message)
                if d.hint:
                    self.print(f"    hint: {d.hint}")
            else:
                self.print(SceneError([d], source=error._source_for(d)).format(color=self.color))

    # ------------------------------------------------------------------ progress
    @contextmanager
    def status(self, message: str, *, quiet: bool = False) -> Iterator[None]:
        """A spinner with the elapsed time beside `message` while the block runs, for one long
        step with no steps to count (a single render). Only on a terminal and not `quiet`;
        elsewhere (and on a broken stream) nothing is shown."""
        if quiet or not self.is_terminal:
            yield
            return
        rich = RichConsole(file=self.file, no_color=not self.color, highlight=False)
        start = self.clock()
        spinner = rich.status(Text(message))
        try:
            spinner.start()
        except _STREAM_ERRORS:
            yield
            return
        try:
            yield
        finally:
            try:
                spinner.stop()
                rich.print(Text(f"{message}: done in {self.clock() - start:.1f}s"))
            except _STREAM_ERRORS:
                pass

    def progress(self, total: int | None, label: str, *, quiet: bool = False,
                 terminal_only: bool = False) -> Progress:
        return Progress(self, total, label, quiet=quiet, terminal_only=terminal_only)

    def rich(self) -> RichConsole:
        """A rich console on this stream for live displays (only used on a terminal)."""
        return _RichConsole(file=self.file, force_terminal=True, no_color=not self.color,
                            highlight=False, markup=False, emoji=False)


console = Console()
"""The shared console on standard error."""


# ---------------------------------------------------------------------- progress columns
class _CountColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        done = int(task.completed)
        return Text(f"{done}/{int(task.total)}" if task.total is not None else f"{done}")


class _ElapsedColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(format_duration(task.elapsed or 0.0))


class _EtaColumn(ProgressColumn):
    """Elapsed time per finished step times the steps left; blank until a step is done and
    once all are."""

    def render(self, task: Task) -> Text:
        eta = _eta(task.elapsed or 0.0, int(task.completed), task.total)
        return Text("" if eta is None or task.completed >= (task.total or 0)
                    else f"ETA {format_duration(eta)}")


def _eta(elapsed: float, done: int, total: float | None) -> float | None:
    if total is None or done == 0:
        return None
    return elapsed / done * max(0.0, total - done)


def _columns(total: int | None) -> list[ProgressColumn]:
    label = TextColumn("{task.description}", markup=False)
    message = TextColumn("{task.fields[message]}", markup=False,
                         table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1))
    if total is None:
        return [label, _CountColumn(), _ElapsedColumn(), message]
    return [label, BarColumn(bar_width=BAR_WIDTH), _CountColumn(), _ElapsedColumn(),
            _EtaColumn(), message]


class Progress:
    """Progress of `total` steps (None: unknown) under `label` on `console` (see the module
    docstring). Use as a context manager; leaving it removes the bar and prints a summary line
    (`LABEL: done, N/TOTAL in 4.2s`, or `interrupted` when an exception left the block)."""

    def __init__(self, console: Console, total: int | None, label: str, *, quiet: bool = False,
                 terminal_only: bool = False):
        if total is not None and total < 0:
            raise ValueError(f"total must be >= 0 or None, got {total}")
        self.console = console
        self.total = total
        self.label = label
        self.quiet = quiet or (terminal_only and not console.is_terminal)
        self.tty = not self.quiet and console.is_terminal
        self.done = 0
        self.message = ""
        self._clock = console.clock
        self._start = self._clock()
        self._live: RichProgress | None = None
        self._task = None
        self._closed = False

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> Progress:
        self._start = self._clock()
        if self.tty:
            self._guard(self._draw)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(interrupted=exc_type is not None)

    # ------------------------------------------------------------------ public
    def elapsed(self) -> float:
        """Seconds since the display started."""
        return self._clock() - self._start

    def eta(self) -> float | None:
        """Estimated seconds left (None when the total is unknown or nothing is done yet)."""
        return _eta(self.elapsed(), self.done, self.total)

    def advance(self, message: str = "", steps: int = 1) -> None:
        """Count `steps` finished steps and show `message` (one line; newlines become spaces)."""
        self.done += steps
        self.message = " ".join(message.split())
        if self.quiet:
            return
        if self.tty:
            self._guard(self._draw)
        else:
            self._line(self._plain_line())

    def write(self, text: str) -> None:
        """Print a log line without breaking the display (on a terminal it goes above the bar)."""
        if self.quiet:
            return
        if self.tty:
            self._guard(lambda: self._started().console.print(Text.from_ansi(text),
                                                               soft_wrap=True))
        else:
            self._line(text)

    def close(self, interrupted: bool = False) -> None:
        """Remove the bar and print the summary line (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._stop()
        if self.quiet:
            return
        state = "interrupted" if interrupted else "done"
        self._line(f"{self.label}: {state}, {self._count()} in {format_duration(self.elapsed())}")

    # ------------------------------------------------------------------ rendering
    def _count(self) -> str:
        return f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"

    def _plain_line(self) -> str:
        head = f"{self.label} {self._count()}"
        return f"{head}: {self.message}" if self.message else head

    def _started(self) -> RichProgress:
        if self._live is None:
            self._live = RichProgress(
                *_columns(self.total), console=self.console.rich(), get_time=self._clock,
                auto_refresh=False, transient=True, expand=True, redirect_stdout=False,
                redirect_stderr=False)
            self._task = self._live.add_task(self.label, total=self.total, message="")
            self._live.start()
        return self._live

    def _draw(self) -> None:
        if self._closed:
            return
        live = self._started()
        room = live.console.width - len(self.label) - FIXED_COLUMNS_WIDTH
        message = fit_words(self.message, room) if room >= 10 else self.message
        live.update(self._task, completed=self.done, message=message, refresh=True)

    def _stop(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            try:
                live.stop()
            except _STREAM_ERRORS:
                self.quiet = True

    def _guard(self, action: Callable[[], None]) -> None:
        try:
            action()
        except _STREAM_ERRORS:
            self.quiet = True
            self._stop()

    def _line(self, text: str) -> None:
        try:
            self.console.print(text)
        except _STREAM_ERRORS:
            self.quiet = True
