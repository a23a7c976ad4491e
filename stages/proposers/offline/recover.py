"""Add hypotheses: an object the segmentation took for shadow is fitted and kept when it explains
the image better.

A dark grey (or dark metal) object can be as dark as the shadows around it, and the segmentation
then gives its pixels to the ground's shadow (`vision.shadows`). Once the draft has its objects
and its sun, a shadow piece is a candidate object when

- it is a piece of the shadow cut along crisp edges (`vision.edges.pieces`) whose outline is
  crisp (at least `SegmentationParams.solid_crispness` of it, as `vision.edges.enclosed_parts`),
  it is at least `MIN_PIECE` times the segmentation's smallest object and not an object's dark
  base (`Analysis.uncertain`);
- no object's predicted shadow (`light.predicted_shadow` along the draft's sun, widened by
  `prune.SHADOW_SLACK` px) covers more than `MAX_COVER` of it: nothing casts a shadow there.
  The candidate is the largest connected part of the piece outside that shadow;
- the candidate is unevenly dark (standard deviation of its linear ratio to the ground model
  at least `MIN_SPREAD`): a cast shadow is one even level, an object's faces are shaded.

At most `MAX_ADDS` candidates (largest first) are fitted (by the caller's `fit`, the draft's own
fit and colour estimate) and each is kept only when render-and-compare prefers it
(`prune.compare`: its mean sRGB error with the object at most the error without it minus
`prune.MARGIN`). Deterministic, with that fixed budget. Masks are bool (H, W).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from scenelang import ast as A
from scenelang.backends.preview import render_preview
from scenelang.stages.proposers.offline.fit import Guess, visible_masks
from scenelang.stages.proposers.offline.light import Lighting
from scenelang.stages.proposers.offline.prune import MARGIN, compare, objects_scene, shadow_of
from scenelang.stages.vision.edges import crisp_edges, pieces
from scenelang.stages.vision.masks import srgb_to_linear
from scenelang.stages.vision.segment import SegmentationParams
from scenelang.stages.vision.shape import largest_component

MIN_PIECE = 3
"""A candidate is at least this many times the segmentation's smallest object (px)."""
MIN_SPREAD = 0.05
"""Smallest standard deviation of a candidate's linear ratio to the ground model."""
MAX_COVER = 0.2
"""Largest share of a candidate piece the objects' predicted shadow may cover."""
MAX_ADDS = 2
"""At most this many candidates are fitted per draft."""

Fit = Callable[[list[int]], tuple[list[Guess], list[int]]]
"""Fits (and colours) the regions of the given indices: (guesses, their region indices)."""


def shadowed_pieces(analysis, guesses: Sequence[Guess], camera: A.Camera,
                    lighting: Lighting) -> list[np.ndarray]:
    """The candidate objects among the shadow pieces (see the module docstring), largest
    first, at most `MAX_ADDS`. `analysis` is an `offline.draft.Analysis`."""
    seg = analysis.seg
    h, w = seg.shape
    p = SegmentationParams()
    min_px = MIN_PIECE * max(p.min_area_px, int(round(p.min_area_fraction * h * w)))
    free = seg.shadow & ~analysis.objects_mask
    if analysis.uncertain is not None:
        free &= ~analysis.uncertain
    if free.sum() < min_px or not guesses:
        return []
    crisp = crisp_edges(seg.image, seg.noise)
    cast = shadow_of(guesses, np.asarray(lighting.direction, float), camera, analysis.size)
    level = (analysis.linear / np.maximum(srgb_to_linear(seg.ground_model), 1e-4)).mean(axis=2)
    found = []
    # the shadow cut along crisp edges, each piece on its own (`vision.edges.enclosed_parts`)
    for i, (piece, n_out, n_crisp, n_cut) in enumerate(pieces(free, crisp, min_px=min_px)):
        total = n_out + n_cut
        if not total or n_crisp + n_cut < p.solid_crispness * total:
            continue
        piece = piece & free
        if (piece & cast).sum() > MAX_COVER * piece.sum():
            continue  # mostly where the objects cast their shadows
        rest = largest_component(piece & ~cast)
        area = int(rest.sum())
        if area >= min_px and float(level[rest].std()) >= MIN_SPREAD:
            found.append((-area, i, rest))
    found.sort(key=lambda f: f[:2])
    return [piece for _, _, piece in found[:MAX_ADDS]]


def add_shadowed_objects(analysis, guesses: Sequence[Guess], index: Sequence[int],
                         camera: A.Camera, lighting: Lighting, fit: Fit
                         ) -> tuple[list[Guess], list[int]]:
    """`guesses` and their region `index` with the candidate objects (`shadowed_pieces`) that
    render-and-compare keeps. A kept candidate's mask is appended to `analysis.regions` and
    taken out of the ground and shadow of `analysis.seg` (in place)."""
    guesses, index = list(guesses), list(index)
    for piece in shadowed_pieces(analysis, guesses, camera, lighting):
        analysis.regions.append(piece)
        j = len(analysis.regions) - 1
        new, new_index = fit([j])
        keep = False
        if new:
            trial = guesses + [new[0]]
            preview = render_preview(objects_scene(trial, camera, lighting), analysis.size)
            visible = visible_masks(trial, camera, analysis.size)[-1]
            cast = shadow_of(guesses, np.asarray(lighting.direction, float), camera,
                             analysis.size)
            e_with, e_without = compare(analysis, preview, len(guesses), visible, piece, cast)
            keep = e_with <= e_without - MARGIN
        if not keep:
            analysis.regions.pop()
            continue
        guesses.append(new[0])
        index.append(new_index[0])
        seg = analysis.seg
        labels = seg.labels.copy()
        labels[piece] = int(labels.max()) + 1
        analysis.seg = replace(seg, ground=seg.ground & ~piece, shadow=seg.shadow & ~piece,
                               labels=labels)
    return guesses, index
