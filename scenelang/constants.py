"""Constants and arithmetic: the one place numbers written as expressions are computed.

`let h = 0.72` names a number; `+ - * /`, parentheses and unary minus may stand wherever a
number goes (`at (0, 0, h / 2)`, `size=(1, 1, h - 0.04)`). Expressions are plain float
arithmetic on unit-less numbers (no units inside an expression; an angle field reads the result
in degrees, a millimetre field in mm), evaluated left to right with `*` and `/` binding tighter
than `+` and `-`; nothing is ever handed to Python's `eval`.

The parser (`scenelang.build`) evaluates each operation as it reads it (`binary`) with the
constants defined so far; the AST keeps both the expression as written (`Number.expr`,
`Node.exprs`, `LetDef.expr`) and its value, so everything downstream reads plain numbers.
`reevaluate` recomputes a whole scene after a patch changed its constants. Problems (division by
zero, a non-finite result, an unknown constant) are `ExprError`s with a hint; callers position
them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from scenelang import ast as A
from scenelang.errors import Diagnostic, SceneError, Span

OPERATORS = ("+", "-", "*", "/")
KEYWORD = "let"


class ExprError(Exception):
    """An expression that cannot be evaluated; `message` and `hint` are user-facing, `span`
    (when known) is the part of the expression at fault."""

    def __init__(self, message: str, hint: str, span: Span | None = None):
        super().__init__(message)
        self.message, self.hint, self.span = message, hint, span

    def diagnostic(self, fallback: Span | None = None) -> Diagnostic:
        return Diagnostic(self.message, self.span or fallback, hint=self.hint)


# ---------------------------------------------------------------- text


def _number(x: float) -> str:
    if x == 0:
        return "0"
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def format_expr(expr: A.Node) -> str:
    """The canonical text of an expression: one space around binary operators, none after a
    unary minus or inside parentheses; numbers in their shortest round-tripping form."""
    if isinstance(expr, A.Lit):
        return _number(expr.value)
    if isinstance(expr, A.Const):
        return expr.name
    if isinstance(expr, A.Neg):
        return "-" + format_expr(expr.operand)
    if isinstance(expr, A.Paren):
        return "(" + format_expr(expr.inner) + ")"
    if isinstance(expr, A.BinOp):
        return f"{format_expr(expr.left)} {expr.op} {format_expr(expr.right)}"
    raise ValueError(f"not an expression: {type(expr).__name__}")


def shown(expr: A.Node, value: float) -> str:
    """`h / 2 = 0.36`: an expression with its value, for messages."""
    text = format_expr(expr)
    return text if isinstance(expr, A.Lit) else f"{text} = {_number(value)}"


# ---------------------------------------------------------------- evaluation


def binary(op: str, left: float, right: float, right_expr: A.Node | None = None,
           whole: A.Node | None = None) -> float:
    """`left op right`; raises `ExprError` for a division by zero or a non-finite result.

    `right_expr` (the divisor as written) and `whole` (the whole operation) word and position
    the error."""
    if op == "/" and right == 0:
        what = "" if right_expr is None or isinstance(right_expr, A.Lit) else \
            f": `{format_expr(right_expr)}` is 0"
        raise ExprError(f"division by zero{what}",
                        "the number after `/` must not be zero; check it and the constants it uses",
                        getattr(right_expr, "span", None))
    if op == "+":
        value = left + right
    elif op == "-":
        value = left - right
    elif op == "*":
        value = left * right
    elif op == "/":
        value = left / right
    else:
        raise ValueError(f"unknown operator {op!r}")
    if not math.isfinite(value):
        text = f"`{format_expr(whole)}`" if whole is not None else "the result"
        raise ExprError(f"{text} is too large: the result is not a finite number",
                        "numbers must stay within about ±1.8e308", getattr(whole, "span", None))
    return value


def evaluate(expr: A.Node, env: Mapping[str, float]) -> float:
    """The value of `expr` with the constants `env` (name -> value)."""
    if isinstance(expr, A.Lit):
        return expr.value
    if isinstance(expr, A.Const):
        if expr.name not in env:
            raise ExprError(f"unknown constant '{expr.name}'",
                            f"define it after the header: `let {expr.name} = ...`", expr.span)
        return env[expr.name]
    if isinstance(expr, A.Paren):
        return evaluate(expr.inner, env)
    if isinstance(expr, A.Neg):
        return -evaluate(expr.operand, env)
    if isinstance(expr, A.BinOp):
        return binary(expr.op, evaluate(expr.left, env), evaluate(expr.right, env), expr.right, expr)
    raise ValueError(f"not an expression: {type(expr).__name__}")


def constant_values(constants: tuple[A.LetDef, ...]) -> dict[str, float]:
    """name -> value of a scene's constants, as stored (evaluated when parsed)."""
    return {c.name: c.value for c in constants}


# ---------------------------------------------------------------- the expressions of a node


def raw_exprs(name: str, raw: A.Node) -> list[tuple[str, A.Node]]:
    """`(path, expr)` for every number written as an expression inside the raw value `raw` of
    parameter `name` (`size.2` for a vector component, `profile.3.0` inside a list)."""
    if isinstance(raw, A.Number):
        return [(name, raw.expr)] if raw.expr is not None else []
    if isinstance(raw, (A.Vector, A.ListValue)):
        out: list[tuple[str, A.Node]] = []
        for i, item in enumerate(raw.items):
            out.extend(raw_exprs(f"{name}.{i}", item))
        return out
    return []


def exprs_of(node: A.Node, name: str) -> dict[str, A.Node]:
    """The expressions of parameter `name` of `node` (path -> expr)."""
    return {p: e for p, e in node.exprs if p == name or p.startswith(name + ".")}


def _with(value: Any, indices: list[int], new: float) -> Any:
    if not indices:
        return new
    i, rest = indices[0], indices[1:]
    if isinstance(value, A.RGB):
        channels = [value.r, value.g, value.b]
        channels[i] = _with(channels[i], rest, new)
        return A.RGB(**dict(zip("rgb", channels)), span=value.span)  # validated: 0..1
    items = list(value)
    items[i] = _with(items[i], rest, new)
    return tuple(items)


def _rebuilt(node: A.Node, env: Mapping[str, float]) -> A.Node:
    data = {f: getattr(node, f) for f in type(node).model_fields}
    first: A.Node | None = None
    try:
        for path, expr in node.exprs:
            field, *indices = path.split(".")
            value = evaluate(expr, env)
            first = expr
            data[field] = _with(data[field], [int(i) for i in indices], value)
        return type(node)(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise ExprError(f"{where}: {err.get('msg', 'invalid value')} (got {err.get('input')!r} "
                        "once the constants are applied)",
                        "check the constants this value uses", getattr(first, "span", None)) from None


def _walk(value: Any, env: Mapping[str, float]) -> Any:
    if isinstance(value, tuple):
        items = tuple(_walk(v, env) for v in value)
        return items if any(a is not b for a, b in zip(items, value)) else value
    if not isinstance(value, A.Node) or isinstance(value, (A.Number, A.Vector, A.ListValue)):
        return value
    update = {}
    for f in type(value).model_fields:
        if f in ("span", "exprs"):
            continue
        child = getattr(value, f)
        if isinstance(child, (A.Node, tuple)):
            new = _walk(child, env)
            if new is not child:
                update[f] = new
    node = value.model_copy(update=update) if update else value
    return _rebuilt(node, env) if node.exprs else node


def reevaluate(scene: A.Scene) -> A.Scene:
    """`scene` with its constants evaluated in order and every expression recomputed from them
    (after a patch added, changed or removed constants). Raises `SceneError` (positioned at the
    expression at fault) when one no longer evaluates or its value no longer fits."""
    env: dict[str, float] = {}
    try:
        constants = []
        for let in scene.constants:
            value = evaluate(let.expr, env)
            env[let.name] = value
            constants.append(let if value == let.value else let.model_copy(update={"value": value}))
        update: dict[str, Any] = {"constants": tuple(constants)}
        for section in scene.sections():
            statements = _walk(section.statements, env)
            if statements is not section.statements:
                update[section.name] = section.model_copy(update={"statements": statements})
    except ExprError as exc:
        raise SceneError([exc.diagnostic()]) from None
    return scene.model_copy(update=update)
