"""The horizon (and the focal length) from the horizontal edges of boxes (pure numpy/scipy).

A box standing on the ground has two families of horizontal edges, along its two horizontal
axes: its top face's edges, its bottom edges, and the top and bottom boundaries of its visible
side faces. Through a camera without roll, each family's images meet at a vanishing point on
the horizon, an image row `v_h = cy - f tan(pitch)` (f: focal length in px, (cx, cy) the image
centre). For a box whose first axis points `psi` (radians) right of the camera's horizontal
forward direction, the two vanishing points are at
`u = cx + g tan(psi)` and `u = cx - g cot(psi)` on that row, with `g = sqrt(f^2 + (cy - v_h)^2)`
(= f / cos(pitch)): the horizon comes from each box, and f from the orthogonality of its two
axes, `(u1 - cx) (u2 - cx) = -g^2`. Several boxes (different turns) give more points on the
same row.

Their vertical edges meet at the vertical vanishing point `K = f^2 / (cy - v_h)` px below the
centre (`vision.vanishing`), which ties f to the horizon as well.

Measurement (`box_horizon`), per box region (the caller's: the offline draft uses the regions
fitted as boxes, cut to the fit's silhouette):

1. `edge_segments`: straight segments in and around the region (`WIDEN` px): the pixels where
   the colour gradient (Gaussian derivative, `SIGMA` px; the structure tensor's largest
   eigenvalue) is a local maximum across the edge and at least `EDGE_SHARE` of the region's
   strongest, grown into groups of one orientation (`ANGLE_TOLERANCE`), each fitted by a line
   (at least `MIN_LENGTH` px, RMS at most 1 px). Outlines and the boundaries between
   differently shaded faces both count; pixels next to other objects do not (occlusions);
2. `measure_line` locates each segment to a fraction of a pixel: along its middle
   `1 - 2 TRIM`, every pixel a profile across it of the gradient along its normal; the local
   maximum nearest it within `LOCAL` px (at least `MIN_STRENGTH` of the profile's largest) is
   refined by a parabola; a line is fitted with outliers dropped (`OUTLIER` MADs), then
   measured again within `REFINE` px of it. Each `Line` has its offset and angle standard
   deviations (from the residuals, with floors `OFFSET_FLOOR` and `ANGLE_FLOOR` for edge blur
   and bevels); lines shorter than `MIN_LENGTH` px are dropped;
3. `fit_horizon` fits `v_h`, log f and every box's `psi` jointly to all lines, each line
   assigned to the family (two horizontal, one vertical) whose vanishing point explains it
   best (residual: the sine of the angle between the line and the direction from its midpoint
   to that vanishing point, over its angle uncertainty at that distance; Cauchy-robust,
   starts over pitch and f, the turns scanned, the assignment redone three times), with a
   weak prior on log f (`FOCAL_PRIOR_SD` around the caller's focal length) so that an
   unmeasured focal length does not run away. Lines beyond three sds are outliers; the
   standard deviations come from a plain least-squares fit on the inliers, scaled up by the
   residuals' spread. The pitch `atan((cy - v_h) / f)` is much better determined than `v_h`
   or f alone (their errors are correlated).

None when fewer than `MIN_LINES` lines or two horizontal inliers are measured, or when the
horizon's sd exceeds `MAX_SD` px. Callers decide what they rely on (`offline.box_horizon`).

Measured on the loop-size (256 px) bench targets with the draft's box fits: 7 of 24 own-tier
and 7 of 30 CLEVR scenes pass the offline draft's gate (pitch sd <= 1 degree, f sd <= 10%,
silhouettes not contradicting); their pitch is within 0.8 degrees and their lens within 6 mm
of the truth. Anti-aliased preview renders of three boxes: pitch within about 0.6 degrees,
f within about 5-15%.

Units: pixels of the image given, rows down, columns right, continuous coordinates (pixel j
spans [j, j + 1)), the image centre (W/2, H/2) as the principal point (the
`scenelang.backends.camera` convention).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage
from scipy.optimize import least_squares

SIGMA = 1.0
"""Gaussian scale (px) of the colour gradient edges are located on."""
TRIM = 0.15
"""Share of a segment left out at each end (corners, bevels, the other edges)."""
SEARCH = 4.0
"""Default half-width (px) of `measure_line`'s first search across a predicted edge."""
REFINE = 1.5
"""Half-width (px) of the second search, across the first pass's line."""
STEP = 0.25
"""Spacing (px) of a profile's samples."""
MIN_STRENGTH = 0.3
"""A peak must reach this share of its profile's largest gradient."""
MIN_SAMPLES = 6
"""Samples (px along the edge) a line needs."""
MIN_SHARE = 0.5
"""...and this share of the samples tried must agree with it."""
OUTLIER = 3.0
"""Samples farther from the line than this many robust sds (MAD x 1.4826) are dropped."""
OFFSET_FLOOR = 0.1
"""Floor (px) of a sample's scatter about its line."""
ANGLE_FLOOR = 0.004
"""Angle uncertainty (radians) added in quadrature to every line's own: bevels, shading."""
MIN_LINES = 4
"""Lines needed for an estimate."""
WIDEN = 2
"""Pixels a box region is widened by when its edges are looked for."""
EDGE_SHARE = 0.12
"""An edge pixel's gradient must reach this share of the region's strongest (98th percentile)."""
ANGLE_TOLERANCE = 20.0
"""Degrees an edge pixel's orientation may differ from its group's."""
MIN_LENGTH = 8
"""Pixels a segment must span, and a measured line's samples."""
LOCAL = 1.5
"""Half-width (px) of the first search across a detected segment."""
CAUCHY = 2.0
"""Scale of the Cauchy loss (normalised residuals)."""
FOCAL_PRIOR_SD = 0.5
"""Standard deviation of the weak prior on log f (natural log)."""
MAX_SD = 30.0
"""Largest horizon sd (px) an estimate may have (a loose bound: callers choose their own)."""


@dataclass(frozen=True)
class EdgeGuess:
    """A segment where an edge is expected: `p0`-`p1` ((u, v) px), its `family` (0, 1: along
    the box's first or second horizontal axis, 2: vertical, -1: not known yet) and the `box`
    it belongs to."""

    p0: tuple[float, float]
    p1: tuple[float, float]
    family: int
    box: int


@dataclass(frozen=True)
class Line:
    """A measured straight edge: `point` (its midpoint, (u, v) px), unit `direction`,
    `length` (px spanned by its samples), `offset_sd` (px) and `angle_sd` (radians), the
    `family` and `box` of its prediction and the `samples` used."""

    point: tuple[float, float]
    direction: tuple[float, float]
    length: float
    offset_sd: float
    angle_sd: float
    family: int
    box: int
    samples: int


@dataclass(frozen=True)
class BoxHorizon:
    """The horizon `row` (v px) and its sd `row_sd` (px), the focal length `focal` (px) and its
    relative sd `focal_sd`, the pitch `tilt` (degrees, atan((cy - row) / f)) and its sd
    `tilt_sd` (degrees; row and f are strongly correlated, the pitch much less uncertain than
    the row), each box's `turns` (psi, degrees), the `lines` used (their `family` the one
    assigned: 0, 1 horizontal, 2 vertical) and the image `size` (W, H)."""

    row: float
    row_sd: float
    focal: float
    focal_sd: float
    tilt: float
    tilt_sd: float
    turns: tuple[float, ...]
    lines: tuple[Line, ...]
    size: tuple[int, int]

    def pitch(self, focal: float | None = None) -> float:
        """Pitch (degrees) for a focal length of `focal` px (default the measured one):
        atan((cy - row) / f)."""
        f = self.focal if focal is None else focal
        return math.degrees(math.atan2(self.size[1] / 2 - self.row, f))


def gradients(image: np.ndarray, sigma: float = SIGMA) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel Gaussian derivative images (d/du, d/dv), each (H, W, C), of `image` ((H, W)
    or (H, W, C) floats)."""
    img = np.asarray(image, float)
    if img.ndim == 2:
        img = img[..., None]
    gu = np.stack([ndimage.gaussian_filter(img[..., c], sigma, order=(0, 1), mode="nearest")
                   for c in range(img.shape[2])], axis=2)
    gv = np.stack([ndimage.gaussian_filter(img[..., c], sigma, order=(1, 0), mode="nearest")
                   for c in range(img.shape[2])], axis=2)
    return gu, gv


def _sample(grid: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Bilinear samples (N..., C) of an (H, W, C) image at continuous (u, v) px."""
    coords = np.stack([np.ravel(v) - 0.5, np.ravel(u) - 0.5])
    out = [ndimage.map_coordinates(grid[..., c], coords, order=1, mode="nearest")
           for c in range(grid.shape[2])]
    return np.stack(out, axis=-1).reshape(np.shape(u) + (grid.shape[2],))


def _peaks(profile: np.ndarray, offsets: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Per row of `profile` ((N, S) gradient strengths at `offsets` (S,) px), the sub-pixel
    offset of the local maximum nearest `centre[i]` that reaches `MIN_STRENGTH` of the row's
    largest; NaN when there is none."""
    out = np.full(len(profile), np.nan)
    if profile.shape[1] < 3:
        return out
    mid = profile[:, 1:-1]
    is_peak = (mid >= profile[:, :-2]) & (mid > profile[:, 2:])
    is_peak &= mid >= MIN_STRENGTH * profile.max(axis=1, keepdims=True)
    for i in range(len(profile)):
        idx = np.flatnonzero(is_peak[i]) + 1
        if not len(idx):
            continue
        k = int(idx[np.argmin(np.abs(offsets[idx] - centre[i]))])
        a, b, c = profile[i, k - 1], profile[i, k], profile[i, k + 1]
        den = a - 2 * b + c
        shift = 0.5 * (a - c) / den if den < 0 else 0.0
        out[i] = offsets[k] + float(np.clip(shift, -0.5, 0.5)) * (offsets[1] - offsets[0])
    return out


def _robust_line(s: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, float, float, float] | None:
    """Fit d = a + b s with outliers dropped: (inlier flags, a, b, residual sd)."""
    keep = np.isfinite(d)
    if keep.sum() < MIN_SAMPLES:
        return None
    a = b = 0.0
    for _ in range(5):
        b, a = np.polyfit(s[keep], d[keep], 1)
        resid = np.where(np.isfinite(d), d - a - b * s, np.inf)
        scale = 1.4826 * float(np.median(np.abs(resid[keep])))
        new = np.abs(resid) <= max(OUTLIER * scale, 0.5)
        if new.sum() < MIN_SAMPLES:
            return None
        if np.array_equal(new, keep):
            break
        keep = new
    b, a = np.polyfit(s[keep], d[keep], 1)
    resid = d[keep] - a - b * s[keep]
    sd = math.sqrt(float(resid @ resid) / max(int(keep.sum()) - 2, 1))
    return keep, float(a), float(b), sd


def measure_line(grads: tuple[np.ndarray, np.ndarray], guess: EdgeGuess,
                 others: np.ndarray | None = None,
                 reach: tuple[float, float] = (SEARCH, REFINE)) -> Line | None:
    """The edge near `guess` in the image whose `gradients` are `grads` (see the module
    docstring), or None when it is not found along enough of its length. `others` ((H, W)
    bool): pixels of other objects; samples whose profile reaches them are left out."""
    gu, gv = grads
    h, w = gu.shape[:2]
    p0, p1 = np.asarray(guess.p0, float), np.asarray(guess.p1, float)
    length = float(np.linalg.norm(p1 - p0))
    if not length >= MIN_SAMPLES / (1 - 2 * TRIM):
        return None
    t = (p1 - p0) / length
    n = np.array([-t[1], t[0]])
    along = np.arange(TRIM * length, (1 - TRIM) * length + 1e-9, 1.0)
    base = p0 + along[:, None] * t
    centre = np.zeros(len(along))
    tried = len(along)
    for half in reach:
        offsets = np.arange(-half - STEP, half + STEP + 1e-9, STEP)
        pts = base[:, None, :] + (centre[:, None] + offsets[None, :])[..., None] * n
        inside = ((pts[..., 0] > 1) & (pts[..., 0] < w - 1) & (pts[..., 1] > 1)
                  & (pts[..., 1] < h - 1)).all(axis=1)
        if others is not None:
            iu = np.clip(pts[..., 0].astype(int), 0, w - 1)
            iv = np.clip(pts[..., 1].astype(int), 0, h - 1)
            inside &= ~others[iv, iu].any(axis=1)
        du = _sample(gu, pts[..., 0], pts[..., 1])
        dv = _sample(gv, pts[..., 0], pts[..., 1])
        profile = np.linalg.norm(du * n[0] + dv * n[1], axis=-1)
        found = np.where(inside, _peaks(profile, offsets, np.zeros(len(along))) + centre, np.nan)
        fit = _robust_line(along, found)
        if fit is None or fit[0].sum() < MIN_SHARE * tried:
            return None
        keep, a, b, sd = fit
        centre = a + b * along
    s = along[keep]
    sd = max(sd, OFFSET_FLOOR)
    spread = float(np.sum((s - s.mean()) ** 2))
    slope_sd = sd / math.sqrt(max(spread, 1e-9))
    mid = float(s.mean())
    point = p0 + mid * t + (a + b * mid) * n
    direction = (t + b * n) / math.hypot(1.0, b)
    return Line(point=(float(point[0]), float(point[1])),
                direction=(float(direction[0]), float(direction[1])),
                length=float(np.ptp(s)), offset_sd=sd / math.sqrt(len(s)),
                angle_sd=math.hypot(slope_sd, ANGLE_FLOOR), family=guess.family,
                box=guess.box, samples=int(len(s)))


def edge_segments(grads: tuple[np.ndarray, np.ndarray], mask: np.ndarray, box: int = 0,
                  others: np.ndarray | None = None) -> list[EdgeGuess]:
    """Straight edge segments (at pixel accuracy, `family` -1) in and around `mask` ((H, W)
    bool, widened by `WIDEN` px) of the image whose `gradients` are `grads`: the pixels where
    the colour gradient (the structure tensor's largest eigenvalue) is a local maximum across
    the edge and at least `EDGE_SHARE` of the strongest there, grown into groups of one
    orientation (within `ANGLE_TOLERANCE` degrees of the group's), each fitted by a line; groups
    shorter than `MIN_LENGTH` px or not straight (RMS above 1 px) are dropped. Pixels next to
    `others` (other objects) are left out."""
    gu, gv = grads
    h, w = mask.shape
    a = np.sum(gu * gu, axis=2)
    b = np.sum(gu * gv, axis=2)
    c = np.sum(gv * gv, axis=2)
    strength = np.sqrt((a + c) / 2 + np.sqrt(((a - c) / 2) ** 2 + b ** 2))
    theta = 0.5 * np.arctan2(2 * b, a - c)  # direction of the largest change (u, v)
    zone = ndimage.binary_dilation(mask, iterations=WIDEN)
    if others is not None:
        zone &= ~ndimage.binary_dilation(others)
    rows, cols = np.nonzero(zone)
    if not len(rows):
        return []
    peak = float(np.percentile(strength[rows, cols], 98))
    if peak <= 0:
        return []
    du, dv = np.cos(theta[rows, cols]), np.sin(theta[rows, cols])
    coords_plus = np.stack([rows + dv, cols + du])
    coords_minus = np.stack([rows - dv, cols - du])
    s0 = strength[rows, cols]
    s1 = ndimage.map_coordinates(strength, coords_plus, order=1, mode="nearest")
    s2 = ndimage.map_coordinates(strength, coords_minus, order=1, mode="nearest")
    keep = (s0 >= s1) & (s0 >= s2) & (s0 >= EDGE_SHARE * peak)
    rows, cols = rows[keep], cols[keep]
    cand = np.zeros((h, w), bool)
    cand[rows, cols] = True
    order = np.argsort(-strength[rows, cols], kind="stable")
    seen = np.zeros((h, w), bool)
    tol = math.radians(ANGLE_TOLERANCE)
    out = []
    for i in order:
        r0, c0 = int(rows[i]), int(cols[i])
        if seen[r0, c0]:
            continue
        seen[r0, c0] = True
        group = [(r0, c0)]
        ang = float(theta[r0, c0])
        sx, sy = math.cos(2 * ang), math.sin(2 * ang)
        k = 0
        while k < len(group):
            r, cc = group[k]
            k += 1
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    rr, c2 = r + dr, cc + dc
                    if not (0 <= rr < h and 0 <= c2 < w) or seen[rr, c2] or not cand[rr, c2]:
                        continue
                    t = float(theta[rr, c2])
                    diff = abs((t - ang + math.pi / 2) % math.pi - math.pi / 2)
                    if diff > tol:
                        continue
                    seen[rr, c2] = True
                    group.append((rr, c2))
                    sx, sy = sx + math.cos(2 * t), sy + math.sin(2 * t)
                    ang = 0.5 * math.atan2(sy, sx)
        if len(group) < MIN_SAMPLES:
            continue
        pts = np.array([(cc + 0.5, r + 0.5) for r, cc in group], float)
        centre = pts.mean(axis=0)
        _, _, vt = np.linalg.svd(pts - centre, full_matrices=False)
        t = vt[0]
        along = (pts - centre) @ t
        across = (pts - centre) @ vt[1]
        if float(np.ptp(along)) + 1 < MIN_LENGTH or float(np.sqrt(np.mean(across ** 2))) > 1.0:
            continue
        p0, p1 = centre + along.min() * t, centre + along.max() * t
        out.append(EdgeGuess(p0=(float(p0[0]), float(p0[1])), p1=(float(p1[0]), float(p1[1])),
                             family=-1, box=box))
    return out


def _vps(x: np.ndarray, size: tuple[int, int], boxes: np.ndarray) -> np.ndarray:
    """Homogeneous vanishing points (N, 3, 3): per line's box, families 0, 1 (horizontal) and 2
    (vertical), for parameters x = (row, log f, psi_1, ...)."""
    cx, cy = size[0] / 2, size[1] / 2
    row, f = x[0], math.exp(x[1])
    g = math.sqrt(f * f + (cy - row) ** 2)
    psi = x[2:][boxes]
    c, s = np.cos(psi), np.sin(psi)
    one = np.ones_like(c)
    vp0 = np.stack([cx * c + g * s, row * c, c], axis=-1)
    vp1 = np.stack([-cx * s + g * c, -row * s, -s], axis=-1)
    d = cy - row
    vp2 = np.stack([cx * d * one, (cy * d + f * f) * one, d * one], axis=-1)
    return np.stack([vp0, vp1, vp2], axis=1)


def _all_residuals(x: np.ndarray, data: dict, size: tuple[int, int]) -> np.ndarray:
    """(N, 3) normalised residuals of every line against each family's vanishing point."""
    vp = _vps(x, size, data["box"])
    m, t = data["m"][:, None, :], data["t"][:, None, :]
    d = vp[..., :2] - m * vp[..., 2:3]
    norm = np.maximum(np.hypot(d[..., 0], d[..., 1]), 1e-12)
    sine = (t[..., 0] * d[..., 1] - t[..., 1] * d[..., 0]) / norm
    sd = np.hypot(data["angle_sd"][:, None], data["offset_sd"][:, None] * np.abs(vp[..., 2]) / norm)
    return sine / sd


def _fixed_residuals(x: np.ndarray, data: dict, size: tuple[int, int], family: np.ndarray,
                     focal0: float) -> np.ndarray:
    r = _all_residuals(x, data, size)[np.arange(len(family)), family]
    return np.append(r, (x[1] - math.log(focal0)) / FOCAL_PRIOR_SD)


def _cauchy(r: np.ndarray) -> np.ndarray:
    return np.log1p((r / CAUCHY) ** 2)


def fit_horizon(lines: Sequence[Line], size: tuple[int, int], *, focal: float,
                pitches: Sequence[float] = (15.0, 30.0, 45.0, 60.0),
                lens_factors: Sequence[float] = (0.75, 1.3)) -> BoxHorizon | None:
    """The joint fit of the horizon row, log f and every box's turn to `lines` whose families
    are unknown (see the module docstring); `focal` (px) is the prior's centre, `pitches`
    (degrees) and `lens_factors` (times `focal`) the starts tried. None without enough lines
    (or fewer than two horizontal inliers), or when the fit fails."""
    if len(lines) < MIN_LINES:
        return None
    boxes = sorted({ln.box for ln in lines})
    data = {"m": np.array([ln.point for ln in lines]), "t": np.array([ln.direction for ln in lines]),
            "angle_sd": np.array([ln.angle_sd for ln in lines]),
            "offset_sd": np.array([ln.offset_sd for ln in lines]),
            "box": np.array([boxes.index(ln.box) for ln in lines])}
    cy = size[1] / 2
    grid = np.radians(np.arange(0.75, 90.0, 1.5))  # psi and psi + 90 degrees swap the families
    best = None
    for pitch in pitches:
        for factor in lens_factors:
            f0 = focal * factor
            row0 = cy - f0 * math.tan(math.radians(pitch))
            psis = np.zeros(len(boxes))
            for k in range(len(boxes)):
                own = {key: v[data["box"] == k] for key, v in data.items()}
                own["box"] = np.zeros(len(own["m"]), int)
                costs = [float(_cauchy(np.min(np.abs(_all_residuals(
                    np.array([row0, math.log(f0), p]), own, size)), axis=1)).sum()) for p in grid]
                psis[k] = grid[int(np.argmin(costs))]
            x = np.concatenate([[row0, math.log(f0)], psis])
            for _ in range(3):
                family = np.argmin(np.abs(_all_residuals(x, data, size)), axis=1)
                try:
                    res = least_squares(_fixed_residuals, x, args=(data, size, family, focal),
                                        loss="cauchy", f_scale=CAUCHY,
                                        x_scale=np.concatenate([[focal, 0.3], np.full(len(boxes), 0.2)]))
                except (ValueError, np.linalg.LinAlgError):
                    break
                x = res.x
            family = np.argmin(np.abs(_all_residuals(x, data, size)), axis=1)
            r = _fixed_residuals(x, data, size, family, focal)
            cost = float(_cauchy(r[:-1]).sum() + r[-1] ** 2 / 2)
            if math.isfinite(cost) and (best is None or cost < best[0]):
                best = (cost, x, family)
    if best is None:
        return None
    _, x, family = best
    r = _fixed_residuals(x, data, size, family, focal)[:-1]
    inlier = np.abs(r) <= 3.0
    horizontal = inlier & (family < 2)
    if horizontal.sum() < 2 or inlier.sum() < MIN_LINES:
        return None
    # a plain least-squares step on the inliers gives the curvature
    sub = {key: v[inlier] for key, v in data.items()}
    try:
        res = least_squares(_fixed_residuals, x, args=(sub, size, family[inlier], focal))
    except (ValueError, np.linalg.LinAlgError):
        return None
    x = res.x
    jac = res.jac
    try:
        cov = np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return None
    rr = res.fun[:-1]
    chi2 = float(rr @ rr) / max(len(rr) - len(x) + 1, 1)
    cov *= max(chi2, 1.0)
    row_sd = math.sqrt(max(float(cov[0, 0]), 0.0))
    if not row_sd <= MAX_SD:
        return None
    used = tuple(replace(ln, family=int(fam)) for ln, fam, ok in zip(lines, family, inlier) if ok)
    f, h = math.exp(x[1]), size[1] / 2 - x[0]
    grad = np.array([-f, -h * f]) / (f * f + h * h)  # d pitch / d (row, log f), radians
    tilt_sd = math.degrees(math.sqrt(max(float(grad @ cov[:2, :2] @ grad), 0.0)))
    return BoxHorizon(row=float(x[0]), row_sd=row_sd, focal=f,
                      focal_sd=math.sqrt(max(float(cov[1, 1]), 0.0)),
                      tilt=math.degrees(math.atan2(h, f)), tilt_sd=tilt_sd,
                      turns=tuple(float(math.degrees(p) % 180.0) for p in x[2:]),
                      lines=used, size=size)


def box_lines(image: np.ndarray, regions: Sequence[np.ndarray], *,
              others: Sequence[np.ndarray] | None = None) -> list[Line]:
    """The straight edges of the box `regions` ((H, W) bool each) in `image` ((H, W, C)
    floats, e.g. linear RGB): `edge_segments`, each located to a fraction of a pixel by
    `measure_line` (`box`: the region's index). `others[k]`, when given, marks the pixels of
    the objects other than box k: its edges are not measured next to them."""
    grads = gradients(image)
    lines = []
    for k, mask in enumerate(regions):
        near = None if others is None else ndimage.binary_dilation(others[k])
        for seg in edge_segments(grads, mask, k, None if others is None else others[k]):
            line = measure_line(grads, seg, near, reach=(LOCAL, REFINE))
            if line is not None and line.length >= MIN_LENGTH:
                lines.append(line)
    return lines


def box_horizon(image: np.ndarray, regions: Sequence[np.ndarray], *, focal: float,
                others: Sequence[np.ndarray] | None = None) -> BoxHorizon | None:
    """The horizon measured on the edges of the box `regions` in `image` (`box_lines`, then
    `fit_horizon`), or None (see the module docstring). `focal` (px): the current focal
    length (the prior's centre)."""
    if not len(regions):
        return None
    h, w = np.asarray(image).shape[:2]
    return fit_horizon(box_lines(image, regions, others=others), (w, h), focal=focal)
