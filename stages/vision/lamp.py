"""A nearby light (point or small area light) from the bright patch it throws on the ground.

A point light of power `P` watts (Cycles: radiant intensity P / (4 pi) W/sr) at height `h`
above the ground point (px, py) gives a horizontal Lambertian ground of albedo `g` the linear
radiance

    L(x, y) = g / pi * P / (4 pi) * h / r^3,   r^2 = (x - px)^2 + (y - py)^2 + h^2

on top of what the sun and the world give, which is the same everywhere on the lit ground. So
the lit ground's linear luminance is fitted as `c0 + c1 * h / r^3` over the light's position
(Nelder-Mead from a grid of starts; c0 >= 0 and c1 >= 0 by least squares for each position),
with the ground points back-projected through the camera. The fit is kept when it explains
`MIN_EXPLAINED` of the variance a constant leaves, the light adds at least `MIN_SHARE` of the
ground's brightness somewhere in view, and its height is not at either end of `HEIGHT_RANGE`
(then the ground shows a ramp or an edge, not a light's patch). The light's colour is `c1`
per channel over `c0` per channel (relative to the rest of the lighting, taken as white),
scaled to a maximum channel of 1; its power `P = 4 pi^2 c1 / g` (luminance of c1 over the
colour's luminance).

Units: metres, watts; images are linear RGB (H, W, 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from scenelang import ast as A
from scenelang.backends.camera import backproject_to_plane
from scenelang.stages.vision.material import LUMA

MAX_SAMPLES = 2500
"""Ground pixels used by the fit (an even subsample)."""
MAX_REACH = 20.0
"""Ground points farther than this (m) from the camera's ground point are ignored, and a fitted
light whose ground point lies farther than this from it is a ramp, not a nearby light (None)."""
MIN_EXPLAINED = 0.35
"""Share of the ground's variance (about a constant) the light must explain."""
MIN_SHARE = 0.25
"""Least share of the ground's brightness the light must add at its brightest point in view."""
HEIGHT_RANGE = (0.5, 12.0)
"""Heights (m) a fitted light may have."""


@dataclass(frozen=True)
class LampFit:
    """A fitted nearby light: `at` (m), `energy` (W), `color` (linear RGB, max channel 1),
    `base` the linear RGB radiance of the ground without it (c0), `explained` the share of the
    variance it explains."""

    at: tuple[float, float, float]
    energy: float
    color: tuple[float, float, float]
    base: tuple[float, float, float]
    explained: float


def _falloff(points: np.ndarray, light: np.ndarray) -> np.ndarray:
    d = points - light[None, :2]
    h = light[2]
    return h / (d[:, 0] ** 2 + d[:, 1] ** 2 + h * h) ** 1.5


def _solve(f: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, float]:
    """Non-negative (c0, c1) for `values ~ c0 + c1 f` (luminance) and the squared error."""
    design = np.stack([np.ones_like(f), f], axis=1)
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    if coef[1] < 0:
        coef = np.array([values.mean(), 0.0])
    elif coef[0] < 0:
        coef = np.array([0.0, max(float(f @ values) / max(float(f @ f), 1e-12), 0.0)])
    err = float(np.sum((values - design @ coef) ** 2))
    return coef, err


def fit_lamp(linear: np.ndarray, lit_ground: np.ndarray, camera: A.Camera,
             ground_albedo: float) -> LampFit | None:
    """The nearby light that best explains the lit ground's brightness, or None (see the module
    docstring). `lit_ground`: bool mask of ground pixels neither in shadow nor near objects."""
    h, w = lit_ground.shape
    rows, cols = np.nonzero(lit_ground)
    if rows.size < 200:
        return None
    step = max(1, rows.size // MAX_SAMPLES)
    rows, cols = rows[::step], cols[::step]
    points = backproject_to_plane(np.stack([cols + 0.5, rows + 0.5], axis=1), camera, (w, h))
    ok = np.all(np.isfinite(points), axis=1)
    aim = backproject_to_plane(np.array([[w / 2, h / 2]]), camera, (w, h))[0]
    if np.all(np.isfinite(aim)):
        ok &= np.linalg.norm(points[:, :2] - aim[None, :2], axis=1) < MAX_REACH
        centre = aim[:2]
    else:
        centre = np.nanmedian(points[:, :2], axis=0)
    if ok.sum() < 200:
        return None
    pts = points[ok, :2]
    rgb = np.asarray(linear, float)[rows[ok], cols[ok]]
    lum = rgb @ LUMA
    total = float(np.sum((lum - lum.mean()) ** 2))
    if total <= 1e-12:
        return None

    def cost(p: np.ndarray) -> float:
        if not HEIGHT_RANGE[0] <= p[2] <= HEIGHT_RANGE[1]:
            return total * 2
        return _solve(_falloff(pts, p), lum)[1]

    starts = [np.array([centre[0] + dx, centre[1] + dy, hh])
              for dx in (-4.0, 0.0, 4.0) for dy in (-4.0, 0.0, 4.0) for hh in (2.0, 4.5)]
    best = min(starts, key=cost)
    simplex = np.vstack([best, best + np.diag([1.0, 1.0, 0.8])])  # steps of about a metre
    res = minimize(cost, best, method="Nelder-Mead",
                   options={"xatol": 0.02, "fatol": total * 1e-5, "maxfev": 300,
                            "initial_simplex": simplex})
    light = res.x if res.fun <= cost(best) else best
    f = _falloff(pts, light)
    coef, err = _solve(f, lum)
    explained = 1.0 - err / total
    if coef[1] <= 0 or explained < MIN_EXPLAINED:
        return None
    if not 1.05 * HEIGHT_RANGE[0] < light[2] < 0.95 * HEIGHT_RANGE[1]:
        return None  # at a bound: a ramp (far light) or an edge (grazing light), not a patch
    if np.linalg.norm(light[:2] - centre) > MAX_REACH:
        return None  # beyond the ground it was fitted to: a ramp, not a patch
    if coef[1] * f.max() < MIN_SHARE * max(coef[0] + coef[1] * f.max(), 1e-6):
        return None
    design = np.stack([np.ones_like(f), f], axis=1)
    per_channel = np.linalg.lstsq(design, rgb, rcond=None)[0]  # (2, 3)
    c0 = np.maximum(per_channel[0], 1e-4)
    c1 = np.maximum(per_channel[1], 1e-6)
    colour = c1 / np.maximum(c0, 1e-4) * max(float(c0 @ LUMA), 1e-4)
    colour = np.clip(colour / max(float(colour.max()), 1e-9), 0.02, 1.0)
    energy = 4 * math.pi ** 2 * float(coef[1]) / max(ground_albedo, 1e-3) / max(float(colour @ LUMA), 1e-3)
    return LampFit(at=tuple(float(v) for v in light), energy=energy,
                   color=tuple(float(v) for v in colour),
                   base=tuple(float(v) for v in c0), explained=float(explained))


def lamp_levels(linear: np.ndarray, lit_ground: np.ndarray, camera: A.Camera,
                at: tuple[float, float, float]) -> tuple[float, float] | None:
    """(c0, c1) of the ground's luminance `c0 + c1 h / r^3` for a light fixed at `at` (the
    ground without the light, and the light's gain); None with fewer than 200 usable pixels.
    Comparing these between the target and a render of the current scene tells how much
    stronger the light (c1) and the rest (c0) should be."""
    h, w = lit_ground.shape
    rows, cols = np.nonzero(lit_ground)
    if rows.size < 200:
        return None
    step = max(1, rows.size // MAX_SAMPLES)
    rows, cols = rows[::step], cols[::step]
    points = backproject_to_plane(np.stack([cols + 0.5, rows + 0.5], axis=1), camera, (w, h))
    ok = np.all(np.isfinite(points), axis=1)
    ok &= np.linalg.norm(points[:, :2] - np.asarray(at[:2])[None], axis=1) < MAX_REACH
    if ok.sum() < 200:
        return None
    lum = np.asarray(linear, float)[rows[ok], cols[ok]] @ LUMA
    coef, _ = _solve(_falloff(points[ok, :2], np.asarray(at, float)), lum)
    return float(coef[0]), float(coef[1])
