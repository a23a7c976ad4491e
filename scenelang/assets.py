"""Files a scene refers to (mesh assets, texture images): resolved relative to the scene file
and confined to it.

`asset_path(text, span)` turns the path written in a scene (`mesh(path="assets/chair.glb")`)
into an absolute path, or raises a positioned `SceneError` with a hint. Rules:

- a path is relative to the folder of the scene file it was written in (the span's file); a
  scene parsed from a string, without a file, resolves against the current directory;
- it must stay inside that folder: absolute paths, `..` components and symlinks that lead out
  are refused (symlinks are resolved before the check);
- the file must exist, be a regular file, have one of the suffixes in `MESH_SUFFIXES`
  (glTF `.glb`/`.gltf`, `.obj`, `.stl`, `.ply`) and be at most `max_bytes` long.

`image_path(text, span)` applies the same rules to texture images (`image(path="...")`): PNG or
JPEG (`IMAGE_SUFFIXES`), at most 20 MB and 8192 pixels per side (read from the file's header).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from scenelang.errors import Diagnostic, SceneError, Span

MESH_SUFFIXES = (".glb", ".gltf", ".obj", ".stl", ".ply")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_IMAGE_SIDE = 8192


def _error(message: str, span: Span | None, hint: str) -> SceneError:
    return SceneError(Diagnostic(message, span, hint=hint))


def base_folder(span: Span | None) -> Path:
    """The folder paths in a statement are relative to: its file's folder, else the cwd."""
    if span is not None and span.file and span.file != "<stdin>":
        return Path(span.file).resolve().parent
    return Path.cwd().resolve()


def asset_path(text: str, span: Span | None, max_bytes: int = DEFAULT_MAX_BYTES, *,
               suffixes: tuple[str, ...] = MESH_SUFFIXES, what: str = "asset",
               kind: str = "mesh file", limit_hint: str = "simplify the mesh or raise "
               "Limits.max_asset_bytes") -> Path:
    """The checked absolute path of a file written as `text` (see the module docstring):
    a mesh asset by default; `image_path` passes the image suffixes and wording."""
    base = base_folder(span)
    hint = f"paths are relative to the scene's folder ({base}) and must stay inside it"
    if not text:
        raise _error(f"the {what} path is empty", span, hint=hint)
    written = PurePosixPath(text.replace("\\", "/"))
    if written.is_absolute() or Path(text).is_absolute() or (len(text) > 1 and text[1] == ":"):
        raise _error(f"{what} path '{text}' is absolute", span, hint=hint)
    if ".." in written.parts:
        raise _error(f"{what} path '{text}' leaves the scene's folder ('..')", span, hint=hint)
    if written.suffix.lower() not in suffixes:
        raise _error(f"{what} '{text}' is not a {kind}", span,
                     hint=f"{what}s are {', '.join(suffixes)} files")
    full = (base / Path(*written.parts)).resolve()
    if not full.is_relative_to(base):
        raise _error(f"{what} path '{text}' leads out of the scene's folder (through a "
                     f"symbolic link)", span, hint=hint)
    if not full.is_file():
        raise _error(f"{what} file '{text}' not found", span,
                     hint=f"looked for {full}; {hint}")
    size = full.stat().st_size
    if size > max_bytes:
        raise _error(f"{what} file '{text}' is {size:,} bytes; the limit is {max_bytes:,}",
                     span, hint=limit_hint)
    return full


def image_path(text: str, span: Span | None, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
               max_side: int = DEFAULT_MAX_IMAGE_SIDE) -> Path:
    """The checked absolute path of an image texture (`image(path="...")`): the rules of
    `asset_path` with the suffixes `IMAGE_SUFFIXES`, and at most `max_side` pixels per side
    (read from the PNG or JPEG header; a file whose header is not a PNG or JPEG is an error)."""
    full = asset_path(text, span, max_bytes, suffixes=IMAGE_SUFFIXES, what="texture image",
                      kind="PNG or JPEG image",
                      limit_hint="use a smaller image or raise Limits.max_image_bytes")
    size = image_size(full)
    if size is None:
        raise _error(f"texture image '{text}' is not a readable PNG or JPEG file", span,
                     hint="save it as PNG or baseline JPEG")
    if max(size) > max_side:
        raise _error(f"texture image '{text}' is {size[0]} x {size[1]} pixels; the limit is "
                     f"{max_side} per side", span,
                     hint="scale the image down or raise Limits.max_image_side")
    return full


def image_size(path: Path) -> tuple[int, int] | None:
    """`(width, height)` from a PNG or JPEG file's header, None when it is neither."""
    with open(path, "rb") as f:
        head = f.read(32)
        if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
            return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        if head[:2] != b"\xff\xd8":
            return None
        f.seek(2)
        for _ in range(10_000):  # JPEG segments up to the frame header (SOFn)
            marker = f.read(2)
            if len(marker) < 2 or marker[0] != 0xFF:
                return None
            while marker[1] == 0xFF:  # fill bytes
                marker = marker[1:] + f.read(1)
            length = int.from_bytes(f.read(2), "big")
            if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):
                data = f.read(5)
                return int.from_bytes(data[3:5], "big"), int.from_bytes(data[1:3], "big")
            if length < 2:
                return None
            f.seek(length - 2, 1)
    return None
