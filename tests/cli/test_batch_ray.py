"""`scenelang batch --ray-address` on a real local Ray cluster (`ray start --head`, 2 CPUs, every
service on 127.0.0.1): twelve tiny images and a broken one, one Ray worker SIGKILLed while it
runs an image; every image must end in the manifest exactly once, the killed one retried."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from batch_images import SMALL, batch_command, check_final_manifest, env, make_images, wait_for_lines

pytest.importorskip("ray")

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.blender]

RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0",
           # a single-machine cluster: Ray binds its services to 127.0.0.1 only
           "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _started_by(sid: int) -> list[int]:
    """Live processes of the session `sid` (the `ray start` we launched) and their descendants
    (Ray workers started by the raylet)."""
    procs = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            procs[int(entry.name)] = (fields[0], int(fields[1]), int(fields[3]))
    ours = {pid for pid, (_, _, s) in procs.items() if s == sid}
    grew = True
    while grew:
        more = {pid for pid, (_, ppid, _) in procs.items() if ppid in ours} - ours
        ours |= more
        grew = bool(more)
    return [pid for pid in ours if procs[pid][0] != "Z"]


def _task_workers() -> list[int]:
    """Ray worker processes busy with a batch image (process title `ray::ray_task`)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"ray::ray_task"):
                pids.append(int(entry.name))
    return pids


@pytest.fixture
def ray_cluster():
    """(address, environment) of a real local Ray cluster on 127.0.0.1 with 2 CPUs. Its HOME is
    a fresh folder, so nothing a user's ~/.ray holds (an auth token of another cluster) leaks in."""
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: Ray's socket paths are limited
    home = tempfile.mkdtemp(prefix="rh", dir="/tmp")
    environment = {**RAY_ENV, "HOME": home}
    ray = str(Path(sys.executable).with_name("ray"))
    head = subprocess.Popen(
        [ray, "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
         "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"],
        env={**os.environ, **environment}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        address = f"127.0.0.1:{port}"
        probe = (f"import ray; ray.init(address={address!r}, log_to_driver=False); "
                 "assert ray.cluster_resources().get('CPU') == 2")
        deadline = time.monotonic() + 400  # a loaded 2-core machine can take minutes
        while (attempt := subprocess.run([sys.executable, "-c", probe],
                                         env={**os.environ, **environment},
                                         capture_output=True, text=True, timeout=120)).returncode:
            assert head.poll() is None, "ray start failed"
            assert time.monotonic() < deadline, (
                "the Ray head did not come up: " + attempt.stderr.strip().splitlines()[-1:][0]
                if attempt.stderr.strip() else "the Ray head did not come up")
            time.sleep(1)
        yield address, environment
    finally:
        leftovers = _started_by(head.pid)
        head.send_signal(signal.SIGTERM)  # `ray start --block` stops what it started
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            head.kill()
        for pid in set(leftovers) | set(_started_by(head.pid)):  # anything left, by id
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def test_batch_on_ray_survives_a_killed_worker(ray_cluster, tmp_path):
    address, environment = ray_cluster
    images = make_images(tmp_path / "in")
    out = tmp_path / "out"
    command = batch_command(str(tmp_path / "in"), "-o", str(out), "--ray-address", address,
                            "--json", *SMALL)
    t0 = time.monotonic()
    run = subprocess.Popen(command, env=env(**environment), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        wait_for_lines(out, 1, run, timeout=300)
        deadline = time.monotonic() + 120
        while not (busy := _task_workers()):
            assert time.monotonic() < deadline, "no Ray worker running an image"
            time.sleep(0.1)
        os.kill(busy[0], signal.SIGKILL)
        stdout, stderr = run.communicate(timeout=900)
    finally:
        if run.poll() is None:
            run.kill()
    seconds = time.monotonic() - t0
    assert run.returncode == 1 and stdout.strip(), stderr  # the broken image failed, only it
    assert stdout.startswith("{"), stdout
    summary = json.loads(stdout)
    assert summary["executor"] == "ray" and summary["cpus"] == 2
    assert summary["images"] == 13 and summary["ok"] == 12 and summary["failed"] == 1
    check_final_manifest(out, images)
    print(f"ray batch: 13 images in {seconds:.1f} s")
