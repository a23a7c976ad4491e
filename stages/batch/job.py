"""One image of a batch, as a worker runs it: `run_image(job) -> record`.

The function runs in a worker process (a local pool process or a Ray worker) and never raises
for a per-image problem: an unreadable image, a Blender failure or a proposer fault becomes a
`failed` record with the error message. Each worker process builds its proposer once (cached by
its settings) and one engine per image, hence one Blender worker process per image run.

What happens to the image's run folder `OUT/runs/<name>/`:

- `run.json` says `finished` and `final.sl` exists: nothing is run, the record is rebuilt
  from `run.json` (an image finished by an earlier, interrupted batch call);
- `run.json` exists otherwise: the run is continued (`run_reconstruction(..., resume=True)`),
  keeping every finished round;
- the folder exists without `run.json` (killed before the first write): it is removed and the
  run starts anew;
- otherwise a fresh run.

A run folder is locked (`fcntl.flock` on `OUT/.locks/<name>.lock`) while a worker works in it, so
a stray worker of a killed batch can never write into the folder a new call is using.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scenelang.stages.batch.manifest import Record, normalise
from scenelang.stages.engine.config import proposer_choices
from scenelang.stages.engine.loop import EngineConfig, run_reconstruction
from scenelang.stages.engine.runfolder import RunFolder
from scenelang.stages.proposers.registry import make_proposer

LOCK_TIMEOUT = 600.0
"""Seconds a worker waits for another process to release an image's run folder."""

_PROPOSERS: dict[str, tuple[Any, dict[str, Any]]] = {}


@dataclass(frozen=True)
class ImageJob:
    """What a worker needs for one image: `image` and `run` (resolved paths), `out` (the batch
    folder, for relative paths in the record), `engine` (`EngineConfig` fields; `draft` None:
    the proposer decides), `proposer` name and options (never an API key: workers read
    `$OPENAI_API_KEY` from their own environment)."""

    image: str
    run: str
    out: str
    engine: Mapping[str, Any] = field(default_factory=dict)
    proposer: str = "offline"
    proposer_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return Path(self.run).name


def base_record(job: ImageJob) -> Record:
    return normalise({"image": job.image, "name": job.name,
                      "run": os.path.relpath(job.run, job.out), "status": "failed",
                      "worker": f"{socket.gethostname()}:{os.getpid()}"})


def failed_record(job: ImageJob, error: str, seconds: float = 0.0) -> Record:
    """A failed record for `job` (also used by the driver when a worker died)."""
    return {**base_record(job), "error": error, "seconds": round(seconds, 3), "finished": _now()}


def run_image(job: ImageJob) -> Record:
    """Reconstruct one image into its run folder (see the module docstring); the manifest
    record of the outcome."""
    t0 = time.monotonic()
    try:
        with _locked(Path(job.out) / ".locks" / f"{job.name}.lock", Path(job.run)):
            return _run(job, t0)
    except Exception as exc:  # a per-image failure is a result, never the end of the batch
        return failed_record(job, _message(exc), time.monotonic() - t0)


def _run(job: ImageJob, t0: float) -> Record:
    folder = RunFolder(job.run)
    stored = _stored(folder)
    if stored.get("status") == "finished" and folder.final(".sl").is_file():
        return _record(job, stored, folder, 0.0, resumed=False)
    resume = bool(stored)
    if not resume and folder.root.exists():
        shutil.rmtree(folder.root)  # a start killed before run.json: nothing to keep
    proposer, info = _proposer(job.proposer, job.proposer_options)
    fields = dict(job.engine)
    fields["draft"], fields["patience"] = proposer_choices(proposer, fields.get("draft"),
                                                          fields.get("patience"))
    config = EngineConfig.from_dict(fields)
    run_reconstruction(job.image, folder.root, proposer, config, resume=resume,
                       proposer_info=info)
    return _record(job, folder.load_run(), folder, time.monotonic() - t0, resumed=resume)


def _stored(folder: Any) -> dict[str, Any]:
    try:
        return dict(folder.load_run()) if folder.exists() else {}
    except (OSError, ValueError):
        return {}  # an unreadable run.json: the run starts anew


def _record(job: ImageJob, data: Mapping[str, Any], folder: Any, seconds: float,
            resumed: bool) -> Record:
    final = dict((data.get("scores") or {}).get("final") or {})
    total = ((data.get("budget") or {}).get("total") or {})
    ok = data.get("status") == "finished" and folder.final(".sl").is_file()
    return {**base_record(job), "status": "ok" if ok else "failed",
            "error": None if ok else f"run ended with status {data.get('status')!r}",
            "combined": final.get("combined"), "scores": final or None,
            "confidence": data.get("confidence"), "calls": total.get("calls"),
            "seconds": round(seconds, 3), "resumed": resumed,
            "final_sl": str(folder.final(".sl")) if ok else None,
            "final_blend": str(folder.final(".blend"))
            if folder.final(".blend").is_file() else None,
            "finished": _now()}


def _proposer(name: str, options: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """This process's proposer for (name, options), built on first use."""
    key = json.dumps([name, dict(options)], sort_keys=True, default=str)
    if key not in _PROPOSERS:

        proposer = make_proposer(name, **{k: v for k, v in options.items() if v is not None})
        describe = getattr(proposer, "describe", None)
        info = dict(describe()) if callable(describe) else {"name": name}
        _PROPOSERS[key] = (proposer, info)
    return _PROPOSERS[key]


@contextmanager
def _locked(lock: Path, run: Path) -> Iterator[None]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as fh:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{run} is locked by another process") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def quiet_logging() -> None:
    """In a worker process: round lines go to each run's run.log (INFO), nothing to the
    terminal (the driver's progress display owns it)."""
    logger = logging.getLogger("scenelang")
    logger.setLevel(logging.INFO)
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _message(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
