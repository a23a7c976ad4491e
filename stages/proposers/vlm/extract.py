"""Reading the patch out of a model's answer: the first fenced code block, prose ignored.

Accepted fences are CommonMark-style: three or more backticks or tildes, optionally indented up
to three spaces, with an info string of `sl`, `slp`, `scenelang` or nothing. A block tagged with
another language (```python) is skipped; if only such blocks exist the answer is rejected with a
message saying so. An unterminated block runs to the end of the answer (answers cut off at the
token limit usually still parse or give a positioned error). Nothing here is executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCENE_TAGS = frozenset({"", "sl", "slp", "scenelang", "scene", "scenelang-patch"})
"""Info strings that mark a code block as scene language (case-insensitive)."""

MAX_ANSWER_CHARS = 200_000
"""Longer answers are rejected outright (a runaway generation, not a patch)."""

_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")


@dataclass(frozen=True)
class Extracted:
    """The code of the first scene-language block (`code`), or why there is none (`error`)."""

    code: str | None
    language: str | None = None
    error: str | None = None


def _blocks(text: str):
    """Yield (info, code, terminated) for every fenced block of `text`, in order."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group("fence")
        info = m.group("info").strip().split()
        tag = info[0].lower() if info else ""
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not closing.match(lines[j]):
            body.append(lines[j])
            j += 1
        yield tag, "\n".join(body), j < len(lines)
        i = j + 1


def extract_code(answer: str) -> Extracted:
    """The first scene-language fenced block of `answer`.

    Returns `Extracted(code=...)` on success, else `Extracted(code=None, error=...)` with a
    message meant to be fed back to the model verbatim.
    """
    if len(answer) > MAX_ANSWER_CHARS:
        return Extracted(None, error=f"the answer is too long ({len(answer)} characters); "
                                     "answer with one short ```sl code block")
    other: list[str] = []
    for tag, code, _terminated in _blocks(answer):
        if tag in SCENE_TAGS:
            if not code.strip():
                return Extracted(None, tag, "the ```sl code block is empty; put the patch in it")
            return Extracted(code.strip("\n") + "\n", tag or None)
        other.append(tag)
    if other:
        return Extracted(None, other[0], f"the answer has a ```{other[0]} code block but no ```sl "
                                         "block; write the patch in scene language inside ```sl")
    return Extracted(None, error="the answer has no fenced code block; put the patch inside "
                                 "```sl ... ``` (text outside the block is ignored)")
