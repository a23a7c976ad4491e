"""The vertical vanishing point from the straight vertical outlines of objects (pure numpy).

Upright cylinders and boxes standing on the ground show vertical 3D lines on their outlines
(a cylinder's two side silhouettes, a box's outermost vertical edges). Through a camera without
roll that looks down by `pitch`, every vertical line's image passes through the *vertical
vanishing point*, on the centre column `K = f * cot(pitch)` pixels below the image centre (f:
focal length in pixels). A near-vertical straight outline whose midpoint sits `u` px right and
`v` px below the centre therefore leans by `du/dv = -u / (K - v)`: the farther from the centre
column, the more it leans, and the shorter `K`, the more. Silhouette IoU hardly sees this
(a few pixels of lean on small objects), so it is measured here directly; with the pitch (from
the silhouettes or the horizon) it gives the focal length, `f = K * tan(pitch)`
(`VerticalVanishing.focal`), which render-and-compare leaves nearly undetermined.

Method (`vertical_vanishing`): for each object region, the leftmost and rightmost pixel of each
row (rows where the outline touches the image border or another region are left out), refined
to a fraction of a pixel from the image's anti-aliased edge when an image is given
(`subpixel_edge`); on each side the longest run of rows that is straight (`straight_run`: RMS
residual of a line fit at most `MAX_RMS` px, and bending by at most `MAX_BEND` px over the run
(a quadratic fit), so sphere and ellipse arcs are left out) at least `MIN_ROWS` rows and a
`MIN_SHARE` of the region's height long and within `MAX_LEAN` of vertical is one edge
(`TRIM` of its rows dropped at each end); an edge leaning away from a vanishing point below
the image (beyond three of its standard deviations) is left out, and a region whose two edges
converge upwards (a cone) gives none. `K` is the weighted
least-squares fit (Cauchy-robust, weights from each edge's slope uncertainty) of all edges'
leans; its relative uncertainty comes from the fit's curvature, scaled up by the residuals'
spread. None when fewer than `MIN_EDGES` edges from `MIN_REGIONS` regions agree, or when the
uncertainty exceeds `MAX_SD` (spheres, tori, cones only; tiny objects; edges too near the
centre column to lean measurably); callers may ask for a smaller sd (the offline draft: 0.15).

Measured on the loop-size (256 x 171/192 px) bench targets, regions classified as spheres, cones
or tori skipped: 25 of 30 CLEVR scenes give an estimate, |K error| 5.0% on average (26% at
most), and 12 of 24 own-tier scenes, 8.1% (21% at most); the stated sd is conservative there
(error / sd has an RMS of 0.5-0.8).

Units: pixels of the image given, rows down, columns right, the image centre (W/2, H/2) in
continuous pixel coordinates (pixel j spans [j, j + 1)) as the principal point (the
`scenelang.backends.camera` convention).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_ROWS = 8
"""Rows an edge must span at least."""
MIN_SHARE = 0.35
"""...and at least this share of its region's height."""
MAX_RMS = 0.4
"""Largest RMS residual (px) of a straight edge's line fit."""
MAX_BEND = 0.6
"""Largest sagitta (px) a quadratic fit may show over a straight edge's length."""
MAX_LEAN = 0.45
"""Largest |du/dv| (about 24 degrees from vertical) an edge may have."""
TRIM = 0.2
"""Share of a straight run's rows dropped at each end (at least one row) before its slope is
measured: where the side meets a top or bottom ellipse the outline curves away gently."""
SLOPE_FLOOR = 0.012
"""Slope uncertainty (du/dv) added in quadrature to every edge's own: segmentation bias."""
MIN_EDGES = 3
"""Edges needed for an estimate."""
MIN_REGIONS = 2
"""Regions the agreeing edges must come from (one object's two sides can mislead together)."""
MAX_SD = 0.5
"""Largest relative uncertainty of K an estimate may have (a loose bound: callers choose
their own)."""
K_RANGE = (20.0, 20000.0)
"""Range (px) of K searched: from a steep look down with a wide lens to nearly level."""


@dataclass(frozen=True)
class Edge:
    """One straight, near-vertical outline: midpoint `u`, `v` (px from the image centre, right
    and down), `slope` du/dv and its standard deviation `slope_sd`, `rows` spanned, the
    region's index and `side` (-1 left, +1 right)."""

    u: float
    v: float
    slope: float
    slope_sd: float
    rows: int
    region: int
    side: int


@dataclass(frozen=True)
class VerticalVanishing:
    """The vertical vanishing point `k` px below the image centre (`f * cot(pitch)`), its
    relative standard deviation `sd`, the `edges` used and the image `size` (W, H)."""

    k: float
    sd: float
    edges: tuple[Edge, ...]
    size: tuple[int, int]

    def focal(self, pitch: float) -> float:
        """Focal length (px) for a camera looking down by `pitch` degrees: K * tan(pitch)."""
        return self.k * math.tan(math.radians(pitch))

    def lens(self, pitch: float, sensor: float = 36.0) -> float:
        """`focal(pitch)` as a lens (mm) on a `sensor` mm sensor spanning max(W, H)."""
        return self.focal(pitch) * sensor / max(self.size)

    def pitch(self, focal: float) -> float:
        """Pitch (degrees) for a focal length of `focal` px: atan(f / K)."""
        return math.degrees(math.atan2(focal, self.k))


def subpixel_edge(row: np.ndarray, j: int, side: int) -> float | None:
    """Position (continuous px) of the edge between the object pixel `j` and the outside on
    `side` (-1: outside to the left, +1: to the right) in one image `row` ((W, C) floats), from
    the coverage of the two pixels next to it (anti-aliasing): each pixel's colour between the
    outside's (two pixels out) and the inside's (two pixels in). None without room or contrast."""
    w = len(row)
    out_j, in_j = j + 2 * side, j - 2 * side
    if not (0 <= out_j < w and 0 <= in_j < w):
        return None
    outside, inside = row[out_j], row[in_j]
    span = inside - outside
    contrast = float(span @ span)
    if contrast < 1e-3:
        return None
    a = [float(np.clip((row[k] - outside) @ span / contrast, 0.0, 1.0)) for k in (j, j + side)]
    # pixel k spans [k, k + 1): the object covers (k + 1 - x) of it left of an edge at x
    return j + 1 - (a[0] + a[1]) if side < 0 else j + a[0] + a[1]


def straight_run(y: np.ndarray, x: np.ndarray) -> tuple[int, int] | None:
    """The longest run `y[a:b]` (consecutive rows) where x(y) is straight (see the module
    docstring), as (a, b); None when none is `MIN_ROWS` long."""
    n = len(y)
    if n < MIN_ROWS:
        return None
    breaks = np.flatnonzero(np.diff(y) != 1) + 1
    c = [np.concatenate([[0.0], np.cumsum(t)]) for t in (np.ones(n), y, x, y * y, x * y, x * x)]
    a, b = np.meshgrid(np.arange(n), np.arange(n + 1), indexing="ij")
    ok = b - a >= MIN_ROWS
    for k in breaks:  # runs do not cross a gap in the rows
        ok &= ~((a < k) & (b > k))
    s = [ci[b] - ci[a] for ci in c]
    with np.errstate(divide="ignore", invalid="ignore"):
        syy = s[3] - s[1] ** 2 / s[0]
        sxy = s[4] - s[1] * s[2] / s[0]
        sxx = s[5] - s[2] ** 2 / s[0]
        rss = sxx - sxy ** 2 / syy
        ok &= rss <= MAX_RMS ** 2 * s[0]
    cand = np.argwhere(ok)
    if not len(cand):
        return None
    order = np.argsort(-(cand[:, 1] - cand[:, 0]), kind="stable")
    for i in order[:50]:
        lo, hi = int(cand[i, 0]), int(cand[i, 1])
        yy, xx = y[lo:hi], x[lo:hi]
        t = (yy - yy.mean()) / max(float(np.ptp(yy)), 1.0)
        quad = np.polyfit(t, xx, 2)[0]  # bend over the run: quad * (1/2)^2 at the ends
        if abs(quad) / 4 <= MAX_BEND:
            return lo, hi
    return None


def region_edges(mask: np.ndarray, others: np.ndarray, image: np.ndarray | None,
                 index: int = 0) -> list[Edge]:
    """The straight near-vertical left and right outline edges of one region `mask` ((H, W)
    bool); `others` marks the other regions' pixels (outlines next to them are occlusions)."""
    h, w = mask.shape
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) < MIN_ROWS:
        return []
    height = rows[-1] - rows[0] + 1
    out = []
    ends = {}
    for side in (-1, 1):
        ys, xs = [], []
        for r in rows[1:-1]:  # the first and last rows are ellipse or cap tops
            cols = np.flatnonzero(mask[r])
            j = int(cols[0] if side < 0 else cols[-1])
            nb = j + side
            if nb < 0 or nb >= w or others[r, max(nb - 1, 0):nb + 2].any():
                continue
            x = subpixel_edge(image[r], j, side) if image is not None else None
            if x is None:
                x = float(j if side < 0 else j + 1)
            ys.append(r + 0.5)
            xs.append(x)
        y, x = np.array(ys), np.array(xs)
        run = straight_run(y - 0.5, x) if len(y) else None
        if run is None or run[1] - run[0] < MIN_SHARE * height:
            continue
        # the run's ends may still follow the top or bottom ellipse a little: trimmed
        trim = max(1, round(TRIM * (run[1] - run[0])))
        yy, xx = y[run[0] + trim:run[1] - trim], x[run[0] + trim:run[1] - trim]
        dy = yy - yy.mean()
        slope = float((dy @ (xx - xx.mean())) / (dy @ dy))
        if abs(slope) > MAX_LEAN:
            continue
        resid = xx - xx.mean() - slope * dy
        sigma = max(float(np.sqrt(resid @ resid / max(len(yy) - 2, 1))), 0.25)
        sd = math.hypot(sigma / math.sqrt(float(dy @ dy)), SLOPE_FLOOR)
        u = float(xx.mean() - w / 2)
        if slope * math.copysign(1.0, u) > 3 * sd:
            # leaning away from a vanishing point below the image (a cone's or a top's edge)
            continue
        out.append(Edge(u=u, v=float(yy.mean() - h / 2), slope=slope,
                        slope_sd=sd, rows=len(yy), region=index, side=side))
        ends[side] = (float(yy.mean()), float(xx.mean()), slope)
    if len(ends) == 2:
        # two sides converging upwards (a cone, a pyramid): not vertical lines
        if ends[1][2] - ends[-1][2] > 2 * SLOPE_FLOOR + 0.03:
            return []
    return out


def predicted_slope(u: np.ndarray, v: np.ndarray, k: float) -> np.ndarray:
    """du/dv of a vertical line's image through (u, v) for a vertical vanishing point `k` px
    below the centre."""
    return -u / (k - v)


def fit_k(edges: Sequence[Edge]) -> tuple[float, float, np.ndarray] | None:
    """(K, relative sd, inlier flags) fitted to `edges` (see the module docstring)."""
    u = np.array([e.u for e in edges])
    v = np.array([e.v for e in edges])
    s = np.array([e.slope for e in edges])
    sd = np.array([e.slope_sd for e in edges])
    ws = np.linspace(1.0 / K_RANGE[1], 1.0 / K_RANGE[0], 4000)  # w = 1 / K

    def residuals(w: np.ndarray) -> np.ndarray:
        w = np.atleast_1d(w)[:, None]
        return (s + u * w / np.maximum(1.0 - v * w, 1e-6)) / sd

    cost = np.log1p((residuals(ws) / 2.0) ** 2).sum(axis=1)  # Cauchy, scale 2 sd
    w0 = float(ws[int(np.argmin(cost))])
    inlier = np.abs(residuals(w0)[0]) <= 3.0
    if inlier.sum() < MIN_EDGES:
        return None
    u, v, s, sd = u[inlier], v[inlier], s[inlier], sd[inlier]
    # least squares on the inliers: Gauss-Newton from w0
    w = w0
    for _ in range(10):
        d = np.maximum(1.0 - v * w, 1e-6)
        r = (s + u * w / d) / sd
        jac = (u / d ** 2) / sd
        step = -float(jac @ r) / max(float(jac @ jac), 1e-300)
        w = float(np.clip(w + step, 1.0 / K_RANGE[1], 1.0 / K_RANGE[0]))
        if abs(step) < 1e-9:
            break
    d = np.maximum(1.0 - v * w, 1e-6)
    r = (s + u * w / d) / sd
    jac = (u / d ** 2) / sd
    info = float(jac @ jac)
    if info <= 0:
        return None
    chi2 = float(r @ r) / max(len(r) - 1, 1)
    sd_w = math.sqrt(max(chi2, 1.0) / info)
    return 1.0 / w, sd_w / w, inlier


def vertical_vanishing(regions: Sequence[np.ndarray], image: np.ndarray | None = None, *,
                       skip: Sequence[bool] | None = None) -> VerticalVanishing | None:
    """The vertical vanishing point of the objects `regions` ((H, W) bool masks) in `image`
    ((H, W, C) floats, e.g. linear RGB; None: the masks' own pixel edges), or None when the
    evidence is weak (see the module docstring). `skip[i]` leaves region i out as a source of
    edges (e.g. one fitted as a sphere or cone); it still counts as an occluder."""
    if not regions:
        return None
    h, w = regions[0].shape
    union = np.zeros((h, w), bool)
    for m in regions:
        union |= m
    edges: list[Edge] = []
    for i, m in enumerate(regions):
        if skip is not None and skip[i]:
            continue
        edges.extend(region_edges(m, union & ~m, image, i))
    if len(edges) < MIN_EDGES:
        return None
    fit = fit_k(edges)
    if fit is None:
        return None
    k, sd, inlier = fit
    if not sd <= MAX_SD:
        return None
    used = tuple(e for e, ok in zip(edges, inlier) if ok)
    if len({e.region for e in used}) < MIN_REGIONS:
        return None
    return VerticalVanishing(k=float(k), sd=float(sd), edges=used, size=(w, h))
