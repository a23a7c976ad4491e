"""What a batch works on: image paths from files, folders, globs and list files, each resolved
once, plus the name of each image's run folder.

An INPUT is, in this order of checks:

- a folder: every image file directly inside it (not recursive), sorted by name;
- a file with an image suffix (`IMAGE_SUFFIXES`): that image;
- any other file: a list of images, one path per line (blank lines and lines starting with `#`
  are skipped; relative paths are relative to the list file's folder);
- anything else: a glob pattern (`photos/*.jpg`, `shots/**/*.png`), expanded sorted.

Every path is resolved (`Path.resolve()`: absolute, symlinks followed) and duplicates are
dropped, first occurrence kept. An input that names nothing is an error (`SceneError`), so a typo
is not silently a smaller batch. An image that cannot be read is *not* an error here: it becomes
a failed line of the manifest, like any other per-image failure.
"""

from __future__ import annotations

import glob
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from scenelang.errors import SceneError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
"""File suffixes taken as images (case-insensitive)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def collect_images(inputs: Iterable[str | Path]) -> list[Path]:
    """The resolved image paths named by `inputs` (see the module docstring), in order."""
    seen: dict[Path, None] = {}
    for raw in inputs:
        found = _expand(str(raw))
        if not found:
            raise SceneError(f"{raw}: no such file, folder or matching image")
        for path in found:
            seen.setdefault(path.resolve(), None)
    return list(seen)


def _expand(text: str) -> list[Path]:
    path = Path(text).expanduser()
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and is_image_name(p))
    if path.is_file():
        return [path] if is_image_name(path) else read_list(path)
    return [Path(p) for p in sorted(glob.glob(str(path), recursive=True))
            if Path(p).is_file() and is_image_name(Path(p))]


def read_list(path: Path) -> list[Path]:
    """The image paths of a list file: one per line, `#` comments, relative to its folder."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SceneError(f"{path}: cannot read the list of images ({exc})") from None
    base = path.resolve().parent
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            p = Path(line).expanduser()
            out.append((p if p.is_absolute() else base / p).resolve())
    return out


def run_name(image: Path) -> str:
    """The run folder name of `image`: its stem made safe (letters, digits, `._-`, at most 60
    characters, never starting with a dot) and 10 hex digits of the SHA-256 of its resolved path,
    so two `photo.png` in different folders get different folders and the name is stable across
    calls."""
    resolved = str(Path(image).resolve())
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    stem = _UNSAFE.sub("_", Path(image).stem).lstrip(".")[:60] or "image"
    return f"{stem}-{digest}"


def run_dir(out: Path, image: Path) -> Path:
    """`OUT/runs/<run_name(image)>`, checked to lie under `OUT/runs`."""
    runs = (Path(out) / "runs").resolve()
    path = runs / run_name(image)
    if path.parent != runs:  # cannot happen with run_name's alphabet; a guard, not a feature
        raise SceneError(f"{image}: run folder {path} would lie outside {runs}")
    return path
