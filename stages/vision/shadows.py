"""Shadows on the ground and what is not one: the umbra level and shadow mask
(`find_shadows`), grey or dark objects taken out of it (`solid_from_shadow`), pieces of cast
shadow split off an object by colour (`drop_attached_shadows`), and light patches that are lit
ground (`lit_like`). Used by `vision.segment.segment_objects`; the parameters come from its
`SegmentationParams`. Images are float sRGB in 0..1 (the ground `model` too), masks bool (H, W),
levels linear ratios pixel / ground model."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from scenelang.stages.vision.edges import enclosed_parts
from scenelang.stages.vision.masks import EIGHT, clean_mask, components, srgb_to_linear


def find_shadows(
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
    noise). Full shadow has q close to the umbra ratio; partial shadow (a penumbra, or the
    shadow of one of several lights, which the others still light) lies between the umbra and 1
    with the umbra's hue, anywhere (grey objects it takes are given back by
    `solid_from_shadow`).
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
    tint_distance = segment_distance(chroma, grey, tint)
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
        if float(segment_distance(guess_chroma, grey, tint)) <= tint_tolerance:
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
    # Partly darkened ground: a penumbra, or the shadow of one of several lights (a sun's
    # shadow still lit by a fill light is far lighter than the umbra under the object, where
    # every light is blocked). Grey objects that match it are taken back by `solid_from_shadow`.
    partial = (candidate & (depth > 0.25) & (depth < 0.88)
               & (segment_distance(chroma, umbra_chroma, grey) < chroma_tolerance))
    # specks of a few partly dark pixels on their own are noise or an object's outline
    labels, count = ndimage.label(partial & ~full, structure=EIGHT)
    if count:
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        touching = np.unique(labels[ndimage.binary_dilation(full, structure=EIGHT)])
        speck = sizes < 6
        speck[0] = False
        speck[touching] = False
        partial &= ~speck[labels]
    return full | partial, umbra


def solid_from_shadow(shadow: np.ndarray, candidate: np.ndarray, crisp: np.ndarray,
                       level: np.ndarray, umbra: float | None, p: Any,
                       min_area: int) -> np.ndarray:
    """`shadow` without the pieces that have an object's crisp outline (at least
    `p.solid_crispness` of it) and touch no other object candidate's lower half: a grey object
    on a grey ground looks like a shadow but for its outline, while a cast shadow touches the
    base of the object that casts it (whose lit part is a candidate) and is one even `level`
    (mean linear ratio to the ground): a crisp piece more than 15% lighter than another crisp
    piece of its shadow group is an object's face, kept as object even where it touches a
    candidate (the darkest piece stays shadow). Nothing within 15% of the `umbra` level (full
    shadow) is taken out, nor a piece less than half as tall as it is wide (a shadow on the
    ground seen at a grazing angle). A piece at least as tall as it is wide, of at least three
    times `min_area` and unevenly shaded (level standard deviation at least
    `p.upright_spread`) is an object standing on the ground whatever it touches: cast shadows
    lie flat, foreshortened, and evenly dark. A piece at a caster's base that is wider than tall
    and evenly dark (spread below `p.shaded_spread`) is shadow even when lighter than the rest of
    its group (the shadow of one light that another still lights, next to the umbra)."""
    if shadow.sum() < min_area:
        return shadow
    solid = enclosed_parts(shadow, crisp, min_crispness=p.solid_crispness, min_px=min_area)
    if not solid.any():
        return shadow
    others = components(clean_mask(candidate & ~shadow, min_area), min_area)
    # a cast shadow starts at its caster's base: it touches the lower half of a candidate
    bases = []
    for comp in others:
        rows = np.nonzero(comp)[0]
        lower = np.arange(shadow.shape[0])[:, None] >= rows.mean()
        bases.append((comp, ndimage.binary_dilation(comp & lower, structure=EIGHT, iterations=3)))
    labels, count = ndimage.label(solid, structure=ndimage.generate_binary_structure(2, 1))
    groups, _ = ndimage.label(shadow, structure=EIGHT)
    levels = ndimage.mean(level, labels, np.arange(1, count + 1)) if count else []
    spreads = ndimage.standard_deviation(level, labels, np.arange(1, count + 1)) if count else []
    for i in range(1, count + 1):
        piece = labels == i
        rows, cols = np.nonzero(piece)
        at_base = any(_casts(comp, near, piece) for comp, near in bases)
        if np.ptp(rows) + 1 < 0.5 * (np.ptp(cols) + 1):
            solid &= ~piece  # flat like a shadow on the ground seen at a grazing angle
            continue
        if (np.ptp(rows) >= np.ptp(cols) and spreads[i - 1] >= p.upright_spread
                and piece.sum() >= 3 * min_area):
            continue  # upright and unevenly shaded: an object standing on the ground
        if umbra is not None and levels[i - 1] <= 1.15 * umbra and (
                at_base or spreads[i - 1] < p.shaded_spread):
            # as dark as full shadow and either at a caster's base or evenly dark (a sun's
            # shadows have crisp outlines too); a shaded, free-standing piece that dark is a
            # grey or dark object that made the umbra level itself
            solid &= ~piece
            continue
        if not at_base:
            continue
        if np.ptp(rows) < np.ptp(cols) and spreads[i - 1] < p.shaded_spread:
            solid &= ~piece  # flat and even at a caster's base: the shadow of one of several lights
            continue
        # faces of one object differ in shading; a cast shadow is one even level
        group = np.unique(groups[piece])
        others = np.unique(labels[np.isin(groups, group) & (labels > 0) & ~piece])
        if not any(levels[i - 1] > 1.15 * max(levels[j - 1], 1e-3) for j in others):
            solid &= ~piece  # the darkest piece of a group is the cast shadow
    if not solid.any():
        return shadow
    # give back the outline pixels the cut took
    solid |= ndimage.binary_dilation(solid, structure=EIGHT, iterations=2) & shadow & \
        ndimage.binary_dilation(crisp, structure=EIGHT)
    return shadow & ~solid


def drop_attached_shadows(masks: list[np.ndarray], crisp: np.ndarray, level: np.ndarray,
                           p: Any) -> list[np.ndarray]:
    """`masks` without the pieces of cast shadow that an object's colour split off (tinted by
    light bounced off the object, they escape the grey umbra test): a region that touches a
    region at least twice its size (`p.attached_share` of its outline or more), is darker than
    the ground (mean `level` below `p.attached_level`) and whose outline against the ground is
    mostly soft (less than `p.attached_crispness` of it near a crisp edge)."""
    if len(masks) < 2:
        return masks
    near_crisp = ndimage.binary_dilation(crisp, structure=EIGHT)
    every = np.any(masks, axis=0)
    sizes = [int(m.sum()) for m in masks]
    keep = []
    for i, m in enumerate(masks):
        ring = ndimage.binary_dilation(m, structure=EIGHT, iterations=2) & ~m
        ground = ring & ~every
        touches_bigger = any(j != i and sizes[j] >= 2 * sizes[i]
                             and (ring & o).sum() >= p.attached_share * ring.sum()
                             for j, o in enumerate(masks))
        shadow_like = (touches_bigger and float(level[m].mean()) < p.attached_level and ground.any()
                       and (ground & near_crisp).sum() < p.attached_crispness * ground.sum())
        keep.append(not shadow_like)
    return [m for m, k in zip(masks, keep) if k]


def _casts(caster: np.ndarray, near_base: np.ndarray, piece: np.ndarray) -> bool:
    """True when the candidate `caster` (its lower half dilated: `near_base`) can have cast the
    dark `piece`: they touch there, the caster is at least a fifth of the piece's size, and
    less than half of it lies within the piece's bounding box (a highlight or lit face inside
    a dark object is part of that object, not its caster)."""
    if not (near_base & piece).any() or caster.sum() < 0.2 * piece.sum():
        return False
    rows, cols = np.nonzero(piece)
    inside = caster[max(rows.min() - 2, 0):rows.max() + 3, max(cols.min() - 2, 0):cols.max() + 3]
    return bool(inside.sum() < 0.5 * caster.sum())


def lit_like(patches: np.ndarray, img: np.ndarray, model: np.ndarray,
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
    labels, count = ndimage.label(patches, structure=EIGHT)
    for i in range(1, count + 1):
        piece = labels == i
        centre = np.median(tint[piece], axis=0)
        if np.linalg.norm(centre - 1.0 / 3.0) > max_tint:
            continue  # a coloured piece: more likely an object whose outline is weak
        out |= piece & (np.linalg.norm(tint - centre, axis=2) < tolerance)
    return out


def segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of each point (last axis = coordinates) to the segment from a to b."""
    ab = b - a
    t = np.clip(((points - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[..., None] * ab), axis=-1)
