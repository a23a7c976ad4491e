"""The scenelang grammar, shipped as package data (`scenelang.lark`)."""

from importlib import resources

GRAMMAR_FILE = "scenelang.lark"


def grammar_text() -> str:
    """The Lark grammar source."""
    return resources.files(__name__).joinpath(GRAMMAR_FILE).read_text(encoding="utf-8")
