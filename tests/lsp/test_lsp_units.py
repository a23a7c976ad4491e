"""The language server's pieces in process: positions, the cursor context, symbols, hover.

The end-to-end behaviour over stdio is in test_lsp_server.py; these cover the edge cases that
would take a server round trip each (line endings, encodings, half-written text).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types as T

from scenelang.errors import Span
from scenelang.lsp import completion, hover, symbols
from scenelang.lsp.context import context_at, tokens
from scenelang.lsp.positions import Text

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.sl"))
UTF16, UTF8, UTF32 = (T.PositionEncodingKind.Utf16, T.PositionEncodingKind.Utf8,
                      T.PositionEncodingKind.Utf32)


# ---------------------------------------------------------------- positions


def test_lines_end_at_lf_crlf_and_cr_only():
    doc = Text.of("a\r\nb\rc\u2028d\x0ce\n")
    assert doc.text == "a\nb\nc\u2028d\x0ce\n"
    assert doc.position(doc.text.index("e")) == T.Position(line=2, character=4)
    assert doc.line_text(2) == "c\u2028d\x0ce"


@pytest.mark.parametrize(("encoding", "character"), [(UTF16, 5), (UTF8, 8), (UTF32, 4)])
def test_characters_count_the_negotiated_code_units(encoding, character):
    doc = Text.of('# é😀x\nshape', encoding)
    offset = doc.text.index("x")
    assert doc.position(offset) == T.Position(line=0, character=character)
    assert doc.offset(T.Position(line=0, character=character)) == offset


def test_spans_convert_from_one_based_code_points():
    doc = Text.of("scenelang 1\n# 😀😀\nshape a😀 = box()\n")
    span = Span(line=3, column=8, end_line=3, end_column=9)  # the emoji after `shape a`
    assert doc.span_range(span) == T.Range(start=T.Position(line=2, character=7),
                                           end=T.Position(line=2, character=9))
    # an empty span still covers one character; no span points at the start; past the end clamps
    assert doc.span_range(Span(line=1, column=3, end_line=1, end_column=3)).end.character == 3
    assert doc.span_range(None) == T.Range(start=T.Position(line=0, character=0),
                                           end=T.Position(line=0, character=0))
    assert doc.span_range(Span(line=9, column=9, end_line=9, end_column=99)).start.line == 3  # the empty last line


def test_positions_past_the_end_clamp():
    doc = Text.of("ab\ncd")
    assert doc.offset(T.Position(line=0, character=99)) == 2
    assert doc.offset(T.Position(line=7, character=0)) == 5
    assert doc.full_range().end == T.Position(line=1, character=2)


@given(st.text(alphabet=st.sampled_from("ab\n\r é😀\u2028"), max_size=40), st.data())
def test_offsets_round_trip_through_positions(source, data):
    doc = Text.of(source, data.draw(st.sampled_from([UTF16, UTF8, UTF32])))
    offset = data.draw(st.integers(0, len(doc.text)))
    assert doc.offset(doc.position(offset)) == offset


# ---------------------------------------------------------------- context and completion


def test_colours_and_comments_are_told_apart():
    kinds = [(t.kind, t.text) for t in tokens("world color #101010  # dark #abcdef\n#abcdef x\n")]
    assert kinds == [("name", "world"), ("name", "color"), ("colour", "#101010"),
                     ("comment", "# dark #abcdef"), ("comment", "#abcdef x")]


@pytest.mark.parametrize(("text", "expected"), [
    ("", ["scenelang 1"]),
    ("scenelang 1\ngeometry {\n  shape a = ", ["box", "sphere", "cylinder", "cone", "torus",
                                              "plane", "revolve", "extrude", "mesh", "union",
                                              "difference", "intersection"]),
    ("scenelang 1\ngeometry {\n  shape a = box(size=(1, 1, 1))\n  shape b = union(", None),
    ("scenelang 1\ngeometry {\n  shape a = box(size=(1, 1, 1)) ", ["at", "rotate", "scale", "material", "bevel",
                                                                  "shape"]),
    ("scenelang 1\ngeometry {\n  shape b = union(a at (1, 0, 0) ", ["rotate", "scale", "material", "bevel"]),
    ("scenelang 1\ngeometry {\n  shape b = union(a at (1, 0, 0), a ", ["at", "rotate", "scale", "material",
                                                                  "bevel"]),
    ("scenelang 1\nmaterials {\n  material m = ", ["principled"]),
    ("scenelang 1\nmaterials {\n  material m = principled(metallic=1, ", None),
    ("scenelang 1\nlighting {\n  light l = ", ["sun", "point", "spot", "area"]),
    ("scenelang 1\nlighting {\n  light l = area(at=(0, 0, 1), shape=", ["square", "rectangle", "disk", "ellipse"]),
    ("scenelang 1\nlighting {\n  world color #101010 ", ["strength", "light", "world"]),
    ("scenelang 1\ncomposition {\n  camera c at (1, 2, 3) look_at (0, 0, 0) ", None),
    ("scenelang 1\ngeometry {\n  shape a = box(size=(1, 1, 1))  # box(", []),
    ("scenelang 1\ngeometry {\n  shape a = box(size=(1, ", []),
])
def test_completion_in_half_written_text(text, expected):
    labels = [i.label for i in completion.complete(text, len(text))]
    if expected is not None:
        assert labels == expected
    elif "union(" in text:
        assert labels[-1] == "a" and "box" in labels  # operands: kinds and earlier shapes
    elif "metallic" in text:
        assert "metallic" not in labels and labels[0] == "base_color" and "alpha" in labels
    else:  # the camera: its clauses not given yet, then the section's statements
        assert labels == ["rotate", "lens", "fov", "sensor", "resolution", "object", "group", "camera"]


def test_completion_of_a_word_being_typed_keeps_its_context():
    text = "scenelang 1\ngeometry {\n  shape s = sphere(rad"
    ctx = context_at(text, len(text))
    assert ctx.prefix_start == len(text) - 3 and ctx.top.name == "sphere"
    items = completion.complete(text, len(text))
    radius = next(i for i in items if i.label == "radius")
    assert radius.insert_text == "radius=" and "range > 0" in radius.detail


def test_earlier_shapes_only_in_a_shape_definition():
    text = "scenelang 1\ngeometry {\n  shape a = box(size=(1, 1, 1))\n  shape b = \n  shape c = a\n}\n"
    at = text.index("shape b = ") + len("shape b = ")
    labels = [i.label for i in completion.complete(text, at)]
    assert "a" in labels and "c" not in labels


# ---------------------------------------------------------------- symbols and hover


def test_keywords_used_as_names_and_names_in_comments():
    text = ("scenelang 1\ngeometry {\n  shape material = box(size=(1, 1, 1))  # material\n"
            "  shape b = union(material at (1, 0, 0), material)\n}\n"
            "materials {\n  material shape = principled()\n}\n"
            "composition {\n  object o = material material shape\n}\n")
    found = symbols.occurrences(text)
    shapes = [o for o in found if o.namespace == "shape" and o.name == "material"]
    assert len(shapes) == 4 and shapes[0].definition
    assert all(text[o.start:o.end] == "material" for o in found if o.name == "material")
    materials = [o for o in found if o.namespace == "material"]
    assert [text[o.start:o.end] for o in materials] == ["shape", "shape"]
    assert "# material" in symbols.apply(text, shapes, "cube")


def test_a_syntax_error_means_no_symbols_and_no_rename():
    text = "scenelang 1\ngeometry {\n  shape a = box(size=(1, 1, 1)\n}\n"
    assert symbols.occurrences(text) is None
    with pytest.raises(symbols.RenameError, match="syntax error"):
        symbols.rename(text, text.index("a ="), "b")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_defines_what_it_uses(path):
    """On the examples, every used shape and material name finds its definition."""
    text = path.read_text(encoding="utf-8")
    found = symbols.occurrences(text)
    assert found and any(o.definition for o in found)
    for occ in found:
        assert symbols.definition_of(found, occ) is not None, occ


def test_hover_on_transforms_clauses_and_keywords():
    text = ("scenelang 1\ngeometry {\n  shape a = box(size=(1, 1, 1)) rotate (0, 0, 30deg)\n"
            "  shape b = union(a scale 2, a)\n}\n"
            "composition {\n  object o = b material m\n}\n")
    rotate = hover.hover(text, text.index("rotate") + 1)[0]
    assert "Euler XYZ rotation" in rotate and "unit deg" in rotate
    assert "uniform or per-axis scale" in hover.hover(text, text.index("scale") + 2)[0]
    assert "name of a material" in hover.hover(text, text.index("material m") + 1)[0]
    assert "composition" in hover.hover(text, text.index("object") + 1)[0]
    assert hover.hover(text, text.index("m\n}")) == ("material `m` is not defined",
                                                     (text.index("m\n}"), text.index("m\n}") + 1))


def test_rename_stays_in_its_namespace():
    """A shape, a material and an object may share a name; renaming the shape touches only it."""
    text = ("scenelang 1\ngeometry {\n  shape table = box(size=(1, 1, 1))\n}\n"
            "materials {\n  material table = principled()\n}\n"
            "composition {\n  object table = table material table\n}\n")
    target, edits = symbols.rename(text, text.index("table ="), "desk")
    assert (target.namespace, len(edits)) == ("shape", 2)
    renamed = symbols.apply(text, edits, "desk")
    assert "shape desk = box" in renamed and "object table = desk material table" in renamed
    assert "material table = principled()" in renamed
    _, edits = symbols.rename(text, text.rindex("table"), "wood")
    assert symbols.apply(text, edits, "wood").count("wood") == 2
    with pytest.raises(symbols.RenameError, match="only shape and material names"):
        symbols.rename(text, text.index("object table") + 8, "desk")  # an object's own name


V2_SCENE = """scenelang 1
geometry {
  shape leg = box(size=(0.1, 0.1, 0.7))
  shape top = difference(box(size=(1, 1, 0.1)) material oak, cylinder(radius=0.1, depth=1))
}
materials {
  material oak = principled(base_color=#8b5a2b)
}
composition {
  object t = top material oak
  object legs = array(leg, count=4, around=(0, 0, 0)) at (0.5, 0.5, 0.36) material oak
  object leg2 = instance leg at (1, 1, 0) material oak
  object t2 = instance t at (3, 0, 0)
}
"""


def test_rename_reaches_v2_uses_operand_materials_instance_and_array_sources():
    offset = V2_SCENE.index("material oak =") + len("material ")
    _, targets = symbols.rename(V2_SCENE, offset, "walnut")
    renamed = symbols.apply(V2_SCENE, targets, "walnut")
    assert "oak" not in renamed and renamed.count("walnut") == 5
    offset = V2_SCENE.index("shape leg") + len("shape ")
    _, targets = symbols.rename(V2_SCENE, offset, "post")
    renamed = symbols.apply(V2_SCENE, targets, "post")
    assert "array(post," in renamed and "instance post at" in renamed
    assert "instance t at" in renamed  # an instance of an object is not a shape use
    assert "object leg2" in renamed  # object names are not shape names
