"""Parser: valid input gives the typed AST; any bad input gives a positioned SceneError."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from pydantic import BaseModel
from strategies import examples, scenes

from scenelang import ast as A
from scenelang import fastparse
from scenelang import parser as P
from scenelang.build import AstBuilder
from scenelang.errors import SceneError
from scenelang.parser import _lark, load_scene, parse_patch, parse_scene
from scenelang.printer import print_scene

SCENE = """\
# header comment
scenelang 1

geometry {
  shape table = box(size=(2, 1, 0.1))  # trailing
  shape bowl = difference(sphere(radius=0.5), sphere(radius=0.45) at (0, 0, 0.1))
  shape bowl2 = bowl rotate (0, 0, 90deg) scale 0.5
}

materials {
  material red = principled(base_color=#c0392b, roughness=0.4)
  material steel = principled(base_color=(0.8, 0.8, 0.82), metallic=1, roughness=0.2)
}

composition {
  camera main at (7.4, -6.9, 5) look_at (0, 0, 0.5) lens 35mm resolution (320, 240)
  object table_1 = table at (0, 0, 0.75) material red
  object bowl_1 = bowl at (0.3, 0.1, 1.1) rotate (0, 0, 0.5rad) scale (1, 1, 1.2) material steel
}

lighting {
  world color #101010 strength 0.5
  light key = sun(direction=(-0.3, 0.4, -1), energy=3, color=#fff5e0)
  light fill = area(at=(2, -2, 3), size=2, energy=200, shape=disk)
}
"""


def parse_error(text: str, patch: bool = False) -> SceneError:
    with pytest.raises(SceneError) as info:
        (parse_patch if patch else parse_scene)(text, "t.sl")
    return info.value


def test_parses_every_section_into_typed_nodes():
    scene = parse_scene(SCENE, "s.sl")
    shapes = scene.shapes()
    assert shapes["table"].shape == A.Box(size=(2, 1, 0.1))
    bowl = shapes["bowl"].shape
    assert isinstance(bowl, A.Csg) and bowl.kind == "difference"
    assert bowl.operands[1].at == (0, 0, 0.1)
    assert shapes["bowl2"].shape == A.Ref(name="bowl", rotate=(0, 0, 90), scale=0.5)
    red = scene.materials_by_name()["red"].material
    assert red.base_color == A.HexColor(hex="c0392b") and red.roughness == 0.4
    cam = scene.camera()
    assert cam.name == "main" and cam.lens == 35 and cam.resolution == (320, 240)
    bowl_1 = scene.objects()[1]
    assert bowl_1.rotate[2] == pytest.approx(math.degrees(0.5))
    assert bowl_1.scale == (1, 1, 1.2) and bowl_1.material == "steel"
    assert scene.world().strength == 0.5
    fill = scene.lights()[1].light
    assert isinstance(fill, A.Area) and fill.shape == "disk" and fill.energy == 200


def test_nodes_carry_spans_with_file():
    scene = parse_scene(SCENE, "s.sl")
    table = scene.shapes()["table"]
    assert (table.span.file, table.span.line, table.span.column) == ("s.sl", 5, 3)
    assert table.shape.span.line == 5 and table.shape.span.column == 17


def test_comments_are_attached():
    scene = parse_scene(SCENE)
    assert scene.comments == ("# header comment",)
    assert scene.shapes()["table"].trailing_comment == "# trailing"


def test_colour_and_comment_are_told_apart():
    scene = parse_scene("scenelang 1\nmaterials {\n  # abcdef is a comment here\n"
                        "  material m = principled(base_color= #abcdef) #c0ffee trailing\n}\n")
    m = scene.materials_by_name()["m"]
    assert m.material.base_color == A.HexColor(hex="abcdef")
    assert m.comments == ("# abcdef is a comment here",)
    assert m.trailing_comment == "#c0ffee trailing"


def test_sections_may_be_missing_or_reordered():
    scene = parse_scene("scenelang 1\nlighting { world strength 2 }\ngeometry { }\n")
    assert scene.world().strength == 2 and scene.geometry.statements == ()
    assert scene.camera() == A.DEFAULT_CAMERA


def test_patch_file_with_all_operations():
    pf = parse_patch("patch materials {\n  set red.roughness = 0.3\n"
                     "  material gold = principled(base_color=#d4af37, metallic=1)  # add\n"
                     "  remove steel\n}\nreplace lighting { world strength 1 }\n")
    first, second = pf.patches
    assert first.section == "materials" and not first.replace
    assert first.ops[0] == A.SetOp(target="red", param="roughness", value=A.Number(value=0.3))
    assert first.ops[1].statement.trailing_comment == "# add"
    assert first.ops[2] == A.RemoveOp(name="steel")
    assert second.replace and second.ops[0].statement == A.World(strength=1)


def test_set_world_target_is_allowed():
    pf = parse_patch("scenelang 1\npatch lighting { set world.color = #ffffff }")
    assert pf.patches[0].ops[0].target == "world"


@pytest.mark.parametrize("text, message, line, column", [
    ("", "empty input", 1, 1),
    ("geometry {}", "starts with the header", 1, 1),
    ("scenelang 2\n", "unsupported language version", 1, 11),
    ("scenelang 1\ngeometry {\n  shape b = sphere(radious=1)\n}\n", "did you mean 'radius'", 3, 20),
    ("scenelang 1\nmaterials { material m = principled(roughness=1.5) }", "roughness must be at most 1", 2, 47),
    ("scenelang 1\ngeometry { shape b = sphere(radius=1e309) }", "out of range", 2, 36),
    ("scenelang 1\ngeometry { shape b = sphere(radius=nan) }", "expected a number", 2, 36),
    ("scenelang 1\ngeometry { shape b = sphere(radius=3cm) }", "unknown unit 'cm'", 2, 36),
    ("scenelang 1\ngeometry {\n  shape b = sphere(radius=1)\n", "never closed", 3, 29),
    ("scenelang 1\ngeometry { shape b\u0430ll = sphere(radius=1) }", "U+0430", 2, 19),
    ("scenelang 1\x00\x01", "control character", 1, 12),
    ("scenelang 1\ngeometry { light k = sun() }", "belongs in the lighting section", 2, 12),
    ("scenelang 1\ngeometry { shape b = box() }", "box needs size", 2, 22),
    ("scenelang 1\ngeometry {}\ngeometry {}", "appears twice", 3, 1),
    ("scenelang 1\ngeometry { shape b = box(size=(1,2)) }", "3-vector", 2, 31),
    ("scenelang 1\ngeometry { shape b = sphre(radius=1) }", "did you mean 'sphere'", 2, 22),
    ("scenelang 1\ncomposition { object o = b colour #ffffff }", "unknown parameter 'colour'", 2, 28),
    ("scenelang 1\nmaterials { material m = principled(base_color=(255, 0, 0)) }", "0..1", 2, 48),
    ("scenelang 1\ngeometry { shape b = union(box(size=(1,1,1))) }", "at least two shapes", 2, 22),
    ("scenelang 1\ngeometry { shape b = union(a=1, b) }", "takes shapes", 2, 28),
    ("scenelang 1\ngeometry { shape b = sphere(1) }", "parameters are named", 2, 29),
    ("scenelang 1\ngeometry { shape b = sphere(radius=1) shade m }", "unknown transform", 2, 39),
    ("scenelang 1\ngeometry { shape b = sphere(radius=1, radius=2) }", "given twice", 2, 39),
    ("scenelang 1\ngeometry { shape b = sphere(radius=1, segments=3.5) }", "whole number", 2, 48),
    ("scenelang 1\nlighting { light k = laser(energy=1) }", "unknown light type", 2, 22),
    ("scenelang 1\nlighting { light k = area(at=(0,0,1), shape=hexagon) }", "expected one of square", 2, 45),
    ("scenelang 1\ncomposition { camera c at (1, 2, 3) lens 50deg }", "millimetres", 2, 42),
    ("scenelang 1\ngeometry { shape = }", "expected a name", 2, 18),
    ("patch materials { shape x = box(size=(1,1,1)) }", "belongs in the geometry section", 1, 19),
])
def test_bad_input_is_positioned(text, message, line, column):
    err = parse_error(text, patch=text.startswith("patch"))
    first = err.diagnostics[0]
    assert message in first.message
    assert (first.span.line, first.span.column) == (line, column)
    rendered = err.format()
    assert rendered.startswith(f"t.sl:{line}:{column}: error:")
    assert "^" in rendered or not text.strip()


def test_several_errors_reported_at_once():
    err = parse_error("scenelang 1\ngeometry { shape a = sphere(radius=-1)\n shape b = box(size=(1,1,0)) }")
    assert [d.span.line for d in err.diagnostics] == [2, 3]


def test_deep_nesting_is_rejected_without_recursion():
    err = parse_error("scenelang 1\ngeometry { shape b = " + "union(" * 5000 + " }")
    assert "nested more than" in err.diagnostics[0].message


def test_a_colour_does_not_hide_the_closing_bracket_from_the_nesting_check():
    # regression: the nesting check took `#ff0000, roughness=0.5)` for a comment, so every
    # material line left one bracket open and 65 materials were "nested more than 64 deep"
    lines = [f"  material m{i} = principled(base_color=#ff0000, roughness=0.5)" for i in range(70)]
    scene = parse_scene("scenelang 1\nmaterials {\n" + "\n".join(lines) + "\n}\n")
    assert len(scene.materials.statements) == 70


def test_huge_input_is_rejected_quickly():
    err = parse_error("scenelang 1\n" + "# x" * 2_000_000)
    assert "too large" in err.diagnostics[0].message


def test_load_scene_reports_encoding_errors(tmp_path):
    path = tmp_path / "bad.sl"
    path.write_bytes(b"scenelang 1\ngeometry { \xff\xfe }\n")
    with pytest.raises(SceneError) as info:
        load_scene(path)
    d = info.value.diagnostics[0]
    assert "not UTF-8" in d.message and (d.span.line, d.span.column) == (2, 12)


def test_load_scene_missing_file(tmp_path):
    with pytest.raises(SceneError, match="cannot read"):
        load_scene(tmp_path / "nope.sl")


@settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
@given(from_lark(_lark(), start="scene_file"))
def test_grammar_generated_text_parses_or_fails_cleanly(text):
    try:
        scene = parse_scene(text)
    except SceneError as exc:
        assert exc.diagnostics and all(d.message for d in exc.diagnostics)
    else:
        assert isinstance(scene, A.Scene)


@settings(max_examples=examples(300), deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data):
    text = data.decode("utf-8", errors="replace")
    for parse in (parse_scene, parse_patch):
        try:
            parse(text)
        except SceneError as exc:
            assert exc.diagnostics


@settings(max_examples=examples(200), deadline=None)
@given(st.text(alphabet=st.sampled_from(list("scenelang 1{}()=,.#abcdef0123456789xyz-+e\n\tgeometry")),
               max_size=120))
def test_token_soup_never_crashes(text):
    try:
        parse_scene("scenelang 1\n" + text)
    except SceneError as exc:
        assert exc.diagnostics


# ---------------------------------------------------------------- the two parsing paths
#
# Scenes are read by `scenelang.fastparse` when it takes the text, else by the Lark parser that
# builds the AST during the parse. Both must give the same AST, spans and comments included.

ROOT = Path(__file__).resolve().parents[2]
SCENE_FILES = sorted((ROOT / "examples").glob("*.sl")) + sorted((ROOT / "tests/golden/scenes").glob("*.sl"))


def _deep(x):
    """A node as nested tuples with every field, spans included (== on nodes ignores spans)."""
    if isinstance(x, BaseModel):
        return (type(x).__name__, tuple((f, _deep(getattr(x, f))) for f in type(x).model_fields))
    if isinstance(x, tuple):
        return tuple(_deep(i) for i in x)
    return x


def _lark_scene(text: str, file: str | None = None) -> A.Scene:
    text = P._newlines(text)  # as parse_scene does (CR-only line endings, issue 11)
    P._check_input(text, "scene_file", file, P.DEFAULT_LIMITS)
    scene, comments = P._parse(text, "scene_file", file)
    return P.attach_comments(scene, comments)


V2_SYNTAX = ("[", '"')
"""List values and strings (profiles, paths): the fast path declines text that has them."""


def _fast_or_declines(text: str, file: str | None = None) -> A.Scene:
    """The fast path's scene; for text with list values or strings, checks the fast path
    declines (Fallback) and returns Lark's scene instead."""
    code = re.sub(r"#[^\n]*", "", text)  # in a comment `[` or `"` is just text
    if any(mark in code for mark in V2_SYNTAX) or re.search(r"^let ", code, re.M):  # constants
        with pytest.raises(fastparse.Fallback):
            _fast_scene(text, file)
        return _lark_scene(text, file)
    return _fast_scene(text, file)


def _fast_scene(text: str, file: str | None = None) -> A.Scene:
    text = P._newlines(text)  # as parse_scene does (CR-only line endings, issue 11)
    P._check_input(text, "scene_file", file, P.DEFAULT_LIMITS)
    scene, comments = fastparse.parse_scene(text, file, P._lark())
    return P.attach_comments(scene, comments)


def _error(parse, text):
    with pytest.raises(SceneError) as info:
        parse(text)
    return [(d.message, d.span, d.hint) for d in info.value.diagnostics]


def _same_result(text: str) -> None:
    """The fast path either declines or agrees with Lark, which decides every error."""
    try:
        expected = _deep(_lark_scene(text, "t.sl"))
    except SceneError:
        with pytest.raises((fastparse.Fallback, SceneError)):
            _fast_scene(text, "t.sl")
        assert _error(parse_scene, text) == _error(_lark_scene, text)
        return
    try:
        fast = _fast_scene(text, "t.sl")
    except fastparse.Fallback:
        return
    assert _deep(fast) == expected


def test_lark_builds_the_ast_during_the_parse():
    lark = _lark()
    assert isinstance(lark.options.transformer, AstBuilder)
    assert _lark() is lark  # built once
    scene, _ = P._parse(SCENE, "scene_file", None)
    assert isinstance(scene, A.Scene)


@pytest.mark.parametrize("path", SCENE_FILES, ids=lambda p: p.stem)
def test_fast_path_reads_every_example_like_lark(path):
    text = path.read_text()
    fast = _fast_or_declines(text, str(path))  # no Fallback: examples are well-formed (v1)
    assert _deep(fast) == _deep(_lark_scene(text, str(path)))
    assert _deep(load_scene(path)) == _deep(fast)


def test_fast_path_reads_the_test_scene_with_comments_like_lark():
    fast = _fast_scene(SCENE, "s.sl")
    assert _deep(fast) == _deep(_lark_scene(SCENE, "s.sl"))
    assert fast.geometry.statements[0].trailing_comment == "# trailing"


def test_fast_path_reads_a_large_generated_scene():
    lines = ["scenelang 1", "geometry {", "  shape s = difference(box(size=(1, 1, 1)), "
             "sphere(radius=0.6) at (0, 0, 0.2)) rotate (0, 0, 0.5rad)", "}",
             "materials { material m = principled(base_color=#80c0a0, roughness=0.3) }",
             "composition {"]
    lines += [f"  object o{i} = s at ({i}, {-i}, 0.5) rotate (0, 0, {i % 90}deg) scale 0.8 material m"
              for i in range(200)]
    lines += ["}"]
    text = "\n".join(lines)
    assert _deep(_fast_scene(text)) == _deep(_lark_scene(text))


@pytest.mark.parametrize("text", [
    "scenelang 1\ncomposition { object shape = s }",  # a keyword as a name
    "scenelang 1\ncomposition { object o = s at (1, # c\n 2, 3) }",  # a comment inside a vector
    "scenelang 1\ncomposition { object o = s #c0ffee\n}",  # a comment that looks like a colour
    "scenelang 1\ncomposition { object o = s at (1,2,3) set (1,2,3) }",
    "scenelang 1\ncomposition { object o = s at (1,2,3) patch (1,2,3) }",
])
def test_fast_path_declines_what_only_lark_reads_exactly(text):
    with pytest.raises(fastparse.Fallback):
        fastparse.parse_scene(text, None, _lark())
    _same_result(text)


@pytest.mark.parametrize("text", [
    SCENE.replace("roughness=0.4", "roughness=1.5"),
    SCENE.replace("radius=0.5", "radius=-1"),
    SCENE.replace("radius=0.5", "radus=0.5"),
    SCENE.replace("lens 35mm", "lens 35deg"),
    SCENE.replace("rotate (0, 0, 90deg)", "rotate (0, 0, 90km)"),
    SCENE.replace("(0, 0, 0.75)", "(0, 0)"),
    SCENE.replace("(0, 0, 0.75)", "(1, 2, 3, 4, 5)"),
    SCENE.replace("(0, 0, 0.75)", "(1e999, 0, 0)"),
    SCENE.replace("box(size=(2, 1, 0.1))", "box(size=(2, 1, 0.1), size=(1, 1, 1))"),
    SCENE.replace("box(size=(2, 1, 0.1))", "bux(size=(2, 1, 0.1))"),
    SCENE.replace("material steel = principled", "light steel = principled"),
    SCENE.replace("scenelang 1", "scenelang 2"),
    SCENE.replace("composition {", "geometry {"),
    SCENE.replace("}", "", 1),
    SCENE.replace("shape=disk", "shape=round"),
    SCENE + "\ngeometry { }\n",
])
def test_errors_are_the_same_on_both_paths(text):
    _same_result(text)


def test_errors_keep_file_line_and_column():
    text = SCENE.replace("roughness=0.4", "roughness=1.5").replace("radius=0.45", "radus=0.45")
    with pytest.raises(SceneError) as info:
        parse_scene(text, "scene.sl")
    got = [(d.span.label(), d.message) for d in info.value.diagnostics]
    assert got == [
        ("scene.sl:6:54", "unknown parameter 'radus' for sphere; did you mean 'radius'?"),
        ("scene.sl:11:59", "roughness must be at most 1, got 1.5"),
    ]
    assert "scene.sl:11:59: error: roughness must be at most 1, got 1.5" in info.value.format()


@settings(max_examples=examples(60), deadline=None, suppress_health_check=list(HealthCheck))
@given(scenes())
def test_fast_path_agrees_with_lark_on_printed_scenes(scene):
    text = print_scene(scene)
    fast = _fast_or_declines(text)
    assert _deep(fast) == _deep(_lark_scene(text))
    assert fast == scene


@settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
@given(from_lark(_lark(), start="scene_file"))
def test_fast_path_agrees_with_lark_on_grammar_generated_text(text):
    _same_result(text)


@settings(max_examples=examples(150), deadline=None)
@given(st.text(alphabet=st.sampled_from(list("scenelang 1{}()=,.#abcdef0123456789xyz-+e\n\tgeometry")),
               max_size=120))
def test_fast_path_agrees_with_lark_on_token_soup(text):
    _same_result("scenelang 1\n" + text)
