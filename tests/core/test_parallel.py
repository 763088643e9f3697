"""Work split over the cores: the same results as in one process, and never workers of workers."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest

from caseflow.core import parallel
from caseflow.core.parallel import chunked, map_chunks


def _pids_and_sums(chunk: Sequence[int]) -> tuple[int, int]:
    return os.getpid(), sum(chunk)


@pytest.fixture
def parallel_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 1)
    assert parallel.cores() >= 2, "these tests need two cores to fork workers"


def test_chunks_are_computed_in_workers_in_order(parallel_from_one: None) -> None:
    found = list(map_chunks(_pids_and_sums, chunked(list(range(20)), 5), items=20))
    assert [total for _, total in found] == [10, 35, 60, 85]
    assert os.getpid() not in {pid for pid, _ in found}


def test_a_worker_that_splits_work_again_does_it_itself(parallel_from_one: None) -> None:
    """A pool's workers may not start workers of their own (multiprocessing refuses): a replay of
    the history asked for inside a worker (a caseload's checks, with no ledger kept yet) parses
    its documents in that worker."""

    def inner(chunk: Sequence[int]) -> list[tuple[int, int]]:
        return list(map_chunks(_pids_and_sums, chunked(list(chunk), 2), items=len(chunk)))

    found = list(map_chunks(inner, chunked(list(range(8)), 4), items=8))
    assert [[total for _, total in chunk] for chunk in found] == [[1, 5], [9, 13]]
    for chunk in found:
        assert len({pid for pid, _ in chunk}) == 1  # each outer worker did its own inner chunks
