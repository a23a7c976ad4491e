"""The progress display: updating line on a terminal, plain lines elsewhere, silence when quiet."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenelang.cli.progress import BAR_WIDTH, Progress, format_duration


class FakeTTY(io.StringIO):
    """A text stream that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_tty_updates_one_line_with_carriage_returns():
    stream, clock = FakeTTY(), FakeClock()
    with Progress(4, "render", stream=stream, clock=clock) as progress:
        for view in range(4):
            clock.now += 2.0
            progress.advance(f"view {view}")
    out = stream.getvalue()
    updates = out.split("\r\x1b[K")
    # the initial draw, four advances, and the clear before the summary
    assert len(updates) - 1 == 6
    assert out.count("\n") == 1 and out.endswith("\n")  # only the summary ends a line
    assert "render [#####...............] 1/4  2.0s  ETA 6.0s  view 0" in out
    assert "render [##########..........] 2/4  4.0s  ETA 4.0s  view 1" in out
    assert "render [" + "#" * BAR_WIDTH + "] 4/4  8.0s  view 3" in out  # no ETA when finished
    assert out.rstrip("\n").endswith("render: done, 4/4 in 8.0s")


def test_tty_write_prints_above_the_bar_and_redraws_it():
    stream, clock = FakeTTY(), FakeClock()
    with Progress(2, "bench", stream=stream, clock=clock) as progress:
        progress.advance("case a")
        progress.write("warning: case a was slow")
        progress.advance("case b")
    lines = stream.getvalue().split("\n")
    assert lines[0].endswith("\r\x1b[Kwarning: case a was slow")
    assert "bench [##########..........] 1/2" in lines[0]
    assert "case b" in lines[1] and lines[1].endswith("bench: done, 2/2 in 0.0s")


def test_tty_line_is_cut_to_the_terminal_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    stream = FakeTTY()
    with Progress(3, "reconstruct", stream=stream, clock=FakeClock()) as progress:
        progress.advance("x" * 200)
    for update in stream.getvalue().split("\r\x1b[K"):
        assert len(update.rstrip("\n")) <= 39
    assert "…" in stream.getvalue()


def test_plain_lines_when_not_a_terminal():
    stream, clock = io.StringIO(), FakeClock()
    with Progress(3, "reconstruct", stream=stream, clock=clock) as progress:
        progress.advance("geometry round 1: score 0.41")
        clock.now += 1.5
        progress.advance("geometry\nround 2")  # newlines never split a step's line
        progress.advance()
        progress.write("a log line")
    assert stream.getvalue().splitlines() == [
        "reconstruct 1/3: geometry round 1: score 0.41",
        "reconstruct 2/3: geometry round 2",
        "reconstruct 3/3",
        "a log line",
        "reconstruct: done, 3/3 in 1.5s",
    ]
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


@pytest.mark.parametrize("stream_type", [io.StringIO, FakeTTY])
def test_quiet_prints_nothing(stream_type):
    stream = stream_type()
    with Progress(2, "x", stream=stream, quiet=True) as progress:
        progress.advance("a")
        progress.write("b")
    assert stream.getvalue() == ""


def test_unknown_total_shows_counts_without_bar_or_eta():
    stream, clock = FakeTTY(), FakeClock()
    with Progress(None, "bench", stream=stream, clock=clock) as progress:
        clock.now += 3
        progress.advance("case 1")
        assert progress.eta() is None
    out = stream.getvalue()
    assert "bench 1  3.0s  case 1" in out and "#" not in out and "ETA" not in out
    assert out.endswith("bench: done, 1 in 3.0s\n")


def test_interruption_ends_the_line_and_says_so():
    stream = FakeTTY()
    with pytest.raises(KeyboardInterrupt):
        with Progress(5, "reconstruct", stream=stream, clock=FakeClock()) as progress:
            progress.advance("round 1")
            raise KeyboardInterrupt
    assert stream.getvalue().endswith("\r\x1b[Kreconstruct: interrupted, 1/5 in 0.0s\n")


def test_close_is_idempotent_and_broken_streams_are_tolerated():
    class Broken(io.StringIO):
        def write(self, text):
            raise BrokenPipeError

    progress = Progress(2, "x", stream=Broken())
    progress.advance("a")  # must not raise
    progress.close()
    progress.close()
    stream = io.StringIO()
    p = Progress(1, "y", stream=stream)
    p.close()
    p.close()
    assert stream.getvalue().count("done") == 1


def test_negative_total_is_rejected():
    with pytest.raises(ValueError):
        Progress(-1, "x")


def test_format_duration():
    assert format_duration(4.24) == "4.2s"
    assert format_duration(-3) == "0.0s"
    assert format_duration(185) == "3m05s"
    assert format_duration(3720) == "1h02m"


@settings(max_examples=60, deadline=None)
@given(total=st.integers(1, 500), done=st.integers(0, 600))
def test_bar_is_always_well_formed(total, done):
    stream = FakeTTY()
    progress = Progress(total, "p", stream=stream, clock=FakeClock())
    progress.advance(steps=done) if done else None
    line = progress.status_line()
    bar = line[line.index("[") + 1 : line.index("]")]
    assert len(bar) == BAR_WIDTH and set(bar) <= {"#", "."}
    assert bar.count("#") == min(BAR_WIDTH, BAR_WIDTH * done // total)
