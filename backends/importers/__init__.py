"""`scenelang import`: scenes from .blend and glTF files (`import_file`).

A reader fills a `Description` (`model.py`): `blend.py` through Blender (the fixed scan script
`backends/blender/scan.py` in a subprocess), `gltf.py` without Blender (json + numpy). Then
`tosl.py` turns the description into a scene AST, recognising primitives from the mesh data
(`recognise.py`) and nesting objects into groups and instances again (`hierarchy.py`); a mesh
that is no primitive is written as a mesh asset beside the output (`asset_folder`). What the
language cannot hold (a transform with shear relative to its parent: flattened; a curve: skipped)
is reported, never dropped silently: see docs/import.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scenelang import ast as sl
from scenelang.backends.importers.blend import ImportFailure, describe_blend, scan_blends
from scenelang.backends.importers.gltf import describe_gltf
from scenelang.backends.importers.model import Description, Report
from scenelang.backends.importers.tosl import AssetFolder, to_scene

SUFFIXES = (".blend", ".glb", ".gltf")

__all__ = ["SUFFIXES", "Description", "ImportFailure", "ImportResult", "Report", "import_file",
           "import_scanned"]


@dataclass
class ImportResult:
    """The imported scene and the report (recognised, flattened, skipped, notes)."""

    scene: sl.Scene
    report: Report


def asset_folder(output: str | Path | None) -> AssetFolder | None:
    """Where the mesh assets of a scene written to `output` go: `<output stem>_assets/` beside
    it (None for no output file: meshes that are no primitive are then skipped)."""
    if output is None or str(output) == "-":
        return None
    output = Path(output).resolve()
    return AssetFolder(output.parent / f"{output.stem}_assets")


def import_file(path: str | Path, *, timeout: float | None = None,
                blender: str | None = None, output: str | Path | None = None) -> ImportResult:
    """Read a .blend, .glb or .gltf file into a scene.

    output: the .sl file the scene will be written to; meshes that are no primitive are written
    as mesh assets beside it (`asset_folder`). None: they are skipped.
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
        return import_scanned(entry, path.name, output=output)
    return _guarded(lambda: to_scene(describe_gltf(path), asset_folder(output)))


def import_scanned(entry: dict, source: str, *, output: str | Path | None = None) -> ImportResult:
    """The scene of one `scan_blends` entry (a batch of files scanned by one Blender run);
    output: as for `import_file`."""
    return _guarded(lambda: to_scene(describe_blend(entry, source), asset_folder(output)))


def _guarded(make: Callable[[], tuple[sl.Scene, Report]]) -> ImportResult:
    """The scene `make` builds; a file whose values the language cannot hold (a colour that is
    no list of numbers, a name that is no string, `NaN`, a number beyond a float: whatever a
    reader let through) is an `ImportFailure` with one line, never another exception."""
    try:
        scene, report = make()
    except ImportFailure:
        raise
    except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise ImportFailure(f"the file holds values the language cannot take "
                            f"({type(exc).__name__}: {first})") from None
    return ImportResult(scene, report)


def _check_blend_header(path: Path) -> None:
    """A .blend starts with `BLENDER` (uncompressed) or is gzip/zstd-compressed."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head.startswith((b"BLENDER", b"\x1f\x8b", b"\x28\xb5\x2f\xfd")):
        raise ImportFailure("not a .blend file (corrupt or another "
                            "format)")
