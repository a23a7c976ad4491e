"""Image metrics against known values, plus properties of the combined score."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from strategies import examples

from scenelang.errors import SceneError
from scenelang.stages import metrics
from scenelang.stages.metrics import (
    PSNR_CAP,
    Score,
    edge_f1,
    foreground_mask,
    load_image,
    mean_color_error,
    ms_ssim,
    ms_ssim_scales,
    psnr,
    register_metric,
    registered_metrics,
    score,
    silhouette_iou,
    ssim,
    unregister_metric,
)


def scene_image(h: int = 96, w: int = 128, shift: int = 0) -> np.ndarray:
    """A grey background with a red square and a blue disc, optionally shifted right."""
    img = np.full((h, w, 3), 0.5, np.float32)
    img[30:60, 20 + shift : 50 + shift] = (0.8, 0.1, 0.1)
    rr, cc = np.mgrid[:h, :w]
    img[(rr - 50) ** 2 + (cc - 90 - shift) ** 2 < 15**2] = (0.1, 0.2, 0.9)
    return img


@pytest.fixture(autouse=True)
def _no_plugins():
    yield
    for name in registered_metrics():
        unregister_metric(name)


# ------------------------------------------------------------------------------ loading


def test_load_image_from_file_and_arrays(tmp_path):
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 128
    path = tmp_path / "a.png"
    Image.fromarray(rgba, "RGBA").save(path)
    img = load_image(path)
    assert img.shape == (4, 6, 3) and img.dtype == np.float32
    assert img[0, 0, 0] == pytest.approx(200 / 255 * 128 / 255, abs=1e-6)  # composited on black
    assert img[0, 0, 1] == 0.0
    grey = load_image(np.full((3, 5), 65535, np.uint16))
    assert grey.shape == (3, 5, 3) and np.all(grey == 1.0)
    assert load_image(np.full((2, 2, 3), 7.0)).max() == 1.0  # floats are clipped


def test_load_image_resizes_to_width_height():
    img = load_image(scene_image(), size=(64, 48))
    assert img.shape == (48, 64, 3)
    assert 0.0 <= img.min() and img.max() <= 1.0


def test_load_image_errors_are_scene_errors(tmp_path):
    with pytest.raises(SceneError, match="not found"):
        load_image(tmp_path / "missing.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(SceneError, match="cannot read image") as info:
        load_image(bad)
    assert str(bad) in info.value.format()
    with pytest.raises(SceneError, match="shape"):
        load_image(np.zeros((2, 2, 2)))


# ------------------------------------------------------------------------------ known values


def test_identical_images_are_perfect():
    img = scene_image()
    assert psnr(img, img) == PSNR_CAP == 100.0
    assert ssim(img, img) == pytest.approx(1.0)
    assert ms_ssim(img, img) == pytest.approx(1.0)
    assert edge_f1(img, img) == 1.0
    assert mean_color_error(img, img) == 0.0
    s = score(img, img)
    assert (s.psnr, s.iou, s.edge_f1, s.color_error) == (100.0, 1.0, 1.0, 0.0)
    assert s.combined == pytest.approx(1.0)


def test_constant_offset_gives_known_psnr_and_colour_error():
    a = np.full((40, 50, 3), 0.3, np.float32)
    b = a + np.float32(0.1)  # MSE 0.01 -> 20 dB; distance 0.1 * sqrt(3) -> error 0.1
    assert psnr(a, b) == pytest.approx(20.0, abs=1e-4)
    assert mean_color_error(a, b) == pytest.approx(0.1, abs=1e-6)
    mask = np.zeros((40, 50), bool)
    mask[:10] = True
    c = a.copy()
    c[:10, :, 0] += 0.3  # only the masked rows differ, by 0.3 in one channel
    assert mean_color_error(a, c, mask) == pytest.approx(0.3 / math.sqrt(3), abs=1e-6)
    assert mean_color_error(a, c, np.zeros_like(mask)) == 0.0


def test_shifted_images_score_lower():
    a, b = scene_image(), scene_image(shift=4)
    assert ssim(a, b) < 0.95
    assert ms_ssim(a, b) < 1.0
    iou = silhouette_iou(foreground_mask(a), foreground_mask(b))
    assert 0.5 < iou < 0.95
    assert score(a, b).combined < score(a, a).combined


def test_edge_f1_tolerates_a_one_pixel_shift():
    a, b = scene_image(), scene_image(shift=1)
    assert edge_f1(a, b, tolerance_px=2) == 1.0
    assert edge_f1(a, b, tolerance_px=0) < 0.9
    assert edge_f1(a, scene_image(shift=8), tolerance_px=2) < 0.7


def test_edge_f1_of_edgeless_images():
    flat = np.full((32, 32, 3), 0.4, np.float32)
    assert edge_f1(flat, flat) == 1.0
    assert edge_f1(flat, scene_image(32, 32)) == 0.0


def test_foreground_mask_finds_the_objects_on_a_uniform_background():
    img = scene_image()
    mask = foreground_mask(img)
    truth = np.any(np.abs(img - 0.5) > 0.01, axis=2)
    assert silhouette_iou(mask, truth) == 1.0
    assert not foreground_mask(img, background=(0.8, 0.1, 0.1))[40, 30]  # the square is "background"


def test_silhouette_iou_known_values():
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    a[:, :5] = True
    b[:, 3:8] = True  # overlap 2 columns, union 8
    assert silhouette_iou(a, b) == pytest.approx(2 / 8)
    assert silhouette_iou(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0
    with pytest.raises(SceneError):
        silhouette_iou(a, np.zeros((3, 3), bool))


def test_ms_ssim_scale_count():
    assert ms_ssim_scales(120, 160) == 4
    assert ms_ssim_scales(256, 256) == 5
    assert ms_ssim_scales(16, 16) == 1


@pytest.mark.parametrize("shape", [(4, 4, 3), (8, 8, 3), (8, 16, 3), (12, 16, 3)])
def test_ssim_of_tiny_images_is_defined(shape):
    # issue 11 item 4: `reconstruct --size 8/12/16` crashed SSIM (an 11 px window)
    a = np.random.default_rng(0).random(shape)
    assert ssim(a, a) == pytest.approx(1.0)
    assert 0.0 <= score(a, np.zeros(shape)).combined <= 1.0


# ------------------------------------------------------------------------------ score


def test_score_resizes_the_render_and_serialises():
    target = scene_image()
    render = np.asarray(Image.fromarray((target * 255).astype(np.uint8)).resize((256, 192)))
    s = score(target, render)
    assert isinstance(s, Score)
    assert s.combined > 0.9
    d = s.to_dict()
    assert set(d) == {"psnr", "ssim", "ms_ssim", "iou", "edge_f1", "color_error", "combined"}
    with pytest.raises(AttributeError):
        s.combined = 0.0  # frozen


def test_score_weights_and_masks():
    a, b = scene_image(), scene_image(shift=4)
    only_iou = score(a, b, weights={"ssim": 0, "psnr": 0, "edge_f1": 0, "color": 0, "iou": 1})
    assert only_iou.combined == pytest.approx(only_iou.iou)
    full = np.ones(a.shape[:2], bool)
    assert score(a, b, masks=(full, full)).iou == 1.0
    with pytest.raises(SceneError, match="unknown metric weight"):
        score(a, b, weights={"lpips": 1.0})
    with pytest.raises(SceneError, match="positive"):
        score(a, b, weights=dict.fromkeys(metrics.DEFAULT_WEIGHTS, 0.0))


def test_plugin_metrics_enter_the_score():
    a, b = scene_image(), scene_image(shift=4)
    register_metric("darkness", lambda t, r: 0.0, weight=1.0, higher_is_better=False)
    assert registered_metrics() == ("darkness",)
    s = score(a, b)
    assert s.extra == {"darkness": 0.0}
    assert s.to_dict()["darkness"] == 0.0
    baseline = score(a, b, weights={"darkness": 0.0}).combined
    assert s.combined > baseline  # a perfect plug-in term pulls the combined score up
    unregister_metric("darkness")
    assert score(a, b).combined == pytest.approx(baseline)


def test_plugin_errors_are_reported():
    with pytest.raises(SceneError, match="reserved"):
        register_metric("ssim", lambda t, r: 1.0)
    with pytest.raises(SceneError, match="weight"):
        register_metric("x", lambda t, r: 1.0, weight=-1)
    register_metric("broken", lambda t, r: 1 / 0)
    with pytest.raises(SceneError, match="broken.*ZeroDivisionError"):
        score(scene_image(), scene_image())
    register_metric("broken", lambda t, r: float("nan"))
    with pytest.raises(SceneError, match="non-finite"):
        score(scene_image(), scene_image())


# ------------------------------------------------------------------------------ properties

small_images = arrays(np.float32, (16, 16, 3), elements=st.floats(0, 1, width=32))


@settings(max_examples=examples(25), deadline=None)
@given(small_images, small_images)
def test_metric_properties(a, b):
    assert psnr(a, b) == pytest.approx(psnr(b, a))
    assert 0.0 <= mean_color_error(a, b) <= 1.0
    assert -1.0 <= ssim(a, b) <= 1.0 + 1e-6
    assert 0.0 <= ms_ssim(a, b) <= 1.0 + 1e-6
    assert 0.0 <= edge_f1(a, b) <= 1.0
    s = score(a, b)
    assert 0.0 <= s.combined <= 1.0
    assert silhouette_iou(foreground_mask(a), foreground_mask(b)) == s.iou


@settings(max_examples=examples(25), deadline=None)
@given(arrays(bool, (12, 12)), arrays(bool, (12, 12)))
def test_iou_is_symmetric_and_bounded(a, b):
    assert silhouette_iou(a, b) == silhouette_iou(b, a)
    assert 0.0 <= silhouette_iou(a, b) <= 1.0
