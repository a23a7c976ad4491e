"""`make gallery`: real Blender renders of example scenes and the README snippet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gallery import (
    GENERATED_NOTE,
    GalleryEntry,
    caption_of,
    fit_size,
    gallery_markdown,
    main,
)
from PIL import Image

from scenelang.parser import parse_scene

BALL = """# A red ball on a grey floor.
scenelang 1

geometry {
  shape ball = sphere(radius=0.8)
  shape floor = plane(size=6)
}

materials {
  material red = principled(base_color=#c0392b, roughness=0.4)
  material grey = principled(base_color=#808080)
}

composition {
  camera main at (5, -5, 3.5) look_at (0, 0, 0.5) resolution (160, 120)
  object ball_1 = ball at (0, 0, 0.8) material red
  object floor_1 = floor material grey
}

lighting {
  world color #202020 strength 1
  light key = sun(direction=(-0.3, 0.4, -1), energy=4)
}
"""

BROKEN = """scenelang 1

geometry {
  shape ball = sphere(radius=)
}
"""


@pytest.mark.blender
def test_gallery_renders_examples_with_blender(tmp_path: Path, capsys):
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "ball.sl").write_text(BALL)
    (examples / "broken.sl").write_text(BROKEN)
    out = tmp_path / "images"
    code = main(["--examples", str(examples), "--out", str(out), "--size", "64",
                 "--samples", "4", "--link-base", "docs/images"])
    err = capsys.readouterr().err
    assert code == 1  # one example is broken
    assert "broken.sl:4:" in err and "error" in err  # positioned, not a traceback
    assert "Traceback" not in err
    assert "1 of 2 examples failed: broken" in err

    image = out / "ball.png"
    with Image.open(image) as im:
        assert im.size == (64, 48)  # the camera's 4:3 at the requested long side
        pixels = np.asarray(im.convert("RGB"), dtype=np.float64)
    assert pixels.std() > 5  # a real render, not a blank frame
    # the ball is red-ish in the middle of the frame
    centre = pixels[16:32, 24:40].reshape(-1, 3).mean(axis=0)
    assert centre[0] > centre[2] + 20
    assert not (out / "broken.png").exists()
    assert sorted(p.name for p in out.iterdir()) == ["ball.png", "gallery.md"]

    snippet = (out / "gallery.md").read_text()
    assert snippet.startswith(GENERATED_NOTE)
    assert "![ball](docs/images/ball.png)" in snippet
    assert "**ball**: A red ball on a grey floor." in snippet
    assert "broken" not in snippet


def test_missing_examples_folder_is_a_clear_error(tmp_path: Path, capsys):
    assert main(["--examples", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 1
    assert "no such examples folder" in capsys.readouterr().err


def test_gallery_markdown_table():
    entries = [GalleryEntry(f"s{i}", Path(f"examples/s{i}.sl"), Path(f"docs/images/s{i}.png"),
                            "A | B" if i == 0 else f"s{i}") for i in range(4)]
    entries.append(GalleryEntry("bad", Path("examples/bad.sl"), None, "bad", "error"))
    text = gallery_markdown(entries, link_base="docs/images/", columns=3)
    lines = text.splitlines()
    assert lines[0] == GENERATED_NOTE
    assert lines[2:4] == ["| | | |", "|:-:|:-:|:-:|"]
    rows = lines[4:]
    assert len(rows) == 2 and rows[1].count("![") == 1 and rows[1].endswith("|  |  |")
    assert "![s0](docs/images/s0.png)<br>**s0**: A \\| B ([`s0.sl`](examples/s0.sl))" not in text
    assert "![s0](docs/images/s0.png)<br>**s0**: A \\| B [`s0.sl`](examples/s0.sl)" in text
    assert "![s1](docs/images/s1.png)<br>[`s1.sl`](examples/s1.sl)" in text
    assert "bad" not in text
    assert "no example scenes" in gallery_markdown([])


def test_fit_size_and_caption():
    assert fit_size((640, 480), 480) == (480, 360)
    assert fit_size((480, 640), 64) == (48, 64)
    assert fit_size((1000, 10), 100) == (100, 8)
    assert caption_of(parse_scene(BALL), "ball") == "A red ball on a grey floor."
    assert caption_of(parse_scene("scenelang 1\n"), "plain") == "plain"


def test_update_readme_replaces_only_between_markers(tmp_path):
    from gallery import README_END, README_START, update_readme

    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{README_START}\nold\n{README_END}\noutro\n")
    assert update_readme(readme, "| new |\n")
    assert readme.read_text() == f"intro\n{README_START}\n| new |\n{README_END}\noutro\n"
    plain = tmp_path / "PLAIN.md"
    plain.write_text("no markers\n")
    assert not update_readme(plain, "x") and plain.read_text() == "no markers\n"
