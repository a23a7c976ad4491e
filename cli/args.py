"""Argument types shared by the subcommands: clear argparse errors for bad numbers and budgets."""

from __future__ import annotations

import argparse
import math

from scenelang.validate import DEFAULT_LIMITS

STAGES = ("geometry", "materials", "composition", "lighting")
"""The stage names a `--budget` may name (reconstruct, bench)."""


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value


def image_side(text: str) -> int:
    """A side of an image in pixels: 1 to `Limits.max_resolution` (4096)."""
    value = positive_int(text)
    if value > DEFAULT_LIMITS.max_resolution:
        raise argparse.ArgumentTypeError(f"expected at most {DEFAULT_LIMITS.max_resolution} "
                                         f"pixels, got {value}")
    return value


def sample_count(text: str) -> int:
    """Render samples: 1 to `Limits.max_samples` (4096)."""
    value = positive_int(text)
    if value > DEFAULT_LIMITS.max_samples:
        raise argparse.ArgumentTypeError(f"expected at most {DEFAULT_LIMITS.max_samples} "
                                         f"samples, got {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def parse_budget(text: str) -> dict[str, int]:
    """`geometry=5,materials=3,...` -> {stage: rounds}; stages left out keep their defaults."""
    out: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in STAGES:
            raise argparse.ArgumentTypeError(
                f"bad budget item {item!r}: write STAGE=ROUNDS with STAGE one of "
                f"{', '.join(STAGES)}, e.g. geometry=5,materials=3")
        try:
            rounds = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"rounds for {name} must be an integer, "
                                             f"got {value!r}") from None
        if rounds < 0:
            raise argparse.ArgumentTypeError(f"rounds for {name} must be 0 or more")
        out[name] = rounds
    return out
