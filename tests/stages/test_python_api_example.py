"""docs/reconstruction.md, "Python API": the example's imports, proposer and configuration work
as written (the run itself is the engine tests' business), and `RunResult` has the fields it
prints. No network: building the VLM proposer makes no request."""

import ast
import re
from dataclasses import fields
from pathlib import Path

from scenelang.stages.engine.config import EngineConfig
from scenelang.stages.engine.state import RunResult

DOC = Path(__file__).resolve().parents[2] / "docs" / "reconstruction.md"


def example() -> str:
    section = DOC.read_text(encoding="utf-8").split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_python_api_example_runs_up_to_the_reconstruction():
    tree = ast.parse(example())
    # everything before `result = run_reconstruction(...)`
    setup = [node for node in tree.body
             if not (isinstance(node, ast.Assign) and node.targets[0].id == "result")
             and not isinstance(node, ast.Expr)]
    assert len(setup) == len(tree.body) - 2
    scope: dict = {}
    exec(compile(ast.Module(body=setup, type_ignores=[]), str(DOC), "exec"), scope)
    assert scope["proposer"].name == "vlm" and scope["proposer"].settings.model == "qwen2.5vl:7b"
    assert callable(scope["run_reconstruction"]) and scope["EngineConfig"] is EngineConfig
    call = next(node.value for node in tree.body
                if isinstance(node, ast.Assign) and node.targets[0].id == "result")
    config = eval(compile(ast.Expression(call.args[3]), str(DOC), "eval"), scope)
    assert config.draft and config.rounds("geometry") == 3 and config.max_seconds == 900
    printed = {node.attr for node in ast.walk(tree.body[-1]) if isinstance(node, ast.Attribute)}
    assert printed <= {f.name for f in fields(RunResult)}
    assert {"final_sl", "final_score", "calls"} <= {f.name for f in fields(RunResult)}
