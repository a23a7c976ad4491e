"""Files a scene refers to (mesh assets): resolved relative to the scene file and confined to it.

`asset_path(text, span)` turns the path written in a scene (`mesh(path="assets/chair.glb")`)
into an absolute path, or raises a positioned `SceneError` with a hint. Rules:

- a path is relative to the folder of the scene file it was written in (the span's file); a
  scene parsed from a string, without a file, resolves against the current directory;
- it must stay inside that folder: absolute paths, `..` components and symlinks that lead out
  are refused (symlinks are resolved before the check);
- the file must exist, be a regular file, have one of the suffixes in `MESH_SUFFIXES`
  (glTF `.glb`/`.gltf`, `.obj`, `.stl`, `.ply`) and be at most `max_bytes` long.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from scenelang.errors import Diagnostic, SceneError, Span

MESH_SUFFIXES = (".glb", ".gltf", ".obj", ".stl", ".ply")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def _error(message: str, span: Span | None, hint: str) -> SceneError:
    return SceneError(Diagnostic(message, span, hint=hint))


def base_folder(span: Span | None) -> Path:
    """The folder paths in a statement are relative to: its file's folder, else the cwd."""
    if span is not None and span.file and span.file != "<stdin>":
        return Path(span.file).resolve().parent
    return Path.cwd().resolve()


def asset_path(text: str, span: Span | None, max_bytes: int = DEFAULT_MAX_BYTES) -> Path:
    """The checked absolute path of a mesh asset written as `text` (see the module docstring)."""
    base = base_folder(span)
    hint = f"paths are relative to the scene's folder ({base}) and must stay inside it"
    if not text:
        raise _error("the asset path is empty", span, hint=hint)
    written = PurePosixPath(text.replace("\\", "/"))
    if written.is_absolute() or Path(text).is_absolute() or (len(text) > 1 and text[1] == ":"):
        raise _error(f"asset path '{text}' is absolute", span, hint=hint)
    if ".." in written.parts:
        raise _error(f"asset path '{text}' leaves the scene's folder ('..')", span, hint=hint)
    if written.suffix.lower() not in MESH_SUFFIXES:
        raise _error(f"asset '{text}' is not a mesh file", span,
                         hint=f"mesh assets are {', '.join(MESH_SUFFIXES)} files")
    full = (base / Path(*written.parts)).resolve()
    if not full.is_relative_to(base):
        raise _error(f"asset path '{text}' leads out of the scene's folder (through a "
                         f"symbolic link)", span, hint=hint)
    if not full.is_file():
        raise _error(f"asset file '{text}' not found", span,
                         hint=f"looked for {full}; {hint}")
    size = full.stat().st_size
    if size > max_bytes:
        raise _error(f"asset file '{text}' is {size:,} bytes; the limit is {max_bytes:,}",
                         span, hint="simplify the mesh or raise Limits.max_asset_bytes")
    return full
