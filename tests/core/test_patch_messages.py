"""What a rejected patch says, word for word, and the shape of the patches `diff` writes (issue 15:
the mutation run of `scenelang/patches.py` found message parts, hints, positions and `diff`
shortcuts no example test pinned; docs/testing.md, "Mutation testing")."""

from __future__ import annotations

import pytest

from scenelang import ast as A
from scenelang.errors import SceneError, Span
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch, apply_patches, diff, respan
from scenelang.printer import print_patch
from scenelang.validate import Limits

BASE = parse_scene("""scenelang 1
geometry {
  shape ball = sphere(radius=1)
  shape deep = union(ball, box(size=(1, 1, 1)))
}
materials {
  material red = principled(base_color=#ff0000, roughness=0.5)
}
composition {
  camera cam at (5, -5, 3) look_at (0, 0, 0) resolution (64, 48)
  object a = ball material red
  object b = ball at (2, 0, 0)
}
lighting {
  light sun1 = sun(energy=3)
}
""", file="scene.sl")


def rejected(text: str, scene=BASE, **kwargs) -> list[tuple[str, str | None, str | None, str]]:
    """(message, position, hint, severity) of every diagnostic of a rejected patch."""
    with pytest.raises(SceneError) as info:
        apply_patch(scene, parse_patch(text, file="p.slp"), **kwargs)
    return [(d.message, d.span.label() if d.span else None, d.hint, d.severity)
            for d in info.value.diagnostics]


# ---------------------------------------------------------------- removing what is still used


def test_removing_a_shape_names_every_user_with_its_line():
    assert rejected("patch geometry {\n  remove ball\n}") == [(
        "cannot remove shape 'ball': shape 'deep' (scene.sl line 4), object 'a' (scene.sl line 11),"
        " object 'b' (scene.sl line 12) still use it",
        "p.slp:2:3", "keep shape 'ball', or change what uses it", "error")]


def test_removing_a_material_used_once_says_uses():
    assert rejected("patch materials {\n  remove red\n}") == [(
        "cannot remove material 'red': object 'a' (scene.sl line 11) still uses it",
        "p.slp:2:3", "keep material 'red', or change what uses it", "error")]


def test_a_user_in_a_scene_without_a_file_name_is_placed_in_the_scene():
    scene = parse_scene("scenelang 1\ngeometry {\n  shape s = sphere(radius=1)\n}\n"
                        "composition {\n  object o = s\n}\n")
    [(message, *_)] = rejected("patch geometry {\n  remove s\n}", scene)
    assert message == "cannot remove shape 's': object 'o' (scene line 6) still uses it"


def test_a_user_the_patch_wrote_itself_is_named_without_a_line():
    [(message, *_)] = rejected("patch geometry {\n  remove ball\n}\n"
                               "patch composition {\n  object c = ball\n}")
    assert message.startswith("cannot remove shape 'ball': ")
    assert "object 'c' still" in message or "object 'c'," in message
    assert "object 'c' (" not in message


# ---------------------------------------------------------------- names in the wrong place


@pytest.mark.parametrize("patch, found", [
    ("patch composition {\n  set ball.radius = 2\n}", "('ball' is a shape, in the geometry section)"),
    ("patch geometry {\n  set cam.lens = 2\n}", "('cam' is a camera, in the composition section)"),
    ("patch geometry {\n  set a.x = 2\n}", "('a' is an object, in the composition section)"),
    ("patch geometry {\n  set red.roughness = 2\n}", "('red' is a material, in the materials section)"),
])
def test_a_name_from_another_section_says_what_and_where_it_is(patch, found):
    section = patch.split()[1]
    name = patch.split("set ")[1].split(".")[0]
    assert rejected(patch) == [(
        f"there is no statement named '{name}' in {section} {found}", "p.slp:2:3", None, "error")]


def test_a_patch_for_another_section_gets_the_stage_hint():
    assert rejected("patch materials {\n  set red.roughness = 0.2\n}", section="geometry") == [(
        "this patch edits 'materials', but this stage may only edit 'geometry'", "p.slp:1:1",
        "write `patch geometry { ... }` and change only that section", "error")]


def test_apply_patches_passes_the_section_restriction_on():
    with pytest.raises(SceneError, match="this stage may only edit 'geometry'"):
        apply_patches(BASE, parse_patch("patch materials {\n  set red.roughness = 0.2\n}").patches,
                      section="geometry")


def test_every_misplaced_statement_of_a_replace_is_reported():
    assert rejected("replace geometry {\n  object x = ball\n"
                    "  camera c2 at (1, 1, 1) look_at (0, 0, 0)\n}") == [
        ("an object statement belongs in the composition section; this patch edits geometry",
         "p.slp:2:3", None, "error"),
        ("a camera statement belongs in the composition section; this patch edits geometry",
         "p.slp:3:3", None, "error")]


def test_an_error_a_patch_causes_elsewhere_points_at_the_patch_and_where_it_shows():
    """`deep` is untouched but now nests too deeply through the changed `ball`."""
    patch = ("patch geometry {\n  shape ball = union(box(size=(1, 1, 1)), "
             "union(box(size=(1, 1, 1)), box(size=(1, 1, 1))))\n}")
    assert rejected(patch, limits=Limits(max_csg_depth=2)) == [(
        "shape 'deep' nests CSG operations 3 deep (counting through referenced shapes); "
        "the limit is 2", "p.slp:1:1", "caused by this patch; reported at scene.sl:4:3", "error")]


# ---------------------------------------------------------------- diff writes one `set` per change


@pytest.mark.parametrize("change", [
    "patch geometry {\n  set ball.radius = 2\n}",
    "patch materials {\n  set red.roughness = 0.25\n}",
    "patch materials {\n  set red.base_color = #00ff00\n}",
    "patch materials {\n  set red.base_color = (0.5, 0.2, 0.1)\n}",
    "patch lighting {\n  set sun1.energy = 5\n}",
    "patch composition {\n  set b.at = (1, 2, 3)\n}",
])
def test_diff_of_a_one_parameter_change_is_that_set(change):
    changed = apply_patch(BASE, parse_patch(change))
    assert print_patch(diff(BASE, changed)) == change + "\n"


def test_a_material_reference_change_is_a_set_and_an_operand_change_a_whole_statement():
    with_blue = apply_patch(BASE, parse_patch(
        "patch materials {\n  material blue = principled(base_color=#0000ff)\n}"))
    blue = apply_patch(with_blue, parse_patch("patch composition {\n  set a.material = blue\n}"))
    assert print_patch(diff(with_blue, blue)) == "patch composition {\n  set a.material = blue\n}\n"
    bigger = apply_patch(BASE, parse_patch(
        "patch geometry {\n  shape deep = union(ball, box(size=(2, 2, 2)))\n}"))
    assert print_patch(diff(BASE, bigger)) == (
        "patch geometry {\n  shape deep = union(ball, box(size=(2, 2, 2)))\n}\n")


# ---------------------------------------------------------------- what apply_patch refuses


def test_apply_patch_refuses_what_is_not_a_scene_or_a_patch():
    with pytest.raises(SceneError) as info:
        apply_patch(3, parse_patch("patch geometry {\n}"))  # type: ignore[arg-type]
    assert info.value.errors[0].message == "expected a scene, got int"
    with pytest.raises(SceneError) as info:
        apply_patch(BASE, "patch geometry {}")  # type: ignore[arg-type]
    assert info.value.errors[0].message == "expected a patch, got str"


def test_a_patch_nested_too_deeply_is_a_scene_error_at_the_patch():
    node = A.Box(size=(1, 1, 1))
    for _ in range(3000):  # built bottom-up: no parser involved
        node = A.Csg(kind="union", operands=(node, A.Box(size=(1, 1, 1))))
    [patch] = parse_patch("patch geometry {\n  shape ball = sphere(radius=1)\n}", file="p.slp").patches
    [op] = patch.ops
    deep = patch.model_copy(update={"ops": (op.model_copy(update={
        "statement": op.statement.model_copy(update={"shape": node})}),)})
    with pytest.raises(SceneError) as info:
        apply_patch(BASE, deep)
    [d] = info.value.errors
    assert (d.message, d.span.label()) == ("the patched scene is nested too deeply", "p.slp:1:1")


def test_an_error_the_scene_had_before_stays_where_it_was_under_custom_limits():
    scene = parse_scene("scenelang 1\ngeometry {\n  shape ball = sphere(radius=1, segments=32)\n}\n"
                        "composition {\n  object o = ball\n}\n", file="s.sl")
    assert rejected("patch composition {\n  set o.at = (1, 0, 0)\n}", scene,
                    limits=Limits(max_segments=16)) == [
        ("shape 'ball': sphere segments=32 exceeds the limit of 16", "s.sl:3:16", None, "error")]


def test_respan_sets_every_nested_span():
    span = Span(line=7, column=2, end_line=7, end_column=9, file="x.slp")
    shape = BASE.section("geometry").get("deep")
    moved = respan(shape, span)
    assert moved.span == span and moved.shape.span == span
    assert all(operand.span == span for operand in moved.shape.operands)
    assert respan(moved, None).shape.operands[1].span is None
