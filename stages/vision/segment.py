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
from scenelang.stages.vision.edges import crisp_edges, soft_parts
from scenelang.stages.vision.ground import fit_ground, fit_ground_rows
from scenelang.stages.vision.horizon import Horizon, estimate_horizon
from scenelang.stages.vision.masks import (
    EIGHT,
    clean_mask,
    components,
    linear_to_srgb,
    luminance,
    srgb_to_linear,
)
from scenelang.stages.vision.shadows import (
    drop_attached_shadows,
    find_shadows,
    lit_like,
    solid_from_shadow,
)

__all__ = ["Horizon", "Region", "Segmentation", "SegmentationParams", "estimate_horizon",
           "linear_to_srgb", "luminance", "segment_objects", "split_by_color", "srgb_to_linear"]

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
      component into two occluding objects; `split_min_fraction`: min share of each cluster;
      `split_crispness`: min share of the boundary between the two on a crisp edge, unless
      their chromaticities are at least `split_sure_chroma` apart (two differently coloured
      objects whose boundary is too dark for crisp edges).
    - `attached_share`, `attached_level`, `attached_crispness`: a region touching a region at
      least twice its size along this share of its outline, darker than the ground by this
      linear factor and with less than this share of its outline on the ground crisp is a
      piece of cast shadow (`shadows.drop_attached_shadows`), not an object.
    - `patch_crispness`: object-candidate pieces (cut along crisp edges, `vision.edges`) whose
      outline is less crisp than this share are ground (a light's bright patch, a soft rim).
    - `solid_crispness`: shadow pieces whose outline is at least this share crisp and that
      touch no other object candidate are objects (grey things on a grey ground), not shadow.
    - `shaded_spread`: such a piece as dark as full shadow is still an object when the standard
      deviation of its level (linear ratio to the ground) is at least this: cast shadows are one
      even level, an object's faces are shaded unevenly.
    - `upright_spread`: a shadow piece with a crisp outline, at least as tall as it is wide, of
      at least three times the smallest object's area and whose level varies by at least this
      (standard deviation) is an object standing on the ground (a grey one, even at another
      object's base): cast shadows lie flat on the ground, foreshortened, and evenly dark.
    """

    background_tolerance: float = 0.03
    object_threshold: float = 0.08
    noise_factor: float = 6.0
    min_area_fraction: float = 0.0008
    min_area_px: int = 12
    shadow_max_ratio: float = 0.85
    split_chroma: float = 0.06
    split_min_fraction: float = 0.15
    split_crispness: float = 0.3
    attached_share: float = 0.1
    attached_level: float = 0.85
    attached_crispness: float = 0.6
    split_sure_chroma: float = 0.28
    patch_crispness: float = 0.3
    solid_crispness: float = 0.6
    shaded_spread: float = 0.04
    upright_spread: float = 0.03


def segment_objects(image: ImageSource, params: SegmentationParams | None = None) -> Segmentation:
    """Split `image` into background, ground (shadows merged into it) and object regions.

    Steps: (1) the background is the region of near-uniform colour connected to the top edge,
    accepted only when a clearly different ground lies below it in most columns; (2) the ground
    colour is modelled by `vision.ground.fit_ground` (smooth in both image directions, fitted
    with trimming); (3) pixels farther than `object_threshold` from the model are object
    candidates, except shadows: the umbra is the darkest well-populated level of the linear
    ratio pixel / ground whose hue is the ground's (grey, or tinted towards a visible world
    colour), full shadow matches it, partial shadow (penumbra, or the shadow of one of several
    lights) lies between it and 1 with the umbra's hue; crisp-outlined pieces that are objects
    are taken back (`shadows.solid_from_shadow`); (4) candidates are cleaned (opening, small
    holes filled) and split into 8-connected components of at least `min_area` px; (5) a
    component made of two clearly different chromaticities is split in two (one object in
    front of another), unless they are one colour lit twice, the brighter with a clipped
    channel (`_shade_of`). Objects are ordered by their contact row, nearest (lowest in the
    image) first.
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
    shadow, ratio = find_shadows(img, model, candidate, p.shadow_max_ratio, ambient)
    min_area = max(p.min_area_px, int(round(p.min_area_fraction * h * w)))
    crisp = crisp_edges(img, noise)
    level = (srgb_to_linear(img) / np.maximum(srgb_to_linear(model), 1e-4)).mean(axis=2)
    umbra = None if ratio is None else float(np.mean(ratio))
    shadow = solid_from_shadow(shadow, candidate, crisp, level, umbra, p, min_area)
    object_mask = clean_mask(candidate & ~shadow, min_area)
    # light patches (and soft shadow rims): pieces bounded by soft edges are ground
    patches = soft_parts(object_mask, crisp, max_crispness=p.patch_crispness, min_px=min_area,
                         neutral=shadow)
    object_mask = clean_mask(object_mask & ~lit_like(patches, img, model), min_area)
    pieces = components(object_mask, min_area)
    linear = srgb_to_linear(img)
    masks: list[np.ndarray] = []
    for comp in pieces:
        masks.extend(split_by_color(linear, comp, p, min_area, crisp=crisp))
    masks = drop_attached_shadows(masks, crisp, level, p)
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


# ------------------------------------------------------------------------------ objects


def _chroma(linear: np.ndarray) -> np.ndarray:
    total = np.maximum(linear.sum(axis=-1, keepdims=True), 1e-4)
    return (linear / total)[..., :2]


def split_by_color(linear: np.ndarray, mask: np.ndarray, p: SegmentationParams, min_area: int,
                   depth: int = 0, crisp: np.ndarray | None = None) -> list[np.ndarray]:
    """Split a component into two when its chromaticities form two distinct, sizable clusters.

    With `crisp` (the image's crisp edges, `vision.edges.crisp_edges`) a split must also look
    like one object in front of another: at least `p.split_crispness` of the boundary between
    the two parts lies on a crisp edge (shading, a highlight or a tinted shadow side changes
    the colour gradually), and each part borders the outside of the component (a reflection
    or highlight enclosed by the rest is part of the same surface)."""
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
        comps = components(piece, 1)
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
    if _shade_of(linear, out[0], out[1]):
        return [mask]  # two faces of one object, one lit so brightly that a channel clips
    crispness = 0.0 if np.linalg.norm(centers[0] - centers[1]) >= p.split_sure_chroma \
        else p.split_crispness
    if crisp is not None and not _occlusion_split(mask, out[0], out[1], crisp, crispness):
        return [mask]
    result: list[np.ndarray] = []
    for piece in out:
        result.extend(split_by_color(linear, piece, p, min_area, depth + 1, crisp))
    return result


def _shade_of(linear: np.ndarray, a: np.ndarray, b: np.ndarray, clip: float = 0.85,
              tolerance: float = 0.15) -> bool:
    """True when the median linear colours of `a` and `b` are one colour lit twice: the brighter
    is the darker scaled by one factor in its unclipped channels (those below `clip`; the
    factors within `tolerance` of each other) and at least `clip` in the others, at least one
    of which is clipped. A face lit so brightly that a channel saturates shifts towards white
    and looks like another colour; a second object's colour is not such a scaling."""
    ca, cb = np.median(linear[a], axis=0), np.median(linear[b], axis=0)
    bright, dark = (ca, cb) if luminance(ca) >= luminance(cb) else (cb, ca)
    clipped = bright >= clip
    if not clipped.any() or clipped.all() or (dark[~clipped] <= 1e-3).any():
        return False
    factors = bright[~clipped] / dark[~clipped]
    k = float(np.mean(factors))
    return bool(k > 1.0 and np.ptp(factors) <= tolerance * k and (k * dark[clipped] >= 0.9 * clip).all())


def _occlusion_split(mask: np.ndarray, a: np.ndarray, b: np.ndarray, crisp: np.ndarray,
                     min_crispness: float) -> bool:
    """True when parts `a` and `b` of `mask` meet along a crisp edge (at least `min_crispness`
    of their shared boundary within one pixel of `crisp`) and each has at least a fifth of its
    outline on the outside of `mask`."""
    near_crisp = ndimage.binary_dilation(crisp, structure=EIGHT)
    shared = a & ndimage.binary_dilation(b, structure=EIGHT)
    if not shared.any() or (shared & near_crisp).sum() < min_crispness * shared.sum() - 1e-9:
        return False
    for part in (a, b):
        ring = ndimage.binary_dilation(part, structure=EIGHT) & ~part
        if (ring & ~mask).sum() < 0.2 * ring.sum():
            return False
    return True


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
