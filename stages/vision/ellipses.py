"""Ellipses of horizontal circles in an image, and the camera they imply (pure numpy).

A circle lying in a horizontal plane (a cylinder's top rim, a torus's centre line) projects to
an ellipse whose minor/major ratio is about sin(theta), theta the angle by which the view ray
to the circle's centre looks down below the horizontal: theta = pitch + atan((v - cy) / f)
for a camera without roll (v the image row of the centre, f the focal length in px). A few
such ellipses at different rows give the pitch (and, weakly, f); with the vertical vanishing
point K (`vision.vanishing`, f = K tan(pitch)) one is enough.

Measurement (`measure_circles`, per object region and the kind fitted to it):

* cylinder (`cylinder_top`): the top rim's upper arc is the region's upper outline (each
  column's first row, refined to a fraction of a pixel from the anti-aliased edge,
  `vision.vanishing.subpixel_edge`); its lower arc is the shading edge between the top face
  and the side inside the region (each column's strongest colour step below the outline,
  refined by a parabola). A conic is fitted to both arcs robustly (`robust_ellipse`: the best
  of `RANSAC_TRIES` five-point ellipses drawn from both arcs, refitted by direct least squares
  to the points within `INLIER_PX`). Rejected when the fit leaves an RMS residual above
  `MAX_RMS` px, when too few columns show the inner edge, when the ellipse's extreme does not
  meet the region's side at its centre row (`SIDE_PX` or `WIDTH_TOLERANCE`), or when the
  region does not reach below the rim (no side).
* torus (`torus_rings`): the hole is background enclosed by the region. With the region's top
  row t_o (outer top), the hole's top and bottom rows t_i, b_i at the hole's centre column and
  the region's half width A: tube radius r = (t_i - t_o) / 2, ring radius R = A - r, and
  R sin(theta) = (b_i - t_i) / 2 + r (the outlines are the ring's ellipse offset by r).

Each `Circle` carries its centre (u, v, continuous px), semi-major axis `a` (px), the
measured `ratio` and its standard deviation `sd` (the fit's residuals propagated, plus
`RATIO_FLOOR` in quadrature for segmentation bias).

Camera (`circle_camera`): the ratios predicted exactly for a camera of pitch p and focal f
(`predicted_ratio`: the projection of a small horizontal circle seen through the measured
centre, perspective included) are compared with the measured ones on a grid of p (and f when
K is not given, with a weak prior on the lens); Cauchy-robust, then points beyond
`OUTLIER_SIGMAS` are dropped and the fit repeated. The pitch's sd is where chi-square rises by
one, scaled by the reduced chi-square when above 1.

Units: pixels of the image given (pixel j spans [j, j + 1)), the principal point at (W/2, H/2);
pitch degrees below the horizontal; lens mm on a 36 mm sensor spanning max(W, H).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from scenelang.stages.vision.vanishing import subpixel_edge

MIN_WIDTH = 10
"""Smallest region width (px) measured."""
MAX_RMS = 0.45
"""Largest RMS residual (px) of a rim's conic fit."""
MIN_INNER_SHARE = 0.5
"""Share of the top rim's middle columns that must show the inner (top face / side) edge."""
WIDTH_TOLERANCE = 0.12
"""Relative difference allowed between the fitted rim's width and the region's."""
RATIO_FLOOR = 0.02
"""Ratio uncertainty added in quadrature to every circle's own (segmentation bias)."""
OUTLIER_SIGMAS = 3.0
"""Circles whose residual at the best camera exceeds this many sd are dropped."""
PITCH_GRID = np.arange(5.0, 80.0001, 0.1)
"""Pitches (degrees) `circle_camera` evaluates."""
LENS_GRID = np.exp(np.linspace(math.log(15.0), math.log(150.0), 121))
"""Lenses (mm, 36 mm sensor) `circle_camera` evaluates when K is not given."""
LENS_PRIOR = (45.0, 0.5)
"""Weak prior on the lens without K: (mm, sd in octaves)."""


@dataclass(frozen=True)
class Circle:
    """One measured horizontal circle: centre (`u`, `v`, continuous px), semi-major axis `a`
    (px), minor/major `ratio`, its sd, the region index and the `kind` measured."""

    u: float
    v: float
    a: float
    ratio: float
    sd: float
    region: int = 0
    kind: str = "cylinder"


@dataclass(frozen=True)
class CircleCamera:
    """The camera `circle_camera` finds: `pitch` (deg) and its sd, `lens` (mm, 36 mm sensor;
    from K when given) and its relative sd, and the circles used."""

    pitch: float
    pitch_sd: float
    lens: float
    lens_sd: float
    circles: tuple[Circle, ...]
    chi2: float
    size: tuple[int, int] = (0, 0)
    scale: float = 1.0
    """The reduced chi-square (at least 1) the circles' sd are scaled by."""
    tied: bool = False
    """True when the lens came from a horizon or a vertical vanishing point."""

    def chi2_at(self, pitch: float, lens: float, sensor: float = 36.0) -> float:
        """The circles' chi-square (sd scaled by `scale`) for a camera of `pitch` (deg) and
        `lens` (mm on a `sensor` mm sensor), minus the best camera's: 0 at the estimate. When
        the lens is not `tied`, `LENS_PRIOR`'s term is included (the circles alone hardly
        see the lens)."""
        focal = np.array(lens * max(self.size) / sensor)
        pred = _ratios(self.circles, np.array(float(pitch)), focal, self.size)
        meas = np.array([c.ratio for c in self.circles])
        sd = np.array([c.sd for c in self.circles])
        out = float((((pred - meas) / sd) ** 2).sum() - self.chi2) / self.scale
        if not self.tied:
            out += _lens_prior(lens * 36.0 / sensor) - _lens_prior(self.lens)
        return out


# ------------------------------------------------------------------------------ conics


def fit_conic(x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Coefficients (A, B, C, D, E, F) of the ellipse A x^2 + B xy + C y^2 + D x + E y + F = 0
    fitted to the points (Halir and Flusser's stable direct least squares), or None."""
    if len(x) < 6:
        return None
    mx, my = x.mean(), y.mean()
    s = max(float(np.std(x)), float(np.std(y)), 1e-9)
    xs, ys = (x - mx) / s, (y - my) / s
    d1 = np.stack([xs * xs, xs * ys, ys * ys], axis=1)
    d2 = np.stack([xs, ys, np.ones_like(xs)], axis=1)
    s1, s2, s3 = d1.T @ d1, d1.T @ d2, d2.T @ d2
    try:
        t = -np.linalg.solve(s3, s2.T)
    except np.linalg.LinAlgError:
        return None
    m = s1 + s2 @ t
    m = np.array([m[2] / 2, -m[1], m[0] / 2])
    vals, vecs = np.linalg.eig(m)
    vecs = np.real(vecs)
    cond = 4 * vecs[0] * vecs[2] - vecs[1] ** 2
    ok = np.flatnonzero(cond > 0)
    if not len(ok):
        return None
    a1 = vecs[:, ok[0]]
    a2 = t @ a1
    a, b, c, d, e, f = (*a1, *a2)
    # back to pixel coordinates: x' = (x - mx) / s
    A_, B_, C_ = a / s**2, b / s**2, c / s**2
    D_ = d / s - 2 * a * mx / s**2 - b * my / s**2
    E_ = e / s - 2 * c * my / s**2 - b * mx / s**2
    F_ = (f + a * mx**2 / s**2 + b * mx * my / s**2 + c * my**2 / s**2
          - d * mx / s - e * my / s)
    return np.array([A_, B_, C_, D_, E_, F_])


def conic_geometry(k: np.ndarray) -> tuple[float, float, float, float] | None:
    """(centre x, centre y, semi-major, semi-minor) of the ellipse with coefficients `k`."""
    a, b, c, d, e, f = k
    m = np.array([[a, b / 2], [b / 2, c]])
    det = float(np.linalg.det(m))
    if det <= 0:
        return None
    centre = -np.linalg.solve(m, np.array([d / 2, e / 2]))
    f0 = f + 0.5 * (d * centre[0] + e * centre[1])
    lam = np.linalg.eigvalsh(m)
    axes2 = -f0 / lam
    if np.any(axes2 <= 0):
        return None
    major, minor = math.sqrt(float(axes2.max())), math.sqrt(float(axes2.min()))
    return float(centre[0]), float(centre[1]), major, minor


def sampson(k: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """First-order geometric distance (px) of the points to the conic `k`."""
    a, b, c, d, e, f = k
    val = a * x * x + b * x * y + c * y * y + d * x + e * y + f
    gx, gy = 2 * a * x + b * y + d, b * x + 2 * c * y + e
    return val / np.maximum(np.hypot(gx, gy), 1e-12)


def _sampson_batch(k: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """`sampson` for a batch of conics `k` (N, 6) at the points: (N, P)."""
    a, b, c, d, e, f = (k[:, i:i + 1] for i in range(6))
    val = a * x * x + b * x * y + c * y * y + d * x + e * y + f
    gx, gy = 2 * a * x + b * y + d, b * x + 2 * c * y + e
    return val / np.maximum(np.hypot(gx, gy), 1e-12)


RANSAC_TRIES = 300
"""Five-point samples `robust_ellipse` tries (fixed seed: deterministic)."""
INLIER_PX = 0.6
"""Distance (px) within which a point supports a sampled ellipse."""


def robust_ellipse(x: np.ndarray, y: np.ndarray, group: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """A conic fitted to the points robustly: `RANSAC_TRIES` five-point ellipses (drawn
    from both `group`s, e.g. the upper and the lower arc, when given), the one with the most
    points within `INLIER_PX` (ties: the smaller sum of distances) refitted to those by direct
    least squares, then the inliers within 3 robust sigmas (at least `INLIER_PX`) refitted.
    Returns (coefficients, inlier flags) or None."""
    n = len(x)
    if n < 6:
        return None
    group = np.zeros(n, bool) if group is None else np.asarray(group, bool)
    rng = np.random.default_rng(0)
    first, second = np.flatnonzero(~group), np.flatnonzero(group)
    samples = []
    for t in range(RANSAC_TRIES):
        if len(first) >= 3 and len(second) >= 3:
            na = 3 if t % 2 else 2
            pick = np.concatenate([rng.choice(first, na, replace=False),
                                   rng.choice(second, 5 - na, replace=False)])
        else:
            pick = rng.choice(n, 5, replace=False)
        samples.append(pick)
    idx = np.array(samples)
    xs, ys = x[idx], y[idx]
    mx, my = x.mean(), y.mean()
    s = max(float(np.std(x)), float(np.std(y)), 1e-9)
    u, v = (xs - mx) / s, (ys - my) / s
    design = np.stack([u * u, u * v, v * v, u, v, np.ones_like(u)], axis=-1)
    _, _, vt = np.linalg.svd(design)
    k = vt[:, -1, :]
    ok = 4 * k[:, 0] * k[:, 2] - k[:, 1] ** 2 > 0
    if not ok.any():
        return None
    k = k[ok]
    r = np.abs(_sampson_batch(k, ((x - mx) / s)[None], ((y - my) / s)[None])) * s
    support = (r < INLIER_PX).sum(axis=1) - np.minimum(r, INLIER_PX).sum(axis=1) / (INLIER_PX * n)
    keep = r[int(np.argmax(support))] < INLIER_PX
    best = None
    for _ in range(2):
        if keep.sum() < 6:
            return None
        best = fit_conic(x[keep], y[keep])
        if best is None:
            return None
        res = np.abs(sampson(best, x, y))
        sigma = 1.4826 * float(np.median(res[keep]))
        keep = res <= max(3 * sigma, INLIER_PX)
    return best, keep


# ------------------------------------------------------------------------------ measurement


def _luminance(image: np.ndarray) -> np.ndarray:
    return image.mean(axis=2) if image.ndim == 3 else image


def cylinder_top(mask: np.ndarray, others: np.ndarray, image: np.ndarray, index: int = 0
                 ) -> Circle | None:
    """The top rim of an upright cylinder in region `mask` (see the module docstring), or
    None. `others`: the other regions' pixels (outlines next to them are occlusions)."""
    h, w = mask.shape
    cols = np.flatnonzero(mask.any(axis=0))
    if len(cols) < MIN_WIDTH:
        return None
    j0, j1 = int(cols[0]), int(cols[-1])
    width = j1 - j0 + 1
    img = image if image.ndim == 3 else image[..., None]
    ux, uy, lx, ly = [], [], [], []
    middle = 0
    for j in range(j0, j1 + 1):
        rows = np.flatnonzero(mask[:, j])
        if not len(rows):
            continue
        i0 = int(rows[0])
        if i0 < 2 or others[max(i0 - 2, 0):i0, j].any():
            continue
        y = subpixel_edge(img[:, j], i0, -1)
        if y is None:
            continue
        ux.append(j + 0.5)
        uy.append(y)
        # the inner edge: the strongest colour step below the outline, within the top face's
        # plausible depth (a circle seen from above: at most as tall as it is wide)
        t = (j - j0 + 0.5) / width
        if not 0.15 <= t <= 0.85:
            continue
        middle += 1
        run = rows[rows <= i0 + width]
        run = run[np.concatenate([[True], np.diff(run) == 1])]
        stop = i0 + 1 + int(np.argmin(np.diff(run) == 1)) if len(run) > 1 else i0
        lo, hi = i0 + 2, min(int(run[-1]), stop if stop > i0 + 2 else int(run[-1])) - 1
        if hi - lo < 2:
            continue
        col = img[lo:hi + 2, j]
        g = np.linalg.norm(np.diff(col, axis=0), axis=1)  # step between pixel k and k + 1
        k = int(np.argmax(g))
        if g[k] < 0.02 * max(float(np.linalg.norm(col.mean(axis=0))), 1e-3):
            continue
        delta = 0.0
        if 0 < k < len(g) - 1:
            den = g[k - 1] - 2 * g[k] + g[k + 1]
            if den < 0:
                delta = float(np.clip(0.5 * (g[k - 1] - g[k + 1]) / den, -0.5, 0.5))
        lx.append(j + 0.5)
        ly.append(lo + k + 1 + delta)
    if middle < 4 or len(lx) < MIN_INNER_SHARE * middle or len(ux) < 6:
        return None
    x = np.array(ux + lx)
    y = np.array(uy + ly)
    found = robust_ellipse(x, y, np.arange(len(x)) >= len(ux))
    if found is None:
        return None
    k, keep = found
    geo = conic_geometry(k)
    if geo is None:
        return None
    cx, cy, major, minor = geo
    upper = keep[:len(ux)].sum()
    lower = keep[len(ux):].sum()
    if lower < MIN_INNER_SHARE * middle or upper < 6:
        return None
    r = sampson(k, x[keep], y[keep])
    rms = float(np.sqrt(np.mean(r * r)))
    if rms > MAX_RMS:
        return None
    if not _spans_region(mask, cx, cy, k) or cy + minor + 1 > np.flatnonzero(mask.any(axis=1))[-1]:
        return None
    ratio = minor / major
    if not 0.05 < ratio < 0.98:
        return None
    sd_minor = max(rms, 0.15) * (math.sqrt(2.0 / lower) + math.sqrt(2.0 / upper))
    sd = math.hypot(sd_minor / major, RATIO_FLOOR)
    return Circle(u=cx, v=cy, a=major, ratio=ratio, sd=sd, region=index, kind="cylinder")


def _spans_region(mask: np.ndarray, cx: float, cy: float, k: np.ndarray) -> bool:
    """True when the ellipse `k` (centre `cx`, `cy`) lies within the region's columns at its
    centre row and touches the region's outline there on at least one side (the cylinder's
    side is tangent to its top rim; a shadow or a neighbour may widen the other side), within
    `SIDE_PX` px or `WIDTH_TOLERANCE` of the half width."""
    i = int(math.floor(cy))
    if not 0 <= i < mask.shape[0]:
        return False
    cols = np.flatnonzero(mask[i])
    if not len(cols):
        return False
    a, b, c, d, e, f = k
    # the ellipse's horizontal extent: x where the conic at row cy has a double root... take the
    # extreme x of the ellipse: solve d/dy = 0 -> b x + 2 c y + e = 0 on the conic
    # parametrise y = -(b x + e) / (2 c) and solve the quadratic in x
    qa = a - b * b / (4 * c)
    qb = d - b * e / (2 * c)
    qc = f - e * e / (4 * c)
    disc = qb * qb - 4 * qa * qc
    if disc <= 0 or qa == 0:
        return False
    roots = sorted(((-qb - math.sqrt(disc)) / (2 * qa), (-qb + math.sqrt(disc)) / (2 * qa)))
    left, right = float(cols[0]), float(cols[-1] + 1)
    half = (roots[1] - roots[0]) / 2
    tol = max(SIDE_PX, WIDTH_TOLERANCE * half)
    if roots[0] < left - tol or roots[1] > right + tol:
        return False
    return abs(roots[0] - left) <= tol or abs(roots[1] - right) <= tol


MIN_TORUS_PX = 8.0
"""Smallest ring radius (px) a torus is measured at."""
SIDE_PX = 1.0
"""Distance (px) within which a rim's extreme must meet the region's outline."""


def torus_rings(mask: np.ndarray, others: np.ndarray, image: np.ndarray, index: int = 0
                ) -> Circle | None:
    """The ring of a torus lying flat in region `mask` from its outline and its hole (see the
    module docstring), or None when no hole shows."""
    h, w = mask.shape
    cols = np.flatnonzero(mask.any(axis=0))
    if len(cols) < MIN_WIDTH:
        return None
    hole = ndimage.binary_fill_holes(mask) & ~mask & ~others
    labels, count = ndimage.label(hole)
    if not count:
        return None
    sizes = np.bincount(labels.ravel())[1:]
    hole = labels == 1 + int(np.argmax(sizes))
    if hole.sum() < 4:
        return None
    img = image if image.ndim == 3 else image[..., None]
    hc = np.flatnonzero(hole.any(axis=0))
    centre = int(round(float(np.mean(hc))))
    tops_o, tops_i, bots_i = [], [], []
    for j in range(max(centre - 1, hc[0]), min(centre + 1, hc[-1]) + 1):
        hr = np.flatnonzero(hole[:, j])
        mr = np.flatnonzero(mask[:, j])
        if not len(hr) or not len(mr) or mr[0] < 2 or others[max(mr[0] - 2, 0):mr[0], j].any():
            continue
        t_i, b_i = int(hr[0]), int(hr[-1])
        y_o = subpixel_edge(img[:, j], int(mr[0]), -1)
        # the hole's top edge: region above (pixel t_i - 1), hole below; bottom: hole above
        y_ti = subpixel_edge(img[:, j], t_i - 1, 1)
        y_bi = subpixel_edge(img[:, j], b_i + 1, -1)
        if None in (y_o, y_ti, y_bi):
            continue
        tops_o.append(y_o)
        tops_i.append(y_ti)
        bots_i.append(y_bi)
    if not tops_o:
        return None
    t_o, t_i, b_i = (float(np.median(v)) for v in (tops_o, tops_i, bots_i))
    # the outer half width: the widest row's subpixel edges
    widths = []
    for i in range(int(round(t_i)), int(round(b_i)) + 1):
        rc = np.flatnonzero(mask[i]) if 0 <= i < h else []
        if len(rc) < 2 or rc[0] < 2 or rc[-1] > w - 3:
            continue
        left = subpixel_edge(img[i], int(rc[0]), -1)
        right = subpixel_edge(img[i], int(rc[-1]), 1)
        if left is not None and right is not None:
            widths.append((right - left, (left + right) / 2))
    if not widths:
        return None
    width, u = max(widths)
    r = (t_i - t_o) / 2
    big = width / 2 - r
    minor = (b_i - t_i) / 2 + r
    if r < 1.0 or big < MIN_TORUS_PX or minor <= 0:
        return None
    # a torus's hole is centred in it, narrower than the ring, and the front of the tube
    # shows below it (else: a gap between merged objects, not a hole; the tube's shaded
    # underside may be cut off with the contact shadow, so only 0.3 r of it is asked for)
    hole_centre = (hc[0] + hc[-1] + 1) / 2
    bottom = float(np.flatnonzero(mask.any(axis=1))[-1] + 1)
    if (abs(hole_centre - u) > 0.1 * width or len(hc) > 2 * big + 2
            or bottom - b_i < 0.3 * r):
        return None
    ratio = minor / big
    if not 0.05 < ratio < 0.98:
        return None
    sd = math.hypot(0.5 / big, RATIO_FLOOR)
    return Circle(u=u, v=(t_i + b_i) / 2, a=big, ratio=ratio, sd=sd, region=index, kind="torus")


MEASURES = {"cylinder": cylinder_top, "torus": torus_rings}
"""Which measurement each fitted kind gets."""


def measure_circles(regions: Sequence[np.ndarray], image: np.ndarray,
                    kinds: Sequence[str | None]) -> list[Circle]:
    """The horizontal circles of the `regions` ((H, W) bool masks) in `image` ((H, W, C)
    floats, e.g. linear RGB), region i measured as `kinds[i]` ("cylinder", "torus"; other
    kinds and None are skipped, but still occlude)."""
    if not regions:
        return []
    union = np.zeros(regions[0].shape, bool)
    for m in regions:
        union |= m
    out = []
    for i, (m, kind) in enumerate(zip(regions, kinds)):
        measure = MEASURES.get(kind or "")
        if measure is None:
            continue
        found = measure(m, union & ~m, image, i)
        if found is not None:
            out.append(found)
    return out


# ------------------------------------------------------------------------------ camera


def predicted_ratio(u: np.ndarray, v: np.ndarray, a: np.ndarray, pitch: np.ndarray,
                    focal: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Minor/major ratio of the image of a horizontal circle whose image is centred at (u, v)
    with semi-major axis `a` px, through a camera without roll looking down by `pitch` degrees
    with focal length `focal` px, principal point at the image centre. Broadcasts."""
    w, h = size
    p = np.radians(pitch)
    x, y = (u - w / 2) / focal, (v - h / 2) / focal  # the centre's ray (camera: x right, y down)
    # the horizontal plane's axes in the camera frame: e1 = camera x, e2 = horizontal forward
    sp, cp = np.sin(p), np.cos(p)
    # a circle of angular radius ~ a / f at unit depth along the ray (x, y, 1)
    rho = a / focal
    # the homography (plane coords s, t, 1) -> normalised image: H = [e1, e2 * rho', X0]
    # image of X0 + s e1 + t e2, with s, t in units of the radius
    zero = np.zeros_like(x + p)
    one = np.ones_like(zero)
    hmat = np.stack([
        np.stack([one * rho, zero, x + zero], axis=-1),
        np.stack([zero, -sp * rho + zero, y + zero], axis=-1),
        np.stack([zero, cp * rho + zero, one], axis=-1)], axis=-2)
    inv = np.linalg.inv(hmat)
    q = np.diag([1.0, 1.0, -1.0])
    c = np.swapaxes(inv, -1, -2) @ q @ inv
    m = c[..., :2, :2]
    lam = np.sort(np.abs(np.linalg.eigvalsh(m)), axis=-1)
    return np.sqrt(lam[..., 0] / np.maximum(lam[..., 1], 1e-300))


def _lens_prior(lens):
    return (np.log2(lens / LENS_PRIOR[0]) / LENS_PRIOR[1]) ** 2


def _ratios(circles: Sequence[Circle], pitch: np.ndarray, focal: np.ndarray,
            size: tuple[int, int]) -> np.ndarray:
    """The circles' predicted ratios for cameras of `pitch` (deg) and `focal` (px), *signed*:
    negative where a circle's centre would lie above the horizon (`below_horizon`). A measured
    rim shows its top face, so it is seen from above: a camera that puts it above the horizon
    must not explain its ratio by the mirror-image view from below (that spurious branch at
    low pitch and short focal length widened the pitch's sd or won the fit)."""
    u = np.array([c.u for c in circles])
    v = np.array([c.v for c in circles])
    a = np.array([c.a for c in circles])
    ratio = predicted_ratio(u, v, a, pitch[..., None], focal[..., None], size)
    return np.where(below_horizon(v, pitch[..., None], focal[..., None], size), ratio, -ratio)


def below_horizon(v: np.ndarray, pitch: np.ndarray, focal: np.ndarray, size: tuple[int, int]
                  ) -> np.ndarray:
    """True where image row `v` (px) lies below the horizon of a camera without roll looking
    down by `pitch` degrees with focal length `focal` px (principal point at the centre):
    tan(pitch) + (v - H/2) / f > 0. Broadcasts."""
    return np.tan(np.radians(pitch)) + (v - size[1] / 2) / focal > 0


def circle_camera(circles: Sequence[Circle], size: tuple[int, int], *,
                  vertical_k: float | None = None, horizon_row: float | None = None,
                  sensor: float = 36.0) -> CircleCamera | None:
    """The pitch (and lens) that best explain the `circles` measured in an image of `size`
    (W, H), see the module docstring. `horizon_row` (v px) ties the pitch to the lens
    (tan(pitch) = (H/2 - row) / f) and then the circles measure the lens; else `vertical_k`
    (px) ties the lens to the pitch; else both are searched (the lens with `LENS_PRIOR`).
    None without circles, when all are rejected, or when the best camera lies on the grid's
    edge."""
    circles = list(circles)
    if not circles:
        return None
    scale = max(size) / sensor  # px per mm of lens
    tied = horizon_row is not None or vertical_k is not None
    if horizon_row is not None:
        grid_f = LENS_GRID * scale
        grid_p = np.degrees(np.arctan2(size[1] / 2 - horizon_row, grid_f))
        prior = np.zeros_like(grid_p)
    elif vertical_k is not None:
        grid_p = PITCH_GRID
        grid_f = vertical_k * np.tan(np.radians(grid_p))
        prior = np.zeros_like(grid_p)
    else:
        grid_p, lens = np.meshgrid(PITCH_GRID, LENS_GRID, indexing="ij")
        grid_f = lens * scale
        prior = _lens_prior(lens)
    meas = np.array([c.ratio for c in circles])
    sd = np.array([c.sd for c in circles])
    res = (_ratios(circles, grid_p, grid_f, size) - meas) / sd
    cost = np.log1p((res / 2.0) ** 2).sum(axis=-1) + prior
    best = np.unravel_index(int(np.argmin(cost)), cost.shape)
    keep = np.abs(res[best]) <= OUTLIER_SIGMAS
    if not keep.any():
        return None
    chi = (res[..., keep] ** 2).sum(axis=-1)
    total = chi + prior
    best = np.unravel_index(int(np.argmin(total)), total.shape)
    n = int(keep.sum())
    red = max(float(chi[best]) / max(n - (1 if tied else 2), 1), 1.0)
    within = total <= total[best] + red  # delta chi-square of one (scaled)
    ps, fs = grid_p[within], grid_f[within]
    pitch, focal = float(grid_p[best]), float(grid_f[best])
    lens = focal / scale
    if not (PITCH_GRID[0] + 0.5 < pitch < PITCH_GRID[-1] - 0.5
            and LENS_GRID[0] * 1.02 < lens < LENS_GRID[-1] / 1.02):
        return None
    used = tuple(c for c, k in zip(circles, keep) if k)
    return CircleCamera(pitch=pitch, pitch_sd=max(float(ps.max() - ps.min()) / 2, 0.05),
                        lens=lens, lens_sd=float(np.log(fs.max() / fs.min()) / 2),
                        circles=used, chi2=float(chi[best]), size=tuple(size), scale=red,
                        tied=tied)
