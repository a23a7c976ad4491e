"""The builder's rules for `let` constants and arithmetic (a mixin of `scenelang.build.AstBuilder`).

A name in a value is a constant when one of that name is defined above (else a plain name);
`+ - * /`, unary minus and parentheses evaluate as they are read (`scenelang.constants.binary`)
and give a `Number` holding the value and the expression as written; `let` records a constant.
Names used before any `let` defines them are reported when the file ends, as "used before its
definition" when a later `let` defines them (also how a cycle shows), else "unknown constant".
"""

from __future__ import annotations

from scenelang import ast as A
from scenelang.buildkit import FAILED, _Failed, token_span
from scenelang.buildkit import collecting as _collecting
from scenelang.coerce import suggest
from scenelang.constants import ExprError, binary
from scenelang.errors import Span
from scenelang.literals import ident_node

MAX_EXPR_DEPTH = 64  # operations nested in one expression (as brackets are, ParseLimits)
_DESCRIBED = {"string": "a string", "list": "a list", "vector": "a vector", "hex": "a colour",
              "rgb": "a colour"}


def describe(node: A.Node) -> str:
    """How an error names a value that is not a number ("a string", "a list", ...)."""
    return _DESCRIBED.get(getattr(node, "kind", ""), "this value")


_UNITLESS = ("expressions are unit-less: angles are degrees and lens sizes millimetres, so "
             "write the bare number")


class ConstantRules:
    """Rule methods for `ident`, `binop`, `neg`, `paren` and `let_stmt`; the host provides
    `file`, `diagnostics`, `_error`, `_join` and `_tok` (see `scenelang.build.AstBuilder`)."""

    def reset_constants(self, constants: dict[str, float] | None) -> None:
        """Start a parse with these constants known (a patch's scene's; default none)."""
        # name -> value (None when its definition failed) of the constants defined so far,
        # where this text defines them, and names used but not defined (yet)
        self.constants: dict[str, float | None] = dict(constants or {})
        self.let_spans: dict[str, Span] = {}
        self.undefined: list[tuple[str, Span]] = []
        # id of a Number written as arithmetic -> (that Number, its nesting depth)
        self.depths: dict[int, tuple[A.Number, int]] = {}

    @_collecting
    def ident(self, children):
        name, span = str(children[0]), token_span(children[0], self.file)
        if name in self.constants:  # a constant standing alone (a name field still takes it)
            value = self.constants[name]
            if value is None:
                return FAILED  # its definition failed (already reported)
            return A.Number(value=value, expr=A.Const(name=name, span=span), span=span)
        return ident_node(name, span)

    # arithmetic (scenelang.constants) ------------------------------------
    def _operand(self, node) -> tuple[A.Node, float] | _Failed:
        """An operand of `+ - * /` or unary minus as (expression, value)."""
        if node is FAILED:
            return FAILED
        if isinstance(node, A.Ident):
            self.undefined.append((node.name, node.span))
            return FAILED
        if not isinstance(node, A.Number):
            return self._error(f"{describe(node)} cannot be used in arithmetic",
                               node.span, hint="+ - * / and parentheses take numbers and `let` constants")
        if node.expr is not None:
            return node.expr, node.value
        if node.unit is not None:
            return self._error(f"a number with a unit ('{node.unit}') cannot be used in arithmetic",
                               node.span, hint=_UNITLESS)
        return A.Lit(value=node.value, span=node.span), node.value

    def _arith(self, value: float, expr: A.Node, span: Span | None, *operands) -> A.Number | _Failed:
        """The Number for an operation, its nesting depth bounded (deep trees would make
        printing and comparing recurse too deeply)."""
        depth = 1 + max(self._depth(o) for o in operands)
        if depth > MAX_EXPR_DEPTH:
            return self._error(f"this expression nests more than {MAX_EXPR_DEPTH} operations",
                               span, hint="split it into `let` constants")
        number = A.Number(value=value, expr=expr, span=span)
        self.depths[id(number)] = (number, depth)  # the node kept alive: its id stays its own
        return number

    def _depth(self, node) -> int:
        entry = self.depths.get(id(node))
        return entry[1] if entry is not None and entry[0] is node else 0

    @_collecting
    def binop(self, children):
        left, op_tok, right = children
        a, b = self._operand(left), self._operand(right)
        if a is FAILED or b is FAILED:
            return FAILED
        span = self._join(a[0].span, b[0].span)
        expr = A.BinOp(op=str(op_tok), left=a[0], right=b[0], span=span)
        try:
            value = binary(expr.op, a[1], b[1], b[0], expr)
        except ExprError as exc:
            return self._error(exc.message, exc.span or span, hint=exc.hint)
        return self._arith(value, expr, span, left, right)

    @_collecting
    def neg(self, children):
        minus, operand = children
        if isinstance(operand, A.Number) and operand.expr is None:  # `- 2` reads as `-2`
            return operand.model_copy(update={"value": -operand.value,
                                              "span": self._join(self._tok(minus), operand.span)})
        a = self._operand(operand)
        if a is FAILED:
            return FAILED
        span = self._join(self._tok(minus), a[0].span)
        return self._arith(-a[1], A.Neg(operand=a[0], span=span), span, operand)

    @_collecting
    def paren(self, children):
        opening, inner, closing = children
        a = self._operand(inner)
        if a is FAILED:
            return FAILED
        span = self._join(self._tok(opening), self._tok(closing))
        return self._arith(a[1], A.Paren(inner=a[0], span=span), span, inner)

    @_collecting
    def let_stmt(self, children):
        keyword, name_tok, value = children
        name, name_span = str(name_tok), self._tok(name_tok)
        if name in self.let_spans:
            first = self.let_spans[name]
            return self._error(f"constant '{name}' is defined twice (first at line {first.line})",
                               name_span, hint=f"define each constant once; to change it, edit the "
                                               f"first `let {name}`")
        self.let_spans[name] = name_span
        self.constants[name] = None  # until it evaluates
        if value is FAILED:
            return FAILED
        if isinstance(value, A.Ident):
            self.undefined.append((value.name, value.span))
            return FAILED
        if not isinstance(value, A.Number):
            what = {"hex": "a colour", "vector": "a vector", "string": "a string",
                    "list": "a list"}.get(getattr(value, "kind", ""), "not a number")
            return self._error(f"constant '{name}' must be a number, not {what}", value.span,
                               hint="a constant holds one number (`let h = 0.72`); write colours, "
                                    "vectors and names where they are used")
        if value.unit is not None:
            return self._error(f"constant '{name}' must be a plain number, without a unit "
                               f"('{value.unit}')", value.span,
                               hint=_UNITLESS)
        self.constants[name] = value.value
        expr = value.expr if value.expr is not None else A.Lit(value=value.value, span=value.span)
        return A.LetDef(name=name, expr=expr, value=value.value,
                        span=self._join(self._tok(keyword), value.span))

    def _report_undefined(self) -> None:
        """Names used in arithmetic (or as a constant's value) that no `let` defined before."""
        for name, span in self.undefined:
            later = self.let_spans.get(name)
            if later is not None:
                self._error(f"constant '{name}' is used before its definition (line {later.line})",
                            span, hint=f"move `let {name} = ...` above its first use: a constant "
                                       f"may use only constants defined before it (no cycles)")
            else:
                known = list(self.constants)
                self._error(f"unknown constant '{name}'{suggest(name, known)}", span,
                            hint=f"define it after the header, before the sections: "
                                 f"`let {name} = ...`")
        self.undefined = []

