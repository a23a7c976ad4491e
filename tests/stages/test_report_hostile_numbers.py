"""Hostile JSON in a run folder: the report never raises, `--resume` reports damage.

JSON may hold integers too large for a float (`1` and 400 zeros, which Python's json reads as an
int) and `NaN`/`Infinity` (which it reads as floats). Before the fix, a budget counter or time
like that raised `OverflowError` from the report's number formatting (`scenelang report RUN` then
ended in "internal error").
"""

from __future__ import annotations

import json
import math
import os
import shutil
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_run_fixture import make_run
from strategies import examples

from scenelang.stages.engine import runfolder
from scenelang.stages.engine.resume import RunDamaged, check_resumable
from scenelang.stages.engine.runfolder import RunFolder, read_json
from scenelang.stages.report.html import format_duration, render_report

HOSTILE_NUMBERS = [10**400, -(10**400), math.inf, -math.inf, math.nan, 1e308, -1e308]
HOSTILE_IDS = ["int_1e400", "int_-1e400", "inf", "-inf", "nan", "1e308", "-1e308"]


def _numeric_paths(doc, prefix=()):
    """Every path to a number (not a bool) in a JSON document."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _numeric_paths(value, prefix + (key,))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _numeric_paths(value, prefix + (i,))
    elif isinstance(doc, (int, float)) and not isinstance(doc, bool):
        yield prefix


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("pristine") / "run")


JSON_FILES = ["run.json", "stages/01-geometry/step-01/score.json", "start/score.json"]


@pytest.mark.parametrize("value", HOSTILE_NUMBERS, ids=HOSTILE_IDS)
def test_format_duration_of_any_number_is_text(value):
    assert isinstance(format_duration(value), str)


def test_every_budget_number_too_large_for_a_float_still_gives_a_report(pristine, tmp_path):
    """Each numeric field of run.json set to 10**400 at once: one report, no exception."""
    run = tmp_path / "run"
    shutil.copytree(pristine, run)
    doc = json.loads((run / "run.json").read_text())
    paths = list(_numeric_paths(doc))
    assert len(paths) > 20
    for path in paths:
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = 10**400
    (run / "run.json").write_text(json.dumps(doc))
    page = render_report(run)
    assert "budget" in page.lower()


@settings(max_examples=examples(15))
@given(data=st.data())
def test_a_hostile_number_anywhere_in_the_run_json_files_gives_a_report(pristine, tmp_path_factory,
                                                                        data):
    run = tmp_path_factory.mktemp("damaged") / "run"
    shutil.copytree(pristine, run)
    name = data.draw(st.sampled_from(JSON_FILES))
    doc = json.loads((run / name).read_text())
    paths = sorted(_numeric_paths(doc), key=repr)
    for path in data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=6)):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = data.draw(st.sampled_from(HOSTILE_NUMBERS))
    (run / name).write_text(json.dumps(doc))
    assert "<html" in render_report(run)


# ------------------------------------------------------------------------------ deep or odd JSON


@pytest.mark.parametrize("name", JSON_FILES)
def test_json_nested_too_deeply_is_damage_not_a_crash(pristine, tmp_path, name):
    """`[[[[...` 100,000 deep made json raise RecursionError, which neither the report nor
    `--resume` caught ("internal error"); now the report shows the rest and resume says what is
    damaged."""
    run = tmp_path / "run"
    shutil.copytree(pristine, run)
    (run / name).write_text("[" * 100_000 + "]" * 100_000)
    assert "<html" in render_report(run)
    with pytest.raises(RunDamaged, match="nested too deeply"):
        check_resumable(RunFolder(run))


def test_read_json_refuses_a_fifo_and_a_huge_file_without_reading_them(tmp_path, monkeypatch):
    fifo = tmp_path / "run.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_json(fifo)
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)  # opening a FIFO for reading blocks until a writer comes (the old code)
    if reader.is_alive():
        with open(fifo, "w"):  # let the blocked reader go before failing
            pass
        pytest.fail("read_json blocked on a FIFO")
    assert isinstance(outcome[0], OSError) and "not a regular file" in str(outcome[0])
    monkeypatch.setattr(runfolder, "MAX_JSON_BYTES", 10)
    big = tmp_path / "big.json"
    big.write_text("[" + "1, " * 100 + "1]")
    with pytest.raises(ValueError, match="larger than"):
        read_json(big)
