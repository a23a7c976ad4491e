"""The proposers scenelang knows, registered explicitly by name.

`make_proposer("offline")` and `make_proposer("vlm", model=..., base_url=...)` build one; a new
proposer adds one entry to `PROPOSERS` (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scenelang.stages.proposers.base import Proposer, ProposerUnavailable
from scenelang.stages.proposers.offline.proposer import OfflineProposer
from scenelang.stages.proposers.vlm.client import VLMProposer


def _offline(**_options: Any) -> Proposer:
    """The offline proposer has no options; any given (e.g. a model name) are ignored."""
    return OfflineProposer()


PROPOSERS: dict[str, Callable[..., Proposer]] = {
    "offline": _offline,
    "vlm": VLMProposer.from_options,
}
"""Name -> factory taking the proposer's options as keywords."""


def make_proposer(kind: str, **options: Any) -> Proposer:
    """The proposer named `kind` (one of `PROPOSERS`: "offline", the default, or "vlm").

    `options` configure the VLM proposer (`model`, `base_url`, `api_key`, `timeout`, ...; see
    `VLMProposer.from_options`); the offline proposer takes none.

    Raises `ProposerUnavailable` with a clear message when that proposer cannot be built.
    """
    factory = PROPOSERS.get(kind)
    if factory is None:
        raise ProposerUnavailable(
            f"unknown proposer {kind!r} (choose {' or '.join(sorted(PROPOSERS))})")
    return factory(**options)
