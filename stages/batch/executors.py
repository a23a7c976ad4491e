"""Where the images of a batch run: a local process pool (default) or a Ray cluster (optional).

Both executors have one method, `run(fn, items)`, which calls the module-level function `fn`
on every item in worker processes and yields `(item, result)` pairs *as they complete*, where
`result` is what `fn` returned or, when its worker died too often, a `WorkerDied` exception.
Neither schedules anything itself: the pool's queue and Ray's scheduler decide what runs where;
the executors only keep a bounded number of items in flight, so 100,000 images do not mean
100,000 queued tasks.

`Resources` is what one item may use:

- `threads`: CPU cores per item. The worker process (and so its Blender worker, numpy and
  Cycles' thread pool, which sizes itself by the CPU affinity) is pinned to `threads` cores of
  its machine: a slot `k` of `cores // threads` is claimed with an `flock` on
  `$TMPDIR/scenelang-cpu-slots-<uid>/<k>` (released by the kernel when the process dies) and
  the process's affinity set to those cores. With no free slot the process runs unpinned.
  Ray tasks also request `num_cpus=threads`;
- `max_memory_gb`: the local pool sets `RLIMIT_AS` (address space) of every worker process to
  this, and Blender inherits it, so a runaway image fails alone (MemoryError or a Blender crash,
  recorded as a failed image) instead of taking the machine down. Address space counts more
  than resident memory (a Blender worker at 256 px maps ~1.5 GB for ~0.3 GB resident), hence the
  generous default of 8 GB; 0 or None turns the guard off. Ray tasks request `memory=` this
  instead (Ray worker processes map the object store, so an address-space limit would break
  them) and Ray's own memory monitor kills a task that runs the node out of memory.

Worker deaths: a local pool whose process dies (killed, out of memory, a crash in native code)
is rebuilt and the images it was running are tried again: the image whose process died is
charged a try (at most `max_retries` more), the others, stopped by the pool, are not (each
running image leaves a note with its process id; a stopped process removes its note on SIGTERM,
so the notes left name the culprits). Ray retries a task whose worker died `max_retries` times
(`max_retries=` of the task). After that the image gets a `WorkerDied` result, recorded as
failed.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import multiprocessing
import os
import resource
import shutil
import signal
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenelang.stages.batch.job import quiet_logging

DEFAULT_MAX_MEMORY_GB = 8.0
DEFAULT_MAX_RETRIES = 2


class WorkerDied(RuntimeError):
    """The worker process running an item died `max_retries + 1` times."""


@dataclass(frozen=True)
class Resources:
    """What one item may use (see the module docstring)."""

    threads: int = 1
    max_memory_gb: float | None = DEFAULT_MAX_MEMORY_GB

    @property
    def memory_bytes(self) -> int | None:
        return int(self.max_memory_gb * 2**30) if self.max_memory_gb else None


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


# ---------------------------------------------------------------------- worker-side helpers
_SLOT: Any = None  # the open slot lock file of this process


def claim_cores(threads: int) -> list[int] | None:
    """Pin this process to `threads` cores of a free slot (see the module docstring); the cores,
    or None when it stays unpinned (no free slot, or `threads` covers every core)."""
    global _SLOT
    if _SLOT is not None:
        return sorted(os.sched_getaffinity(0))
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    slots = len(cpus) // max(1, threads)
    if threads >= len(cpus) or slots < 1:
        return None
    folder = Path(tempfile.gettempdir()) / f"scenelang-cpu-slots-{os.getuid()}"
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(slots):
        fh = open(folder / str(k), "a")  # held open while the slot is ours
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            continue
        mine = cpus[k * threads:(k + 1) * threads]
        os.sched_setaffinity(0, mine)
        _SLOT = (fh, cpus)
        return mine
    return None


def release_cores() -> None:
    """Give back this process's slot and restore its affinity."""
    global _SLOT
    if _SLOT is not None:
        fh, cpus = _SLOT
        _SLOT = None
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, cpus)
        fh.close()


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the process that started it dies, so a killed batch
    leaves no worker behind (its Blender worker then sees its stdin close and exits)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


def _init_local(threads: int, memory: int | None, parent: int, board: str) -> None:
    _die_with_parent()

    def _on_sigterm(signum: int, frame: Any) -> None:  # stopped by the pool: not at fault
        with contextlib.suppress(OSError):
            (Path(board) / str(os.getpid())).unlink(missing_ok=True)
        os._exit(128 + signal.SIGTERM)

    signal.signal(signal.SIGTERM, _on_sigterm)
    if os.getppid() != parent:  # the batch died before prctl took effect
        os._exit(1)
    if memory:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    claim_cores(threads)
    quiet_logging()


# ---------------------------------------------------------------------- local pool
class LocalExecutor:
    """A pool of `workers` processes on this machine (spawned, so each starts clean and builds
    its own proposer, engines and Blender workers)."""

    kind = "local"

    def __init__(self, workers: int, resources: Resources | None = None,
                 max_retries: int = DEFAULT_MAX_RETRIES):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.resources = resources or Resources()
        self.max_retries = max_retries

    def describe(self) -> dict[str, Any]:
        return {"executor": self.kind, "workers": self.workers,
                "threads": self.resources.threads,
                "max_memory_gb": self.resources.max_memory_gb}

    def close(self) -> None:
        """Nothing to release: `run` shuts its pool down when it ends."""

    def _pool(self, board: str) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_local,
            initargs=(self.resources.threads, self.resources.memory_bytes, os.getpid(), board))

    def run(self, fn: Callable[[Any], Any], items: Iterable[Any]
            ) -> Iterator[tuple[Any, Any]]:
        board = tempfile.mkdtemp(prefix="scenelang-pool-")
        pending: deque[tuple[int, Any, int]] = deque(
            (key, item, 0) for key, item in enumerate(items))
        running: dict[Future, tuple[int, Any, int]] = {}
        pool: ProcessPoolExecutor | None = None
        try:
            while pending or running:
                if pool is None:
                    pool = self._pool(board)
                broken: list[tuple[int, Any, int]] = []
                refused = False
                while pending and len(running) < self.workers and not refused:
                    job = pending.popleft()
                    try:
                        running[pool.submit(_tracked, fn, job[1], job[0], board)] = job
                    except BrokenProcessPool:  # not started: back in the queue, uncharged
                        pending.appendleft(job)
                        refused = True
                if running:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in done:
                        job = running.pop(fut)
                        if isinstance(fut.exception(), BrokenProcessPool):
                            broken.append(job)
                        else:
                            yield job[1], fut.exception() or fut.result()
                if not broken and not refused:
                    continue
                for fut in list(running):  # the pool is broken: every running item ends
                    job = running.pop(fut)
                    if isinstance(fut.exception(), BrokenProcessPool):
                        broken.append(job)
                    else:
                        yield job[1], fut.exception() or fut.result()
                pool.shutdown(wait=True, cancel_futures=True)  # bystanders are gone now
                pool = None
                culprits = _culprits(board)
                for key, item, tries in broken:
                    if culprits and key not in culprits:  # stopped by the pool, not at fault
                        pending.appendleft((key, item, tries))
                    elif tries >= self.max_retries:
                        yield item, WorkerDied(
                            f"the worker process died {tries + 1} times "
                            "(killed, out of memory or crashed)")
                    else:
                        pending.appendleft((key, item, tries + 1))
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            shutil.rmtree(board, ignore_errors=True)


def _tracked(fn: Callable[[Any], Any], item: Any, key: int, board: str) -> Any:
    """`fn(item)` with a note `board/<pid>` = key while it runs: a note left behind after the
    pool broke names an item whose process died at its own hand (a crash, a kill, out of
    memory); processes the pool stops with SIGTERM remove theirs (`_on_sigterm`)."""
    note = Path(board) / str(os.getpid())
    note.write_text(str(key), encoding="utf-8")
    try:
        return fn(item)
    finally:
        note.unlink(missing_ok=True)


def _culprits(board: str) -> set[int]:
    keys = set()
    for note in Path(board).iterdir():
        with contextlib.suppress(OSError, ValueError):
            keys.add(int(note.read_text(encoding="utf-8")))
        note.unlink(missing_ok=True)
    return keys


# ---------------------------------------------------------------------- Ray
def ray_task(fn: Callable[[Any], Any], item: Any, threads: int) -> Any:
    """What a Ray worker runs for one item: pinned to `threads` cores for the task's length,
    quiet logging, then `fn(item)`. Its process title is `ray::ray_task` while it runs."""
    quiet_logging()
    claim_cores(threads)
    try:
        return fn(item)
    finally:
        release_cores()


class RayExecutor:
    """One Ray task per item on the cluster at `address` (`ray.init(address=...)`: an address
    `HOST:PORT`, or "auto"), or on a Ray instance started here (`address=None`, bound to
    127.0.0.1, `num_cpus` CPUs, no dashboard). Needs `pip install scenelang[ray]`."""

    kind = "ray"

    def __init__(self, address: str | None = None, resources: Resources | None = None,
                 max_retries: int = DEFAULT_MAX_RETRIES, num_cpus: int | None = None):
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if not address:  # a single-machine instance: every Ray service on 127.0.0.1 only
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        try:
            import ray  # optional extra: pip install 'scenelang[ray]'
        except ImportError:
            raise RuntimeError("Ray is not installed: pip install 'scenelang[ray]'") from None
        self.ray = ray
        self.address = address
        self.resources = resources or Resources()
        self.max_retries = max_retries
        self._started = False
        if not ray.is_initialized():
            if address:
                ray.init(address=address, log_to_driver=False, logging_level="WARNING")
            else:
                ray.init(num_cpus=num_cpus or cores(), include_dashboard=False,
                         _node_ip_address="127.0.0.1", log_to_driver=False,
                         logging_level="WARNING")
                self._started = True
        total = ray.cluster_resources()
        self.cpus = int(total.get("CPU", 1))
        slots = max(1, self.cpus // max(1, self.resources.threads))
        memory = self.resources.memory_bytes
        if memory and total.get("memory"):  # never ask more than a share of what there is
            memory = min(memory, int(total["memory"] / slots))
        self.memory = memory
        self.window = 2 * slots

    def describe(self) -> dict[str, Any]:
        return {"executor": self.kind, "address": self.address or "local", "cpus": self.cpus,
                "threads": self.resources.threads, "memory_per_task": self.memory,
                "max_retries": self.max_retries}

    def run(self, fn: Callable[[Any], Any], items: Iterable[Any]
            ) -> Iterator[tuple[Any, Any]]:
        ray = self.ray
        options: dict[str, Any] = {"num_cpus": self.resources.threads,
                                   "max_retries": self.max_retries, "retry_exceptions": False}
        if self.memory:
            options["memory"] = self.memory
        remote = ray.remote(ray_task).options(**options)
        source = iter(items)
        refs: dict[Any, Any] = {}

        def fill() -> None:
            while len(refs) < self.window:
                item = next(source, _END)
                if item is _END:
                    return
                refs[remote.remote(fn, item, self.resources.threads)] = item

        fill()
        try:
            while refs:
                ready, _ = ray.wait(list(refs), num_returns=1)
                for ref in ready:
                    item = refs.pop(ref)
                    try:
                        result = ray.get(ref)
                    except (ray.exceptions.WorkerCrashedError,
                            ray.exceptions.NodeDiedError) as exc:
                        result = WorkerDied(f"the Ray worker died {self.max_retries + 1} times: "
                                            f"{type(exc).__name__}")
                    except Exception as exc:  # the task itself raised
                        result = exc
                    yield item, result
                fill()
        finally:
            for ref in refs:
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._started:
            self.ray.shutdown()


_END = object()


def make_executor(*, workers: int | None = None, threads: int | None = None,
                  max_memory_gb: float | None = DEFAULT_MAX_MEMORY_GB,
                  max_retries: int = DEFAULT_MAX_RETRIES, ray: bool = False,
                  ray_address: str | None = None) -> LocalExecutor | RayExecutor:
    """The executor the command line asks for: Ray when `ray` or `ray_address` (or
    `$RAY_ADDRESS` with `ray`), else a local pool of `workers` (default: one per core) with
    `threads` cores each (default: cores // workers, at least 1)."""
    n = workers or cores()
    per = threads or max(1, cores() // n)
    res = Resources(threads=per, max_memory_gb=max_memory_gb or None)
    if ray or ray_address:
        address = ray_address or os.environ.get("RAY_ADDRESS") or None
        return RayExecutor(address, res, max_retries, num_cpus=workers and workers * per)
    return LocalExecutor(n, res, max_retries)
