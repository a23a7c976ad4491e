"""Lights: sun, point, spot and area."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from scenelang.ast.base import WHITE, Color, Fraction, Node, NonNegative, Positive, Unit, Vec3


class Sun(Node):
    """Parallel light from infinitely far away."""

    kind: Literal["sun"] = "sun"
    direction: Vec3 = Field((0.0, 0.0, -1.0), description="direction the light travels")
    energy: Annotated[float, Field(ge=0, le=1e4, allow_inf_nan=False)] = Field(
        3.0, description="irradiance (W/m^2)"
    )
    color: Color = Field(WHITE, description="light colour")
    angle: Annotated[float, Unit("deg"), Field(ge=0, le=180, allow_inf_nan=False)] = Field(
        0.526, description="angular diameter (softness of shadows)"
    )


class Point(Node):
    """An omnidirectional light at a point."""

    kind: Literal["point"] = "point"
    at: Vec3 = Field(description="position (m)")
    energy: Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)] = Field(
        1000.0, description="power (W)"
    )
    color: Color = Field(WHITE, description="light colour")
    radius: NonNegative = Field(0.1, description="source radius (m)")


class Spot(Node):
    """A cone of light from a point, aimed by `direction` or `look_at`."""

    kind: Literal["spot"] = "spot"
    at: Vec3 = Field(description="position (m)")
    direction: Vec3 | None = Field(None, description="aim direction (default (0, 0, -1))")
    look_at: Vec3 | None = Field(None, description="aim at this point instead of a direction")
    energy: Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)] = Field(
        1000.0, description="power (W)"
    )
    color: Color = Field(WHITE, description="light colour")
    radius: NonNegative = Field(0.1, description="source radius (m)")
    spot_size: Annotated[float, Unit("deg"), Field(ge=1, le=180, allow_inf_nan=False)] = Field(
        45.0, description="cone angle"
    )
    blend: Fraction = Field(0.15, description="softness of the cone's edge")


class Area(Node):
    """A flat emitting surface, aimed by `direction` or `look_at`."""

    kind: Literal["area"] = "area"
    at: Vec3 = Field(description="position (m)")
    direction: Vec3 | None = Field(None, description="aim direction (default (0, 0, -1))")
    look_at: Vec3 | None = Field(None, description="aim at this point instead of a direction")
    energy: Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)] = Field(
        100.0, description="power (W)"
    )
    color: Color = Field(WHITE, description="light colour")
    size: Positive = Field(1.0, description="side length or diameter (m)")
    size_y: Positive | None = Field(None, description="second side for rectangle/ellipse (m)")
    shape: Literal["square", "rectangle", "disk", "ellipse"] = Field(
        "square", description="outline of the emitter"
    )


LIGHT_KINDS: dict[str, type[Node]] = {"sun": Sun, "point": Point, "spot": Spot, "area": Area}
Light = Annotated[Sun | Point | Spot | Area, Field(discriminator="kind")]
