"""The `scenelang` command line: the top layer, the only one that may import every other."""

from scenelang.cli.main import main

__all__ = ["main"]
