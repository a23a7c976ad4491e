"""Typing of raw literal values against AST fields: the one place the language's value rules live.

The grammar parses every call and clause generically; this module turns raw `Value`s (`Number`,
`Vector`, `HexColor`, `Ident`) into field values using the AST models' annotations:

- a plain number field takes a number with no unit;
- an angle field (`Unit("deg")`) takes `30deg`, `0.5rad` (converted to degrees) or a bare number
  (degrees);
- a `Unit("mm")` field takes `50mm` or a bare number (millimetres);
- a whole-number field takes an integral number with no unit;
- a vector field takes `(a, b, c)` of the right length;
- a colour takes `#rrggbb` (sRGB) or `(r, g, b)` (linear, 0..1);
- a name or choice takes an identifier.

Range errors from the pydantic constraints are reported at the offending value's position.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from collections.abc import Iterable
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError

from scenelang import ast as A
from scenelang.constants import exprs_of, format_expr, raw_exprs, shown
from scenelang.errors import Diagnostic, SceneError, Span
from scenelang.printer import format_value

_NONE = type(None)


class CoerceError(Exception):
    """A value does not fit its field; the message is user-facing."""


class KindMismatch(CoerceError):
    """The value is of the wrong kind altogether (a name where a number belongs, ...)."""


def suggest(name: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when a close match exists, else empty."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def describe(tp: Any, meta: tuple = ()) -> str:
    """A human description of what a field accepts."""
    origin = get_origin(tp)
    if origin is typing.Annotated:
        base, *extra = get_args(tp)
        return describe(base, tuple(extra) + meta)
    if origin in (Union, types.UnionType):
        alts = [a for a in get_args(tp) if a is not _NONE]
        if set(alts) == {A.HexColor, A.RGB}:
            return "a colour (#rrggbb or (r, g, b))"
        return " or ".join(describe(a, meta) for a in alts)
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in get_args(tp))
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list [...] of {describe(args[0], meta)}s"
        return f"a {len(args)}-vector"
    unit = _unit(meta)
    if tp is float:
        return {"deg": "an angle", "mm": "a length in mm"}.get(unit or "", "a number")
    if tp is int:
        return "a whole number"
    if tp is str:
        return "a texture name" if any(isinstance(m, A.TextureRef) for m in meta) else "a name"
    if tp is A.HexColor:
        return "a #rrggbb colour"
    if tp is A.RGB:
        return "an (r, g, b) colour"
    return getattr(tp, "__name__", str(tp))


def _unit(meta: Iterable[Any]) -> str | None:
    for m in meta:
        if isinstance(m, A.Unit):
            return m.name
    return None


def _show(value: A.Node) -> str:
    if isinstance(value, A.Number) and value.expr is not None:
        return f"`{shown(value.expr, value.value)}`"  # the evaluated value too
    return format_value(value)


def coerce(value: A.Node, tp: Any, meta: tuple = ()) -> Any:
    """Convert a raw literal `value` to the Python value of a field typed `tp`."""
    if tp is float and type(value) is A.Number and value.unit is None and _unit(meta) is None:
        return value.value  # the common case, kept fast for large scenes
    if type(value) is A.Number and isinstance(value.expr, A.Const):
        try:
            return _coerce(value, tp, meta)
        except CoerceError:
            # a name that is also a constant, where only a name, choice or colour goes: the name
            try:
                return _coerce(A.Ident(name=value.expr.name, span=value.span), tp, meta)
            except CoerceError:
                pass
            raise
    return _coerce(value, tp, meta)


def _coerce(value: A.Node, tp: Any, meta: tuple = ()) -> Any:
    origin = get_origin(tp)
    if origin is typing.Annotated:
        base, *extra = get_args(tp)
        return coerce(value, base, tuple(extra) + meta)
    if origin in (Union, types.UnionType):
        alts = [a for a in get_args(tp) if a is not _NONE]
        failures: list[CoerceError] = []
        for alt in alts:
            try:
                return coerce(value, alt, meta)
            except CoerceError as exc:
                failures.append(exc)
        specific = [f for f in failures if not isinstance(f, KindMismatch)]
        if len(alts) == 1 or specific:
            raise (specific or failures)[0]
        raise KindMismatch(f"expected {describe(tp, meta)}, got {_show(value)}")
    if origin is Literal:
        choices = [str(a) for a in get_args(tp)]
        if isinstance(value, A.Ident) and value.name in choices:
            return value.name
        if not isinstance(value, A.Ident):
            raise KindMismatch(f"expected one of {', '.join(choices)}, got {_show(value)}")
        got = value.name
        hint = suggest(got, choices)
        raise CoerceError(f"expected one of {', '.join(choices)}, got {got}{hint}")
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:  # a list: `[item, item, ...]`
            if not isinstance(value, A.ListValue):
                raise KindMismatch(f"expected a list like [(0, 0), (1, 0)], got {_show(value)}")
            return tuple(_item(item, args[0], meta) for item in value.items)
        if not isinstance(value, A.Vector):
            raise KindMismatch(f"expected a {len(args)}-vector like ({', '.join('0' * len(args))}),"
                              f" got {_show(value)}")
        if len(value.items) != len(args):
            raise CoerceError(f"expected a {len(args)}-vector, got {len(value.items)} components")
        return tuple(coerce(item, arg, meta) for item, arg in zip(value.items, args))
    if tp is float:
        return _number(value, _unit(meta))
    if tp is int:
        if not isinstance(value, A.Number):
            raise KindMismatch(f"expected a whole number, got {_show(value)}")
        if value.unit is not None:
            raise CoerceError(f"expected a whole number without a unit, got {_show(value)}")
        if value.value != int(value.value):
            raise CoerceError(f"expected a whole number, got {_show(value)}")
        if abs(value.value) > 2**31:
            raise CoerceError(f"number {_show(value)} is too large")
        return int(value.value)
    if tp is str:
        if isinstance(value, A.Ident):
            return value.name
        raise KindMismatch(f"expected a name, got {_show(value)}")
    if tp is A.String:
        if isinstance(value, A.String):
            return A.String(value=value.value, span=value.span)
        raise KindMismatch(f'expected a quoted string like "assets/chair.glb", got {_show(value)}')
    if tp is A.HexColor:
        if isinstance(value, A.HexColor):
            return A.HexColor(hex=value.hex, span=value.span)
        raise KindMismatch(f"expected a colour, got {_show(value)}")
    if tp is A.RGB:
        if isinstance(value, A.Vector) and len(value.items) == 3:
            comps = []
            for item in value.items:
                if item.unit is not None:
                    raise CoerceError("colour components take no unit")
                if not 0 <= item.value <= 1:
                    raise CoerceError(
                        f"colour components are linear values in 0..1, got {_show(item)}"
                        " (use #rrggbb for 0..255 sRGB values)")
                comps.append(item.value)
            return A.RGB(r=comps[0], g=comps[1], b=comps[2], span=value.span)
        raise KindMismatch(f"expected a colour (#rrggbb or (r, g, b)), got {_show(value)}")
    raise CoerceError(f"cannot use {_show(value)} here")  # pragma: no cover - unknown field type


def _item(value: A.Node, tp: Any, meta: tuple) -> Any:
    """One list item, its errors prefixed with where it is (lists report the first bad item)."""
    try:
        return coerce(value, tp, meta)
    except CoerceError as exc:
        raise type(exc)(f"list item {_show(value)}: {exc}") from None


def _number(value: A.Node, unit: str | None) -> float:
    if not isinstance(value, A.Number):
        kind = {"deg": "an angle", "mm": "a length in mm"}.get(unit or "", "a number")
        if isinstance(value, A.Ident):
            raise KindMismatch(f"expected {kind}, got '{value.name}', which is not a constant "
                               f"(define it after the header: `let {value.name} = ...`)")
        raise KindMismatch(f"expected {kind}, got {_show(value)}")
    if unit == "deg":
        if value.unit in (None, "deg"):
            return value.value
        if value.unit == "rad":
            return math.degrees(value.value)
        raise CoerceError(f"an angle takes deg or rad, not {value.unit}")
    if unit == "mm":
        if value.unit in (None, "mm"):
            return value.value
        raise CoerceError(f"expected millimetres (mm), not {value.unit}")
    if value.unit is not None:
        raise CoerceError(f"this parameter takes a plain number, not {value.unit}")
    return value.value


# ---------------------------------------------------------------- building nodes


def build_node(
    cls: type[A.Node],
    params: list[tuple[str, Span | None, A.Node]],
    span: Span | None,
    *,
    fixed: dict[str, Any] | None = None,
    allowed: Iterable[str] | None = None,
    what: str | None = None,
) -> A.Node:
    """Build `cls` from `(param name, name span, raw value)` triples; all problems at once.

    `allowed` restricts the accepted parameter names (default: `ast.param_names(cls)`),
    `fixed` supplies fields not written as parameters, `what` names the thing in messages.
    Raises `SceneError` with one diagnostic per problem.
    """
    if what is None:
        kind = cls.model_fields.get("kind")
        what = kind.default if kind is not None and isinstance(kind.default, str) else cls.__name__.lower()
    allowed_list = list(allowed) if allowed is not None else A.param_names(cls)
    diags: list[Diagnostic] = []
    values: dict[str, Any] = {}
    value_spans: dict[str, Span | None] = {}
    exprs: list[tuple[str, A.Node]] = list((fixed or {}).get("exprs", ()))
    for name, name_span, raw in params:
        if name not in allowed_list:
            diags.append(Diagnostic(
                f"unknown parameter '{name}' for {what}{suggest(name, allowed_list)}",
                name_span, hint=f"{what} takes: {', '.join(allowed_list)}"))
            continue
        if name in values:
            diags.append(Diagnostic(f"parameter '{name}' given twice", name_span))
            continue
        field = cls.model_fields[name]
        try:
            values[name] = coerce(raw, field.annotation, tuple(field.metadata))
        except CoerceError as exc:
            diags.append(Diagnostic(f"{name}: {exc}", raw.span or name_span))
            values[name] = None
        value_spans[name] = raw.span or name_span
        if type(raw) is not A.Number or raw.expr is not None:
            exprs.extend(raw_exprs(name, raw))
    if diags:
        raise SceneError(diags)
    missing = [f for f in A.required_params(cls) if f in allowed_list and f not in values
               and f not in (fixed or {})]
    if missing:
        example = ", ".join(f"{m}=..." for m in missing)
        raise SceneError(f"{what} needs {', '.join(missing)} ({example})", span)
    if exprs:
        values["exprs"] = tuple(exprs)
    try:
        return cls(**{k: v for k, v in (fixed or {}).items() if k != "exprs"}, **values, span=span)
    except ValidationError as exc:
        raise SceneError([
            Diagnostic(_range_message(err, exprs),
                       value_spans.get(str(err["loc"][0])) if err["loc"] else span)
            for err in union_errors(exc.errors())
        ]) from None


_WRONG_BRANCH = frozenset({"string_type", "float_type", "float_parsing", "model_type",
                           "model_attributes_type", "union_tag_invalid", "int_type", "int_parsing"})


def union_errors(errors: list) -> list:
    """Pydantic's errors without the union alternatives the value does not belong to (a number
    given to `roughness: Fraction | TextureName` fails the texture-name branch too): branch
    tags (`constrained-float`, `tagged-union[...]`) are dropped from `loc`, and a branch's
    wrong-type error is dropped when another error remains."""
    kept = []
    for err in errors:
        loc = tuple(p for p in err.get("loc", ()) if not (isinstance(p, str) and ("-" in p or "[" in p)))
        if len(loc) != len(err.get("loc", ())) and err.get("type") in _WRONG_BRANCH:
            continue
        kept.append({**err, "loc": loc})
    return kept or list(errors)


_RELATIONS = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
}


def _range_message(err: dict, exprs: Iterable[tuple[str, A.Node]] = ()) -> str:
    loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int) and p not in ("hex", "rgb")]
    field = ".".join(loc) or "value"
    kind = err.get("type", "")
    if kind in _RELATIONS:
        key, words = _RELATIONS[kind]
        bound = _fmt(err["ctx"][key])
        path = ".".join(str(p) for p in err.get("loc", ()) if p not in ("hex", "rgb"))
        written = dict(exprs).get(path)  # arithmetic: say what it evaluated from
        source = f" (from `{format_expr(written)}`)" if written is not None else ""
        return f"{field} must be {words} {bound}, got {_fmt(err.get('input'))}{source}"
    if kind == "finite_number":
        return f"{field} must be a finite number"
    if kind == "string_pattern_mismatch":
        return f"{field}: '{err.get('input')}' is not a valid name (letters, digits, _)"
    if kind == "string_too_long":
        return f"{field}: name is too long (at most {err['ctx']['max_length']} characters)"
    return f"{field}: {err.get('msg', 'invalid value')}"


def _fmt(x: Any) -> str:
    if isinstance(x, float) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return str(x)


# ---------------------------------------------------------------- set (patches)


def settable_params(statement: A.Node) -> list[str]:
    """The parameters `set NAME.PARAM = ...` accepts for this statement."""
    if isinstance(statement, A.ShapeDef):
        return A.param_names(type(statement.shape))
    if isinstance(statement, A.MaterialDef):
        return A.param_names(type(statement.material))
    if isinstance(statement, A.TextureDef):
        return A.param_names(type(statement.texture))
    if isinstance(statement, A.LightDef):
        return A.param_names(type(statement.light))
    return A.param_names(type(statement))


def with_param(statement: A.Node, param: str, value: A.Node, span: Span | None = None) -> A.Node:
    """A copy of `statement` with one parameter set from a raw value (`set NAME.PARAM = VALUE`).

    Shape, material and light statements delegate to the node they define: `set ball.radius`
    changes the sphere, `set red.roughness` the material, `set key.energy` the light.
    Raises `SceneError` positioned at `span` (or the value) for unknown parameters or bad values.
    """
    inner_field = {A.ShapeDef: "shape", A.MaterialDef: "material", A.LightDef: "light",
                   A.TextureDef: "texture"}.get(
        type(statement))
    target = getattr(statement, inner_field) if inner_field else statement
    allowed = settable_params(statement)
    what = (getattr(target, "kind", None) or target.__class__.__name__.lower())
    if param not in allowed:
        raise SceneError(
            Diagnostic(f"'{statement.name}' ({what}) has no parameter '{param}'"
                       f"{suggest(param, allowed)}", span,
                       hint=f"{what} takes: {', '.join(allowed)}"))
    field = type(target).model_fields[param]
    try:
        new_value = coerce(value, field.annotation, tuple(field.metadata))
    except CoerceError as exc:
        raise SceneError(f"{param}: {exc}", value.span or span) from None
    data = {f: getattr(target, f) for f in type(target).model_fields}
    data[param] = new_value
    kept = tuple((p, e) for p, e in target.exprs if p not in exprs_of(target, param))
    data["exprs"] = kept + tuple(raw_exprs(param, value))
    try:
        new_target = type(target)(**data)
    except ValidationError as exc:
        raise SceneError([Diagnostic(_range_message(e), value.span or span)
                          for e in union_errors(exc.errors())]) from None
    if inner_field:
        data = {f: getattr(statement, f) for f in type(statement).model_fields}
        data[inner_field] = new_target
        return type(statement)(**data)
    return new_target

