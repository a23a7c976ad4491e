"""The batch manifest: `OUT/results.jsonl`, one JSON object per image, and `OUT/results.parquet`.

Strategy: **append, dedupe by image on read, compact at the end.** A finished image is one line
appended to `results.jsonl` (opened in append mode, written with one `write`, flushed and
fsynced), so a SIGKILL loses at most the line being written; a torn last line is skipped on
read. Reading keeps the *last* line of each image (`image` is the resolved path), so an image
retried by a later call (a failure run again, an interrupted run resumed) supersedes its older
line. When a batch ends (normally or by Ctrl-C) the file is rewritten atomically (temporary
file + rename) with exactly one line per image; between a crash and the next call the file may
hold an older line of an image as well, which every reader here ignores. Programs reading the
file themselves should do the same: last line per `image` wins.

Record fields (`Record`): `image`, `name` (run folder name), `run` (run folder, relative to
OUT), `status` (`ok` or `failed`), `error` (message or null), `scores` (the final render's
scores against the target: `combined`, `psnr`, `ssim`, ...; null when failed), `combined`,
`confidence` (run.json's `confidence` block, or null), `calls`, `seconds` (wall time of this
attempt; 0 when an earlier call had already finished it), `resumed` (this attempt continued an
interrupted run), `final_sl`, `final_blend` (absolute paths, or null), `worker` (host:pid),
`finished` (UTC time).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from scenelang.stages.files import atomic_write

JSONL = "results.jsonl"
PARQUET = "results.parquet"
FIELDS = ("image", "name", "run", "status", "error", "combined", "scores", "confidence", "calls",
          "seconds", "resumed", "final_sl", "final_blend", "worker", "finished")
"""The keys of every record, in the order they are written."""

Record = dict[str, Any]


def normalise(record: Mapping[str, Any]) -> Record:
    """`record` with exactly `FIELDS` (missing ones None), in order; NaN and infinities (a PSNR
    of identical images) become None, numpy scalars plain numbers."""
    return {k: _clean(record.get(k)) for k in FIELDS}


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Manifest:
    """`OUT/results.jsonl` (see the module docstring)."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.path = self.out / JSONL
        self.parquet = self.out / PARQUET

    def read(self) -> dict[str, Record]:
        """The records by image (last line per image wins; torn or foreign lines skipped)."""
        records: dict[str, Record] = {}
        if not self.path.is_file():
            return records
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    data = json.loads(line)
                except ValueError:
                    continue
                if isinstance(data, dict) and isinstance(data.get("image"), str):
                    records[data["image"]] = normalise(data)
        return records

    def append(self, record: Mapping[str, Any]) -> None:
        """Add one line, durably (flush + fsync)."""
        self.out.mkdir(parents=True, exist_ok=True)
        line = json.dumps(normalise(record), allow_nan=False, default=_plain) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def compact(self, order: Iterable[str] = ()) -> list[Record]:
        """Rewrite the file atomically with one line per image: the images of `order` first,
        in that order, then any others already recorded. Returns the records written."""
        records = self.read()
        first = [records.pop(i) for i in order if i in records]
        rows = first + list(records.values())
        text = "".join(json.dumps(r, allow_nan=False, default=_plain) + "\n" for r in rows)
        atomic_write(self.path, text)
        return rows

    def write_parquet(self, rows: list[Record]) -> Path | None:
        """`results.parquet` from `rows` when pyarrow is importable (None otherwise). Nested
        fields (`scores`, `confidence`) are stored as JSON text; `combined` also as a column."""
        try:
            import pyarrow as pa  # optional: results.parquet only when pyarrow is installed
            import pyarrow.parquet as pq  # optional, as above
        except ImportError:
            return None
        flat = [{**r, "scores": _json_or_none(r.get("scores")),
                 "confidence": _json_or_none(r.get("confidence"))} for r in rows]
        schema = pa.schema([
            ("image", pa.string()), ("name", pa.string()), ("run", pa.string()),
            ("status", pa.string()), ("error", pa.string()), ("combined", pa.float64()),
            ("scores", pa.string()), ("confidence", pa.string()), ("calls", pa.int64()),
            ("seconds", pa.float64()), ("resumed", pa.bool_()), ("final_sl", pa.string()),
            ("final_blend", pa.string()), ("worker", pa.string()), ("finished", pa.string())])
        table = pa.Table.from_pylist(flat, schema=schema)
        tmp = self.parquet.with_name(f".{PARQUET}.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, self.parquet)
        return self.parquet


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=_plain)


def _plain(value: Any) -> Any:
    """numpy scalars and paths as plain JSON values."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)
