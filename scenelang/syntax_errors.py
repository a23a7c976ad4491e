"""Syntax errors in words: what was unexpected, what would have fitted, which bracket is open.

Lark reports terminals (`RBRACE`, `QUANTITY`); these helpers turn them into messages such as
"unexpected end of input: '{' opened at line 2, column 10 is never closed (missing '}')".
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from scenelang.errors import Diagnostic, Span

STATEMENT_KEYWORDS = {"SHAPE": "shape", "MATERIAL": "material", "OBJECT": "object",
                      "CAMERA": "camera", "LIGHT": "light", "WORLD": "world", "SET": "set",
                      "REMOVE": "remove", "PATCH": "patch", "REPLACE": "replace"}
"""Keyword terminals a statement or block starts with (for did-you-mean hints)."""
SECTION_KEYWORDS = ("geometry", "materials", "composition", "lighting")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}(?![0-9A-Za-z_])")

_FRIENDLY = {
    "NAME": "a name",
    "QUANTITY": "a number",
    "COLOR": "a colour (#rrggbb)",
    "$END": "end of file",
}


def expected_words(names: set[str] | frozenset[str], lark: Lark) -> str:
    """Lark's expected terminals as words a user understands ('}', a name, a number)."""
    words = set()
    for name in names:
        if name in _FRIENDLY:
            words.add(_FRIENDLY[name])
            continue
        try:
            pattern = lark.get_terminal(name).pattern
            words.add(f"'{pattern.value}'" if pattern.type == "str" else name.lower())
        except KeyError:
            words.add(name.lower())
    ordered = sorted(words, key=lambda w: (not w.startswith("'"), w))
    if len(ordered) > 8:
        ordered = ordered[:8] + ["..."]
    return ", ".join(ordered)


def syntax_diagnostic(exc: UnexpectedInput, text: str, file: str | None, start: str,
                      lark: Lark) -> Diagnostic:
    """A positioned, readable diagnostic for a Lark syntax error in `text`."""
    line = getattr(exc, "line", None) or 1
    column = getattr(exc, "column", None) or 1
    if isinstance(exc, UnexpectedCharacters):
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else "?"
        span = Span(line=line, column=column, end_line=line, end_column=column + 1, file=file)
        if ord(ch) > 127:
            uname = unicodedata.name(ch, "unknown character")
            return Diagnostic(
                f"unexpected character '{ch}' (U+{ord(ch):04X} {uname}): names, keywords and "
                "numbers use ASCII letters, digits and _", span)
        expected = expected_words(exc.allowed or set(), lark)
        return Diagnostic(f"unexpected character '{ch}'" + (f"; expected {expected}" if expected else ""), span)
    if isinstance(exc, (UnexpectedToken, UnexpectedEOF)):
        token = getattr(exc, "token", None)
        expected = expected_words(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or set(),
                                  lark)
        if token is None or token.type == "$END":
            line, column = _end_position(text)
            span = Span(line=line, column=column, end_line=line, end_column=column + 1, file=file)
            unclosed = _unclosed_bracket(text)
            if unclosed:
                closer = {"(": ")", "{": "}"}[unclosed[0]]
                return Diagnostic(f"unexpected end of input: '{unclosed[0]}' opened at line {unclosed[1]}, "
                                  f"column {unclosed[2]} is never closed (missing '{closer}')", span)
            return Diagnostic("unexpected end of input" + (f"; expected {expected}" if expected else ""), span)
        width = max(1, len(str(token)))
        span = Span(line=token.line, column=token.column, end_line=token.line,
                    end_column=token.column + width, file=file)
        if token.line == 1 and token.column == 1 and start == "scene_file" and "SCENELANG" in exc.expected:
            return Diagnostic(f"a scene file starts with the header `scenelang 1`, not '{token}'", span)
        shown = str(token) if len(str(token)) < 40 else str(token)[:37] + "..."
        section = _section_start(text, token.line)
        if section is not None:
            unclosed = _unclosed_bracket(section[1])
            if unclosed and unclosed[0] == "{":
                line_span = Span(line=token.line, column=1, end_line=token.line,
                                 end_column=len(section[0]) + 1, file=file)
                return Diagnostic(f"section '{section[0].strip()}' starts inside another: the '{{' "
                                  f"opened at line {unclosed[1]}, column {unclosed[2]} is never "
                                  f"closed (missing '}}')", line_span)
        keywords = [STATEMENT_KEYWORDS[n] for n in (exc.expected or ()) if n in STATEMENT_KEYWORDS]
        if token.type == "NAME" and keywords:
            close = difflib.get_close_matches(str(token), keywords, n=1, cutoff=0.6)
            if close:
                return Diagnostic(f"unexpected '{shown}'; expected {expected}", span,
                                  hint=f"did you mean '{close[0]}'?")
        if token.type == "QUANTITY" and "NAME" in exc.expected and "RPAR" in exc.expected:
            return Diagnostic(f"unexpected number '{shown}': parameters are named, "
                              f"e.g. radius={shown}", span)
        return Diagnostic(f"unexpected '{shown}'; expected {expected}", span)
    return Diagnostic(f"syntax error: {exc}", Span(line=line, column=column, file=file))


def _section_start(text: str, line: int) -> tuple[str, str] | None:
    """When line `line` of `text` opens a section (`materials {`): (the keyword with its
    indentation, the text before that line); else None."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    match = re.match(r"\s*(?:" + "|".join(SECTION_KEYWORDS) + r")(?=\s*\{)", lines[line - 1])
    if match is None:
        return None
    return match.group(0), "\n".join(lines[: line - 1])


def _end_position(text: str) -> tuple[int, int]:
    stripped = text.rstrip()
    line = stripped.count("\n") + 1
    column = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return line, column


def _unclosed_bracket(text: str) -> tuple[str, int, int] | None:
    stack: list[tuple[str, int, int]] = []
    line, col = 1, 1
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "#" and _COLOR.match(text, i):  # a colour, not a comment
            col += 7
            i += 7
            continue
        if ch == "#":
            end = text.find("\n", i)
            if end < 0:
                break
            col += end - i
            i = end
            continue
        if ch in "({":
            stack.append((ch, line, col))
        elif ch in ")}" and stack:
            stack.pop()
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
        i += 1
    return stack[-1] if stack else None


# ---------------------------------------------------------------- tree → AST
