"""The console: colour and TTY policy, messages and diagnostics, and the progress display
(a live bar on a terminal, plain lines elsewhere, silence when quiet)."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import examples
from terminal import FakeClock, FakeTTY, screen

from scenelang.cli.console import BAR_WIDTH, Console, console, fit_words
from scenelang.errors import Diagnostic, SceneError, Span
from scenelang.stages.report.html import format_duration

BAR_GLYPHS = set("━╸╺")


@pytest.fixture(autouse=True)
def terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.delenv("NO_COLOR", raising=False)


# ---------------------------------------------------------------------- colour and messages
def test_colour_only_on_a_terminal(monkeypatch):
    assert Console(FakeTTY()).is_terminal and Console(FakeTTY()).color
    monkeypatch.setenv("NO_COLOR", "1")
    assert Console(FakeTTY()).is_terminal and not Console(FakeTTY()).color
    with open(__file__) as plain:
        assert not Console(plain).is_terminal and not Console(plain).color
    assert not Console(plain).is_terminal  # closed: isatty() raises


def test_messages_are_tinted_only_when_coloured(monkeypatch):
    diagnostic = Diagnostic("roughness must be at most 1", Span(line=1, column=5, end_column=8,
                                                                  file="a.sl"))
    for stream, coloured in ((FakeTTY(), True), (io.StringIO(), False)):
        out = Console(stream)
        out.error("boom")
        out.warning("careful")
        out.heading("== step")
        out.diagnostic(diagnostic, "abc xyz\n")
        out.scene_error(SceneError([diagnostic]))
        text = stream.getvalue()
        assert ("\x1b[" in text) is coloured
        plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
        assert plain.splitlines() == [
            "error: boom", "warning: careful", "== step",
            "a.sl:1:5: error: roughness must be at most 1", "    abc xyz", "        ^~~",
            "a.sl:1:5: error: roughness must be at most 1"]
    monkeypatch.setenv("NO_COLOR", "")
    stream = FakeTTY()
    Console(stream).error("boom")
    assert stream.getvalue() == "error: boom\n"


def test_the_shared_console_writes_to_the_current_stderr(capsys):
    console.print("hello")
    assert capsys.readouterr().err == "hello\n"
    stdout = Console(stderr=False)
    stdout.print("out")
    assert capsys.readouterr().out == "out\n"


# ---------------------------------------------------------------------- progress on a terminal
def test_tty_shows_a_live_bar_then_only_a_summary():
    stream, clock = FakeTTY(), FakeClock()
    shown = []
    with Console(stream, clock=clock).progress(4, "render") as progress:
        for view in range(4):
            clock.now += 2.0
            progress.advance(f"view {view}")
            shown.append(screen(stream.getvalue()))
    for lines in shown:
        assert len(lines) == 1 and lines[0].startswith("render ")  # one line, updated in place
    assert shown[0][0].endswith(" 1/4 2.0s ETA 6.0s view 0")
    assert shown[1][0].endswith(" 2/4 4.0s ETA 4.0s view 1")
    assert shown[3][0].endswith(" 4/4 8.0s  view 3")  # no ETA when finished
    bar = shown[1][0].split()[1]
    assert len(bar) == BAR_WIDTH and set(bar) <= BAR_GLYPHS
    assert screen(stream.getvalue()) == ["render: done, 4/4 in 8.0s"]  # the bar is gone


def test_tty_write_prints_above_the_bar_and_redraws_it():
    stream = FakeTTY()
    with Console(stream, clock=FakeClock()).progress(2, "bench") as progress:
        progress.advance("case a")
        progress.write("warning: case a was [slow]")
        lines = screen(stream.getvalue())
        assert lines[0] == "warning: case a was [slow]"  # verbatim, no markup
        assert lines[1].startswith("bench ") and lines[1].endswith(" 1/2 0.0s ETA 0.0s case a")
        progress.advance("case b")
    assert screen(stream.getvalue()) == ["warning: case a was [slow]", "bench: done, 2/2 in 0.0s"]


def test_tty_line_is_cut_to_the_terminal_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    stream = FakeTTY()
    with Console(stream, clock=FakeClock()).progress(3, "reconstruct") as progress:
        progress.advance("x" * 200)
        (line,) = screen(stream.getvalue())
    assert len(line) <= 60 and line.endswith("…")
    assert line.startswith("reconstruct ") and " 1/3 " in line


def test_tty_without_colour_keeps_the_bar(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    stream = FakeTTY()
    with Console(stream, clock=FakeClock()).progress(2, "x") as progress:
        progress.advance("a")
        (line,) = screen(stream.getvalue())
    assert set(line.split()[1]) <= BAR_GLYPHS
    assert not re.search(r"\x1b\[[0-9;]*3[0-9]m|\x1b\[[0-9;]*9[0-7]m", stream.getvalue())


def test_tty_verdicts_are_cut_between_words(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    stream = FakeTTY()
    verdict = "geometry round 2: accepted, score 0.8123 -> 0.8456 (silhouettes improved a lot)"
    with Console(stream, clock=FakeClock()).progress(3, "reconstruct") as progress:
        progress.advance(verdict)
        (line,) = screen(stream.getvalue())
    assert len(line) <= 100 and line.endswith("…")
    shown = line[line.index("geometry"):-1]
    assert verdict.startswith(shown) and verdict[len(shown)] == " "  # ends at a word boundary


@pytest.mark.parametrize("width, expected", [
    (200, "a bb ccc dddd"), (13, "a bb ccc dddd"), (12, "a bb ccc…"), (6, "a bb…"),
    (3, "a…"), (2, "a…"), (1, "…"), (0, "")])
def test_fit_words(width, expected):
    assert fit_words("a bb ccc dddd", width) == expected


def test_status_spins_on_a_terminal_only():
    tty, plain = FakeTTY(), io.StringIO()
    clock = FakeClock()
    with Console(tty, clock=clock).status("rendering out.png"):
        clock.now += 2.5
    assert screen(tty.getvalue())[-1] == "rendering out.png: done in 2.5s"
    with Console(plain, clock=clock).status("rendering out.png"):
        pass
    with Console(tty, clock=clock).status("quiet", quiet=True):
        pass
    assert plain.getvalue() == "" and "quiet" not in tty.getvalue()


def test_unknown_total_shows_counts_without_bar_or_eta():
    stream, clock = FakeTTY(), FakeClock()
    with Console(stream, clock=clock).progress(None, "bench") as progress:
        clock.now += 3
        progress.advance("case 1")
        assert progress.eta() is None
        assert screen(stream.getvalue()) == ["bench 1 3.0s case 1"]
    assert screen(stream.getvalue()) == ["bench: done, 1 in 3.0s"]


def test_interruption_ends_the_display_and_says_so():
    for stream in (FakeTTY(), io.StringIO()):
        with pytest.raises(KeyboardInterrupt):
            with Console(stream, clock=FakeClock()).progress(5, "reconstruct") as progress:
                progress.advance("round 1")
                raise KeyboardInterrupt
        assert screen(stream.getvalue())[-1] == "reconstruct: interrupted, 1/5 in 0.0s"
        assert stream.getvalue().endswith("\n")


@settings(max_examples=examples(40), deadline=None)
@given(total=st.integers(1, 500), done=st.integers(0, 600))
def test_bar_is_always_well_formed(total, done):
    stream = FakeTTY()
    progress = Console(stream, clock=FakeClock()).progress(total, "p")
    progress.advance(steps=done) if done else progress.__enter__()
    (line,) = screen(stream.getvalue())
    progress.close()
    fields = line.split()
    assert len(fields[1]) == BAR_WIDTH and set(fields[1]) <= BAR_GLYPHS
    assert fields[2] == f"{done}/{total}"
    assert ("ETA" in line) == (0 < done < total)


# ---------------------------------------------------------------------- elsewhere
def test_plain_lines_when_not_a_terminal():
    stream, clock = io.StringIO(), FakeClock()
    with Console(stream, clock=clock).progress(3, "reconstruct") as progress:
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
    with Console(stream).progress(2, "x", quiet=True) as progress:
        progress.advance("a")
        progress.write("b")
    assert stream.getvalue() == ""


def test_terminal_only_is_silent_elsewhere():
    stream = io.StringIO()
    with Console(stream).progress(2, "x", terminal_only=True) as progress:
        progress.advance("a")
        progress.write("b")
        assert not progress.tty
    assert stream.getvalue() == ""
    stream = FakeTTY()
    with Console(stream, clock=FakeClock()).progress(2, "x", terminal_only=True) as progress:
        progress.advance("a")
        assert progress.tty
    assert screen(stream.getvalue()) == ["x: done, 1/2 in 0.0s"]


def test_close_is_idempotent_and_broken_streams_are_tolerated():
    class Broken(io.StringIO):
        def write(self, text):
            raise BrokenPipeError

    class BrokenTTY(Broken, FakeTTY):
        pass

    for stream in (Broken(), BrokenTTY()):
        progress = Console(stream).progress(2, "x")
        progress.advance("a")  # must not raise
        progress.write("b")
        progress.close()
        progress.close()
    for stream in (io.StringIO(), FakeTTY()):
        p = Console(stream).progress(1, "y")
        p.close()
        p.close()
        assert stream.getvalue().count("done") == 1


def test_negative_total_is_rejected():
    with pytest.raises(ValueError):
        Console().progress(-1, "x")


def test_format_duration():
    assert format_duration(4.24) == "4.2s"
    assert format_duration(-3) == "0.0s"
    assert format_duration(185) == "3m05s"
    assert format_duration(3720) == "1h02m"
