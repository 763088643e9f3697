"""Spreading a cold run over the machine's cores, where it pays.

Workers are forked: they start in milliseconds with everything the parent loaded (plugins, forms,
compiled schemas), which a fresh interpreter would take a second to load again. Results come back
in order. Work too small to pay for the workers, a one-core machine, or a platform without fork
runs in this process, with the same results.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Below this many items, starting workers costs more than it saves.
MIN_PARALLEL_ITEMS = 400

_task: Callable[[Any], Any] | None = None
_worker_start: Callable[[], None] | None = None


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_chunks(
    func: Callable[[T], R],
    chunks: Sequence[T],
    *,
    items: int,
    before_fork: Callable[[], None] | None = None,
    in_worker: Callable[[], None] | None = None,
) -> Iterator[R]:
    """``func(chunk)`` for every chunk, in order; on several cores when ``items`` is large enough.

    ``before_fork`` runs in this process first (close what must not be shared: database
    connections); ``in_worker`` runs at the start of each worker.
    """
    workers = min(cores(), len(chunks))
    if (
        workers < 2
        or items < MIN_PARALLEL_ITEMS
        or "fork" not in multiprocessing.get_all_start_methods()
        or threading.active_count() > 1  # forking a threaded process can copy a held lock
        or multiprocessing.current_process().daemon  # a worker already: it may not have workers
    ):
        yield from map(func, chunks)
        return
    global _task, _worker_start
    if before_fork is not None:
        before_fork()
    _task, _worker_start = func, in_worker
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_start) as pool:
            yield from pool.imap(_run, chunks)
    finally:
        _task = _worker_start = None


def _start() -> None:
    if _worker_start is not None:
        _worker_start()


def _run(chunk: Any) -> Any:
    assert _task is not None
    return _task(chunk)


def chunked(values: Sequence[T], size: int) -> list[Sequence[T]]:
    return [values[start : start + size] for start in range(0, len(values), size)]
