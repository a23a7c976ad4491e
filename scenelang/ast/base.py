"""Building blocks of the AST: the node base class, value types and units, colours, raw values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scenelang.errors import Span

SECTION_NAMES = ("geometry", "materials", "composition", "lighting")
SectionName = Literal["geometry", "materials", "composition", "lighting"]
LANGUAGE_VERSION = 1


@dataclass(frozen=True)
class Unit:
    """Marks a float field as a quantity: `deg` (angle; `rad` and bare numbers accepted) or `mm`."""

    name: str


@dataclass(frozen=True)
class MeshDetail:
    """Marks an integer field as a mesh resolution (segments, rings, vertices around a circle);
    the validator bounds such fields by `Limits.max_segments`."""


NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
# no max_length here: over-long names are positioned errors of the validator (`Limits.max_name_length`)
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Angle = Annotated[float, Unit("deg"), Field(allow_inf_nan=False)]
Millimetres = Annotated[float, Unit("mm"), Field(gt=0, le=10000, allow_inf_nan=False)]
Segments = Annotated[int, MeshDetail(), Field(ge=3, le=4096)]
Vec3 = tuple[Finite, Finite, Finite]
PositiveVec3 = tuple[Positive, Positive, Positive]
AngleVec3 = tuple[Angle, Angle, Angle]
Resolution = tuple[Annotated[int, Field(ge=1, le=16384)], Annotated[int, Field(ge=1, le=16384)]]


class Node(BaseModel):
    """Base of every AST node: frozen, unknown fields rejected, span ignored by ==.

    `exprs` keeps the arithmetic a node's numbers were written with (`let` constants and
    `+ - * /`): `(path, Expr)` pairs, the path naming a field and, for vectors and lists, the
    component (`size.2`, `profile.3.0`); the field itself holds the evaluated value, so nothing
    downstream of the parser sees expressions. Empty for numbers written as plain literals.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    span: Span | None = Field(default=None, repr=False, exclude=True)
    exprs: tuple[tuple[str, Any], ...] = Field(default=(), repr=False, exclude=True)

    def _key(self) -> tuple:
        return tuple(getattr(self, f) for f in type(self).model_fields if f != "span")

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def params(self) -> dict[str, Any]:
        """The node's own parameters (fields other than span, kind and bookkeeping)."""
        return {f: getattr(self, f) for f in param_names(type(self))}


NON_PARAM_FIELDS = frozenset(
    {"span", "kind", "stmt", "name", "comments", "trailing_comment", "shape_kind", "members",
     "exprs"}
)


def param_names(cls: type[BaseModel]) -> list[str]:
    """Names of the user-settable parameters of a node class, in declaration order."""
    return [f for f in cls.model_fields if f not in NON_PARAM_FIELDS]


def required_params(cls: type[BaseModel]) -> list[str]:
    return [f for f in param_names(cls) if cls.model_fields[f].is_required()]


# ---------------------------------------------------------------- colours


def srgb_to_linear(c: float) -> float:
    """The sRGB transfer function inverted (what Blender does to a hex colour)."""
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def linear_to_srgb(c: float) -> float:
    c = min(max(c, 0.0), 1.0)
    return c * 12.92 if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


class HexColor(Node):
    """`#rrggbb`: an sRGB colour as written in image editors. Stored as 6 lowercase hex digits."""

    kind: Literal["hex"] = "hex"
    hex: Annotated[str, Field(pattern=r"^[0-9a-f]{6}$")]

    def linear(self) -> tuple[float, float, float]:
        r, g, b = (int(self.hex[i : i + 2], 16) / 255 for i in (0, 2, 4))
        return (srgb_to_linear(r), srgb_to_linear(g), srgb_to_linear(b))


class RGB(Node):
    """`(r, g, b)`: a linear RGB colour, each channel in 0..1."""

    kind: Literal["rgb"] = "rgb"
    r: Fraction
    g: Fraction
    b: Fraction

    def linear(self) -> tuple[float, float, float]:
        return (self.r, self.g, self.b)


Color = Annotated[HexColor | RGB, Field(discriminator="kind")]
WHITE = RGB(r=1, g=1, b=1)


# ---------------------------------------------------------------- raw values (patches)


# ---------------------------------------------------------------- arithmetic (`let`, + - * /)


class Lit(Node):
    """A number inside an expression (no unit: expressions are unit-less)."""

    expr: Literal["lit"] = "lit"
    value: Finite


class Const(Node):
    """A `let` constant used by name."""

    expr: Literal["const"] = "const"
    name: Name


class Neg(Node):
    """`-operand` (a minus before a literal number is part of the literal instead)."""

    expr: Literal["neg"] = "neg"
    operand: Expr


class BinOp(Node):
    """`left op right`, op one of + - * / (left-associative; * and / bind tighter)."""

    expr: Literal["binop"] = "binop"
    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr


class Paren(Node):
    """`(inner)`: parentheses as written, kept so the printer reproduces them."""

    expr: Literal["paren"] = "paren"
    inner: Expr


Expr = Annotated[Lit | Const | Neg | BinOp | Paren, Field(discriminator="expr")]
for _cls in (Neg, BinOp, Paren):
    _cls.model_rebuild()


class Number(Node):
    """A number as written, with its unit suffix (`deg`, `rad`, `mm`) if any; `expr` is the
    arithmetic it was written as (`h / 2`), `value` the evaluated result."""

    kind: Literal["number"] = "number"
    value: Finite
    unit: Literal["deg", "rad", "mm"] | None = None
    expr: Expr | None = None


class Vector(Node):
    """A literal tuple `(a, b, ...)` of numbers."""

    kind: Literal["vector"] = "vector"
    items: tuple[Number, ...] = Field(min_length=1, max_length=4)


class Ident(Node):
    """A bare identifier used as a value (a material name, an enum choice)."""

    kind: Literal["ident"] = "ident"
    name: Name


class String(Node):
    """A double-quoted string `"..."` (a file path): one line, escapes `\\"` and `\\\\` only."""

    kind: Literal["string"] = "string"
    value: Annotated[str, Field(max_length=1024)]


class ListValue(Node):
    """A literal list `[a, b, ...]` of values (a profile: `[(r, z), (r, z), ...]`)."""

    kind: Literal["list"] = "list"
    items: tuple[Number | Vector | HexColor | Ident | String, ...] = Field(max_length=4096)


Value = Annotated[Number | Vector | HexColor | Ident | String | ListValue, Field(discriminator="kind")]
