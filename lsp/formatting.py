"""Formatting: the canonical form `scenelang fmt` prints, comments kept.

As `scenelang fmt` does (`scenelang.api.format`): parse, validate (raising on errors),
`print_scene`. A scene
that does not parse or validate is left alone (no edits; its diagnostics say why). The result is
one edit replacing the whole document, or none when the text is already canonical.
"""

from __future__ import annotations

from lsprotocol import types as T

from scenelang.errors import SceneError
from scenelang.lsp.positions import Text
from scenelang.parser import parse_scene
from scenelang.printer import print_scene
from scenelang.validate import check


def canonical(text: str) -> str | None:
    """The canonical text of a scene, or None when it does not parse or validate."""
    try:
        scene = parse_scene(text)
        check(scene)
    except SceneError:
        return None
    return print_scene(scene)


def format_edits(doc: Text, original: str) -> list[T.TextEdit]:
    """Edits turning the document into its canonical form (`original` is the text as the client
    has it, so line endings other than LF are replaced too)."""
    text = canonical(doc.text)
    if text is None or text == original:
        return []
    return [T.TextEdit(range=doc.full_range(), new_text=text)]
