"""Issue 15: one test per deliberate one-line bug of the language core, each named after the
behaviour it protects. docs/testing.md lists the mutation each test was shown to catch.

Every rejection must be a `SceneError` whose diagnostics carry a span (a positioned error), never
another exception and never a silent acceptance.
"""

from __future__ import annotations

import pytest

from scenelang import ast as A
from scenelang.errors import SceneError
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch
from scenelang.validate import Limits, check

BASE = parse_scene("""scenelang 1

geometry {
  shape ball = sphere(radius=0.8)
}

materials {
  material red = principled(base_color=#c0392b)
}

composition {
  camera cam at (6, -6, 4) look_at (0, 0, 0) resolution (64, 48)
  object ball_1 = ball material red
}

lighting {
  light key = sun(direction=(0, 0, -1), energy=3)
}
""")


def positioned_error(call) -> SceneError:
    """The SceneError `call()` raises; every diagnostic of it is positioned."""
    with pytest.raises(SceneError) as info:
        call()
    err = info.value
    assert err.errors, "a SceneError with no diagnostics"
    assert all(d.span is not None for d in err.errors), err.format()
    return err


def camera_scene(width: int, height: int) -> A.Scene:
    return parse_scene(f"""scenelang 1
composition {{
  camera cam at (6, -6, 4) look_at (0, 0, 0) resolution ({width}, {height})
}}
""")


# ---------------------------------------------------------------- resolution limit (validate.py)


@pytest.mark.parametrize("width, height", [(4097, 16), (16, 4097), (4097, 4097)])
def test_resolution_limit_applies_to_width_and_height(width, height):
    err = positioned_error(lambda: check(camera_scene(width, height)))
    assert "exceeds the limit of 4096 pixels per side" in err.format()


@pytest.mark.parametrize("width, height", [(4096, 16), (16, 4096), (4096, 4096)])
def test_resolution_at_the_limit_is_accepted(width, height):
    check(camera_scene(width, height))


def test_resolution_limit_follows_custom_limits():
    limits = Limits(max_resolution=100)
    check(camera_scene(100, 100), limits)
    positioned_error(lambda: check(camera_scene(50, 101), limits))
    positioned_error(lambda: check(camera_scene(101, 50), limits))


# ---------------------------------------------------------------- name length limit


def named(kind: str, name: str) -> str:
    statements = {
        "shape": f"geometry {{\n  shape {name} = sphere(radius=1)\n}}",
        "material": f"materials {{\n  material {name} = principled()\n}}",
        "light": f"lighting {{\n  light {name} = sun(direction=(0, 0, -1))\n}}",
    }
    return f"scenelang 1\n{statements[kind]}\n"


@pytest.mark.parametrize("kind", ["shape", "material", "light"])
def test_names_of_64_characters_are_accepted(kind):
    check(parse_scene(named(kind, "n" * 64)))


@pytest.mark.parametrize("kind", ["shape", "material", "light"])
@pytest.mark.parametrize("length", [65, 128, 129])
def test_names_longer_than_64_characters_are_a_positioned_error(kind, length):
    err = positioned_error(lambda: check(parse_scene(named(kind, "n" * length))))
    assert f"({length} characters; the limit is 64)" in err.format()


def test_the_default_name_limit_is_64():
    assert Limits().max_name_length == 64


def test_a_patch_adding_a_65_character_name_is_rejected_with_a_position():
    patch = parse_patch("patch geometry {\n  shape " + "n" * 65 + " = sphere(radius=1)\n}")
    err = positioned_error(lambda: apply_patch(BASE, patch, section="geometry"))
    assert "the limit is 64" in err.format()


# ---------------------------------------------------------------- section scoping of patches


def test_every_block_of_a_multi_block_patch_is_checked_against_the_stage_section():
    patch = parse_patch("patch geometry {\n  set ball.radius = 1\n}\n"
                        "patch lighting {\n  set key.energy = 9\n}\n")
    err = positioned_error(lambda: apply_patch(BASE, patch, section="geometry"))
    assert "this patch edits 'lighting', but this stage may only edit 'geometry'" in err.format()
    # the offending block is the one pointed at
    assert err.errors[0].span.line == 4


@pytest.mark.parametrize("first", ["geometry", "materials", "composition"])
def test_a_foreign_block_after_any_number_of_allowed_blocks_is_rejected(first):
    allowed = {"geometry": "set ball.radius = 1", "materials": "set red.roughness = 0.2",
               "composition": "set cam.lens = 35"}
    text = "".join(f"patch {first} {{\n  {allowed[first]}\n}}\n" for _ in range(3))
    text += "patch lighting {\n  remove key\n}\n"
    err = positioned_error(lambda: apply_patch(BASE, parse_patch(text), section=first))
    assert f"may only edit '{first}'" in err.format()


def test_replace_of_another_section_is_rejected_by_the_stage_section_check():
    patch = parse_patch("replace lighting {\n  light key = sun(direction=(0, 0, -1))\n}")
    err = positioned_error(lambda: apply_patch(BASE, patch, section="geometry"))
    assert "this patch edits 'lighting', but this stage may only edit 'geometry'" in err.format()


def test_replace_of_the_stage_section_is_allowed():
    patch = parse_patch("replace lighting {\n  light key = sun(direction=(0, 0, -1), energy=5)\n}")
    out = apply_patch(BASE, patch, section="lighting")
    assert out.lighting.statements[0].light.energy == 5
