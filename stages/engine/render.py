"""Rendering inside the reconstruction loop: one persistent Blender worker per run, every render
scored against the target.

`LoopRenderer` renders scenes at the loop size (the target's aspect ratio, long side `long_side`
pixels, Cycles with `samples` samples and the fixed seed of `RenderSettings`) into a scratch
folder, and scores each render with `scenelang.stages.metrics.score` against the target resized
to the same size. Blender failures become `SceneError`s, so the engine can log them and go on.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PIL import Image

from scenelang import ast as A
from scenelang.backends.blender.runner import BlenderError, BlenderWorker
from scenelang.compiler.settings import RenderSettings
from scenelang.errors import SceneError
from scenelang.stages.metrics import load_image, score


def fit_size(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """`size`'s aspect ratio with its long side set to `long_side` pixels (each side >= 8)."""
    w, h = size
    k = long_side / max(w, h)
    return max(8, round(w * k)), max(8, round(h * k))


class LoopRenderer:
    """Renders scenes in the persistent Blender worker and scores them against the target.

    `size`: loop render size (w, h); `samples`: Cycles samples; renders go to `work` and are
    copied into step folders by the engine.
    """

    def __init__(self, target: Path, work: Path, long_side: int, samples: int):
        with Image.open(target) as im:
            self.target_size: tuple[int, int] = im.size
        self.size = fit_size(self.target_size, long_side)
        self.samples = samples
        self.target_path = target
        self.target = load_image(target, size=self.size)
        self.work = work
        self._worker: Any = None
        self._count = 0

    def __enter__(self) -> LoopRenderer:
        self.work.mkdir(parents=True, exist_ok=True)
        self._worker = BlenderWorker()  # starts on the first render
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def _render(self, scene: A.Scene, png: Path, size: tuple[int, int], samples: int,
                blend: Path | None = None) -> float:

        t0 = time.monotonic()
        try:
            self._worker.render(scene, png, blend=blend,
                                settings=RenderSettings(samples=samples, size=size))
        except BlenderError as exc:
            raise SceneError(f"Blender failed to render the scene: {exc}") from None
        return time.monotonic() - t0

    def render_and_score(self, scene: A.Scene) -> tuple[Path, dict[str, float], float]:
        """Render `scene` at loop size; returns (png path, score dict, render seconds)."""

        self._count += 1
        png = self.work / f"render-{self._count:04d}.png"
        seconds = self._render(scene, png, self.size, self.samples)
        return png, score(self.target, png).to_dict(), seconds

    def render_final(self, scene: A.Scene, png: Path, blend: Path, settings: Any
                     ) -> dict[str, float]:
        """Render final.png and final.blend with `settings` (a `RenderSettings`), written
        atomically; returns the score of final.png against the full-size target."""

        tmp_png, tmp_blend = self.work / "final.png", self.work / "final.blend"
        self._render(scene, tmp_png, settings.size, settings.samples, tmp_blend)
        tmp_blend.replace(blend)
        tmp_png.replace(png)
        return score(load_image(self.target_path), png).to_dict()
