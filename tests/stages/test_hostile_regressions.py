"""Issue 11 regressions below the CLI (no Blender): one test per numbered item that needs no
render; items 2, 5 and the run-level bounds are also in test_fault_injection.py (Blender)."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
from PIL import Image
from report_run_fixture import make_run
from scripted_server import Fault, ScriptedServer
from test_vlm import ANSWER, PATCH, make_request, proposer_for

from scenelang import ast as A
from scenelang.backends.export import check_meshes, export_scene
from scenelang.backends.preview import render_preview
from scenelang.errors import SceneError
from scenelang.parser import parse_patch, parse_scene
from scenelang.patches import apply_patch
from scenelang.stages.budget import Budget
from scenelang.stages.engine.loop import camera_resolution, starting_scene
from scenelang.stages.engine.runfolder import RunFolderError, confined
from scenelang.stages.files import atomic_copy, atomic_write
from scenelang.stages.proposers.base import BudgetExhausted, ProposerError
from scenelang.stages.report.html import render_report
from scenelang.validate import Limits, check, validate

LONG = "a" * 70


def errors(text: str, limits: Limits | None = None):
    try:
        return [d for d in validate(parse_scene(text, "t.sl"), limits) if d.severity == "error"]
    except SceneError as exc:
        return exc.errors


# ---------------------------------------------------------------- 1. over-long names
@pytest.mark.parametrize("statement, line", [
    (f"geometry {{\n  shape {LONG} = box(size=(1, 1, 1))\n}}", 3),
    (f"materials {{\n  material {LONG} = principled()\n}}", 3),
    (f"lighting {{\n  light {LONG} = sun()\n}}", 3),
    (f"composition {{\n  camera {LONG} at (1, 1, 1) look_at (0, 0, 0)\n}}", 3),
    (f"geometry {{\n  shape b = box(size=(1, 1, 1))\n}}\ncomposition {{\n  object {LONG} = b\n}}",
     6),
    (f"geometry {{\n  shape b = box(size=(1, 1, 1))\n  shape c = union(b, {LONG})\n}}", 4),
])
def test_over_long_names_are_positioned_errors(statement, line):
    found = errors(f"scenelang 1\n{statement}\n")
    assert found and found[0].span is not None and found[0].span.line == line
    assert "too long" in found[0].message and "64" in found[0].message


def test_over_long_names_in_patches_are_positioned_errors():
    scene = starting_scene((64, 48))
    for text in (f"patch geometry {{\n  shape {LONG} = box(size=(1, 1, 1))\n}}\n",
                 f"patch geometry {{\n  remove {LONG}\n}}\n",
                 f"patch geometry {{\n  set {LONG}.radius = 1\n}}\n"):
        with pytest.raises(SceneError) as info:
            apply_patch(scene, parse_patch(text, "p.slp"), section="geometry")
        assert info.value.errors[0].span is not None


# ---------------------------------------------------------------- 2. hard deadline per call
@pytest.fixture
def images(tmp_path):
    target, render = tmp_path / "t.png", tmp_path / "r.png"
    Image.fromarray(np.full((30, 40, 3), 200, np.uint8)).save(target)
    Image.fromarray(np.full((30, 40, 3), 20, np.uint8)).save(render)
    return target, render


@pytest.mark.parametrize("fault", [Fault.trickle(0.3, ANSWER), Fault.endless(0.05)],
                         ids=["trickle", "endless"])
def test_a_slow_body_is_cut_at_the_deadline_and_retried(images, fault):
    with ScriptedServer([fault, ANSWER]) as server:
        t0 = time.monotonic()
        proposal = proposer_for(server, timeout=1.0).propose(make_request(images))
        elapsed = time.monotonic() - t0
    assert proposal.patch_text == PATCH + "\n" and proposal.usage.retries == 1
    # one deadline, the grace and the quick retry, with room for a loaded machine: the trickled
    # body alone (a byte every 0.3 s) would take minutes, so this still fails without a deadline
    assert elapsed < 1.0 + 0.25 + 6.0


def test_a_never_ending_body_cannot_outlast_the_run_budget(images):
    budget = Budget(max_seconds=1.5)
    with ScriptedServer([], default=Fault.endless(0.05)) as server:
        t0 = time.monotonic()
        with pytest.raises((BudgetExhausted, ProposerError)):
            proposer_for(server, timeout=60.0, max_attempts=5).propose(
                make_request(images, budget=budget))
        assert time.monotonic() - t0 < 1.5 + 1.0


# ---------------------------------------------------------------- 3. CR-only line endings
def test_cr_only_line_endings_end_comments_and_keep_positions():
    text = "scenelang 1\r# note\rgeometry {\r  shape b = box(size=(1, 1, 1))\r}\r"
    scene = parse_scene(text, "cr.sl")
    assert [s.name for s in scene.geometry.statements] == ["b"]
    bad = "scenelang 1\r# note\rgeometry {\r  shape b = sphere(radius=-1)\r}\r"
    with pytest.raises(SceneError) as info:
        parse_scene(bad, "cr.sl")
    assert info.value.errors[0].span.line == 4


# ---------------------------------------------------------------- 4. large targets
@pytest.mark.parametrize("size", [(5000, 3000), (20000, 100), (4096, 4096), (1, 9000)])
def test_the_starting_scene_of_a_large_target_is_valid(size):
    check(starting_scene(size))
    w, h = camera_resolution(size)
    assert max(w, h) <= 4096 and abs(w / h - size[0] / size[1]) < 0.05 * size[0] / size[1] + 0.01


# ---------------------------------------------------------------- 6. resource bounds
def test_triangle_budget_names_the_total_and_the_limit():
    lines = ["scenelang 1", "geometry {", "  shape s = sphere(radius=1, segments=256, rings=256)",
             "}", "composition {"] + [f"  object o{i} = s at ({i}, 0, 0)" for i in range(40)]
    found = errors("\n".join(lines + ["}", ""]))
    message = next(d.message for d in found if "triangles" in d.message)
    assert "5,242,880" in message and "2,000,000" in message
    small = Limits(max_triangles=100)
    assert any("triangles" in d.message for d in errors(
        "scenelang 1\ngeometry {\n  shape s = sphere(radius=1)\n}\n"
        "composition {\n  object o = s\n}\n", small))


def test_preview_refuses_a_huge_size_before_allocating():
    scene = parse_scene("scenelang 1\n")
    with pytest.raises(SceneError, match="too large"):
        render_preview(scene, (100000, 100000))
    with pytest.raises(SceneError, match="positive"):
        render_preview(scene, (0, 0))


# ---------------------------------------------------------------- 8. non-ASCII
@pytest.mark.parametrize("value", ["\u0661", "\uff13\uff12", "1,\u00a01, 1", "1,\u20281, 1",
                                   "1\u202e"])
def test_non_ascii_outside_comments_is_an_error_naming_the_code_point(value):
    text = f"scenelang 1\ngeometry {{\n  shape b = box(size=({value}))\n}}\n"
    with pytest.raises(SceneError) as info:
        parse_scene(text, "u.sl")
    first = info.value.errors[0]
    assert first.span.line == 3 and "U+" in first.message
    assert not any(ch in first.message for ch in value if not ch.isascii())


def test_non_ascii_inside_comments_is_fine():
    parse_scene("scenelang 1\n# caf\u00e9 \u202e \u0661\nmaterials {\n"
                "  material m = principled(base_color=#ffd9a0) # \u00a0\n}\n")


# ---------------------------------------------------------------- 9. export bounds
def test_export_refuses_coordinates_beyond_float32(tmp_path):
    scene = parse_scene("scenelang 1\ngeometry {\n  shape b = box(size=(1e30, 1e30, 1e30))\n}\n"
                        "composition {\n  object o = b scale 1e10\n}\n")
    check(scene)
    for suffix in (".glb", ".gltf", ".stl", ".obj"):
        with pytest.raises(SceneError, match="32-bit"):
            export_scene(scene, tmp_path / f"x{suffix}")
        assert not (tmp_path / f"x{suffix}").exists()
    with pytest.raises(SceneError):
        check_meshes([], Limits(max_triangles=-1))


# ---------------------------------------------------------------- 10. run folder trust
def test_paths_from_a_run_folder_are_confined(tmp_path):
    (tmp_path / "stages").mkdir()
    assert confined(tmp_path, "stages") == (tmp_path / "stages").resolve()
    for bad in ("../../outside", "/etc", "stages/../../x", ""):
        with pytest.raises(RunFolderError):
            confined(tmp_path, bad)
    os.symlink("/etc", tmp_path / "link")
    with pytest.raises(RunFolderError):
        confined(tmp_path, "link/passwd")


def test_report_embeds_no_symlinked_or_outside_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE")
    run = make_run(tmp_path / "run")
    step = next((run / "stages").glob("*/step-01"))
    (step / "response.md").unlink()
    os.symlink(secret, step / "response.md")
    (step / "scene.sl").unlink()
    os.symlink(secret, step / "scene.sl")
    data = json.loads((run / "run.json").read_text())
    data["scores"]["selected"] = {"step": "../secret-dir", "combined": 0.5}
    (run / "run.json").write_text(json.dumps(data))
    (run / "final.png").unlink(missing_ok=True)
    html = render_report(run)
    assert "TOP-SECRET-LINE" not in html
    assert "final.glb" not in html


def test_report_hides_empty_checklists_and_zero_token_columns(tmp_path):
    run = make_run(tmp_path / "run")
    html = render_report(run)
    assert "(empty)" not in html


# ---------------------------------------------------------------- friction: file modes
def test_atomic_files_get_the_usual_mode(tmp_path):
    atomic_write(tmp_path / "a.txt", "x")
    atomic_copy(tmp_path / "a.txt", tmp_path / "b.txt")
    for name in ("a.txt", "b.txt"):
        mode = (tmp_path / name).stat().st_mode & 0o777
        assert mode == 0o666 & ~_umask(), oct(mode)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_names_are_not_limited_by_the_ast_any_more():
    # the AST accepts them; the validator reports them with a position (item 1)
    A.ShapeDef(name=LONG, shape=A.Box(size=(1, 1, 1)))
