"""Tests for scenelang.patches: apply_patch (ops, sections, errors, positions) and diff."""

from __future__ import annotations

import pytest
import strategies as S
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import examples

from scenelang import ast as A
from scenelang.errors import SceneError
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch, apply_patches, diff
from scenelang.printer import print_patch, print_scene
from scenelang.validate import Limits

SCENE = """\
scenelang 1

# geometry comes first
geometry {
  shape table = box(size=(2, 1, 0.1))  # the top
  shape ball  = sphere(radius=0.3)
  shape bowl  = difference(ball, sphere(radius=0.45) at (0, 0, 0.1))
}

materials {
  material red   = principled(base_color=#c0392b, roughness=0.4)
  # shiny
  material steel = principled(base_color=(0.8, 0.8, 0.82), metallic=1, roughness=0.2)
  material spare = principled()
}

composition {
  camera main at (7.4, -6.9, 5.0) look_at (0, 0, 0.5) lens 50mm
  object table_1 = table at (0, 0, 0.75) material red
  object bowl_1  = bowl at (0.3, 0.1, 1.1) rotate (0, 0, 30deg) scale 1.2 material steel
  object ball_1  = ball material steel
}

lighting {
  world color #101010 strength 0.5
  light key  = sun(direction=(-0.3, 0.4, -1), energy=3, color=#fff5e0)
}
"""
BASE = parse_scene(SCENE, "scene.sl")


def apply_text(text: str, scene: A.Scene = BASE, **kwargs) -> A.Scene:
    return apply_patch(scene, parse_patch(text, "patch.slp"), **kwargs)


def failure(text: str, scene: A.Scene = BASE, **kwargs) -> SceneError:
    with pytest.raises(SceneError) as info:
        apply_text(text, scene, **kwargs)
    return info.value


def where(d) -> tuple:
    return (d.span.file, d.span.line, d.span.column) if d.span else None


# ---------------------------------------------------------------- the ops


def test_design_brief_example():
    out = apply_text("""patch materials {
  set red.roughness = 0.3
  material gold = principled(base_color=#d4af37, metallic=1, roughness=0.3)   # add or replace
  remove spare
}""")
    mats = out.materials.statements
    assert [m.name for m in mats] == ["red", "steel", "gold"]
    assert mats[0].material.roughness == 0.3
    assert mats[0].material.base_color == A.HexColor(hex="c0392b")
    assert mats[1] == BASE.materials.get("steel")  # untouched, comment kept
    assert mats[1].comments == ("# shiny",)
    assert mats[2].trailing_comment == "# add or replace"
    # the other sections and the scene's comments are the same objects as before
    assert out.geometry == BASE.geometry and out.comments == BASE.comments
    assert out.geometry.statements[0].trailing_comment == "# the top"


def test_result_keeps_scene_spans_and_drops_patch_spans():
    out = apply_text("patch materials {\n  set red.roughness = 0.3\n"
                     "  material gold = principled()\n}")
    red, steel, _, gold = out.materials.statements
    assert steel.span == BASE.materials.get("steel").span and steel.span.file == "scene.sl"
    assert red.span is None and red.material.span is None and gold.span is None


def test_put_replaces_in_place_with_its_own_comments():
    out = apply_text("patch geometry {\n  # smaller\n  shape table = box(size=(1, 1, 0.1))\n}")
    table = out.geometry.statements[0]
    assert table.name == "table" and table.shape.size == (1, 1, 0.1)
    assert table.comments == ("# smaller",) and table.trailing_comment is None
    assert [s.name for s in out.geometry.statements] == ["table", "ball", "bowl"]


def test_set_keeps_comments_and_types_values():
    out = apply_text("patch geometry { set table.rotate = (0, 0, 0.5rad) }\n"
                     "patch composition { set main.lens = 35mm }")
    table = out.geometry.statements[0]
    assert table.trailing_comment == "# the top"
    assert table.shape.rotate == pytest.approx((0, 0, 28.6478897565))
    assert out.camera().lens == 35


def test_set_object_material_and_light_energy():
    out = apply_text("patch composition { set ball_1.material = red set bowl_1.material = red }\n"
                     "patch lighting { set key.energy = 5 }\n"
                     "patch materials { remove steel remove spare }", section=None)
    assert out.composition.get("ball_1").material == "red"
    assert out.lighting.get("key").light.energy == 5
    assert [m.name for m in out.materials.statements] == ["red"]


def test_set_world_creates_a_world_when_missing():
    scene = apply_text("replace lighting { light key = sun() }")
    assert scene.world() is None
    out = apply_text("patch lighting { set world.strength = 2 }", scene)
    assert out.world() == A.World(strength=2)
    assert [s.name for s in out.lighting.statements] == ["key", "world"]


def test_remove_and_put_same_name_in_one_patch():
    out = apply_text("patch materials {\n  remove steel\n  material steel = principled()\n}")
    assert out.materials.get("steel") == A.MaterialDef(name="steel", material=A.Principled())
    assert [m.name for m in out.materials.statements] == ["red", "spare", "steel"]


def test_replace_section_keeps_section_comments():
    out = apply_text("replace geometry {\n  shape table = box(size=(1, 1, 1))\n"
                     "  shape ball = sphere(radius=1)\n  shape bowl = ball\n}")
    assert [s.name for s in out.geometry.statements] == ["table", "ball", "bowl"]
    assert out.geometry.comments == ("# geometry comes first",)
    assert out.geometry.statements[0].trailing_comment is None


def test_patch_file_applies_in_order_and_validates_at_the_end():
    # the object uses a shape the geometry patch (written after it) adds
    out = apply_text("patch composition { object cube_1 = cube at (1, 1, 0) }\n"
                     "patch geometry { shape cube = box(size=(1, 1, 1)) }")
    assert out.composition.get("cube_1").shape == "cube"
    assert out.geometry.statements[-1].name == "cube"


def test_empty_patch_is_identity():
    assert apply_text("patch materials { }") == BASE
    assert apply_patches(BASE, ()) is BASE


# ---------------------------------------------------------------- errors


def test_stage_may_only_edit_its_section_exact_message():
    err = failure("patch geometry {\n  remove ball\n}", section="materials")
    [d] = err.diagnostics
    assert d.message == "this patch edits 'geometry', but this stage may only edit 'materials'"
    assert where(d) == ("patch.slp", 1, 1)
    assert apply_text("patch materials { remove spare }", section="materials")


def test_put_of_another_sections_statement_is_rejected():
    patch = A.Patch(section="geometry", ops=(
        A.PutOp(statement=A.MaterialDef(name="m", material=A.Principled())),))
    with pytest.raises(SceneError, match="a material statement belongs in the materials "
                                         "section; this patch edits geometry"):
        apply_patch(BASE, patch)


def test_remove_unknown_name_suggests_exact_message():
    err = failure("patch materials {\n  remove stell\n}")
    [d] = err.diagnostics
    assert d.message == "there is no statement named 'stell' in materials; did you mean 'steel'?"
    assert where(d) == ("patch.slp", 2, 3)


def test_name_from_another_section_is_explained():
    err = failure("patch materials { set ball_1.at = (0, 0, 1) }")
    assert err.diagnostics[0].message == (
        "there is no statement named 'ball_1' in materials ('ball_1' is an object, in the "
        "composition section)")


def test_set_errors_are_positioned():
    err = failure("patch materials {\n  set red.roughnes = 0.2\n  set red.roughness = 1.5\n"
                  "  set red.metallic = #ffffff\n}")
    msgs = [(d.message, where(d)) for d in err.diagnostics]
    assert msgs[0] == ("'red' (principled) has no parameter 'roughnes'; did you mean "
                       "'roughness'?", ("patch.slp", 2, 3))
    assert msgs[1][0] == "roughness must be at most 1, got 1.5"
    assert msgs[1][1] == ("patch.slp", 3, 23)  # at the value
    assert msgs[2][0].startswith("metallic: expected a number, got #ffffff")
    assert len(msgs) == 3


def test_removing_a_used_material_is_reported_at_the_remove():
    err = failure("patch materials {\n  set red.roughness = 0.1\n  remove steel\n}")
    [d] = err.diagnostics
    assert d.message == ("cannot remove material 'steel': object 'bowl_1' (scene.sl line 20), "
                         "object 'ball_1' (scene.sl line 21) still use it")
    assert where(d) == ("patch.slp", 3, 3)
    assert "hint: keep material 'steel', or change what uses it" in err.format()


def test_removing_a_referenced_shape():
    err = failure("patch geometry { remove ball }")
    [d] = err.diagnostics
    assert d.message == ("cannot remove shape 'ball': shape 'bowl' (scene.sl line 7), "
                         "object 'ball_1' (scene.sl line 21) still use it")
    assert where(d) == ("patch.slp", 1, 18)


def test_replace_dropping_a_used_material():
    err = failure("replace materials {\n  material red = principled()\n}")
    [d] = err.diagnostics
    assert d.message.startswith("cannot drop material 'steel': object 'bowl_1'")
    assert where(d) == ("patch.slp", 1, 1)


def test_validation_errors_of_new_statements_point_into_the_patch():
    err = failure("patch composition {\n  camera main at (1, 1, 1) look_at (1, 1, 1)\n"
                  "  object x = nothing\n}")
    assert [(d.message, where(d)) for d in err.diagnostics] == [
        ("camera 'main' looks at its own position (look_at equals at)", ("patch.slp", 2, 3)),
        ("object 'x' uses shape 'nothing', which is not defined; defined: table, ball, bowl",
         ("patch.slp", 3, 3)),
    ]


def test_a_set_that_breaks_a_rule_points_at_the_set():
    err = failure("patch composition {\n  set main.rotate = (60deg, 0, 45deg)\n}")
    [d] = err.diagnostics
    assert d.message == "camera 'main' has both look_at and rotate; give only one"
    assert where(d) == ("patch.slp", 2, 3)
    assert "write the whole statement" in d.hint


def test_second_camera_and_ref_cycle():
    err = failure("patch composition { camera other at (1, 2, 3) }\n"
                  "patch geometry { shape ball = union(bowl, box(size=(1, 1, 1))) }")
    assert [d.message for d in err.diagnostics] == [
        "shape 'ball' refers to shape 'bowl', which is defined later (line 7); a shape can only "
        "use shapes defined before it",
        "more than one camera: the scene already has camera 'main' (line 18)",
    ]
    assert err.diagnostics[1].hint == ("a scene has one camera: to change it, write "
                                       "`camera main ...` (the same name) to replace it")
    assert [where(d) for d in err.diagnostics] == [("patch.slp", 2, 37), ("patch.slp", 1, 21)]


def test_new_error_in_an_untouched_statement_moves_to_the_patch():
    # bowl (untouched) refers to ball; making ball deeper pushes bowl over the depth limit
    patch = "patch geometry { shape ball = union(sphere(radius=1), box(size=(1, 1, 1))) }"
    err = failure(patch, limits=Limits(max_csg_depth=1))
    [d] = err.diagnostics
    assert d.message.startswith("shape 'bowl' nests CSG operations 2 deep")
    assert where(d) == ("patch.slp", 1, 1)
    assert d.hint == "caused by this patch; reported at scene.sl:7:3"
    assert apply_text(patch, limits=Limits(max_csg_depth=2))


def test_limits_apply_to_patched_scene():
    err = failure("patch lighting { light fill = point(at=(1, 1, 1)) }", limits=Limits(max_lights=1))
    assert [d.message for d in err.diagnostics] == ["too many lights: the limit is 1"]
    assert where(err.diagnostics[0]) == ("patch.slp", 1, 18)


def test_reports_several_errors_at_once():
    err = failure("patch materials {\n  remove nope\n  set spare.ior = 9\n}\n"
                  "patch geometry {\n  set nothing.radius = 1\n  set ball.radius = -1\n}")
    assert [where(d)[1] for d in err.diagnostics] == [2, 3, 6, 7]
    assert "patch.slp:7:" in err.format()


def test_structural_errors_do_not_mutate_the_input():
    before = print_scene(BASE)
    failure("patch materials { remove steel }")
    assert print_scene(BASE) == before


def test_rejects_non_patches():
    with pytest.raises(SceneError, match="expected a patch"):
        apply_patch(BASE, "patch materials {}")  # type: ignore[arg-type]


# ---------------------------------------------------------------- diff


def edit(text: str) -> A.Scene:
    return apply_text(text)


def test_diff_of_equal_scenes_is_empty():
    assert diff(BASE, BASE) == ()
    assert diff(BASE, parse_scene(print_scene(BASE))) == ()


def test_diff_uses_set_for_one_parameter():
    b = edit("patch lighting { set key.energy = 7 }")
    assert diff(BASE, b) == (A.Patch(section="lighting", ops=(
        A.SetOp(target="key", param="energy", value=A.Number(value=7)),)),)


def test_diff_uses_put_remove_and_appends():
    b = edit("patch materials {\n  remove spare\n  material red = principled(roughness=0.1, "
             "metallic=1)\n  material gold = principled()\n}")
    [patch] = diff(BASE, b)
    assert not patch.replace
    assert [type(op).__name__ for op in patch.ops] == ["RemoveOp", "PutOp", "PutOp"]
    assert apply_patch(BASE, patch) == b


def test_diff_uses_replace_when_order_changes():
    mats = BASE.materials
    b = BASE.with_section(mats.model_copy(update={"statements": mats.statements[::-1]}))
    [patch] = diff(BASE, b)
    assert patch.replace and patch.section == "materials"
    assert apply_patch(BASE, patch) == b


def test_diff_reproduces_comment_changes():
    st = BASE.geometry.statements[0].model_copy(update={"trailing_comment": None,
                                                       "comments": ("# new",)})
    geo = BASE.geometry
    b = BASE.with_section(geo.model_copy(update={"statements": (st,) + geo.statements[1:]}))
    [patch] = diff(BASE, b)
    assert isinstance(patch.ops[0], A.PutOp)
    out = apply_patch(BASE, patch)
    assert out == b and out.geometry.statements[0].comments == ("# new",)


def test_diff_sections_in_order_and_printed_diff_round_trips():
    b = edit("patch lighting { set world.strength = 2 }\npatch geometry { remove table }\n"
             "patch composition { remove table_1 }")
    patches = diff(BASE, b)
    assert [p.section for p in patches] == ["geometry", "composition", "lighting"]
    assert apply_patches(BASE, patches) == b
    assert apply_patch(BASE, parse_patch(print_patch(patches))) == b


# ---------------------------------------------------------------- properties

PROPERTY = settings(max_examples=examples(60), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(S.scene_pairs())
def test_diff_then_apply_gives_b(pair):
    a, b = pair
    patches = diff(a, b)
    assert apply_patches(a, patches) == b
    assert diff(a, a) == () and diff(b, b) == ()
    assert len(patches) == sum(a.section(n).statements != b.section(n).statements
                               for n in A.SECTION_NAMES)


@PROPERTY
@given(S.scene_pairs(comments=True))
def test_printed_and_parsed_diff_gives_b(pair):
    a, b = pair
    patches = diff(a, b)
    if patches:
        assert apply_patch(a, parse_patch(print_patch(patches))) == b


@PROPERTY
@given(st.data())
def test_generated_patches_apply_as_expected(data):
    scene = data.draw(S.scenes())
    patch, expected = data.draw(S.patch_cases(scene))
    assert apply_patch(scene, patch) == expected
    assert apply_patch(scene, patch, section=patch.section) == expected


_PARAMS = sorted({p for cls in [*A.PRIMITIVES.values(), A.Principled, *A.LIGHT_KINDS.values(),
                                A.ObjectDef, A.Camera, A.World, A.ShapeBase]
                  for p in A.param_names(cls)})


@st.composite
def _random_ops(draw, scene: A.Scene, section: str):
    names = [s.name for sec in scene.sections() for s in sec.statements] + ["world", "nope"]
    name = st.sampled_from(names) | S.names
    op = st.one_of(
        st.builds(A.SetOp, target=name, param=st.sampled_from(_PARAMS) | S.names,
                  value=S.raw_values),
        st.builds(A.RemoveOp, name=name),
    )
    ops = draw(st.lists(op, max_size=4))
    _, edited = draw(S._edit(scene, section))  # statements that may clash with the scene
    ops += [A.PutOp(statement=s) for s in draw(st.lists(st.sampled_from(
        edited.section(section).statements or (A.World(),)), max_size=2))]
    return draw(st.permutations(ops))


@PROPERTY
@given(st.data())
def test_any_patch_text_gives_a_scene_or_a_scene_error(data):
    scene = data.draw(S.scenes())
    section = data.draw(st.sampled_from(A.SECTION_NAMES))
    ops = data.draw(_random_ops(scene, section))
    ops = [op for op in ops if not isinstance(op, A.PutOp)
           or A.SECTION_OF[op.statement.stmt] == section]
    text = print_patch(A.Patch(section=section, replace=data.draw(st.booleans()) and all(
        isinstance(op, A.PutOp) for op in ops), ops=tuple(ops)))
    try:
        patch = parse_patch(text)
    except SceneError:
        return
    only = data.draw(st.sampled_from([None, section, "geometry"]))
    try:
        out = apply_patch(scene, patch, section=only, limits=Limits(max_csg_depth=2))
    except SceneError as exc:
        assert exc.diagnostics and all(d.message for d in exc.diagnostics)
        exc.format()
    else:
        assert isinstance(out, A.Scene)
