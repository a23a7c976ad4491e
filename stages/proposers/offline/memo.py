"""Remembered primitive fits: each (kind, mask, care, camera, budget) is fitted once per image.

The draft fits the same object regions twice: the split hypotheses (`offline.split`) screen
every region with the single-primitive fits, and the draft's own fits (`draft.fit_regions`)
fit the same regions again through the same start camera with the same budget. `FitMemo`
remembers `fit.fit_single`'s results, so the second call costs nothing. `fit_single` is
deterministic (Nelder-Mead from a start computed from its inputs), so a remembered result is
exactly the one a fresh fit would give.

The key is the kind, digests of the mask and the care mask (bytes of their packed bits and
their shape), the camera's pose and optics with its resolution replaced by the image size the
fit uses (the projection with an explicit size does not read the resolution), the size and the
evaluation budget. Only the fitted guess and its IoU are kept (a few hundred bytes per entry).
"""

from __future__ import annotations

import hashlib

import numpy as np

from scenelang import ast as A
from scenelang.stages.proposers.offline.fit import Guess, fit_single


def digest(mask: np.ndarray) -> bytes:
    """A 16-byte digest of a bool mask (its shape and packed bits)."""
    m = np.ascontiguousarray(mask, dtype=bool)
    h = hashlib.blake2b(digest_size=16)
    h.update(np.asarray(m.shape, np.int64).tobytes())
    h.update(np.packbits(m).tobytes())
    return h.digest()


def camera_key(camera: A.Camera, size: tuple[int, int]) -> str:
    """The camera as a key, with its resolution replaced by `size` (W, H)."""
    return camera.model_copy(update={"resolution": tuple(int(s) for s in size)}).model_dump_json()


class FitMemo:
    """`fit_single` with its results remembered (see the module docstring). `hits` and
    `misses` count the calls answered from memory and the fits run."""

    def __init__(self) -> None:
        self._fits: dict[tuple, tuple[Guess, float] | None] = {}
        self.hits = 0
        self.misses = 0

    def fit(self, kind: str, mask: np.ndarray, care: np.ndarray, camera: A.Camera,
            size: tuple[int, int], max_evals: int = 120) -> tuple[Guess, float] | None:
        """`fit.fit_single(kind, mask, care, camera, size, max_evals=max_evals)`, remembered."""
        key = (kind, digest(mask), digest(care), camera_key(camera, size),
               (int(size[0]), int(size[1])), int(max_evals))
        if key in self._fits:
            self.hits += 1
            return self._fits[key]
        self.misses += 1
        found = fit_single(kind, mask, care, camera, size, max_evals=max_evals)
        self._fits[key] = found
        return found
