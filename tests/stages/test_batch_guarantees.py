"""docs/batch.md: run folder names, one batch per OUT at a time, the executor's defaults, the
memory guard (`RLIMIT_AS`) and `--threads` for BLAS. Real processes and real locks; no Blender."""

import hashlib
import os
import re
import resource
import subprocess
import sys

from scenelang.cli.main import build_parser, main
from scenelang.stages.batch.executors import LocalExecutor, Resources
from scenelang.stages.batch.inputs import run_dir, run_name


def limits_in_worker(_: int) -> tuple[int, str | None]:
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return soft, os.environ.get("OMP_NUM_THREADS")


def test_run_folder_names_are_a_safe_stem_of_at_most_60_characters_and_10_hex_digits(tmp_path):
    odd = tmp_path / ".Holiday photo (1) é!#" / ("x" * 100 + " final.v2.png")
    name = run_name(odd)
    stem, digest = name.rsplit("-", 1)
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,60}", stem) and not stem.startswith(".")
    assert len(stem) == 60
    assert digest == hashlib.sha256(str(odd.resolve()).encode()).hexdigest()[:10]
    assert run_name(tmp_path / ".hidden.png").startswith("hidden-")
    assert run_dir(tmp_path / "out", odd).parent == (tmp_path / "out" / "runs").resolve()


def test_a_second_batch_on_the_same_out_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    image = tmp_path / "photo.png"
    image.write_bytes(b"not read: the lock is checked first")
    holder = subprocess.Popen(  # the first batch, as far as the lock is concerned
        [sys.executable, "-c", "import fcntl, sys, time\n"
         "f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True)\n"
         "time.sleep(60)", str(out / ".batch.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code = main(["batch", str(image), "-o", str(out), "--workers", "1", "--quiet"])
    finally:
        holder.kill()
        holder.wait()
    assert code == 1
    assert "another batch is writing to this folder" in capsys.readouterr().err
    assert not (out / "runs").exists() and not (out / "results.jsonl").exists()


def test_batch_executor_defaults():
    args = build_parser().parse_args(["batch", "photos", "-o", "out"])
    assert (args.max_memory_gb, args.max_retries, args.proposer) == (8.0, 2, "offline")
    assert args.workers is None and args.threads is None  # one worker per core, cores / workers
    assert Resources().max_memory_gb == 8


def test_the_memory_guard_caps_address_space_and_threads_set_blas_threads():
    capped = dict(LocalExecutor(1, Resources(threads=1, max_memory_gb=3)).run(limits_in_worker, [0]))
    assert capped[0] == (3 * 2**30, "1")
    off = dict(LocalExecutor(1, Resources(threads=1, max_memory_gb=0)).run(limits_in_worker, [0]))
    assert off[0][0] == resource.getrlimit(resource.RLIMIT_AS)[0]  # 0: the guard is off
