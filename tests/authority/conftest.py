"""Fixtures of the authority tests: a copy of the demo, and caseflow run on it on its morning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.testing import Result

ENV = {"CASEFLOW_TODAY": "2026-11-20"}


@pytest.fixture
def repo(demo_repo: Callable[..., Path]) -> Path:
    return demo_repo()


@pytest.fixture
def cf(invoke_caseflow: Callable[..., Result], repo: Path) -> Callable[..., Result]:
    """``caseflow --repo REPO ...`` in process, on the demo's morning (``env`` adds variables)."""

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return invoke_caseflow("--repo", str(repo), *args, env={**ENV, **(env or {})})

    return run
