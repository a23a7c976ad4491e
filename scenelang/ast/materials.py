"""Materials (Blender's Principled BSDF) and the textures they can use.

A texture is its own statement in the materials section, `texture NAME = KIND(...)`, and a
material plugs it in by name: `base_color=grain` (its colour), `roughness=grain` (its grey
value: the luminance `0.2126 r + 0.7152 g + 0.0722 b` of its linear colour, Blender's
colour-to-number conversion) or `bump=grain` (its grey value as a height, strength
`bump_strength`).

Procedural textures (`checker`, `noise`, `wave`, `brick`, `gradient`) are evaluated at the
surface point in **object coordinates** (metres in the object's own frame, before its transform,
so the pattern moves, turns and scales with the object); `scale` is the number of pattern cells
per metre. `image` reads a PNG or JPEG file (relative to the scene file and confined to its
folder, like mesh assets) and maps it by box projection of the object coordinates (`box`, one
copy of the image per `1/scale` metres on each of the six sides) or by the mesh's UV map (`uv`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from scenelang.ast.base import NAME_PATTERN, RGB, WHITE, Color, Fraction, Node, String


@dataclass(frozen=True)
class TextureRef:
    """Marks a `str` field (or union alternative) as the name of a `texture` statement."""


TextureName = Annotated[str, TextureRef(), Field(pattern=NAME_PATTERN)]
TextureScale = Annotated[float, Field(gt=0, le=1e4, allow_inf_nan=False)]
GREY_LIGHT = RGB(r=0.8, g=0.8, b=0.8)
GREY_DARK = RGB(r=0.2, g=0.2, b=0.2)


def luminance(rgb: tuple[float, float, float]) -> float:
    """The grey value of a linear colour (Rec. 709 weights, Blender's colour-to-number rule)."""
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def _mix(a: tuple[float, ...], b: tuple[float, ...], t: float) -> tuple[float, float, float]:
    return tuple(min(max((1 - t) * x + t * y, 0.0), 1.0) for x, y in zip(a, b))  # type: ignore[return-value]


class TextureBase(Node):
    """Fields every texture kind has (none yet): the base of the `TEXTURE_KINDS` models."""

    def mean_color(self) -> tuple[float, float, float] | None:
        """The texture's average linear colour over a large area (None for an image: it
        depends on the file, see `scenelang.backends.textures`)."""
        c1, c2 = self.color1.linear(), self.color2.linear()  # type: ignore[attr-defined]
        return _mix(c1, c2, 0.5)


class Checker(TextureBase):
    """A 3D checkerboard of two colours: cubes of side `1/scale` m in object coordinates."""

    kind: Literal["checker"] = "checker"
    color1: Color = Field(GREY_LIGHT, description="first colour")
    color2: Color = Field(GREY_DARK, description="second colour")
    scale: TextureScale = Field(5.0, description="cells per metre (1/m)")


class Noise(TextureBase):
    """Perlin noise (Blender's Noise texture, fBM) blending `color1` (low) to `color2` (high)."""

    kind: Literal["noise"] = "noise"
    color1: Color = Field(GREY_DARK, description="colour where the noise is low")
    color2: Color = Field(GREY_LIGHT, description="colour where the noise is high")
    scale: TextureScale = Field(5.0, description="feature frequency (1/m)")
    detail: Annotated[float, Field(ge=0, le=15, allow_inf_nan=False)] = Field(
        2.0, description="octaves of finer noise")
    roughness: Fraction = Field(0.5, description="weight of the finer octaves")
    distortion: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = Field(
        0.0, description="warping of the pattern")


class Wave(TextureBase):
    """Bands or rings (Blender's Wave texture): wood grain, stripes; `color1` in the troughs."""

    kind: Literal["wave"] = "wave"
    color1: Color = Field(GREY_DARK, description="colour of the troughs")
    color2: Color = Field(GREY_LIGHT, description="colour of the crests")
    scale: TextureScale = Field(5.0, description="waves per metre (1/m)")
    pattern: Literal["bands", "rings"] = Field("bands", description="straight bands or concentric rings")
    axis: Literal["x", "y", "z"] = Field("x", description="bands: the axis they vary along; rings: their axis")
    profile: Literal["sine", "saw", "triangle"] = Field("sine", description="shape of one wave")
    distortion: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = Field(
        0.0, description="noise warping of the bands (0: regular)")


class Brick(TextureBase):
    """A brick wall (Blender's Brick texture) in the `plane` of object coordinates (x-z, a wall
    facing -y, or x-y, a floor), the same through the third axis; bricks vary between
    `color1` and `color2`, joints have the `mortar` colour."""

    kind: Literal["brick"] = "brick"
    color1: Color = Field(GREY_LIGHT, description="brick colour")
    color2: Color = Field(GREY_DARK, description="second brick colour (bricks vary between the two)")
    mortar: Color = Field(RGB(r=0.0, g=0.0, b=0.0), description="joint colour")
    scale: TextureScale = Field(5.0, description="pattern scale (1/m)")
    mortar_size: Annotated[float, Field(ge=0, le=0.125, allow_inf_nan=False)] = Field(
        0.02, description="joint width, in pattern units")
    brick_width: Annotated[float, Field(ge=0.01, le=100, allow_inf_nan=False)] = Field(
        0.5, description="brick length, in pattern units")
    row_height: Annotated[float, Field(ge=0.01, le=100, allow_inf_nan=False)] = Field(
        0.25, description="row height, in pattern units")
    plane: Literal["xz", "xy"] = Field("xz", description="xz: a wall (rows along z); xy: a floor (rows along y)")

    def mean_color(self) -> tuple[float, float, float] | None:
        joints = 1 - max(1 - 2 * self.mortar_size / self.brick_width, 0.0) * max(
            1 - 2 * self.mortar_size / self.row_height, 0.0)
        bricks = _mix(self.color1.linear(), self.color2.linear(), 0.5)
        return _mix(bricks, self.mortar.linear(), joints)


class Gradient(TextureBase):
    """A ramp from `color1` to `color2` along one axis of object coordinates, from `start` to
    `end` (m); constant beyond them."""

    kind: Literal["gradient"] = "gradient"
    color1: Color = Field(GREY_DARK, description="colour at `start`")
    color2: Color = Field(GREY_LIGHT, description="colour at `end`")
    axis: Literal["x", "y", "z"] = Field("z", description="the object axis the ramp runs along")
    start: Annotated[float, Field(ge=-1e4, le=1e4, allow_inf_nan=False)] = Field(
        -1.0, description="where the ramp starts (m)")
    end: Annotated[float, Field(ge=-1e4, le=1e4, allow_inf_nan=False)] = Field(
        1.0, description="where the ramp ends (m), not equal to start")
    ease: Literal["linear", "easing"] = Field("linear", description="linear, or smooth at both ends")


class ImageTexture(TextureBase):
    """A PNG or JPEG image. The path is relative to the scene file's folder and must stay
    inside it (see `scenelang.assets`); at most 20 MB and 8192 pixels per side."""

    kind: Literal["image"] = "image"
    path: String = Field(description='the file, relative to the scene file: "textures/wood.png"',
                         examples=[String(value="examples/assets/tiles.png")])
    mapping: Literal["box", "uv"] = Field(
        "box", description="box: projected on the six sides in object coordinates; uv: the mesh's UV map")
    scale: TextureScale = Field(1.0, description="box: image repeats per metre; uv: repeats per UV unit")

    def mean_color(self) -> tuple[float, float, float] | None:
        return None


TEXTURE_KINDS: dict[str, type[TextureBase]] = {
    cls.model_fields["kind"].default: cls for cls in (Checker, Noise, Wave, Brick, Gradient, ImageTexture)
}
Texture = Annotated[Checker | Noise | Wave | Brick | Gradient | ImageTexture, Field(discriminator="kind")]


class Principled(Node):
    """Blender's Principled BSDF. All parameters are optional."""

    kind: Literal["principled"] = "principled"
    base_color: Color | TextureName = Field(
        RGB(r=0.8, g=0.8, b=0.8), description="diffuse/base colour, or the name of a texture")
    metallic: Fraction = Field(0.0, description="0 dielectric .. 1 metal")
    roughness: Fraction | TextureName = Field(
        0.5, description="0 mirror .. 1 fully rough, or a texture (its grey value)")
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
    bump: TextureName | None = Field(None, description="a texture whose grey value is a height (bump map)")
    bump_strength: Fraction = Field(0.5, description="how strongly `bump` tilts the surface")

    def texture_names(self) -> tuple[str, ...]:
        """The textures this material plugs in (base colour, roughness, bump), each once."""
        names = [v for v in (self.base_color, self.roughness, self.bump) if isinstance(v, str)]
        return tuple(dict.fromkeys(names))


MATERIAL_KINDS: dict[str, type[Node]] = {"principled": Principled}
