"""The reconstruction report: self-contained HTML with every round, the diffs, the plot and the
budget; robust to damaged runs; and it really renders in headless Chromium (never skipped)."""

from __future__ import annotations

import argparse
import base64
import html.parser
import io
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from report_run_fixture import FINAL_SCORE, START_SCORE, STEPS, TOTAL_CALLS, make_run

from scenelang.stages.report.data import load_run
from scenelang.stages.report.html import (
    diff_html,
    embed_image,
    render_report,
    summary_line,
    write_report,
)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"


# ------------------------------------------------------------------------------ helpers


class _Collector(html.parser.HTMLParser):
    """Every tag with its attributes, and the page's visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


def assert_self_contained(page: str) -> None:
    doc = parse(page)
    for tag, attrs in doc.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "base"), tag
        for name in ("src", "srcset", "poster", "data", "action", "formaction", "background"):
            if name in attrs:
                assert attrs[name].startswith("data:image/png;base64,"), (tag, name, attrs[name][:80])
        href = attrs.get("href")
        if href is not None:
            assert not re.match(r"^\s*([a-z][a-z0-9+.-]*:|//)", href, re.I), href  # relative only
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)  # no event handlers
        assert "url(" not in attrs.get("style", "")
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert styles and all("url(" not in s and "@import" not in s for s in styles)
    # a URL may appear only as text (e.g. an endpoint's base_url), never in markup
    markup_only = re.sub(r">[^<]*<", "><", page)
    assert "http://" not in markup_only and "https://" not in markup_only


def png_bytes(color=(40, 40, 40), size=(32, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return make_run(tmp_path / "run")


# ------------------------------------------------------------------------------ content


def test_report_is_written_self_contained_with_every_step(run_dir: Path):
    path = write_report(run_dir)
    assert path == run_dir / "report.html"
    page = path.read_text(encoding="utf-8")
    assert_self_contained(page)
    doc = parse(page)
    ids = {attrs.get("id") for _, attrs in doc.tags}
    for stage, _folder, n, status, *_ in STEPS:
        assert f"{stage}-{n}" in ids
        assert any(tag == "a" and attrs.get("href") == f"#{stage}-{n}" for tag, attrs in doc.tags)
    # target, final, start and one thumbnail per step, all embedded
    images = [attrs["src"] for tag, attrs in doc.tags if tag == "img"]
    assert len(images) == 3 + len(STEPS)
    for uri in images:
        Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).verify()
    assert page.count('class="badge accepted"') >= 3 and 'class="badge rejected"' in page
    assert 'class="badge invalid"' in page


def test_summary_line_and_header(run_dir: Path):
    view = load_run(run_dir)
    assert summary_line(view) == (
        f"reconstructed 2 objects, score {START_SCORE:.3f} → {FINAL_SCORE:.3f} in 1m05s "
        f"with {TOTAL_CALLS} calls")
    page = render_report(run_dir)
    assert summary_line(view) in page
    assert "+0.680 from 0.100" in page
    assert "selected: <span class=\"mark-selected\">stages/02-materials/step-02</span>" in page


def test_accepted_steps_show_their_scene_diff(run_dir: Path):
    page = render_report(run_dir)
    # geometry round 3 added the ball: diffed against round 1 (round 2 was invalid)
    article = page[page.index('id="geometry-3"'):page.index('id="materials-1"')]
    assert "--- stages/01-geometry/step-01/scene.sl" in article
    assert '<span class="add">+  object ball_1 = ball at (0, 0, 1.4)</span>' in article
    # materials round 2 was diffed against geometry round 3 (materials round 1 was reverted)
    article = page[page.index('id="materials-2"'):]
    assert "--- stages/01-geometry/step-03/scene.sl" in article
    assert '<span class="add">+  material paint = principled(base_color=#c03020' in article
    # the rejected round's change is shown, folded, as reverted
    rejected = page[page.index('id="materials-1"'):page.index('id="materials-2"')]
    assert "proposed change (reverted)" in rejected and "#2060c0" in rejected


def test_checklist_notes_and_errors_are_shown(run_dir: Path):
    page = render_report(run_dir)
    assert "<li>the ball on top is missing</li>" in page
    assert "I added a box for the main block." in page
    assert "errors fed back to the proposer" in page
    assert "patch.slp:2:18: error: unknown shape &#39;bal&#39;" in page


def test_model_text_is_escaped(run_dir: Path):
    step = run_dir / "stages/01-geometry/step-01"
    (step / "response.md").write_text('<img src="http://evil.example/x.png" onerror="alert(1)">\n'
                                      "```sl\npatch geometry {}\n```\n")
    record = json.loads((step / "score.json").read_text())
    record["verdict"]["checklist"] = ["<script>fetch('https://evil.example')</script>"]
    (step / "score.json").write_text(json.dumps(record))
    page = write_report(run_dir).read_text()
    assert_self_contained(page)
    assert "&lt;script&gt;fetch(" in page and "<script" not in page
    assert "&lt;img src=&#34;http://evil.example/x.png&#34;" in page


def test_plot_has_selected_and_best_lines_and_a_dot_per_scored_round(run_dir: Path):
    page = render_report(run_dir)
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'class="line-selected"' in svg and 'class="line-best"' in svg
    scored = sum(1 for s in STEPS if s[4] is not None)
    assert svg.count('<circle class="dot') == scored
    assert svg.count('<path class="dot invalid"') == 1
    assert ">geometry</text>" in svg and ">materials</text>" in svg


def test_budget_table(run_dir: Path):
    page = render_report(run_dir)
    table = page[page.index("<h2>Budget</h2>"):page.index("<h2>Files</h2>")]
    for name in ("start", "geometry", "materials", "final", "total"):
        assert f"<td>{name}</td>" in table
    assert "<td>6,000</td>" in table  # geometry prompt tokens (5 calls x 1200)
    assert "40 call limit" in table


def test_unfinished_run_shows_the_selected_render_and_status(tmp_path: Path):
    run = make_run(tmp_path / "run", finished=False)
    data = json.loads((run / "run.json").read_text())
    data["stopped"] = "max calls 9 reached"
    data["sessions"] = [{"resumed": False}, {"resumed": True}]
    (run / "run.json").write_text(json.dumps(data))
    page = render_report(run)
    assert "resumed 1 time · stopped early: max calls 9 reached" in page
    assert "interrupted run: reconstructed 2 objects" in page
    assert "selected so far (stages/02-materials/step-02)" in page
    assert "final.png (missing)" in page


def test_damaged_run_never_crashes_and_shows_what_is_missing(run_dir: Path):
    (run_dir / "run.json").unlink()
    (run_dir / "final.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (run_dir / "stages/01-geometry/step-01/render.png").unlink()
    (run_dir / "stages/01-geometry/step-01/verdict").unlink()
    (run_dir / "stages/01-geometry/step-03/score.json").write_text("{not json")
    (run_dir / "stages/02-materials/step-01/scene.sl").unlink()
    (run_dir / "stages/02-materials/step-02/render.png").write_bytes(b"not an image")
    (run_dir / "stages/02-materials/step-03").mkdir()  # a step folder with nothing in it
    (run_dir / "stages/notes.txt").write_text("not a stage")
    page = write_report(run_dir).read_text()
    assert_self_contained(page)
    assert "run.json is missing or unreadable" in page
    assert "missing in stages/01-geometry/step-01: render.png, verdict" in page
    assert page.count("render missing") >= 3  # deleted, garbage, empty step
    assert "final render missing" in page
    assert 'id="materials-3"' in page and 'class="badge unknown"' in page
    assert "reconstructed 2 objects" in page  # counted from final.sl


@pytest.mark.parametrize("content", ["", "run.json only"])
def test_empty_or_nearly_empty_folder(tmp_path: Path, content: str):
    if content:
        (tmp_path / "run.json").write_text("[1, 2]")
    page = write_report(tmp_path).read_text()
    assert "no finished rounds yet" in page and "target.png is missing" in page
    assert "reconstructed ? objects, score – → – in ? with ? calls" in page
    assert "No scores recorded yet." in page


def test_embed_image_shrinks_and_rejects_garbage(tmp_path: Path):
    big = tmp_path / "big.png"
    Image.new("RGB", (900, 600), (10, 200, 30)).save(big)
    uri = embed_image(big, 256)
    with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as im:
        assert im.size == (256, 171)
    jpeg = tmp_path / "t.jpg"
    Image.new("RGB", (40, 30), (1, 2, 3)).save(jpeg)
    assert embed_image(jpeg, 256).startswith("data:image/png;base64,")
    (tmp_path / "bad.png").write_bytes(b"garbage")
    assert embed_image(tmp_path / "bad.png", 256) is None
    assert embed_image(tmp_path / "absent.png", 256) is None
    assert embed_image(None, 256) is None


def test_diff_html_escapes_and_classifies():
    out = str(diff_html(["--- a", "+++ b", "@@ -1 +1 @@", "-x <b>", "+y & z", " same"]))
    assert '<span class="del">-x &lt;b&gt;</span>' in out
    assert '<span class="add">+y &amp; z</span>' in out
    assert '<span class="hunk">' in out and '<span class="file">--- a</span>' in out
    assert str(diff_html(None)) == ""


def test_report_subcommand(run_dir: Path, tmp_path: Path, capsys):
    from scenelang.cli.main import report as cli_report

    parser = argparse.ArgumentParser()
    cli_report.register(parser.add_subparsers())
    out = tmp_path / "elsewhere" / "r.html"
    args = parser.parse_args(["report", str(run_dir), "-o", str(out)])
    assert args.func(args) == 0
    assert out.is_file() and str(out) in capsys.readouterr().out
    args = parser.parse_args(["report", str(run_dir)])
    assert args.func(args) == 0 and (run_dir / "report.html").is_file()
    args = parser.parse_args(["report", str(tmp_path / "nope")])
    from scenelang.errors import SceneError

    with pytest.raises(SceneError, match="not a run folder"):
        args.func(args)


# ------------------------------------------------------------------------------ Chromium


@pytest.fixture(scope="session")
def chromium() -> str:
    """Chromium installed by the project's own script; failing to install fails the test."""
    result = subprocess.run(["sh", str(ROOT / "scripts" / "ensure-chromium.sh")], capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, f"ensure-chromium.sh failed:\n{result.stderr}"
    assert os.access(CHROMIUM, os.X_OK)
    return CHROMIUM


class DevTools:
    """A headless Chromium started by the test, driven over the DevTools protocol."""

    def __init__(self, binary: str, profile: Path):
        import websocket  # websocket-client (test dependency)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--disable-quic", "--disable-extensions",
             "--disable-default-apps", "--metrics-recording-only", "--no-default-browser-check",
             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
             f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
                self.close()
                raise AssertionError(f"Chromium did not start its DevTools endpoint\n{err[-2000:]}")
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=60,
                                              suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                assert "error" not in reply, (method, reply["error"])
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = json.loads(self.ws.recv())
            self.events.append(event)
            if event.get("method") == method:
                return event
        raise AssertionError(f"no {method} within {timeout} s")

    def close(self) -> None:
        if getattr(self, "ws", None) is not None:
            try:
                self.ws.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group this test started
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def open_in_chromium(binary: str, page: Path, width: int = 1280, height: int = 1000) -> dict:
    """Load `page` in headless Chromium; return images' state, problems, requests and a screenshot."""
    profile = Path(tempfile.mkdtemp(prefix="scenelang-chromium-"))
    browser = DevTools(binary, profile)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable", session=session)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                     session=session)
        browser.events.clear()
        browser.call("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")
        images = json.loads(browser.call("Runtime.evaluate", {
            "expression": "JSON.stringify(Array.from(document.images).map("
                          "i => ({complete: i.complete, width: i.naturalWidth, alt: i.alt})))",
            "returnByValue": True}, session=session)["result"]["value"])
        height_px = browser.call("Runtime.evaluate", {
            "expression": "document.documentElement.scrollHeight", "returnByValue": True},
            session=session)["result"]["value"]
        shot = browser.call("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
        problems = []
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                problems.append(("console", params))
            elif method == "Runtime.exceptionThrown":
                problems.append(("exception", params))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                problems.append(("log", params["entry"]))
            elif method == "Network.loadingFailed":
                problems.append(("network", params))
        requests = [e["params"]["request"]["url"] for e in browser.events
                    if e.get("method") == "Network.requestWillBeSent"]
        return {"images": images, "problems": problems, "requests": requests,
                "screenshot": base64.b64decode(shot), "height": height_px}
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)


def assert_renders(result: dict, expected_images: int) -> None:
    assert len(result["images"]) == expected_images
    assert all(i["complete"] and i["width"] > 0 for i in result["images"]), result["images"]
    assert result["problems"] == []
    assert all(u.startswith(("file:", "data:")) for u in result["requests"]), result["requests"]
    with Image.open(io.BytesIO(result["screenshot"])) as im:
        pixels = np.asarray(im.convert("RGB"), dtype=np.float64)
    assert pixels.shape[:2] == (1000, 1280)
    assert pixels.var() > 0
    # not just a white page with a speck: a real share of the page is drawn
    assert np.mean(np.any(pixels < 200, axis=2)) > 0.05


def test_report_renders_in_headless_chromium(chromium: str, run_dir: Path):
    report = write_report(run_dir)
    result = open_in_chromium(chromium, report)
    assert_renders(result, expected_images=3 + len(STEPS))
    assert result["height"] > 2000  # the whole story, not a stub


def test_damaged_run_report_renders_in_headless_chromium(chromium: str, run_dir: Path):
    (run_dir / "final.png").write_bytes(b"garbage")
    (run_dir / "stages/01-geometry/step-02/render.png").unlink()
    (run_dir / "run.json").write_text("{")
    report = write_report(run_dir)
    assert_renders(open_in_chromium(chromium, report), expected_images=1 + 1 + len(STEPS) - 1)


# ------------------------------------------------------------------------------ a real engine run

ENGINE_TARGET = """scenelang 1

geometry {
  shape ground = plane(size=20)
  shape ball = sphere(radius=0.8)
}

materials {
  material red = principled(base_color=#c0392b, roughness=0.4)
}

composition {
  camera camera at (7.36, -6.93, 4.96) look_at (0, 0, 0.5) resolution (96, 72)
  object ground_1 = ground
  object ball_1 = ball at (0, 0, 0.8) material red
}

lighting {
  world color #303030 strength 1
  light key = sun(direction=(-0.3, 0.4, -1), energy=3)
}
"""

ENGINE_ANSWERS = {
    ("geometry", 1): ["I will add the ground and the ball.\n```sl\npatch geometry {\n"
                      "  shape ground = plane(size=20)\n  shape ball = sphere(radius=)\n}\n```",
                      "Fixed the radius.\n```sl\npatch geometry {\n"
                      "  shape ground = plane(size=20)\n  shape ball = sphere(radius=0.8)\n}\n```"],
    ("materials", 1): ["Red paint.\n```sl\npatch materials {\n"
                       "  material red = principled(base_color=#c0392b, roughness=0.4)\n}\n```"],
    ("composition", 1): ["Place them.\n```sl\npatch composition {\n"
                         "  camera camera at (7.36, -6.93, 4.96) look_at (0, 0, 0.5) "
                         "resolution (96, 72)\n  object ground_1 = ground\n"
                         "  object ball_1 = ball at (0, 0, 0.8) material red\n}\n```"],
    ("lighting", 1): ["A sun.\n```sl\npatch lighting {\n  world color #303030 strength 1\n"
                      "  light key = sun(direction=(-0.3, 0.4, -1), energy=3)\n}\n```"],
    ("lighting", 2): ["Darker?\n```sl\npatch lighting {\n  set key.energy = 0\n}\n```"],
}


class ScriptedProposer:
    """An in-process proposer and verifier answering from `ENGINE_ANSWERS` (no model, no HTTP)."""

    name = "scripted"

    def propose(self, request):
        from scenelang.stages.proposers.base import Proposal, Usage
        from scenelang.stages.proposers.vlm.extract import extract_code

        options = ENGINE_ANSWERS[(request.stage, request.round)]
        raw = options[min(request.attempt, len(options) - 1)]
        return Proposal(raw=raw, patch_text=extract_code(raw).code, prompt=request.instructions,
                        usage=Usage(calls=1, requests=1, prompt_tokens=800, completion_tokens=40,
                                    images_sent=2))

    def verify(self, request):
        from scenelang.stages.proposers.base import Usage, Verdict

        return Verdict(False, ("the floor looks too flat",), "1. the floor looks too flat",
                       Usage(calls=1, requests=1, prompt_tokens=300, completion_tokens=8,
                             images_sent=2))


@pytest.fixture(scope="module")
def engine_run(tmp_path_factory) -> Path:
    from scenelang.backends.blender.runner import render_scene
    from scenelang.compiler.settings import RenderSettings
    from scenelang.parser import parse_scene
    from scenelang.stages.engine.loop import EngineConfig, run_reconstruction

    base = tmp_path_factory.mktemp("engine")
    target = base / "target.png"
    render_scene(parse_scene(ENGINE_TARGET), target, settings=RenderSettings(samples=4, size=(96, 72)))
    config = EngineConfig(size=96, samples=4, final_size=96, final_samples=4, verify=True,
                          budgets={"geometry": 1, "materials": 1, "composition": 1, "lighting": 2})
    run_reconstruction(target, base / "run", ScriptedProposer(), config)
    return base / "run"


@pytest.mark.blender
def test_report_of_a_real_engine_run(engine_run: Path):
    page = write_report(engine_run).read_text()
    assert_self_contained(page)
    view = load_run(engine_run)
    assert view.status == "finished" and view.problems == []
    assert [s.key for s in view.stages] == ["geometry", "materials", "composition", "lighting"]
    assert [s.status for s in view.steps] == ["accepted"] * 4 + ["rejected"]
    assert all(s.missing == [] for s in view.steps)
    assert view.object_count == 2
    assert summary_line(view).startswith("reconstructed 2 objects, score ")
    assert f"with {view.calls} calls" in summary_line(view) and view.calls == 11
    for step in view.steps:
        assert f'id="{step.stage}-{step.number}"' in page
    # the repair: the positioned error fed back, and both attempts' notes
    assert "patch.slp:3:30: error" in page
    assert "attempt 1: I will add the ground and the ball." in page
    assert "attempt 2: Fixed the radius." in page
    assert '<span class="add">+  object ball_1 = ball at (0, 0, 0.8) material red</span>' in page
    assert "<li>the floor looks too flat</li>" in page
    assert "proposed change (reverted)" in page  # the darker lighting
    assert page.count('<td>total</td>') == 1
    # the finished run's confidence, from run.json
    confidence = json.loads((engine_run / "run.json").read_text())["confidence"]
    assert "ball_1" in confidence["objects"] and "ground_1" not in confidence["objects"]
    assert 0 <= confidence["overall"] <= 1
    assert "<h2>Confidence</h2>" in page and f"{confidence['overall']:.3f}" in page


def test_confidence_block_shows_doubts_and_survives_damage(run_dir: Path):
    run_json = run_dir / "run.json"
    data = json.loads(run_json.read_text())
    data["confidence"] = {"overall": 0.31, "objects": {"ball_1": 0.9, "slab": 0.1},
                          "doubts": ["object slab is larger than the frame <b>"]}
    run_json.write_text(json.dumps(data))
    page = write_report(run_dir).read_text()
    assert "Doubtful result:" in page and "<li>object slab is larger than the frame &lt;b&gt;</li>" in page
    assert "<td>slab</td><td>0.100</td>" in page and "<strong>0.310</strong>" in page
    for damaged in ("nonsense", {"overall": "x", "objects": [1], "doubts": "y"}):
        data["confidence"] = damaged
        run_json.write_text(json.dumps(data))
        assert "<title>" in write_report(run_dir).read_text()


@pytest.mark.blender
def test_real_engine_run_report_renders_in_headless_chromium(chromium: str, engine_run: Path):
    report = write_report(engine_run)
    steps = len(load_run(engine_run).steps)
    assert_renders(open_in_chromium(chromium, report), expected_images=3 + steps)
