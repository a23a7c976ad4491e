"""Shared by the batch end-to-end tests: twelve tiny images and a broken one, and a runner."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

SMALL = ["--no-draft", "--budget", "geometry=1,materials=1,composition=1,lighting=1",
         "--size", "32", "--samples", "1", "--final-size", "32", "--final-samples", "1"]


def make_images(folder: Path, n: int = 12) -> list[Path]:
    """`n` 64x48 images (a red ball on a floor, moved a pixel each) plus `broken.png`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        im = Image.new("RGB", (64, 48), (120, 130, 140 + i))
        d = ImageDraw.Draw(im)
        d.rectangle([0, 30, 63, 47], fill=(90, 90, 80))
        d.ellipse([14 + i, 12, 34 + i, 34], fill=(200, 40 + 5 * i, 40))
        paths.append(folder / f"img{i:02d}.png")
        im.save(paths[-1])
    (folder / "broken.png").write_bytes(b"definitely not a PNG " * 8)
    return paths


def batch_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "scenelang.cli.main", "batch", *args]


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **extra}


def manifest_lines(out: Path) -> list[dict]:
    path = out / "results.jsonl"
    if not path.is_file():
        return []
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pass
    return lines


def wait_for_lines(out: Path, n: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(manifest_lines(out)) < n:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no manifest line in time"
        time.sleep(0.2)


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid`."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def check_final_manifest(out: Path, images: list[Path]) -> dict[str, dict]:
    """Exactly one line per image (12 ok, the broken one failed) and a run folder each."""
    lines = manifest_lines(out)
    by_image = {line["image"]: line for line in lines}
    assert len(lines) == len(by_image) == len(images) + 1
    for image in images:
        line = by_image[str(image.resolve())]
        assert line["status"] == "ok", line
        assert Path(line["final_sl"]).is_file() and Path(line["final_blend"]).is_file()
        assert Path(line["final_sl"]).parent.parent == (out / "runs").resolve()
        assert line["scores"]["combined"] == line["combined"]
        assert line["confidence"] is not None
    broken = by_image[str((images[0].parent / "broken.png").resolve())]
    assert broken["status"] == "failed" and "cannot read the target image" in broken["error"]
    return by_image
