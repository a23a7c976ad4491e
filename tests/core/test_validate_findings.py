"""What each validator finding is about, beyond its message (issue 15; docs/testing.md, "Mutation
testing"): the position of light problems (the light call, not the statement), the section and
statement of name problems (what the patch engine uses to re-position them), materials counted
as used through the operands of used shapes only, and the triangle estimate of profile shapes and
mesh assets."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenelang.parser import load_scene, parse_scene
from scenelang.validate import ONE_OF_HINT, Limits, findings

ROOT = Path(__file__).resolve().parents[2]
LIGHTING = "scenelang 1\nlighting {\n%s\n}\n"


def about(text: str, limits: Limits | None = None) -> list[tuple]:
    """(message, FILE:LINE:COL, hint, section, statement, missing) of every error."""
    return [(f.diagnostic.message, f.diagnostic.span.label() if f.diagnostic.span else None,
             f.diagnostic.hint, f.section, f.statement, f.missing)
            for f in findings(parse_scene(text, file="s.sl"), limits)
            if f.diagnostic.severity == "error"]


# ---------------------------------------------------------------- lights


@pytest.mark.parametrize("light, message, hint", [
    ("spot(at=(0, 0, 3), direction=(0, 0, -1), look_at=(0, 0, 0))",
     "light 'k' has both direction and look_at; give only one", ONE_OF_HINT),
    ("area(at=(0, 0, 3), shape=square, size_y=2)",
     "light 'k': size_y is only used with shape rectangle or ellipse, but the shape is square; "
     "remove size_y or change the shape", None),
    ("area(at=(0, 0, 3), look_at=(0, 0, 3))",
     "light 'k' is aimed at its own position (look_at equals at)", None),
    ("sun(direction=(0, 0, 0))",
     "light 'k' has a zero direction vector; give a direction such as (0, 0, -1)", None),
])
def test_light_problems_are_reported_at_the_light_call(light, message, hint):
    assert about(LIGHTING % f"  light k = {light}") == [
        (message, "s.sl:3:13", hint, "lighting", "k", None)]


# ---------------------------------------------------------------- names


def test_a_light_named_world_is_about_that_light():
    assert about(LIGHTING % "  light world = sun()") == [
        ("the name 'world' is reserved for the world statement; choose another name for this "
         "light", "s.sl:3:3", None, "lighting", "world", None)]


def test_a_second_world_is_about_the_second_world_statement():
    assert about(LIGHTING % "  world color #ffffff\n  world color #000000") == [
        ("more than one world statement (the first is on line 3)", "s.sl:4:3", None, "lighting",
         "world", None)]


def test_a_name_defined_twice_is_about_the_second_definition():
    assert about(LIGHTING % "  light k = sun()\n  light k = sun()") == [
        ("light 'k' is defined twice (first on line 3)", "s.sl:4:3", None, "lighting", "k", None)]


def test_a_name_used_by_another_kind_is_about_the_later_statement():
    text = ("scenelang 1\ngeometry {\n  shape k = box(size=(1, 1, 1))\n}\ncomposition {\n"
            "  object k = k\n  camera k at (1, 1, 1)\n}\n")
    assert about(text) == [
        ("camera 'k': the name 'k' is already used by object 'k' (line 6)", "s.sl:7:3", None,
         "composition", "k", None)]


def test_too_long_names_and_references_are_about_their_shape_statements():
    n = "a" * 65
    text = (f"scenelang 1\ngeometry {{\n  shape {n} = box(size=(1, 1, 1))\n"
            f"  shape t = union({n}, box(size=(1, 1, 1)))\n}}\n")
    cut = "a" * 20
    assert about(text) == [
        (f"shape name '{cut}...' is too long (65 characters; the limit is 64)", "s.sl:3:3", None,
         "geometry", n, None),
        (f"shape reference '{cut}...' is too long (65 characters; the limit is 64)", "s.sl:4:19",
         None, "geometry", "t", None)]


# ---------------------------------------------------------------- unused materials

OPERANDS = """scenelang 1
geometry {
  shape used = difference(box(size=(1, 1, 1)), sphere(radius=0.6) material inner)
  shape spare = union(box(size=(1, 1, 1)), sphere(radius=0.6) material spare_inner)
}
materials {
  material inner = principled()
  material spare_inner = principled()
}
composition {
  object o = used
}
"""


def test_an_operand_material_counts_as_used_only_in_a_shape_an_object_uses():
    warnings = [(f.diagnostic.message, f.section, f.statement)
                for f in findings(parse_scene(OPERANDS, file="s.sl"))
                if f.diagnostic.severity == "warning"]
    assert warnings == [
        ("shape 'spare' is not used by any object", "geometry", "spare"),
        ("material 'spare_inner' is not used by any object", "materials", "spare_inner")]


# ---------------------------------------------------------------- triangle estimates


@pytest.mark.parametrize("shape, triangles", [
    # a revolve: 2 x segments x (points + 1), not 4 x segments as one mesh-detail field gives
    ("revolve(profile=[(0, 0), (1, 0), (1, 1)], segments=8)", 64),
    # an extrude: 4 x points (sides and caps), not the 12 of a shape without mesh-detail fields
    ("extrude(profile=[(0, 0), (1, 0), (1, 1), (0, 1)], depth=1)", 16),
])
def test_profile_shapes_count_their_triangles_from_the_profile(shape, triangles):
    text = f"scenelang 1\ngeometry {{\n  shape s = {shape}\n}}\ncomposition {{\n  object o = s\n}}\n"
    assert about(text, Limits(max_triangles=triangles)) == []
    assert [e[0] for e in about(text, Limits(max_triangles=triangles - 1))] == [
        f"the scene's meshes have about {triangles} triangles (objects from 'o' on exceed the "
        f"budget); the limit is {triangles - 1}: lower segments/rings/vertices or use fewer "
        f"objects"]


def test_a_mesh_asset_adds_nothing_to_the_estimate_its_file_is_checked_when_read(tmp_path):
    (tmp_path / "cone.stl").write_bytes((ROOT / "examples" / "assets" / "cone.stl").read_bytes())
    scene_file = tmp_path / "s.sl"
    scene_file.write_text('scenelang 1\ngeometry {\n  shape m = mesh(path="cone.stl")\n'
                          '  shape b = box(size=(1, 1, 1))\n}\ncomposition {\n  object o = m\n'
                          '  object p = b\n}\n')
    scene = load_scene(scene_file)
    assert [f for f in findings(scene, Limits(max_triangles=12))
            if f.diagnostic.severity == "error"] == []  # the box's 12, the asset's 0
    (error,) = [f.diagnostic.message for f in findings(scene, Limits(max_triangles=11))
                if f.diagnostic.severity == "error"]
    assert error.startswith("the scene's meshes have about 12 triangles (objects from 'p' on")


# ---------------------------------------------------------------- textures

TEXTURES = "scenelang 1\nmaterials {\n  texture %s\n  material m = principled(base_color=t)\n}\n"


def test_a_gradient_without_length_is_reported_on_its_call_with_the_statement():
    text = TEXTURES % "t = gradient(color1=#000000, color2=#ffffff, start=0.5, end=0.5)"
    assert about(text) == [("texture 't': gradient start and end are both 0.5", "s.sl:3:15",
                            "give the ramp a length: start=-1, end=1", "materials", "t", None)]


def test_image_problems_are_reported_at_the_path_with_the_texture_statement(tmp_path):
    (tmp_path / "s.sl").write_text(TEXTURES % 't = image(path="missing.png")', encoding="utf-8")
    found = [(f.diagnostic.message, f.diagnostic.span.label() if f.diagnostic.span else None,
              f.section, f.statement)
             for f in findings(load_scene(tmp_path / "s.sl")) if f.diagnostic.severity == "error"]
    assert found == [("texture 't': texture image file 'missing.png' not found",
                      f"{tmp_path / 's.sl'}:3:26", "materials", "t")]
    hint = findings(load_scene(tmp_path / "s.sl"))[0].diagnostic.hint
    assert hint.startswith(f"looked for {tmp_path / 'missing.png'}")
