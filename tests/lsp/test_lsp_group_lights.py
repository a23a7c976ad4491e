"""The language server and lights in composition groups: inside a group's braces completion offers
what a group holds (`object`, `group`, `light`), a light's kinds and parameters there, and hover
on `group` and `light` says a light may stand in a group."""

from __future__ import annotations

from scenelang.lsp.completion import complete
from scenelang.lsp.hover import hover

HEAD = "scenelang 1\ncomposition {\n  group lamp at (1, 0, 0) {\n"


def labels(text: str) -> list[str]:
    return [item.label for item in complete(text, len(text))]


def test_completion_inside_a_group_offers_lights():
    assert labels(HEAD + "    ") == ["object", "group", "light"]
    assert labels(HEAD + "    group inner {\n      ") == ["object", "group", "light"]
    assert labels(HEAD + "    light l = ") == ["sun", "point", "spot", "area"]
    assert labels(HEAD + "    light l = point(at=(0, 0, 1), ") == ["energy", "color", "radius"]
    assert labels("scenelang 1\ncomposition {\n  ") == ["object", "group", "camera"]  # unchanged


def test_hover_on_group_and_light_mentions_lights_in_groups():
    text = HEAD + "    light l = point(at=(0, 0, 1))\n  }\n}\n"
    assert "light ..." in hover(text, text.index("group") + 1)[0]
    assert "composition group" in hover(text, text.index("light") + 1)[0]
