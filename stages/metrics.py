"""Image metrics that compare a render with its target, and the combined score the stages use.

Everything here is plain numpy / Pillow / scikit-image: no weights are downloaded. Images are
float32 arrays of shape (H, W, 3) with sRGB-encoded values in 0..1, as `load_image` returns them.

The combined score (`score(...).combined`, in 0..1, higher is better) is a weighted mean of
per-metric terms, each in 0..1::

    combined = sum(w[k] * term[k]) / sum(w[k])

    term["ssim"]     = clip(ssim, 0, 1)
    term["ms_ssim"]  = clip(ms_ssim, 0, 1)
    term["iou"]      = silhouette IoU of the two foreground masks
    term["psnr"]     = clip(psnr / 40 dB, 0, 1)
    term["edge_f1"]  = edge F1 with a 2 px tolerance
    term["color"]    = 1 - mean colour error

with `DEFAULT_WEIGHTS` = ssim 0.35, iou 0.25, psnr 0.2, edge_f1 0.1, color 0.1 (ms_ssim 0: it is
reported but not weighted unless asked). The stage engine keeps a step when `combined` rises.

Learned metrics (LPIPS, DreamSim, ...) are optional plug-ins: `register_metric(name, fn, weight=...)`
with a function the user builds from weights they supply. Their values appear in `Score.extra`, and
they enter `combined` with their weight (default 0: reported only).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage
from skimage import feature
from skimage.color import rgb2gray
from skimage.metrics import structural_similarity

from scenelang.errors import SceneError, Span

PSNR_CAP = 100.0
"""PSNR (dB) reported for identical images, instead of infinity."""

PSNR_NORM = 40.0
"""PSNR (dB) that maps to a full term in the combined score."""

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
"""Per-scale exponents of multi-scale SSIM (Wang, Simoncelli & Bovik 2003), finest first."""

MS_SSIM_MIN_SIDE = 11
"""Smallest image side (px) a scale of MS-SSIM may have (the Gaussian window's extent)."""

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"ssim": 0.35, "iou": 0.25, "psnr": 0.2, "edge_f1": 0.1, "color": 0.1, "ms_ssim": 0.0}
)
"""Weights of the combined score; keys are the term names listed in the module docstring."""

ImageSource = str | Path | np.ndarray


# ------------------------------------------------------------------------------ loading


def load_image(source: ImageSource, size: tuple[int, int] | None = None) -> np.ndarray:
    """Load an image as float32 (H, W, 3) in 0..1.

    `source` is a file path or an array: uint8 (0..255), uint16 (0..65535) or float (0..1, clipped);
    grey (H, W) is repeated to three channels; RGBA is composited on black (rgb * alpha).
    `size` is (width, height) in pixels; when given and different, the image is resized with
    Pillow's LANCZOS filter. Unreadable files and unsupported shapes raise `SceneError`.
    """
    if isinstance(source, (str, Path)):
        array = _read_file(Path(source))
    elif isinstance(source, np.ndarray):
        array = _to_float(source)
    else:
        raise SceneError(f"expected an image path or a numpy array, got {type(source).__name__}")
    if size is not None:
        array = _resize(array, size)
    return array


def _read_file(path: Path) -> np.ndarray:
    where = Span(file=str(path))
    if not path.is_file():
        raise SceneError(f"image file not found: {path}", where)
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                array = np.asarray(im, dtype=np.float64) / 65535.0
            else:
                array = np.asarray(im.convert("RGBA" if "A" in im.getbands() else "RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise SceneError(f"cannot read image {path}: {exc}", where) from None
    return _to_float(array)


def _to_float(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4) or min(array.shape[:2]) < 1:
        raise SceneError(f"expected an image array of shape (H, W), (H, W, 3) or (H, W, 4), got {array.shape}")
    if array.dtype == np.uint8:
        out = array.astype(np.float32) / 255.0
    elif array.dtype == np.uint16:
        out = array.astype(np.float32) / 65535.0
    elif np.issubdtype(array.dtype, np.floating) or array.dtype == bool:
        out = np.clip(np.nan_to_num(array.astype(np.float32)), 0.0, 1.0)
    else:
        raise SceneError(f"unsupported image dtype {array.dtype}")
    if out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    elif out.shape[2] == 4:
        out = out[..., :3] * out[..., 3:4]
    return np.ascontiguousarray(out, dtype=np.float32)


def _resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    width, height = int(size[0]), int(size[1])
    if width < 1 or height < 1:
        raise SceneError(f"image size must be positive, got {size}")
    if array.shape[1] == width and array.shape[0] == height:
        return array
    channels = [
        np.asarray(Image.fromarray(np.ascontiguousarray(array[..., c], dtype=np.float32))
                   .resize((width, height), Image.LANCZOS))
        for c in range(3)
    ]
    return np.clip(np.stack(channels, axis=2), 0.0, 1.0).astype(np.float32)


def _pair(a: ImageSource, b: ImageSource) -> tuple[np.ndarray, np.ndarray]:
    """Both images loaded; `b` is resized to `a`'s size when they differ."""
    a = load_image(a)
    b = load_image(b, size=(a.shape[1], a.shape[0]))
    return a, b


# ------------------------------------------------------------------------------ pixel metrics


def psnr(a: ImageSource, b: ImageSource) -> float:
    """Peak signal-to-noise ratio in dB for data range 1, over all pixels and channels.

    Identical images give `PSNR_CAP` (100 dB) instead of infinity.
    """
    a, b = _pair(a, b)
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    if mse <= 10.0 ** (-PSNR_CAP / 10.0):
        return PSNR_CAP
    return float(10.0 * math.log10(1.0 / mse))


def ssim(a: ImageSource, b: ImageSource) -> float:
    """Mean structural similarity (-1..1, 1 = identical), scikit-image's implementation.

    Gaussian window with sigma 1.5 px, population covariances, data range 1, averaged over the
    three channels (as Wang et al. 2004). Images with a side under 11 px (the Gaussian window
    scikit-image needs) use the same Gaussian SSIM computed with a boundary-reflecting filter.
    """
    a, b = _pair(a, b)
    if min(a.shape[:2]) < 11:
        return _ssim_terms(a.astype(np.float64), b.astype(np.float64))[0]
    return float(
        structural_similarity(
            a, b, channel_axis=2, data_range=1.0, gaussian_weights=True, sigma=1.5,
            use_sample_covariance=False,
        )
    )


def _ssim_terms(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(mean SSIM, mean contrast-structure term) with a Gaussian window (sigma 1.5 px)."""
    c1, c2 = 0.01**2, 0.03**2
    blur = lambda x: ndimage.gaussian_filter(x, sigma=(1.5, 1.5, 0), truncate=3.5)
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    cs = (2 * cov + c2) / (var_a + var_b + c2)
    luminance = (2 * mu_a * mu_b + c1) / (mu_a**2 + mu_b**2 + c1)
    return float(np.mean(luminance * cs)), float(np.mean(cs))


def ms_ssim_scales(height: int, width: int) -> int:
    """How many MS-SSIM scales fit an image: up to 5, each halving the size, the coarsest at least
    `MS_SSIM_MIN_SIDE` px on its short side (at least 1 scale)."""
    scales, side = 1, min(height, width)
    while scales < len(MS_SSIM_WEIGHTS) and side // 2 >= MS_SSIM_MIN_SIDE:
        side //= 2
        scales += 1
    return scales


def ms_ssim(a: ImageSource, b: ImageSource) -> float:
    """Multi-scale SSIM (Wang, Simoncelli & Bovik 2003), in 0..1 (1 = identical).

    Five scales with the standard exponents `MS_SSIM_WEIGHTS`; smaller images use as many scales
    as `ms_ssim_scales` allows (e.g. 4 for 160x120) and renormalise the used exponents to sum 1.
    Each scale halves the image by 2x2 averaging. Contrast-structure terms are clipped at 0 so
    the product stays defined for anti-correlated images.
    """
    a, b = _pair(a, b)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    n = ms_ssim_scales(*a.shape[:2])
    weights = np.asarray(MS_SSIM_WEIGHTS[:n])
    weights = weights / weights.sum()
    value = 1.0
    for i in range(n):
        full, cs = _ssim_terms(a64, b64)
        term = full if i == n - 1 else cs
        value *= max(term, 0.0) ** weights[i]
        if i < n - 1:
            a64, b64 = _halve(a64), _halve(b64)
    return float(value)


def _halve(x: np.ndarray) -> np.ndarray:
    h, w = (x.shape[0] // 2) * 2, (x.shape[1] // 2) * 2
    x = x[:h, :w]
    return 0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2])


# ------------------------------------------------------------------------------ silhouettes


def dominant_border_color(image: ImageSource, border_px: int = 2) -> np.ndarray:
    """The most common colour among the outer `border_px` rows and columns (sRGB, 0..1).

    Border pixels are binned (16 levels per channel); the result is the median of the pixels in
    the fullest bin, so noise and a few foreground pixels touching the border do not move it.
    """
    img = load_image(image)
    b = max(1, min(border_px, min(img.shape[:2]) // 2))
    ring = np.concatenate(
        [img[:b].reshape(-1, 3), img[-b:].reshape(-1, 3), img[:, :b].reshape(-1, 3), img[:, -b:].reshape(-1, 3)]
    )
    bins = np.minimum((ring * 16).astype(np.int32), 15)
    keys = bins[:, 0] * 256 + bins[:, 1] * 16 + bins[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    chosen = ring[keys == values[np.argmax(counts)]]
    return np.median(chosen, axis=0).astype(np.float32)


def foreground_mask(
    image: ImageSource,
    background: tuple[float, float, float] | np.ndarray | None = None,
    tolerance: float = 0.12,
    min_area: int = 4,
) -> np.ndarray:
    """Boolean (H, W) mask of pixels that differ from the background colour.

    `background` is an sRGB colour in 0..1; by default the border's dominant colour
    (`dominant_border_color`). A pixel is foreground when its Euclidean RGB distance to the
    background exceeds `tolerance` (0..1 units); connected parts (8-neighbourhood) smaller than
    `min_area` px, such as render noise, are dropped. Shadows that are darker than the
    background by more than `tolerance` count as foreground.
    """
    img = load_image(image)
    bg = dominant_border_color(img) if background is None else np.asarray(background, dtype=np.float32)
    if bg.shape != (3,):
        raise SceneError(f"background must be an RGB triple, got shape {bg.shape}")
    mask = np.linalg.norm(img - bg, axis=2) > tolerance
    if min_area > 1 and mask.any():
        labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        keep = sizes >= min_area
        keep[0] = False
        mask = keep[labels]
    return mask


def silhouette_iou(mask_a: np.ndarray, mask_b: np.ndarray) -> float:
    """Intersection over union of two boolean masks of the same shape (two empty masks give 1)."""
    a, b = np.asarray(mask_a, bool), np.asarray(mask_b, bool)
    if a.shape != b.shape:
        raise SceneError(f"masks differ in shape: {a.shape} vs {b.shape}")
    union = np.count_nonzero(a | b)
    if union == 0:
        return 1.0
    return float(np.count_nonzero(a & b) / union)


# ------------------------------------------------------------------------------ edges, colour


def edge_map(image: ImageSource, sigma: float = 2.0) -> np.ndarray:
    """Canny edges (scikit-image) of the image's luminance; `sigma` in px smooths render noise."""
    return feature.canny(rgb2gray(load_image(image)), sigma=sigma)


def edge_f1(a: ImageSource, b: ImageSource, tolerance_px: float = 2.0, sigma: float = 2.0) -> float:
    """F1 of Canny edges: an edge pixel of one image counts as matched when an edge pixel of the
    other lies within `tolerance_px` (Euclidean px). Precision is over `b`'s edges, recall over
    `a`'s. Two edgeless images give 1, one edgeless image gives 0."""
    a, b = _pair(a, b)
    edges_a, edges_b = edge_map(a, sigma), edge_map(b, sigma)
    n_a, n_b = np.count_nonzero(edges_a), np.count_nonzero(edges_b)
    if n_a == 0 and n_b == 0:
        return 1.0
    if n_a == 0 or n_b == 0:
        return 0.0
    dist_to_a = ndimage.distance_transform_edt(~edges_a)
    dist_to_b = ndimage.distance_transform_edt(~edges_b)
    precision = np.count_nonzero(dist_to_a[edges_b] <= tolerance_px) / n_b
    recall = np.count_nonzero(dist_to_b[edges_a] <= tolerance_px) / n_a
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def mean_color_error(a: ImageSource, b: ImageSource, mask: np.ndarray | None = None) -> float:
    """Mean Euclidean RGB distance, divided by sqrt(3) so it lies in 0..1.

    A uniform difference of d in every channel gives d. `mask` (bool, H x W) restricts the mean
    to its pixels; an empty mask gives 0.
    """
    a, b = _pair(a, b)
    dist = np.linalg.norm(a.astype(np.float64) - b.astype(np.float64), axis=2) / math.sqrt(3.0)
    if mask is not None:
        mask = np.asarray(mask, bool)
        if mask.shape != dist.shape:
            raise SceneError(f"mask shape {mask.shape} does not match image shape {dist.shape}")
        if not mask.any():
            return 0.0
        return float(dist[mask].mean())
    return float(dist.mean())


# ------------------------------------------------------------------------------ plug-ins


MetricFn = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class PluginMetric:
    """A user-registered metric: `fn(target, render)` on float32 (H, W, 3) arrays in 0..1."""

    name: str
    fn: MetricFn
    weight: float = 0.0
    higher_is_better: bool = True


_PLUGINS: dict[str, PluginMetric] = {}


def register_metric(name: str, fn: MetricFn, *, weight: float = 0.0, higher_is_better: bool = True) -> None:
    """Add a metric that `score` computes on every call (replacing one of the same name).

    `fn(target, render)` returns a float; `weight` (>= 0) is its default weight in `combined`,
    where it enters as `clip(value, 0, 1)` (or `1 - value` when `higher_is_better` is False,
    e.g. LPIPS). Built-in metric names are reserved.
    """
    if not name.isidentifier() or name in DEFAULT_WEIGHTS:
        raise SceneError(f"invalid or reserved metric name {name!r}")
    if not callable(fn):
        raise SceneError(f"metric {name!r}: fn must be callable")
    if not (math.isfinite(weight) and weight >= 0):
        raise SceneError(f"metric {name!r}: weight must be a finite number >= 0, got {weight}")
    _PLUGINS[name] = PluginMetric(name, fn, float(weight), bool(higher_is_better))


def unregister_metric(name: str) -> None:
    """Remove a registered metric (no error when it is absent)."""
    _PLUGINS.pop(name, None)


def registered_metrics() -> tuple[str, ...]:
    """Names of the registered plug-in metrics, in registration order."""
    return tuple(_PLUGINS)


# ------------------------------------------------------------------------------ score


@dataclass(frozen=True)
class Score:
    """Every metric of one target/render comparison and their weighted `combined` value (0..1)."""

    psnr: float
    ssim: float
    ms_ssim: float
    iou: float
    edge_f1: float
    color_error: float
    combined: float
    extra: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self) -> dict[str, float]:
        """Flat JSON-ready dict: the built-in metrics, then the plug-ins by name."""
        out = {
            "psnr": self.psnr, "ssim": self.ssim, "ms_ssim": self.ms_ssim, "iou": self.iou,
            "edge_f1": self.edge_f1, "color_error": self.color_error, "combined": self.combined,
        }
        out.update(self.extra)
        return out


def score(
    target: ImageSource,
    render: ImageSource,
    weights: Mapping[str, float] | None = None,
    *,
    masks: tuple[np.ndarray, np.ndarray] | None = None,
) -> Score:
    """Compare `render` with `target` (the render is resized to the target's size if needed).

    `weights` override entries of `DEFAULT_WEIGHTS` and plug-in weights by name (unknown names
    raise `SceneError`). `masks` = (target_mask, render_mask) replaces the `foreground_mask`
    silhouettes (e.g. from the preview renderer). See the module docstring for the formula.
    """
    t, r = _pair(target, render)
    w = dict(DEFAULT_WEIGHTS)
    w.update({name: p.weight for name, p in _PLUGINS.items()})
    for name, value in (weights or {}).items():
        if name not in w:
            raise SceneError(f"unknown metric weight {name!r}; known: {', '.join(sorted(w))}")
        if not (math.isfinite(value) and value >= 0):
            raise SceneError(f"weight {name!r} must be a finite number >= 0, got {value}")
        w[name] = float(value)
    if sum(w.values()) <= 0:
        raise SceneError("at least one metric weight must be positive")

    if masks is None:
        mask_t, mask_r = foreground_mask(t), foreground_mask(r)
    else:
        mask_t, mask_r = (np.asarray(m, bool) for m in masks)
    values = {
        "psnr": psnr(t, r), "ssim": ssim(t, r), "ms_ssim": ms_ssim(t, r),
        "iou": silhouette_iou(mask_t, mask_r), "edge_f1": edge_f1(t, r), "color_error": mean_color_error(t, r),
    }
    terms = {
        "ssim": values["ssim"], "ms_ssim": values["ms_ssim"], "iou": values["iou"],
        "psnr": values["psnr"] / PSNR_NORM, "edge_f1": values["edge_f1"], "color": 1.0 - values["color_error"],
    }
    extra = {}
    for name, plugin in _PLUGINS.items():
        try:
            value = float(plugin.fn(t, r))
        except Exception as exc:  # a plug-in's failure is reported, not raised as a traceback
            raise SceneError(f"metric {name!r} failed: {type(exc).__name__}: {exc}") from None
        if not math.isfinite(value):
            raise SceneError(f"metric {name!r} returned a non-finite value {value}")
        extra[name] = value
        terms[name] = value if plugin.higher_is_better else 1.0 - value
    combined = sum(w[k] * min(max(terms[k], 0.0), 1.0) for k in w) / sum(w.values())
    return Score(combined=float(combined), extra=MappingProxyType(extra), **values)
