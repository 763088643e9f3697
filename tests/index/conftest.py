"""Fixtures of the index tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.agency.demo import example_dir
from caseflow.testing import git


@pytest.fixture
def agency(case_repo: Callable[..., Path]) -> Path:
    """The demo agency's four clients (and its own form), committed."""
    path = case_repo()
    shutil.copytree(example_dir() / "clients", path / "clients")
    shutil.copytree(example_dir() / "forms", path / "forms")  # the agency's own form one client uses
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "clients")
    return path
