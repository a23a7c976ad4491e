"""Metal or matte, checked by render-and-compare in the materials stage.

The draft calls each object metal or matte from its region's statistics alone
(`vision.material.classify_material`), which has known blind spots: a flat-faced metal box that
mirrors a uniform world looks matte, a dark matte object's render noise looks metal. The engine's
Cycles render settles it: the materials stage's later rounds (`FIRST_ROUND` on) each propose
one object with the other material, least sure call first, and the engine keeps the flip only
when the render scores better. Measured before this existed, on 8 of the staged bench's final
tier scenes (24 flips, each rendered at the loop size): all 11 flips that made an object wrong
lowered the combined score (-0.0025 to -0.038); of the 12 that made one right, 9 raised it
(+0.0005 to +0.032) and 3 lowered it (metal boxes and a half-hidden cylinder mirroring a
nearly uniform world).

`flip_order(model, analysis)`: the objects whose metal call is least sure first (|metal score|
of their matched region, smallest first), objects without a region left out. `flipped(model,
analysis, i)`: the model with object `i` the other material, its base colour estimated again
for that material (a metal's colour is its reflectance of the lit ground, a matte's its albedo:
`vision.material.estimate_colour`) and the material's roughness (`METAL_ROUGHNESS` or
`MATTE_ROUGHNESS`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from scenelang.stages.proposers.offline.draft import Analysis, Model, lit_ground_mask
from scenelang.stages.proposers.offline.fit import visible_masks
from scenelang.stages.vision.material import (
    MATTE_ROUGHNESS,
    METAL_ROUGHNESS,
    classify_material,
    estimate_colour,
    ground_near,
)

FIRST_ROUND = 2
"""Materials rounds before this one correct colours only (the first round's colour correction
comes first, so a flip is compared with a well-coloured scene)."""


def _masks(model: Model, analysis: Analysis) -> list[np.ndarray | None]:
    """Each object's pixels: its visible silhouette within its matched region (None: no region)."""
    vis = visible_masks(model.guesses, model.camera, analysis.size)
    out: list[np.ndarray | None] = []
    for v, region in zip(vis, model.region_of):
        if region is None:
            out.append(None)
            continue
        mask = v & analysis.regions[region]
        out.append(mask if mask.sum() >= 12 else analysis.regions[region])
    return out


def flip_order(model: Model, analysis: Analysis) -> list[int]:
    """Indices of the objects to try with the other material, least sure call first."""
    scored = []
    for i, mask in enumerate(_masks(model, analysis)):
        if mask is None:
            continue
        score = classify_material(analysis.linear, mask).score
        scored.append((abs(score) if np.isfinite(score) else np.inf, -int(mask.sum()), i))
    return [i for _, _, i in sorted(scored)]


def flipped(model: Model, analysis: Analysis, i: int) -> Model:
    """`model` (region_of set) with object `i` the other material (module docstring)."""
    g = model.guesses[i]
    metal = g.metallic < 0.5
    colour = g.color
    mask = _masks(model, analysis)[i]
    if mask is not None:
        lit = lit_ground_mask(analysis)
        region = analysis.regions[model.region_of[i]]
        near = ground_near(analysis.linear, region, lit)
        if near is None and lit.sum() > 10:
            near = np.median(analysis.linear[lit], axis=0)
        if near is not None:
            estimate = estimate_colour(analysis.linear, mask, near, float(np.mean(model.ground)),
                                       1.0 if metal else 0.0)
            colour = estimate if estimate is not None else colour
    guesses = list(model.guesses)
    guesses[i] = replace(g, metallic=1.0 if metal else 0.0,
                         roughness=METAL_ROUGHNESS if metal else MATTE_ROUGHNESS,
                         color=tuple(float(c) for c in colour))
    return replace(model, guesses=guesses)
