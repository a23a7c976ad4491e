"""Where a cursor is in a scene that may be half written: section, statement, call, what comes next.

Completion and hover must work while the user types, when the text does not parse. This module
reads the tokens before the cursor with the language's token shapes (names, numbers with unit
suffixes, `#rrggbb` colours where a value is expected, `#` comments, brackets) and follows the
statement forms of docs/language.md with a small state machine:

- outside sections: the header, then section names;
- in a section: a statement keyword, its name, `=`, the head (a call or a name), then clauses
  (`at V`, `material M`, ...), each a name and one value;
- in a call: parameter names (`size=`) or, in a CSG operation, operand shapes with transforms.

It never decides whether the text is valid (the parser does that for the diagnostics); it only
says what may come next, so a wrong guess costs a less useful completion list, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scenelang import ast as A

STATEMENTS_OF = {
    "geometry": ("shape",),
    "materials": ("material", "texture"),
    "composition": ("object", "group", "camera"),
    "lighting": ("light", "world"),
}
"""Statement keywords of each section."""
STATEMENT_KEYWORDS = frozenset(k for ks in STATEMENTS_OF.values() for k in ks)

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\f\r\n]+)
  | (?P<hash>\#[^\n]*)
  | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}(?![0-9A-Za-z_])")
_WORD = re.compile(r"[A-Za-z0-9_]*")


@dataclass(frozen=True)
class Tok:
    kind: str  # name, number, colour, comment, or the character itself for punctuation
    text: str
    start: int
    end: int


def tokens(text: str) -> list[Tok]:
    """The tokens of `text`, comments included, whitespace dropped. `#` and six hex digits is a
    colour where a value is expected (after `=`, `,`, `(` or a clause name), else a comment."""
    out: list[Tok] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "ws":
            continue
        if kind == "hash":
            colour = _COLOUR.match(m.group())
            prev = out[-1] if out and out[-1].kind != "comment" else None
            if colour and prev is not None and (prev.kind == "name" or prev.text in "=,("):
                out.append(Tok("colour", colour.group(), m.start(), m.start() + 7))
                rest = m.group()[7:]
                stripped = rest.lstrip(" \t")
                if stripped:  # the comment after the colour, or whatever follows it
                    out.extend(tokens_from(text, m.start() + 7 + len(rest) - len(stripped),
                                           m.end()))
                continue
            out.append(Tok("comment", m.group(), m.start(), m.end()))
        elif kind == "other":
            out.append(Tok(m.group(), m.group(), m.start(), m.end()))
        else:
            out.append(Tok(kind, m.group(), m.start(), m.end()))
    return out


def tokens_from(text: str, start: int, end: int) -> list[Tok]:
    """Tokens of `text[start:end]` with offsets into `text`."""
    return [Tok(t.kind, t.text, t.start + start, t.end + start) for t in tokens(text[start:end])]


@dataclass
class Frame:
    """A `{` section or a `(` call or vector still open at the cursor."""

    kind: str  # "section", "call" or "vector"
    name: str | None = None  # section name or call name
    state: str = "item"  # in a call: item, name, value, after, clause_value
    given: list[str] = field(default_factory=list)  # parameters given so far (in a CSG
    # operation: the transforms of the current operand)
    last: str | None = None  # the last parameter name (call)


@dataclass
class Context:
    """What surrounds `offset`: the open frames and the statement being written."""

    offset: int
    prefix_start: int  # where the word being typed at the cursor starts
    in_comment: bool = False
    header: bool = False
    sections: list[str] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    statement: str | None = None  # keyword of the statement being written
    statement_start: int = 0
    state: str | None = None  # name, eq, head, clause, value
    clauses: list[str] = field(default_factory=list)
    clause: str | None = None  # the clause whose value comes next
    definitions: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, name, offset)

    @property
    def top(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    @property
    def section(self) -> str | None:
        for frame in reversed(self.frames):
            if frame.kind == "section":
                return frame.name
        return None

    def defined(self, kind: str, before: int | None = None) -> list[str]:
        """Names of shapes or materials defined in the text (before an offset, if given)."""
        names = [n for k, n, at in self.definitions if k == kind and (before is None or at < before)]
        return list(dict.fromkeys(names))


def definitions(toks: list[Tok]) -> list[tuple[str, str, int]]:
    """`(kind, name, offset)` of every `shape NAME =`, `material NAME =` and `texture NAME =` in
    the tokens."""
    code = [t for t in toks if t.kind != "comment"]
    out = []
    for i, t in enumerate(code[:-2]):
        if t.text in ("shape", "material", "texture") and code[i + 1].kind == "name" \
                and code[i + 2].text == "=":
            out.append((t.text, code[i + 1].text, code[i + 1].start))
    return out


def context_at(text: str, offset: int) -> Context:
    """The context of a cursor at `offset` (the word it is in does not count as written)."""
    offset = min(max(offset, 0), len(text))
    start = offset
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_") and text[start - 1].isascii():
        start -= 1
    toks = tokens(text)
    ctx = Context(offset=offset, prefix_start=start, definitions=definitions(toks))
    ctx.in_comment = any(t.kind == "comment" and t.start < offset <= t.end for t in toks)
    code = [t for t in toks if t.kind != "comment" and t.end <= start]
    prev: Tok | None = None
    for tok in code:
        _step(ctx, tok, prev)
        prev = tok
    return ctx


def word_at(text: str, offset: int) -> tuple[int, int] | None:
    """`(start, end)` of the name under the cursor, or None."""
    start = offset
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    end = offset + len(_WORD.match(text, offset).group()) if offset < len(text) else offset
    if end == start or not (text[start].isalpha() or text[start] == "_") or not text[start:end].isascii():
        return None
    return start, end


def next_token(text: str, offset: int) -> Tok | None:
    """The first token at or after `offset` that is not a comment."""
    for tok in tokens_from(text, offset, min(len(text), offset + 200)):
        if tok.kind != "comment":
            return tok
    return None


def _step(ctx: Context, tok: Tok, prev: Tok | None) -> None:
    top = ctx.top
    if tok.text == "{":
        name = prev.text if prev is not None and prev.kind == "name" else None
        ctx.frames.append(Frame("section", name))
        if name:
            ctx.sections.append(name)
        ctx.statement = ctx.state = None
        return
    if tok.text == "}":
        while ctx.frames and ctx.frames.pop().kind != "section":
            pass
        ctx.statement = ctx.state = None
        return
    if top is None:
        if tok.text == "scenelang":
            ctx.header = True
        return
    if top.kind in ("call", "vector"):
        _step_call(ctx, top, tok, prev)
    else:
        _step_statement(ctx, tok, prev)


def _step_statement(ctx: Context, tok: Tok, prev: Tok | None) -> None:
    state = ctx.state
    keywords = STATEMENTS_OF.get(ctx.section or "", STATEMENT_KEYWORDS)
    if tok.kind == "name" and tok.text in keywords and state in (None, "clause"):
        ctx.statement, ctx.statement_start, ctx.clauses, ctx.clause = tok.text, tok.start, [], None
        ctx.state = "clause" if tok.text == "world" else "name"
    elif state == "name" and tok.kind == "name":
        ctx.state = "clause" if ctx.statement == "camera" else "eq"
    elif state == "eq" and tok.text == "=":
        ctx.state = "head"
    elif state == "head" and tok.kind == "name":
        ctx.state = "clause"
    elif state == "clause" and tok.kind == "name":
        ctx.clauses.append(tok.text)
        ctx.clause, ctx.state = tok.text, "value"
    elif state == "value" and tok.kind in ("name", "number", "colour"):
        ctx.state = "clause"
    elif tok.text == "(":
        if state == "clause" and prev is not None and prev.kind == "name":
            ctx.frames.append(Frame("call", prev.text))
        else:
            ctx.frames.append(Frame("vector"))
    elif tok.text == ")":
        ctx.state = "clause"


def _step_call(ctx: Context, top: Frame, tok: Tok, prev: Tok | None) -> None:
    if tok.text == "(":
        if top.kind == "call" and top.state in ("name", "after") and prev is not None \
                and prev.kind == "name":
            ctx.frames.append(Frame("call", prev.text))
        else:
            ctx.frames.append(Frame("vector"))
        return
    if tok.text == ")":
        ctx.frames.pop()
        outer = ctx.top
        if outer is None or outer.kind == "section":
            ctx.state = "clause"
        elif outer.kind == "call":
            outer.state = "after"
        return
    if top.kind == "vector":
        return
    if tok.text == ",":
        top.state = "item"
        if top.name in A.CSG_OPS:  # a new operand: its transforms start afresh
            top.given = []
    elif tok.text == "=":
        top.state = "value"
        if top.last:
            top.given.append(top.last)
    elif top.state == "item" and tok.kind == "name":
        top.state, top.last = "name", tok.text
    elif top.state in ("name", "after") and tok.kind == "name":
        top.state, top.last = "clause_value", tok.text
        top.given.append(tok.text)
    elif top.state in ("value", "clause_value") and tok.kind in ("name", "number", "colour"):
        top.state = "after"
