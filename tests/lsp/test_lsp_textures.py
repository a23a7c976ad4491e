"""The language server on textures: completion of texture kinds and names, hover on a kind."""

from __future__ import annotations

from pathlib import Path

from scenelang import ast as A
from scenelang.lsp import symbols
from scenelang.lsp.completion import complete
from scenelang.lsp.hover import hover

TEXT = (Path(__file__).resolve().parents[2] / "examples" / "textures.sl").read_text()


def labels(text: str, offset: int) -> list[str]:
    return [item.label for item in complete(text, offset)]


def test_texture_kinds_complete_after_a_texture_statement_head():
    text = TEXT.replace("texture grain = wave(", "texture grain = ")
    offset = text.index("texture grain = ") + len("texture grain = ")
    assert labels(text, offset) == list(A.TEXTURE_KINDS)


def test_texture_names_complete_in_a_material_texture_input():
    text = TEXT.replace("principled(base_color=grain", "principled(base_color=")
    offset = text.index("principled(base_color=,") + len("principled(base_color=")
    assert labels(text, offset)[:6] == ["squares", "grain", "knots", "bricks", "fade", "tiles"]


def test_hover_on_a_texture_kind_and_parameter():
    markdown, _ = hover(TEXT, TEXT.index("wave(") + 1)
    assert "Blender's Wave texture" in markdown
    markdown, _ = hover(TEXT, TEXT.index("scale=6") + 1)
    assert "waves per metre" in markdown


def test_texture_names_have_definitions_references_and_rename():
    found = symbols.occurrences(TEXT)
    uses = [o for o in found if o.namespace == "texture" and o.name == "grain"]
    assert [o.definition for o in uses] == [True, False]  # `texture grain =`, `base_color=grain`
    occ = symbols.at_offset(found, TEXT.index("base_color=grain") + len("base_color="))
    assert symbols.definition_of(found, occ).start == TEXT.index("texture grain") + len("texture ")
    _, edits = symbols.rename(TEXT, TEXT.index("texture grain") + 9, "oak_grain")
    renamed = symbols.apply(TEXT, edits, "oak_grain")
    assert "texture oak_grain = wave(" in renamed and "base_color=oak_grain," in renamed
    markdown, _ = hover(TEXT, TEXT.index("base_color=grain") + len("base_color=") + 1)
    assert "texture grain = wave(" in markdown and "defined on line" in markdown
