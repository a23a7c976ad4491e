"""Literal values as written in a source text: numbers with units, vectors, colours, names.

Both parsing paths (the Lark transformer in `scenelang.parser` and the fast path in
`scenelang.fastparse`) turn tokens into values here, so they agree on every number and position.
A token is given by its text and position (line and column of its first character, 1-based, and
of the character after it), the same positions Lark reports.
"""

from __future__ import annotations

import re

from scenelang import ast as A
from scenelang.errors import Span

QUANTITY_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?([A-Za-z_][A-Za-z0-9_]*)?")
UNITS = frozenset({"deg", "rad", "mm"})
_INFINITIES = (float("inf"), float("-inf"))
_PLAIN_ENDS = frozenset("0123456789.")  # a number with a unit ends in a letter


class LiteralError(Exception):
    """A literal that is not a valid value; the message is user-facing."""


def quantity(text: str) -> tuple[float, str | None]:
    """`(value, unit)` of a number as written (`0.5`, `30deg`, `1e-3`, `50mm`)."""
    if "_" not in text and text[-1:] in _PLAIN_ENDS:
        # the common case: a plain number (float() rejects any unit suffix, and without "_" it
        # accepts exactly the unit-less texts the QUANTITY pattern matches)
        try:
            value = float(text)
        except ValueError:
            pass
        else:
            if value in _INFINITIES:
                raise LiteralError(f"number '{text}' is out of range (it must be finite)")
            return value, None
    match = QUANTITY_RE.fullmatch(text)
    if match is None:
        raise LiteralError(f"malformed number '{text}'")
    unit = match.group(4)
    if unit is not None and unit not in UNITS:
        if unit[0] in "eE" and (len(unit) == 1 or unit[1].isdigit()):
            raise LiteralError(f"malformed number '{text}'")
        raise LiteralError(f"unknown unit '{unit}' in '{text}'; units are deg, rad and mm")
    value = float(text[: match.start(4)] if unit else text)
    if value in _INFINITIES:
        raise LiteralError(f"number '{text}' is out of range (it must be finite)")
    return value, unit


def vector_pieces(text: str) -> list[str]:
    """The number texts of a whole-vector token `(a, b, c)` (an optional trailing comma)."""
    pieces = [p.strip() for p in text[1:-1].split(",")]
    if pieces and not pieces[-1]:
        pieces.pop()
    return pieces


def vector_items(text: str, line: int, column: int, file: str | None) -> list[tuple[str, Span]]:
    """The number texts of a whole-vector token at `line`:`column`, each with its own span."""
    items = []
    multiline = "\n" in text
    for match in QUANTITY_RE.finditer(text, 1):
        offset = match.start()
        item_line, item_column = line, column + offset
        if multiline:
            item_line += text.count("\n", 0, offset)
            last_nl = text.rfind("\n", 0, offset)
            if last_nl >= 0:
                item_column = offset - last_nl
        piece = match.group()
        items.append((piece, Span(line=item_line, column=item_column, end_line=item_line,
                                  end_column=item_column + len(piece), file=file)))
    return items


def color_node(text: str, span: Span) -> A.HexColor:
    return A.HexColor(hex=text[1:].lower(), span=span)


def ident_node(text: str, span: Span) -> A.Ident:
    return A.Ident(name=text, span=span)
