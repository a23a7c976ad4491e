"""The canonical printer: Scene and Patch ASTs back to `.sl` / `.slp` text.

The output is canonical and stable, so `print_scene(parse_scene(print_scene(s))) ==
print_scene(s)` and `parse_scene(print_scene(s)) == s` for every valid scene:

- the header `scenelang 1`, a blank line, the `let` constants (one per line, then a blank line)
  if there are any, then the four sections always in the order geometry,
  materials, composition, lighting (an empty one prints as `geometry {\\n}`), one blank line
  between sections, two-space indent, one statement per line;
- required parameters are always printed; optional ones only when they differ from the field's
  default, in the order the AST model declares them;
- numbers are the shortest text that round-trips (`1.0` -> `1`, `-0.0` -> `0`, `1e-05`); angle
  fields (stored in degrees) print with a `deg` suffix except zero, millimetre fields with `mm`;
- numbers written as arithmetic (`Node.exprs`, `Number.expr`) print as written, with one space
  around binary operators (`scenelang.constants.format_expr`); a one-item vector as `(x,)`;
- comments are printed verbatim (they are stored with their leading `#`): `Scene.comments` before
  the header, `Section.comments` before the section line, `Statement.comments` on the lines
  before the statement, `trailing_comment` after it on the same line, `Section.end_comments`
  before the closing brace, `Scene.end_comments` after the last section.

`print_scene`, `print_section` and `print_patch` return text ending in a newline;
`print_statement` returns the statement (and its comment lines) without a final newline.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic import BaseModel

from scenelang.ast import (
    LANGUAGE_VERSION,
    RGB,
    ArrayDef,
    Camera,
    Csg,
    GroupDef,
    HexColor,
    Ident,
    InstanceDef,
    LetDef,
    LightDef,
    ListValue,
    MaterialDef,
    Node,
    Number,
    ObjectDef,
    Patch,
    PatchFile,
    PutOp,
    Ref,
    RemoveOp,
    Scene,
    Section,
    SetOp,
    ShapeBase,
    ShapeDef,
    String,
    TextureDef,
    Unit,
    Vector,
    World,
    param_names,
)
from scenelang.constants import exprs_of, format_expr

INDENT = "  "
TRAILING_GAP = "  "


# ---------------------------------------------------------------- numbers and values


def format_number(x: float | int) -> str:
    """The shortest text that reads back as the same number: ints as ints, `1.0` -> `1`,
    `-0.0` -> `0`, otherwise Python's `repr` (`0.5`, `1e-05`, `1e+16`).

    Raises ValueError for NaN, infinities and booleans.
    """
    if isinstance(x, bool):
        raise ValueError(f"not a number: {x!r}")
    if isinstance(x, int):
        return str(x)
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"numbers must be finite, got {x!r}")
    if x == 0:
        return "0"
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def format_quantity(x: float | int, unit: str | None) -> str:
    """A number with its unit suffix (`30deg`, `50mm`); zero never carries a unit."""
    text = format_number(x)
    return text + unit if unit and text != "0" else text


def format_string(text: str) -> str:
    """`text` double-quoted, with `\\` and `"` escaped (the only escapes the language has)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_value(v: Any, unit: str | None = None) -> str:
    """Any value the language can write.

    Raw patch values print exactly as written (`Number` with its own unit, `Vector`, `HexColor`,
    `Ident`); typed field values print as numbers, `(a, b, c)` tuples, `#rrggbb`, `(r, g, b)`
    colours and identifiers (strings). `unit` (`deg` or `mm`) is appended to typed numbers.
    """
    if isinstance(v, Number):
        if v.expr is not None:
            return format_expr(v.expr)
        return format_number(v.value) + (v.unit or "")
    if isinstance(v, Vector):  # one item: `(x,)`, as `(x)` is a number in parentheses
        return "(" + ", ".join(format_value(item) for item in v.items) + ("," if len(v.items) == 1 else "") + ")"
    if isinstance(v, HexColor):
        return "#" + v.hex
    if isinstance(v, RGB):
        return f"({format_number(v.r)}, {format_number(v.g)}, {format_number(v.b)})"
    if isinstance(v, Ident):
        return v.name
    if isinstance(v, String):
        return format_string(v.value)
    if isinstance(v, ListValue):
        return "[" + ", ".join(format_value(item) for item in v.items) + "]"
    if isinstance(v, str):
        return v
    if isinstance(v, (tuple, list)) and v and isinstance(v[0], (tuple, list)):
        return "[" + ", ".join(format_value(item, unit) for item in v) + "]"  # a list of points
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(format_value(item, unit) for item in v) + ")"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return format_quantity(v, unit)
    raise ValueError(f"cannot print value {v!r}")


@cache
def field_unit(cls: type[BaseModel], field: str) -> str | None:
    """The unit (`deg` or `mm`) a model field is declared with, or None."""
    info = cls.model_fields[field]
    for item in info.metadata:
        if isinstance(item, Unit):
            return item.name
    return _unit_in(info.annotation)


def _unit_in(annotation: Any) -> str | None:
    for item in getattr(annotation, "__metadata__", ()):
        if isinstance(item, Unit):
            return item.name
    for arg in typing.get_args(annotation):
        found = _unit_in(arg)
        if found:
            return found
    return None


def field_default(cls: type[BaseModel], field: str) -> Any:
    """The default of an optional field (required fields raise KeyError)."""
    info = cls.model_fields[field]
    if info.is_required():
        raise KeyError(f"{cls.__name__}.{field} is required")
    return info.get_default(call_default_factory=True)


def _shown_params(node: Node) -> list[tuple[str, Any]]:
    """(name, value) of the parameters that print: required ones and non-default optional ones."""
    cls = type(node)
    shown = []
    for name in param_names(cls):
        if isinstance(node, ShapeBase) and name in ShapeBase.TRANSFORMS:
            continue
        value = getattr(node, name)
        info = cls.model_fields[name]
        if info.is_required() or value != field_default(cls, name) or (
                node.exprs and exprs_of(node, name)):
            shown.append((name, value))
    return shown


def _field_text(node: Node, name: str, value: Any) -> str:
    if value == ():
        return "[]"  # an empty list (a profile without points; the validator reports it)
    if node.exprs:
        written = exprs_of(node, name)
        if written:
            return _with_exprs(value, field_unit(type(node), name), name, written)
    return format_value(value, field_unit(type(node), name))


def _with_exprs(value: Any, unit: str | None, path: str, written: dict[str, Any]) -> str:
    """A field value with the numbers that were written as expressions printed as written."""
    if path in written:
        return format_expr(written[path])
    if isinstance(value, RGB):
        value = (value.r, value.g, value.b)
    if isinstance(value, tuple):
        items = [_with_exprs(v, unit, f"{path}.{i}", written) for i, v in enumerate(value)]
        nested = bool(value) and isinstance(value[0], tuple)
        return ("[" + ", ".join(items) + "]") if nested else ("(" + ", ".join(items) + ")")
    return format_value(value, unit)


def let_line(let: LetDef) -> str:
    """`let NAME = EXPR` as written (canonical spacing)."""
    return f"let {let.name} = {format_expr(let.expr)}"


def _call(node: Node) -> str:
    """`kind(p=v, ...)` for primitives, materials and lights."""
    args = ", ".join(f"{name}={_field_text(node, name, value)}" for name, value in _shown_params(node))
    return f"{node.kind}({args})"  # type: ignore[attr-defined]


# ---------------------------------------------------------------- shapes and statements


def print_shape(shape: ShapeBase) -> str:
    """A shape expression: a primitive call, a CSG call or a reference, then its transforms
    in the order at, rotate, scale."""
    if isinstance(shape, Ref):
        text = shape.name
    elif isinstance(shape, Csg):
        text = f"{shape.kind}({', '.join(print_shape(op) for op in shape.operands)})"
    else:
        text = _call(shape)
    for name in ShapeBase.TRANSFORMS:
        value = getattr(shape, name)
        if value is not None:
            text += f" {name} {_field_text(shape, name, value)}"
    return text


def _clauses(st: Node, skip: Iterable[str] = ()) -> str:
    """` name value` for each non-default parameter of an object, camera or world."""
    return "".join(
        f" {name} {_field_text(st, name, value)}"
        for name, value in _shown_params(st)
        if name not in skip
    )


def statement_line(st: Node) -> str:
    """The statement itself on one line, without indent or comments."""
    if isinstance(st, LetDef):
        return let_line(st)
    if isinstance(st, ShapeDef):
        return f"shape {st.name} = {print_shape(st.shape)}"
    if isinstance(st, MaterialDef):
        return f"material {st.name} = {_call(st.material)}"
    if isinstance(st, TextureDef):
        return f"texture {st.name} = {_call(st.texture)}"
    if isinstance(st, LightDef):
        return f"light {st.name} = {_call(st.light)}"
    if isinstance(st, ObjectDef):
        return f"object {st.name} = {st.shape}{_clauses(st, skip=('shape',))}"
    if isinstance(st, InstanceDef):
        return f"object {st.name} = instance {st.source}{_clauses(st, skip=('source',))}"
    if isinstance(st, ArrayDef):
        args = "".join(f", {name}={_field_text(st, name, value)}" for name, value in _shown_params(st)
                       if name in ArrayDef.CALL_PARAMS)
        rest = _clauses(st, skip=("source", *ArrayDef.CALL_PARAMS))
        return f"object {st.name} = array({st.source}{args}){rest}"
    if isinstance(st, GroupDef):
        body = "".join(f" {statement_line(m)}" for m in st.members)
        return f"group {st.name}{_clauses(st)} {{{body} }}"
    if isinstance(st, Camera):
        return f"camera {st.name}{_clauses(st)}"
    if isinstance(st, World):
        return f"world{_clauses(st)}"
    raise ValueError(f"not a statement: {type(st).__name__}")


def _check_comment(text: str) -> str:
    if not text.startswith("#") or "\n" in text or "\r" in text:
        raise ValueError(f"a comment must be one line starting with '#', got {text!r}")
    return text


def _comment_lines(comments: Iterable[str], indent: str) -> list[str]:
    return [indent + _check_comment(c) for c in comments]


def _statement_lines(st: Node, indent: str) -> list[str]:
    lines = _comment_lines(st.comments, indent)  # type: ignore[attr-defined]
    if isinstance(st, GroupDef):  # a block: members one per line, one indent deeper
        lines.append(f"{indent}group {st.name}{_clauses(st)} {{")
        for member in st.members:
            lines.extend(_statement_lines(member, indent + INDENT))
        line = indent + "}"
    else:
        line = indent + statement_line(st)
    trailing = st.trailing_comment  # type: ignore[attr-defined]
    if trailing is not None:
        line += TRAILING_GAP + _check_comment(trailing)
    lines.append(line)
    return lines


def print_statement(st: Node, indent: str = "") -> str:
    """One statement with its comment lines before it and its trailing comment, no final
    newline. `indent` prefixes every line (the printer uses two spaces inside a section)."""
    return "\n".join(_statement_lines(st, indent))


def _block_lines(opener: str, body: list[str], end_comments: Iterable[str] = ()) -> list[str]:
    return [opener + " {", *body, *_comment_lines(end_comments, INDENT), "}"]


def _section_lines(section: Section) -> list[str]:
    body = [line for st in section.statements for line in _statement_lines(st, INDENT)]
    return _comment_lines(section.comments, "") + _block_lines(
        section.name, body, section.end_comments
    )


def print_section(section: Section) -> str:
    """A section with its comments: `NAME {`, statements indented two spaces, `}` and a newline."""
    return "\n".join(_section_lines(section)) + "\n"


def print_scene(scene: Scene) -> str:
    """The canonical text of a whole scene (see the module docstring for the layout)."""
    lines = _comment_lines(scene.comments, "")
    lines.append(f"scenelang {LANGUAGE_VERSION}")
    if scene.constants:  # `let` lines, in order, after a blank line
        lines.append("")
        for let in scene.constants:
            lines.extend(_statement_lines(let, ""))
    for section in scene.sections():
        lines.append("")
        lines.extend(_section_lines(section))
    if scene.end_comments:
        lines.append("")
        lines.extend(_comment_lines(scene.end_comments, ""))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- patches


def _op_lines(op: Node) -> list[str]:
    if isinstance(op, SetOp):
        return [f"{INDENT}set {op.target}.{op.param} = {format_value(op.value)}"]
    if isinstance(op, RemoveOp):
        return [f"{INDENT}remove {op.name}"]
    if isinstance(op, PutOp):
        return _statement_lines(op.statement, INDENT)
    raise ValueError(f"not a patch operation: {type(op).__name__}")


def _patch_lines(patch: Patch) -> list[str]:
    keyword = "replace" if patch.replace else "patch"
    body = [line for op in patch.ops for line in _op_lines(op)]
    return _block_lines(f"{keyword} {patch.section}", body)


def print_patch(patch: Patch | PatchFile | Iterable[Patch]) -> str:
    """A patch (`patch SECTION { ops }` or `replace SECTION { statements }`); a PatchFile or a
    sequence of patches prints its patches in order separated by blank lines. No header."""
    if isinstance(patch, Patch):
        patches: list[Patch] = [patch]
    elif isinstance(patch, PatchFile):
        patches = list(patch.patches)
    else:
        patches = list(patch)
    return "\n\n".join("\n".join(_patch_lines(p)) for p in patches) + "\n"
