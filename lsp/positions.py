"""Positions: the project's spans and offsets to LSP positions and back.

The parser numbers lines and columns from 1, columns in code points (Python string indices + 1),
on text whose line endings are normalised to `\\n` (`scenelang.parser` turns CR LF and lone CR
into LF). LSP numbers lines and characters from 0, characters in the code units the client and
server agreed on (UTF-16 unless the client offers another `positionEncoding`), and ends lines at
`\\n`, `\\r\\n` or `\\r` only (not at U+2028 or form feeds, which `str.splitlines` would split
at). `Text` holds one document's normalised text and its line starts and converts both ways.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

from lsprotocol import types as T

from scenelang.errors import Span


def normalise(text: str) -> str:
    """The text as the parser sees it: CR LF and lone CR as LF. A leading byte-order mark (which
    `scenelang check` strips when it reads a file) becomes a space, so columns stay put."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = " " + text[1:]
    return text


def _units(chars: str, encoding: str) -> int:
    """Code units of `chars` in the negotiated encoding (`utf-16`, `utf-8` or `utf-32`)."""
    if encoding == T.PositionEncodingKind.Utf32 or chars.isascii():
        return len(chars)
    if encoding == T.PositionEncodingKind.Utf8:
        return len(chars.encode("utf-8"))
    return len(chars) + sum(1 for ch in chars if ord(ch) > 0xFFFF)


@dataclass(frozen=True)
class Text:
    """A document's normalised text with its line starts, and the client's position encoding."""

    text: str
    encoding: str = T.PositionEncodingKind.Utf16

    @classmethod
    def of(cls, source: str, encoding: str = T.PositionEncodingKind.Utf16) -> Text:
        return cls(normalise(source), encoding)

    @cached_property
    def line_starts(self) -> list[int]:
        """Offsets where lines start (the first is 0)."""
        starts = [0]
        at = self.text.find("\n")
        while at >= 0:
            starts.append(at + 1)
            at = self.text.find("\n", at + 1)
        return starts

    def line_text(self, line: int) -> str:
        """Line `line` (0-based) without its newline; '' past the end."""
        starts = self.line_starts
        if not 0 <= line < len(starts):
            return ""
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(self.text)
        return self.text[starts[line]:end]

    # ---------------------------------------------------------------- offsets <-> LSP

    def position(self, offset: int) -> T.Position:
        """The LSP position of a string offset (clamped to the text)."""
        offset = min(max(offset, 0), len(self.text))
        line = bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[line]
        return T.Position(line=line, character=_units(self.text[start:offset], self.encoding))

    def offset(self, position: T.Position) -> int:
        """The string offset of an LSP position; a character past the end of its line means the
        end of the line, a line past the end the end of the text."""
        starts = self.line_starts
        if position.line >= len(starts):
            return len(self.text)
        if position.line < 0:
            return 0
        text = self.line_text(position.line)
        want = max(position.character, 0)
        if text.isascii() or self.encoding == T.PositionEncodingKind.Utf32:
            return starts[position.line] + min(want, len(text))
        units = 0
        for index, ch in enumerate(text):
            if units >= want:
                return starts[position.line] + index
            units += _units(ch, self.encoding)
        return starts[position.line] + len(text)

    def range(self, start: int, end: int) -> T.Range:
        return T.Range(start=self.position(start), end=self.position(end))

    def full_range(self) -> T.Range:
        """The whole document (for a formatting edit that replaces it)."""
        return self.range(0, len(self.text))

    # ---------------------------------------------------------------- spans (1-based)

    def span_offset(self, line: int, column: int) -> int:
        """The offset of a 1-based line and column (columns in code points), clamped to the line
        (a column one past the end of a line is its end, where a span may end)."""
        starts = self.line_starts
        if line < 1:
            return 0
        if line > len(starts):
            return len(self.text)
        return starts[line - 1] + min(max(column - 1, 0), len(self.line_text(line - 1)))

    def span_range(self, span: Span | None) -> T.Range:
        """The LSP range of a span. A span without an extent (or none at all, for a problem of
        the whole file) covers at least one character where the line has one, so editors can
        underline it; a missing span points at the start of the file."""
        if span is None:
            return self.range(0, 0)
        start = self.span_offset(span.line, span.column)
        end = self.span_offset(span.end_line, span.end_column)
        if end <= start:
            line_end = self.span_offset(span.line, 1) + len(self.line_text(span.line - 1))
            end = min(start + 1, line_end)
        return self.range(start, max(end, start))
