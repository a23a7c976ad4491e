"""Textures outside Blender: numpy evaluation for the preview, mean colours for flat consumers.

Blender evaluates `texture` statements with its shader nodes (`compiler/runtime/textures.py`);
the preview and the exports cannot, so they use, per kind:

- `checker`, `wave`, `brick`, `gradient` and `noise`: Cycles' own formulas (`svm_checker`,
  `svm_wave`, `svm_brick`, `svm_gradient`, and the Perlin fBM of `svm_noise` with its
  lookup3 hash) evaluated per pixel in object coordinates, so the preview shows the same pattern
  as Blender (brick tints use Cycles' integer hash; the mortar edge is sharp where Blender
  smooths it over a tenth of its width);
- `noise` with `distortion > 0`: its mean colour, the middle of `color1` and `color2` (Blender's
  distortion offsets are not reproduced);
- `image`: box projection of the object coordinates as Blender's box mapping does (the side
  its object-space normal is closest to, no blending), nearest pixel; `mapping=uv` is drawn
  the same way (the preview's meshes carry no UV map).

`flat_material(material, textures)` replaces every texture a material plugs in by its mean
value (`mean_color`: the model's for procedural textures, the image's average linear colour for
images; roughness takes the luminance): that is the material the preview's per-face colours,
glTF's factors and OBJ's `.mtl` use. A texture plugged into roughness or bump changes nothing in
the preview beyond that mean roughness (the preview has no specular or bump shading).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from scenelang import ast as A
from scenelang.assets import image_path

WAVE_UNIT = 2.0 * np.pi / 20.0
"""Blender's wave has a period of 2 pi / 20 per unit of its scale; the language's `scale` is
waves per metre (the same constant as `compiler/runtime/textures.py`)."""
_AXES = {"x": 0, "y": 1, "z": 2}


def texture_file(texture: A.ImageTexture) -> Path:
    """The checked absolute path of an image texture's file (positioned `SceneError` if not)."""
    return image_path(texture.path.value, texture.path.span or texture.span)


@lru_cache(maxsize=16)
def _pixels(path: Path, mtime: float) -> np.ndarray:
    """Linear RGB `(H, W, 3)` float32, row 0 at the *bottom* (Blender's image origin)."""
    with Image.open(path) as im:
        srgb = np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    linear = linear[::-1].copy()
    linear.flags.writeable = False
    return linear


def image_pixels(texture: A.ImageTexture) -> np.ndarray:
    """The image of an `image` texture as linear RGB, row 0 at the bottom (cached per file)."""
    path = texture_file(texture)
    return _pixels(path, path.stat().st_mtime)


def mean_color(texture: A.TextureBase) -> tuple[float, float, float]:
    """The average linear colour of a texture (an image's: the mean of its pixels)."""
    mean = texture.mean_color()
    if mean is None and isinstance(texture, A.ImageTexture):
        mean = tuple(float(c) for c in image_pixels(texture).reshape(-1, 3).mean(axis=0))
    return mean if mean is not None else (0.8, 0.8, 0.8)


def flat_material(material: A.Principled, textures: Mapping[str, A.TextureDef]) -> A.Principled:
    """`material` with each texture it names replaced by its mean value, and no bump."""
    if not material.texture_names():
        return material
    update: dict = {"bump": None}
    if isinstance(material.base_color, str):
        texture = textures.get(material.base_color)
        rgb = mean_color(texture.texture) if texture is not None else (0.8, 0.8, 0.8)
        update["base_color"] = A.RGB(r=rgb[0], g=rgb[1], b=rgb[2])
    if isinstance(material.roughness, str):
        texture = textures.get(material.roughness)
        update["roughness"] = A.luminance(mean_color(texture.texture)) if texture is not None else 0.5
    return material.model_copy(update=update)


# ---------------------------------------------------------------- per-point evaluation


def _rgb(color: A.HexColor | A.RGB) -> np.ndarray:
    return np.asarray(color.linear(), dtype=np.float64)


def _mix(c1, c2, t: np.ndarray) -> np.ndarray:
    return (1 - t)[:, None] * _rgb(c1) + t[:, None] * _rgb(c2)


def _checker(t: A.Checker, p: np.ndarray) -> np.ndarray:
    q = (p * t.scale + 1e-6) * 0.999999
    i = np.abs(np.floor(q)).astype(np.int64) % 2
    first = (i[:, 0] == i[:, 1]) == (i[:, 2] == 1)
    return np.where(first[:, None], _rgb(t.color1), _rgb(t.color2))


def _wave(t: A.Wave, p: np.ndarray) -> np.ndarray:
    q = (p * t.scale * WAVE_UNIT + 1e-6) * 0.999999
    axis = _AXES[t.axis]
    if t.pattern == "bands":
        n = q[:, axis] * 20.0
    else:
        ring = q.copy()
        ring[:, axis] = 0
        n = np.linalg.norm(ring, axis=1) * 20.0
    if t.distortion:  # Blender's defaults: detail 2, detail scale 1, detail roughness 0.5
        n = n + t.distortion * (_fbm(q, 2.0, 0.5) * 2.0 - 1.0)
    if t.profile == "sine":
        fac = 0.5 + 0.5 * np.sin(n - np.pi / 2)
    elif t.profile == "saw":
        n = n / (2 * np.pi)
        fac = n - np.floor(n)
    else:
        n = n / (2 * np.pi)
        fac = np.abs(n - np.floor(n + 0.5)) * 2.0
    return _mix(t.color1, t.color2, fac)


def _brick_noise(n: np.ndarray) -> np.ndarray:
    """Cycles' `brick_noise`: integer hash to 0..1 (uint32 arithmetic, wrapping)."""
    with np.errstate(over="ignore"):
        n = (n.astype(np.uint32) + np.uint32(1013)) & np.uint32(0x7FFFFFFF)
        n = (n >> np.uint32(13)) ^ n
        nn = (n * (n * n * np.uint32(60493) + np.uint32(19990303)) + np.uint32(1376312589)) \
            & np.uint32(0x7FFFFFFF)
    return 0.5 * (nn.astype(np.float64) / 1073741824.0)


def _brick(t: A.Brick, p: np.ndarray) -> np.ndarray:
    if t.plane == "xz":
        p = np.stack([p[:, 0], p[:, 2], -p[:, 1]], axis=1)
    q = p * t.scale
    width, height = t.brick_width, t.row_height
    row = np.floor(q[:, 1] / height).astype(np.int64)
    offset = np.where(row % 2 == 0, width * 0.5, 0.0)  # Blender's offset 0.5 every 2nd row
    brick = np.floor((q[:, 0] + offset) / width).astype(np.int64)
    x = q[:, 0] + offset - width * brick
    y = q[:, 1] - height * row
    tint = np.clip(_brick_noise(((row << 16) + (brick & 0xFFFF)) & 0xFFFFFFFF), 0, 1)
    edge = np.minimum(np.minimum(x, y), np.minimum(width - x, height - y))
    mortar = (edge < t.mortar_size).astype(np.float64)
    bricks = _mix(t.color1, t.color2, tint)
    return (1 - mortar)[:, None] * bricks + mortar[:, None] * _rgb(t.mortar)


def _rot(x: np.ndarray, k: int) -> np.ndarray:
    return (x << np.uint32(k)) | (x >> np.uint32(32 - k))


def _hash3(kx: np.ndarray, ky: np.ndarray, kz: np.ndarray) -> np.ndarray:
    """Cycles' `hash_uint3` (Bob Jenkins' lookup3 final mix) of integer cell coordinates."""
    with np.errstate(over="ignore"):
        start = np.uint32(0xDEADBEEF + (3 << 2) + 13)
        a = start + kx.astype(np.int64).astype(np.uint32)
        b = start + ky.astype(np.int64).astype(np.uint32)
        c = start + kz.astype(np.int64).astype(np.uint32)
        c ^= b
        c -= _rot(b, 14)
        a ^= c
        a -= _rot(c, 11)
        b ^= a
        b -= _rot(a, 25)
        c ^= b
        c -= _rot(b, 16)
        a ^= c
        a -= _rot(c, 4)
        b ^= a
        b -= _rot(a, 14)
        c ^= b
        c -= _rot(b, 24)
    return c


def _grad(h: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    h = (h & np.uint32(15)).astype(np.int64)
    u = np.where(h < 8, x, y)
    v = np.where(h < 4, y, np.where((h == 12) | (h == 14), x, z))
    return np.where(h & 1, -u, u) + np.where(h & 2, -v, v)


def _perlin(p: np.ndarray) -> np.ndarray:
    """Cycles' signed 3D Perlin noise (`snoise_3d`, scaled by 0.982)."""
    cell = np.floor(p)
    f = p - cell
    i = cell.astype(np.int64)
    fade = f * f * f * (f * (f * 6 - 15) + 10)
    total = np.zeros(len(p))
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                g = _grad(_hash3(i[:, 0] + dx, i[:, 1] + dy, i[:, 2] + dz),
                          f[:, 0] - dx, f[:, 1] - dy, f[:, 2] - dz)
                weight = ((fade[:, 0] if dx else 1 - fade[:, 0]) * (fade[:, 1] if dy else 1 - fade[:, 1])
                          * (fade[:, 2] if dz else 1 - fade[:, 2]))
                total += weight * g
    return 0.982 * total


def _fbm(q: np.ndarray, detail: float, roughness: float) -> np.ndarray:
    """Cycles' `noise_fbm` (lacunarity 2, normalized to about 0..1)."""
    scale, amp, top, total = 1.0, 1.0, 0.0, np.zeros(len(q))
    for _ in range(int(detail) + 1):
        total += _perlin(scale * q) * amp
        top += amp
        amp *= roughness
        scale *= 2.0
    rest = detail - np.floor(detail)
    fac = 0.5 * total / top + 0.5
    if rest:
        more = total + _perlin(scale * q) * amp
        fac = (1 - rest) * fac + rest * (0.5 * more / (top + amp) + 0.5)
    return fac


def _noise(t: A.Noise, p: np.ndarray) -> np.ndarray:
    """Cycles' noise texture without distortion: its factor blends the two colours."""
    return _mix(t.color1, t.color2, np.clip(_fbm(p * t.scale, t.detail, t.roughness), 0, 1))


def _gradient(t: A.Gradient, p: np.ndarray) -> np.ndarray:
    r = np.clip((p[:, _AXES[t.axis]] - t.start) / (t.end - t.start), 0, 1)
    if t.ease == "easing":
        r = 3 * r * r - 2 * r * r * r
    return _mix(t.color1, t.color2, r)


def _image(t: A.ImageTexture, p: np.ndarray, normal: np.ndarray) -> np.ndarray:
    pixels = image_pixels(t)
    co = p * t.scale
    a = np.abs(normal)
    side_x = (a[:, 0] >= a[:, 1]) & (a[:, 0] >= a[:, 2])
    side_y = ~side_x & (a[:, 1] >= a[:, 2])
    u = np.where(side_x, np.where(normal[:, 0] < 0, 1 - co[:, 1], co[:, 1]),
                 np.where(side_y, np.where(normal[:, 1] > 0, 1 - co[:, 0], co[:, 0]),
                          np.where(normal[:, 2] > 0, 1 - co[:, 1], co[:, 1])))
    v = np.where(side_x | side_y, co[:, 2], co[:, 0])
    h, w = pixels.shape[:2]
    px = np.floor((u - np.floor(u)) * w).astype(np.int64) % w
    py = np.floor((v - np.floor(v)) * h).astype(np.int64) % h
    return pixels[py, px].astype(np.float64)


def evaluate(texture: A.TextureBase, points: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Linear RGB `(N, 3)` of `texture` at `points` `(N, 3)` in object coordinates (m), with
    the object-space surface `normals` (for box mapping); see the module docstring."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    if isinstance(texture, A.Checker):
        return _checker(texture, points)
    if isinstance(texture, A.Wave):
        return _wave(texture, points)
    if isinstance(texture, A.Brick):
        return _brick(texture, points)
    if isinstance(texture, A.Gradient):
        return _gradient(texture, points)
    if isinstance(texture, A.ImageTexture):
        return _image(texture, points, np.asarray(normals, dtype=np.float64).reshape(-1, 3))
    if isinstance(texture, A.Noise) and texture.distortion == 0:
        return _noise(texture, points)
    return np.tile(np.asarray(mean_color(texture)), (len(points), 1))  # distorted noise
