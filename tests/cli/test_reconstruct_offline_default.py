"""README and docs/reconstruction.md: `scenelang reconstruct IMAGE -o RUN` uses the offline
proposer unless told otherwise (no model, no network), and final.png has the target's long side,
at most 1024 px. The stages are given 0 rounds and the renders take 1 sample, so only the start
(32 px) and the final scene are rendered (real Blender)."""

import json

import numpy as np
import pytest
from PIL import Image

from scenelang.cli.main import main

pytestmark = pytest.mark.blender


def test_reconstruct_without_proposer_options_runs_the_offline_proposer_and_caps_final_png_at_1024(
        tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SCENELANG_MODEL"):
        monkeypatch.delenv(name, raising=False)
    image = tmp_path / "photo.png"
    pixels = np.full((110, 1100, 3), 120, np.uint8)  # wider than 1024 px, 10:1
    pixels[40:80, 500:560] = (200, 40, 40)
    Image.fromarray(pixels).save(image)
    run = tmp_path / "run"
    code = main(["reconstruct", str(image), "-o", str(run), "--no-draft", "--quiet",
                 "--budget", "geometry=0,materials=0,composition=0,lighting=0",
                 "--size", "32", "--samples", "1", "--final-samples", "1"])
    assert code == 0
    stored = json.loads((run / "run.json").read_text())
    assert stored["proposer"]["name"] == "offline" and stored["status"] == "finished"
    assert (run / "final.sl").is_file() and (run / "report.html").is_file()
    width, height = Image.open(run / "final.png").size
    assert width == 1024 and abs(height - 102.4) <= 1
    assert 0 <= stored["scores"]["final"]["combined"] <= 1
