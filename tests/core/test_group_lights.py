"""Lights inside composition groups (issue 12, language v2): `light NAME = point(...)` as a group
member, through both parse paths and the printer, the validator (names, copies, limits,
positioned errors), `ResolvedScene.lights` (the group transforms applied; copies named like
objects), and patches/diff (adding, removing and changing a light in a group; `set GROUP.at`
moves it)."""

from __future__ import annotations

import math

import pytest

from scenelang import ast as A
from scenelang import fastparse
from scenelang import parser as P
from scenelang.errors import SceneError
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch, apply_patches, diff
from scenelang.printer import print_scene
from scenelang.resolve import resolve
from scenelang.validate import Limits, validate

BASE = """scenelang 1
geometry {
  shape s = box(size=(1, 1, 1))
}
composition {
  object floor = s scale (4, 4, 0.1)
%s
}
lighting {
  world color #202020
%s
}
"""

LAMP = """  group lamp at (1, 2, 0.5) rotate (0, 0, 90deg) scale 2 {
    object base = s scale 0.2
    light bulb = point(at=(0.5, 0, 0.25), energy=40, color=#ffd89a, radius=0.03)
    light beam = spot(at=(0, 0, 1), direction=(1, 0, 0), spot_size=30deg)
    group head at (0, 0, 1) rotate (90deg, 0, 0) {
      light key = sun(direction=(0, 0, -1))
      light panel = area(at=(0, 1, 0), look_at=(0, 0, 0), size=0.5)
    }
  }"""


def scene_of(composition: str = LAMP, lighting: str = "") -> A.Scene:
    return parse_scene(BASE % (composition, lighting), "lamp.sl")


def errors(composition: str, lighting: str = "", limits: Limits | None = None) -> list:
    try:
        scene = scene_of(composition, lighting)
    except SceneError as exc:
        return [(d.message, d.span.line, d.span.column, d.hint) for d in exc.diagnostics]
    return [(d.message, d.span.line if d.span else None, d.span.column if d.span else None, d.hint)
            for d in validate(scene, limits) if d.severity == "error"]


def close(a, b, tol=1e-9) -> bool:
    return all(math.isclose(x, y, abs_tol=tol) for x, y in zip(a, b, strict=True))


# ---------------------------------------------------------------- syntax


def test_a_light_in_a_group_parses_on_both_paths_and_prints_canonically():
    text = print_scene(scene_of())
    assert ("    light bulb = point(at=(0.5, 0, 0.25), energy=40, color=#ffd89a, radius=0.03)\n"
            in text)
    assert "    group head at (0, 0, 1) rotate (90deg, 0, 0) {\n      light key = sun()\n" in text
    fast, _ = fastparse.parse_scene(text, "x.sl", P._lark())  # the fast path takes it
    lark, _ = P._parse(text, "scene_file", "x.sl")
    assert fast == lark
    lamp = fast.composition.get("lamp")
    assert [m.stmt for m in lamp.members] == ["object", "light", "light", "group"]
    assert lamp.members[1] == A.LightDef(name="bulb", light=A.Point(
        at=(0.5, 0, 0.25), energy=40, color=A.HexColor(hex="ffd89a"), radius=0.03))
    assert print_scene(parse_scene(text)) == text  # fmt is idempotent
    assert validate(fast) == []


def test_a_light_in_a_group_keeps_its_comments():
    scene = scene_of("  group g {\n    # the lamp's bulb\n    light l = point(at=(0, 0, 1))  # warm\n  }")
    (light,) = scene.composition.get("g").members
    assert light.comments == ("# the lamp's bulb",) and light.trailing_comment == "# warm"
    assert print_scene(parse_scene(print_scene(scene))) == print_scene(scene)


@pytest.mark.parametrize("member,message,column,hint", [
    ("light l = point(at=(0, 0, 1), energy=-5)", "energy must be at least 0, got -5", 42, None),
    ("light l = point(at=(0, 0, 1), enrgy=5)",
     "unknown parameter 'enrgy' for point; did you mean 'energy'?", 35,
     "point takes: at, energy, color, radius"),
    ("light l = point(energy=5)", "point needs at (at=...)", 15, None),
    ("light l = lamp(at=(0, 0, 1))", "unknown light type 'lamp'", 15,
     "light types: sun, point, spot, area"),
    ("world color #ffffff", "a world statement cannot stand in a group: groups hold objects, "
     "instances, arrays, groups and lights", 5, "write it in the lighting section"),
])
def test_a_bad_light_in_a_group_is_a_positioned_error(member, message, column, hint):
    found = errors(f"  group g at (1, 0, 0) {{\n    {member}\n  }}")
    assert found[0][:2] == (message, 8) and found[0][2] == column, found
    if hint is not None:
        assert found[0][3] == hint


# ---------------------------------------------------------------- validation


def test_light_names_in_groups_are_unique_across_composition_and_lighting():
    group = "  group g {\n    light l = point(at=(0, 0, 1))\n  }"
    assert errors(group, "  light l = sun()") == [(
        "light 'l' in group 'g' has the name of the lighting section's light 'l' (line 13): light "
        "names are unique across the composition and lighting", 8, 5,
        "rename one of them (a copy's lights are named COPY_LIGHT, an array's ARRAY_1_LIGHT, ...)")]
    assert errors(group.replace("light l", "light floor"))[0][:2] == (
        "light 'floor': the name 'floor' is already used by object 'floor' (line 6)", 8)
    # a copy's light: named like the copy's objects, clashing with a lighting light
    copied = group + "\n  object g2 = instance g at (2, 0, 0)"
    assert errors(copied, "  light g2_l = sun()")[0][0].startswith(
        "the copy 'g2_l' of light 'l' in group 'g2' has the name of the lighting section's light")
    # ... or with an object of the composition
    assert errors(copied + "\n  object g2_l = s")[0][0].startswith("two things are named 'g2_l'")
    assert errors(copied, "  light l2 = sun()") == []


def test_lights_in_copied_groups_count_against_the_light_limit():
    text = ("  group g {\n    light l = point(at=(0, 0, 1))\n  }\n"
            "  object row = array(g, count=5, offset=(1, 0, 0)) at (1, 0, 0)")
    assert errors(text, limits=Limits(max_lights=6)) == []
    found = errors(text, limits=Limits(max_lights=5))
    assert found == [("too many lights: 6 counting the lights in groups and their copies; the "
                      "limit is 5", 8, 5, "lower an array's count, or take the light out of the "
                      "copied group")]


def test_a_light_in_a_group_gets_the_lighting_checks():
    found = errors("  group g {\n    light l = spot(at=(0, 0, 1), direction=(0, 0, 0))\n  }")
    assert found[0][:2] == ("light 'l' has a zero direction vector; give a direction such as "
                            "(0, 0, -1)", 8)


# ---------------------------------------------------------------- world space


def test_resolved_lights_have_the_group_transforms_applied():
    lights = {light.name: light for light in resolve(scene_of(lighting="  light fill = sun()")).lights}
    assert list(lights) == ["bulb", "beam", "key", "panel", "fill"]  # groups first, then lighting
    # lamp: scale 2, then 90 degrees about z, then moved to (1, 2, 0.5)
    assert close(lights["bulb"].light.at, (1, 3, 1))
    assert lights["bulb"].definition.light.at == (0.5, 0, 0.25)  # as written, relative
    assert lights["bulb"].parent == "lamp" and lights["fill"].parent is None
    assert lights["bulb"].light.energy == 40 and lights["bulb"].light.radius == 0.03
    assert close(lights["beam"].light.at, (1, 2, 2.5))
    assert close(lights["beam"].light.direction, (0, 2, 0))  # turned (and scaled) as a vector
    # head: turned 90 degrees about x inside the lamp, so a sun pointing down points along the
    # lamp's +y, which the lamp's turn about z makes world -x (times the lamp's scale)
    assert close(lights["key"].light.direction, (-2, 0, 0))
    assert lights["key"].chain_names == ("lamp", "head") and lights["key"].parent == "head"
    assert close(lights["panel"].light.at, (1, 2, 4.5))  # (0, 1, 0) in the turned head is up
    assert close(lights["panel"].light.look_at, (1, 2, 2.5))
    assert lights["fill"].light == A.Sun()


def test_copies_of_a_group_copy_its_lights_with_the_objects_naming_rule():
    text = ("  group g at (0, 0, 1) {\n    light l = point(at=(1, 0, 0))\n  }\n"
            "  object c = instance g at (0, 5, 0) rotate (0, 0, 90deg)\n"
            "  object row = array(g, count=3, offset=(2, 0, 0)) at (10, 0, 0)")
    lights = {light.name: light for light in resolve(scene_of(text)).lights}
    assert list(lights) == ["l", "c_l", "row_1_l", "row_2_l", "row_3_l"]
    assert close(lights["l"].light.at, (1, 0, 1))
    assert close(lights["c_l"].light.at, (0, 6, 0)) and lights["c_l"].parent == "c"
    for i in range(3):
        assert close(lights[f"row_{i + 1}_l"].light.at, (11 + 2 * i, 0, 1))  # g's own `at` inside
        assert lights[f"row_{i + 1}_l"].parent == f"row_{i + 1}"  # the element's Empty
    assert lights["c_l"].definition is lights["l"].definition
    assert lights["c_l"].local() == A.LightDef(name="c_l", light=A.Point(at=(1, 0, 0)))


def test_a_spot_without_an_aim_points_down_the_group_not_the_world():
    scene = scene_of("  group g rotate (90deg, 0, 0) {\n    light l = spot(at=(0, 0, 1))\n  }")
    light = resolve(scene).lights[0]
    assert light.definition.light.direction is None
    assert close(light.light.direction, (0, 1, 0)) and close(light.light.at, (0, -1, 0))


def test_an_untransformed_group_leaves_its_light_exactly_as_written():
    light = resolve(scene_of("  group g {\n    light l = sun(direction=(-0.4, 0.5, -0.75))\n  }")).lights[0]
    assert light.light.direction == (-0.4, 0.5, -0.75)


# ---------------------------------------------------------------- patches and diff


def test_set_group_at_moves_its_light():
    scene = scene_of()
    moved = apply_patch(scene, parse_patch("patch composition { set lamp.at = (-1, 0, 0.5) }"))
    before = {light.name: light.light for light in resolve(scene).lights}
    after = {light.name: light.light for light in resolve(moved).lights}
    for name in ("bulb", "beam", "panel"):
        assert close(after[name].at, (before[name].at[0] - 2, before[name].at[1] - 2, before[name].at[2]))
    assert close(after["key"].direction, before["key"].direction)
    turned = apply_patch(scene, parse_patch("patch composition { set lamp.rotate = (0, 0, 0) }"))
    key = next(light for light in resolve(turned).lights if light.name == "key")
    assert close(key.light.direction, (0, 2, 0))  # a sun's direction turns with the group


def test_a_patch_adds_changes_and_removes_a_light_in_a_group():
    scene = scene_of("  group g at (0, 0, 1) {\n    object b = s\n  }")
    added = apply_patch(scene, parse_patch(
        "patch composition {\n  group g at (0, 0, 1) {\n    object b = s\n"
        "    light l = point(at=(0, 0, 1), energy=50)\n  }\n}\n"))
    assert [(light.name, light.light.at) for light in resolve(added).lights] == [("l", (0, 0, 2))]
    changed = added.with_section(added.composition.model_copy(update={"statements": (
        added.composition.statements[0],
        added.composition.get("g").model_copy(update={"members": (
            added.composition.get("g").members[0],
            A.LightDef(name="l", light=A.Point(at=(0, 0, 1), energy=80)))}))}))
    for a, b in ((scene, added), (added, changed), (changed, scene), (added, scene)):
        assert apply_patches(a, diff(a, b)) == b
    assert "light l = point(at=(0, 0, 1), energy=50)" in print_scene(added)
    with pytest.raises(SceneError) as info:  # a clash the patch makes is reported in the patch
        apply_patch(added, parse_patch("patch lighting { light l = sun() }"))
    assert "light names are unique across the composition and lighting" in str(info.value)


def test_set_reaches_a_light_and_an_object_inside_a_group():
    scene = scene_of()
    patched = apply_patch(scene, parse_patch(
        "patch composition {\n  set bulb.energy = 60\n  set key.direction = (0, 1, 0)\n"
        "  set base.scale = 0.3\n}\n"))
    lamp = patched.composition.get("lamp")
    assert lamp.members[1].light.energy == 60 and lamp.members[0].scale == 0.3
    assert lamp.members[3].members[0].light.direction == (0, 1, 0)  # in the nested group
    assert lamp.at == (1, 2, 0.5) and patched.composition.statements[0] == scene.composition.statements[0]
    assert apply_patches(scene, diff(scene, patched)) == patched
    with pytest.raises(SceneError) as info:  # errors point into the patch
        apply_patch(scene, parse_patch("patch composition {\n  set bulb.enrgy = 60\n}\n", "p.slp"))
    (d,) = info.value.diagnostics
    assert d.message == "'bulb' (point) has no parameter 'enrgy'; did you mean 'energy'?"
    assert (d.span.file, d.span.line) == ("p.slp", 2)
    with pytest.raises(SceneError, match="there is no statement named 'bulbs' in composition"):
        apply_patch(scene, parse_patch("patch composition { set bulbs.energy = 60 }"))


def test_the_lighting_stage_sets_lights_in_groups_but_nothing_else_of_them():
    """A lighting-only patch (as the reconstruction's lighting stage applies it) reaches the
    lights written in composition groups, at any depth; objects and groups stay out of reach."""
    scene = scene_of()
    patched = apply_patch(scene, parse_patch(
        "patch lighting {\n  set bulb.energy = 60\n  set panel.size = 1\n  set world.strength = 2\n}\n"),
        section="lighting")
    lamp = patched.composition.get("lamp")
    assert lamp.members[1].light.energy == 60 and lamp.members[3].members[1].light.size == 1
    assert patched.lighting.statements[0].strength == 2
    assert lamp.members[0] == scene.composition.get("lamp").members[0]
    for target in ("base", "lamp", "head"):  # an object, the group, a nested group
        with pytest.raises(SceneError) as info:
            apply_patch(scene, parse_patch(f"patch lighting {{ set {target}.at = (0, 0, 0) }}"),
                        section="lighting")
        assert f"there is no statement named '{target}' in lighting" in str(info.value)
    with pytest.raises(SceneError, match="has no parameter 'enrgy'"):
        apply_patch(scene, parse_patch("patch lighting { set bulb.enrgy = 60 }"), section="lighting")
