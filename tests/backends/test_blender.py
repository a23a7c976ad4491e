"""Real Blender (the bpy wheel): golden renders, .blend contents, generated scenes, errors, CLI.

Blender is required: a missing bpy makes these tests FAIL, never skip.

Golden images: every `examples/*.sl` and `tests/golden/scenes/*.sl` renders with Cycles at 128 px
(longer side), 16 samples, seed 0 and is compared with `tests/golden/<name>.png` (regenerate with
`python tests/regen_golden.py`). Tolerance, on 0..255 values after a 3x3 box blur (which averages
away most per-pixel Cycles noise): mean absolute difference <= 4 and at most 1% of pixels off by
more than 64 in some channel. Calibration: the same scenes rendered with different seeds differ
by a mean of 1.0-2.1 and 0.0-0.07% of such pixels.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from PIL import Image
from scipy.ndimage import uniform_filter
from strategies import examples, scenes

from scenelang import ast as sl
from scenelang.backends.blender.runner import (
    BlenderError,
    BlenderWorker,
    clean_env,
    render_scene,
    run_script_once,
    source_location,
)
from scenelang.cli.main import main as cli_main
from scenelang.compiler import RenderSettings, compile_scene
from scenelang.parser import load_scene, parse_scene

pytestmark = pytest.mark.blender

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = ROOT / "tests" / "golden"
GOLDEN_LONG_SIDE = 128
GOLDEN_SETTINGS = RenderSettings(samples=16, seed=0)
MAX_MEAN_DIFFERENCE = 4.0
MAX_FRACTION_OFF = 0.01
OFF_THRESHOLD = 64


def golden_cases() -> list[tuple[str, Path]]:
    """(golden name, scene file) for every example and every golden test scene."""
    cases = [(f"example-{p.stem}", p) for p in sorted((ROOT / "examples").glob("*.sl"))]
    cases += [(p.stem, p) for p in sorted((GOLDEN_DIR / "scenes").glob("*.sl"))]
    return cases


def golden_settings(scene: sl.Scene) -> RenderSettings:
    """GOLDEN_SETTINGS at the camera's aspect ratio, GOLDEN_LONG_SIDE pixels on the longer side."""
    w, h = scene.camera().resolution
    scale = GOLDEN_LONG_SIDE / max(w, h)
    return GOLDEN_SETTINGS.with_(size=(max(1, round(w * scale)), max(1, round(h * scale))))


def image_difference(a: Path, b: Path) -> tuple[float, float]:
    """(mean absolute difference, fraction of pixels off by > OFF_THRESHOLD), after a 3x3 blur."""
    x, y = (uniform_filter(np.asarray(Image.open(p).convert("RGB"), dtype=float), size=(3, 3, 1))
            for p in (a, b))
    if x.shape != y.shape:
        return 255.0, 1.0
    diff = np.abs(x - y)
    return float(diff.mean()), float((diff.max(axis=2) > OFF_THRESHOLD).mean())


INSPECT = r"""
import json, sys
import bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[-1])
def principled(m):
    node = next(n for n in m.node_tree.nodes if n.bl_idname == 'ShaderNodeBsdfPrincipled')
    out = {k: (list(node.inputs[k].default_value) if k.endswith('Color') else node.inputs[k].default_value)
           for k in ('Base Color', 'Metallic', 'Roughness', 'IOR', 'Transmission Weight',
                     'Emission Strength', 'Alpha')}
    out['linked'] = [k for k in ('Base Color', 'Roughness', 'Normal') if node.inputs[k].is_linked]
    out['nodes'] = sorted(n.bl_idname for n in m.node_tree.nodes)
    return out
out = {
    'objects': {o.name: {
        'type': o.type, 'data': o.data.name if o.data else None,
        'parent': o.parent.name if o.parent else None, 'hide_render': o.hide_render,
        'material': (o.material_slots[0].material.name
                     if o.material_slots and o.material_slots[0].material else None),
        'booleans': [[m.operation, m.solver, m.object.name] for m in o.modifiers
                     if m.type == 'BOOLEAN'],
        'vertices': len(o.data.vertices) if o.type == 'MESH' else 0,
        'smooth_faces': (sum(p.use_smooth for p in o.data.polygons), len(o.data.polygons))
                        if o.type == 'MESH' else None}
        for o in bpy.data.objects},
    'materials': {m.name: principled(m) for m in bpy.data.materials if m.node_tree},
    'lights': {l.name: l.type for l in bpy.data.lights},
    'camera': bpy.context.scene.camera.name,
    'world': bpy.context.scene.world.name,
}
print('JSON:' + json.dumps(out))
"""


TEXTURE_NODES = {"checker": "ShaderNodeTexChecker", "noise": "ShaderNodeTexNoise",
                 "wave": "ShaderNodeTexWave", "brick": "ShaderNodeTexBrick",
                 "gradient": "ShaderNodeTexGradient", "image": "ShaderNodeTexImage"}


def inspect_blend(path: Path) -> dict:
    """Open a .blend in a fresh Blender (bpy) process and describe what it holds."""
    proc = subprocess.run([sys.executable, "-c", INSPECT, str(path)], capture_output=True,
                          text=True, timeout=120, env=clean_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("JSON:"))
    return json.loads(line[5:])


def top_level_csg(scene: sl.Scene, shape_name: str) -> bool:
    shape = scene.shapes()[shape_name].shape
    while isinstance(shape, sl.Ref):
        shape = scene.shapes()[shape.name].shape
    return isinstance(shape, sl.Csg)


def _has_plane(scene: sl.Scene, shape_name: str) -> bool:
    def walk(node) -> bool:
        if isinstance(node, sl.Plane):
            return True
        if isinstance(node, sl.Ref):
            return walk(scene.shapes()[node.name].shape)
        return isinstance(node, sl.Csg) and any(walk(op) for op in node.operands)
    return walk(scene.shapes()[shape_name].shape)


def assert_blend_matches(scene: sl.Scene, info: dict, *, csg_applied: bool = False) -> None:
    objects = info["objects"]
    for obj in scene.objects():
        held = objects[obj.name]
        assert held["type"] == "MESH"
        assert held["material"] == (obj.material or "scenelang_default_grey")
        if csg_applied:
            assert held["booleans"] == []
        elif top_level_csg(scene, obj.shape):
            assert held["data"] == obj.shape
            helper = f"{obj.name}__op1"
            assert objects[helper]["parent"] == obj.name and objects[helper]["hide_render"]
            assert [helper] == [b[2] for b in held["booleans"]][:1]
            # Manifold for closed operands, Exact only where an open mesh (a plane) takes part
            assert all(b[1] in ("MANIFOLD", "EXACT") for b in held["booleans"])
            assert any(b[1] == "MANIFOLD" for b in held["booleans"]) or _has_plane(scene, obj.shape)
        else:
            assert held["data"] == obj.shape
    if csg_applied:
        assert not any("__op" in name for name in objects)
    for light in scene.lights():
        assert objects[light.name]["type"] == "LIGHT"
        assert info["lights"][light.name] == light.light.kind.upper()
    textures = scene.textures_by_name()
    for material in scene.materials.statements:
        if not isinstance(material, sl.MaterialDef):
            continue  # a texture: checked through the materials that use it
        held = info["materials"][material.name]
        want = material.material
        for field, socket in (("base_color", "Base Color"), ("roughness", "Roughness")):
            value = getattr(want, field)
            if isinstance(value, str):  # a texture node chain drives the input
                assert socket in held["linked"]
                assert TEXTURE_NODES[textures[value].texture.kind] in held["nodes"]
            elif field == "base_color":
                assert socket not in held["linked"]
                assert held[socket][:3] == pytest.approx(value.linear(), abs=1e-5)
            else:
                assert held[socket] == pytest.approx(value, abs=1e-6)
        assert ("Normal" in held["linked"]) == (want.bump is not None)
        if want.bump is not None:
            assert "ShaderNodeBump" in held["nodes"]
        assert held["Metallic"] == pytest.approx(want.metallic, abs=1e-6)
        assert held["Transmission Weight"] == pytest.approx(want.transmission, abs=1e-6)
    assert info["camera"] == scene.camera().name
    assert objects[scene.camera().name]["type"] == "CAMERA"


@pytest.fixture(scope="module")
def worker():
    with BlenderWorker(timeout=120) as running:
        yield running


def test_bpy_wheel_is_installed():
    proc = subprocess.run([sys.executable, "-c", "import bpy; print(bpy.app.version_string)"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, "the bpy wheel is required: pip install 'scenelang[blender]'"
    assert proc.stdout.strip().splitlines()[-1].startswith("5.0")


@pytest.mark.parametrize("name,path", golden_cases(), ids=[c[0] for c in golden_cases()])
def test_golden_render_and_blend(name, path, worker, tmp_path):
    scene = load_scene(path)
    golden = GOLDEN_DIR / f"{name}.png"
    result = worker.render(scene, tmp_path / f"{name}.png", blend=tmp_path / f"{name}.blend",
                           settings=golden_settings(scene), source_file=path.name)
    assert golden.exists(), f"no golden image {golden}: run `python tests/regen_golden.py`"
    mean, fraction = image_difference(result.png, golden)
    assert mean <= MAX_MEAN_DIFFERENCE and fraction <= MAX_FRACTION_OFF, (
        f"{name}: mean difference {mean:.2f}, {fraction:.2%} of pixels off "
        f"(render kept at {result.png})")
    assert_blend_matches(scene, inspect_blend(result.blend))


def test_golden_comparison_notices_a_changed_scene(worker, tmp_path):
    path = GOLDEN_DIR / "scenes" / "primitives.sl"
    text = path.read_text().replace("material red = principled(base_color=#c0392b",
                                    "material red = principled(base_color=#2040ff")
    text = text.replace("object ball_1 = ball at (0.2, -0.6, 0.45)",
                        "object ball_1 = ball at (0.9, -0.2, 0.45)")
    scene = parse_scene(text, "primitives.sl")
    result = worker.render(scene, tmp_path / "changed.png", settings=golden_settings(scene))
    mean, fraction = image_difference(result.png, GOLDEN_DIR / "primitives.png")
    assert mean > MAX_MEAN_DIFFERENCE or fraction > MAX_FRACTION_OFF


def test_apply_csg_bakes_booleans_into_meshes(worker, tmp_path):
    path = GOLDEN_DIR / "scenes" / "csg.sl"
    scene = load_scene(path)
    result = worker.render(scene, None, blend=tmp_path / "applied.blend", apply_csg=True)
    info = inspect_blend(result.blend)
    assert_blend_matches(scene, info, csg_applied=True)
    assert info["objects"]["holed_1"]["vertices"] > 8  # the box with its holes cut


def test_curved_primitives_shade_smooth_and_csg_flat(worker, tmp_path):
    scene = parse_scene("scenelang 1\ngeometry {\n  shape ball = sphere(radius=1)\n"
                        "  shape cube = box(size=(1, 1, 1))\n"
                        "  shape cut = difference(box(size=(1, 1, 1)), sphere(radius=0.6))\n}\n"
                        "composition {\n  object ball_1 = ball\n  object cube_1 = cube at (3, 0, 0)\n"
                        "  object cut_1 = cut at (-3, 0, 0)\n}\n")
    info = inspect_blend(worker.render(scene, None, blend=tmp_path / "s.blend").blend)["objects"]
    smooth, total = info["ball_1"]["smooth_faces"]
    assert smooth == total > 0
    assert info["cut_1"]["smooth_faces"][0] == 0  # boolean results stay flat
    assert info["cut_1__op1"]["smooth_faces"][0] == 0


@settings(max_examples=examples(5), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(scene=scenes(comments=False))
def test_generated_scenes_execute_in_blender(scene, worker, tmp_path_factory):
    out = tmp_path_factory.mktemp("generated") / "render.png"
    result = worker.render(scene, out, settings=RenderSettings(samples=1, size=(32, 24)))
    assert result.png.exists() and Image.open(result.png).size == (32, 24)


def test_script_runs_standalone_under_python(tmp_path):
    scene = load_scene(GOLDEN_DIR / "scenes" / "primitives.sl")
    script = tmp_path / "scene.py"
    script.write_text(compile_scene(scene, source_file="primitives.sl"))
    proc = subprocess.run(
        [sys.executable, str(script), "--render", str(tmp_path / "a.png"), "--blend",
         str(tmp_path / "a.blend"), "--samples", "2", "--size", "48", "36", "--seed", "3",
         "--engine", "CYCLES"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=clean_env())
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert Image.open(tmp_path / "a.png").size == (48, 36)
    assert_blend_matches(scene, inspect_blend(tmp_path / "a.blend"))


def test_cold_start_render_scene(tmp_path):
    scene = load_scene(GOLDEN_DIR / "scenes" / "primitives.sl")
    result = render_scene(scene, tmp_path / "cold.png",
                          settings=RenderSettings(engine="BLENDER_WORKBENCH", size=(40, 30)))
    assert Image.open(result.png).size == (40, 30)
    assert result.log_path == tmp_path / "cold.log" and result.log_path.exists()
    assert result.seconds > 0


def test_external_blender_executable(tmp_path, monkeypatch):
    """An executable that checks Blender's command line, then runs the script with bpy."""
    shim = tmp_path / "fake-blender"
    shim.write_text(f"""#!{sys.executable}
import os, sys
args = sys.argv[1:]
assert args[:6] == ['-b', '--factory-startup', '--python-exit-code', '1', '--python', args[5]], args
assert args[6] == '--', args
print('Blender 5.0.1 (a banner on stdout, as the real one prints)', flush=True)
os.execv(sys.executable, [sys.executable, args[5], *args[6:]])
""")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    scene = load_scene(GOLDEN_DIR / "scenes" / "primitives.sl")
    small = RenderSettings(engine="BLENDER_WORKBENCH", size=(40, 30))
    result = render_scene(scene, tmp_path / "ext.png", settings=small, blender=str(shim))
    assert Image.open(result.png).size == (40, 30)
    monkeypatch.setenv("SCENELANG_BLENDER", str(shim))
    with BlenderWorker() as through_env:
        assert through_env.blender == str(shim)
        result = through_env.render(scene, tmp_path / "ext2.png", settings=small)
    assert Image.open(result.png).size == (40, 30)
    with pytest.raises(BlenderError, match="not found"):
        render_scene(scene, tmp_path / "x.png", blender=str(tmp_path / "no-such-blender"))


def test_a_python_without_bpy_fails_clearly(tmp_path):
    """A "Blender" that runs the script in a Python without site-packages (so without bpy)."""
    shim = tmp_path / "no-bpy-blender"
    shim.write_text(f"""#!{sys.executable}
import os, sys
args = sys.argv[1:]
os.execv(sys.executable, [sys.executable, '-S', args[5], *args[6:]])
""")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    scene = load_scene(GOLDEN_DIR / "scenes" / "primitives.sl")
    with pytest.raises(BlenderError, match="bpy wheel is not installed"):
        render_scene(scene, tmp_path / "x.png", blender=str(shim), timeout=60)
    worker = BlenderWorker(blender=str(shim))
    try:
        with pytest.raises(BlenderError, match="worker did not start: the bpy wheel is not"):
            worker.start()
    finally:
        worker.close()


def test_blender_gets_no_api_keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "secret")
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    monkeypatch.setenv("SCENELANG_HARMLESS", "kept")
    with BlenderWorker() as running:
        environ = Path(f"/proc/{running.pid}/environ").read_bytes().split(b"\0")
    names = {entry.split(b"=", 1)[0].decode() for entry in environ if entry}
    assert not names & {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GITHUB_TOKEN"}
    assert "SCENELANG_HARMLESS" in names
    assert "MY_SECRET" not in clean_env({"MY_SECRET": "x", "PATH": "/bin"})


def failing_script(scene: sl.Scene) -> str:
    """The compiled scene with one object's material lookup broken (fails at that object)."""
    text = compile_scene(scene, source_file="scene.sl")
    broken = text.replace("set_material(obj, materials['red'])",
                          "set_material(obj, materials['no_such_material'])", 1)
    assert broken != text
    return broken


def test_blender_failure_names_the_sl_line(worker, tmp_path):
    scene = load_scene(GOLDEN_DIR / "scenes" / "primitives.sl")
    crate_line = next(o.span.line for o in scene.objects() if o.name == "crate_1")
    script = failing_script(scene)
    with pytest.raises(BlenderError) as info:
        worker.run_script(script, [], tmp_path / "fail.log")
    assert info.value.message.startswith(f"scene.sl:{crate_line} (object crate_1): KeyError")
    assert "Traceback" in info.value.log_path.read_text()
    assert str(info.value.log_path) in str(info.value)
    with pytest.raises(BlenderError) as info:
        run_script_once(script, [], tmp_path / "fail2.log")
    assert info.value.message.startswith(f"scene.sl:{crate_line} (object crate_1): KeyError")
    # the worker keeps serving after a failure
    assert worker.render(scene, tmp_path / "ok.png",
                         settings=RenderSettings(samples=1, size=(16, 12))).png.exists()


def test_source_location_stays_inside_the_failing_function():
    text = "def f():\n    # a.sl:3 object x\n    boom()\n\n\ndef g():\n    other()\n"
    assert source_location(text, [3]) == "a.sl:3 (object x)"
    assert source_location(text, [7]) is None
    assert source_location(text, [7, 3]) == "a.sl:3 (object x)"


DEGENERATE = """scenelang 1
geometry {
  shape nothing = intersection(sphere(radius=0.5) at (-2, 0, 0), sphere(radius=0.5) at (2, 0, 0))
  shape room = sphere(radius=20)
  shape ball = sphere(radius=0.5)
}
composition {
  camera c at (0, 0, 1) look_at (0, 5, 1) resolution (64, 48)
  object empty_1 = nothing at (0, 5, 1)
  object room_1 = room
  object behind = ball at (0, -5, 1)
  object ahead = ball at (0, 5, 1)
}
lighting {
  light bulb = point(at=(0, 2, 3), energy=500)
}
"""


def test_degenerate_scenes_render_with_warnings(worker, tmp_path):
    scene = parse_scene(DEGENERATE, "degenerate.sl")
    result = worker.render(scene, tmp_path / "degenerate.png",
                           settings=RenderSettings(samples=2, size=(32, 24)), timeout=60)
    assert result.png.exists()
    warnings = "\n".join(result.warnings)
    assert "object empty_1 is empty after CSG" in warnings
    assert "object behind is behind the camera" in warnings
    assert "camera is inside the bounding box of object room_1" in warnings
    assert "ahead" not in warnings


def test_cli_render_png_blend_and_views(tmp_path, capsys):
    source = GOLDEN_DIR / "scenes" / "primitives.sl"
    out = tmp_path / "out.png"
    code = cli_main(["render", str(source), "-o", str(out), "--blend", str(tmp_path / "out.blend"),
                     "--samples", "2", "--size", "40", "30", "--seed", "1"])
    assert code == 0, capsys.readouterr().err
    assert Image.open(out).size == (40, 30) and (tmp_path / "out.blend").exists()
    code = cli_main(["render", str(source), "-o", str(out), "--views", "3", "--engine",
                     "workbench", "--size", "40", "30"])
    assert code == 0, capsys.readouterr().err
    views = [np.asarray(Image.open(tmp_path / f"out-{i:02d}.png")) for i in range(3)]
    assert not np.array_equal(views[0], views[1]) and not np.array_equal(views[1], views[2])


def test_cli_render_reports_blender_failures_briefly(tmp_path, capsys):
    source = GOLDEN_DIR / "scenes" / "primitives.sl"
    code = cli_main(["render", str(source), "-o", str(tmp_path / "x.png"), "--timeout", "0.01"])
    err = capsys.readouterr().err
    assert code == 1
    assert "timed out" in err and "full Blender log:" in err and "Traceback" not in err


def test_cli_render_rejects_bad_options(tmp_path, capsys):
    source = GOLDEN_DIR / "scenes" / "primitives.sl"
    with pytest.raises(SystemExit) as info:  # a usage error, caught at parse time (issue 11)
        cli_main(["render", str(source), "-o", str(tmp_path / "x.png"), "--samples", "0"])
    assert info.value.code == 2
    assert "samples" in capsys.readouterr().err
