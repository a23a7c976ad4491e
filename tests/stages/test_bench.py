"""The reconstruction benchmark: scene generators, measures, and the CLI in a tiny configuration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scenelang import ast as A
from scenelang.backends.camera import project
from scenelang.backends.meshes import scene_meshes
from scenelang.cli.main import main as cli
from scenelang.stages.bench.run import compare_scenes, format_table, summarise
from scenelang.stages.bench.scenes import make_scene
from scenelang.validate import check

SIZE = (160, 120)


@pytest.mark.parametrize("tier", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_scenes_are_valid_deterministic_and_in_view(tier, seed):
    scene = make_scene(tier, seed, SIZE)
    assert scene == make_scene(tier, seed, SIZE)
    check(scene)
    objects = [m for m in scene_meshes(scene) if not m.is_surface]
    low, high = {1: (1, 3), 2: (3, 6), 3: (2, 5)}[tier]
    assert low <= len(objects) <= high
    for m in objects:
        uv, depth = project(np.asarray(m.mesh.vertices), scene.camera(), SIZE)
        assert np.all(depth > 0)
        assert np.all((uv >= 0) & (uv <= np.array(SIZE)))


def test_tiers_differ_as_documented():
    t1 = [make_scene(1, s, SIZE) for s in range(6)]
    t2 = [make_scene(2, s, SIZE) for s in range(6)]
    t3 = [make_scene(3, s, SIZE) for s in range(10)]
    for s in t1:
        assert len(s.lights()) == 1
        assert all(m.material.metallic == 0 for m in s.materials_by_name().values())
    assert all(len(s.lights()) == 2 and isinstance(s.lights()[1].light, A.Area) for s in t2)
    assert all(isinstance(s.lights()[1].light, A.Point) for s in t3)
    assert any(m.material.metallic == 1 for s in t2 for m in s.materials_by_name().values())
    kinds = {sd.shape.kind for s in t3 for sd in s.geometry.statements}
    assert {"torus", "difference", "cone"} <= kinds
    ground = [s.materials_by_name()["ground"].material.base_color.linear() for s in t3]
    assert any(np.ptp(c) > 0.01 for c in ground)


def test_every_tier_has_random_cameras_in_the_documented_ranges():
    cameras = [make_scene(tier, s, SIZE).camera() for tier in (1, 2, 3) for s in range(8)]
    assert len({c.at for c in cameras}) == len(cameras)  # no two alike, none the default
    for c in cameras:
        at, aim = np.asarray(c.at), np.asarray(c.target())
        distance = np.linalg.norm(at - aim)
        pitch = np.degrees(np.arcsin((at[2] - aim[2]) / distance))
        assert 9.0 <= distance <= 13.0 and 20.0 <= pitch <= 45.0 and 35.0 <= c.lens <= 60.0
        assert aim[2] == 0.0 and np.hypot(aim[0], aim[1]) <= 1.0


def test_a_scene_compared_with_itself_is_perfect():
    truth = make_scene(2, 4, SIZE)
    m = compare_scenes(truth, truth, SIZE)
    assert m["iou"] == 1.0 and m["iou_aligned"] == 1.0
    assert m["count_error"] == 0 and m["count_exact"] == 1
    assert m["position_error"] == 0 and m["position_error_aligned"] == 0
    assert m["within_0.5"] == m["within_0.25"] == m["within_0.5_world"] == 1.0
    assert m["material_error"] == 0 and m["metal_agreement"] == 1.0


def test_metal_agreement_counts_objects_called_metal_or_matte_wrongly():
    truth = make_scene(1, 2, SIZE)  # tier 1: every object matte
    objs = [o for o in truth.objects() if o.name != "ground"]
    mats = truth.materials_by_name()
    wrong = mats[objs[0].material]
    metal = wrong.model_copy(update={"material": wrong.material.model_copy(update={"metallic": 1.0})})
    statements = tuple(metal if st.name == wrong.name else st for st in truth.materials.statements)
    recon = truth.with_section(A.Section(name="materials", statements=statements))
    shared = sum(o.material == wrong.name for o in objs)
    m = compare_scenes(truth, recon, SIZE)
    assert m["metal_agreement"] == pytest.approx(1 - shared / len(objs))
    assert m["material_error"] == 0


def test_compare_counts_missing_objects_and_position_errors():
    truth = make_scene(2, 5, SIZE)
    objs = [o for o in truth.objects() if o.name != "ground"]
    moved = objs[0].model_copy(update={"at": (objs[0].at[0] + 0.5, objs[0].at[1], objs[0].at[2])})
    comp = [s for s in truth.composition.statements if s.name not in (objs[0].name, objs[-1].name)]
    recon = truth.with_section(A.Section(name="composition", statements=(*comp, moved)))
    m = compare_scenes(truth, recon, SIZE)
    assert m["count_error"] == 1 and m["count_exact"] == 0
    assert 0 < m["position_error"] <= 0.5 and m["position_error_aligned"] == m["position_error"]
    n = len(objs)
    assert m["within_0.25"] == pytest.approx((n - 2) / n)  # one missing, one 0.5 m off
    assert m["iou"] < 1.0 and m["iou_aligned"] < 1.0


def test_summary_and_table():
    rows = [{"tier": 1, "mode": "staged", "seed": s, "psnr": 30.0 + s, "ssim": 0.9, "iou": 0.9 - 0.5 * s,
             "iou_aligned": 0.9, "within_0.5": 0.8 + 0.1 * s, "within_0.25": 0.5,
             "count_error": 0.0, "count_exact": 1.0, "position_error": 0.1, "color_error": 0.01,
             "material_error": 0.02, "valid": 1.0, "seconds": 10.0 + 40 * s, "calls": 14.0,
             "prompt_tokens": 0.0, "completion_tokens": 0.0} for s in range(3)]
    summary = summarise(rows)
    entry = summary[0]
    assert entry["psnr"] == 31.0 and entry["max_seconds"] == 90.0 and entry["median_seconds"] == 50.0
    assert entry["within_0.5"] == pytest.approx(0.9) and entry["min_iou"] == pytest.approx(-0.1)
    assert entry["targets_met"] == {"within_0.5": True, "iou": False, "iou_aligned": True,
                                    "median_seconds": False, "no_catastrophe": False}
    table = format_table(summary)
    assert table.splitlines()[0].startswith("| tier | mode | n | within 0.5 m | within 0.25 m |")
    assert "| 1 | staged | 3 | 90% | 50% |" in table


@pytest.mark.slow
@pytest.mark.blender
def test_bench_cli_tiny_run_prints_the_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "results.json"
    code = cli(["bench", "--tier", "1", "--n", "1", "--mode", "staged", "--size", "96",
                "--samples", "4", "--loop-size", "64", "--loop-samples", "2",
                "--budget", "geometry=1,materials=1,composition=1,lighting=1",
                "--out", str(tmp_path / "runs"), "--json", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| tier | mode | n | within 0.5 m |" in printed and "| 1 | staged | 1 |" in printed
    data = json.loads(out.read_text())
    assert len(data["rows"]) == 1 and data["rows"][0]["valid"] == 1
    assert data["rows"][0]["iou"] > 0.3
    assert data["settings"]["draft"] is True
    assert (tmp_path / "runs" / "tier1" / "scene000" / "staged" / "final.sl").is_file()


def test_bench_cli_rejects_a_bad_tier(capsys):
    with pytest.raises(SystemExit):
        cli(["bench", "--tier", "4"])
    assert "tier must be 1, 2 or 3" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.blender  # renders the target and the reconstruction in Blender
def test_bench_cli_json_on_stdout_and_plain_progress(tmp_path, capsys):
    code = cli(["bench", "--tier", "1", "--n", "1", "--mode", "direct", "--size", "96",
                "--samples", "4", "--loop-size", "64", "--loop-samples", "2",
                "--budget", "geometry=1,materials=1,composition=1,lighting=1",
                "--out", str(tmp_path / "runs"), "--json"])
    assert code == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)  # stdout holds only the JSON
    assert data["summary"][0]["mode"] == "direct" and len(data["rows"]) == 1
    assert "| tier | mode |" in captured.err  # the table moves to stderr
    assert "bench 1/1: tier 1 scene 0 direct: within 0.5 m" in captured.err  # one plain line per run
