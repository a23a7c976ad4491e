"""Shading evidence for an object's kind: how well a fitted primitive's surface normals explain
the brightness inside its region.

The silhouette of a small box, cylinder or sphere can be nearly the same; the shading differs:
a box shows a few flat faces of near-uniform brightness with crisp edges between them, a
cylinder's side varies smoothly across it (its top is flat), a sphere varies smoothly in 2D.
For each candidate `fit.Guess` fitted to a region, `normals_at` casts the rays of the region's
pixels through the camera onto the guess (sphere tracing of the primitive's exact signed
distance, so every kind, the torus included, is handled alike) and returns the surface normal
each pixel sees. `shading_fit` then fits the pixel luminance as a linear function of the
normal (Lambert under unknown distant lights: `I ~ a + b . n`), by least squares with the
brightest pixels (highlights) left out, and reports the share of the luminance variance explained (R^2, 0..1).

`with_shading` adds the explained variance, weighted, to the silhouette values of the kinds
fitted to a region (`draft.fit_regions`): only within `SILHOUETTE_MARGIN` of the best value and
only when the region shows enough contrast. Metal and rubber are treated alike.

All kinds are scored on the same pixels: the region's interior (its outline pixels, which mix
with the background, are dropped); a pixel whose ray misses the guess takes the normal of the
nearest pixel that hits it, so a guess that misplaces the object's faces pays for it.

Units: metres, pixels (u right, v down, pixel centres at +0.5), luminance in linear RGB.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from scenelang import ast as A
from scenelang.backends.camera import camera_pose, focal_length_pixels
from scenelang.stages.proposers.offline.fit import Guess

MIN_PIXELS = 24
"""Fewest interior pixels `shading_scores` needs; smaller regions get no shading evidence."""
HIGHLIGHT_SHARE = 0.1
"""Share of the brightest interior pixels left out of the fit (specular highlights)."""
MARCH_STEPS = 96
"""Sphere-tracing iterations per ray."""


# ------------------------------------------------------------------------------ signed distances


def _sdf(kind: str, dims: Sequence[float], p: np.ndarray) -> np.ndarray:
    """Exact signed distance (m) from local points `p` (N, 3) to an upright primitive centred at
    the origin (the frame of `Guess.world_vertices`: z up, the centre at half height)."""
    x, y, z = p[:, 0], p[:, 1], p[:, 2]
    if kind == "sphere":
        return np.linalg.norm(p, axis=1) - dims[0]
    if kind == "box":
        q = np.abs(p) - 0.5 * np.asarray(dims, float)
        return np.linalg.norm(np.maximum(q, 0.0), axis=1) + np.minimum(q.max(axis=1), 0.0)
    rho = np.hypot(x, y)
    if kind == "torus":
        return np.hypot(rho - dims[0], z) - dims[1]
    r, hh = dims[0], dims[1] / 2
    if kind == "cylinder":
        d = np.stack([rho - r, np.abs(z) - hh], axis=1)
        return np.linalg.norm(np.maximum(d, 0.0), axis=1) + np.minimum(d.max(axis=1), 0.0)
    if kind == "cone":
        return _cone_sdf(rho, z, r, hh)
    raise ValueError(kind)


def _segment_distance(px: np.ndarray, pz: np.ndarray, a: tuple[float, float],
                      b: tuple[float, float]) -> np.ndarray:
    ax, az = a
    dx, dz = b[0] - ax, b[1] - az
    t = np.clip(((px - ax) * dx + (pz - az) * dz) / max(dx * dx + dz * dz, 1e-12), 0.0, 1.0)
    return np.hypot(px - ax - t * dx, pz - az - t * dz)


def _cone_sdf(rho: np.ndarray, z: np.ndarray, r: float, hh: float) -> np.ndarray:
    """The cone (base radius `r` at z = -hh, apex at z = +hh) as the solid of revolution of a
    triangle in the (rho, z) half plane: distance to the triangle's two outer edges, negative
    inside."""
    apex, rim, base = (0.0, hh), (r, -hh), (0.0, -hh)
    d = np.minimum(_segment_distance(rho, z, apex, rim), _segment_distance(rho, z, rim, base))
    inside = (z >= -hh) & (z <= hh) & (rho <= r * (hh - z) / (2 * hh))
    return np.where(inside, -d, d)


# ------------------------------------------------------------------------------ ray casting


def _frame(g: Guess) -> tuple[np.ndarray, np.ndarray]:
    """(rotation local->world, centre) of a guess."""
    c, s = math.cos(math.radians(g.yaw)), math.sin(math.radians(g.yaw))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]), np.asarray(g.at(), float)


def _bound(g: Guess) -> float:
    """Radius (m) of a sphere about the centre holding the whole primitive."""
    return math.hypot(g.footprint(), g.height() / 2) * 1.01 + 1e-6


def normals_at(g: Guess, camera: A.Camera, size: tuple[int, int], pixels: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """World-space unit normals (N, 3) of `g`'s surface seen through the pixel centres `pixels`
    (N, 2) as (row, column), and a bool (N,) telling which rays hit it (normals of misses are
    zero). Sphere tracing of `_sdf` from the bounding sphere; normals by central differences."""
    pose = camera_pose(camera)
    f = focal_length_pixels(camera, size)
    w, h = size
    u, v = pixels[:, 1] + 0.5, pixels[:, 0] + 0.5
    d_cam = np.stack([(u - w / 2) / f, -(v - h / 2) / f, -np.ones_like(u)], axis=1)
    rot, centre = _frame(g)
    d = d_cam @ pose[:3, :3].T @ rot  # world direction, then into the local frame
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    o = (pose[:3, 3] - centre) @ rot
    bound = _bound(g)
    # enter the bounding sphere
    b = d @ o
    disc = b * b - (o @ o - bound * bound)
    hit = disc > 0
    t = np.where(hit, -b - np.sqrt(np.maximum(disc, 0.0)), 0.0)
    t_far = np.where(hit, -b + np.sqrt(np.maximum(disc, 0.0)), 0.0)
    scale = max(min(g.dims), 1e-3)
    eps = 1e-4 * scale
    done = np.zeros(len(d), bool)
    active = hit.copy()
    for _ in range(MARCH_STEPS):
        if not active.any():
            break
        p = o + t[active, None] * d[active]
        dist = _sdf(g.kind, g.dims, p)
        idx = np.flatnonzero(active)
        close = dist < eps
        done[idx[close]] = True
        t[idx] += np.where(close, 0.0, dist)
        active[idx[close | (t[idx] > t_far[idx])]] = False
    normals = np.zeros((len(d), 3))
    if done.any():
        p = o + t[done, None] * d[done]
        h_ = 1e-3 * scale
        grad = np.stack([_sdf(g.kind, g.dims, p + h_ * e) - _sdf(g.kind, g.dims, p - h_ * e)
                         for e in np.eye(3)], axis=1)
        n = grad / np.maximum(np.linalg.norm(grad, axis=1, keepdims=True), 1e-12)
        normals[done] = n @ rot.T
    return normals, done


# ------------------------------------------------------------------------------ shading fit


def shading_fit(luminance: np.ndarray, normals: np.ndarray, *,
                highlight_share: float = HIGHLIGHT_SHARE) -> float:
    """Share (0..1) of the variance of `luminance` (N,) explained by a least-squares fit
    `I ~ a + b . n` of the unit `normals` (N, 3), the brightest `highlight_share` of the pixels left out. 0 when the
    luminance is flat or there are fewer pixels than unknowns."""
    keep = luminance <= np.quantile(luminance, 1.0 - highlight_share)
    y = luminance[keep]
    x = np.column_stack([np.ones(len(y)), normals[keep]])
    if len(y) <= x.shape[1] + 2:
        return 0.0
    total = float(np.sum((y - y.mean()) ** 2))
    if total <= 1e-12:
        return 0.0
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return float(np.clip(1.0 - np.sum((y - x @ coef) ** 2) / total, 0.0, 1.0))


@dataclass(frozen=True)
class ShadingScore:
    """`explained`: R^2 of the luminance fit per guess (same order as the guesses given);
    `pixels`: interior pixels used; `contrast`: the luminance's coefficient of variation over
    them (little contrast means little evidence)."""

    explained: tuple[float, ...]
    pixels: int
    contrast: float


def interior(region: np.ndarray) -> np.ndarray:
    """The region without its outline pixels (3 x 3 erosion)."""
    return ndimage.binary_erosion(region, structure=np.ones((3, 3), bool))


def shading_scores(guesses: Sequence[Guess], region: np.ndarray, linear: np.ndarray,
                   camera: A.Camera, size: tuple[int, int]) -> ShadingScore | None:
    """How well each of `guesses` (fitted to the bool (H, W) `region`) explains the region's
    shading in `linear` (H, W, 3 linear RGB) seen through `camera` at `size` = (W, H); None when
    the region's interior has fewer than `MIN_PIXELS` pixels."""
    inner = interior(region)
    pixels = np.argwhere(inner)
    if len(pixels) < MIN_PIXELS:
        return None
    lum = linear[inner].sum(axis=1).astype(float)
    mean = float(lum.mean())
    contrast = float(lum.std() / mean) if mean > 1e-9 else 0.0
    scores = [_explained(g, lum, pixels, inner.shape, camera, size) for g in guesses]
    return ShadingScore(tuple(scores), len(pixels), contrast)


def _explained(g: Guess, lum: np.ndarray, pixels: np.ndarray, shape: tuple[int, int],
               camera: A.Camera, size: tuple[int, int]) -> float:
    normals, hit = normals_at(g, camera, size, pixels)
    if hit.sum() < 3:
        return 0.0
    if not hit.all():
        normals = _fill_misses(normals, hit, pixels, shape)
    return shading_fit(lum, normals)


def _fill_misses(normals: np.ndarray, hit: np.ndarray, pixels: np.ndarray,
                 shape: tuple[int, int]) -> np.ndarray:
    """Each missed pixel takes the normal of the nearest pixel that hit."""
    grid = np.ones(shape, bool)
    grid[pixels[hit, 0], pixels[hit, 1]] = False
    _, (ri, ci) = ndimage.distance_transform_edt(grid, return_indices=True)
    lookup = np.full(shape, -1, int)
    lookup[pixels[hit, 0], pixels[hit, 1]] = np.flatnonzero(hit)
    src = lookup[ri[pixels[:, 0], pixels[:, 1]], ci[pixels[:, 0], pixels[:, 1]]]
    return normals[src]


SHADING_WEIGHT = 0.2
"""How much the shading's explained variance (0..1) adds to a fitted kind's `draft.kind_value`
(silhouette IoU units): a kind whose normals explain the shading 0.25 better gains 0.05."""
SILHOUETTE_MARGIN = 0.05
"""Only kinds whose silhouette value is within this of the best one's can win by their shading:
the shading breaks near-ties of the silhouette, it does not overrule a clear outline."""
MIN_CONTRAST = 0.15
"""Regions whose luminance varies less than this (standard deviation over mean) give no shading
evidence (an evenly lit object, or a flat colour: the fit would explain noise)."""


def with_shading(values: Sequence[float], guesses: Sequence[Guess], region: np.ndarray,
                 linear: np.ndarray, camera: A.Camera, size: tuple[int, int], *,
                 weight: float = SHADING_WEIGHT, margin: float = SILHOUETTE_MARGIN
                 ) -> list[float]:
    """`values` (one per guess fitted to `region`, e.g. `draft.kind_value`) with `weight` x each
    guess's explained shading variance (`shading_scores`) added to those within `margin` of the
    best value; unchanged when the region is too small (`MIN_PIXELS`) or too even
    (`MIN_CONTRAST`) to tell. Measured on the draft's regions (CLEVR 30 and the own tiers,
    docs/reconstruction.md): the weight, margin and contrast were chosen so that neither suite
    loses."""
    score = shading_scores(guesses, region, linear, camera, size)
    if score is None or score.contrast < MIN_CONTRAST:
        return list(values)
    top = max(values)
    return [v + weight * s if v >= top - margin else v for v, s in zip(values, score.explained)]
