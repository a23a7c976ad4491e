"""`scenelang bench --suite clevr`: options, missing assets, and one tiny real run."""

import json

import pytest

from scenelang.cli.main import main as cli


def test_clevr_suite_refuses_tier_and_size(capsys):
    assert cli(["bench", "--suite", "clevr", "--tier", "1"]) == 2
    assert "do not apply to --suite clevr" in capsys.readouterr().err


def test_clevr_assets_only_with_the_clevr_suite(capsys):
    assert cli(["bench", "--clevr-assets", "x"]) == 2
    assert "--clevr-assets goes with --suite clevr" in capsys.readouterr().err


def test_missing_clevr_assets_say_where_to_get_them(tmp_path, capsys):
    assert cli(["bench", "--suite", "clevr", "--clevr-assets", str(tmp_path), "--n", "1"]) == 2
    err = capsys.readouterr().err
    assert "facebookresearch/clevr-dataset-gen" in err and "base_scene.blend" in err
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.blender
def test_tiny_clevr_run_prints_the_clevr_table_and_json(tmp_path, capsys):
    out = tmp_path / "results.json"
    code = cli(["bench", "--suite", "clevr", "--n", "1", "--mode", "staged", "--samples", "4",
                "--loop-size", "64", "--loop-samples", "2",
                "--budget", "geometry=1,materials=1,composition=1,lighting=1",
                "--out", str(tmp_path / "runs"), "--json", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| mode | n | count exact |" in printed and "| staged | 1 |" in printed
    data = json.loads(out.read_text())
    row = data["rows"][0]
    assert row["valid"] == 1 and row["n_true"] >= 3 and 0 <= row["iou"] <= 1
    assert set(data["summary"][0]["targets_met"]) >= {"count_exact", "within_0.5", "iou"}
    assert (tmp_path / "runs" / "scene000" / "staged" / "final.sl").is_file()
