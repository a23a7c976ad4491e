"""The batch room without Blender: inputs, run folder names, the manifest, the local pool (worker
death and retry), the driver's skip rules. The end-to-end runs are in tests/cli/test_batch_*.py."""

import json
import os
from pathlib import Path

import pytest

from scenelang.errors import SceneError
from scenelang.stages.batch.batch import BatchConfig, plan_batch
from scenelang.stages.batch.executors import LocalExecutor, Resources, WorkerDied
from scenelang.stages.batch.inputs import collect_images, run_dir, run_name
from scenelang.stages.batch.manifest import FIELDS, Manifest


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_inputs_files_folders_globs_and_lists(tmp_path):
    a = _touch(tmp_path / "d" / "a.png")
    b = _touch(tmp_path / "d" / "b.JPG")
    _touch(tmp_path / "d" / "notes.txt")
    c = _touch(tmp_path / "e" / "sub" / "c.png")
    listing = tmp_path / "lists" / "images.txt"
    listing.parent.mkdir()
    listing.write_text("# a comment\n\n../e/sub/c.png\n" + str(a) + "\n", encoding="utf-8")
    got = collect_images([tmp_path / "d", str(tmp_path / "e" / "**" / "*.png"), listing, b])
    assert got == [a.resolve(), b.resolve(), c.resolve()]  # resolved, deduplicated, in order
    with pytest.raises(SceneError, match="no such file"):
        collect_images([tmp_path / "missing.png"])


def test_run_names_are_stable_distinct_and_confined(tmp_path):
    one, two = _touch(tmp_path / "x" / "photo.png"), _touch(tmp_path / "y" / "photo.png")
    assert run_name(one) == run_name(one) and run_name(one) != run_name(two)
    assert run_name(one).startswith("photo-")
    odd = _touch(tmp_path / "..weird name;rm -rf.png")
    name = run_name(odd)
    assert not name.startswith(".") and "/" not in name and " " not in name
    out = tmp_path / "out"
    assert run_dir(out, odd).parent == (out / "runs").resolve()


def test_manifest_appends_dedupes_by_image_and_compacts(tmp_path):
    m = Manifest(tmp_path)
    m.append({"image": "/a.png", "status": "failed", "error": "boom"})
    m.append({"image": "/b.png", "status": "ok", "scores": {"psnr": float("inf")}})
    m.append({"image": "/a.png", "status": "ok"})
    with open(m.path, "a", encoding="utf-8") as fh:
        fh.write('{"image": "/c.png", "sta')  # a line torn by SIGKILL
    records = m.read()
    assert set(records) == {"/a.png", "/b.png"}
    assert records["/a.png"]["status"] == "ok"  # the last line wins
    assert records["/b.png"]["scores"] == {"psnr": None}  # no NaN/inf in JSON
    rows = m.compact(["/b.png", "/a.png"])
    lines = m.path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["image"] for x in lines] == ["/b.png", "/a.png"] == [r["image"] for r in rows]
    assert list(json.loads(lines[0])) == list(FIELDS)


def test_manifest_parquet_when_pyarrow_is_there(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    m = Manifest(tmp_path)
    m.append({"image": "/a.png", "status": "ok", "combined": 0.5, "scores": {"combined": 0.5}})
    path = m.write_parquet(m.compact())
    assert pq.read_table(path).to_pylist()[0]["combined"] == 0.5


def test_plan_skips_only_finished_images(tmp_path):
    imgs = [_touch(tmp_path / "in" / f"{n}.png") for n in ("done", "failed", "gone", "new")]
    out = tmp_path / "out"
    m = Manifest(out)
    for img, status in zip(imgs[:3], ("ok", "failed", "ok")):
        m.append({"image": str(img.resolve()), "status": status})
    _touch(run_dir(out, imgs[0]) / "final.sl")  # "gone" says ok but has no final.sl
    plan = plan_batch(BatchConfig(inputs=(str(tmp_path / "in"),), out=out))
    assert [r["image"] for r in plan.done] == [str(imgs[0].resolve())]
    assert sorted(Path(j.image).stem for j in plan.jobs) == ["failed", "gone", "new"]
    assert all(Path(j.run).parent == (out / "runs").resolve() for j in plan.jobs)


# -------------------------------------------------------------------- the local pool
def square(x: int) -> int:
    return x * x


def die_once(marker: str) -> str:
    """Kills its worker process the first time (per marker), then succeeds."""
    if not os.path.exists(marker):
        Path(marker).write_text("died", encoding="utf-8")
        os._exit(9)
    return "ok"


def always_die(_: str) -> None:
    os._exit(9)


def test_local_pool_runs_everything_once():
    pool = LocalExecutor(2, Resources(threads=1, max_memory_gb=4))
    got = dict(pool.run(square, range(6)))
    assert got == {i: i * i for i in range(6)}


def test_local_pool_survives_worker_death(tmp_path):
    pool = LocalExecutor(2, Resources(threads=1, max_memory_gb=None), max_retries=1)
    items = [str(tmp_path / "m1"), str(tmp_path / "m2")]
    assert dict(pool.run(die_once, items)) == dict.fromkeys(items, "ok")
    results = dict(LocalExecutor(1, max_retries=1).run(always_die, ["x"]))
    assert isinstance(results["x"], WorkerDied)


def die_if_bad(item: str) -> str:
    """A 'bad image' kills its worker every time; good ones take a moment and succeed."""
    import time

    if item == "bad":
        time.sleep(0.3)
        os._exit(9)
    time.sleep(1.0)
    return "ok"


def test_a_crashing_item_does_not_fail_its_neighbours():
    pool = LocalExecutor(2, Resources(threads=1, max_memory_gb=None), max_retries=1)
    got = dict(pool.run(die_if_bad, ["good1", "bad", "good2", "good3"]))
    assert isinstance(got.pop("bad"), WorkerDied)
    assert got == {"good1": "ok", "good2": "ok", "good3": "ok"}
