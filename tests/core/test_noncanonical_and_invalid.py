"""Issue 15: properties that leave the canonical path.

- Any scene printed non-canonically (sections reordered, whitespace and line breaks between
  tokens, comments inside statements, `.5`/`2.`/`+1`/`1e0` spellings, uppercase hex, CRLF, a BOM
  in a file) parses to the same AST as its canonical text.
- Every value just outside its range, a name of 65 characters and each `Limits` value one past its
  boundary is rejected with a positioned `SceneError`, never another exception; the value at the
  boundary is accepted.

60 examples each in `make test`, 500 in `make stress` (see tests/conftest.py)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    RESERVED,
    examples,
    noncanonical_texts,
    out_of_range_values,
    params_of,
    scenes,
)

from scenelang import ast as A
from scenelang.errors import SceneError
from scenelang.parser import load_scene, parse_scene
from scenelang.printer import format_number, print_scene
from scenelang.validate import Limits, check

PROPERTY = settings(max_examples=examples(60), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def positioned(call) -> SceneError:
    try:
        call()
    except SceneError as err:
        assert err.errors and all(d.span is not None for d in err.errors), err.format()
        return err
    raise AssertionError("accepted, expected a positioned SceneError")


# ---------------------------------------------------------------- non-canonical printing


@PROPERTY
@given(data=st.data(), scene=scenes(comments=False))
def test_noncanonical_text_parses_to_the_canonical_ast(data, scene):
    text, expected = data.draw(noncanonical_texts(scene))
    canonical = parse_scene(print_scene(scene))
    assert canonical == scene
    if data.draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    assert parse_scene(text) == expected


@PROPERTY
@given(data=st.data(), scene=scenes(comments=False))
def test_a_file_with_a_bom_and_crlf_loads_as_the_canonical_ast(data, scene, tmp_path_factory):
    text, expected = data.draw(noncanonical_texts(scene))
    path = tmp_path_factory.mktemp("bom") / "scene.sl"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert load_scene(path) == expected


# ---------------------------------------------------------------- invalid scenes


def call_text(node: A.Node, field: str, value) -> str:
    """`node` printed as a call with `field=value` first (overriding any printed value)."""
    one = A.Scene(geometry=A.Section(name="geometry", statements=(
        A.ShapeDef(name="s", shape=node),))) if isinstance(node, A.ShapeBase) else None
    if one is None and isinstance(node, A.Principled):
        one = A.Scene(materials=A.Section(name="materials", statements=(
            A.MaterialDef(name="m", material=node),)))
    if one is None:
        one = A.Scene(lighting=A.Section(name="lighting", statements=(
            A.LightDef(name="l", light=node),)))
    text = print_scene(one)
    kind = node.kind
    head, rest = text.split(f"{kind}(", 1)
    spelled = format_number(value) if isinstance(value, float) else str(value)
    import re

    rest = re.sub(rf"(?<![\w.]){field}=(\([^)]*\)|[^,)]+)(, )?", "", rest, count=1)
    sep = "" if rest.startswith(")") else ", "
    return f"{head}{kind}({field}={spelled}{sep}{rest}"


@PROPERTY
@given(data=st.data(), case=out_of_range_values())
def test_every_value_just_outside_its_range_is_a_positioned_error(data, case):
    cls, field, value = case
    node = data.draw(params_of(cls))
    text = call_text(node, field, value)
    positioned(lambda: check(parse_scene(text)))


NAME_START = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
NAME_REST = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_ABCXYZ", min_size=63,
                    max_size=64)


@PROPERTY
@given(first=NAME_START, rest=NAME_REST, where=st.sampled_from(["shape", "material", "light"]))
def test_names_of_64_characters_pass_and_65_are_a_positioned_error(first, rest, where):
    name = first + rest
    if name.lower() in RESERVED:
        return
    text = {"shape": f"geometry {{\n  shape {name} = sphere(radius=1)\n}}",
            "material": f"materials {{\n  material {name} = principled()\n}}",
            "light": f"lighting {{\n  light {name} = sun(direction=(0, 0, -1))\n}}"}[where]
    scene_text = "scenelang 1\n" + text + "\n"
    if len(name) == 64:
        check(parse_scene(scene_text))
    else:
        positioned(lambda: check(parse_scene(scene_text)))


# ---------------------------------------------------------------- Limits at and past the boundary


def shapes(n: int) -> str:
    return "geometry {\n" + "".join(f"  shape s{i} = box(size=(1, 1, 1))\n" for i in range(n)) + "}\n"


def objects(n: int) -> str:
    return shapes(1) + "composition {\n" + "".join(
        f"  object o{i} = s0 at ({i}, 0, 0)\n" for i in range(n)) + "}\n"


def lights(n: int) -> str:
    return "lighting {\n" + "".join(
        f"  light l{i} = point(at=(0, 0, {i}))\n" for i in range(n)) + "}\n"


def csg_depth(n: int) -> str:
    lines = ["  shape d0 = box(size=(1, 1, 1))"]
    for i in range(1, n + 1):
        lines.append(f"  shape d{i} = union(d{i - 1}, sphere(radius=1))")
    return "geometry {\n" + "\n".join(lines) + "\n}\n"


def csg_operands(n: int) -> str:
    ops = ", ".join(f"sphere(radius={i + 1})" for i in range(n))
    return f"geometry {{\n  shape u = union({ops})\n}}\n"


def segments(n: int) -> str:
    return f"geometry {{\n  shape s = sphere(radius=1, segments={n})\n}}\n"


def resolution(n: int) -> str:
    return f"composition {{\n  camera cam at (5, 5, 5) look_at (0, 0, 0) resolution ({n}, 16)\n}}\n"


def name_length(n: int) -> str:
    return f"geometry {{\n  shape {'n' * n} = sphere(radius=1)\n}}\n"


def expanded_objects(n: int) -> str:
    return shapes(1) + f"composition {{\n  object row = array(s0, count={n}, offset=(1, 0, 0))\n}}\n"


def statements(n: int) -> str:
    return shapes(n)


def primitives(n: int) -> str:
    return objects(n)


LIMIT_CASES = {
    # field: (scene for a count, small limit used, default-limit count or None when too slow)
    "max_statements": (statements, 5, None),
    "max_shapes": (shapes, 4, None),
    "max_objects": (objects, 3, None),
    "max_lights": (lights, 3, 64),
    "max_csg_depth": (csg_depth, 3, 8),
    "max_csg_operands": (csg_operands, 4, 32),
    "max_primitives": (primitives, 6, None),
    "max_segments": (segments, 16, 256),
    "max_resolution": (resolution, 100, 4096),
    "max_name_length": (name_length, 10, 64),
    "max_expanded_objects": (expanded_objects, 7, None),
}


@pytest.mark.parametrize("field", sorted(LIMIT_CASES))
def test_each_limit_accepts_its_boundary_and_rejects_one_past_it(field):
    make, small, default = LIMIT_CASES[field]
    for limits, at in ((Limits(**{field: small}), small), (Limits(), default)):
        if at is None:
            continue
        check(parse_scene("scenelang 1\n" + make(at)), limits)
        err = positioned(lambda: check(parse_scene("scenelang 1\n" + make(at + 1)), limits))
        assert str(at) in err.format(), err.format()


def test_every_limits_field_has_a_boundary_case():
    from dataclasses import fields

    missing = {f.name for f in fields(Limits)} - set(LIMIT_CASES)
    # samples are checked by check_samples; triangles by the preview/export tests; asset limits
    # (files next to a scene) by tests/core/test_language_v2.py and tests/backends/test_language_v2_shapes.py
    # image limits: tests/core/test_textures.py
    assert missing <= {"max_samples", "max_triangles", "max_asset_bytes", "max_asset_triangles",
                       "max_image_bytes", "max_image_side"}, missing
