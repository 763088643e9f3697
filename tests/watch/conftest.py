"""The watch tests' fixtures: a case repository with one client, and running watches stopped after."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.samples import CLIENT_YAML
from tests.watch.helpers import NOTE, RECORD, Watch, note


@pytest.fixture
def repo(case_repo: Callable[..., Path]) -> Path:
    path = case_repo({RECORD: CLIENT_YAML, NOTE: note("# Contact note\n")})
    (path / NOTE).parent.mkdir(exist_ok=True)
    return path


@pytest.fixture
def start_watch(repo: Path) -> Iterator[Callable[..., Watch]]:
    running: list[Watch] = []

    def start(*args: str, own_group: bool = False, env: Mapping[str, str] | None = None) -> Watch:
        running.append(Watch(repo, *args, own_group=own_group, env=env))
        return running[-1]

    yield start
    for watch in running:
        watch.close()
