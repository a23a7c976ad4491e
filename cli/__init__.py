"""The `scenelang` command line: the top layer, the only one that may import every other.

The entry point is `scenelang.cli.main.main` (`scenelang`, `python -m scenelang.cli`); each
command is one module here, listed in `scenelang.cli.main.COMMANDS`.
"""
