"""Exit code 4 (README, "exit code" table): a bug inside a command is reported in one line, with
the traceback only when SCENELANG_DEBUG=1. A bug cannot be produced on purpose by input, so a
command with one is added to the `COMMANDS` registry (the only stand-in in this file; argument
parsing, the dispatch in `main` and the console are real)."""

import argparse
from types import SimpleNamespace

import pytest

import scenelang.cli.main as cli_main


def _explode(args: argparse.Namespace) -> int:
    return 1 // 0  # the bug


def _register(sub) -> None:
    sub.add_parser("explode", help="a command with a bug").set_defaults(func=_explode)


@pytest.fixture
def buggy_command(monkeypatch):
    monkeypatch.setattr(cli_main, "COMMANDS",
                        (*cli_main.COMMANDS, SimpleNamespace(register=_register)))


def test_an_internal_error_is_exit_4_in_one_line_without_a_traceback(buggy_command, capsys,
                                                                      monkeypatch):
    monkeypatch.delenv("SCENELANG_DEBUG", raising=False)
    assert cli_main.main(["explode"]) == 4
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "internal error: ZeroDivisionError: integer division or modulo by zero" in lines[0]
    assert "SCENELANG_DEBUG=1" in lines[0] and "Traceback" not in err


def test_scenelang_debug_shows_the_traceback_of_an_internal_error(buggy_command, capsys,
                                                                  monkeypatch):
    monkeypatch.setenv("SCENELANG_DEBUG", "1")
    assert cli_main.main(["explode"]) == 4
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "_explode" in err
    assert "internal error: ZeroDivisionError" in err
