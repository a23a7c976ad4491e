"""`scenelang import`: output, report lines, and clear one-line errors with the CLI's exit codes
(1 invalid or corrupt input, 3 a missing input or unwritable output; never a traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scenelang import ast as sl
from scenelang.cli.main import main
from scenelang.compiler.runtime.primitives import PRIMITIVES
from scenelang.parser import load_scene

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "scenelang.cli.main", *args], capture_output=True,
                          text=True, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _box_gltf(path: Path) -> None:
    """A .gltf with one box (and one node that is not a primitive), buffer as a data URI."""
    import base64

    import numpy as np

    vertices, faces = PRIMITIVES["box"](size=(1.0, 1.0, 1.0))
    tris = [(f[0], f[i], f[i + 1]) for f in faces for i in (1, 2)]
    pos = np.asarray(vertices, dtype=np.float32)[:, [0, 2, 1]] * np.float32([1, 1, -1])
    blob = pos.astype(np.float32).tobytes() + np.asarray(tris, dtype=np.uint32).tobytes()
    doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0, 1]}],
           "nodes": [{"name": "crate", "mesh": 0, "translation": [0, 0.5, 0]},
                     {"name": "sliver", "mesh": 1}],
           "meshes": [{"name": "cube", "primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]},
                      {"name": "tri", "primitives": [{"attributes": {"POSITION": 0}, "indices": 2}]}],
           "accessors": [{"bufferView": 0, "componentType": 5126, "count": 8, "type": "VEC3",
                          "min": pos.min(0).tolist(), "max": pos.max(0).tolist()},
                         {"bufferView": 1, "componentType": 5125, "count": 36, "type": "SCALAR"},
                         {"bufferView": 1, "componentType": 5125, "count": 3, "type": "SCALAR"}],
           "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": 96},
                           {"buffer": 0, "byteOffset": 96, "byteLength": 144}],
           "buffers": [{"byteLength": len(blob),
                        "uri": "data:application/octet-stream;base64," + base64.b64encode(blob).decode()}]}
    path.write_text(json.dumps(doc))


def test_import_writes_a_scene_that_checks(tmp_path, capsys):
    source = tmp_path / "crate.gltf"
    _box_gltf(source)
    out = tmp_path / "out" / "crate.sl"
    assert main(["import", str(source), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "recognised: object crate: box" in err
    assert "skipped" not in err and "written as mesh asset crate_assets/" in err
    scene = load_scene(out)  # the asset path resolves beside the scene
    assert [o.name for o in scene.objects()] == ["crate", "sliver"]
    sliver = scene.shapes()[scene.objects()[1].shape].shape
    assert isinstance(sliver, sl.MeshAsset) and sliver.path.value.startswith("crate_assets/")
    assert (out.parent / sliver.path.value).is_file()
    assert scene.objects()[0].at == (0, 0, 0.5)
    assert main(["check", str(out)]) == 0


def test_import_to_stdout(tmp_path, capsys):
    source = tmp_path / "crate.gltf"
    _box_gltf(source)
    assert main(["import", str(source), "-o", "-", "-q"]) == 0
    captured = capsys.readouterr()
    assert "shape cube = box(size=(1, 1, 1))" in captured.out
    assert "recognised" not in captured.err and "skipped: object sliver" in captured.err


def test_missing_file_exits_3(tmp_path):
    proc = cli("import", str(tmp_path / "nope.blend"), "-o", str(tmp_path / "x.sl"))
    assert proc.returncode == 3 and "no such file" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_unsupported_extension_exits_1(tmp_path, capsys):
    path = tmp_path / "scene.fbx"
    path.write_bytes(b"x")
    assert main(["import", str(path), "-o", str(tmp_path / "x.sl")]) == 1
    assert "expected .blend, .glb, .gltf" in capsys.readouterr().err


@pytest.mark.parametrize("name, content", [("junk.blend", b"\x00garbage" * 20),
                                           ("junk.glb", b"\x00garbage" * 20),
                                           ("junk.gltf", b"{not json")])
def test_corrupt_files_are_one_line_exit_1(tmp_path, capsys, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["import", str(path), "-o", str(tmp_path / "x.sl")]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and name in err, err
    assert not (tmp_path / "x.sl").exists()


def test_bad_timeout_is_a_usage_error(tmp_path):
    proc = cli("import", str(tmp_path / "x.blend"), "-o", "-", "--timeout", "nan")
    assert proc.returncode == 2


def test_unwritable_output_exits_3(tmp_path, capsys):
    source = tmp_path / "crate.gltf"
    _box_gltf(source)
    assert main(["import", str(source), "-o", str(tmp_path)]) == 3
    assert "directory" in capsys.readouterr().err


@pytest.mark.blender
def test_truncated_blend_is_one_line_exit_1(tmp_path):
    """A file that starts like a .blend but is cut short: Blender refuses it, one line."""
    path = tmp_path / "cut.blend"
    path.write_bytes(b"BLENDER-v500RENDH" + b"\0" * 40)
    proc = cli("import", str(path), "-o", str(tmp_path / "x.sl"))
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "cut.blend" in proc.stderr


def test_an_imported_scene_over_the_limits_is_still_written_and_its_errors_point_into_it(
        tmp_path, capsys):
    # docs/import.md: 65 point lights (the limit is 64): the .sl is written, check's error
    # names a line of the written file, exit 1
    lights = [{"type": "point", "intensity": 10.0, "color": [1, 1, 1]} for _ in range(65)]
    doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": list(range(65))}],
           "extensionsUsed": ["KHR_lights_punctual"],
           "extensions": {"KHR_lights_punctual": {"lights": lights}},
           "nodes": [{"name": f"lamp{i}", "translation": [i * 0.1, 3, 0],
                      "extensions": {"KHR_lights_punctual": {"light": i}}} for i in range(65)]}
    source = tmp_path / "lamps.gltf"
    source.write_text(json.dumps(doc))
    out = tmp_path / "lamps.sl"
    assert main(["import", str(source), "-o", str(out)]) == 1
    assert out.is_file() and out.read_text(encoding="utf-8").count("light lamp") == 65
    err = capsys.readouterr().err
    assert f"{out}:" in err and "64" in err and "Traceback" not in err
