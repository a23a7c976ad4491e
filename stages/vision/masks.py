"""Colour and mask helpers shared by the segmentation modules (`vision.segment`,
`vision.shadows`): the sRGB transfer function and its inverse, luminance, and mask cleaning and
connected components. Images are float sRGB or linear RGB in 0..1, masks bool (H, W)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from scenelang.stages.vision.material import LUMA

EIGHT = np.ones((3, 3), bool)
"""8-connectivity."""


def srgb_to_linear(image: np.ndarray) -> np.ndarray:
    """The sRGB transfer function inverted: sRGB-encoded 0..1 values to linear RGB."""
    x = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(image: np.ndarray) -> np.ndarray:
    """The sRGB transfer function: linear RGB (clipped to 0..1) to sRGB-encoded values."""
    x = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)


def luminance(linear_rgb: np.ndarray) -> np.ndarray:
    """Rec. 709 luminance of linear RGB values (last axis = channels)."""
    return np.asarray(linear_rgb, dtype=np.float64) @ LUMA




def clean_mask(mask: np.ndarray, min_area: int) -> np.ndarray:
    """`mask` opened and closed (cross element), with holes of at most `max(4, min_area // 3)`
    px filled."""
    cross = ndimage.generate_binary_structure(2, 1)
    mask = ndimage.binary_opening(mask, structure=cross)
    mask = ndimage.binary_closing(mask, structure=cross) | mask
    holes = ndimage.binary_fill_holes(mask) & ~mask
    labels, count = ndimage.label(holes)
    if count:
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        small = sizes <= max(4, min_area // 3)
        small[0] = False
        mask = mask | small[labels]
    return mask


def components(mask: np.ndarray, min_area: int) -> list[np.ndarray]:
    """The 8-connected components of `mask` of at least `min_area` px."""
    labels, count = ndimage.label(mask, structure=EIGHT)
    if not count:
        return []
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    return [labels == i for i in range(1, count + 1) if sizes[i] >= min_area]
