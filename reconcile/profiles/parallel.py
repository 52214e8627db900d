"""A cold tree parsed on every core: worker processes fill the parse cache, the loader reads it.

Parsing YAML and validating is CPU-bound and each file stands alone, so on a cold cache the files
are shared out between this process and worker processes (one per other core it may use), each
writing the cache entries of its share. The loader then reads every file as usual and finds them
cached: reviving an entry costs a small share of parsing it, and a file a worker could not read
cleanly is simply not cached, so the loader reads it again and reports its problems itself: the
result, the problems and their order are those of a load on one core.

Workers are forked (they inherit the loaded modules, so starting one costs milliseconds); where
fork is unavailable, on one core, or with fewer files than ``MIN_FILES`` per worker, nothing
happens here.

>>> read_in_parallel([], print, ())   # nothing to share out
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

MIN_FILES = 4  # per worker: fewer files are not worth a process
T = TypeVar("T")


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def read_in_parallel(files: Sequence[T], work: Callable[..., None], args: tuple[Any, ...]) -> None:
    """Call ``work(share, *args)`` for shares of ``files``, one here and the others in worker
    processes, and wait for them all."""
    workers = min(cores(), len(files) // MIN_FILES)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return
    shares = [list(files[index::workers]) for index in range(workers)]
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(workers - 1, mp_context=context) as pool:
            started = [pool.submit(work, share, *args) for share in shares[1:]]
            # This process takes the first share itself rather than wait idle: one process
            # fewer to fork, and its share is read without copying pages written since the fork.
            work(shares[0], *args)
            for done in started:
                done.result()
    except (OSError, BrokenProcessPool, pickle.PicklingError):
        return  # only a head start: the loader reads every file anyway
