"""Materials: Blender's Principled BSDF."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from scenelang.ast.base import RGB, WHITE, Color, Fraction, Node


class Principled(Node):
    """Blender's Principled BSDF. All parameters are optional."""

    kind: Literal["principled"] = "principled"
    base_color: Color = Field(RGB(r=0.8, g=0.8, b=0.8), description="diffuse/base colour")
    metallic: Fraction = Field(0.0, description="0 dielectric .. 1 metal")
    roughness: Fraction = Field(0.5, description="0 mirror .. 1 fully rough")
    ior: Annotated[float, Field(ge=1, le=4, allow_inf_nan=False)] = Field(
        1.5, description="index of refraction"
    )
    specular: Fraction = Field(0.5, description="specular IOR level (0.5 is physically neutral)")
    transmission: Fraction = Field(0.0, description="0 opaque .. 1 glass-like")
    emission_color: Color = Field(WHITE, description="emitted colour")
    emission_strength: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] = Field(
        0.0, description="emission strength (0 = none)"
    )
    alpha: Fraction = Field(1.0, description="opacity, 0 invisible .. 1 opaque")


MATERIAL_KINDS: dict[str, type[Node]] = {"principled": Principled}
