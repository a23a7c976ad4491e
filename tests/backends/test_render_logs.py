"""README, "Conventions": a successful render leaves no Blender log; a failed one keeps `OUT.log`
next to the PNG and names it. Real Blender (bpy wheel), 32x24 px, 1 sample."""

import pytest

from scenelang.cli.main import main

pytestmark = pytest.mark.blender

SCENE = """scenelang 1

geometry {
  shape cube = box(size=(1, 1, 1))
}

materials {
}

composition {
  object cube_1 = cube
}

lighting {
  light key = sun()
}
"""


def test_a_successful_render_leaves_no_log_and_a_failed_one_keeps_and_names_out_log(tmp_path,
                                                                                    capsys):
    source = tmp_path / "scene.sl"
    source.write_text(SCENE)
    ok = tmp_path / "ok.png"
    assert main(["render", str(source), "-o", str(ok), "--size", "32", "24", "--samples", "1"]) == 0
    assert ok.is_file() and sorted(p.name for p in tmp_path.iterdir()) == ["ok.png", "scene.sl"]
    capsys.readouterr()
    failed = tmp_path / "failed.png"
    assert main(["render", str(source), "-o", str(failed), "--timeout", "0.01"]) == 1
    err = capsys.readouterr().err
    log = tmp_path / "failed.log"
    assert log.is_file() and f"full Blender log: {log}" in err
    assert not failed.exists() and "Traceback" not in err
