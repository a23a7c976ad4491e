"""Split hypotheses: one object region that two touching or overlapping objects make.

The segmentation joins objects whose outlines touch when no colour edge separates them (two
spheres of one colour, a metal cylinder reflecting its neighbour). Such a region is explained
badly by any single primitive. `split_regions` checks, for each region whose best single fit
explains its silhouette worse than `MAX_SINGLE_IOU`, a few ways of cutting it in two:

- `residual_parts`: what the best single primitive leaves unexplained (its largest lobe);
- `watershed_parts`: the two strongest peaks of the distance transform (two round lobes joined
  by a neck), grown by a watershed;
- `colour_parts`: two chromaticity clusters (two objects of different hue that the
  segmentation's own colour split left joined).

Each cut is render-and-compared: one primitive is fitted to each part (`fit.fit_single`, the
other part "don't care", so an occluded object is not shrunk to its visible part), and the
silhouette IoU of the union of the two fitted silhouettes with the region is compared with the
single fit's. The best cut is kept only when the extra object pays for itself: the pair gains
at least `SPLIT_MARGIN` IoU and explains at least `MIN_GAIN_SHARE` of the image's pixels better
(so a single object is never split for free), reaches `MIN_PAIR_IOU`, and both parts are
plausible objects (at least `MIN_PART_SHARE` of the region, fitted height at least
`MIN_PART_HEIGHT`, part IoU at least `MIN_PART_IOU`) that do not pass through each other
(`MIN_APART`) and are not one exactly behind the other (`MIN_OFFSET`, the generic viewpoint).
The region is then divided between the two fits' visible silhouettes (painter's order; pixels
neither covers go to the nearer part seed).

Two kinds of evidence around the region are weighed too (`split_regions`):

- an object's shaded side is often taken for shadow, leaving its region an L (a box's top and
  lit side) that two boxes explain better than one box scored against the dark side. A region
  that one primitive explains as well as `MAX_SINGLE_IOU` once the shadow pieces touching it
  are "don't care" (`touching_shadow`) is one object and is not tried;
- a part may be a sliver of a neighbouring region's object (its rim, a shaded edge or a
  reflection, joined to the region by colour): when one primitive explains the part and that
  neighbour together (as well as the neighbour alone, within `JOIN_SLACK`, covering the part)
  the part joins the neighbour instead of becoming an object (`join_target`); a part whose fit
  passes through a neighbour's that it cannot join voids the split (two solids cannot).

On the 30 CLEVR scenes of the bench the splits are 8 true ones (two objects' pieces in one
region; scene 25's far cylinder shows too little of itself), one of which cuts a piece of a
neighbour's sphere off a metal sphere: that piece joins the sphere (scene 0). The rejected cuts
were a metal sphere's notched outline (pair IoU 0.86), dark lobes under a sphere (fits passing
through each other, gains of 27 and 76 px) and shadow regions (gain 31 px). On the own tiers
the sliver of a sphere that its neighbouring box's region held (tier 2 scene 7) now joins the
sphere, and the region of tier 2 scene 5 that was cut in two (the top rim of a cylinder behind
another and a light gap beside it, a wrong region either way) is explained by one primitive
once its touching shadow is not counted, so it is not tried. Neither the parts' thickness nor
their overlap with the other regions separated the slivers from the true splits (measured);
whether one primitive explains the sliver with its neighbour does (union IoU within 0.01 of
the neighbour's own for the two slivers, at least 0.03 worse for every other touching pair).

The fits of whole regions use the draft's own budget (`SCREEN_EVALS`) and, given the draft's
`offline.memo.FitMemo`, are the draft's fits (`draft.fit_regions` finds them remembered).

Deterministic, with a fixed budget: at most `MAX_CANDIDATES` regions (the worst explained
first), the fits with fixed evaluation counts. Units: pixels, IoU in [0, 1], metres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage
from skimage.feature import peak_local_max
from skimage.segmentation import watershed

from scenelang import ast as A
from scenelang.stages.proposers.offline.fit import (
    Guess,
    camera_distance,
    fit_single,
    masked_iou,
    silhouette,
)
from scenelang.stages.proposers.offline.memo import FitMemo

SPLIT_KINDS = ("box", "sphere", "cylinder", "cone")
"""Kinds fitted to a region and to each part (the torus is left to the draft's own fits)."""
MAX_SINGLE_IOU = 0.92
"""Only regions whose best single fit explains their silhouette worse than this IoU are tried."""
SPLIT_MARGIN = 0.05
"""IoU a split must gain over the single fit (the extra object's price, relative part)."""
MIN_GAIN_SHARE = 0.001
"""... and pixels it must explain better, as a share of the image (the price's absolute part:
about 49 px at the engine's 256 x 192 loop size; a small lobe of shadow or a highlight's notch
is not worth an object)."""
MIN_PAIR_IOU = 0.9
"""The two fits together must explain the region at least this well (IoU): two objects that
explain it poorly are no better evidence than one."""
MIN_PART_SHARE = 0.08
"""Each part must own at least this share of the region's pixels."""
MIN_PART_PX = 40
"""... and at least this many pixels."""
MIN_PART_HEIGHT = 0.08
"""A part fitted flatter than this (m) is a shadow or ground fragment, not an object."""
MIN_PART_IOU = 0.6
"""Each part's fit must explain its own part at least this well (IoU)."""
MIN_APART = 0.6
"""Solid objects do not pass through each other: the two fits' ground centres must be at least
this share of the sum of their footprint radii apart (a box's footprint radius is its half
diagonal, so two cubes face to face are 0.71 apart; a dark lobe under an object fitted as a
flat disc under it is not)."""
MIN_OFFSET = 0.15
"""Generic viewpoint: two objects seen one exactly behind the other, the far one showing only
where the near one's outline ends, are an accident of the view; a region cut that way (a
cylinder's lit top against its side) is more likely one object. The centre columns of the two
fits' silhouettes must be at least this share of the narrower one's half width apart."""
MAX_CANDIDATES = 6
"""At most this many regions are tried per image (the worst explained first)."""
FIT_EVALS = 80
"""Objective evaluations per primitive fit (three yaw starts of that many for a box)."""
SCREEN_EVALS = 120
"""Evaluations per fit of a whole region (the screen of every region, and a candidate's closer
look): the draft's own budget (`draft.fit_regions`), so that the draft reuses these fits."""
MIN_REGION_PX = 150
"""Regions smaller than this are not tried (two objects need room)."""
JOIN_REACH = 2
"""A part of a split joins a neighbouring region only if they come this close (px)."""
JOIN_COVER = 0.8
"""... the one primitive covers at least this share of the part's pixels ..."""
JOIN_SLACK = 0.02
"""... and one primitive explains the two together at most this much worse (IoU) than the
neighbour alone."""


@dataclass(frozen=True)
class Fit:
    """A primitive fitted to a mask: the guess, its IoU with the mask, its silhouette."""

    guess: Guess
    iou: float
    mask: np.ndarray


@dataclass(frozen=True)
class Split:
    """An accepted split: the two parts (bool masks dividing the region), their fits, the
    single fit's IoU and the pair's."""

    parts: tuple[np.ndarray, np.ndarray]
    fits: tuple[Fit, Fit]
    single_iou: float
    pair_iou: float
    proposal: str
    gain_px: int
    """Pixels of the region (over care) the pair explains that the single fit does not
    (mismatched pixels of the single fit minus those of the pair)."""
    apart: float
    """Distance between the fits' ground centres over the sum of their footprint radii."""
    offset: float
    """Distance between the fits' silhouettes' centre columns over the narrower one's half
    width."""
    joined: tuple[int | None, int | None] = (None, None)
    """Per part, the index of the neighbouring region it joined (`split_regions`), or None."""


def best_fit(mask: np.ndarray, care: np.ndarray, camera: A.Camera, size: tuple[int, int],
             max_evals: int = FIT_EVALS, memo: FitMemo | None = None) -> Fit | None:
    """The best of `SPLIT_KINDS` fitted to `mask` (IoU over `care`, minus 0.01 per size
    parameter, as the draft's `kind_value` without the classifier's term); the fits are
    remembered in `memo` when given (`offline.memo`)."""
    fit = memo.fit if memo is not None else fit_single
    best: tuple[float, Fit] | None = None
    for kind in SPLIT_KINDS:
        fitted = fit(kind, mask, care, camera, size, max_evals=max_evals)
        if fitted is None:
            continue
        g, iou = fitted
        value = iou - 0.01 * len(g.dims)
        if best is None or value > best[0]:
            best = (value, Fit(g, iou, silhouette(g, camera, size)))
    return best[1] if best is not None else None


# ------------------------------------------------------------------------------ proposals


def _components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    return ndimage.label(mask, structure=np.ones((3, 3), bool))


def _largest(mask: np.ndarray) -> np.ndarray:
    labels, count = _components(mask)
    if not count:
        return mask
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def complete(mask: np.ndarray, seed_a: np.ndarray, seed_b: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """`mask` divided into two parts grown from `seed_a` and `seed_b` (each pixel of `mask` goes
    to the nearer seed; ties to `seed_a`), each part its largest connected component with the
    rest handed to the other part."""
    dist_a = ndimage.distance_transform_edt(~seed_a) if seed_a.any() else np.full(mask.shape, np.inf)
    dist_b = ndimage.distance_transform_edt(~seed_b) if seed_b.any() else np.full(mask.shape, np.inf)
    a = mask & (dist_a <= dist_b)
    a = _largest(a)
    b = _largest(mask & ~a)
    a = mask & ~b
    return a, b


def residual_parts(mask: np.ndarray, single: Fit) -> tuple[np.ndarray, np.ndarray] | None:
    """The largest lobe of `mask` the single fit leaves uncovered (opened by a 3 x 3 square)
    against the rest."""
    rest = ndimage.binary_opening(mask & ~single.mask, structure=np.ones((3, 3), bool))
    if not rest.any():
        return None
    lobe = _largest(rest)
    return complete(mask, mask & ~lobe, lobe)


def watershed_parts(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Two lobes from the two strongest peaks of the distance transform (at least 4 px apart,
    the weaker at least 3 px deep), grown by a watershed of the negated distance."""
    dist = ndimage.distance_transform_edt(mask)
    peaks = peak_local_max(dist, min_distance=4, num_peaks=2, labels=mask.astype(int),
                           exclude_border=False)
    if len(peaks) < 2 or dist[tuple(peaks[1])] < 3.0:
        return None
    markers = np.zeros(mask.shape, np.int32)
    for k, (r, c) in enumerate(peaks):
        markers[r, c] = k + 1
    labels = watershed(-dist, markers, mask=mask)
    return complete(mask, labels == 1, labels == 2)


MIN_CHROMA_GAP = 0.04
"""Two chromaticity clusters closer than this are one colour (no colour cut)."""


def colour_parts(mask: np.ndarray, linear: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Two clusters of the region's chromaticity (2-means started from a split at the median
    along the principal axis, ten iterations), each cleaned to its largest component (opened
    by a 3 x 3 square)."""
    rgb = linear[mask]
    chroma = rgb / np.maximum(rgb.sum(axis=1, keepdims=True), 1e-4)
    lum = rgb.mean(axis=1)
    ok = lum > np.percentile(lum, 20)  # the darkest pixels carry no reliable hue
    if ok.sum() < 2 * MIN_PART_PX:
        return None
    x = chroma[ok]
    centred = x - x.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    side = centred @ axis > np.median(centred @ axis)
    for _ in range(10):
        if side.all() or not side.any():
            return None
        c0, c1 = x[~side].mean(axis=0), x[side].mean(axis=0)
        side = np.linalg.norm(x - c1, axis=1) < np.linalg.norm(x - c0, axis=1)
    if np.linalg.norm(c1 - c0) < MIN_CHROMA_GAP:
        return None
    coords = np.argwhere(mask)[ok]
    seeds = []
    for s in (False, True):
        m = np.zeros(mask.shape, bool)
        m[tuple(coords[side == s].T)] = True
        seeds.append(_largest(ndimage.binary_opening(m, structure=np.ones((3, 3), bool))))
    if not seeds[0].any() or not seeds[1].any():
        return None
    return complete(mask, seeds[0], seeds[1])


# ------------------------------------------------------------------------------ check


def _apart(a: Guess, b: Guess) -> float:
    return float(np.hypot(a.x - b.x, a.y - b.y) / max(a.footprint() + b.footprint(), 1e-6))


def _offset(a: np.ndarray, b: np.ndarray) -> float:
    ca, cb = np.nonzero(a.any(axis=0))[0], np.nonzero(b.any(axis=0))[0]
    if not len(ca) or not len(cb):
        return 0.0
    half = min(ca[-1] - ca[0] + 1, cb[-1] - cb[0] + 1) / 2
    return float(abs((ca[0] + ca[-1]) - (cb[0] + cb[-1])) / 2 / half)


def _pair_parts(mask: np.ndarray, fa: Fit, fb: Fit, camera: A.Camera
                ) -> tuple[np.ndarray, np.ndarray]:
    """`mask` divided between two fits' visible silhouettes (the nearer fit's whole silhouette,
    the farther one's minus it), in the order (a, b)."""
    near_a = camera_distance(fa.guess, camera) <= camera_distance(fb.guess, camera)
    vis_a = fa.mask & (~fb.mask if not near_a else np.ones_like(fa.mask))
    vis_b = fb.mask & (~fa.mask if near_a else np.ones_like(fb.mask))
    return complete(mask, mask & vis_a, mask & vis_b & ~vis_a)


def check_split(mask: np.ndarray, care: np.ndarray, linear: np.ndarray, camera: A.Camera,
                size: tuple[int, int], single: Fit | None = None) -> Split | None:
    """The best render-and-compare-checked split of the region `mask` (see the module
    docstring), or None when no cut explains it better than one object by `SPLIT_MARGIN`."""
    if single is None:
        single = best_fit(mask, care, camera, size)
    if single is None or single.iou >= MAX_SINGLE_IOU:
        return None
    total = int(mask.sum())
    proposals = (("residual", residual_parts(mask, single)), ("watershed", watershed_parts(mask)),
                 ("colour", colour_parts(mask, linear)))
    best: Split | None = None
    seen: list[np.ndarray] = []
    for name, parts in proposals:
        if parts is None:
            continue
        a, b = parts
        if min(a.sum(), b.sum()) < max(MIN_PART_PX, MIN_PART_SHARE * total):
            continue
        if any(np.count_nonzero(a ^ s) < 0.05 * total or np.count_nonzero(b ^ s) < 0.05 * total
               for s in seen):
            continue  # the same cut as an earlier proposal
        seen.append(a)
        fa = best_fit(a, care & ~b, camera, size)
        fb = best_fit(b, care & ~a, camera, size)
        if fa is None or fb is None:
            continue
        pair = masked_iou(fa.mask | fb.mask, mask, care)
        if best is not None and pair <= best.pair_iou:
            continue
        if min(fa.guess.height(), fb.guess.height()) < MIN_PART_HEIGHT:
            continue
        if min(fa.iou, fb.iou) < MIN_PART_IOU:
            continue
        apart = _apart(fa.guess, fb.guess)
        if apart < MIN_APART:
            continue
        final = _pair_parts(mask, fa, fb, camera)
        if min(final[0].sum(), final[1].sum()) < max(MIN_PART_PX, MIN_PART_SHARE * total):
            continue
        gain = (np.count_nonzero((single.mask ^ mask) & care)
                - np.count_nonzero(((fa.mask | fb.mask) ^ mask) & care))
        offset = _offset(fa.mask, fb.mask)
        if offset < MIN_OFFSET:
            continue
        best = Split(final, (fa, fb), single.iou, pair, name, int(gain), apart, offset)
    if best is None or best.pair_iou < max(single.iou + SPLIT_MARGIN, MIN_PAIR_IOU):
        return None
    if best.gain_px < MIN_GAIN_SHARE * mask.size:
        return None
    return best


def touching_shadow(region: np.ndarray, shadow: np.ndarray | None) -> np.ndarray:
    """The pieces of `shadow` (8-connected) that touch `region` (within one pixel): the
    object's own shaded side may have been taken for shadow, so the split's fits count
    them neither way."""
    none = np.zeros(region.shape, bool)
    if shadow is None or not shadow.any():
        return none
    labels, count = _components(shadow & ~region)
    if not count:
        return none
    near = ndimage.binary_dilation(region, structure=np.ones((3, 3), bool))
    ids = np.unique(labels[near])
    ids = ids[ids > 0]
    return np.isin(labels, ids) if len(ids) else none


def join_target(part: np.ndarray, fit: Fit, index: int, regions: Sequence[np.ndarray],
                fits: Sequence[Fit | None], everything: np.ndarray, care: np.ndarray,
                camera: A.Camera, size: tuple[int, int], memo: FitMemo | None
                ) -> int | None:
    """The neighbouring region `part` (cut from region `index`, fitted by `fit`) is a piece
    of, -1 when its fit passes through a neighbour's (`fits`) that it is no piece of (two
    solids cannot: the split is impossible), or None. A piece of a neighbour touches it
    (within `JOIN_REACH` px), and one primitive explains the two together: it covers at least
    `JOIN_COVER` of the piece and its IoU with the two is at least `MIN_PAIR_IOU` and within
    `JOIN_SLACK` of the neighbour's own fit's."""
    near = ndimage.binary_dilation(part, structure=np.ones((3, 3), bool), iterations=JOIN_REACH)
    clash = False
    for j, (r, f) in enumerate(zip(regions, fits)):
        if j == index or f is None or not (near & r).any():
            continue
        union = r | part
        joined = best_fit(union, care & ~(everything & ~union), camera, size, SCREEN_EVALS, memo)
        if (joined is not None and joined.iou >= max(f.iou - JOIN_SLACK, MIN_PAIR_IOU)
                and np.count_nonzero(joined.mask & part) >= JOIN_COVER * np.count_nonzero(part)):
            return j
        clash = clash or _apart(fit.guess, f.guess) < MIN_APART
    return -1 if clash else None


def split_regions(regions: Sequence[np.ndarray], care: np.ndarray, linear: np.ndarray,
                  camera: A.Camera, size: tuple[int, int], *, shadow: np.ndarray | None = None,
                  memo: FitMemo | None = None) -> tuple[list[np.ndarray], list[Split]]:
    """`regions` with each one a checked split explains better replaced by its two parts (in
    its place). `care`: the pixels fits count; each region's care also excludes the other
    regions. Every region is fitted (`SCREEN_EVALS`, the draft's own budget, so that with a
    shared `memo` the draft's fits are these); at most `MAX_CANDIDATES` of those of at least
    `MIN_REGION_PX` pixels explained worse than `MAX_SINGLE_IOU` are tried, the worst
    explained first. For the try, the pieces of `shadow` touching the region are "don't care"
    (`touching_shadow`: a box whose darkest side reads as shadow leaves an L-shaped region that
    two boxes fit better than one box scored against that side; with the side not counted, one
    box explains it): a region that one primitive then explains as well as `MAX_SINGLE_IOU`
    is not tried. A part of an accepted split whose fit passes through a touching neighbour's
    and which one primitive explains together with that neighbour joins it (a sliver of a
    neighbouring object, its rim or shaded edge, joined to the region by colour); a part whose
    fit passes through a neighbour's it cannot join voids the split (`join_target`).
    Returns (regions, the splits made)."""
    everything = np.zeros(care.shape, bool)
    for r in regions:
        everything |= r
    owns = [care & ~(everything & ~r) for r in regions]
    fits = [best_fit(r, own, camera, size, SCREEN_EVALS, memo) for r, own in zip(regions, owns)]
    singles = sorted((f.iou, i) for i, f in enumerate(fits)
                     if f is not None and f.iou < MAX_SINGLE_IOU and regions[i].sum() >= MIN_REGION_PX)
    out: list[list[np.ndarray]] = [[r] for r in regions]
    made: dict[int, Split] = {}
    for _, i in singles[:MAX_CANDIDATES]:
        r = regions[i]
        loose = owns[i] & ~touching_shadow(r, shadow)
        if np.count_nonzero(loose) != np.count_nonzero(owns[i]):
            lenient = best_fit(r, loose, camera, size, SCREEN_EVALS, memo)
            if lenient is not None and lenient.iou >= MAX_SINGLE_IOU:
                continue  # one object, its shaded side taken for shadow
        found = check_split(r, owns[i], linear, camera, size, single=fits[i])
        if found is None:
            continue
        targets = tuple(join_target(p, f, i, regions, fits, everything, care, camera, size, memo)
                        for p, f in zip(found.parts, found.fits))
        if -1 not in targets:
            made[i] = replace(found, joined=targets)
    for i, found in made.items():  # pieces of neighbours join them (unless split themselves)
        out[i] = []
        for p, j in zip(found.parts, found.joined):
            if j is not None and j not in made:
                out[j] = [out[j][0] | p]
            else:
                out[i].append(p)
    splits = list(made.values())
    return [p for parts in out for p in parts], splits
