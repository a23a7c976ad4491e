"""Segmentation of a rendered scene into background, ground (with shadows) and objects.

Conventions (shared by all `vision_*` modules): images are float (H, W, 3) sRGB in 0..1 (see
`scenelang.stages.metrics.load_image`); pixel positions are `(row, col)` floats in pixel-index
units (row 0 at the top, the centre of pixel (i, j) is at (i, j)); bounding boxes are
`(row0, col0, row1, col1)` with exclusive ends.

The scene model: a uniform world colour (the background, at the top when visible), a large ground
plane whose colour changes slowly and smoothly over the image (`vision.ground.fit_ground`: a
trimmed low-order polynomial plus a coarse block correction, which follows a nearby light's
bright patch and a curved backdrop's vignette), shadows that scale the ground colour
by a common factor, and objects: everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from scenelang.errors import SceneError
from scenelang.stages.metrics import ImageSource, load_image
from scenelang.stages.vision.edges import (
    crisp_edges,
    enclosed_parts,
    soft_parts,
)
from scenelang.stages.vision.ground import fit_ground, fit_ground_rows
from scenelang.stages.vision.horizon import Horizon, estimate_horizon

__all__ = ["Horizon", "Region", "Segmentation", "SegmentationParams", "estimate_horizon",
           "linear_to_srgb", "luminance", "segment_objects", "split_by_color", "srgb_to_linear"]

LUMA = np.array([0.2126, 0.7152, 0.0722])
"""Rec. 709 luminance weights (for linear RGB)."""

_EIGHT = np.ones((3, 3), bool)


def srgb_to_linear(image: np.ndarray) -> np.ndarray:
    """The sRGB transfer function inverted: sRGB-encoded 0..1 values to linear RGB."""
    x = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(image: np.ndarray) -> np.ndarray:
    """The sRGB transfer function: linear RGB (clipped to 0..1) to sRGB-encoded values."""
    x = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)


def luminance(linear_rgb: np.ndarray) -> np.ndarray:
    """Rec. 709 luminance of linear RGB values (last axis = channels)."""
    return np.asarray(linear_rgb, dtype=np.float64) @ LUMA


@dataclass(frozen=True, eq=False)
class Region:
    """One object's pixels and simple measurements.

    `bbox` is (row0, col0, row1, col1), ends exclusive; `area` in pixels; `centroid` and
    `contact` are (row, col), `contact` being the centre of the region's lowest row (where it
    stands on the ground); `mean_color` is the mean sRGB colour; `bright_point` / `dark_point`
    are the centroids of its brightest / darkest 10% of pixels (by linear luminance), with
    `bright_luminance` / `dark_luminance` those pixels' mean linear luminance.
    """

    index: int
    mask: np.ndarray
    bbox: tuple[int, int, int, int]
    area: int
    centroid: tuple[float, float]
    contact: tuple[float, float]
    mean_color: tuple[float, float, float]
    bright_point: tuple[float, float]
    dark_point: tuple[float, float]
    bright_luminance: float
    dark_luminance: float

    @property
    def height(self) -> int:
        return self.bbox[2] - self.bbox[0]

    @property
    def width(self) -> int:
        return self.bbox[3] - self.bbox[1]


@dataclass(frozen=True, eq=False)
class Segmentation:
    """The parts of one image. All masks are bool (H, W) and disjoint except `shadow`, which is
    a subset of `ground`.

    `labels` is int (H, W): 0 background, 1 ground, 2 + i for `objects[i]`. `ground_model` is the
    smooth ground colour (sRGB, H x W x 3) predicted everywhere, `background_color` the world
    colour (sRGB) or None when no background is visible, `shadow_ratio` the linear-RGB factor
    by which a full shadow scales the ground (None without shadows), `noise` the estimated
    per-channel noise of the ground (sRGB standard deviation).
    """

    image: np.ndarray
    background: np.ndarray
    ground: np.ndarray
    shadow: np.ndarray
    objects: tuple[Region, ...]
    labels: np.ndarray
    ground_model: np.ndarray
    background_color: tuple[float, float, float] | None
    shadow_ratio: tuple[float, float, float] | None
    noise: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.labels.shape


@dataclass(frozen=True)
class SegmentationParams:
    """Tuning of `segment_objects`. Distances are Euclidean in sRGB 0..1 units.

    - `background_tolerance`: max distance of a background pixel to the world colour.
    - `object_threshold`: min distance from the ground model for an object pixel (raised to
      `noise_factor` times the measured ground noise when that is larger).
    - `min_area_fraction` / `min_area_px`: smallest object, as a fraction of the image and px.
    - `shadow_max_ratio`: a shadow darkens the ground at least to this linear factor.
    - `split_chroma`: min chromaticity distance between two colour clusters for splitting a
      component into two occluding objects; `split_min_fraction`: min share of each cluster.
    - `patch_crispness`: object-candidate pieces (cut along crisp edges, `vision.edges`) whose
      outline is less crisp than this share are ground (a light's bright patch, a soft rim).
    - `solid_crispness`: shadow pieces whose outline is at least this share crisp and that
      touch no other object candidate are objects (grey things on a grey ground), not shadow.
    """

    background_tolerance: float = 0.03
    object_threshold: float = 0.08
    noise_factor: float = 6.0
    min_area_fraction: float = 0.0008
    min_area_px: int = 12
    shadow_max_ratio: float = 0.85
    split_chroma: float = 0.06
    split_min_fraction: float = 0.15
    patch_crispness: float = 0.3
    solid_crispness: float = 0.6


def segment_objects(image: ImageSource, params: SegmentationParams | None = None) -> Segmentation:
    """Split `image` into background, ground (shadows merged into it) and object regions.

    Steps: (1) the background is the region of near-uniform colour connected to the top edge,
    accepted only when a clearly different ground lies below it in most columns; (2) the ground
    colour is modelled by `vision.ground.fit_ground` (smooth in both image directions, fitted
    with trimming); (3) pixels farther than `object_threshold` from the model are object
    candidates, except shadows: the umbra is the darkest well-populated level of the linear
    ratio pixel / ground whose hue is the ground's (grey, or tinted towards a visible world
    colour), full shadow matches it, penumbra lies between it and 1 in a thin band next to full
    shadow and lit ground; (4) candidates are cleaned (opening, small holes filled) and split
    into 8-connected components of at least `min_area` px; (5) a component made of two clearly
    different chromaticities is split in two (one object in front of another). Objects are
    ordered by their contact row, nearest (lowest in the image) first.
    """
    p = params or SegmentationParams()
    img = load_image(image).astype(np.float64)
    h, w = img.shape[:2]
    if h < 8 or w < 8:
        raise SceneError(f"image of {w}x{h} px is too small to segment (needs 8x8)")
    background, bg_color = _find_background(img, p.background_tolerance)
    # with a sky and a straight horizon in view the ground is seen at a grazing angle and
    # changes row by row (the row model follows it best); otherwise smoothly in 2D
    fit = fit_ground_rows if _straight_horizon(background) else fit_ground
    model, noise, inliers = fit(img, ~background)
    threshold = max(p.object_threshold, p.noise_factor * noise)
    distance = np.linalg.norm(img - model, axis=2)
    candidate = (distance > threshold) & ~background
    ambient = None if bg_color is None else srgb_to_linear(bg_color)
    shadow, ratio = _find_shadows(img, model, candidate, p.shadow_max_ratio, ambient)
    min_area = max(p.min_area_px, int(round(p.min_area_fraction * h * w)))
    crisp = crisp_edges(img, noise)
    level = (srgb_to_linear(img) / np.maximum(srgb_to_linear(model), 1e-4)).mean(axis=2)
    umbra = None if ratio is None else float(np.mean(ratio))
    shadow = _solid_from_shadow(shadow, candidate, crisp, level, umbra, p, min_area)
    object_mask = _clean(candidate & ~shadow, min_area)
    # light patches (and soft shadow rims): pieces bounded by soft edges are ground
    patches = soft_parts(object_mask, crisp, max_crispness=p.patch_crispness, min_px=min_area,
                         neutral=shadow)
    object_mask = _clean(object_mask & ~_lit_like(patches, img, model), min_area)
    components = _components(object_mask, min_area)
    linear = srgb_to_linear(img)
    masks: list[np.ndarray] = []
    for comp in components:
        masks.extend(split_by_color(linear, comp, p, min_area))
    masks.sort(key=lambda m: (-np.nonzero(m)[0].max(), np.nonzero(m)[1].mean()))
    objects = tuple(_region(i, m, img, linear) for i, m in enumerate(masks))
    labels = np.ones((h, w), np.int32)
    labels[background] = 0
    for i, m in enumerate(masks):
        labels[m] = i + 2
    ground = labels == 1
    return Segmentation(
        image=img.astype(np.float32), background=background, ground=ground, shadow=shadow & ground,
        objects=objects, labels=labels, ground_model=model.astype(np.float32),
        background_color=None if bg_color is None else tuple(float(c) for c in bg_color),
        shadow_ratio=None if ratio is None else tuple(float(c) for c in ratio), noise=float(noise),
    )


# ------------------------------------------------------------------------------ background


def _straight_horizon(background: np.ndarray) -> bool:
    """True when the background spans at least 80% of the columns and ends on a nearly level
    row (standard deviation of its lowest rows at most 1.5 px)."""
    h, w = background.shape
    cols = np.nonzero(background.any(axis=0))[0]
    if len(cols) < 0.8 * w:
        return False
    lowest = h - 1 - np.argmax(background[::-1, cols], axis=0)
    return bool(np.std(lowest) <= 1.5)


def _find_background(img: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray | None]:
    h, w = img.shape[:2]
    none = np.zeros((h, w), bool)
    top = img[0]
    keys = np.minimum((top * 32).astype(np.int32), 31) @ np.array([1024, 32, 1])
    values, counts = np.unique(keys, return_counts=True)
    if counts.max() < 0.3 * w:
        return none, None
    color = np.median(top[keys == values[np.argmax(counts)]], axis=0)
    close = np.linalg.norm(img - color, axis=2) <= tolerance
    labels, _ = ndimage.label(close)
    top_labels = np.unique(labels[0][close[0]])
    region = np.isin(labels, top_labels[top_labels > 0])
    if not region.any():
        return none, None
    # The world colour must sit above a ground of another colour: in most columns the region
    # ends well above the bottom, and the most common colour a few rows below those ends is
    # clearly different (when the "background" is really the ground, what lies below its ends
    # is mostly more ground, of nearly the same colour).
    lowest = np.where(region.any(axis=0), h - 1 - np.argmax(region[::-1], axis=0), -1)
    ends = (lowest >= 0) & (lowest < h - 4)
    if ends.sum() < 0.5 * w:
        return none, None
    cols = np.nonzero(ends)[0]
    below = img[np.minimum(lowest[cols] + 3, h - 1), cols]
    below_keys = np.minimum((below * 16).astype(np.int32), 15) @ np.array([256, 16, 1])
    values, counts = np.unique(below_keys, return_counts=True)
    common = np.median(below[below_keys == values[np.argmax(counts)]], axis=0)
    share = np.mean(np.linalg.norm(below - common, axis=1) < 0.06)
    if share < 0.4 or np.linalg.norm(common - color) < 3 * tolerance:
        return none, None
    return region, color


# ------------------------------------------------------------------------------ shadows


def _find_shadows(
    img: np.ndarray,
    model: np.ndarray,
    candidate: np.ndarray,
    max_ratio: float,
    ambient: np.ndarray | None = None,
    chroma_tolerance: float = 0.05,
    tint_tolerance: float = 0.15,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Candidate pixels that are the ground darkened by one common factor (umbra) or partly
    (penumbra). Returns (mask, umbra ratio in linear RGB or None).

    Works on the ratio q = pixel / ground model in linear RGB (median filtered against render
    noise). Full shadow has q close to the umbra ratio, penumbra lies between the umbra and 1.
    The umbra's chromaticity must be grey, or tinted towards the `ambient` colour (the visible
    world colour, linear RGB) when it is known; then the umbra can also be no brighter than
    the world itself (the ground in full shadow is lit by the world alone).
    """
    none = np.zeros(candidate.shape, bool)
    lin = srgb_to_linear(img)
    model_lin = np.maximum(srgb_to_linear(model), 1e-4)
    ratio = ndimage.median_filter(lin, size=(3, 3, 1), mode="nearest") / model_lin
    level = ratio.mean(axis=2)
    grey = np.full(3, 1 / 3)
    # Chromaticity averaged over 5x5 pixels against noise, but only over darkened, nearly
    # grey-hued pixels, so that a coloured object does not tint the shadow next to it.
    raw = lin / model_lin
    raw_chroma = raw / np.maximum(raw.sum(axis=2, keepdims=True), 1e-6)
    weight = (candidate & (raw.max(axis=2) < max_ratio)
              & (np.linalg.norm(raw_chroma - grey, axis=2) < 0.25)).astype(float)
    total = ndimage.uniform_filter(weight, size=5, mode="nearest")
    chroma = np.stack(
        [ndimage.uniform_filter(raw_chroma[..., c] * weight, size=5, mode="nearest") for c in range(3)], axis=2
    ) / np.maximum(total, 1e-6)[..., None]
    chroma = np.where(((weight > 0) & (total > 0.1))[..., None], chroma, raw_chroma)
    tint = grey if ambient is None else np.asarray(ambient, float) / max(float(np.sum(ambient)), 1e-6)
    tint_distance = _segment_distance(chroma, grey, tint)
    dark = candidate & (ratio.max(axis=2) < max_ratio) & (level > 0.0) & (tint_distance < 0.15)
    if dark.sum() < 6:
        return none, None
    bins = np.minimum((level[dark] / 0.05).astype(np.int32), 19)
    counts = np.convolve(np.bincount(bins, minlength=20), [1, 1, 1], mode="same")
    # The umbra is the darkest well-populated level whose hue fits the ambient light: shaded
    # sides of objects also see light bounced off the ground, so they are lighter than the
    # ground in full shadow, and coloured objects have their own hue.
    umbra = None
    for mode in range(20):
        peak = counts[mode] >= max(6, 0.2 * counts.max())
        peak &= (mode == 0 or counts[mode] >= counts[mode - 1]) and (mode == 19 or counts[mode] >= counts[mode + 1])
        if not peak:
            continue
        members = dark.copy()
        members[dark] = np.abs(bins - mode) <= 1
        guess = np.median(ratio[members], axis=0)
        guess_chroma = np.median(chroma[members], axis=0)
        if ambient is not None:
            # Ground in full shadow is lit by the world alone and reflects at most all of it.
            absolute = float(np.median((ratio * model_lin)[members].mean(axis=1)))
            if absolute > 1.3 * float(np.mean(ambient)) + 0.01:
                continue
        if float(_segment_distance(guess_chroma, grey, tint)) <= tint_tolerance:
            umbra = guess
            break
    if umbra is None:
        return none, None
    umbra_level = float(umbra.mean())
    umbra_chroma = np.median(chroma[members], axis=0)
    # Render noise makes the chromaticity of dark pixels scatter: widen the tolerance to the
    # scatter seen among the umbra-level pixels (capped, so coloured objects stay out).
    scatter = np.linalg.norm(chroma[members] - umbra_chroma, axis=1)
    chroma_tolerance = float(np.clip(1.5 * np.percentile(scatter, 80), chroma_tolerance, 0.1))
    # Fraction of the way from lit ground (0) to full shadow (1).
    depth = (1.0 - level) / max(1.0 - umbra_level, 1e-3)
    # At and below the umbra level the chromaticity is least reliable (noise, and light bounced
    # off the object onto the ground right under it), so the tolerance widens there.
    tolerance = np.where(depth >= 0.95, 1.5 * chroma_tolerance, chroma_tolerance)
    full = (candidate & (depth >= 0.88) & (depth < 1.35)
            & (np.linalg.norm(chroma - umbra_chroma, axis=2) < tolerance))
    if full.sum() < 6:
        return none, None
    # Penumbra (partly darkened ground) only in a thin band between full shadow and lit ground,
    # so that the shaded side of a grey object next to its shadow is not taken for a shadow.
    band = max(2, int(round(0.015 * min(candidate.shape))))
    near_full = ndimage.binary_dilation(full, structure=_EIGHT, iterations=band)
    near_lit = ndimage.binary_dilation(~candidate, structure=_EIGHT, iterations=band)
    partial = candidate & (depth > 0.25) & (depth < 0.88) & near_full & near_lit
    partial &= _segment_distance(chroma, umbra_chroma, grey) < chroma_tolerance
    return full | partial, umbra


def _solid_from_shadow(shadow: np.ndarray, candidate: np.ndarray, crisp: np.ndarray,
                       level: np.ndarray, umbra: float | None, p: SegmentationParams,
                       min_area: int) -> np.ndarray:
    """`shadow` without the pieces that have an object's crisp outline (at least
    `p.solid_crispness` of it) and touch no other object candidate's lower half: a grey object
    on a grey ground looks like a shadow but for its outline, while a cast shadow touches the
    base of the object that casts it (whose lit part is a candidate) and is one even `level`
    (mean linear ratio to the ground): a crisp piece more than 15% lighter than another crisp
    piece of its shadow group is an object's face, kept as object even where it touches a
    candidate (the darkest piece stays shadow). Nothing within 15% of the `umbra` level (full
    shadow) is taken out, nor a piece less than half as tall as it is wide (a shadow on the
    ground seen at a grazing angle)."""
    if shadow.sum() < min_area:
        return shadow
    solid = enclosed_parts(shadow, crisp, min_crispness=p.solid_crispness, min_px=min_area)
    if not solid.any():
        return shadow
    others = _components(_clean(candidate & ~shadow, min_area), min_area)
    # a cast shadow starts at its caster's base: it touches the lower half of a candidate
    base = np.zeros(shadow.shape, bool)
    for comp in others:
        rows = np.nonzero(comp)[0]
        lower = np.arange(shadow.shape[0])[:, None] >= rows.mean()
        base |= comp & lower
    near_base = ndimage.binary_dilation(base, structure=_EIGHT, iterations=3)
    labels, count = ndimage.label(solid, structure=ndimage.generate_binary_structure(2, 1))
    groups, _ = ndimage.label(shadow, structure=_EIGHT)
    levels = ndimage.mean(level, labels, np.arange(1, count + 1)) if count else []
    for i in range(1, count + 1):
        piece = labels == i
        rows, cols = np.nonzero(piece)
        if np.ptp(rows) + 1 < 0.5 * (np.ptp(cols) + 1) or (
                umbra is not None and levels[i - 1] <= 1.15 * umbra):
            # flat like a shadow on the ground seen at a grazing angle, or as dark as full
            # shadow (a sun's shadows have crisp outlines too)
            solid &= ~piece
            continue
        if not (near_base & piece).any():
            continue
        # faces of one object differ in shading; a cast shadow is one even level
        group = np.unique(groups[piece])
        others = np.unique(labels[np.isin(groups, group) & (labels > 0) & ~piece])
        if not any(levels[i - 1] > 1.15 * max(levels[j - 1], 1e-3) for j in others):
            solid &= ~piece  # the darkest piece of a group is the cast shadow
    if not solid.any():
        return shadow
    # give back the outline pixels the cut took
    solid |= ndimage.binary_dilation(solid, structure=_EIGHT, iterations=2) & shadow & \
        ndimage.binary_dilation(crisp, structure=_EIGHT)
    return shadow & ~solid


def _lit_like(patches: np.ndarray, img: np.ndarray, model: np.ndarray,
              tolerance: float = 0.03, max_tint: float = 0.05) -> np.ndarray:
    """The pixels of each soft piece whose tint relative to the ground model (chromaticity of
    the linear ratio pixel / ground) is within `tolerance` of the piece's median tint: the
    light patch itself, not an object that leaks into the piece through a gap in its outline.
    Pieces whose median tint is more than `max_tint` from grey (the ground merely brighter or
    darker) are kept as objects."""
    out = np.zeros(patches.shape, bool)
    if not patches.any():
        return out
    ratio = srgb_to_linear(img) / np.maximum(srgb_to_linear(model), 1e-4)
    tint = ratio / np.maximum(ratio.sum(axis=2, keepdims=True), 1e-6)
    labels, count = ndimage.label(patches, structure=_EIGHT)
    for i in range(1, count + 1):
        piece = labels == i
        centre = np.median(tint[piece], axis=0)
        if np.linalg.norm(centre - 1.0 / 3.0) > max_tint:
            continue  # a coloured piece: more likely an object whose outline is weak
        out |= piece & (np.linalg.norm(tint - centre, axis=2) < tolerance)
    return out


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of each point (last axis = coordinates) to the segment from a to b."""
    ab = b - a
    t = np.clip(((points - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[..., None] * ab), axis=-1)


# ------------------------------------------------------------------------------ objects


def _clean(mask: np.ndarray, min_area: int) -> np.ndarray:
    cross = ndimage.generate_binary_structure(2, 1)
    mask = ndimage.binary_opening(mask, structure=cross)
    mask = ndimage.binary_closing(mask, structure=cross) | mask
    holes = ndimage.binary_fill_holes(mask) & ~mask
    labels, count = ndimage.label(holes)
    if count:
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        small = sizes <= max(4, min_area // 3)
        small[0] = False
        mask = mask | small[labels]
    return mask


def _components(mask: np.ndarray, min_area: int) -> list[np.ndarray]:
    labels, count = ndimage.label(mask, structure=_EIGHT)
    if not count:
        return []
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    return [labels == i for i in range(1, count + 1) if sizes[i] >= min_area]


def _chroma(linear: np.ndarray) -> np.ndarray:
    total = np.maximum(linear.sum(axis=-1, keepdims=True), 1e-4)
    return (linear / total)[..., :2]


def split_by_color(linear: np.ndarray, mask: np.ndarray, p: SegmentationParams, min_area: int,
                   depth: int = 0) -> list[np.ndarray]:
    """Split a component into two when its chromaticities form two distinct, sizable clusters."""
    area = int(mask.sum())
    if depth >= 3 or area < 2 * min_area:
        return [mask]
    chroma = _chroma(linear[mask])
    lum = luminance(linear[mask])
    lit = lum >= np.percentile(lum, 30)  # the chromaticity of dark pixels is mostly noise
    centers = _two_means(chroma[lit])
    if centers is None or np.linalg.norm(centers[0] - centers[1]) < p.split_chroma:
        return [mask]
    nearest = np.argmin(np.linalg.norm(chroma[:, None, :] - centers[None], axis=2), axis=1)
    part = np.zeros(mask.shape, bool)
    part[mask] = nearest == 0
    part = ndimage.median_filter(part.astype(np.uint8), size=3).astype(bool) & mask
    pieces = [part, mask & ~part]
    if min(int(x.sum()) for x in pieces) < max(min_area, p.split_min_fraction * area):
        return [mask]
    out: list[np.ndarray] = []
    for piece in pieces:
        comps = _components(piece, 1)
        comps.sort(key=lambda m: -int(m.sum()))
        main = comps[0]
        if main.sum() < min_area:
            return [mask]
        out.append(main)
    leftover = mask & ~out[0] & ~out[1]
    if leftover.any():
        # Assign stray pixels to the nearest of the two main parts.
        d0 = ndimage.distance_transform_edt(~out[0])
        d1 = ndimage.distance_transform_edt(~out[1])
        out[0] = out[0] | (leftover & (d0 <= d1))
        out[1] = out[1] | (leftover & (d1 < d0))
    result: list[np.ndarray] = []
    for piece in out:
        result.extend(split_by_color(linear, piece, p, min_area, depth + 1))
    return result


def _two_means(x: np.ndarray, iterations: int = 10) -> np.ndarray | None:
    """Deterministic 2-means: start by splitting at the median along the principal axis."""
    if len(x) < 4:
        return None
    centered = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centered, full_matrices=False)
    proj = centered @ vt[0]
    nearest = (proj > np.median(proj)).astype(np.int64)
    for _ in range(iterations):
        if nearest.min() == nearest.max():
            return None
        centers = np.stack([x[nearest == k].mean(axis=0) for k in (0, 1)])
        update = np.argmin(np.linalg.norm(x[:, None] - centers[None], axis=2), axis=1)
        if np.array_equal(update, nearest):
            break
        nearest = update
    if nearest.min() == nearest.max():
        return None
    return np.stack([x[nearest == k].mean(axis=0) for k in (0, 1)])


def _region(index: int, mask: np.ndarray, img: np.ndarray, linear: np.ndarray) -> Region:
    rows, cols = np.nonzero(mask)
    bottom = rows.max()
    lum = luminance(linear[mask])
    hi, lo = np.percentile(lum, 90), np.percentile(lum, 10)
    bright, dark = lum >= hi, lum <= lo
    return Region(
        index=index,
        mask=mask,
        bbox=(int(rows.min()), int(cols.min()), int(bottom) + 1, int(cols.max()) + 1),
        area=int(mask.sum()),
        centroid=(float(rows.mean()), float(cols.mean())),
        contact=(float(bottom), float(cols[rows == bottom].mean())),
        mean_color=tuple(float(c) for c in img[mask].mean(axis=0)),
        bright_point=(float(rows[bright].mean()), float(cols[bright].mean())),
        dark_point=(float(rows[dark].mean()), float(cols[dark].mean())),
        bright_luminance=float(lum[bright].mean()),
        dark_luminance=float(lum[dark].mean()),
    )
