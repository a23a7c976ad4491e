"""Split hypotheses (offline.split): a region two touching objects make is cut in two when two
fitted primitives explain it clearly better; a single object is not split.

Synthetic cases with known answers: silhouettes of known primitives drawn through a known
camera (the prior camera of the draft, at the engine's 256 x 192 loop size), and one image
drawn analytically and analysed end to end."""

from __future__ import annotations

import math

import numpy as np
import pytest
from split_scenes import CAMERA, SIZE, lateral

from scenelang.stages.proposers.offline.draft import analyse
from scenelang.stages.proposers.offline.fit import Guess, masked_iou, silhouette, visible_masks
from scenelang.stages.proposers.offline.split import check_split, split_regions


def _side_by_side(a: Guess, b: Guess, gap: float) -> tuple[Guess, Guess]:
    """`a` and `b` placed across the view, their footprints `gap` m apart (negative: overlap)."""
    lat = lateral()
    half = (a.footprint() + b.footprint() + gap) / 2
    pa, pb = -half * lat, half * lat
    return (Guess(a.kind, a.dims, float(pa[0]), float(pa[1]), a.yaw),
            Guess(b.kind, b.dims, float(pb[0]), float(pb[1]), b.yaw))


def _union(*guesses: Guess) -> np.ndarray:
    out = np.zeros((SIZE[1], SIZE[0]), bool)
    for g in guesses:
        out |= silhouette(g, CAMERA, SIZE)
    return out


def _grey() -> np.ndarray:
    return np.full((SIZE[1], SIZE[0], 3), 0.4, np.float32)


def _assert_parts_match(parts, guesses) -> None:
    vis = visible_masks(list(guesses), CAMERA, SIZE)
    for v in vis:  # each true object is one part's (IoU >= 0.8 with its visible pixels)
        assert max(masked_iou(p, v) for p in parts) >= 0.8


@pytest.mark.parametrize("first,second", [
    (Guess("sphere", (0.7,), 0, 0), Guess("sphere", (0.7,), 0, 0)),
    (Guess("cylinder", (0.7, 1.4), 0, 0), Guess("sphere", (0.35,), 0, 0)),
])
def test_two_touching_objects_of_one_colour_are_split(first, second):
    a, b = _side_by_side(first, second, gap=-0.05)
    mask = _union(a, b)
    found = check_split(mask, np.ones_like(mask), _grey(), CAMERA, SIZE)
    assert found is not None
    assert found.pair_iou >= found.single_iou + 0.05
    assert not (found.parts[0] & found.parts[1]).any()
    assert (found.parts[0] | found.parts[1]).sum() == mask.sum()
    _assert_parts_match(found.parts, (a, b))
    # the fitted objects stand where the true ones do (within a fifth of a metre)
    for g in (a, b):
        assert min(math.hypot(f.guess.x - g.x, f.guess.y - g.y) for f in found.fits) < 0.2


@pytest.mark.parametrize("single", [
    Guess("box", (1.0, 1.0, 1.0), 0.3, -0.2, yaw=25.0),
    Guess("cylinder", (0.6, 1.2), -0.5, 0.4),
    Guess("sphere", (0.8,), 0, 0),
])
def test_a_single_object_is_not_split(single):
    mask = silhouette(single, CAMERA, SIZE)
    assert check_split(mask, np.ones_like(mask), _grey(), CAMERA, SIZE) is None


def test_a_sphere_with_a_notch_is_not_split():
    """A metal sphere whose mirror image of the ground was cut out of its region (a notch from
    its top) is still one object: two fits explain the notched outline no better by the
    margin, or only poorly."""
    sphere = Guess("sphere", (0.8,), 0, 0)
    mask = silhouette(sphere, CAMERA, SIZE)
    rows, cols = np.nonzero(mask)
    mid, top, height = int(np.median(cols)), rows.min(), rows.max() - rows.min()
    half = (cols.max() - cols.min()) // 8
    mask[top:top + height // 3, mid - half:mid + half] = False
    assert check_split(mask, np.ones_like(mask), _grey(), CAMERA, SIZE) is None


def test_split_regions_replaces_only_the_merged_region_in_place():
    a, b = _side_by_side(Guess("sphere", (0.6,), 0, 0), Guess("sphere", (0.6,), 0, 0), -0.05)
    lat = lateral()
    far = Guess("cylinder", (0.5, 1.0), float(-3 * lat[0] + 2), float(-3 * lat[1] + 2))
    alone = silhouette(far, CAMERA, SIZE)
    merged = _union(a, b) & ~alone
    care = np.ones_like(merged)
    regions, splits = split_regions([alone, merged], care, _grey(), CAMERA, SIZE)
    assert len(regions) == 3 and len(splits) == 1
    assert np.array_equal(regions[0], alone)
    assert np.array_equal(regions[1] | regions[2], merged)


def _draw(guesses, colours) -> np.ndarray:
    """A flat-shaded image: a grey ground brightening towards the bottom, each object its colour
    darkened towards its bottom (a crude Lambert shading), painter's order."""
    h, w = SIZE[1], SIZE[0]
    rows = np.linspace(0.0, 1.0, h)[:, None, None]
    img = np.broadcast_to(0.45 + 0.1 * rows, (h, w, 3)).astype(np.float32).copy()
    for v, c in zip(visible_masks(list(guesses), CAMERA, SIZE), colours):
        rr = np.nonzero(v)[0]
        t = (np.arange(h)[:, None] - rr.min()) / max(rr.max() - rr.min(), 1)
        shade = np.clip(1.0 - 0.35 * t, 0.5, 1.0)[..., None]
        img = np.where(v[..., None], np.asarray(c, np.float32) * shade, img)
    return img


def test_analyse_splits_two_touching_spheres_of_one_colour_end_to_end():
    a, b = _side_by_side(Guess("sphere", (0.6,), 0, 0), Guess("sphere", (0.6,), 0, 0), -0.05)
    towards = np.asarray(CAMERA.at[:2], float) / np.linalg.norm(CAMERA.at[:2])
    where = -3.0 * lateral() + 1.0 * towards  # nearer the camera, to the left, apart
    single = Guess("box", (0.9, 0.9, 0.9), float(where[0]), float(where[1]), yaw=20.0)
    image = _draw([a, b, single], [(0.1, 0.55, 0.15)] * 2 + [(0.15, 0.25, 0.7)])
    analysis = analyse(image)
    assert len(analysis.regions) == 3
    _assert_parts_match(analysis.regions, (a, b))
