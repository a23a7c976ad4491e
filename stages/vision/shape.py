"""Which primitive made a silhouette: box, sphere, cylinder, cone, torus, or a CSG difference.

The classifier fits simple 2D templates of each primitive's silhouette, as seen by a camera
looking down at upright objects, to the mask and compares how well each explains it (IoU):

- sphere: the moment-equivalent ellipse, nearly round;
- box: a convex polygon of at most 6 vertices (an upright box always projects to one);
- cylinder / cone: a "frustum" (the convex hull of a top and a bottom ellipse whose widths
  follow the straight left and right sides); a top width near the bottom width is a cylinder,
  a top width near zero a cone;
- torus: a hole in the silhouette inside an elliptical outline; a hole in any other outline
  suggests a CSG `difference`.

Masks are bool (H, W) arrays; see `scenelang.stages.vision.segment` for the conventions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError
from skimage import measure
from skimage.draw import polygon2mask
from skimage.morphology import convex_hull_image

from scenelang.errors import SceneError

KINDS = ("box", "sphere", "cylinder", "cone", "torus", "difference")
"""Kinds `classify_silhouette` can return."""

SHARPNESS = 0.012
"""IoU difference that makes one template e (2.7) times likelier than another."""
CYLINDER_BIAS = 0.02
"""IoU handicap of the (more flexible) frustum template against the box polygon."""
TORUS_BIAS = 0.01
"""IoU handicap of a hole-less torus against the templates that explain a flat ellipse."""


@dataclass(frozen=True)
class ShapeDescriptors:
    """Measurements of one silhouette (pixel units unless stated).

    `holes` counts significant holes; `hole_fraction` is the holes' share of the filled area;
    `solidity` = filled area / convex hull area; `aspect` = bbox height / width; `axis_ratio`
    = minor / major axis of the moment ellipse; `ellipse_iou`, `polygon_iou` and `frustum_iou`
    are the IoUs of the fitted templates with the filled mask; `taper` = frustum top width /
    bottom width (about 1 for a cylinder, about 0 for a cone); `polygon_vertices` is the vertex
    count of the fitted polygon; `hole_ellipse_iou` the IoU of the largest hole with its ellipse.
    """

    area: int
    holes: int
    hole_fraction: float
    solidity: float
    aspect: float
    axis_ratio: float
    ellipse_iou: float
    polygon_iou: float
    polygon_vertices: int
    frustum_iou: float
    taper: float
    hole_ellipse_iou: float


def silhouette_descriptors(mask: np.ndarray) -> ShapeDescriptors:
    """Compute `ShapeDescriptors` for a non-empty bool mask (the largest connected part is used)."""
    crop = largest_component(_crop(mask))
    filled = ndimage.binary_fill_holes(crop)
    hole_mask = filled & ~crop
    labels, count = ndimage.label(hole_mask)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    significant = sizes >= max(3, 0.01 * filled.sum())
    holes = int(significant.sum())
    hole_fraction = float(sizes[significant].sum() / filled.sum()) if holes else 0.0
    hole_iou = 0.0
    if holes:
        largest = labels == (int(np.argmax(sizes)) + 1)
        hole_iou = _ellipse_iou(largest)
    hull = convex_hull_image(filled)
    props = measure.regionprops(filled.astype(np.uint8))[0]
    major = max(props.axis_major_length, 1e-6)
    polygon_iou, vertices = _polygon_fit(filled, hull)
    frustum_iou, taper = _frustum_fit(filled)
    rows, cols = np.nonzero(filled)
    return ShapeDescriptors(
        area=int(crop.sum()),
        holes=holes,
        hole_fraction=hole_fraction,
        solidity=float(filled.sum() / max(hull.sum(), 1)),
        aspect=float((rows.ptp() + 1) / (cols.ptp() + 1)),
        axis_ratio=float(props.axis_minor_length / major),
        ellipse_iou=_ellipse_iou(filled),
        polygon_iou=polygon_iou,
        polygon_vertices=vertices,
        frustum_iou=frustum_iou,
        taper=taper,
        hole_ellipse_iou=hole_iou,
    )


def classify_silhouette(mask: np.ndarray) -> list[tuple[str, float]]:
    """Rank the primitive kinds for a silhouette: [(kind, confidence), ...], best first.

    Confidences are in 0..1 and sum to 1 over `KINDS`. A silhouette with a significant hole is
    a torus (elliptical outline and hole) or a `difference`; otherwise the template fits decide
    (see the module docstring). Masks smaller than 12 px give an uninformative ranking led by
    sphere.
    """
    m = np.asarray(mask, bool)
    if m.ndim != 2:
        raise SceneError(f"a silhouette must be a 2D mask, got shape {m.shape}")
    if m.sum() < 12:
        return _normalise({"sphere": 1.0, "box": 1.0, "cylinder": 1.0, "cone": 1.0, "torus": 0.5, "difference": 0.5})
    return _normalise(_evidence(silhouette_descriptors(m)))


def _evidence(d: ShapeDescriptors) -> dict[str, float]:
    """Unnormalised, positive evidence per kind from the descriptors."""
    if d.holes:
        ring = _soft(d.ellipse_iou, 0.92, 0.015) * _soft(d.hole_ellipse_iou, 0.6, 0.1)
        return {"torus": 0.2 + 4.0 * ring, "difference": 1.0, "box": 0.05, "sphere": 0.05,
                "cylinder": 0.05, "cone": 0.05}
    # How well each template explains the silhouette, sharpened so small IoU gaps matter.
    # An upright box, cylinder or cone has a taper (top / bottom width) near 1, 1 and 0.
    # Each fit is the template's IoU minus penalties (in IoU units) for implausible proportions.
    fit = {
        "sphere": d.ellipse_iou - 0.15 * _soft(-d.axis_ratio, -0.8, 0.04),
        "box": d.polygon_iou - 0.15 * _soft(-d.taper, -0.5, 0.06),
        "cylinder": d.frustum_iou - CYLINDER_BIAS - 0.15 * _soft(-d.taper, -0.6, 0.06),
        "cone": d.frustum_iou - 0.15 * _soft(d.taper, 0.4, 0.06),
        # A torus seen from low down hides its hole: a flat, clean ellipse.
        "torus": d.ellipse_iou - TORUS_BIAS - 0.15 * _soft(d.axis_ratio, 0.7, 0.04),
    }
    best = max(fit.values())
    out = {kind: math.exp((value - best) / SHARPNESS) for kind, value in fit.items()}
    out["difference"] = 0.1 * max(0.0, 0.9 - d.solidity)
    return out


def _soft(x: float, center: float, width: float) -> float:
    """Logistic step from 0 (x << center) to 1 (x >> center)."""
    return 1.0 / (1.0 + math.exp(-(x - center) / width))


def _normalise(evidence: dict[str, float]) -> list[tuple[str, float]]:
    total = sum(evidence.values())
    ranked = sorted(((k, v / total) for k, v in evidence.items()), key=lambda kv: (-kv[1], KINDS.index(kv[0])))
    for kind in KINDS:
        if kind not in evidence:
            ranked.append((kind, 0.0))
    return ranked


# ------------------------------------------------------------------------------ helpers


def _crop(mask: np.ndarray, pad: int = 2) -> np.ndarray:
    m = np.asarray(mask, bool)
    if not m.any():
        raise SceneError("cannot describe an empty silhouette")
    rows, cols = np.nonzero(m)
    sub = m[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    return np.pad(sub, pad)


def largest_component(mask: np.ndarray) -> np.ndarray:
    """The largest 8-connected part of `mask` (the mask itself when it has one part)."""
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if count <= 1:
        return mask
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return float(np.count_nonzero(a & b) / union) if union else 0.0


def _ellipse_iou(mask: np.ndarray) -> float:
    """IoU of a mask with the ellipse of equal second moments."""
    props = measure.regionprops(mask.astype(np.uint8))[0]
    r0, c0 = props.centroid
    a, b = props.axis_major_length / 2, props.axis_minor_length / 2
    if a < 0.5 or b < 0.5:
        return 0.0
    phi = props.orientation  # angle between the row axis and the major axis
    rr, cc = np.mgrid[: mask.shape[0], : mask.shape[1]]
    dr, dc = rr - r0, cc - c0
    u = dr * math.cos(phi) + dc * math.sin(phi)
    v = -dr * math.sin(phi) + dc * math.cos(phi)
    ellipse = (u / a) ** 2 + (v / b) ** 2 <= 1.0
    return _iou(mask, ellipse)


def _outline(mask: np.ndarray) -> np.ndarray:
    """The longest closed 0.5-level contour of a mask, as (row, col) points."""
    contours = measure.find_contours(np.pad(mask, 1).astype(float), 0.5)
    return max(contours, key=len) - 1.0


def _polygon_fit(filled: np.ndarray, hull: np.ndarray, max_vertices: int = 6) -> tuple[float, int]:
    """IoU of the mask with its convex hull simplified to at most `max_vertices` corners.

    The hull outline is simplified by Visvalingam-Whyatt elimination (drop the corner that
    spans the smallest triangle, repeatedly), which keeps the corners of a polygonal outline.
    """
    poly = measure.approximate_polygon(_outline(hull), 0.25)[:-1]
    poly = _visvalingam(poly, max_vertices)
    if len(poly) < 3:
        return 0.0, len(poly)
    shape = polygon2mask(filled.shape, np.vstack([poly, poly[:1]]))
    return _iou(filled, shape), len(poly)


def _visvalingam(poly: np.ndarray, keep: int) -> np.ndarray:
    """Reduce a closed polygon (no repeated end point) to `keep` vertices."""
    points = np.asarray(poly, float)
    while len(points) > keep:
        prev, nxt = np.roll(points, 1, axis=0), np.roll(points, -1, axis=0)
        a, b = points - prev, nxt - prev
        areas = np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
        points = np.delete(points, int(np.argmin(areas)), axis=0)
    return points


def _frustum_fit(filled: np.ndarray) -> tuple[float, float]:
    """Best IoU of a frustum template (hull of two ellipses), and its top/bottom width ratio."""
    rows = np.nonzero(filled.any(axis=1))[0]
    top, bottom = rows.min() - 0.5, rows.max() + 0.5
    height = bottom - top
    band = [r for r in rows if top + 0.3 * height <= r <= top + 0.75 * height]
    if len(band) < 3:
        return 0.0, 1.0
    left = np.array([np.nonzero(filled[r])[0].min() - 0.5 for r in band])
    right = np.array([np.nonzero(filled[r])[0].max() + 0.5 for r in band])
    y = np.asarray(band, float)
    fit_l, fit_r = np.polyfit(y, left, 1), np.polyfit(y, right, 1)
    width_at = lambda r: max(np.polyval(fit_r, r) - np.polyval(fit_l, r), 0.0)
    center_at = lambda r: 0.5 * (np.polyval(fit_r, r) + np.polyval(fit_l, r))
    best_iou, best_taper = 0.0, 1.0
    for k in np.linspace(0.0, 0.7, 15):
        # Cap ellipses: vertical semi-axis = k * horizontal semi-axis; their outer edges touch
        # the silhouette's top and bottom rows.
        yt, yb = top, bottom
        for _ in range(4):
            yt = top + k * width_at(yt) / 2
            yb = bottom - k * width_at(yb) / 2
        if yb <= yt:
            continue
        wt, wb = width_at(yt), width_at(yb)
        if wb <= 1.0:
            continue
        points = np.concatenate(
            [_ellipse_points(yt, center_at(yt), k * wt / 2, wt / 2),
             _ellipse_points(yb, center_at(yb), k * wb / 2, wb / 2)]
        )
        hull = _hull_polygon(points)
        if hull is None:
            continue
        iou = _iou(filled, polygon2mask(filled.shape, hull))
        if iou > best_iou:
            best_iou, best_taper = iou, wt / wb
    return best_iou, float(best_taper)


def _ellipse_points(row: float, col: float, half_height: float, half_width: float, n: int = 48) -> np.ndarray:
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.stack([row + half_height * np.sin(t), col + half_width * np.cos(t)], axis=1)


def _hull_polygon(points: np.ndarray) -> np.ndarray | None:
    """Convex hull of 2D points, as a closed (row, col) polygon (None when degenerate)."""
    try:
        hull = ConvexHull(points)
    except QhullError:
        return None
    ring = points[hull.vertices]
    return np.vstack([ring, ring[:1]])
