"""Render defaults: the one place where scenelang decides how Blender renders.

Every compiled script embeds these values as its defaults; `--samples`, `--size`, `--seed`,
`--engine` and `--threads` on the script's command line override them per render.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Engine = Literal["CYCLES", "BLENDER_WORKBENCH"]
ENGINES: tuple[str, ...] = ("CYCLES", "BLENDER_WORKBENCH")


@dataclass(frozen=True)
class RenderSettings:
    """How a scene is rendered.

    engine: `CYCLES` (the reference) or `BLENDER_WORKBENCH` (fast flat previews).
    device: Cycles device, `CPU`.
    samples: Cycles samples per pixel (default 32).
    seed: Cycles noise seed (default 0, fixed so renders are reproducible).
    denoise: Cycles denoiser (default off: deterministic and cheaper).
    view_transform: colour management view transform (default `Standard`, not AgX/Filmic).
    look: colour management look (None = Blender's "None").
    exposure: in stops (default 0). gamma: display gamma (default 1).
    film_transparent: render the world background as transparent (default False).
    size: (width, height) in pixels, or None for the camera's `resolution`.
    threads: render threads, 0 = one per core (Blender's automatic mode).
    """

    engine: Engine = "CYCLES"
    device: Literal["CPU"] = "CPU"
    samples: int = 32
    seed: int = 0
    denoise: bool = False
    view_transform: str = "Standard"
    look: str | None = None
    exposure: float = 0.0
    gamma: float = 1.0
    film_transparent: bool = False
    size: tuple[int, int] | None = None
    threads: int = 0

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if not 1 <= self.samples <= 1_000_000:
            raise ValueError(f"samples must be in 1..1000000, got {self.samples}")
        if not 0 <= self.seed < 2**31:
            raise ValueError(f"seed must be in 0..2^31-1, got {self.seed}")
        if self.size is not None and not all(1 <= int(v) <= 16384 for v in self.size):
            raise ValueError(f"size must be two integers in 1..16384, got {self.size}")
        if not 0 <= self.threads <= 1024:
            raise ValueError(f"threads must be in 0..1024, got {self.threads}")

    def with_(self, **changes) -> RenderSettings:
        """A copy with some fields changed; None values are ignored (handy for CLI options)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def script_args(self) -> list[str]:
        """The per-render options of a compiled script that reproduce these settings."""
        args = ["--samples", str(self.samples), "--seed", str(self.seed), "--engine", self.engine]
        if self.size is not None:
            args += ["--size", str(int(self.size[0])), str(int(self.size[1]))]
        if self.threads:
            args += ["--threads", str(self.threads)]
        return args


DEFAULT_SETTINGS = RenderSettings()
