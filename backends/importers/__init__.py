"""`scenelang import`: scenes from .blend and glTF files (`import_file`).

A reader fills a `Description` (`model.py`): `blend.py` through Blender (the fixed scan script
`backends/blender/scan.py` in a subprocess), `gltf.py` without Blender (json + numpy). Then
`tosl.py` turns the description into a scene AST, recognising primitives from the mesh data
(`recognise.py`). What the language cannot hold yet (mesh assets, groups, instances) is reported,
never dropped silently: see docs/import.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scenelang import ast as sl
from scenelang.backends.importers.blend import ImportFailure, describe_blend, scan_blends
from scenelang.backends.importers.gltf import describe_gltf
from scenelang.backends.importers.model import Description, Report
from scenelang.backends.importers.tosl import to_scene

SUFFIXES = (".blend", ".glb", ".gltf")

__all__ = ["SUFFIXES", "Description", "ImportFailure", "ImportResult", "Report", "import_file",
           "import_scanned"]


@dataclass
class ImportResult:
    """The imported scene and the report (recognised, flattened, skipped, notes)."""

    scene: sl.Scene
    report: Report


def import_file(path: str | Path, *, timeout: float | None = None,
                blender: str | None = None) -> ImportResult:
    """Read a .blend, .glb or .gltf file into a scene.

    timeout: seconds Blender may take for a .blend (default `blend.SCAN_TIMEOUT` + 5 s);
    blender: an external Blender executable (default `$SCENELANG_BLENDER`, else the bpy wheel).
    Raises ImportFailure (one line) for an unsupported extension, a missing or corrupt file.
    """
    path = Path(path).resolve()
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportFailure(f"unsupported extension {suffix or '(none)'!r}"
                            f" (expected {', '.join(SUFFIXES)})")
    if not path.is_file():
        raise ImportFailure(f"{path}: no such file")
    if suffix == ".blend":
        _check_blend_header(path)
        entry = scan_blends([path], timeout=timeout, blender=blender)[0]
        return import_scanned(entry, path.name)
    scene, report = to_scene(describe_gltf(path))
    return ImportResult(scene, report)


def import_scanned(entry: dict, source: str) -> ImportResult:
    """The scene of one `scan_blends` entry (a batch of files scanned by one Blender run)."""
    scene, report = to_scene(describe_blend(entry, source))
    return ImportResult(scene, report)


def _check_blend_header(path: Path) -> None:
    """A .blend starts with `BLENDER` (uncompressed) or is gzip/zstd-compressed."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head.startswith((b"BLENDER", b"\x1f\x8b", b"\x28\xb5\x2f\xfd")):
        raise ImportFailure("not a .blend file (corrupt or another "
                            "format)")
