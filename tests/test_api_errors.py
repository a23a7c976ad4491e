"""The Python API's documented errors (docs/api.md, "Errors") that `tests/test_api.py` does not
reach: an input over 4 MiB is a positioned `SceneError`, bad render settings are `ValueError`s
raised before any Blender starts, and a Blender failure is a `BlenderError` with a short message
and the path of the full log, next to the PNG, which is not written."""

from __future__ import annotations

from pathlib import Path

import pytest

import scenelang
from scenelang.backends.blender.runner import BlenderError

ROOT = Path(__file__).resolve().parent
TEXT = (ROOT.parent / "examples" / "minimal.sl").read_text()
LIMIT = 4 * 2**20


def test_a_file_one_byte_over_4_mib_is_a_positioned_scene_error(tmp_path):
    path = tmp_path / "big.sl"
    path.write_bytes(b"scenelang 1\n" + b"#" * (LIMIT - len(b"scenelang 1\n") + 1))
    with pytest.raises(scenelang.SceneError) as info:
        scenelang.load(path)
    assert str(info.value).startswith(f"{path}:1:1: error: input is too large (over the limit "
                                      f"of 4,194,304 bytes)")


@pytest.mark.parametrize("settings, message", [
    ({"engine": "eevee"}, "engine must be one of"),
    ({"engine": "cycles", "samples": 0}, "samples must be in 1.."),
    ({"engine": "cycles", "threads": -1}, "threads must be in 0.."),
    ({"engine": "cycles", "samples": 4097}, r"samples must be in 1\.\.4096, got 4097"),
    ({"engine": "cycles", "size": (4097, 16)}, r"size must be 1\.\.4096 pixels per side, got 4097x16"),
    ({"engine": "cycles", "size": 5000}, r"size must be 1\.\.4096 pixels per side"),
])
def test_bad_render_settings_are_value_errors_before_blender_starts(tmp_path, settings, message):
    # `/bin/false` as Blender: reaching it would be a BlenderError, not a ValueError
    with pytest.raises(ValueError, match=message):
        scenelang.render(TEXT, tmp_path / "out.png", blender="/bin/false", **settings)
    assert list(tmp_path.iterdir()) == []


def test_a_blender_failure_is_a_blender_error_with_a_short_message_and_the_log(tmp_path):
    with pytest.raises(BlenderError) as info:
        scenelang.render(TEXT, tmp_path / "out.png", engine="cycles", blender="/bin/false",
                         size=(16, 12), timeout=30)
    error = info.value
    assert "\n" not in error.message and len(error.message) < 200
    assert error.log_path == tmp_path / "out.log" and error.log_path.is_file()
    assert str(error.log_path) in str(error)
    assert not (tmp_path / "out.png").exists()
