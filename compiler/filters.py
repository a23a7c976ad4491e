"""Escaping filters: the only way a value reaches a compiled script.

Each filter turns one value into Python source text and returns it wrapped in `Emitted`. The
template environment's `finalize` hook refuses anything else, so a template that prints a raw
value fails at compile time instead of producing an unescaped script.

- `py_float`: a finite number as `repr(float)` (rejects NaN, inf, bools, strings).
- `py_int`: an integer as `repr(int)` (rejects bools, floats with a fraction, strings).
- `py_name`: an identifier matching `[A-Za-z_][A-Za-z0-9_]*`, at most 128 chars, emitted as a
  string literal (`'ball_1'`). Anything else raises.
- `py_ident(prefix)`: a checked name emitted bare after `prefix`, for function and variable
  names (`mesh_bowl`).
- `py_str`: any string as `repr(str)`.
- `py_vec`: a tuple of finite floats as `(x, y, z)`.
- `py_color`: a `HexColor` or `RGB` (or a 3-tuple) as linear RGB `(r, g, b)`.
- `py_bool`: True/False.
- `py_comment`: text for a `#` comment; non-printable characters (newlines included) become `?`.
- `py_points`: a list of vectors (a profile) as `[(x, y), ...]`.
- `py_value`: a parameter value by its type: bool, int, float, a vector or a list of vectors
  (through the filters above).
- `py_params`: a dict of parameters as `{'name': value, ...}` (keys through `py_name`, values
  through `py_value`), e.g. a primitive's parameters.
"""

from __future__ import annotations

import keyword
import math
import numbers
import re
from collections.abc import Iterable
from typing import Any

import jinja2

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_NAME_LENGTH = 128
MAX_COMMENT_LENGTH = 160


class FilterError(ValueError):
    """A value that cannot be emitted safely (non-finite number, bad identifier, wrong type)."""


class Emitted(str):
    """Python source text produced by a filter (the only thing templates may print)."""


def defined(value: Any) -> Any:
    """`value`, or Jinja's UndefinedError when a template refers to a missing variable."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError naming the variable
        raise FilterError("undefined value in a template")
    return value


def py_float(value: Any) -> Emitted:
    value = defined(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise FilterError(f"expected a number, got {type(value).__name__} {value!r:.40}")
    number = float(value)
    if not math.isfinite(number):
        raise FilterError(f"expected a finite number, got {number!r}")
    return Emitted(repr(number))


def py_int(value: Any) -> Emitted:
    value = defined(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise FilterError(f"expected an integer, got {type(value).__name__} {value!r:.40}")
    return Emitted(repr(int(value)))


def check_name(value: Any) -> str:
    value = defined(value)
    if not isinstance(value, str) or len(value) > MAX_NAME_LENGTH or not NAME_RE.fullmatch(value):
        raise FilterError(f"not a valid scenelang name: {value!r:.80}")
    return value


def py_name(value: Any) -> Emitted:
    return Emitted(repr(check_name(value)))


def py_ident(value: Any, prefix: str = "") -> Emitted:
    """`prefix + value` as a bare Python identifier (checked name, not a Python keyword)."""
    name = check_name(prefix + check_name(value))
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise FilterError(f"{name!r} is a Python keyword and cannot be an identifier")
    return Emitted(name)


def py_str(value: Any) -> Emitted:
    value = defined(value)
    if not isinstance(value, str):
        raise FilterError(f"expected a string, got {type(value).__name__}")
    return Emitted(repr(str(value)))


def py_bool(value: Any) -> Emitted:
    value = defined(value)
    if not isinstance(value, bool):
        raise FilterError(f"expected a bool, got {type(value).__name__}")
    return Emitted(repr(value))


def py_vec(value: Iterable[Any]) -> Emitted:
    value = defined(value)
    if isinstance(value, (str, bytes)):
        raise FilterError(f"expected a vector, got a string {value!r:.40}")
    items = [py_float(v) for v in value]
    if not 1 <= len(items) <= 16:
        raise FilterError(f"expected a vector of 1..16 numbers, got {len(items)}")
    return Emitted("(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")")


MAX_POINTS = 4096


def py_points(value: Iterable[Any]) -> Emitted:
    """A list of vectors (a profile) as `[(x, y), ...]`, each through `py_vec`; 1..4096 items."""
    value = defined(value)
    if isinstance(value, (str, bytes)):
        raise FilterError(f"expected a list of points, got a string {value!r:.40}")
    items = [py_vec(v) for v in value]
    if not 1 <= len(items) <= MAX_POINTS:
        raise FilterError(f"expected 1..{MAX_POINTS} points, got {len(items)}")
    return Emitted("[" + ", ".join(items) + "]")


def py_color(value: Any) -> Emitted:
    value = defined(value)
    rgb = value.linear() if hasattr(value, "linear") else tuple(value)
    if len(rgb) != 3:
        raise FilterError(f"expected an RGB colour, got {len(rgb)} channels")
    return py_vec(rgb)


def py_comment(value: Any) -> Emitted:
    value = defined(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    if len(text) > MAX_COMMENT_LENGTH:
        text = text[: MAX_COMMENT_LENGTH - 3] + "..."
    return Emitted(text)


def py_value(value: Any) -> Emitted:
    value = defined(value)
    if isinstance(value, bool):
        return py_bool(value)
    if isinstance(value, numbers.Integral):
        return py_int(value)
    if isinstance(value, numbers.Real):
        return py_float(value)
    if isinstance(value, str):
        return py_str(value)  # a checked absolute asset path
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], (tuple, list)):
        return py_points(value)
    if isinstance(value, (tuple, list)):
        return py_vec(value)
    raise FilterError(f"expected a number, bool or vector, got {type(value).__name__} {value!r:.40}")


def py_params(value: Any) -> Emitted:
    value = defined(value)
    if not isinstance(value, dict):
        raise FilterError(f"expected a dict of parameters, got {type(value).__name__}")
    items = [py_name(k) + ": " + py_value(v) for k, v in value.items()]
    return Emitted("{" + ", ".join(items) + "}")


FILTERS = {
    "py_float": py_float,
    "py_int": py_int,
    "py_name": py_name,
    "py_ident": py_ident,
    "py_str": py_str,
    "py_bool": py_bool,
    "py_vec": py_vec,
    "py_points": py_points,
    "py_color": py_color,
    "py_comment": py_comment,
    "py_value": py_value,
    "py_params": py_params,
}


def finalize(value: Any) -> Emitted:
    """Jinja `finalize` hook: only filter output may be printed into a script."""
    if isinstance(value, Emitted):
        return value
    raise FilterError(f"template printed an unfiltered value {value!r:.60}; pass it through a py_* filter")


def py_matrix(chain: Iterable[tuple[Any, Any, Any]]) -> Emitted:
    """A chain of local transforms `[(at, rotate, scale), ...]` as `trs(...) @ trs(...)`.

    Each entry is applied after the ones to its right (outermost first), the order of nesting in
    a shape expression. `None` fields are left out; an empty chain is `IDENTITY`.
    """
    parts = []
    for at, rotate, scale in defined(chain):
        args = []
        if at is not None:
            args.append("at=" + py_vec(at))
        if rotate is not None:
            args.append("rotate=" + py_vec(rotate))
        if scale is not None:
            args.append("scale=" + py_vec(scale))
        if args:
            parts.append("trs(" + ", ".join(args) + ")")
    return Emitted(" @ ".join(parts) if parts else "IDENTITY")


FILTERS["py_matrix"] = py_matrix


def py_row_name(row: Any) -> Emitted:
    """The name of a composition row (`compiler/composition.py`): a literal name, or inside an
    array element `name + 'suffix'` (`name` alone for the element's root)."""
    row = defined(row)
    if not row.prefixed:
        return py_name(row.name)
    if row.name == "":
        return Emitted("name")
    suffix = row.name[1:] if row.name.startswith("_") else ""
    check_name(suffix)  # the suffix is `_` and names joined by `_`: itself a valid name
    return Emitted("name + " + py_str(row.name))


FILTERS["py_row_name"] = py_row_name
