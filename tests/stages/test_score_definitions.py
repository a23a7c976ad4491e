"""The score's metrics match their documented definitions exactly, at the edges too (issue 15:
the mutation run of `stages/metrics.py` found constants, boundaries and plug-in paths of the
score that no test pinned; docs/testing.md, "Mutation testing").

References are independent: scikit-image's SSIM with the documented parameters, a brute-force
edge matching with all pairwise distances, and hand-made images with known PSNR."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from skimage.metrics import structural_similarity

from scenelang.errors import SceneError
from scenelang.stages.metrics import (
    DEFAULT_WEIGHTS,
    edge_f1,
    edge_map,
    mean_color_error,
    ms_ssim,
    psnr,
    register_metric,
    registered_metrics,
    score,
    ssim,
    unregister_metric,
)


@pytest.fixture(autouse=True)
def _no_plugins():
    yield
    for name in registered_metrics():
        unregister_metric(name)


def pair(h: int, w: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A textured image and a darker, noisier copy of it (float32, 0..1)."""
    rng = np.random.default_rng(seed)
    a = rng.random((h, w, 3)).astype(np.float32)
    b = np.clip(a * 0.7 + 0.2 * rng.random((h, w, 3)), 0, 1).astype(np.float32)
    return a, b


def skimage_ssim(a, b, full=False):
    """SSIM as the docstring of `ssim` defines it."""
    return structural_similarity(a, b, channel_axis=2, data_range=1.0, gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False, full=full)


# ---------------------------------------------------------------- SSIM and MS-SSIM


@pytest.mark.parametrize("size", [(11, 11), (32, 40)])
def test_ssim_is_scikit_images_gaussian_ssim_from_11_px(size):
    a, b = pair(*size)
    assert ssim(a, b) == pytest.approx(skimage_ssim(a, b), abs=1e-6)


def test_ssim_below_11_px_is_the_same_gaussian_ssim_as_ms_ssims_single_scale():
    a, b = pair(10, 10)
    assert ssim(a, b) == pytest.approx(ms_ssim(a, b), abs=1e-12)
    assert 0.5 < ssim(a, b) < 0.99


def test_single_scale_ms_ssim_is_the_mean_of_scikit_images_ssim_map():
    """Below 22 px MS-SSIM has one scale: the mean of the full Gaussian SSIM map (the same
    window, stabilisers C1 = 0.01^2 and C2 = 0.03^2, reflecting borders)."""
    a, b = pair(16, 16)
    _, ssim_map = skimage_ssim(a, b, full=True)
    assert ms_ssim(a, b) == pytest.approx(float(ssim_map.mean()), abs=1e-6)


def test_single_scale_ms_ssim_of_flat_images_is_the_luminance_term():
    a = np.full((16, 16, 3), 0.5, np.float32)
    b = np.full((16, 16, 3), 0.6, np.float32)
    c1 = 0.01 ** 2
    assert ms_ssim(a, b) == pytest.approx((2 * 0.5 * 0.6 + c1) / (0.5 ** 2 + 0.6 ** 2 + c1), abs=1e-7)


# ---------------------------------------------------------------- PSNR at its cap


def shifted(d: float) -> tuple[np.ndarray, np.ndarray]:
    a = np.full((8, 8, 3), 0.5, np.float64)
    return a, a + d


def test_psnr_of_nearly_identical_images_is_capped_at_100_db():
    a, b = shifted(2.0 ** -17)  # MSE 5.8e-11 < 1e-10: would be 102.4 dB
    assert psnr(a, b) == 100.0


def test_psnr_just_below_the_cap_is_not_capped():
    a, b = shifted(2.0 ** -16)  # MSE 2^-32 = 2.3e-10 > 1e-10: 96.3 dB
    assert psnr(a, b) == pytest.approx(320 * math.log10(2), abs=1e-9)


# ---------------------------------------------------------------- edge F1


def reference_f1(a, b, tolerance=2.0, sigma=2.0) -> float:
    pa = np.argwhere(edge_map(a, sigma)).astype(float)
    pb = np.argwhere(edge_map(b, sigma)).astype(float)
    if len(pa) == 0 and len(pb) == 0:
        return 1.0
    if len(pa) == 0 or len(pb) == 0:
        return 0.0
    d = cdist(pb, pa)
    precision = np.mean(d.min(axis=1) <= tolerance)
    recall = np.mean(d.min(axis=0) <= tolerance)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def shapes(shift: int) -> np.ndarray:
    img = np.full((40, 48, 3), 0.8, np.float32)
    img[10:30, 8 + shift:20 + shift] = 0.1
    rr, cc = np.mgrid[:40, :48]
    img[(rr - 20) ** 2 + (cc - 34 - shift) ** 2 < 36] = 0.4
    return img


@pytest.mark.parametrize("shift, tolerance, sigma", [
    (2, None, None), (3, None, None), (2, 1.0, None), (3, 2.5, 1.0), (4, None, 1.0)])
def test_edge_f1_matches_a_brute_force_matching_within_the_tolerance(shift, tolerance, sigma):
    a, b = shapes(0), shapes(shift)
    kwargs = {k: v for k, v in (("tolerance_px", tolerance), ("sigma", sigma)) if v is not None}
    expected = reference_f1(a, b, tolerance or 2.0, sigma or 2.0)
    assert 0.0 < expected <= 1.0  # shift 2: every edge exactly 2 px away still matches
    assert edge_f1(a, b, **kwargs) == pytest.approx(expected, abs=1e-12)


def test_edges_that_never_meet_give_an_edge_f1_of_zero():
    a = np.full((40, 48, 3), 0.8, np.float32)
    b = a.copy()
    a[5:15, 4:14] = 0.1
    b[25:35, 32:44] = 0.1
    assert edge_f1(a, b) == 0.0


# ---------------------------------------------------------------- colour error with a mask


def test_a_mask_given_as_zeros_and_ones_selects_pixels():
    a = np.zeros((4, 4, 3), np.float32)
    b = a.copy()
    b[0, 0] = 1.0  # colour error 1 at one pixel
    mask = np.zeros((4, 4), np.uint8)
    mask[0, :2] = 1
    assert mean_color_error(a, b, mask=mask) == pytest.approx(0.5)


def test_a_mask_of_another_shape_is_a_scene_error_naming_both_shapes():
    a = np.zeros((4, 4, 3), np.float32)
    with pytest.raises(SceneError) as info:
        mean_color_error(a, a, mask=np.ones((2, 2), bool))
    assert str(info.value.errors[0].message) == "mask shape (2, 2) does not match image shape (4, 4)"


# ---------------------------------------------------------------- weights and plug-ins


def test_combined_is_a_weighted_mean_whatever_the_weights_sum_to():
    a, b = pair(32, 32)
    base = score(a, b)
    doubled = score(a, b, weights={k: 2 * v for k, v in DEFAULT_WEIGHTS.items()})
    assert doubled.combined == pytest.approx(base.combined, abs=1e-12)
    only_ssim = score(a, b, weights={k: (3.0 if k == "ssim" else 0.0) for k in DEFAULT_WEIGHTS})
    assert only_ssim.combined == pytest.approx(min(max(base.ssim, 0), 1), abs=1e-12)


@pytest.mark.parametrize("value", [math.inf, -1.0, math.nan])
def test_a_weight_must_be_finite_and_not_negative(value):
    a, b = pair(16, 16)
    with pytest.raises(SceneError) as info:
        score(a, b, weights={"ssim": value})
    assert info.value.errors[0].message == f"weight 'ssim' must be a finite number >= 0, got {value}"


def test_an_unknown_weight_lists_the_known_ones():
    a, b = pair(16, 16)
    register_metric("sharp", lambda t, r: 0.5)
    with pytest.raises(SceneError) as info:
        score(a, b, weights={"blur": 1.0})
    assert info.value.errors[0].message == (
        "unknown metric weight 'blur'; known: color, edge_f1, iou, ms_ssim, psnr, sharp, ssim")


def test_all_weights_zero_is_a_scene_error():
    a, b = pair(16, 16)
    with pytest.raises(SceneError) as info:
        score(a, b, weights=dict.fromkeys(DEFAULT_WEIGHTS, 0.0))
    assert info.value.errors[0].message == "at least one metric weight must be positive"


def test_a_plugin_gets_the_target_and_the_render():
    a, b = pair(16, 16)
    seen = []
    register_metric("gap", lambda t, r: seen.append((t, r)) or float(np.abs(t - r).mean()))
    s = score(a, b)
    assert s.extra["gap"] == pytest.approx(float(np.abs(a - b).mean()), abs=1e-6)
    assert np.array_equal(seen[0][0], a) and np.array_equal(seen[0][1], b)


@pytest.mark.parametrize("higher_is_better, term", [(True, 0.3), (False, 0.7)])
def test_a_plugin_alone_gives_its_term_as_the_combined_score(higher_is_better, term):
    a, b = pair(16, 16)
    register_metric("mine", lambda t, r: 0.3, weight=1.0, higher_is_better=higher_is_better)
    s = score(a, b, weights=dict.fromkeys(DEFAULT_WEIGHTS, 0.0))
    assert s.combined == pytest.approx(term, abs=1e-12)
