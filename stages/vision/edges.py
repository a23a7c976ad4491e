"""Crisp and soft boundaries: objects have crisp outlines, light patches and soft shadows do not.

An object's silhouette is a step in the image, blurred only by anti-aliasing (about one pixel);
the edge of a light patch thrown on the ground by a point or area light, or of an area light's
shadow, is a ramp many pixels wide. The gradient magnitude of a step falls as 1/scale when the
image is smoothed more, that of a wide ramp hardly changes. `crisp_edges` keeps the pixels
whose gradient at a fine scale (Gaussian sigma `fine` px, default 0.8) is both large (above
`floor` sRGB per px, or `noise_factor` times the image noise) and at least `ratio` (default 1.6)
times the gradient at a coarse scale (sigma `coarse`, default 2.5 px).

`pieces(mask, crisp)` cuts a region along its crisp edges and measures each piece's ring (the
pixels just outside it): how much of it lies outside the region, how much of that is crisp
(within one pixel of a crisp edge) and how much is the cut. `soft_parts` returns the pieces
bordered mostly softly by the rest of the image (a light patch or soft shadow merged with an
object), `enclosed_parts` those enclosed by crisp outlines, `crisp_pieces` what remains of an
`implausible` (slab-sized) region without its soft parts.

Images are sRGB floats (H, W, 3) in 0..1, masks bool (H, W).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

_EIGHT = np.ones((3, 3), bool)
_CROSS = ndimage.generate_binary_structure(2, 1)


def gradient(img: np.ndarray, sigma: float) -> np.ndarray:
    """Colour gradient magnitude (sRGB units per px) at Gaussian scale `sigma` px."""
    mags = [ndimage.gaussian_gradient_magnitude(img[..., c], sigma, mode="nearest")
            for c in range(img.shape[2])]
    return np.sqrt(np.sum(np.square(mags), axis=0))


def crisp_edges(img: np.ndarray, noise: float = 0.0, *, fine: float = 0.8, coarse: float = 2.5,
                ratio: float = 1.6, floor: float = 0.02, noise_factor: float = 3.0,
                min_length: int = 6) -> np.ndarray:
    """Pixels on a crisp (step-like) edge; see the module docstring for the parameters. The
    image is first median filtered (3 x 3 px) against render noise, and the gradient must also
    exceed `noise_factor` times the local noise (`local_noise`). Edge pieces of fewer than
    `min_length` px (noise specks) are dropped."""
    # a 3 x 3 median keeps steps and removes most render noise
    img = ndimage.median_filter(np.asarray(img, dtype=np.float64), size=(3, 3, 1), mode="nearest")
    g1 = gradient(img, fine)
    g2 = gradient(img, coarse)
    strong = g1 > np.maximum(max(floor, noise_factor * noise), noise_factor * local_noise(img))
    edges = strong & (g1 > ratio * g2)
    # render noise (fireflies) makes isolated specks; outlines are long connected curves
    labels, count = ndimage.label(edges, structure=_EIGHT)
    if count:
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        small = sizes < min_length
        small[0] = False
        edges &= ~small[labels]
    return edges


def local_noise(img: np.ndarray, size: int = 9) -> np.ndarray:
    """Robust local noise (sRGB units, H x W): 1.4826 x the median, over `size` x `size` px, of
    the colour distance to a 1-px Gaussian blur. Render noise grows with brightness (a light's
    bright patch is noisier than the rest of the ground); a thin edge barely moves a median."""
    blur = np.stack([ndimage.gaussian_filter(img[..., c], 1.0, mode="nearest")
                     for c in range(img.shape[2])], axis=2)
    high = np.linalg.norm(img - blur, axis=2)
    return 1.4826 * ndimage.median_filter(high, size=size, mode="nearest")


def ring(mask: np.ndarray) -> np.ndarray:
    """The pixels just outside `mask` (8-neighbours)."""
    return ndimage.binary_dilation(mask, structure=_EIGHT) & ~mask


def pieces(mask: np.ndarray, crisp: np.ndarray, *, min_px: int = 12,
           neutral: np.ndarray | None = None):
    """Cut `mask` along its crisp edges (widened by one pixel) and yield, for each piece of at
    least `min_px` px, (piece mask with holes filled, ring pixels outside the mask, of those
    the ones within one pixel of a crisp edge, ring pixels on the cut). Ring pixels in
    `neutral` are left out."""
    barrier = ndimage.binary_dilation(crisp, structure=_CROSS) & mask
    labels, count = ndimage.label(mask & ~barrier, structure=_CROSS)
    if count == 0:
        return
    near = ndimage.binary_dilation(crisp, structure=_EIGHT)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    h, w = mask.shape
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sizes[i] < min_px:
            continue
        r0, r1 = max(sl[0].start - 2, 0), min(sl[0].stop + 2, h)
        c0, c1 = max(sl[1].start - 2, 0), min(sl[1].stop + 2, w)
        # holes (noise specks on the cut) do not count: only the piece's outline
        piece = np.zeros(mask.shape, bool)
        piece[r0:r1, c0:c1] = ndimage.binary_fill_holes(labels[r0:r1, c0:c1] == i)
        outer = ring(piece)
        outside = outer & ~mask
        if neutral is not None:
            outside &= ~neutral
        cut = outer & mask
        yield piece, int(outside.sum()), int((outside & near).sum()), int(cut.sum())


def _is_soft(n_out: int, n_crisp: int, n_cut: int, max_crispness: float,
             min_outside: float) -> bool:
    return n_out > 0 and n_out >= min_outside * (n_out + n_cut) and n_crisp < max_crispness * n_out


def soft_parts(mask: np.ndarray, crisp: np.ndarray, *, max_crispness: float = 0.3,
               min_px: int = 12, neutral: np.ndarray | None = None,
               min_outside: float = 0.25) -> np.ndarray:
    """The pixels of `mask` in pieces (after cutting it along crisp edges) bordered at least
    `min_outside` by the rest of the image (not by the cut) and there less than
    `max_crispness` crisp: a light patch or soft shadow, not an object (whose pieces are
    bordered by crisp outline or by the cut). Ring pixels in `neutral` (e.g. shadows: an
    object's shaded side next to its shadow has no edge) do not count. Pieces under `min_px`
    px are left alone."""
    out = np.zeros(mask.shape, bool)
    for piece, n_out, n_crisp, n_cut in pieces(mask, crisp, min_px=min_px, neutral=neutral):
        if _is_soft(n_out, n_crisp, n_cut, max_crispness, min_outside):
            out |= piece & mask
    return out


def enclosed_parts(mask: np.ndarray, crisp: np.ndarray, *, min_crispness: float = 0.6,
                   min_px: int = 12) -> np.ndarray:
    """The pixels of `mask` in pieces (cut along crisp edges) whose whole ring, the cut
    included, is at least `min_crispness` crisp: things with an object's outline inside a
    region taken for shadow (a grey object on a grey ground in soft light)."""
    out = np.zeros(mask.shape, bool)
    for piece, n_out, n_crisp, n_cut in pieces(mask, crisp, min_px=min_px):
        total = n_out + n_cut
        if total and (n_crisp + n_cut) >= min_crispness * total:
            out |= piece & mask
    return out


def implausible(mask: np.ndarray, *, max_fraction: float = 0.2, max_width: float = 0.6) -> bool:
    """True for a region no single object of a tabletop scene makes: more than `max_fraction`
    of the image, wider than `max_width` of it, or touching two or more image borders (a
    light's patch on the ground, a merged group of objects)."""
    h, w = mask.shape
    if not mask.any():
        return False
    cols = np.nonzero(mask.any(axis=0))[0]
    borders = sum(bool(x) for x in (mask[0].any(), mask[-1].any(), mask[:, 0].any(), mask[:, -1].any()))
    return bool(mask.sum() > max_fraction * h * w or (cols[-1] - cols[0] + 1) > max_width * w
                or borders >= 2)


def crisp_pieces(mask: np.ndarray, crisp: np.ndarray, *, max_crispness: float = 0.3,
                 min_px: int = 30) -> list[np.ndarray]:
    """The parts of `mask` that are not soft (`soft_parts` with `max_crispness`), their outline
    pixels given back, as separate masks of at least `min_px` px: what is left of an
    implausible region once its soft-edged parts (light patch, soft shadow) are dropped."""
    solid = np.zeros(mask.shape, bool)
    for piece, n_out, n_crisp, n_cut in pieces(mask, crisp, min_px=min_px):
        if not _is_soft(n_out, n_crisp, n_cut, max_crispness, 0.25):
            solid |= piece & mask
    if not solid.any():
        return []
    labels, count = ndimage.label(solid, structure=_CROSS)
    near = ndimage.binary_dilation(crisp, structure=_EIGHT) & mask & ~solid
    out = []
    for i in range(1, count + 1):
        piece = labels == i
        if piece.sum() < min_px:
            continue
        out.append(piece | (ndimage.binary_dilation(piece, structure=_EIGHT, iterations=2) & near))
    # outline pixels claimed by two pieces go to the first only
    taken = np.zeros(mask.shape, bool)
    for k, piece in enumerate(out):
        out[k] = piece & ~taken
        taken |= piece
    return out
