"""A cold tree parsed on every core: worker processes fill the parse cache, the loader reads it.

Parsing YAML and validating is CPU-bound and each file stands alone, so on a cold cache the files
are cut into chunks (a few per core) shared out between worker processes (one per other core this
process may use) and this process, each writing the cache entries of what it read. The loader then
reads every file as usual and finds them cached: reviving an entry costs a small share of parsing
it, and a file that could not be read cleanly is simply not cached, so the loader reads it again
and reports its problems itself: the result, the problems and their order are those of a load on
one core.

The workers start at once and run while the caller goes on (``reconcile plan`` lists the tenant
meanwhile). When the caller waits (:meth:`Started.wait`), this process takes the chunks no worker
has begun, from the end, while the workers go on from the front: however busy the caller was,
the work ends up shared evenly. Between two of its own chunks, and while the workers finish their
last ones, it reads back (``done``) the chunks the workers have finished, so that reading them
from the cache runs beside the parsing instead of after it.

How workers start is decided here, each time (:func:`start_method`): forked when that is safe
(a platform whose default allows it, and no other thread running in this process: a thread
holding a lock at the fork would leave the worker's copy locked for ever), since a forked worker
inherits the loaded modules; otherwise the start method the program chose, or the forkserver
(else spawn), whose workers import the tool first and so are started only for a larger tree
(``MIN_FILES_STARTED``). On one core, or with fewer files than the minimum per worker, nothing
happens here and the loader reads every file itself.

>>> start_in_parallel([], print, (), own=print, done=print) is None   # nothing to share out
True
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

MIN_FILES = 4  # per forked worker: fewer files are not worth a process
# Per worker that starts afresh (spawn, forkserver): it imports the tool before its first file.
MIN_FILES_STARTED = 64
# Tasks per core: enough for the work to end up shared evenly (at the end the caller waits for
# a worker's last two: the one it runs and the one queued behind it), few enough that sending a
# task (and each task reading the folder defaults again) costs nothing, however small the files.
TASKS_PER_CORE = 64
T = TypeVar("T")
_FAILED = (OSError, BrokenProcessPool, pickle.PicklingError)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Started(Generic[T]):
    """Chunks under way in workers; :meth:`wait` reads the ones not begun here, then joins."""

    def __init__(
        self,
        pool: ProcessPoolExecutor,
        tasks: list[tuple[Future[None], list[T]]],
        own: Callable[[list[T]], None],
        done: Callable[[list[T]], None],
    ) -> None:
        self.pool = pool
        self.tasks = tasks
        self.own = own
        self.done = done

    def wait(self) -> None:
        """Read here every chunk no worker has begun (from the end, while the workers take from
        the front) and read back each chunk a worker finished, then wait for the workers. A
        worker that fails is only a lost head start (the loader reads every file anyway), so
        waiting never raises for it."""
        unread = dict(self.tasks)
        try:
            for future, chunk in reversed(self.tasks):
                self._read_back(unread, [f for f in unread if f.done()])
                if future.cancel():
                    unread.pop(future)
                    self.own(chunk)
            # Each chunk read back as its worker finishes it: the last ones run beside the rest.
            self._read_back(unread, as_completed(list(unread)))
        except _FAILED:
            pass
        finally:
            self.pool.shutdown()

    def _read_back(
        self, unread: dict[Future[None], list[T]], finished: Iterable[Future[None]]
    ) -> None:
        for future in finished:
            chunk = unread.pop(future)
            if not future.cancelled():
                future.result()
                self.done(chunk)


def start_method() -> str:
    """How to start workers here: ``fork`` when it is safe, else the program's choice or the
    forkserver (``spawn`` where there is none)."""
    chosen = multiprocessing.get_start_method(allow_none=True)
    methods = multiprocessing.get_all_start_methods()
    if chosen in (None, "fork") and _fork_is_safe(methods):
        return "fork"
    if chosen in methods and chosen != "fork":
        return str(chosen)
    return "forkserver" if "forkserver" in methods else "spawn"


def _fork_is_safe(methods: list[str]) -> bool:
    # macOS offers fork but defaults to spawn: its system libraries may crash in a forked child.
    return "fork" in methods and sys.platform != "darwin" and threading.active_count() == 1


def start_in_parallel(
    files: Sequence[T],
    work: Callable[..., None],
    args: tuple[Any, ...],
    *,
    own: Callable[[list[T]], None],
    done: Callable[[list[T]], None],
) -> Started[T] | None:
    """Start ``work(chunk, *args)`` for chunks of ``files`` in worker processes; ``own(chunk)``
    reads a chunk in this process when it waits, ``done(chunk)`` reads back one a worker
    finished. ``None`` when not worth it (or not possible) here. ``work`` and ``args`` must
    pickle (a started worker imports ``work`` by name)."""
    method = start_method()
    minimum = MIN_FILES if method == "fork" else MIN_FILES_STARTED
    workers = min(cores(), len(files) // minimum)
    if workers < 2:
        return None
    size = -(-len(files) // (workers * TASKS_PER_CORE))  # files a chunk, rounded up
    chunks = [list(files[start : start + size]) for start in range(0, len(files), size)]
    pool = ProcessPoolExecutor(workers - 1, mp_context=multiprocessing.get_context(method))
    try:
        tasks = [(pool.submit(work, chunk, *args), chunk) for chunk in chunks]
    except _FAILED:
        pool.shutdown()
        return None
    return Started(pool, tasks, own, done)
