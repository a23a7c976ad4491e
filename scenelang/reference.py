"""The language reference generated from the AST models, so documentation cannot drift.

`language_reference()` renders Markdown parameter tables (type, default, range, unit,
description) for every primitive, material, light and statement clause, plus the validator's
default limits; `docs/language.md` embeds that text between the `BEGIN GENERATED` and
`END GENERATED` markers (a test checks it is current; `python -m scenelang.reference --write
docs/language.md` refreshes it). `language_reference(compact=True)` is a dense plain-text
version for model prompts.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from scenelang import ast as A
from scenelang.constants import KEYWORD
from scenelang.printer import field_default, field_unit, format_value
from scenelang.validate import Limits

BEGIN_MARKER = "<!-- BEGIN GENERATED: scenelang.reference.language_reference() -->"
END_MARKER = "<!-- END GENERATED -->"

UNSET = "unset"
TRANSFORM_DESCRIPTIONS = {
    "at": "translation (m)",
    "rotate": "Euler XYZ rotation",
    "scale": "uniform or per-axis scale",
}
LIMIT_DESCRIPTIONS = {
    "max_statements": "statements in the whole scene",
    "max_shapes": "shape statements",
    "max_objects": "object statements",
    "max_lights": "lights, copies of lights in groups included",
    "max_csg_depth": "CSG nesting depth, counted through shape references",
    "max_csg_operands": "operands of one union/difference/intersection",
    "max_primitives": "primitives after expanding references (all objects, and one shape)",
    "max_segments": "segments, rings or vertices of one primitive",
    "max_resolution": "pixels per side of the camera resolution",
    "max_samples": "render samples",
    "max_triangles": "triangles of all objects' meshes (estimated from segments/rings/vertices)",
    "max_name_length": "characters of a name",
    "max_expanded_objects": "objects and lights after expanding groups, instances and arrays",
    "max_image_bytes": "bytes of a texture image file (`image(path=...)`)",
    "max_image_side": "pixels per side of a texture image",
}
_UNIT_IN_TEXT = re.compile(r"\s*\((m|mm|W|W/m\^2)\)")


@dataclass(frozen=True)
class ParamInfo:
    """One parameter as the reference shows it. `default` is None for required parameters."""

    name: str
    type: str
    short_type: str
    default: str | None
    range: str
    unit: str
    description: str


# ---------------------------------------------------------------- introspection


def _strip_optional(tp: Any) -> Any:
    if get_origin(tp) in (Union, types.UnionType):
        alts = [a for a in get_args(tp) if a is not type(None)]
        if len(alts) == 1:
            return alts[0]
        return Union[tuple(alts)]  # type: ignore[return-value]  # noqa: UP007 (built at run time)
    return tp


def _leaf(tp: Any) -> Any:
    """The annotation without `Annotated` wrappers."""
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    return tp


def _type_names(tp: Any, unit: str | None) -> tuple[str, str]:
    """(long, short) names of what a field accepts."""
    tp = _strip_optional(tp)
    if get_origin(tp) is typing.Annotated and any(isinstance(m, A.TextureRef) for m in get_args(tp)[1:]):
        return "name of a texture", "texture"
    tp = _leaf(tp)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        alts = get_args(tp)
        if set(alts) == {A.HexColor, A.RGB}:
            return "colour: #rrggbb or (r, g, b)", "colour"
        names = [_type_names(a, unit) for a in alts]
        return " or ".join(n[0] for n in names), "|".join(n[1] for n in names)
    if origin is Literal:
        choices = [str(c) for c in get_args(tp)]
        return "one of " + ", ".join(choices), "|".join(choices)
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return "list [(a, b), ...] of 2D points", "[(a, b), ...]"
        if _leaf(args[0]) is int:
            return f"({', '.join('n' * len(args))}) integers", "(int, int)"
        item = {"deg": "angles", "mm": "millimetres"}.get(unit or "", "numbers")
        return f"vector (x, y, z) of {item}", "vec3 deg" if unit == "deg" else "vec3"
    if tp is int:
        return "integer", "int"
    if tp is str:
        return "name", "name"
    if tp is A.String:
        return 'string "..."', "string"
    if tp is float:
        return {"deg": ("angle", "angle"), "mm": ("length", "mm")}.get(unit or "",
                                                                        ("number", "number"))
    return getattr(tp, "__name__", str(tp)), getattr(tp, "__name__", str(tp))


def _bounds(info: FieldInfo) -> dict[str, float]:
    """ge/gt/le/lt constraints on the field or, for vectors and unions, on its numbers."""
    found: dict[str, float] = {}

    def take(items):
        for item in items:
            if isinstance(item, FieldInfo):
                take(item.metadata)
            for kind in ("ge", "gt", "le", "lt"):
                if isinstance(item, getattr(at, kind.capitalize())):
                    found.setdefault(kind, getattr(item, kind))

    def walk(tp):
        if get_origin(tp) is typing.Annotated:
            take(tp.__metadata__)
            walk(get_args(tp)[0])
        for arg in get_args(tp):
            if get_origin(tp) is not typing.Annotated and arg not in (A.HexColor, A.RGB):
                walk(arg)

    take(info.metadata)
    walk(info.annotation)
    return found


def _range_text(bounds: dict[str, float]) -> str:
    def num(x):
        return format_value(x)

    low = ("ge", bounds["ge"]) if "ge" in bounds else ("gt", bounds["gt"]) if "gt" in bounds \
        else None
    high = ("le", bounds["le"]) if "le" in bounds else ("lt", bounds["lt"]) if "lt" in bounds \
        else None
    if low and high and low[0] == "ge" and high[0] == "le":
        return f"{num(low[1])}..{num(high[1])}"
    parts = []
    if low:
        parts.append((">= " if low[0] == "ge" else "> ") + num(low[1]))
    if high:
        parts.append(("<= " if high[0] == "le" else "< ") + num(high[1]))
    return ", ".join(parts)


def param_info(cls: type[BaseModel], name: str, description: str | None = None) -> ParamInfo:
    """The reference entry for one field of an AST model."""
    info = cls.model_fields[name]
    unit = field_unit(cls, name)
    long_type, short_type = _type_names(info.annotation, unit)
    if info.is_required():
        default = None
    else:
        value = field_default(cls, name)
        default = UNSET if value is None else format_value(value, unit)
    text = description or info.description or TRANSFORM_DESCRIPTIONS.get(name, "")
    match = _UNIT_IN_TEXT.search(text)
    shown_unit = unit or ""
    if match:
        shown_unit = shown_unit or match.group(1)
        text = _UNIT_IN_TEXT.sub("", text, count=1)
    if name == "resolution":
        shown_unit = "px"
    range_text = _range_text(_bounds(info))
    if short_type in ("colour", "colour|texture"):
        range_text = "channels 0..1"
    return ParamInfo(name, long_type, short_type, default, range_text, shown_unit, text)


def model_params(cls: type[BaseModel], *, transforms: bool = False) -> list[ParamInfo]:
    """The parameters of a primitive, material, light or statement, in declaration order."""
    names = [n for n in A.param_names(cls)
             if transforms or n not in A.ShapeBase.TRANSFORMS or not issubclass(cls, A.ShapeBase)]
    return [param_info(cls, n) for n in names]


def _summary(cls: type, whole: bool = False) -> str:
    """The first paragraph of a class docstring (all paragraphs with `whole`), reflowed."""
    paragraphs = (cls.__doc__ or "").strip().split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in (paragraphs if whole else paragraphs[:1]))


# ---------------------------------------------------------------- rendering


def _table(params: list[ParamInfo], first: str = "parameter") -> list[str]:
    rows = [f"| {first} | type | default | range | unit | description |",
            "|---|---|---|---|---|---|"]
    for p in params:
        default = "required" if p.default is None else f"`{p.default}`"
        rows.append(f"| `{p.name}` | {p.type} | {default} | {p.range} | {p.unit} | "
                    f"{p.description} |")
    return rows


def _signature(kind: str, params: list[ParamInfo]) -> str:
    required = [f"{p.name}=..." for p in params if p.default is None]
    return f"{kind}({', '.join(required)})"


def _limits_fields() -> list[tuple[str, Any]]:
    return [(f.name, f.default) for f in dataclasses.fields(Limits)]


def _markdown() -> str:
    out: list[str] = []

    def add_model(kind: str, cls: type, level: str = "####") -> None:
        params = model_params(cls)
        out.extend(["", f"{level} `{_signature(kind, params)}`", "", _summary(cls), ""])
        out.extend(_table(params))

    out.append("### Shape primitives (geometry)")
    for kind, cls in A.PRIMITIVES.items():
        add_model(kind, cls)
    out.extend(["", "### Shape transforms", "",
                "Every shape expression (primitive, CSG operation or reference) may be followed by "
                "these clauses, written in this order: `at V`, `rotate V`, `scale S`. They apply "
                "as scale, then rotate (Euler XYZ, degrees), then translate (`at`), the order "
                "Blender uses for an object.", ""])
    out.extend(_table([param_info(A.ShapeBase, n) for n in A.ShapeBase.TRANSFORMS], "clause"))
    out.extend(["", "### CSG operations (geometry)", ""])
    for op in A.CSG_OPS:
        out.append(f"- `{op}(SHAPE, SHAPE, ...)`: 2 to "
                   f"{A.Csg.model_fields['operands'].metadata[1].max_length} operand shapes")
    out.append(f"\n{_summary(A.Csg)}")
    out.extend(["", "### Constants and arithmetic (any number)", "",
                f"`{KEYWORD} NAME = EXPR` lines after the header; an expression may stand wherever "
                "a number goes. Highest precedence first:", "",
                "| form | meaning |", "|---|---|",
                "| `2.5`, `NAME`, `(EXPR)` | a number, a constant defined above, parentheses |",
                "| `-EXPR` | unary minus |",
                "| `EXPR * EXPR`, `EXPR / EXPR` | multiply, divide (left to right) |",
                "| `EXPR + EXPR`, `EXPR - EXPR` | add, subtract (left to right) |"])
    out.extend(["", "### Materials"])
    for kind, cls in A.MATERIAL_KINDS.items():
        add_model(kind, cls)
    out.extend(["", "### Textures (materials)", "",
                "`texture NAME = KIND(...)` in the materials section; a material uses it by name in "
                "`base_color`, `roughness` or `bump`. Procedural textures are evaluated in object "
                "coordinates (metres, before the object's transform)."])
    for kind, cls in A.TEXTURE_KINDS.items():
        add_model(kind, cls)
    out.extend(["", "### Object clauses (composition)", "",
                _summary(A.ObjectDef, whole=True), ""])
    out.extend(_table([p for p in model_params(A.ObjectDef) if p.name != "shape"], "clause"))
    for cls, title in ((A.GroupDef, "Group clauses (composition)"),
                       (A.InstanceDef, "Instance clauses (composition)"),
                       (A.ArrayDef, "Array parameters and clauses (composition)")):
        out.extend(["", f"### {title}", "", _summary(cls, whole=True), ""])
        out.extend(_table([p for p in model_params(cls) if p.name != "source"], "parameter"))
    out.extend(["", "### Camera clauses (composition)", "",
                _summary(A.Camera, whole=True), ""])
    out.extend(_table(model_params(A.Camera), "clause"))
    out.extend(["", "### World clauses (lighting)", "",
                _summary(A.World, whole=True), ""])
    out.extend(_table(model_params(A.World), "clause"))
    out.extend(["", "### Lights (lighting, or in a composition group)", "",
                "`light NAME = KIND(...)` in the lighting section, or as a member of a group in "
                "composition: then `at`, `look_at` and `direction` are in the group's frame."])
    for kind, cls in A.LIGHT_KINDS.items():
        add_model(kind, cls)
    limits = _limits_fields()
    if limits:
        out.extend(["", "### Limits (validator defaults)", "",
                    "| limit | default | what it bounds |", "|---|---|---|"])
        for name, default in limits:
            out.append(f"| `{name}` | {default} | {LIMIT_DESCRIPTIONS.get(name, '')} |")
    return "\n".join(out) + "\n"


def _compact_param(p: ParamInfo) -> str:
    text = f"{p.name}: {p.short_type}"
    if p.unit and p.unit not in ("deg", "mm"):
        text += f" {p.unit}"
    if p.range and p.short_type != "colour":
        text += f" {p.range}"
    if p.default is not None and p.default != UNSET:
        text += f" = {p.default}"
    elif p.default == UNSET:
        text += " (optional)"
    return text


def _compact_texture_param(p: ParamInfo) -> str:
    """`name=default` (choices as `a|b`): texture parameters, kept short for the prompt."""
    if "|" in p.short_type and p.short_type != "colour":
        return f"{p.name}={p.short_type}"
    return p.name if p.default is None or p.short_type == "colour" else f"{p.name}={p.default}"


def _compact_clauses(cls: type, skip: tuple[str, ...] = ()) -> str:
    parts = []
    for p in model_params(cls):
        if p.name in skip:
            continue
        item = _compact_param(p).replace(": ", " ", 1)
        parts.append(item if p.default is None else f"[{item}]")
    return " ".join(parts)


def _compact() -> str:
    lines = [
        "scenelang 1 quick reference. Units: metres; angles in degrees (30deg, or 0.5rad); "
        "lens/sensor in mm (50mm). Colours: #rrggbb (sRGB) or (r, g, b) linear 0..1. "
        "Vectors (x, y, z), z is up. Optional parameters default as shown (= value).",
        "File: `scenelang 1`, then sections `geometry { }`, `materials { }`, `composition { }`, "
        "`lighting { }` in that order, one statement per line. Shapes appear only when an "
        "object places them; objects without a material are grey.",
        "Constants: `let NAME = EXPR` lines after the header, before the sections; any number "
        "may be arithmetic on them (+ - * /, parentheses, unary minus; no units inside): "
        "`let h = 0.72` then `box(size=(1.2, 0.8, 0.04)) at (0, 0, h - 0.02)`, "
        "`object leg_1 = leg at (0.5, 0.3, h / 2)`.",
        "geometry: shape NAME = EXPR, where EXPR is a primitive call, "
        "union|difference|intersection(EXPR, EXPR, ...), or the NAME of an earlier shape; any "
        "EXPR may be followed by [at (x, y, z)] [rotate (x, y, z)] [scale s|(x, y, z)] "
        "(applied scale, rotate Euler XYZ, then at) and [material NAME] (that part's faces keep "
        "it: difference(box(size=(1, 1, 1)) material wood, sphere(radius=0.6) material steel)); "
        "a whole shape may end with [bevel W] (rounded edges). "
        "difference(a, b, c) = a minus b minus c. revolve turns (r, z) points around z (vase: "
        "[(0, 0), (0.3, 0), (0.2, 0.5), (0, 0.9)]); extrude pulls a polygon along z.",
    ]
    for kind, cls in A.PRIMITIVES.items():
        lines.append(f"  {kind}({', '.join(_compact_param(p) for p in model_params(cls))})")
    for kind, cls in A.MATERIAL_KINDS.items():
        lines.append(f"materials: material NAME = {kind}("
                     f"{', '.join(_compact_param(p) for p in model_params(cls))})")
    lines.append("  texture NAME = KIND(...) (colours color1, color2), used by name: base_color=T, "
                 "roughness=T, bump=T; object coordinates, scale = repeats per metre:")
    lines.append("  " + "; ".join(f"{kind}({', '.join(_compact_texture_param(p) for p in model_params(cls))})"
                                  for kind, cls in A.TEXTURE_KINDS.items()))
    lines.append('  e.g. texture grain = wave(color1=#6b4423, color2=#a8743f, scale=6, pattern=rings, '
                 'axis=z)  material oak = principled(base_color=grain); image(path="tiles.png") is '
                 'relative to the scene file')
    lines.append("composition:")
    lines.append(f"  object NAME = SHAPE {_compact_clauses(A.ObjectDef, skip=('shape',))}")
    lines.append(f"  group NAME {_compact_clauses(A.GroupDef)} {{ object ... group ... light ... }}  "
                 "(members placed relative to the group, a light's at/direction/look_at too; moving "
                 "the group moves them all)")
    lines.append(f"  object NAME = instance SOURCE {_compact_clauses(A.InstanceDef, skip=('source',))}"
                 "  (a copy of an object, group or shape; clauses not written are the source's)")
    lines.append("  object NAME = array(SOURCE, count=N, offset=(dx, dy, dz) | around=(x, y, z) "
                 f"[, angle=A]) {_compact_clauses(A.ArrayDef, skip=('source', *A.ArrayDef.CALL_PARAMS))}"
                 "  (N copies: at/rotate/scale place the first, then each is moved by offset, or "
                 "turned by angle/N degrees about the vertical axis through `around`)")
    lines.append("  e.g. group lamp at (1, 0, 0.75) { object base_1 = lamp_base material brass  "
                 "object shade_1 = shade at (0, 0, 0.3) material green  "
                 "light bulb = point(at=(0, 0, 0.25), energy=40) }; "
                 "object chair_2 = instance chair_1 at (0, 1, 0) rotate (0, 0, 180deg); "
                 "object legs = array(leg, count=4, around=(0, 0, 0)) at (0.5, 0.5, 0.36)")
    lines.append(f"  camera NAME {_compact_clauses(A.Camera)}  (at most one camera; look_at or "
                 "rotate, not both; lens or fov, not both; neither aim: looks at the origin)")
    lines.append("lighting:")
    lines.append(f"  world {_compact_clauses(A.World)}")
    for kind, cls in A.LIGHT_KINDS.items():
        lines.append(f"  light NAME = {kind}("
                     f"{', '.join(_compact_param(p) for p in model_params(cls))})")
    lines.append("  (spot/area: direction or look_at, not both; area size_y only with "
                 "rectangle or ellipse)")
    lines.append("Patches: `patch SECTION { ... }` with lines `set NAME.PARAM = VALUE`, a full "
                 "statement (adds it, or replaces the one with that name), `remove NAME`; or "
                 "`replace SECTION { statements }`. One section per block. "
                 "`patch constants { let h = 0.8 }` changes a constant (put that block first).")
    lines.append("Comments: # to end of line (but # + 6 hex digits where a value is expected "
                 "is a colour). Names: [A-Za-z_][A-Za-z0-9_]*, unique per section.")
    return "\n".join(lines) + "\n"


def language_reference(compact: bool = False) -> str:
    """The parameter reference generated from the AST: Markdown tables (the generated part of
    docs/language.md), or with `compact=True` a dense plain-text summary for prompts."""
    return _compact() if compact else _markdown()


def generated_block() -> str:
    """The reference between its markers, exactly as docs/language.md embeds it."""
    return f"{BEGIN_MARKER}\n\n{language_reference()}\n{END_MARKER}"


def update_doc(path: str | Path) -> bool:
    """Replace the generated block in a Markdown file; True when the file changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    start, end = text.find(BEGIN_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no generated-reference markers")
    new = text[:start] + generated_block() + text[end + len(END_MARKER):]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str] | None = None) -> int:
    """`python -m scenelang.reference [--compact | --write DOC]`."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--write"] and len(argv) == 2:
        print("updated" if update_doc(argv[1]) else "up to date", argv[1])
    else:
        sys.stdout.write(language_reference(compact="--compact" in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
