"""A cold tree parsed on every core: worker processes fill the parse cache, the loader reads it.

Parsing YAML and validating is CPU-bound and each file stands alone, so on a cold cache the files
are shared out between this process and worker processes (one per other core it may use), each
writing the cache entries of its share. The loader then reads every file as usual and finds them
cached: reviving an entry costs a small share of parsing it, and a file a worker could not read
cleanly is simply not cached, so the loader reads it again and reports its problems itself: the
result, the problems and their order are those of a load on one core.

The workers start at once and run while the caller goes on (``reconcile plan`` lists the tenant
meanwhile); this process reads its own share when the caller waits (:meth:`Started.wait`).
Workers are forked (they inherit the loaded modules, so starting one costs milliseconds); where
fork is unavailable, on one core, or with fewer files than ``MIN_FILES`` per worker, nothing
happens here.

>>> start_in_parallel([], print, ()) is None   # nothing to share out
True
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

MIN_FILES = 4  # per worker: fewer files are not worth a process
T = TypeVar("T")
_FAILED = (OSError, BrokenProcessPool, pickle.PicklingError)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Started:
    """Shares under way in workers, and this process's own share, read by :meth:`wait`."""

    def __init__(
        self, pool: ProcessPoolExecutor, futures: list[Future[None]], own: Callable[[], None]
    ) -> None:
        self.pool = pool
        self.futures = futures
        self.own = own

    def wait(self) -> None:
        """Read this process's share, then wait for the workers. A worker that fails is only a
        lost head start (the loader reads every file anyway), so waiting never raises for it."""
        try:
            # This process takes a share itself rather than wait idle: one process fewer to
            # fork, and its share is read without copying pages written since the fork.
            self.own()
            for done in self.futures:
                done.result()
        except _FAILED:
            pass
        finally:
            self.pool.shutdown()


def start_in_parallel(
    files: Sequence[T], work: Callable[..., None], args: tuple[Any, ...]
) -> Started | None:
    """Start ``work(share, *args)`` for shares of ``files``, all but the first in worker
    processes; ``None`` when not worth it (or not possible) here. Call it before any thread is
    started: it forks."""
    workers = min(cores(), len(files) // MIN_FILES)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    shares = [list(files[index::workers]) for index in range(workers)]
    pool = ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context("fork"))
    try:
        started = [pool.submit(work, share, *args) for share in shares[1:]]
    except _FAILED:
        pool.shutdown()
        return None
    return Started(pool, started, lambda: work(shares[0], *args))
