"""The fast path of the scene parser: a hand-written parser for well-formed scene text.

`parse_scene` reads a `.sl` text with one regular expression scan and a recursive-descent parser,
and builds exactly the AST (spans included) that the Lark path of `scenelang.parser` builds. It
accepts only input it can read *as written*: on anything else (any syntax or value error, a
keyword used as a name, a comment inside a vector, a colour-like comment, ...) it raises
`Fallback` and the caller parses the text again with Lark, which gives every error message.
So the fast path never decides what is an error; it only has to agree with Lark on valid input.

The terminals (numbers, vectors, names, colours, comments, whitespace and the keywords) are
taken from the Lark grammar itself, so the two paths tokenize alike. Values are typed against
the AST models' annotations as `scenelang.coerce` does; the common cases (numbers, vectors of
numbers, names, choices) are converted here directly, every other field goes through
`coerce.coerce`, and every node is still built by pydantic validation, so the range checks are
the models' own.
"""

from __future__ import annotations

import math
import re
import types
import typing
from bisect import bisect_right
from collections.abc import Callable
from typing import Any, Literal, Union, get_args, get_origin

from lark import Lark, Token
from pydantic import ValidationError

from scenelang import ast as A
from scenelang.coerce import CoerceError, coerce
from scenelang.errors import Span
from scenelang.literals import LiteralError, color_node, ident_node, quantity, vector_items, vector_pieces


class Fallback(Exception):
    """The fast path does not take this input; parse it with Lark."""


_NONE = type(None)
_PLAIN_ENDS = frozenset("0123456789.")  # the last character of a number written without a unit
_LETTER = re.compile("[A-DF-Za-df-z]")  # any letter but the exponent's e/E
_STATEMENT_KEYWORDS = ("shape", "material", "object", "camera", "light", "world", "group")


class _Lexicon:
    """The token pattern and keywords, built once from the Lark grammar's terminals."""

    def __init__(self, lark: Lark):
        terminals = {t.name: t for t in lark.terminals}

        def regexp(name: str) -> str:
            return terminals[name].pattern.to_regexp()

        name_re = re.compile(regexp("NAME"))
        # one match per token, whitespace (Lark's WS) before it included; the order is Lark's
        # (VECTOR and COLOR have priority), and `other` takes any other character, so nothing but
        # trailing whitespace is ever skipped
        ws = regexp("WS")
        kinds = {"color": regexp("COLOR"), "comment": regexp("COMMENT"), "vector": regexp("VECTOR"),
                 "number": regexp("QUANTITY"), "name": regexp("NAME"), "punct": r"[(){}=,.]",
                 "other": r"[^ \t\f\r\n]"}
        assert ws == "(?:[ \t\f\r\n])+", ws
        self.token_re = re.compile(
            "[ \t\f\r\n]*(?:" + "|".join(f"(?P<{k}>{p})" for k, p in kinds.items()) + ")")
        index = self.token_re.groupindex
        # token kind by group number: N name, Q number, V vector, C colour; None for the rest
        self.kind_of: list[str | None] = [None] * (self.token_re.groups + 1)
        for group, kind in (("name", "N"), ("number", "Q"), ("vector", "V"), ("color", "C")):
            self.kind_of[index[group]] = kind
        self.comment = index["comment"]
        self.other = index["other"]
        self.keywords = frozenset(
            t.pattern.value for t in lark.terminals
            if t.pattern.type == "str" and name_re.fullmatch(t.pattern.value))
        for keyword in _STATEMENT_KEYWORDS + A.SECTION_NAMES + ("scenelang",):
            assert keyword in self.keywords, keyword


_LEXICON: _Lexicon | None = None


def _lexicon(lark: Lark) -> _Lexicon:
    global _LEXICON
    if _LEXICON is None:
        _LEXICON = _Lexicon(lark)
    return _LEXICON


# ---------------------------------------------------------------- typing values

# a raw value: (kind, text, token index); kind is "Q" (number), "V" (vector), "C" (colour) or
# "N" (name)
Raw = tuple[str, str, int]


def _unit_of(meta: tuple) -> str | None:
    for m in meta:
        if isinstance(m, A.Unit):
            return m.name
    return None


def _float_plan(unit: str | None) -> Callable[[str], float]:
    """Number text to field value, as `coerce` does for a float field with this unit."""

    suffix = unit if unit in ("deg", "mm") else None  # written as the field's own unit

    def convert(text: str) -> float:
        if suffix is not None and text.endswith(suffix):
            number = text[: -len(suffix)]
            if "_" not in number and number[-1:] in _PLAIN_ENDS:
                try:
                    value = float(number)
                except ValueError:
                    raise Fallback from None
                if not math.isfinite(value):
                    raise Fallback
                return value
        try:
            value, written = quantity(text)
        except LiteralError:
            raise Fallback from None
        if written is None:
            return value
        if unit == "deg":
            if written == "deg":
                return value
            if written == "rad":
                return math.degrees(value)
        elif unit == "mm" and written == "mm":
            return value
        raise Fallback

    return convert


def _plan(tp: Any, meta: tuple = ()) -> Callable[[Raw], Any] | None:
    """A converter from a raw value to the value of a field typed `tp`, or None when this field
    is left to `coerce` (colours, whole numbers, anything unusual). Mirrors `coerce.coerce`."""
    origin = get_origin(tp)
    if origin is typing.Annotated:
        base, *extra = get_args(tp)
        return _plan(base, tuple(extra) + meta)
    if origin in (Union, types.UnionType):
        alts = [a for a in get_args(tp) if a is not _NONE]
        if len(alts) == 1:
            return _plan(alts[0], meta)
        if len(alts) == 2:  # `scale`: a number or a vector, told apart by the kind of value
            number, vector = (_plan(a, meta) for a in alts)
            kinds = [get_origin(a) or a for a in alts]
            if number is not None and vector is not None and kinds[1] is tuple and \
                    (kinds[0] is float or kinds[0] is typing.Annotated):

                def either(raw: Raw) -> Any:
                    if raw[0] == "Q":
                        return number(raw)
                    if raw[0] == "V":
                        return vector(raw)
                    raise Fallback

                return either
        return None
    if origin is Literal:
        choices = frozenset(str(a) for a in get_args(tp))

        def choice(raw: Raw) -> str:
            if raw[0] == "N" and raw[1] in choices:
                return raw[1]
            raise Fallback

        return choice
    if origin is tuple:
        args = get_args(tp)
        items = []
        for arg in args:
            base, extra = arg, meta
            while get_origin(base) is typing.Annotated:
                base, *more = get_args(base)
                extra = tuple(more) + extra
            if base is not float:
                return None
            items.append(_float_plan(_unit_of(extra)))
        count = len(items)

        def vector(raw: Raw) -> tuple:
            if raw[0] != "V":
                raise Fallback
            text = raw[1]
            if "_" not in text and text[-2] not in ",\n\t\f\r " and not _LETTER.search(text):
                # plain numbers (the common case): no unit, no trailing comma; the token matched
                # VECTOR, so float() reads each piece exactly as `quantity` would
                try:
                    values = tuple(map(float, text[1:-1].split(",")))
                except ValueError:  # `1e` (a unit `e`): `quantity` gives the error
                    raise Fallback from None
                if len(values) != count or not all(map(math.isfinite, values)):
                    raise Fallback
                return values
            pieces = vector_pieces(text)
            if len(pieces) != count:
                raise Fallback
            return tuple(convert(piece) for convert, piece in zip(items, pieces))

        return vector
    if tp is float:
        convert = _float_plan(_unit_of(meta))

        def number(raw: Raw) -> float:
            if raw[0] != "Q":
                raise Fallback
            return convert(raw[1])

        return number
    if tp is str:

        def name(raw: Raw) -> str:
            if raw[0] != "N":
                raise Fallback
            return raw[1]

        return name
    return None


class _Model:
    """What building one node class needs: allowed parameters, required ones, converters."""

    def __init__(self, cls: type[A.Node], allowed: list[str] | None = None):
        self.cls = cls
        self.allowed = frozenset(allowed if allowed is not None else A.param_names(cls))
        self.required = [f for f in A.required_params(cls) if f in self.allowed]
        self.fields = {name: (cls.model_fields[name], _plan(cls.model_fields[name].annotation,
                                                             tuple(cls.model_fields[name].metadata)))
                       for name in self.allowed}


_MODELS: dict[tuple[type, str], _Model] = {}


def _model(cls: type[A.Node], role: str = "") -> _Model:
    model = _MODELS.get((cls, role))
    if model is None:
        if role == "primitive":
            allowed = [p for p in A.param_names(cls) if p not in A.ShapeBase.TRANSFORMS]
        elif role == "object":
            allowed = [p for p in A.param_names(cls) if p != "shape"]
        elif role == "transforms":
            allowed = list(A.ShapeBase.TRANSFORMS)
        elif role in ("instance", "group"):
            allowed = ["at", "rotate", "scale"] + (["material"] if role == "instance" else [])
        elif role == "array":
            allowed = [p for p in A.param_names(cls) if p != "source"]
        else:
            allowed = None
        model = _MODELS[(cls, role)] = _Model(cls, allowed)
    return model


# ---------------------------------------------------------------- the parser


class _End:
    """Stands for a match at the end of the text (the end-of-input tokens)."""

    def __init__(self, offset: int):
        self.offset = offset

    def start(self, _group: int = 0) -> int:
        return self.offset

    def end(self) -> int:
        return self.offset


class _Parser:
    def __init__(self, text: str, file: str | None, lexicon: _Lexicon):
        self.text = text
        self.file = file
        self.keywords = lexicon.keywords
        # one C-level scan; the lists are built by comprehensions (a token costs well under a
        # microsecond), and start/end offsets are read from the matches only when a span is needed
        matches = list(lexicon.token_re.finditer(text))
        groups = [m.lastindex for m in matches]
        if lexicon.other in groups:
            raise Fallback
        comments: list[tuple[int, int]] = []
        if lexicon.comment in groups:
            comment = lexicon.comment
            comments = [m.span(comment) for m, g in zip(matches, groups) if g == comment]
            kept = [(m, g) for m, g in zip(matches, groups) if g != comment]
            matches, groups = [m for m, _ in kept], [g for _, g in kept]
        texts = [m.group(g) for m, g in zip(matches, groups)]
        kind_of = lexicon.kind_of
        kinds = [kind_of[g] or t for g, t in zip(groups, texts)]  # punctuation: its own text
        end = _End(len(text))
        for _ in range(2):  # the end, twice: the parser looks one token ahead
            kinds.append("$")
            texts.append("")
            matches.append(end)
            groups.append(0)
        self.kinds, self.texts, self.matches, self.groups = kinds, texts, matches, groups
        self.comment_spans = comments
        self.pos = 0
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    # positions ------------------------------------------------------------
    def start_of(self, pos: int) -> int:
        """Offset of the first character of token `pos` (its leading whitespace excluded)."""
        return self.matches[pos].start(self.groups[pos])

    def end_of(self, pos: int) -> int:
        return self.matches[pos].end()

    def where(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.where(start)
        end_line, end_column = self.where(end)
        return Span(line=line, column=column, end_line=end_line, end_column=end_column, file=self.file)

    def comments(self) -> list[Token]:
        out = []
        for start, end in self.comment_spans:
            line, column = self.where(start)
            end_line, end_column = self.where(end)
            out.append(Token("COMMENT", self.text[start:end], start, line, column, end_line,
                             end_column, end))
        return out

    # tokens ---------------------------------------------------------------
    def expect(self, kind: str) -> int:
        pos = self.pos
        if self.kinds[pos] != kind:
            raise Fallback
        self.pos = pos + 1
        return pos

    def name(self) -> str:
        """A name that Lark reads as NAME in any state (not spelled like a keyword)."""
        pos = self.pos
        if self.kinds[pos] != "N" or self.texts[pos] in self.keywords:
            raise Fallback
        self.pos = pos + 1
        return self.texts[pos]

    def value(self) -> Raw:
        """A value; where one is expected Lark takes no keyword, so any name is a NAME."""
        pos = self.pos
        kind = self.kinds[pos]
        if kind not in ("Q", "V", "C", "N"):
            raise Fallback
        self.pos = pos + 1
        return (kind, self.texts[pos], pos)

    def clauses(self) -> list[tuple[str, Raw]]:
        """`clause*` after a shape expression or a statement head: a clause name is any name
        except a keyword, but `material` (Lark shifts it as a clause name)."""
        out = []
        kinds, texts, keywords = self.kinds, self.texts, self.keywords
        while kinds[self.pos] == "N":
            word = texts[self.pos]
            if word in keywords:
                if word in _STATEMENT_KEYWORDS and word != "material":
                    break  # the next statement
                if word != "material":
                    raise Fallback
            self.pos += 1
            out.append((word, self.value()))
        return out

    # building -------------------------------------------------------------
    def raw_node(self, raw: Raw) -> A.Node:
        """The raw AST value the Lark path builds for a token."""
        kind, text, pos = raw
        span = self.span(self.start_of(pos), self.end_of(pos))
        try:
            if kind == "Q":
                value, unit = quantity(text)
                return A.Number(value=value, unit=unit, span=span)
            if kind == "V":
                items = []
                for piece, item_span in vector_items(text, span.line, span.column, self.file):
                    value, unit = quantity(piece)
                    items.append(A.Number(value=value, unit=unit, span=item_span))
                if len(items) > 4:
                    raise Fallback
                return A.Vector(items=tuple(items), span=span)
        except LiteralError:
            raise Fallback from None
        if kind == "C":
            return color_node(text, span)
        return ident_node(text, span)

    def build(self, model: _Model, params: list[tuple[str, Raw]], span: Span | None,
              fixed: dict[str, Any] | None = None) -> A.Node:
        """`coerce.build_node` for valid input."""
        values: dict[str, Any] = dict(fixed) if fixed else {}
        fields = model.fields
        for name, raw in params:
            if name in values or name not in fields:
                raise Fallback  # given twice, a fixed field, or unknown
            field, plan = fields[name]
            if plan is not None:
                values[name] = plan(raw)
            else:
                try:
                    values[name] = coerce(self.raw_node(raw), field.annotation, tuple(field.metadata))
                except CoerceError:
                    raise Fallback from None
        for name in model.required:
            if name not in values:
                raise Fallback
        try:
            return model.cls(**values, span=span)
        except ValidationError:
            raise Fallback from None

    # grammar --------------------------------------------------------------
    def scene(self) -> A.Scene:
        kinds, texts = self.kinds, self.texts
        keyword = self.pos
        if kinds[keyword] != "N" or texts[keyword] != "scenelang":
            raise Fallback
        self.pos += 1
        version = self.expect("Q")
        try:
            number = quantity(texts[version])
        except LiteralError:
            raise Fallback from None
        if number != (A.LANGUAGE_VERSION, None):
            raise Fallback
        header = self.span(self.start_of(keyword), self.end_of(version))
        sections: dict[str, A.Section] = {}
        while kinds[self.pos] == "N":
            name_pos = self.pos
            name = texts[name_pos]
            if name not in A.SECTION_NAMES or name in sections:
                raise Fallback
            self.pos += 1
            self.expect("{")
            statements = []
            while kinds[self.pos] != "}":
                statement = self.statement()
                if A.SECTION_OF[statement.stmt] != name:
                    raise Fallback
                statements.append(statement)
            closing = self.pos
            self.pos += 1
            sections[name] = A.Section(name=name, statements=tuple(statements),
                                       span=self.span(self.start_of(name_pos), self.end_of(closing)))
        if kinds[self.pos] != "$":
            raise Fallback
        return A.Scene(span=header, **sections)

    def statement(self) -> A.Node:
        start = self.pos
        if self.kinds[start] != "N":
            raise Fallback
        keyword = self.texts[start]
        self.pos += 1
        if keyword == "object":
            name = self.name()
            self.expect("=")
            if self.texts[self.pos] == "instance" and self.kinds[self.pos] == "N":
                self.pos += 1
                source = self.name()
                params = self.clauses()
                return self.build(_model(A.InstanceDef, "instance"), params, self.stmt_span(start),
                                  {"name": name, "source": source})
            if self.kinds[self.pos + 1] == "(":
                return self.array(start, name)
            shape = self.name()
            params = self.clauses()
            return self.build(_model(A.ObjectDef, "object"), params, self.stmt_span(start),
                              {"name": name, "shape": shape})
        if keyword == "shape":
            name = self.name()
            self.expect("=")
            shape = self.shape_expr()
            return _validated(A.ShapeDef, name=name, shape=shape, span=self.stmt_span(start))
        if keyword == "material" or keyword == "light":
            name = self.name()
            self.expect("=")
            call_name, kwargs, positional, call_start = self.call()
            kinds = A.MATERIAL_KINDS if keyword == "material" else A.LIGHT_KINDS
            cls = kinds.get(call_name)
            if cls is None or positional:
                raise Fallback
            node = self.build(_model(cls), kwargs, self.span(call_start, self.end_of(self.pos - 1)))
            stmt_cls = A.MaterialDef if keyword == "material" else A.LightDef
            return _validated(stmt_cls, name=name, span=self.stmt_span(start), **{keyword: node})
        if keyword == "camera":
            name = self.name()
            params = self.clauses()
            return self.build(_model(A.Camera), params, self.stmt_span(start), {"name": name})
        if keyword == "world":
            params = self.clauses()
            return self.build(_model(A.World), params, self.stmt_span(start))
        if keyword == "group":
            name = self.name()
            params = self.clauses()
            self.expect("{")
            members = []
            while self.kinds[self.pos] != "}":
                member = self.statement()
                if member.stmt not in A.MEMBER_STMTS:
                    raise Fallback
                members.append(member)
            self.pos += 1
            return self.build(_model(A.GroupDef, "group"), params, self.stmt_span(start),
                              {"name": name, "members": tuple(members)})
        raise Fallback

    def array(self, start: int, name: str) -> A.Node:
        """`object NAME = array(SOURCE, count=N, ...) clauses` (Lark's `array_stmt`)."""
        call_name, kwargs, positional, _ = self.call()
        if call_name != "array" or len(positional) != 1 or not isinstance(positional[0], A.Ref):
            raise Fallback
        source = positional[0]
        if any(getattr(source, t) is not None for t in A.ShapeBase.TRANSFORMS):
            raise Fallback
        clauses = self.clauses()
        if any(k not in A.ArrayDef.CALL_PARAMS for k, _ in kwargs) or any(
                c in A.ArrayDef.CALL_PARAMS for c, _ in clauses):
            raise Fallback
        return self.build(_model(A.ArrayDef, "array"), [*kwargs, *clauses], self.stmt_span(start),
                          {"name": name, "source": source.name})

    def stmt_span(self, start: int) -> Span:
        """From the token at `start` to the last token read."""
        return self.span(self.start_of(start), self.end_of(self.pos - 1))

    def call(self) -> tuple[str, list[tuple[str, Raw]], list[A.Node], int]:
        """`NAME ( args )`: (name, keyword arguments, positional shapes, start offset)."""
        start = self.pos
        call_name = self.name()
        self.expect("(")
        kinds = self.kinds
        kwargs: list[tuple[str, Raw]] = []
        positional: list[A.Node] = []

        def arg() -> None:
            pos = self.pos
            if kinds[pos + 1] == "=" and kinds[pos] == "N":
                # an argument starts with a NAME, never a keyword (`area(shape=disk)`)
                self.pos = pos + 2
                kwargs.append((self.texts[pos], self.value()))
            else:
                positional.append(self.shape_expr())

        if kinds[self.pos] not in (",", ")"):
            arg()
            while kinds[self.pos] == ",":
                self.pos += 1
                if kinds[self.pos] == ")":
                    break
                arg()
        elif kinds[self.pos] == ",":
            self.pos += 1
        self.expect(")")
        return call_name, kwargs, positional, self.start_of(start)

    def shape_expr(self) -> A.Node:
        start = self.pos
        if self.kinds[start + 1] == "(":
            call_name, kwargs, positional, _ = self.call()
            head = None
        else:
            head = self.name()
        clauses = self.clauses()
        span = self.stmt_span(start)
        transforms = self.build(_model(A.ShapeBase, "transforms"), clauses, None) if clauses else None
        fixed = {t: getattr(transforms, t) for t, _ in clauses} if clauses else {}
        if head is not None:
            return _validated(A.Ref, name=head, span=span, **fixed)
        if call_name in A.CSG_OPS:
            if kwargs or len(positional) < 2:
                raise Fallback
            return _validated(A.Csg, kind=call_name, operands=tuple(positional), span=span, **fixed)
        cls = A.PRIMITIVES.get(call_name)
        if cls is None or positional:
            raise Fallback
        return self.build(_model(cls, "primitive"), kwargs, span, fixed)


def _validated(cls: type[A.Node], **values: Any) -> A.Node:
    try:
        return cls(**values)
    except ValidationError:
        raise Fallback from None


def parse_scene(text: str, file: str | None, lark: Lark) -> tuple[A.Scene, list[Token]]:
    """`(scene, comment tokens)` for well-formed scene text; raises `Fallback` otherwise."""
    parser = _Parser(text, file, _lexicon(lark))
    scene = parser.scene()
    return scene, parser.comments()
