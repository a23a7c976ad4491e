"""Horizontal circles (vision.ellipses) and the camera they give (offline.camera_fit): on images
drawn analytically with numpy (anti-aliased by 4 x 4 supersampling) through known cameras."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from scenelang.backends.camera import focal_length_pixels, project
from scenelang.stages.proposers.offline.camera_fit import (
    CIRCLE_MAX_PITCH_SD,
    camera_from_circles,
    circle_evidence,
    circle_penalty,
)
from scenelang.stages.proposers.offline.fit import Guess
from scenelang.stages.vision.camera import camera_parameters, gauge_camera
from scenelang.stages.vision.ellipses import (
    Circle,
    below_horizon,
    circle_camera,
    conic_geometry,
    cylinder_top,
    fit_conic,
    measure_circles,
    predicted_ratio,
    torus_rings,
)

SIZE = (256, 192)
SS = 4  # supersampling per axis
BACKGROUND, SIDE, TOP = 0.5, 0.22, 0.85


def circle_points(centre, radius, z, n=128):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([centre[0] + radius * np.cos(t), centre[1] + radius * np.sin(t),
                     np.full(n, z)], axis=1)


def coverage(poly: np.ndarray, size=SIZE) -> np.ndarray:
    """Share of each pixel inside the convex polygon `poly` (N, 2) of pixel coordinates."""
    w, h = size
    out = np.zeros((h, w))
    x0, y0 = (max(int(math.floor(v)) - 1, 0) for v in poly.min(axis=0))
    x1, y1 = int(math.ceil(poly[:, 0].max())) + 1, int(math.ceil(poly[:, 1].max())) + 1
    x1, y1 = min(x1, w), min(y1, h)
    off = (np.arange(SS) + 0.5) / SS
    xs = (np.arange(x0, x1)[:, None] + off).ravel()
    ys = (np.arange(y0, y1)[:, None] + off).ravel()
    gx, gy = np.meshgrid(xs, ys)
    a, b = poly, np.roll(poly, -1, axis=0)
    sign = np.sign(np.sum(a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]))
    inside = np.ones(gx.shape, bool)
    for p, q in zip(a, b):
        inside &= sign * ((q[0] - p[0]) * (gy - p[1]) - (q[1] - p[1]) * (gx - p[0])) >= 0
    cov = inside.reshape(y1 - y0, SS, x1 - x0, SS).mean(axis=(1, 3))
    out[y0:y1, x0:x1] = cov
    return out


def cylinder_image(camera, cylinders):
    """(image (H, W, 3), region masks, exact top-rim ratios) of upright cylinders
    (x, y, radius, height) on a plain background: top face bright, side dark."""
    img = np.full((SIZE[1], SIZE[0]), BACKGROUND)
    masks, ratios, centres = [], [], []
    for x, y, r, hgt in cylinders:
        top, _ = project(circle_points((x, y), r, hgt), camera, SIZE)
        bottom, _ = project(circle_points((x, y), r, 0.0), camera, SIZE)
        pts = np.concatenate([top, bottom])
        hull = coverage(pts[ConvexHull(pts).vertices])
        face = coverage(top)
        img = img * (1 - hull) + SIDE * (hull - face) + TOP * face
        masks.append(hull >= 0.5)
        geo = conic_geometry(fit_conic(top[:, 0], top[:, 1]))
        ratios.append(geo[3] / geo[2])
        centres.append(geo[:2])
    return np.repeat(img[..., None], 3, axis=2), masks, ratios, centres


CAMERAS = [(24.0, 40.0), (38.0, 52.0)]
CYLINDERS = [(1.2, 1.0, 0.6, 1.0), (-1.0, -1.6, 0.7, 0.9), (2.2, -1.4, 0.5, 1.2)]


@pytest.fixture(scope="module", params=CAMERAS, ids=lambda c: f"pitch{c[0]:.0f}-lens{c[1]:.0f}")
def scene(request):
    pitch, lens = request.param
    camera = gauge_camera(pitch, lens, resolution=SIZE)
    return (pitch, lens, camera, *cylinder_image(camera, CYLINDERS))


def test_predicted_ratio_matches_projected_circles():
    """The camera model: the ratio of a small horizontal circle's exact projection, off the
    centre row and column too, within 0.004."""
    for pitch, lens in CAMERAS + [(12.0, 30.0), (60.0, 80.0)]:
        camera = gauge_camera(pitch, lens, resolution=SIZE)
        f = focal_length_pixels(camera, SIZE)
        for x, y in [(0.0, 0.0), (2.0, -2.5), (-2.5, 1.5), (1.0, 3.0)]:
            uv, _ = project(circle_points((x, y), 0.3, 0.5), camera, SIZE)
            cx, cy, major, minor = conic_geometry(fit_conic(uv[:, 0], uv[:, 1]))
            got = predicted_ratio(np.array(cx), np.array(cy), np.array(major), np.array(pitch),
                                  np.array(f), SIZE)
            assert abs(float(got) - minor / major) < 0.004, (pitch, lens, x, y)


def test_cylinder_top_rims_are_measured(scene):
    """Each cylinder's top rim: ratio within 0.02 of the exact ellipse's (and within 2 of its
    stated sd), centre within 0.6 px."""
    _, _, _, image, masks, ratios, centres = scene
    circles = measure_circles(masks, image, ["cylinder"] * len(masks))
    assert len(circles) == len(masks)
    for c in circles:
        exact = ratios[c.region]
        assert abs(c.ratio - exact) < 0.02, (c, exact)
        assert abs(c.ratio - exact) < 2 * c.sd
        assert math.dist((c.u, c.v), centres[c.region]) < 0.6


def test_camera_from_cylinders(scene):
    """The camera from the measured rims: with the vertical vanishing point, pitch within
    0.8 degree and lens within 6%; without it (the lens prior), pitch within 2 degrees."""
    pitch, lens, camera, image, masks, _, _ = scene
    circles = measure_circles(masks, image, ["cylinder"] * len(masks))
    f = focal_length_pixels(camera, SIZE)
    k = f / math.tan(math.radians(pitch))
    tied = circle_camera(circles, SIZE, vertical_k=k)
    assert abs(tied.pitch - pitch) < 0.8
    assert abs(tied.lens / lens - 1) < 0.06
    assert tied.pitch_sd < 3.0
    free = circle_camera(circles, SIZE)
    assert abs(free.pitch - pitch) < 2.0
    # the horizon's row fixes tan(pitch) * f: the circles then give the lens
    row = SIZE[1] / 2 - f * math.tan(math.radians(pitch))
    horizon = circle_camera(circles, SIZE, horizon_row=row)
    assert abs(horizon.lens / lens - 1) < 0.12
    assert abs(horizon.pitch - pitch) < 1.5


def test_wrong_pitch_is_not_found():
    """Circles measured under one camera do not fit a camera 8 degrees off: the chi-square
    there is far above the best camera's, and the penalty charges it."""
    camera = gauge_camera(30.0, 45.0, resolution=SIZE)
    image, masks, _, _ = cylinder_image(camera, CYLINDERS)
    found = circle_camera(measure_circles(masks, image, ["cylinder"] * 3), SIZE)
    assert found.chi2_at(38.0, 45.0) > 9 and found.chi2_at(found.pitch, found.lens) == 0
    assert circle_penalty(found, gauge_camera(38.0, 45.0, resolution=SIZE)) > 0.04
    assert circle_penalty(found, gauge_camera(found.pitch, found.lens, resolution=SIZE)) < 1e-3


def test_outlier_circle_is_dropped():
    """One wrong measurement among three good ones is rejected."""
    pitch, f = 30.0, 300.0
    pts = [(128.0, 60.0), (80.0, 120.0), (190.0, 150.0)]
    good = [Circle(u, v, 12.0, float(predicted_ratio(np.array(u), np.array(v), np.array(12.0),
                                                   np.array(pitch), np.array(f), SIZE)), 0.02)
            for u, v in pts]
    bad = Circle(130.0, 100.0, 12.0, 0.9, 0.02)
    found = circle_camera(good + [bad], SIZE, vertical_k=f / math.tan(math.radians(pitch)))
    assert bad not in found.circles and len(found.circles) == 3
    assert abs(found.pitch - pitch) < 0.3


def test_no_inner_edge_or_no_hole_gives_nothing():
    """A cylinder drawn in one flat colour shows no top rim, a disc no torus hole: None."""
    camera = gauge_camera(30.0, 45.0, resolution=SIZE)
    image, masks, _, _ = cylinder_image(camera, CYLINDERS[:1])
    flat = np.where(masks[0][..., None], SIDE, BACKGROUND) * np.ones(3)
    assert cylinder_top(masks[0], np.zeros_like(masks[0]), flat) is None
    assert torus_rings(masks[0], np.zeros_like(masks[0]), image) is None


def torus_image(camera, x, y, ring, tube):
    """A torus lying flat: the union of its tube's spheres, each drawn as the disc of its
    projected outline (uniform colour)."""
    h, w = SIZE[1], SIZE[0]
    off = (np.arange(SS) + 0.5) / SS
    gx, gy = np.meshgrid((np.arange(w)[:, None] + off).ravel(), (np.arange(h)[:, None] + off).ravel())
    inside = np.zeros(gx.shape, bool)
    centres = circle_points((x, y), ring, tube, n=180)
    uv, depth = project(centres, camera, SIZE)
    f = focal_length_pixels(camera, SIZE)
    for (u, v), d in zip(uv, depth):
        rad = f * tube / d
        inside |= (gx - u) ** 2 + (gy - v) ** 2 <= rad * rad
    cov = inside.reshape(h, SS, w, SS).mean(axis=(1, 3))
    img = BACKGROUND * (1 - cov) + SIDE * cov
    ring_uv, _ = project(circle_points((x, y), ring, tube), camera, SIZE)
    geo = conic_geometry(fit_conic(ring_uv[:, 0], ring_uv[:, 1]))
    return np.repeat(img[..., None], 3, axis=2), cov >= 0.5, geo[3] / geo[2]


@pytest.mark.parametrize("pitch", [32.0, 45.0])
def test_torus_ring(pitch):
    """A torus's ring ratio from its outline and hole within 0.04 of the exact ring's; the
    pitch from it (with the true vanishing point) within 3.5 degrees."""
    camera = gauge_camera(pitch, 45.0, resolution=SIZE)
    image, mask, exact = torus_image(camera, 0.3, -0.4, 1.0, 0.25)
    c = torus_rings(mask, np.zeros_like(mask), image)
    assert c is not None and c.kind == "torus"
    assert abs(c.ratio - exact) < 0.04, (c.ratio, exact)
    f = focal_length_pixels(camera, SIZE)
    found = circle_camera([c], SIZE, vertical_k=f / math.tan(math.radians(pitch)))
    assert abs(found.pitch - pitch) < 3.5


def test_circle_evidence_uses_fitted_kinds():
    """The draft's evidence: regions fitted as cylinders give the camera (its pitch within 2
    degrees, and `camera_from_circles` turns a camera to it); fitted as boxes they give none."""
    camera = gauge_camera(34.0, 45.0, resolution=SIZE)
    image, masks, _, _ = cylinder_image(camera, CYLINDERS)
    guesses = [Guess("cylinder", (r, hgt), x, y) for x, y, r, hgt in CYLINDERS]
    found = circle_evidence(masks, image, guesses, [0, 1, 2], SIZE)
    assert found is not None and abs(found.pitch - 34.0) < 2.0
    start = gauge_camera(27.0, 45.0, resolution=SIZE)
    turned = camera_parameters(camera_from_circles(start, found, SIZE))
    assert abs(turned.pitch - found.pitch) < 0.05 and abs(turned.lens - 45.0) < 0.05
    boxes = [Guess("box", (r, r, hgt), x, y) for x, y, r, hgt in CYLINDERS]
    assert circle_evidence(masks, image, boxes, [0, 1, 2], SIZE) is None


def test_below_horizon_splits_the_rows_at_the_horizon():
    """The horizon of a camera looking down by p with focal length f px lies f tan(p) px above
    the image centre: a row 1 px below it is below the horizon, 1 px above is not."""
    pitch, f = 30.0, 300.0
    row = SIZE[1] / 2 - f * math.tan(math.radians(pitch))
    got = below_horizon(np.array([row + 1.0, row - 1.0]), np.array(pitch), np.array(f), SIZE)
    assert got.tolist() == [True, False]


def test_a_rim_seen_from_above_is_not_explained_from_below():
    """One cylinder top above the image centre (a real CLEVR case: 256 x 171 px, K = 468 px),
    its ratio that of a camera looking 30.3 degrees down. Along the vanishing point's curve a
    camera of about 5 degrees (f ~ 41 px) would put the rim above the horizon and see the same
    ratio from below; that branch must neither win nor widen the pitch's sd (it was 12 degrees,
    so the circle was dropped as evidence). Tolerances: the pitch within 1 degree, its sd
    below `camera_fit.CIRCLE_MAX_PITCH_SD`."""
    size, k, pitch = (256, 171), 468.0, 30.3
    focal = k * math.tan(math.radians(pitch))
    u, v, a = 155.6, 53.8, 7.6
    ratio = float(predicted_ratio(np.array(u), np.array(v), np.array(a), np.array(pitch),
                                  np.array(focal), size))
    circle = Circle(u, v, a, ratio, 0.035)
    found = circle_camera([circle], size, vertical_k=k)
    assert found is not None and found.tied
    assert found.pitch == pytest.approx(pitch, abs=1.0)
    assert found.pitch_sd < CIRCLE_MAX_PITCH_SD
