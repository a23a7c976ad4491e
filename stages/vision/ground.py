"""A smooth, robust model of the ground's (and a curved backdrop's) colour over the image.

The ground of a rendered scene changes colour slowly: perspective, a sun's constant shading,
the falloff of a point or area light's bright patch, a studio backdrop's vignette. Objects,
shadows and highlights are outliers. `fit_ground` models the colour of every pixel as

    model(row, col) = P(x, y) + S(row, col)

per sRGB channel, where `P` is a polynomial of total degree `degree` (default 3) in the
normalised image coordinates x = (col - W/2) / (W/2), y = (row - H/2) / (H/2), fitted by
trimmed least squares (pixels farther than `trim` robust sigmas, at least 0.03 sRGB, from the
current model are dropped and the fit repeated), and `S` is a coarse correction: the median
residual of the (near-)inliers in blocks of `block` px (default 1/12 of the short side, at least 8 px),
filled where a block has too few inliers and smoothed with a Gaussian of one block. `S` follows
what a low-order polynomial cannot (a light patch near a close light), while objects, being far
from the model, stay outliers and do not pull it.

Units: sRGB 0..1; `noise` is a robust (MAD) per-channel standard deviation of the inliers'
residuals, in sRGB units.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

MIN_TOLERANCE = 0.03
"""Smallest inlier tolerance (sRGB distance) whatever the noise."""


def _design(rows: np.ndarray, cols: np.ndarray, h: int, w: int, degree: int) -> np.ndarray:
    x = (cols - w / 2.0) / (w / 2.0)
    y = (rows - h / 2.0) / (h / 2.0)
    terms = [x ** i * y ** j for i in range(degree + 1) for j in range(degree + 1 - i)]
    return np.stack(terms, axis=-1)


def _seed_colour(pix: np.ndarray) -> np.ndarray:
    keys = np.minimum((pix * 24).astype(np.int32), 23) @ np.array([576, 24, 1])
    values, counts = np.unique(keys, return_counts=True)
    return np.median(pix[keys == values[np.argmax(counts)]], axis=0)


def _block_correction(resid: np.ndarray, inliers: np.ndarray, block: int) -> np.ndarray:
    """Median inlier residual per block (H x W x 3), filled and smoothed; zero without data."""
    h, w = inliers.shape
    gh, gw = -(-h // block), -(-w // block)
    grid = np.full((gh, gw, 3), np.nan)
    need = max(4, block * block // 6)
    for i in range(gh):
        for j in range(gw):
            sel = inliers[i * block:(i + 1) * block, j * block:(j + 1) * block]
            if sel.sum() >= need:
                grid[i, j] = np.median(resid[i * block:(i + 1) * block, j * block:(j + 1) * block][sel], axis=0)
    known = ~np.isnan(grid[..., 0])
    if not known.any():
        return np.zeros(resid.shape)
    # fill unknown blocks from the nearest known one, then smooth over one block
    _, (ii, jj) = ndimage.distance_transform_edt(~known, return_indices=True)
    grid = grid[ii, jj]
    grid = np.stack([ndimage.gaussian_filter(grid[..., c], 1.0, mode="nearest") for c in range(3)], axis=2)
    # back to pixels: bilinear zoom of block centres
    rr = (np.arange(h) + 0.5) / block - 0.5
    cc = (np.arange(w) + 0.5) / block - 0.5
    coords = np.meshgrid(np.clip(rr, 0, gh - 1), np.clip(cc, 0, gw - 1), indexing="ij")
    return np.stack([ndimage.map_coordinates(grid[..., c], coords, order=1, mode="nearest")
                     for c in range(3)], axis=2)


def fit_ground(img: np.ndarray, usable: np.ndarray, *, degree: int = 3, trim: float = 6.0,
               block: int | None = None, iterations: int = 6, correct: bool = True,
               grow: float = 1.0) -> tuple[np.ndarray, float, np.ndarray]:
    """Robust smooth ground model of `img` (sRGB H x W x 3) from the `usable` pixels (bool H x W).

    Returns (model sRGB H x W x 3, noise sigma in sRGB units, inlier mask). See the module
    docstring; `correct=False` leaves out the block correction `S`; the correction is taken
    from the pixels within `grow` times the inlier tolerance of the current model. Images of
    at least 480 px on the short side are fitted on every second pixel (the model is smooth)
    and the result evaluated at full size.
    """
    h, w = img.shape[:2]
    if usable.sum() < 20:
        mean = img[usable].mean(axis=0) if usable.any() else img.mean(axis=(0, 1))
        return np.broadcast_to(mean, img.shape).copy(), 0.0, usable
    block = block or max(8, min(h, w) // 12)
    step = 2 if min(h, w) >= 480 else 1
    small, small_usable = img[::step, ::step], usable[::step, ::step]
    coef, correction, noise, tolerance = _fit(small, small_usable, degree, trim,
                                              max(4, block // step), iterations, correct, grow)
    rows, cols = np.mgrid[0:h, 0:w]
    poly = _design((rows / step).astype(float), (cols / step).astype(float),
                   small.shape[0], small.shape[1], degree) @ coef
    if step > 1:
        coords = np.meshgrid(np.arange(h) / step, np.arange(w) / step, indexing="ij")
        correction = np.stack([ndimage.map_coordinates(correction[..., c], coords, order=1,
                                                       mode="nearest") for c in range(3)], axis=2)
    model = poly + correction
    inliers = usable & (np.linalg.norm(img - model, axis=2) < tolerance)
    return np.clip(model, 0.0, 1.0), noise, inliers


def _fit(img, usable, degree, trim, block, iterations, correct, grow):
    """The iterations of `fit_ground` at one resolution: (coef, correction, noise, tolerance)."""
    h, w = img.shape[:2]
    rows, cols = np.nonzero(usable)
    rs, cs = rows, cols
    design = _design(rs.astype(float), cs.astype(float), h, w, degree)
    values = img[rs, cs]
    seed = _seed_colour(img[usable])
    keep = np.linalg.norm(values - seed, axis=1) < 0.12
    if keep.sum() < design.shape[1] * 4:
        keep = np.ones(len(rs), bool)
    all_rows, all_cols = np.mgrid[0:h, 0:w]
    full = _design(all_rows.astype(float), all_cols.astype(float), h, w, degree)
    correction = np.zeros(img.shape)
    noise = 0.0
    tolerance = 0.12
    coef = np.zeros((design.shape[1], 3))
    for it in range(iterations):
        coef, *_ = np.linalg.lstsq(design[keep], values[keep] - correction[rs, cs][keep], rcond=None)
        poly = full @ coef
        model = poly + correction
        dist = np.linalg.norm(img - model, axis=2)
        inliers = usable & (dist < tolerance)
        if inliers.sum() < 20:
            break
        dev = (img - model)[inliers]
        noise = float(1.4826 * np.median(np.abs(dev - np.median(dev, axis=0))))
        tolerance = max(MIN_TOLERANCE, trim * noise)
        if correct and it >= 1:
            # the correction may reach a little beyond the inliers, so that over the iterations
            # it grows into a light patch the polynomial misses
            reach = usable & (dist < grow * tolerance)
            correction = _block_correction(img - poly, reach, block)
            model = poly + correction
            inliers = usable & (np.linalg.norm(img - model, axis=2) < tolerance)
        keep = inliers[rs, cs]
        if keep.sum() < design.shape[1] * 4:
            break
    return coef, correction, noise, tolerance


# ------------------------------------------------------------------------------ rows


def fit_ground_rows(img: np.ndarray, usable: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Row-wise robust ground colour model (per-row medians plus one left-right slope, refined
    iteratively): the model used when a sky is visible, i.e. the ground is seen at a grazing
    angle and changes mostly from row to row. Returns (model sRGB HxWx3, noise sigma,
    inliers)."""
    h, w = img.shape[:2]
    if not usable.any():
        return np.repeat(np.repeat(img.mean(axis=(0, 1))[None, None], h, 0), w, 1), 0.0, usable
    pix = img[usable]
    keys = np.minimum((pix * 24).astype(np.int32), 23) @ np.array([576, 24, 1])
    values, counts = np.unique(keys, return_counts=True)
    seed = np.median(pix[keys == values[np.argmax(counts)]], axis=0)
    model = np.broadcast_to(seed, img.shape).copy()
    cols = (np.arange(w) - (w - 1) / 2.0)[None, :, None]
    threshold = 0.08
    inliers = usable
    noise = 0.0
    for _ in range(4):
        inliers = usable & (np.linalg.norm(img - model, axis=2) < threshold)
        if inliers.sum() < 10:
            break
        rows = _row_medians(img - _slope_term(model, cols), inliers)
        base = np.broadcast_to(rows[:, None, :], img.shape)
        resid = (img - base)[inliers]
        xs = np.broadcast_to(cols, (h, w, 1))[inliers][:, 0]
        denom = float(np.sum(xs * xs)) or 1.0
        slope = (xs @ resid) / denom
        model = base + cols * slope[None, None, :]
        dev = (img - model)[inliers]
        noise = float(1.4826 * np.median(np.abs(dev - np.median(dev, axis=0))))
        threshold = max(0.03, 8.0 * noise)
    return model, noise, inliers


def _slope_term(model: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The left-right linear part of a model (zero in the central column)."""
    w = model.shape[1]
    if w < 2:
        return np.zeros_like(model)
    slope = (model[:, -1] - model[:, 0]).mean(axis=0) / (w - 1)
    return cols * slope[None, None, :]


def _row_medians(img: np.ndarray, inliers: np.ndarray) -> np.ndarray:
    """Per-row median of inlier colours; rows with few inliers interpolated, then smoothed."""
    h, w = inliers.shape
    need = max(3, int(0.05 * w))
    rows = np.full((h, 3), np.nan)
    for r in range(h):
        sel = inliers[r]
        if sel.sum() >= need:
            rows[r] = np.median(img[r][sel], axis=0)
    known = ~np.isnan(rows[:, 0])
    if not known.any():
        rows[:] = np.median(img[inliers], axis=0) if inliers.any() else img.mean(axis=(0, 1))
        return rows
    idx = np.arange(h)
    for c in range(3):
        rows[:, c] = np.interp(idx, idx[known], rows[known, c])
    return ndimage.median_filter(rows, size=(5, 1), mode="nearest")
