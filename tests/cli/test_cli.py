"""The entry point: every subcommand registered, one module each; errors never show a
traceback."""

import subprocess
import sys

from scenelang.cli.main import COMMANDS, build_parser, main

ALL = {"check", "fmt", "patch", "diff", "compile", "render", "export", "import", "reconstruct",
       "report", "bench", "batch", "lsp", "watch"}


def test_all_commands_are_registered():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == ALL


def test_one_module_per_command():
    """`COMMANDS` lists the command modules, each named after its command and registering it."""
    # a module named after a Python keyword carries a trailing underscore (cli/import_.py)
    assert {module.__name__.rsplit(".", 1)[1].rstrip("_") for module in COMMANDS} == ALL
    assert all(module.__name__.startswith("scenelang.cli.") for module in COMMANDS)
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for module in COMMANDS:
        name = module.__name__.rsplit(".", 1)[1].rstrip("_")
        assert sub.choices[name].get_default("func").__module__ == module.__name__
    assert "importlib" not in main.__globals__  # imported at the top, not looked up by name


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.sl")]) == 3  # I/O error (issue 11)
    assert "cannot read" in capsys.readouterr().err


def test_no_command_is_a_usage_error():
    for module in ("scenelang.cli", "scenelang.cli.main"):
        proc = subprocess.run([sys.executable, "-m", module], capture_output=True, text=True)
        assert proc.returncode == 2 and proc.stderr.startswith("usage: scenelang"), proc.stderr
