"""Escaping filters: the only way a value reaches a compiled script.

Each filter turns one value into Python source text and returns it wrapped in `Emitted`. The
template environment's `finalize` hook refuses anything else, so a template that prints a raw
value fails at compile time instead of producing an unescaped script.

- `py_float`: a finite number as `repr(float)` (rejects NaN, inf, bools, strings).
- `py_int`: an integer as `repr(int)` (rejects bools, floats with a fraction, strings).
- `py_name`: an identifier matching `[A-Za-z_][A-Za-z0-9_]*`, at most 128 chars, emitted as a
  string literal (`'ball_1'`). Anything else raises.
- `py_str`: any string as `repr(str)`.
- `py_vec`: a tuple of finite floats as `(x, y, z)`.
- `py_color`: a `HexColor` or `RGB` (or a 3-tuple) as linear RGB `(r, g, b)`.
- `py_bool`: True/False.
- `py_comment`: text for a `#` comment; non-printable characters (newlines included) become `?`.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any, Iterable

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_NAME_LENGTH = 128
MAX_COMMENT_LENGTH = 160


class FilterError(ValueError):
    """A value that cannot be emitted safely (non-finite number, bad identifier, wrong type)."""


class Emitted(str):
    """Python source text produced by a filter (the only thing templates may print)."""


def py_float(value: Any) -> Emitted:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise FilterError(f"expected a number, got {type(value).__name__} {value!r:.40}")
    number = float(value)
    if not math.isfinite(number):
        raise FilterError(f"expected a finite number, got {number!r}")
    return Emitted(repr(number))


def py_int(value: Any) -> Emitted:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise FilterError(f"expected an integer, got {type(value).__name__} {value!r:.40}")
    return Emitted(repr(int(value)))


def check_name(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_NAME_LENGTH or not NAME_RE.fullmatch(value):
        raise FilterError(f"not a valid scenelang name: {value!r:.80}")
    return value


def py_name(value: Any) -> Emitted:
    return Emitted(repr(check_name(value)))


def py_str(value: Any) -> Emitted:
    if not isinstance(value, str):
        raise FilterError(f"expected a string, got {type(value).__name__}")
    return Emitted(repr(str(value)))


def py_bool(value: Any) -> Emitted:
    if not isinstance(value, bool):
        raise FilterError(f"expected a bool, got {type(value).__name__}")
    return Emitted(repr(value))


def py_vec(value: Iterable[Any]) -> Emitted:
    if isinstance(value, (str, bytes)):
        raise FilterError(f"expected a vector, got a string {value!r:.40}")
    items = [py_float(v) for v in value]
    if not 1 <= len(items) <= 16:
        raise FilterError(f"expected a vector of 1..16 numbers, got {len(items)}")
    return Emitted("(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")")


def py_color(value: Any) -> Emitted:
    rgb = value.linear() if hasattr(value, "linear") else tuple(value)
    if len(rgb) != 3:
        raise FilterError(f"expected an RGB colour, got {len(rgb)} channels")
    return py_vec(rgb)


def py_comment(value: Any) -> Emitted:
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    if len(text) > MAX_COMMENT_LENGTH:
        text = text[: MAX_COMMENT_LENGTH - 3] + "..."
    return Emitted(text)


FILTERS = {
    "py_float": py_float,
    "py_int": py_int,
    "py_name": py_name,
    "py_str": py_str,
    "py_bool": py_bool,
    "py_vec": py_vec,
    "py_color": py_color,
    "py_comment": py_comment,
}


def finalize(value: Any) -> Emitted:
    """Jinja `finalize` hook: only filter output may be printed into a script."""
    if isinstance(value, Emitted):
        return value
    raise FilterError(f"template printed an unfiltered value {value!r:.60}; pass it through a py_* filter")
