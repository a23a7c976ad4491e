"""Parsing `.sl` scenes and `.slp` patches into the typed AST.

Two paths build the same AST. Scenes first go through `scenelang.fastparse`, a hand-written
parser for well-formed input (about ten times faster); anything it does not accept as written,
and every patch, goes through one cached Lark LALR parser (contextual lexer) that serves both
start symbols and builds AST nodes during the parse (`transformer=`), with no parse tree. Calls
and clauses are typed against the AST models by `scenelang.coerce`, so every problem is reported
at its file:line:column; all error messages come from the Lark path. Problems inside
different statements are collected and reported together. Comments are kept and attached to the
statements they precede (or follow on the same line), so `fmt` never loses them.

Input limits (defaults, see `ParseLimits`): 4 MiB of source text, bracket nesting 64 deep.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedInput

from scenelang import ast as A
from scenelang import fastparse
from scenelang.build import FAILED, AstBuilder
from scenelang.comments import attach_comments, attach_patch_comments
from scenelang.errors import Diagnostic, SceneError, Span
from scenelang.grammar import grammar_text
from scenelang.syntax_errors import syntax_diagnostic


@dataclass(frozen=True)
class ParseLimits:
    """Input limits checked before parsing: source size in bytes and bracket nesting depth."""

    max_bytes: int = 4 * 1024 * 1024
    max_nesting: int = 64


DEFAULT_LIMITS = ParseLimits()



@lru_cache(maxsize=1)
def _lark() -> Lark:
    """The one Lark parser; it builds the AST while parsing, with `AstBuilder` (see `_parse`)."""
    transformer = AstBuilder()
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,
        maybe_placeholders=True,
        start=["scene_file", "patch_file"],
        transformer=transformer,
        lexer_callbacks={"COMMENT": transformer.comments.append},
        cache=False,
    )


# the transformer bound to the cached Lark parser holds one parse's state: one parse at a time
_LARK_LOCK = threading.Lock()


# ---------------------------------------------------------------- public API


def parse_scene(text: str, file: str | None = None, limits: ParseLimits = DEFAULT_LIMITS) -> A.Scene:
    """Parse scene text into a `Scene`. Raises `SceneError` (positioned) on any problem."""
    text = _newlines(text)
    _check_input(text, "scene_file", file, limits)
    try:
        scene, comments = fastparse.parse_scene(text, file, _lark())
    except fastparse.Fallback:
        scene, comments = _parse(text, "scene_file", file)
    return attach_comments(scene, comments)


def parse_patch(text: str, file: str | None = None, limits: ParseLimits = DEFAULT_LIMITS,
                constants: tuple[A.LetDef, ...] = ()) -> A.PatchFile:
    """Parse patch text (`patch SECTION { ... }` blocks) into a `PatchFile`.

    `constants` are the `let` constants of the scene the patch is for (default none): the
    patch's arithmetic may use them and those its own `patch constants` block defines first."""
    text = _newlines(text)
    _check_input(text, "patch_file", file, limits)
    patch, comments = _parse(text, "patch_file", file, {c.name: c.value for c in constants})
    return attach_patch_comments(patch, comments)


def read_source(path: str | Path, limits: ParseLimits = DEFAULT_LIMITS) -> str:
    """Read a source file as UTF-8 with size and encoding checks (positioned errors)."""
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SceneError(f"cannot read {name}: {exc.strerror or exc}") from None
    if path.is_dir():
        raise SceneError(f"{name} is a directory, not a scene file")
    if size > limits.max_bytes:
        raise SceneError(
            f"file is too large ({size / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.1f} MB)",
            Span(file=name))
    return decode_source(path.read_bytes(), name)


def decode_source(data: bytes, name: str) -> str:
    """`data` as UTF-8 text, a byte-order mark dropped; a bad byte is a `SceneError` positioned
    at it (line and column in `name`)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise SceneError(
            f"file is not UTF-8 text (byte 0x{data[exc.start]:02x})",
            Span(line=line, column=column, end_line=line, end_column=column + 1, file=name)) from None
    return text[1:] if text.startswith("\ufeff") else text


def load_scene(path: str | Path, limits: ParseLimits = DEFAULT_LIMITS) -> A.Scene:
    """Read and parse a `.sl` file; errors carry the file's text for excerpts."""
    return _load(path, parse_scene, limits)


def load_patch(path: str | Path, limits: ParseLimits = DEFAULT_LIMITS) -> A.PatchFile:
    """Read and parse a `.slp` file; errors carry the file's text for excerpts."""
    return _load(path, parse_patch, limits)


def _load(path: str | Path, parse, limits: ParseLimits):
    text = read_source(path, limits)
    try:
        return parse(text, str(path), limits)
    except SceneError as exc:
        raise exc.with_source(text, str(path)) from None


# ---------------------------------------------------------------- parsing and syntax errors


def _check_input(text: str, start: str, file: str | None, limits: ParseLimits) -> None:
    if not isinstance(text, str):
        raise SceneError("source must be text")
    _precheck(text, file, limits, start)


def _parse(text: str, start: str, file: str | None,
           constants: dict[str, float] | None = None) -> tuple[Any, list[Token]]:
    """Parse with Lark, building the AST during the parse; `(node, comment tokens)`.

    Every problem is collected: syntax errors stop the parse (only the first is reported), the
    builders' problems are reported together, sorted by position.
    """
    lark = _lark()
    with _LARK_LOCK:
        transformer: AstBuilder = lark.options.transformer
        transformer.reset(file, constants)
        try:
            result = lark.parse(text, start=start)
        except UnexpectedInput as exc:
            raise SceneError([syntax_diagnostic(exc, text, file, start, lark)], source=text) from None
        except RecursionError:
            raise SceneError("input is nested too deeply", Span(file=file), source=text) from None
        finally:
            diagnostics = transformer.finish()
            comments = list(transformer.comments)
            transformer.reset(None)
    if diagnostics or result is FAILED:
        diags = sorted(diagnostics or [Diagnostic("invalid input", Span(file=file))],
                       key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))
        raise SceneError(diags, source=text)
    return result, comments


def _precheck(text: str, file: str | None, limits: ParseLimits, start: str) -> None:
    def fail(message: str, offset: int) -> None:
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise SceneError(message, Span(line=line, column=column, end_line=line,
                                       end_column=column + 1, file=file), source=text)

    if len(text) > limits.max_bytes:
        raise SceneError(f"input is too large ({len(text) / 1e6:.1f} MB; the limit is "
                         f"{limits.max_bytes / 1e6:.1f} MB)", Span(file=file))
    if not text.strip():
        what = "a scene file starts with the header `scenelang 1`" if start == "scene_file" \
            else "a patch holds at least one `patch SECTION { ... }` block"
        raise SceneError(f"empty input: {what}", Span(file=file), source=text)
    if not text.isascii():
        _check_ascii(text, fail)
    control = _CONTROL_RE.search(text)
    if control:
        fail(f"unexpected control character U+{ord(control.group()):04X}: this is not a text file",
             control.start())
    if text.count("(") + text.count("{") <= limits.max_nesting or _max_depth(text) <= limits.max_nesting:
        return
    depth = 0  # too deep: find where, bracket by bracket
    for match in _BRACKET_RE.finditer(text):
        ch = match.group()
        if ch[0] == "#":
            continue
        if ch in "({":
            depth += 1
            if depth > limits.max_nesting:
                fail(f"brackets are nested more than {limits.max_nesting} deep", match.start())
        elif ch in ")}":
            depth -= 1


def _max_depth(text: str) -> int:
    """The deepest bracket nesting, `(` and `{` alike, outside comments (a colour is no comment).

    Only ASCII can be left once comments are gone (the ASCII check runs first); anything else
    would count 0."""
    brackets = _COLOR_OR_COMMENT_RE.sub("", text).translate(_KEEP_BRACKETS)
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets), initial=0))


def _newlines(text: str) -> str:
    """CR LF and lone CR (old Mac) line endings as LF, so a `#` comment ends at the end of its
    line and positions count lines as editors do (`str.splitlines` agrees for excerpts)."""
    if isinstance(text, str) and "\r" in text:
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# a colour (`#ff8800`) is a value; any other `#` starts a comment that runs to the end of the line
_COLOR_PATTERN = r"#[0-9a-fA-F]{6}(?![0-9A-Za-z_])"
_COLOR_AT = re.compile(_COLOR_PATTERN)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _check_ascii(text: str, fail) -> None:
    """Outside comments the language is ASCII (docs/language.md): a non-ASCII digit (`١`, `３`),
    space (NBSP, U+2028) or letter is an error naming its code point (never echoing it raw)."""
    for match in _NON_ASCII.finditer(text):
        offset = match.start()
        line_start = text.rfind("\n", 0, offset) + 1
        hash_at = text.find("#", line_start, offset)
        while hash_at != -1 and _COLOR_AT.match(text, hash_at):
            hash_at = text.find("#", hash_at + 7, offset)
        if hash_at != -1:
            continue  # inside a comment: any text is fine
        ch = match.group()
        name = unicodedata.name(ch, "unnamed character")
        kind = ("digit" if ch.isdigit() else "space" if ch.isspace() else "character")
        fail(f"unexpected non-ASCII {kind} U+{ord(ch):04X} ({name}): outside comments only "
             f"ASCII is allowed (digits 0-9, spaces and tabs)", offset)


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BRACKET_RE = re.compile(_COLOR_PATTERN + r"|#[^\n]*|[(){}]")
_COLOR_OR_COMMENT_RE = re.compile(r"#(?:[0-9a-fA-F]{6}(?![0-9A-Za-z_])|[^\n]*)")  # starts with `#`: fast
_KEEP_BRACKETS = {code: None for code in range(128) if chr(code) not in "(){}"}
_BRACKET_STEP = defaultdict(int, {"(": 1, "{": 1, ")": -1, "}": -1})  # anything else: 0
