"""The entry point: every subcommand registered; errors never show a traceback."""

import subprocess
import sys

from scenelang.cli.main import build_parser, main, use_color


def test_all_commands_are_registered():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {"check", "fmt", "patch", "diff", "compile", "render", "export",
                                "reconstruct", "report", "bench"}


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.sl")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_no_command_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "scenelang.cli.main"], capture_output=True, text=True)
    assert proc.returncode == 2 and "usage: scenelang" in proc.stderr


def test_colour_only_on_a_terminal(monkeypatch):
    class Tty:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())
    assert not use_color(open(__file__))
