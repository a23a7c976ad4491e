"""The persistent Blender worker: many scenes in one process, timeouts, crashes, restarts.

Real Blender (the bpy wheel); a missing bpy makes these tests fail.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest
from PIL import Image

from scenelang.backends.blender.runner import BlenderError, BlenderWorker
from scenelang.compiler import RenderSettings, ScriptCheckError
from scenelang.parser import parse_scene

pytestmark = pytest.mark.blender

TINY = RenderSettings(samples=1, size=(48, 24))

SCENE = """scenelang 1
geometry {{
  shape ball = sphere(radius=0.4, segments=16, rings=8)
}}
materials {{
  material glow = principled(emission_color=#ffffff, emission_strength=20)
}}
composition {{
  camera c at (0, -10, 0) look_at (0, 0, 0) lens 50mm resolution (96, 48)
  object ball_1 = ball at ({x}, 0, 0) material glow
}}
lighting {{
  world color #000000 strength 0
}}
"""

HANG = """import sys


def main(argv):
    while True:
        pass
"""

CHATTY = """import sys


def main(argv):
    print('{"id": 999, "ok": false, "error": "fake reply"}')
    for i in range(2000):
        print('noise', i)
    return 0
"""


def bright_centroid_x(png) -> float:
    image = np.asarray(Image.open(png).convert("L"), dtype=float)
    ys, xs = np.nonzero(image > 128)
    assert len(xs) > 0, f"nothing bright in {png}"
    return float(xs.mean())


def test_twenty_scenes_through_one_worker(tmp_path):
    positions = np.linspace(-1.6, 1.6, 20)
    with BlenderWorker(timeout=60) as worker:
        pid = worker.pid
        centroids = []
        for i, x in enumerate(positions):
            scene = parse_scene(SCENE.format(x=round(float(x), 3)), "ball.sl")
            result = worker.render(scene, tmp_path / f"r{i:02d}.png", settings=TINY)
            centroids.append(bright_centroid_x(result.png))
        assert worker.pid == pid and worker.restarts == 0
    # each render shows its own scene: the ball moves left to right across the frame
    assert all(b > a for a, b in zip(centroids, centroids[1:])), centroids
    assert centroids[0] < 24 < centroids[-1]


def test_a_hanging_script_is_killed_and_the_next_renders(tmp_path):
    scene = parse_scene(SCENE.format(x=0), "ball.sl")
    with BlenderWorker(timeout=60) as worker:
        first_pid = worker.pid
        start = time.monotonic()
        with pytest.raises(BlenderError, match="timed out after 3 s") as info:
            worker.run_script(HANG, [], tmp_path / "hang.log", timeout=3)
        assert time.monotonic() - start < 20
        assert info.value.log_path == tmp_path / "hang.log"
        assert worker.pid is None and worker.restarts == 1
        result = worker.render(scene, tmp_path / "after.png", settings=TINY)
        assert result.png.exists() and worker.pid not in (None, first_pid)
        assert bright_centroid_x(result.png) == pytest.approx(24, abs=3)


def test_a_crashed_worker_is_reported_and_restarted(tmp_path):
    scene = parse_scene(SCENE.format(x=0), "ball.sl")
    with BlenderWorker(timeout=60) as worker:
        pid = worker.pid
        killer = threading.Timer(1.5, os.kill, args=(pid, signal.SIGKILL))
        killer.start()
        try:
            with pytest.raises(BlenderError, match="exited unexpectedly"):
                worker.run_script(HANG, [], tmp_path / "crash.log", timeout=30)
        finally:
            killer.cancel()
        assert worker.restarts == 1
        assert worker.render(scene, tmp_path / "after.png", settings=TINY).png.exists()
        # a worker that died while idle is replaced on the next job
        os.kill(worker.pid, signal.SIGKILL)
        time.sleep(0.2)
        assert worker.render(scene, tmp_path / "again.png", settings=TINY).png.exists()


def test_script_output_never_reaches_the_protocol(tmp_path):
    with BlenderWorker(timeout=60) as worker:
        worker.run_script(CHATTY, [], tmp_path / "chatty.log")
        log = (tmp_path / "chatty.log").read_text()
        assert "fake reply" in log and "noise 1999" in log
        scene = parse_scene(SCENE.format(x=0), "ball.sl")
        result = worker.render(scene, tmp_path / "ok.png", settings=TINY)
        assert "Saved" in result.log_path.read_text()  # Blender's own output lands in the log


def test_bad_arguments_fail_cleanly_and_the_worker_recovers(tmp_path):
    scene = parse_scene(SCENE.format(x=0), "ball.sl")
    with BlenderWorker(timeout=60) as worker:
        from scenelang.compiler import compile_scene

        script = compile_scene(scene)
        with pytest.raises(BlenderError, match="exited with status 2"):
            worker.run_script(script, ["--samples", "many"], tmp_path / "bad.log")
        assert "invalid int value" in (tmp_path / "bad.log").read_text()
        assert worker.restarts == 0
        assert worker.render(scene, tmp_path / "ok.png", settings=TINY).png.exists()


def test_unchecked_scripts_are_refused_before_blender_sees_them(tmp_path):
    with BlenderWorker(timeout=60) as worker:
        with pytest.raises(ScriptCheckError):
            worker.run_script("import os\nos.system('true')\n", [], tmp_path / "x.log")
