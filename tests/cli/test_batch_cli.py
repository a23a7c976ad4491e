"""`scenelang batch` with the local process pool, end to end (real Blender, tiny images):
manifest lines, run folders, a broken image recorded as failed, SIGKILL of the batch process
after its first manifest line, then a second call that finishes every image exactly once."""

import json
import signal
import subprocess
import time

import pytest
from batch_images import (
    SMALL,
    alive,
    batch_command,
    check_final_manifest,
    children,
    env,
    make_images,
    manifest_lines,
    wait_for_lines,
)

from scenelang.cli.main import main


@pytest.mark.blender
@pytest.mark.slow
def test_batch_local_pool_kill_and_resume(tmp_path):
    images = make_images(tmp_path / "in")
    out = tmp_path / "out"
    listing = tmp_path / "list.txt"  # the list-file input: relative paths, comments
    listing.write_text("# twelve images\n" + "\n".join(f"in/{p.name}" for p in images[6:]) + "\n")
    inputs = [str(p) for p in images[:6]] + [str(listing), str(tmp_path / "in" / "broken.png")]
    command = batch_command(*inputs, "-o", str(out), "--workers", "2", *SMALL)

    first = subprocess.Popen(command, env=env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_for_lines(out, 1, first, timeout=240)
        workers = children(first.pid)
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    assert workers, "the pool had no worker processes"
    deadline = time.monotonic() + 20
    while any(alive(p) for p in workers):  # PR_SET_PDEATHSIG: no orphan keeps working
        assert time.monotonic() < deadline, "worker processes outlived the killed batch"
        time.sleep(0.2)
    done_before = len({line["image"] for line in manifest_lines(out)})
    assert 1 <= done_before < len(images) + 1

    t0 = time.monotonic()
    second = subprocess.run(command + ["--json"], env=env(), capture_output=True, text=True,
                            timeout=900)
    seconds = time.monotonic() - t0
    assert second.returncode == 1, second.stderr  # 1: an image failed (the broken one)
    summary = json.loads(second.stdout)
    assert summary["images"] == 13 and summary["ok"] == 12 and summary["failed"] == 1
    assert summary["executor"] == "local" and summary["workers"] == 2
    ok_before = summary["skipped"]
    assert ok_before >= 1 and summary["processed"] == 13 - ok_before
    assert "images/s" in second.stderr
    by_image = check_final_manifest(out, images)
    assert sum(1 for r in by_image.values() if r["seconds"] and r["status"] == "ok") >= 1
    print(f"second call: {summary['processed']} images in {seconds:.1f} s")

    # a third call only retries the broken image; the manifest still has one line per image
    assert main(["batch", *inputs, "-o", str(out), "--workers", "1", "--quiet", *SMALL]) == 1
    check_final_manifest(out, images)


@pytest.mark.blender
def test_bench_runs_through_the_local_pool(tmp_path, capsys):
    code = main(["bench", "--tier", "1", "--n", "1", "--mode", "both", "--size", "64",
                 "--samples", "2", "--loop-size", "32", "--loop-samples", "1",
                 "--budget", "geometry=1,materials=1,composition=1,lighting=1",
                 "--out", str(tmp_path / "runs"), "--json", "--workers", "2"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(r["mode"] for r in data["rows"]) == ["direct", "staged"]
    assert all(r["valid"] == 1 and r["error"] is None for r in data["rows"])
    for mode in ("staged", "direct"):
        assert (tmp_path / "runs" / "tier1" / "scene000" / mode / "final.sl").is_file()
