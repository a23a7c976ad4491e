"""The compiler: lowering, source comments, escaping filters, injection resistance, the CLI.

No Blender here (see test_blender.py for running the scripts).
"""

from __future__ import annotations

import ast as pyast
import math
import re
from pathlib import Path

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import examples, scenes

from scenelang import ast as sl
from scenelang.cli.main import main as cli_main
from scenelang.compiler import FilterError, RenderSettings, check_script, compile_scene, filters
from scenelang.compiler.compile import template_environment
from scenelang.compiler.script_check import call_targets
from scenelang.errors import SceneError
from scenelang.parser import parse_scene

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.sl"))
GOLDEN_SCENES = sorted((ROOT / "tests" / "golden" / "scenes").glob("*.sl"))

SCENE_TEXT = """scenelang 1

geometry {
  shape table = box(size=(2, 1, 0.1))
  shape bowl = difference(sphere(radius=0.5), sphere(radius=0.45) at (0, 0, 0.1))
  shape pair = union(bowl at (0, 0, 0.2), intersection(cylinder(radius=0.2, depth=1), cone(radius=0.3, depth=1) at (0, 0, 0.1)) scale 0.5)
}

materials {
  material red = principled(base_color=#c0392b, roughness=0.4)
}

composition {
  camera main at (7.4, -6.9, 5.0) look_at (0, 0, 0.5) lens 35mm
  object table_1 = table at (0, 0, 0.75) material red
  object bowl_1 = bowl at (-0.5, 0, 1.3)
  object bowl_2 = bowl at (0.5, 0, 1.3) material red
  object pair_1 = pair at (0, 1, 1) rotate (0, 0, 30deg) scale 1.5
}

lighting {
  world color #101010 strength 0.5
  light key = sun(direction=(-0.3, 0.4, -1), energy=3, color=#fff5e0)
  light fill = area(at=(2, -2, 3), look_at=(0, 0, 0), size=2, energy=200)
  light cone = spot(at=(0, 0, 4), energy=500)
  light bulb = point(at=(1, 1, 2))
}
"""


@pytest.fixture(scope="module")
def scene() -> sl.Scene:
    return parse_scene(SCENE_TEXT, "scene.sl")


@pytest.fixture(scope="module")
def script(scene) -> str:
    return compile_scene(scene)


class _FoldNegatives(pyast.NodeTransformer):
    """`-1.5` parses as USub applied to 1.5; treat it as the constant it is."""

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, pyast.USub) and isinstance(node.operand, pyast.Constant):
            return pyast.Constant(-node.operand.value)
        return node


def structure(text: str) -> list[str]:
    """The program's shape: node types in walk order and call targets, with the names derived
    from .sl names (`shape_x`, `mesh_x`) and constant values abstracted away."""
    tree = _FoldNegatives().visit(pyast.parse(text))
    shape = []
    for node in pyast.walk(tree):
        kind = type(node).__name__
        if isinstance(node, pyast.Constant):
            kind += ":" + type(node.value).__name__
        shape.append(kind)
    calls = [re.sub(r"^(shape|mesh)_\w+$", r"\1_*", c) for c in call_targets(text)]
    defs = [re.sub(r"^(shape|mesh)_\w+$", r"\1_*", n.name) for n in tree.body
            if isinstance(n, pyast.FunctionDef)]
    return shape + ["|"] + calls + ["|"] + defs


# ---------------------------------------------------------------- lowering


def test_script_is_checked_python_with_main(script):
    check_script(script)
    tree = pyast.parse(script)
    functions = {n.name for n in tree.body if isinstance(n, pyast.FunctionDef)}
    assert {"main", "build_scene", "shape_table", "shape_bowl", "mesh_bowl__op1"} <= functions
    assert script.rstrip().endswith("sys.exit(main(script_args(sys.argv)))")


def test_every_block_names_its_source_line(script):
    for line, what in [(4, "shape table"), (5, "shape bowl"), (10, "material red"),
                       (14, "camera main"), (15, "object table_1"), (18, "object pair_1"),
                       (22, "world"), (23, "light key"), (26, "light bulb")]:
        assert f"# scene.sl:{line} {what}\n" in script


def test_source_file_label_overrides_spans(scene):
    text = compile_scene(scene, source_file="other/place.sl")
    assert "# other/place.sl:15 object table_1" in text


def test_hand_built_ast_without_spans_compiles():
    scene = sl.Scene(
        geometry=sl.Section(name="geometry", statements=(
            sl.ShapeDef(name="s", shape=sl.Torus(major_radius=1, minor_radius=0.2)),)),
        composition=sl.Section(name="composition", statements=(
            sl.ObjectDef(name="o", shape="s"),)),
    )
    text = compile_scene(scene)
    assert "# <scene> object o" in text
    assert "camera(\n        ctx, 'default'" in text  # DEFAULT_CAMERA
    assert "world('world', color=(0.05, 0.05, 0.05), strength=1.0)" in text


def test_objects_share_their_shape_mesh_and_get_own_operands(script):
    assert script.count("def shape_bowl(ctx, name):") == 1
    assert "obj = shape_bowl(ctx, 'bowl_1')" in script
    assert "obj = shape_bowl(ctx, 'bowl_2')" in script
    assert ("    add_operand(ctx, name + '__op1', shared_mesh(ctx, 'bowl__op1', mesh_bowl__op1),"
            " obj, trs(at=(0.0, 0.0, 0.1)), 'DIFFERENCE')") in script


def test_nested_csg_and_references_lower_to_operand_tree(script):
    body = script[script.index("def shape_pair"):script.index("return obj", script.index("def shape_pair"))]
    # bowl's cut (through the reference, moved with it), then the scaled intersection whose
    # cone operand is parented to it
    assert "name + '__op1', shared_mesh(ctx, 'pair__op1', mesh_pair__op1), obj, trs(at=(0.0, 0.0, 0.2)) @ trs(at=(0.0, 0.0, 0.1)), 'DIFFERENCE')" in body
    assert "op2 = add_operand(ctx, name + '__op2', shared_mesh(ctx, 'pair__op2', mesh_pair__op2), obj, trs(scale=(0.5, 0.5, 0.5)), 'UNION')" in body
    assert "name + '__op3', shared_mesh(ctx, 'pair__op3', mesh_pair__op3), op2, trs(at=(0.0, 0.0, 0.1)), 'INTERSECT')" in body
    mesh_pair = script[script.index("def mesh_pair(bm)"):script.index("def mesh_pair__op1")]
    assert ("add_primitive(bm, 'sphere', {'radius': 0.5, 'segments': 32, 'rings': 16}, "
            "trs(at=(0.0, 0.0, 0.2)))") in mesh_pair


def test_materials_lights_camera_values(script):
    red = tuple(sl.HexColor(hex="c0392b").linear())
    assert f"'red', base_color={red!r}" in script
    assert "set_material(obj, materials[None])" in script  # bowl_1 has no material
    assert "'scenelang_default_grey'" in script
    assert "sun(ctx, 'key', direction=(-0.3, 0.4, -1.0), energy=3.0" in script
    assert "look_at=(0.0, 0.0, 0.0), energy=200.0" in script
    assert "shape='SQUARE'" in script
    assert "lens=35.0," in script and "fov=None" in script
    assert "RESOLUTION = (640, 480)" in script
    assert "place(obj, at=(0.0, 1.0, 1.0), rotate=(0.0, 0.0, 30.0), scale=(1.5, 1.5, 1.5))" in script


def test_fov_camera_and_rotate():
    text = """scenelang 1
composition {
  camera c at (0, 0, 5) rotate (0, 0, 0) fov 60deg resolution (200, 100)
}
"""
    script = compile_scene(parse_scene(text, "c.sl"))
    assert "rotate=(0.0, 0.0, 0.0)" in script and "fov=60.0" in script
    assert "look_at=None" in script
    assert "RESOLUTION = (200, 100)" in script


def test_render_settings_are_embedded():
    custom = RenderSettings(samples=7, seed=3, engine="BLENDER_WORKBENCH", size=(64, 48),
                            threads=2, look="Punchy", film_transparent=True)
    text = compile_scene(sl.Scene(), settings=custom)
    for line in ["ENGINE = 'BLENDER_WORKBENCH'", "SAMPLES = 7", "SEED = 3", "THREADS = 2",
                 "RESOLUTION = (64, 48)", "LOOK = 'Punchy'", "FILM_TRANSPARENT = True",
                 "DENOISE = False", "VIEW_TRANSFORM = 'Standard'"]:
        assert line in text
    default = compile_scene(sl.Scene())
    assert "ENGINE = 'CYCLES'" in default and "SAMPLES = 32" in default and "LOOK = 'None'" in default


def test_render_settings_defaults_and_ranges():
    s = RenderSettings()
    assert (s.engine, s.device, s.samples, s.seed, s.denoise) == ("CYCLES", "CPU", 32, 0, False)
    assert (s.view_transform, s.look, s.exposure, s.gamma, s.size, s.threads) == (
        "Standard", None, 0.0, 1.0, None, 0)
    assert s.with_(samples=None, seed=5).seed == 5
    assert s.script_args() == ["--samples", "32", "--seed", "0", "--engine", "CYCLES"]
    for bad in [dict(samples=0), dict(engine="BLENDER_EEVEE"), dict(size=(0, 10)), dict(seed=-1)]:
        with pytest.raises(ValueError):
            RenderSettings(**bad)


def test_apply_csg_flag():
    assert "APPLY_CSG = True" in compile_scene(sl.Scene(), apply_csg=True)
    assert "APPLY_CSG = False" in compile_scene(sl.Scene())


def test_dangling_references_are_positioned_errors():
    text = """scenelang 1
geometry {
  shape a = union(box(size=(1, 1, 1)), b)
}
composition {
  object o = a
  object p = missing material nope
}
"""
    scene = parse_scene(text, "bad.sl")
    with pytest.raises(SceneError) as info:
        compile_scene(scene)
    assert "unknown shape 'missing'" in str(info.value)
    assert "unknown material 'nope'" in str(info.value)
    ok = scene.with_section(scene.composition.model_copy(
        update={"statements": scene.composition.statements[:1]}))
    with pytest.raises(SceneError, match="unknown shape 'b'") as info:
        compile_scene(ok)
    assert info.value.diagnostics[0].span.line == 3


def test_cyclic_references_are_errors():
    a = sl.ShapeDef(name="a", shape=sl.Ref(name="b"))
    b = sl.ShapeDef(name="b", shape=sl.Csg(kind="union", operands=(sl.Box(size=(1, 1, 1)), sl.Ref(name="a"))))
    scene = sl.Scene(geometry=sl.Section(name="geometry", statements=(a, b)),
                     composition=sl.Section(name="composition", statements=(sl.ObjectDef(name="o", shape="a"),)))
    with pytest.raises(SceneError, match="cycle"):
        compile_scene(scene)


def test_operand_mesh_names_never_collide_with_shapes():
    text = """scenelang 1
geometry {
  shape a = difference(box(size=(1, 1, 1)), sphere(radius=0.6))
  shape a__op1 = sphere(radius=1)
}
composition {
  object x = a
  object y = a__op1
}
"""
    script = compile_scene(parse_scene(text))
    assert "shared_mesh(ctx, 'a__op1_', mesh_a__op1_)" in script
    assert "shared_mesh(ctx, 'a__op1', mesh_a__op1))" in script


@pytest.mark.parametrize("path", EXAMPLES + GOLDEN_SCENES, ids=lambda p: p.name)
def test_example_files_compile(path):
    scene = parse_scene(path.read_text(), str(path))
    text = compile_scene(scene)
    check_script(text)
    assert f"# {path}:" in text


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_generated_scenes_compile_and_pass_the_check(scene):
    text = compile_scene(scene)
    check_script(text)
    for obj in scene.objects():
        assert repr(obj.name) in text


# ---------------------------------------------------------------- filters


def test_filters_emit_python_literals():
    assert filters.py_float(1) == "1.0" and filters.py_float(-0.25) == "-0.25"
    assert filters.py_float(1e308) == "1e+308"
    assert filters.py_int(7) == "7"
    assert filters.py_name("ball_1") == "'ball_1'"
    assert filters.py_ident("bowl", "shape_") == "shape_bowl"
    assert filters.py_str("it's \"x\"\n") == repr("it's \"x\"\n")
    assert filters.py_vec((1, 2.5, -3)) == "(1.0, 2.5, -3.0)"
    assert filters.py_color(sl.HexColor(hex="ffffff")) == "(1.0, 1.0, 1.0)"
    assert filters.py_color(sl.RGB(r=0.5, g=0, b=1)) == "(0.5, 0.0, 1.0)"
    assert filters.py_comment("a\nb\r\u2028c") == "a?b??c"
    assert filters.py_matrix([(None, None, None)]) == "IDENTITY"
    assert filters.py_matrix([((1, 2, 3), None, None), (None, (0, 0, 90), (2, 2, 2))]) == (
        "trs(at=(1.0, 2.0, 3.0)) @ trs(rotate=(0.0, 0.0, 90.0), scale=(2.0, 2.0, 2.0))")


@pytest.mark.parametrize("call", [
    lambda: filters.py_float(math.inf), lambda: filters.py_float(math.nan),
    lambda: filters.py_float("1"), lambda: filters.py_float(True),
    lambda: filters.py_int(1.5), lambda: filters.py_int(False),
    lambda: filters.py_name("a b"), lambda: filters.py_name("x'); import os; ('"),
    lambda: filters.py_name("1abc"), lambda: filters.py_name("caf\u00e9"),
    lambda: filters.py_name("a" * 200), lambda: filters.py_name(None),
    lambda: filters.py_ident("class"), lambda: filters.py_ident("x\n"),
    lambda: filters.py_vec("abc"), lambda: filters.py_vec((1, math.inf, 0)),
    lambda: filters.py_color((1, 2)), lambda: filters.py_str(3),
])
def test_filters_reject_unsafe_values(call):
    with pytest.raises(FilterError):
        call()


def test_templates_cannot_print_unfiltered_values():
    env = template_environment()
    with pytest.raises(FilterError, match="unfiltered"):
        env.from_string("x = {{ value }}").render(value="__import__('os')")
    assert env.from_string("x = {{ value|py_float }}").render(value=2) == "x = 2.0"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("x = {{ missing|py_float }}").render()


# ---------------------------------------------------------------- injection


BASE = """scenelang 1
geometry {
  shape s = difference(box(size=(1, 1, 1)), sphere(radius=0.6))
}
materials {
  material m = principled(roughness=0.5)
}
composition {
  camera c at (5, -5, 3) look_at (0, 0, 0)
  object o = s at (0, 0, 1) material m
}
lighting {
  light l = point(at=(1, 2, 3), energy=100)
}
"""


def hostile_scene(name: str, number: float, label_name: str | None = None) -> sl.Scene:
    """BASE with every name replaced by `name` (forms) and numbers by `number`, bypassing the
    AST's own validation (model_construct), as a compromised upstream could."""
    scene = parse_scene(BASE)
    shape = sl.ShapeDef.model_construct(
        name=name, shape=sl.Csg.model_construct(
            kind="difference", at=None, rotate=None, scale=None,
            operands=(sl.Box.model_construct(size=(number, 1.0, 1.0), at=None, rotate=None, scale=None),
                      sl.Sphere.model_construct(radius=number, segments=32, rings=16, at=None,
                                                rotate=None, scale=None))),
        comments=(), trailing_comment=None, span=None)
    material = sl.MaterialDef.model_construct(
        name=name + "_m", material=sl.Principled.model_construct(
            **{**sl.Principled().__dict__, "roughness": number}),
        comments=(), trailing_comment=None, span=None)
    obj = sl.ObjectDef.model_construct(name=name + "_o", shape=name, at=(number, 0.0, 1.0),
                                       rotate=(0.0, 0.0, 0.0), scale=1.0, material=name + "_m",
                                       comments=(), trailing_comment=None, span=None)
    light = sl.LightDef.model_construct(
        name=name + "_l", light=sl.Point.model_construct(**{**sl.Point(at=(1, 2, 3)).__dict__, "energy": number}),
        comments=(), trailing_comment=None, span=None)
    return sl.Scene.model_construct(
        version=1, comments=(), end_comments=(), span=None,
        geometry=sl.Section.model_construct(name="geometry", statements=(shape,), comments=(), end_comments=(), span=None),
        materials=sl.Section.model_construct(name="materials", statements=(material,), comments=(), end_comments=(), span=None),
        composition=sl.Section.model_construct(name="composition", statements=(scene.composition.statements[0], obj), comments=(), end_comments=(), span=None),
        lighting=sl.Section.model_construct(name="lighting", statements=(light,), comments=(), end_comments=(), span=None),
    )


@pytest.fixture(scope="module")
def baseline() -> list[str]:
    return structure(compile_scene(hostile_scene("s", 1.0), source_file="scene.sl"))


CRAFTED_NAMES = [
    "x'); __import__('os').system('echo pwned'); ('", 'x"\nimport os\n', "x\\", "a b",
    "__import__('os')", "x\u2028y", "\u0430dmin", "x#", "x;y", "", "1x", "x\x00", "a" * 300,
    "x'''", 'x"""', "exec(", "{{ 7*7 }}", "{% raw %}",
]
CRAFTED_VALID_NAMES = ["__import__", "exec", "eval", "os", "None", "class", "True", "obj",
                       "op1", "build", "main", "bpy", "sys", "_", "__", "a" * 64]


@pytest.mark.parametrize("name", CRAFTED_NAMES)
def test_crafted_names_are_rejected_before_emission(name):
    with pytest.raises((FilterError, SceneError)):
        compile_scene(hostile_scene(name, 1.0))


@pytest.mark.parametrize("name", CRAFTED_VALID_NAMES)
def test_odd_but_valid_names_keep_the_program_structure(name, baseline):
    assert structure(compile_scene(hostile_scene(name, 1.0), source_file="scene.sl")) == baseline


@pytest.mark.parametrize("number", [1e308, -1e308, 5e-324, -0.0, 1e-300, 123456789.125])
def test_extreme_numbers_keep_the_program_structure(number, baseline):
    text = compile_scene(hostile_scene("s", number), source_file="scene.sl")
    assert structure(text) == baseline
    assert repr(float(number)) in text


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_non_finite_numbers_are_rejected(number):
    with pytest.raises(FilterError):
        compile_scene(hostile_scene("s", number))


@pytest.mark.parametrize("label", ["x.sl\nimport os", "x.sl'''\"\"\"", "\u2028evil()", "a\rb",
                                   "{{ x }}", "x" * 1000])
def test_crafted_source_labels_stay_in_comments_and_strings(label, baseline):
    assert structure(compile_scene(hostile_scene("s", 1.0), source_file=label)) == baseline


@settings(max_examples=examples(60), deadline=None)
@given(name=st.text(max_size=20), number=st.floats(allow_nan=True, allow_infinity=True),
       label=st.text(max_size=30))
def test_any_values_keep_the_structure_or_are_rejected(name, number, label, baseline):
    try:
        text = compile_scene(hostile_scene(name, number), source_file=label)
    except (FilterError, SceneError):
        assert not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or not math.isfinite(number) \
            or len(name) > 64
        return
    assert structure(text) == baseline


# ---------------------------------------------------------------- CLI


def test_cli_compile_writes_a_script(tmp_path, capsys):
    source = tmp_path / "scene.sl"
    source.write_text(SCENE_TEXT)
    out = tmp_path / "scene.py"
    assert cli_main(["compile", str(source), "-o", str(out)]) == 0
    text = out.read_text()
    check_script(text)
    assert f"# {source}:15 object table_1" in text
    assert cli_main(["compile", str(source), "--apply-csg"]) == 0
    assert "APPLY_CSG = True" in capsys.readouterr().out


def test_cli_compile_reports_positioned_errors(tmp_path, capsys):
    source = tmp_path / "bad.sl"
    source.write_text("scenelang 1\nmaterials {\n  material m = principled(roughness=2)\n}\n")
    assert cli_main(["compile", str(source)]) == 1
    err = capsys.readouterr().err
    assert f"{source}:3:" in err and "Traceback" not in err
