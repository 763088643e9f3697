"""Step matrices of the fault tests: every step is tested, some only in the slow suite, so that
``make test`` stays within its time while ``make test-all`` kills at every step."""

from __future__ import annotations

from collections.abc import Iterable

import pytest


def steps(all_steps: Iterable[str], fast: Iterable[str]) -> list[object]:
    """``all_steps`` as test parameters, those not in ``fast`` marked slow."""
    quick = set(fast)
    return [pytest.param(step, marks=() if step in quick else pytest.mark.slow, id=step) for step in all_steps]
