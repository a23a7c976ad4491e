"""docs/reconstruction.md, "Resume": `scenelang reconstruct -o RUN --resume` needs no IMAGE, and
the proposer, model and base URL default to the run's. The run is started through the Python API
with the VLM proposer (scripted server on 127.0.0.1), interrupted after its first round, then
resumed on the command line with no proposer options; real Blender renders at 96 px. (The run
records its proposer as `reconstruct` does, `proposer_info=describe()`: a run started through the
Python API without it records only the proposer's name.)"""

import json

import pytest
from engine_script import GOOD, TARGET_SL
from scripted_server import ScriptedServer, StageScript, stage_of

from scenelang.cli.main import main
from scenelang.parser import parse_scene
from scenelang.stages.engine.config import EngineConfig
from scenelang.stages.engine.loop import run_reconstruction
from scenelang.stages.proposers.vlm.client import VLMProposer, VLMSettings

pytestmark = pytest.mark.blender

BUDGETS = {"geometry": 2, "materials": 1, "composition": 1, "lighting": 0}
SMALL = EngineConfig(budgets=BUDGETS, size=96, samples=4, final_size=96, final_samples=4)


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    from scenelang.backends.blender.runner import render_scene
    from scenelang.compiler.settings import RenderSettings

    path = tmp_path_factory.mktemp("target") / "target.png"
    render_scene(parse_scene(TARGET_SL), path, settings=RenderSettings(samples=4, size=(96, 72)))
    return path


def test_resume_without_image_or_proposer_options_continues_with_the_runs_vlm(
        target, tmp_path, monkeypatch, capsys):
    for name in ("OPENAI_BASE_URL", "SCENELANG_MODEL"):
        monkeypatch.delenv(name, raising=False)
    run = tmp_path / "run"
    with ScriptedServer(StageScript(GOOD)) as server:
        class Interrupting(VLMProposer):
            calls = 0

            def propose(self, request):
                Interrupting.calls += 1
                if Interrupting.calls == 2:
                    raise KeyboardInterrupt
                return super().propose(request)

        proposer = Interrupting(VLMSettings(
            model="scripted-vlm", base_url=server.base_url, api_key="test", timeout=5.0,
            backoff=0.01, max_backoff=0.05, max_attempts=3))
        with pytest.raises(KeyboardInterrupt):  # run.json records what `reconstruct` records
            run_reconstruction(target, run, proposer, SMALL, proposer_info=proposer.describe())
        assert [stage_of(r) for r in server.requests] == [("geometry", 1)]
        server.reset()
        code = main(["reconstruct", "-o", str(run), "--resume", "--quiet"])
        asked = [stage_of(r) for r in server.requests]
    assert code == 0, capsys.readouterr().err
    assert asked == [("geometry", 2), ("materials", 1), ("composition", 1)], asked
    stored = json.loads((run / "run.json").read_text())
    assert stored["status"] == "finished"
    assert stored["proposer"] == {"name": "vlm", "model": "scripted-vlm",
                                  "base_url": server.base_url}
    assert (run / "final.sl").is_file()
