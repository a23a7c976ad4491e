"""Parsing `.sl` scenes and `.slp` patches into the typed AST.

One Lark LALR parser (contextual lexer, positions propagated) serves both start symbols. A
Transformer builds AST nodes; calls and clauses are typed against the AST models by
`scenelang.coerce`, so every problem is reported at its file:line:column. Problems inside
different statements are collected and reported together. Comments are kept and attached to the
statements they precede (or follow on the same line), so `fmt` never loses them.

Input limits (defaults, see `ParseLimits`): 4 MiB of source text, bracket nesting 64 deep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import UnexpectedInput, VisitError

from baseline.coerce import build_node, suggest
from baseline.comments import attach_comments, attach_patch_comments
from baseline.syntax_errors import syntax_diagnostic
from scenelang import ast as A
from scenelang.errors import Diagnostic, SceneError, Span


def grammar_text() -> str:
    return (Path(__file__).parent / "scenelang.lark").read_text(encoding="utf-8")


@dataclass(frozen=True)
class ParseLimits:
    """Input limits checked before parsing: source size in bytes and bracket nesting depth."""

    max_bytes: int = 4 * 1024 * 1024
    max_nesting: int = 64


DEFAULT_LIMITS = ParseLimits()

_comment_sink: list[Token] = []


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,
        maybe_placeholders=True,
        start=["scene_file", "patch_file"],
        lexer_callbacks={"COMMENT": _comment_sink.append},
        cache=False,
    )


# ---------------------------------------------------------------- public API


def parse_scene(text: str, file: str | None = None, limits: ParseLimits = DEFAULT_LIMITS) -> A.Scene:
    """Parse scene text into a `Scene`. Raises `SceneError` (positioned) on any problem."""
    tree, comments = _parse(text, "scene_file", file, limits)
    scene = _transform(tree, text, file)
    return attach_comments(scene, comments)


def parse_patch(text: str, file: str | None = None, limits: ParseLimits = DEFAULT_LIMITS) -> A.PatchFile:
    """Parse patch text (`patch SECTION { ... }` blocks) into a `PatchFile`."""
    tree, comments = _parse(text, "patch_file", file, limits)
    patch = _transform(tree, text, file)
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
    data = path.read_bytes()
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
        raise exc.with_source(text, str(path))


# ---------------------------------------------------------------- parsing and syntax errors


def _parse(text: str, start: str, file: str | None, limits: ParseLimits) -> tuple[Tree, list[Token]]:
    if not isinstance(text, str):
        raise SceneError("source must be text")
    _precheck(text, file, limits, start)
    del _comment_sink[:]
    try:
        tree = _lark().parse(text, start=start)
    except UnexpectedInput as exc:
        raise SceneError([syntax_diagnostic(exc, text, file, start, _lark())], source=text) from None
    except RecursionError:
        raise SceneError("input is nested too deeply", Span(file=file), source=text) from None
    comments = list(_comment_sink)
    del _comment_sink[:]
    return tree, comments


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
    control = _CONTROL_RE.search(text)
    if control:
        fail(f"unexpected control character U+{ord(control.group()):04X}: this is not a text file",
             control.start())
    if text.count("(") + text.count("{") <= limits.max_nesting:
        return
    depth = 0
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


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BRACKET_RE = re.compile(r"#[^\n]*|[(){}]")


_QUANTITY_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?([A-Za-z_][A-Za-z0-9_]*)?")
_UNITS = frozenset({"deg", "rad", "mm"})
_INFINITIES = (float("inf"), float("-inf"))


class _Failed:
    """Marks a subtree that had errors (already recorded); parents skip building."""


FAILED = _Failed()


@dataclass
class _Call:
    name: str
    name_span: Span | None
    kwargs: list[tuple[str, Span | None, A.Node]]
    positional: list[Any]
    span: Span | None


@dataclass
class _Clause:
    name: str
    name_span: Span | None
    value: A.Node


def _token_span(tok: Token, file: str | None) -> Span:
    return Span(line=tok.line, column=tok.column, end_line=tok.end_line or tok.line,
                end_column=tok.end_column or tok.column + len(tok), file=file)


class _ToAst(Transformer):
    """Rule methods take `(meta, children)`; dispatch is done here directly, since Lark's
    `v_args` wrapper costs more than the rest of the transformation on large scenes."""

    def __init__(self, file: str | None):
        super().__init__(visit_tokens=False)
        self.file = file
        self.diagnostics: list[Diagnostic] = []

    def _call_userfunc(self, tree, new_children=None):
        children = new_children if new_children is not None else tree.children
        method = getattr(self, tree.data, None)
        if method is None:
            return Tree(tree.data, children, tree.meta)
        return method(tree.meta, children)

    # helpers --------------------------------------------------------------
    def _tok(self, tok: Token) -> Span:
        return _token_span(tok, self.file)

    @staticmethod
    def _join(start: Span | None, end: Span | None) -> Span | None:
        """The span from the start of `start` to the end of `end`."""
        if start is None or end is None:
            return start or end
        return Span(line=start.line, column=start.column, end_line=end.end_line,
                    end_column=end.end_column, file=start.file)

    def _error(self, message: str, span: Span | None, hint: str | None = None) -> _Failed:
        self.diagnostics.append(Diagnostic(message, span, hint=hint))
        return FAILED

    def _guard(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SceneError as exc:
            self.diagnostics.extend(exc.diagnostics)
            return FAILED

    # values ---------------------------------------------------------------
    def _quantity(self, tok: Token) -> A.Number | _Failed:
        return self._number_text(str(tok), _token_span(tok, self.file))

    def _number_text(self, text: str, span: Span) -> A.Number | _Failed:
        match = _QUANTITY_RE.fullmatch(text)
        if match is None:
            return self._error(f"malformed number '{text}'", span)
        unit = match.group(4)
        if unit is not None and unit not in _UNITS:
            if unit[0] in "eE" and (len(unit) == 1 or unit[1].isdigit()):
                return self._error(f"malformed number '{text}'", span)
            return self._error(f"unknown unit '{unit}' in '{text}'; units are deg, rad and mm", span)
        value = float(text[: match.start(4)] if unit else text)
        if value in _INFINITIES:
            return self._error(f"number '{text}' is out of range (it must be finite)", span)
        return A.Number(value=value, unit=unit, span=span)

    def number(self, meta, children):
        return self._quantity(children[0])

    def color(self, meta, children):
        return A.HexColor(hex=str(children[0])[1:].lower(), span=_token_span(children[0], self.file))

    def ident(self, meta, children):
        return A.Ident(name=str(children[0]), span=_token_span(children[0], self.file))

    def vector(self, meta, children):
        *numbers, closing = [t for t in children if t is not None]
        items = [self._quantity(t) for t in numbers]
        if any(i is FAILED for i in items):
            return FAILED
        span = self._join(items[0].span, self._tok(closing))
        span = span.model_copy(update={"column": span.column - 1}) if span.column > 1 else span
        if len(items) > 4:
            return self._error(f"a vector has at most 4 components, got {len(items)}", span)
        return A.Vector(items=tuple(items), span=span)

    def vector_token(self, meta, children):
        tok = children[0]
        text = str(tok)
        items = []
        multiline = "\n" in text
        for match in _QUANTITY_RE.finditer(text, 1):
            offset = match.start()
            line, column = tok.line, tok.column + offset
            if multiline:
                line += text.count("\n", 0, offset)
                last_nl = text.rfind("\n", 0, offset)
                if last_nl >= 0:
                    column = offset - last_nl
            piece = match.group()
            items.append(self._number_text(piece, Span(line=line, column=column, end_line=line,
                                                       end_column=column + len(piece), file=self.file)))
        if any(i is FAILED for i in items):
            return FAILED
        span = _token_span(tok, self.file)
        if len(items) > 4:
            return self._error(f"a vector has at most 4 components, got {len(items)}", span)
        return A.Vector(items=tuple(items), span=span)

    # calls and clauses ----------------------------------------------------
    def kwarg(self, meta, children):
        name, value = children
        return ("kwarg", str(name), _token_span(name, self.file), value)

    def clause(self, meta, children):
        name, value = children
        if value is FAILED:
            return FAILED
        return _Clause(str(name), _token_span(name, self.file), value)

    def call(self, meta, children):
        name_tok, *args, closing = children
        args = [a for a in args if a is not None]
        if any(a is FAILED for a in args) or any(isinstance(a, tuple) and a[3] is FAILED for a in args):
            return FAILED
        kwargs = [a[1:] for a in args if isinstance(a, tuple) and a[0] == "kwarg"]
        positional = [a for a in args if not (isinstance(a, tuple) and a[0] == "kwarg")]
        return _Call(str(name_tok), self._tok(name_tok), kwargs, positional,
                     self._join(self._tok(name_tok), self._tok(closing)))

    def shape_expr(self, meta, children):
        head, *clauses = children
        if head is FAILED or any(c is FAILED for c in clauses):
            return FAILED
        start = self._tok(head) if isinstance(head, Token) else head.span
        span = self._join(start, clauses[-1].value.span if clauses else start)
        transforms = self._transforms(clauses)
        if transforms is FAILED:
            return FAILED
        if isinstance(head, Token):
            return self._guard(build_node, A.Ref, [], span, fixed={"name": str(head), **transforms},
                               allowed=[], what="shape reference")
        call: _Call = head
        if call.name in A.CSG_OPS:
            if call.kwargs:
                name, name_span, _ = call.kwargs[0]
                return self._error(f"{call.name}() takes shapes, not named parameters like '{name}='",
                                   name_span)
            if len(call.positional) < 2:
                return self._error(f"{call.name}() needs at least two shapes", span)
            return self._guard(lambda: A.Csg(kind=call.name, operands=tuple(call.positional),
                                             span=span, **transforms))
        cls = A.PRIMITIVES.get(call.name)
        if cls is None:
            choices = list(A.PRIMITIVES) + list(A.CSG_OPS)
            return self._error(f"unknown shape '{call.name}'{suggest(call.name, choices)}",
                               call.name_span, hint=f"shapes: {', '.join(choices)}")
        if call.positional:
            return self._error(f"{call.name}() takes named parameters, e.g. "
                               f"{call.name}({A.required_params(cls)[0]}=...)", span)
        return self._guard(build_node, cls, call.kwargs, span, fixed=transforms,
                           allowed=[p for p in A.param_names(cls) if p not in A.ShapeBase.TRANSFORMS])

    def _transforms(self, clauses: list[_Clause]) -> dict | _Failed:
        out: dict[str, Any] = {}
        ok = True
        for c in clauses:
            if c.name not in A.ShapeBase.TRANSFORMS:
                self._error(f"unknown transform '{c.name}' on a shape{suggest(c.name, A.ShapeBase.TRANSFORMS)}",
                            c.name_span, hint="shapes take: at, rotate, scale")
                ok = False
                continue
            if c.name in out:
                self._error(f"'{c.name}' given twice", c.name_span)
                ok = False
                continue
            node = self._guard(build_node, A.ShapeBase, [(c.name, c.name_span, c.value)], None,
                               allowed=A.ShapeBase.TRANSFORMS, what="shape")
            if node is FAILED:
                ok = False
                continue
            out[c.name] = getattr(node, c.name)
        return out if ok else FAILED

    # statements -----------------------------------------------------------
    def _clause_params(self, clauses) -> list | _Failed:
        if any(c is FAILED for c in clauses):
            return FAILED
        return [(c.name, c.name_span, c.value) for c in clauses]

    def _stmt_span(self, keyword: Token, last) -> Span:
        """From the statement's keyword to its last token or node."""
        end = last if isinstance(last, Span) else (
            self._tok(last) if isinstance(last, Token) else getattr(last, "span", None))
        return self._join(self._tok(keyword), end)

    def shape_stmt(self, meta, children):
        keyword, name, shape = children
        if shape is FAILED:
            return FAILED
        return self._guard(lambda: A.ShapeDef(name=str(name), shape=shape,
                                              span=self._stmt_span(keyword, shape)))

    def _typed_call(self, keyword, name, call, kinds: dict, stmt_cls, field: str, what: str):
        if call is FAILED:
            return FAILED
        cls = kinds.get(call.name)
        if cls is None:
            return self._error(f"unknown {what} type '{call.name}'{suggest(call.name, kinds)}",
                               call.name_span, hint=f"{what} types: {', '.join(kinds)}")
        if call.positional:
            return self._error(f"{call.name}() takes named parameters only", call.span)
        node = self._guard(build_node, cls, call.kwargs, call.span)
        if node is FAILED:
            return FAILED
        return self._guard(lambda: stmt_cls(name=str(name), span=self._stmt_span(keyword, call.span),
                                            **{field: node}))

    def material_stmt(self, meta, children):
        keyword, name, call = children
        return self._typed_call(keyword, name, call, A.MATERIAL_KINDS, A.MaterialDef, "material", "material")

    def light_stmt(self, meta, children):
        keyword, name, call = children
        return self._typed_call(keyword, name, call, A.LIGHT_KINDS, A.LightDef, "light", "light")

    def object_stmt(self, meta, children):
        keyword, name, shape, *clauses = children
        params = self._clause_params(clauses)
        if params is FAILED:
            return FAILED
        span = self._stmt_span(keyword, clauses[-1].value if clauses else shape)
        allowed = [p for p in A.param_names(A.ObjectDef) if p != "shape"]
        return self._guard(build_node, A.ObjectDef, params, span,
                           fixed={"name": str(name), "shape": str(shape)}, allowed=allowed, what="object")

    def camera_stmt(self, meta, children):
        keyword, name, *clauses = children
        params = self._clause_params(clauses)
        if params is FAILED:
            return FAILED
        span = self._stmt_span(keyword, clauses[-1].value if clauses else name)
        return self._guard(build_node, A.Camera, params, span, fixed={"name": str(name)}, what="camera")

    def world_stmt(self, meta, children):
        keyword, *clauses = children
        params = self._clause_params(clauses)
        if params is FAILED:
            return FAILED
        span = self._stmt_span(keyword, clauses[-1].value if clauses else keyword)
        return self._guard(build_node, A.World, params, span, what="world")

    # sections and files ---------------------------------------------------
    def section_name(self, meta, children):
        return children[0]

    def _statements_for(self, section: str, statements: list, section_span) -> list:
        good = []
        for st in statements:
            if st is FAILED:
                continue
            home = A.SECTION_OF[st.stmt]
            if home != section:
                self._error(f"a {st.stmt} statement belongs in the {home} section, not {section}", st.span)
                continue
            good.append(st)
        return good

    def section(self, meta, children):
        name_tok, *statements, closing = children
        name = str(name_tok)
        span = self._join(self._tok(name_tok), self._tok(closing))
        good = self._statements_for(name, statements, span)
        return (name, self._tok(name_tok), A.Section(name=name, statements=tuple(good), span=span))

    def header(self, meta, children):
        keyword, version = children
        number = self._quantity(version)
        if number is FAILED:
            return FAILED
        if number.unit is not None or number.value != A.LANGUAGE_VERSION:
            return self._error(f"unsupported language version '{version}'; this scenelang reads "
                               f"version {A.LANGUAGE_VERSION}", number.span)
        return self._join(self._tok(keyword), number.span)

    def scene_file(self, meta, children):
        header, *sections = children
        seen: dict[str, Span | None] = {}
        fields = {}
        for name, name_span, section in sections:
            if name in seen:
                first = seen[name]
                self._error(f"section '{name}' appears twice (first at line {first.line if first else '?'})",
                            name_span)
                continue
            seen[name] = name_span
            fields[name] = section
        if self.diagnostics:
            return FAILED
        if header is FAILED:
            return FAILED
        return A.Scene(span=header, **fields)

    def set_op(self, meta, children):
        keyword, target, param, value = children
        if value is FAILED:
            return FAILED
        return A.SetOp(target=str(target), param=str(param), value=value,
                       span=self._join(self._tok(keyword), value.span))

    def remove_op(self, meta, children):
        keyword, name = children
        return A.RemoveOp(name=str(name), span=self._join(self._tok(keyword), self._tok(name)))

    def patch(self, meta, children, replace: bool = False):
        keyword, name_tok, *ops, closing = children
        name = str(name_tok)
        good = []
        for op in ops:
            if op is FAILED:
                continue
            if isinstance(op, A.Statement):
                if A.SECTION_OF[op.stmt] != name:
                    self._error(f"a {op.stmt} statement belongs in the {A.SECTION_OF[op.stmt]} "
                                f"section; this patch edits {name}", op.span)
                    continue
                op = A.PutOp(statement=op, span=op.span)
            good.append(op)
        return A.Patch(section=name, replace=replace, ops=tuple(good),
                       span=self._join(self._tok(keyword), self._tok(closing)))

    def replace(self, meta, children):
        return self.patch(meta, children, replace=True)

    def patch_file(self, meta, children):
        header, *patches = children
        if self.diagnostics:
            return FAILED
        return A.PatchFile(patches=tuple(patches), span=patches[0].span if patches else None)


def _transform(tree: Tree, text: str, file: str | None):
    transformer = _ToAst(file)
    try:
        result = transformer.transform(tree)
    except VisitError as exc:
        original = exc.orig_exc
        if isinstance(original, SceneError):
            transformer.diagnostics.extend(original.diagnostics)
        else:
            transformer.diagnostics.append(Diagnostic(f"invalid input: {original}", Span(file=file)))
        result = FAILED
    except RecursionError:
        raise SceneError("input is nested too deeply", Span(file=file), source=text) from None
    if transformer.diagnostics or result is FAILED:
        diags = sorted(transformer.diagnostics or [Diagnostic("invalid input", Span(file=file))],
                       key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0))
        raise SceneError(diags, source=text)
    return result
