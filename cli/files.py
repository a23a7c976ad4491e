"""Reading and writing the files the commands name, with the command line's conventions.

- `-` names standard input (for reading) or standard output (for writing);
- input is read in binary, at most the size limit + 1 bytes, whatever the file is (a regular file,
  `/dev/zero`, a FIFO, a pipe), so no input can make a command read forever or fill the memory;
- a file-system problem (missing file, permission, a directory where a file is expected, a
  missing or read-only output folder) is an `InputOutputError`: one clear line, exit code
  `EXIT_IO` (3), never a traceback. Content problems (too large, not UTF-8) are `SceneError`s
  (exit 1), positioned where possible.

Exit codes of every command (documented in the README):
0 ok, 1 invalid input (positioned diagnostics), 2 usage error (argparse), 3 input/output error,
4 internal error (a bug: one line, the traceback only with SCENELANG_DEBUG=1), 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from scenelang.errors import SceneError, Span
from scenelang.parser import ParseLimits, decode_source

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_IO, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

STDIO = "-"
"""The name that means standard input or standard output."""

STDIN_LABEL = "<stdin>"
"""How standard input is named in diagnostics."""

DEFAULT_MAX_BYTES = ParseLimits().max_bytes


class InputOutputError(Exception):
    """A file could not be read or written (exit code `EXIT_IO`); the message is one line."""


def label(name: str) -> str:
    """The name diagnostics use for an input (`<stdin>` for `-`)."""
    return STDIN_LABEL if name == STDIO else name


def _describe(exc: OSError, name: str, writing: bool = False) -> str:
    what = "write" if writing else "read"
    if isinstance(exc, IsADirectoryError):
        return f"cannot {what} {name}: it is a directory"
    if isinstance(exc, FileNotFoundError):
        if writing:
            return f"cannot write {name}: the folder {Path(name).parent} does not exist"
        return f"cannot read {name}: no such file"
    if isinstance(exc, PermissionError):
        return f"cannot {what} {name}: permission denied"
    if isinstance(exc, NotADirectoryError):
        return f"cannot {what} {name}: a part of the path is not a folder"
    return f"cannot {what} {name}: {exc.strerror or exc}"


def read_bytes(name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of `name` (`-`: standard input), reading at most `max_bytes + 1` of them; more
    is a `SceneError` ("too large"), whatever the file's size claims."""
    try:
        if name == STDIO:
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            path = Path(name)
            if path.is_dir():
                raise IsADirectoryError(21, "Is a directory", name)
            with open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputOutputError(_describe(exc, label(name))) from None
    if len(data) > max_bytes:
        raise SceneError(f"input is too large (over the limit of {_size(max_bytes)}; stopped "
                         f"reading there)", Span(file=label(name)))
    return data


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def read_text(name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """`read_bytes` decoded as UTF-8 (a byte-order mark dropped); bad bytes are a positioned
    `SceneError`."""
    return decode_source(read_bytes(name, max_bytes), label(name))


def write_output(name: str, data: str | bytes, *, make_parents: bool = False) -> str:
    """Write `data` to `name` (`-`: standard output), through a temporary file in the same
    folder and a rename, so a failure leaves no half-written file. Returns what was written to
    (the absolute path, or `-`)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if name == STDIO:
        sys.stdout.buffer.write(raw) if hasattr(sys.stdout, "buffer") else sys.stdout.write(
            raw.decode("utf-8"))
        sys.stdout.flush()
        return STDIO
    path = Path(name)
    tmp: str | None = None
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "Is a directory", name)
        if make_parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.parent.is_dir():
            raise FileNotFoundError(2, "No such file or directory", name)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise InputOutputError(_describe(exc, name, writing=True)) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return str(path.resolve())


def check_writable(name: str, *, make_parents: bool = False) -> Path:
    """Fail early (an `InputOutputError`) when `name` cannot be an output file: a directory, a
    missing folder (unless `make_parents`), a read-only folder."""
    path = Path(name)
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "Is a directory", name)
        if make_parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        if not path.parent.is_dir():
            raise FileNotFoundError(2, "No such file or directory", name)
        if not os.access(path.parent, os.W_OK | os.X_OK) or (
                path.exists() and not os.access(path, os.W_OK)):
            raise PermissionError(13, "Permission denied", name)
    except OSError as exc:
        raise InputOutputError(_describe(exc, name, writing=True)) from None
    return path


def expand_inputs(names: Iterable[str], suffix: str = ".sl") -> Iterator[str]:
    """Each name as given, except folders, which give their `*.sl` files (recursively, sorted,
    hidden folders skipped). A folder without any is an `InputOutputError`."""
    for name in names:
        path = Path(name)
        if name == STDIO or not path.is_dir():
            yield name
            continue
        found = sorted(p for p in path.rglob(f"*{suffix}")
                       if p.is_file() and not any(part.startswith(".")
                                                  for part in p.relative_to(path).parts))
        if not found:
            raise InputOutputError(f"{name}: no {suffix} files in this folder")
        for p in found:
            yield str(p)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
