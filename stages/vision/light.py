"""Materials and light from a segmented image: base colours, highlights, the sun and the world.

Colours returned here are linear RGB (the image is sRGB-encoded and decoded with the sRGB
transfer function). Directions are unit vectors in the *camera frame* (Blender's camera axes):
x to the image right, y to the image top, z towards the viewer (the camera looks along -z). A
light `direction` is the direction the light travels (from the sun into the scene), as the
scene language's `sun(direction=...)`; the offline proposer turns it into world space with the
camera rotation.

The light model: a sun of strength S (W/m^2, Blender units) and colour c, a uniform world of
linear colour W, Lambertian surfaces. A horizontal ground of albedo g then shows
g * (S * c * sin(elevation) / pi + W) where lit and g * W in full shadow; a white surface facing
the sun shows S * c / pi + W (called `illumination` below).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from scenelang.errors import SceneError
from scenelang.stages.metrics import ImageSource, load_image
from scenelang.stages.vision.segment import (
    Region,
    Segmentation,
    luminance,
    srgb_to_linear,
)
from scenelang.stages.vision.shape import classify_silhouette

DEFAULT_PITCH_DEG = math.degrees(math.atan2(4.96, math.hypot(7.36, 6.93)))
"""Downward pitch of the default camera (7.36, -6.93, 4.96) looking at the origin (about 26.1 deg)."""

DEFAULT_GROUND_ALBEDO = 0.5
"""Ground albedo assumed when the image cannot tell (no visible world or no shadow)."""

DEFAULT_ELEVATION_DEG = 50.0
"""Sun elevation assumed when neither shading nor shadows give one."""


# ------------------------------------------------------------------------------ materials


def estimate_base_color(
    image: ImageSource,
    region: Region,
    illumination: float | tuple[float, float, float] | None = None,
    percentile: float = 90.0,
) -> tuple[float, float, float]:
    """An object's base colour (linear RGB, 0..1), corrected for shading.

    The hue is the median chromaticity (linear RGB / luminance) of the region's lit half; the
    brightness is the `percentile` of luminance over the region without its brightest 3%
    (specular highlights). Their product is the colour of the object's well-lit side, which
    is divided by `illumination` (what a white Lambertian surface facing the light shows, as
    `LightEstimate.illumination`; a scalar or linear RGB; None = 1). The region is eroded by
    one pixel first, when large enough, to drop edge pixels mixed with the background.
    """
    pixels = _region_pixels(image, region)
    lum = luminance(pixels)
    keep = lum <= np.percentile(lum, 97)
    pixels, lum = pixels[keep], lum[keep]
    lit = lum >= np.median(lum)
    chroma = np.median(pixels[lit] / np.maximum(lum[lit], 1e-6)[:, None], axis=0)
    apparent = chroma / max(float(chroma @ np.array([0.2126, 0.7152, 0.0722])), 1e-6) * np.percentile(lum, percentile)
    light = np.ones(3) if illumination is None else np.broadcast_to(np.asarray(illumination, float), (3,))
    if np.any(light <= 0):
        raise SceneError(f"illumination must be positive, got {illumination}")
    color = np.clip(apparent / light, 0.0, 1.0)
    return tuple(float(c) for c in color)


def estimate_specular(image: ImageSource, region: Region) -> tuple[float, float]:
    """Guess (roughness, metallic), both 0..1, from the region's highlight statistics.

    Measured on the region's interior (at least 2 px from its outline, so edges mixed with a
    brighter background do not count), on linear luminance averaged over 3x3 pixels (render
    noise): `peak` = its maximum, `base` = its 95th percentile. A *highlight* is a peak above
    1.25 x base with at least one clipped white pixel (sRGB >= 0.97 in all channels, as the sun
    reflected by a smooth surface), or any peak above 1.8 x base.

    - no highlight: roughness 0.8 (peak < 1.1 x base) or 0.6, metallic 0;
    - highlight: roughness = 0.05 + 2 x (share of interior pixels above halfway from base to
      peak), at most 0.4 (small and sharp = smooth); metallic = clip((0.45 - q) / 0.15, 0, 1)
      where q = 25th percentile / median luminance of the whole region (a metal shows dark
      reflections next to bright ones, a dielectric keeps a diffuse floor).
    """
    img = load_image(image)
    if region.mask.shape != img.shape[:2]:
        raise SceneError(f"region mask {region.mask.shape} does not match the image {img.shape[:2]}")
    lum = luminance(srgb_to_linear(img))
    interior = ndimage.distance_transform_edt(region.mask) >= 2
    if interior.sum() < 9:
        interior = region.mask
    smooth = ndimage.uniform_filter(lum, size=3)[interior]
    peak, base = float(smooth.max()), max(float(np.percentile(smooth, 95)), 1e-6)
    ratio = peak / base
    clipped = bool(np.any(np.all(img[interior] >= 0.97, axis=1)))
    if not ((ratio > 1.25 and clipped) or ratio > 1.8):
        return (0.8 if ratio < 1.1 else 0.6), 0.0
    share = float(np.mean(smooth > base + 0.5 * (peak - base)))
    roughness = float(np.clip(0.05 + 2.0 * share, 0.05, 0.4))
    whole = lum[region.mask]
    floor = float(np.percentile(whole, 25)) / max(float(np.median(whole)), 1e-6)
    metallic = float(np.clip((0.45 - floor) / 0.15, 0.0, 1.0))
    return roughness, metallic


def _region_pixels(image: ImageSource, region: Region) -> np.ndarray:
    img = load_image(image)
    if region.mask.shape != img.shape[:2]:
        raise SceneError(f"region mask {region.mask.shape} does not match the image {img.shape[:2]}")
    mask = region.mask
    inner = ndimage.binary_erosion(mask)
    if inner.sum() >= max(12, 0.4 * mask.sum()):
        mask = inner
    return srgb_to_linear(img[mask])


# ------------------------------------------------------------------------------ light


@dataclass(frozen=True)
class LightEstimate:
    """The sun and world guessed from one image (see the module docstring for the frames).

    `direction`: unit vector the sunlight travels along, camera frame. `confidence` 0..1 (0 =
    the default guess). `elevation_deg`: sun height above the ground plane. `sources`: which
    cues were used ("shading", "shadows"). `strength` (W/m^2) and `color` (linear RGB, max
    channel 1) describe the sun; `world_color` the world (linear RGB, strength 1);
    `ground_albedo` the ground's linear RGB albedo (measured or assumed); `illumination` what
    a white Lambertian surface facing the sun shows (linear RGB), for `estimate_base_color`.
    """

    direction: tuple[float, float, float]
    confidence: float
    elevation_deg: float
    sources: tuple[str, ...]
    strength: float
    color: tuple[float, float, float]
    world_color: tuple[float, float, float]
    ground_albedo: tuple[float, float, float]
    illumination: tuple[float, float, float]


def estimate_light(
    image: ImageSource,
    segmentation: Segmentation,
    *,
    pitch_deg: float | None = None,
    ground_albedo: float | None = None,
) -> LightEstimate:
    """Estimate the sun (direction, strength, colour) and the world colour.

    Direction: from the shading of sphere-like, non-metallic objects (the mean sphere normal of
    their brightest pixels, 90th to 98th percentile, points towards the light) and from
    the shadows (the offset from each object's ground contact to the centroid of its shadow
    gives the azimuth; the shadow's length against the object's height the elevation), with
    the ground plane tilted by `pitch_deg` (camera looking down; default `DEFAULT_PITCH_DEG`).
    Strength and colour: from the lit and the shadowed ground, with the ground albedo from
    `ground_albedo`, else measured as umbra / world colour when the world and a shadow are
    both visible, else `DEFAULT_GROUND_ALBEDO`.
    """
    img = load_image(image)
    if img.shape[:2] != segmentation.shape:
        raise SceneError(f"segmentation {segmentation.shape} does not match the image {img.shape[:2]}")
    pitch = math.radians(DEFAULT_PITCH_DEG if pitch_deg is None else pitch_deg)
    linear = srgb_to_linear(img)
    cues: list[tuple[np.ndarray, float, str]] = []
    shading = _shading_direction(img, linear, segmentation)
    if shading is not None:
        cues.append((shading[0], shading[1], "shading"))
    shadow = _shadow_direction(segmentation, pitch, None if shading is None else shading[0])
    if shadow is not None:
        cues.append((shadow[0], shadow[1], "shadows"))
    if cues:
        total = sum(w for _, w, _ in cues)
        direction = sum(v * w for v, w, _ in cues) / total
        direction /= max(np.linalg.norm(direction), 1e-9)
        confidence = float(min(1.0, total))
    else:
        direction = _from_angles(pitch, math.radians(DEFAULT_ELEVATION_DEG), np.array([0.5, -0.5]))
        confidence = 0.0
    up = np.array([0.0, math.cos(pitch), math.sin(pitch)])
    elevation = math.degrees(math.asin(float(np.clip(-direction @ up, -1, 1))))
    return LightEstimate(
        direction=tuple(float(c) for c in direction),
        confidence=confidence,
        elevation_deg=elevation,
        sources=tuple(name for _, _, name in cues),
        **_light_levels(linear, segmentation, max(elevation, 5.0), ground_albedo),
    )


def _light_levels(linear: np.ndarray, seg: Segmentation, elevation_deg: float,
                  ground_albedo: float | None) -> dict:
    lit = seg.ground & ~seg.shadow
    if not lit.any():
        grey = (0.5, 0.5, 0.5)
        return dict(strength=3.0, color=(1.0, 1.0, 1.0), world_color=(0.05, 0.05, 0.05),
                    ground_albedo=grey, illumination=(1.0, 1.0, 1.0))
    ground = np.percentile(linear[lit], 60, axis=0)
    world = None if seg.background_color is None else srgb_to_linear(np.asarray(seg.background_color))
    umbra = None if seg.shadow_ratio is None else ground * np.asarray(seg.shadow_ratio)
    if ground_albedo is not None:
        albedo = np.full(3, float(ground_albedo))
    elif world is not None and umbra is not None and np.all(world > 1e-3):
        albedo = np.clip(umbra / world, 0.02, 1.0)
    else:
        albedo = np.full(3, DEFAULT_GROUND_ALBEDO)
    if umbra is None:
        umbra = albedo * world if world is not None else 0.1 * ground
    sun_part = np.maximum(ground - umbra, 1e-4)  # g * S * c * sin(e) / pi
    sun_rgb = math.pi * sun_part / (albedo * math.sin(math.radians(elevation_deg)))
    strength = float(sun_rgb.max())
    world_rgb = world if world is not None else umbra / albedo
    return dict(
        strength=strength,
        color=tuple(float(c) for c in sun_rgb / strength),
        world_color=tuple(float(c) for c in world_rgb),
        ground_albedo=tuple(float(c) for c in albedo),
        illumination=tuple(float(c) for c in sun_rgb / math.pi + world_rgb),
    )


def _from_angles(pitch: float, elevation: float, image_dir: np.ndarray) -> np.ndarray:
    """Light travel direction in the camera frame from a shadow's image direction.

    `image_dir` = (right, up) of the shadow's direction in the image near its centre; the
    ground's horizontal axes in the camera frame are x and h = (0, sin p, -cos p) (away from
    the camera), and an image step `up` by 1 is a ground step of 1 / sin(p) along h.
    """
    h = np.array([0.0, math.sin(pitch), -math.cos(pitch)])
    up = np.array([0.0, math.cos(pitch), math.sin(pitch)])
    ground = image_dir[0] * np.array([1.0, 0.0, 0.0]) + image_dir[1] / max(math.sin(pitch), 0.05) * h
    ground /= max(np.linalg.norm(ground), 1e-9)
    return math.cos(elevation) * ground - math.sin(elevation) * up


def _shading_direction(image: np.ndarray, linear: np.ndarray, seg: Segmentation) -> tuple[np.ndarray, float] | None:
    """Brightest cap of sphere-like, non-metallic regions: its mean sphere normal points at the
    light (Lambertian shading peaks where the normal meets the light)."""
    estimates, weights = [], []
    for region in seg.objects:
        if region.area < 60:
            continue
        kind, conf = classify_silhouette(region.mask)[0]
        if kind != "sphere" or conf < 0.5 or estimate_specular(image, region)[1] >= 0.5:
            continue
        rows, cols = np.nonzero(region.mask)
        radius = math.sqrt(region.area / math.pi)
        rc, cc = region.centroid
        nx, ny = (cols - cc) / radius, -(rows - rc) / radius
        inside = nx**2 + ny**2 < 0.95
        lum = luminance(linear[rows, cols])
        cap = inside & (lum >= np.percentile(lum, 90)) & (lum <= np.percentile(lum, 98))
        if cap.sum() < 4:
            continue
        nz = np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))
        towards = np.array([nx[cap].mean(), ny[cap].mean(), nz[cap].mean()])
        towards /= max(np.linalg.norm(towards), 1e-9)
        estimates.append(-towards)
        # A cap at the rim means light from the side or behind: the peak is partly hidden and
        # the estimate leans towards the camera, so it counts less.
        weights.append(conf * min(1.0, region.area / 400.0) * float(np.clip((towards[2] - 0.3) / 0.5, 0.1, 1.0)))
    if not estimates:
        return None
    mean = np.average(np.stack(estimates), axis=0, weights=weights)
    return mean / max(np.linalg.norm(mean), 1e-9), 0.8 * min(1.0, sum(weights))


def _shadow_direction(seg: Segmentation, pitch: float, shading: np.ndarray | None) -> tuple[np.ndarray, float] | None:
    """Average image direction from objects' contacts to their shadows, lifted to 3D."""
    if not seg.shadow.any():
        return None
    labels, count = ndimage.label(seg.shadow, structure=np.ones((3, 3), bool))
    vectors, lengths, heights, weights = [], [], [], []
    for region in seg.objects:
        near = ndimage.binary_dilation(region.mask, iterations=2)
        touching = np.unique(labels[near & seg.shadow])
        touching = touching[touching > 0]
        if not touching.size:
            continue
        shadow = np.isin(labels, touching)
        rows, cols = np.nonzero(shadow)
        if rows.size < 6:
            continue
        contact = np.array(region.contact)
        points = np.stack([cols - contact[1], contact[0] - rows], axis=1)  # (right, up)
        offset = points.mean(axis=0)
        if np.linalg.norm(offset) < 1.0:
            continue
        # An elongated shadow points along its long axis (the contact row is only roughly the
        # start of the shadow); a blob along the offset from the contact.
        spread = np.cov((points - offset).T)
        values, axes = np.linalg.eigh(spread)
        unit = offset / np.linalg.norm(offset)
        if values[1] > 4.0 * max(values[0], 1e-6):
            axis = axes[:, 1]
            unit = axis if axis @ offset >= 0 else -axis
        reach = (cols - contact[1]) * unit[0] + (contact[0] - rows) * unit[1]
        vectors.append(unit)
        lengths.append(float(np.percentile(reach, 95)))
        heights.append(float(region.height))
        weights.append(float(rows.size))
    if not vectors:
        return None
    unit = np.average(np.stack(vectors), axis=0, weights=weights)
    unit /= max(np.linalg.norm(unit), 1e-9)
    if shading is not None:
        up = np.array([0.0, math.cos(pitch), math.sin(pitch)])
        elevation = math.asin(float(np.clip(-shading @ up, 0.05, 1.0)))
    else:
        # Object height over shadow length, both as ground-plane lengths: an image step along
        # (right, up) = unit covers |(right, up / sin p)| on the ground, a vertical one 1 / cos p.
        stretch = math.hypot(unit[0], unit[1] / max(math.sin(pitch), 0.05))
        height = np.average(heights, weights=weights) / max(math.cos(pitch), 0.1)
        length = max(np.average(lengths, weights=weights), 1.0) * stretch
        elevation = math.atan2(height, length)
    confidence = 0.6 * min(1.0, sum(weights) / 100.0)
    return _from_angles(pitch, elevation, unit), confidence
