"""Constants and arithmetic (`let h = 0.72`, `+ - * /`, parentheses, unary minus): parsing to
the evaluated value with the expression kept, printing as written, round trips, `fmt`
idempotence, patches and diff, and positioned errors with hints for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import arithmetic_scene_pairs, arithmetic_scenes, examples

from scenelang import ast as A
from scenelang import fastparse
from scenelang.constants import evaluate, format_expr, reevaluate
from scenelang.errors import SceneError
from scenelang.parser import _lark, load_scene, parse_patch, parse_scene
from scenelang.patches import apply_patch, apply_patches, diff
from scenelang.printer import print_patch, print_scene
from scenelang.validate import validate

ROOT = Path(__file__).resolve().parents[2]
PROPERTY = settings(max_examples=examples(20), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

TABLE = """scenelang 1

# the table's height
let h = 0.72  # metres
let top = 0.04
let leg = h - top

geometry {
  shape board = box(size=(1.2, 0.8, top)) at (0, 0, h - top / 2)
  shape leg_1 = cylinder(radius=0.03, depth=leg) at (0.5, -0.3, leg / 2)
}

materials {
  material wood = principled(base_color=(h, 0.4 * h, 0.2), roughness=-(h - 1) * 2)
}

composition {
  camera main at (3, -3, 2 * h) look_at (0, 0, h / 2)
  object board_1 = board material wood
  object leg_1 = leg_1 rotate (0, 0, -(45 * 2))
}

lighting {
  light sun = sun(direction=(-0.3, 0.4, -1), energy=2)
}
"""


def error_of(text: str, file: str = "t.sl") -> A.Node:
    with pytest.raises(SceneError) as info:
        parse_scene(text, file=file)
    (diag,) = info.value.diagnostics
    return diag


# ---------------------------------------------------------------- values and text


def test_expressions_evaluate_and_print_as_written():
    scene = parse_scene(TABLE)
    assert [(c.name, c.value) for c in scene.constants] == [
        ("h", 0.72), ("top", 0.04), ("leg", 0.72 - 0.04)]
    board, leg = (s.shape for s in scene.geometry.statements)
    assert board.size == (1.2, 0.8, 0.04) and board.at == (0, 0, 0.72 - 0.04 / 2)
    assert leg.depth == 0.72 - 0.04 and leg.at[2] == (0.72 - 0.04) / 2
    material = scene.materials.statements[0].material
    assert material.base_color.r == 0.72 and material.base_color.g == 0.4 * 0.72
    assert material.roughness == -(0.72 - 1) * 2
    assert scene.camera().at == (3, -3, 1.44) and scene.objects()[1].rotate == (0, 0, -90)
    assert print_scene(scene) == TABLE  # expressions, spacing and comments as written
    assert validate(scene) == []


@pytest.mark.parametrize(("text", "value", "printed"), [
    ("0.72/2", 0.36, "0.72 / 2"),
    ("h-1", -0.5, "h - 1"),
    ("h -1", -0.5, "h - 1"),
    ("-h", -0.5, "-h"),
    ("- 2", -2.0, "-2"),           # a minus before a literal is part of the literal
    ("2 * -h", -1.0, "2 * -h"),
    ("1 - 2 - 3", -4.0, "1 - 2 - 3"),  # left-associative
    ("1 + 2 * 3", 7.0, "1 + 2 * 3"),   # * binds tighter
    ("(1 + 2) * 3", 9.0, "(1 + 2) * 3"),
    ("((h))", 0.5, "((h))"),           # parentheses kept as written
    ("8 / 2 / 2", 2.0, "8 / 2 / 2"),
    ("--h", 0.5, "--h"),
    ("1e2*h", 50.0, "100 * h"),
])
def test_operator_precedence_signs_and_canonical_spacing(text, value, printed):
    scene = parse_scene(f"scenelang 1\nlet h = 0.5\nlet x = {text}\n")
    (_, let) = scene.constants
    assert let.value == value and format_expr(let.expr) == printed
    assert parse_scene(print_scene(scene)) == scene


def test_vectors_mix_literals_and_expressions_and_one_item_vectors_keep_a_comma():
    scene = parse_scene("scenelang 1\nlet h = 2\ngeometry {\n"
                        "  shape b = box(size=(1, 2, h*2)) at (-1, -h, (h))\n}\n")
    box = scene.geometry.statements[0].shape
    assert box.size == (1, 2, 4) and box.at == (-1, -2, 2)
    assert dict(box.exprs).keys() == {"size.2", "at.1", "at.2"}
    assert "box(size=(1, 2, h * 2)) at (-1, -h, (h))" in print_scene(scene)
    # `(5)` is a number in parentheses, `(5,)` a one-item vector
    patch = parse_patch("patch geometry {\n  set b.radius = (5)\n  set b.at = (5,)\n}\n")
    first, second = patch.patches[0].ops
    assert isinstance(first.value, A.Number) and first.value.value == 5
    assert isinstance(second.value, A.Vector) and len(second.value.items) == 1
    assert parse_patch(print_patch(patch)).patches == patch.patches


def test_a_constant_named_like_a_material_still_names_the_material():
    scene = parse_scene("scenelang 1\nlet wood = 0.5\ngeometry {\n  shape s = sphere(radius=wood)\n"
                        "}\nmaterials {\n  material wood = principled()\n}\ncomposition {\n"
                        "  object o = s material wood\n}\n")
    assert scene.geometry.statements[0].shape.radius == 0.5
    assert scene.objects()[0].material == "wood"
    assert parse_scene(print_scene(scene)) == scene


def test_plain_scenes_parse_to_the_same_ast_as_before():
    text = "scenelang 1\ngeometry {\n  shape b = box(size=(1, 2, 3)) at (0, 0, -1)\n}\n"
    box = parse_scene(text).geometry.statements[0].shape
    assert box.exprs == () and box.at == (0, 0, -1)
    assert parse_scene(text).constants == ()


def test_evaluation_is_arithmetic_not_eval():
    expr = A.BinOp(op="+", left=A.Const(name="__import__"), right=A.Lit(value=1))
    assert evaluate(expr, {"__import__": 2.0}) == 3.0
    with pytest.raises(SceneError):
        parse_scene("scenelang 1\nlet x = __import__('os')\n")


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(("body", "message", "line", "column", "hint"), [
    ("let a = 1\nlet b = a - 1\ngeometry {\n  shape s = box(size=(1, 1, a / b))\n}\n",
     "division by zero: `b` is 0", 5, 33, "must not be zero"),
    ("let a = 1 / 0\n", "division by zero", 2, 13, "must not be zero"),
    ("geometry {\n  shape s = box(size=(1, 1, hh * 2))\n}\n", "unknown constant 'hh'", 3, 29,
     "let hh = "),
    ("let height = 1\ngeometry {\n  shape s = sphere(radius=heigth / 2)\n}\n",
     "unknown constant 'heigth'; did you mean 'height'?", 4, 27, "let heigth = "),
    ("let a = 1\nlet a = 2\n", "constant 'a' is defined twice (first at line 2)", 3, 5,
     "define each constant once"),
    ("let a = b + 1\nlet b = 2\n", "constant 'b' is used before its definition (line 3)", 2, 9,
     "move `let b"),
    ("let a = b\nlet b = a\n", "constant 'b' is used before its definition", 2, 9, "no cycles"),
    ("let c = #ff0000\n", "constant 'c' must be a number, not a colour", 2, 9, "one number"),
    ("let c = (1, 2, 3)\n", "constant 'c' must be a number, not a vector", 2, 9, "one number"),
    ("let c = \"x\"\n", "constant 'c' must be a number, not a string", 2, 9, "one number"),
    ("let c = 30deg\n", "without a unit", 2, 9, "unit-less"),
    ("let c = 1e300 * 1e300\n", "not a finite number", 2, 9, "1.8e308"),
    ("let c = 1e200\nlet d = c * c * 2\n", "not a finite number", 3, 9, "1.8e308"),
    ("geometry {\n  shape s = box(size=(1, 1, 30deg * 2))\n}\n", "cannot be used in arithmetic",
     3, 29, "unit-less"),
    ("geometry {\n  shape s = sphere(radius=1 + \"a\")\n}\n", "a string cannot be used in arithmetic",
     3, 31, "take numbers"),
    ("geometry {\n  shape s = sphere(radius=-[1, 2])\n}\n", "a list cannot be used in arithmetic",
     3, 28, "take numbers"),
    ("geometry {\n  shape s = box(size=(1, \"a\", 2))\n}\n", "a vector's components are numbers, not a string",
     3, 26, "with numbers"),
    ("geometry {\n  shape s = revolve(profile=[(0.1, 0), (0.2, [1])])\n}\n",
     "a vector's components are numbers, not a list", 3, 46, "with numbers"),
    ("geometry {\n  let a = 1\n}\n", "`let` goes after the header", 3, 3, "below `scenelang 1`"),
    ("constants {\n}\n", "a scene has no constants section", 2, 1, "patch constants"),
])
def test_bad_input_is_a_positioned_error_with_a_hint(body, message, line, column, hint):
    diag = error_of("scenelang 1\n" + body)
    assert message in diag.message, diag.message
    assert (diag.span.file, diag.span.line, diag.span.column) == ("t.sl", line, column)
    assert hint in diag.hint
    text = str(SceneError([diag]).with_source("scenelang 1\n" + body, "t.sl"))
    assert f"t.sl:{line}:{column}:" in text and "^" in text


def test_range_errors_report_the_evaluated_value_and_the_expression():
    diag = error_of("scenelang 1\nlet h = 1\ngeometry {\n  shape s = sphere(radius=h - 1.5)\n}\n")
    assert diag.message == "radius must be greater than 0, got -0.5 (from `h - 1.5`)"
    assert (diag.span.line, diag.span.column) == (4, 27)
    diag = error_of("scenelang 1\nlet n = 2.5\ngeometry {\n  shape s = sphere(radius=1, "
                    "segments=n * 10 + 0.5)\n}\n")
    assert "`n * 10 + 0.5 = 25.5`" in diag.message and "whole number" in diag.message


def test_the_validator_reports_evaluated_values():
    scene = parse_scene("scenelang 1\nlet n = 4096\ngeometry {\n  shape s = sphere(radius=1, "
                        "segments=n, rings=n / 2)\n}\n", file="t.sl")
    found = [d for d in validate(scene) if d.severity == "error"]
    assert found and any("4096" in d.message for d in found), found


# ---------------------------------------------------------------- patches and diff


def test_patches_change_constants_and_everything_that_uses_them():
    scene = parse_scene(TABLE)
    patch = parse_patch("patch constants {\n  let h = 0.9\n}\npatch composition {\n"
                        "  set board_1.at = (0, 0, h / 10)\n}\n", constants=scene.constants)
    result = apply_patch(scene, patch)
    assert result.constants[0].value == 0.9 and result.constants[2].value == 0.9 - 0.04
    assert result.geometry.statements[0].shape.at == (0, 0, 0.9 - 0.04 / 2)
    assert result.objects()[0].at == (0, 0, 0.09)
    assert "object board_1 = board at (0, 0, h / 10) material wood" in print_scene(result)
    assert parse_scene(print_scene(result)) == result


def test_removing_a_used_constant_is_reported_at_the_remove():
    scene = parse_scene(TABLE)
    patch = parse_patch("patch constants {\n  remove top\n}\n", "p.slp", constants=scene.constants)
    with pytest.raises(SceneError) as info:
        apply_patch(scene, patch)
    diag = info.value.diagnostics[0]
    assert "cannot remove constant 'top'" in diag.message and diag.hint
    assert (diag.span.file, diag.span.line) == ("p.slp", 2)


def test_a_changed_constant_that_breaks_a_value_is_an_error():
    scene = parse_scene(TABLE)
    patch = parse_patch("patch constants {\n  let top = 0\n}\n", "p.slp", constants=scene.constants)
    with pytest.raises(SceneError, match="greater than 0"):
        apply_patch(scene, patch)


def test_patch_constants_takes_let_and_remove_only():
    with pytest.raises(SceneError, match="holds `let NAME = VALUE` and `remove NAME` only"):
        parse_patch("patch constants {\n  set h.value = 1\n}\n")
    with pytest.raises(SceneError, match="belongs in `patch constants"):
        parse_patch("patch geometry {\n  let h = 1\n}\n")
    with pytest.raises(SceneError, match="unknown constant 'h'"):
        parse_patch("patch composition {\n  set o.at = (0, 0, h)\n}\n")


def test_diff_writes_constant_changes_first_and_only_what_they_do_not_explain():
    a = parse_scene(TABLE)
    b = parse_scene(TABLE.replace("let h = 0.72", "let h = 0.8"))
    patches = diff(a, b)
    assert print_patch(patches) == ("patch constants {\n  # the table's height\n"
                                    "  let h = 0.8  # metres\n}\n")
    assert apply_patches(a, patches) == b


@PROPERTY
@given(arithmetic_scenes())
def test_round_trip_and_fmt_idempotence_with_arithmetic(scene):
    text = print_scene(scene)
    parsed = parse_scene(text)
    assert parsed == scene
    assert print_scene(parsed) == text
    assert reevaluate(scene) == scene  # every expression evaluates to the value stored
    if scene.constants:  # the fast path leaves arithmetic to Lark
        with pytest.raises(fastparse.Fallback):
            fastparse.parse_scene(text, None, _lark())


@pytest.mark.parametrize("value", ["0.72/2", "h -1", "(1)", "(1, 2, 3 * 1)", "2 * 3", "-(1)"])
def test_the_fast_path_declines_arithmetic_without_constants_too(value):
    text = f"scenelang 1\ncomposition {{\n  object o = s scale {value}\n}}\n"
    with pytest.raises(fastparse.Fallback):
        fastparse.parse_scene(text.replace("h ", "2 "), None, _lark())


@settings(max_examples=examples(150), deadline=None)
@given(st.text(alphabet=st.sampled_from(list("h1.0e2+-*/() ,#\nlet=x\"[]")), max_size=40))
def test_arithmetic_soup_is_a_value_or_a_positioned_error(value):
    text = f"scenelang 1\nlet h = 2\ngeometry {{\n  shape s = sphere(radius={value})\n}}\n"
    try:
        scene = parse_scene(text, file="t.sl")
    except SceneError as exc:
        assert all(d.span is not None and d.span.file == "t.sl" for d in exc.diagnostics)
        return
    assert parse_scene(print_scene(scene)) == scene


_ATOMS = st.sampled_from(["h", "1", "2.5", '"a"', "[1, 2]", "[]", "30deg", "#ff0000", "red", "(1, 2, 3)"])


def _values():
    """Values of any type nested in arithmetic, parentheses, unary minus and vectors."""
    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(" ".join),
            inner.map(lambda v: f"-{v}"), inner.map(lambda v: f"({v})"),
            st.lists(inner, min_size=2, max_size=4).map(lambda vs: f"({', '.join(vs)})"),
            st.lists(inner, min_size=1, max_size=3).map(lambda vs: f"[{', '.join(vs)}]"))
    return st.recursive(_ATOMS, extend, max_leaves=6)


@settings(max_examples=examples(300), deadline=None)
@given(_values())
def test_values_of_any_type_in_any_position_are_a_value_or_a_positioned_error(value):
    """Strings, lists, colours and units mixed into arithmetic and vectors: never an unpositioned
    error (a string inside `1 + ...` or a vector used to leak a Python attribute error)."""
    text = f"scenelang 1\nlet h = 2\ngeometry {{\n  shape s = box(size={value})\n}}\n"
    try:
        scene = parse_scene(text, file="t.sl")
    except SceneError as exc:
        assert all(d.span is not None and d.span.file == "t.sl" and d.span.line >= 4
                   for d in exc.diagnostics), [str(d) for d in exc.diagnostics]
        return
    assert parse_scene(print_scene(scene)) == scene


def test_the_constants_example_uses_arithmetic_everywhere():
    scene = load_scene(ROOT / "examples" / "stairs_constants.sl")
    assert [c.name for c in scene.constants][:3] == ["rise", "run", "width"]
    flight = next(s for s in scene.composition.statements if s.name == "flight")
    assert flight.count == 8 and flight.offset == (0, 0.28, 0.18)  # array(count=steps, ...)
    assert dict(flight.exprs).keys() >= {"count", "offset.1", "offset.2"}
    taller = apply_patch(scene, parse_patch("patch constants {\n  let rise = 0.2\n}\n",
                                            constants=scene.constants))
    assert next(s for s in taller.composition.statements if s.name == "flight").offset[2] == 0.2


@PROPERTY
@given(arithmetic_scene_pairs())
def test_apply_diff_reproduces_b_with_arithmetic(pair):
    a, b = pair
    patches = diff(a, b)
    assert apply_patches(a, patches) == b
    text = print_patch(patches) if patches else ""
    if text:  # and through text, the patch parsed against a's constants
        assert apply_patch(a, parse_patch(text, constants=a.constants)) == b


def test_diff_sets_one_changed_expression_as_written():
    a = parse_scene(TABLE)
    b = parse_scene(TABLE.replace("look_at (0, 0, h / 2)", "look_at (0, 0, h / 3)"))
    patches = diff(a, b)
    assert print_patch(patches) == "patch composition {\n  set main.look_at = (0, 0, h / 3)\n}\n"
    assert apply_patches(a, patches) == b
