"""An opt-in pytest plugin for plugin authors (and caseflow's own tests).

Enable it in a ``conftest.py`` with ``pytest_plugins = ["caseflow.testing"]``. It gives:

* ``case_repo`` — a factory: ``case_repo({"clients/C-7K2M9Q/plan.yaml": "..."})`` returns the path
  of a real git case repository in ``tmp_path`` with three staff (``casey``, ``robin``: case
  managers; ``sam``: supervisor) and the given extra files committed;
* ``run_caseflow`` — runs the real ``caseflow`` command in a subprocess:
  ``run_caseflow("--repo", path, "validate").assert_success()``;
* :func:`registered_plugin` — open a repository with extra plugin objects registered;
* :class:`Recorder` — a spy plugin that records every lifecycle hook call.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from caseflow.core.git.runner import git as run_git
from caseflow.hookspecs import hookimpl

if TYPE_CHECKING:
    from caseflow.core.case import CaseView
    from caseflow.core.events import SavedDocument, StageChange

STAFF = (
    ("casey", "Casey Rivera", "casey@riverbend.example", "case_manager"),
    ("robin", "Robin Okafor", "robin@riverbend.example", "case_manager"),
    ("sam", "Sam Whitfield", "sam@riverbend.example", "supervisor"),
)

#: An environment that loads only caseflow's built-in plugins (no installed agency plugins).
ONLY_BUILTIN_PLUGINS = {"CASEFLOW_PLUGINS": ""}

_GIT_ENV = {
    # A developer's own git settings (commit signing, hooks paths, identity) stay out of tests.
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Test Setup",
    "GIT_AUTHOR_EMAIL": "setup@caseflow.invalid",
    "GIT_COMMITTER_NAME": "Test Setup",
    "GIT_COMMITTER_EMAIL": "setup@caseflow.invalid",
}


def build_case_repo(path: Path) -> Path:
    """A fresh case repository with the standard test staff, made through the public API."""
    from caseflow.agency.init import init_repository
    from caseflow.repo import open_repo

    init_repository(path, agency="Test Agency")
    supervisor_first = sorted(STAFF, key=lambda member: member[3] != "supervisor")
    for staff_id, name, email, role in supervisor_first:
        repo = open_repo(path, environ={})
        # The first member is added by whoever sets the repository up; the rest by the supervisor.
        repo.agency.add_staff(repo.config.staff_member("sam"), staff_id=staff_id, name=name, email=email, role=role)
    return path


def git(path: Path, *args: str) -> str:
    """Run git in ``path`` and return its output (for assertions about history and status);
    :class:`caseflow.core.git.runner.GitFailed` with git's reason if it fails."""
    return run_git(path, *args, env=_GIT_ENV)


def commit_files(path: Path, files: Mapping[str, str | bytes], message: str = "test fixture") -> None:
    """Write and commit files with plain git (fixtures that caseflow itself would refuse)."""
    for rel, content in files.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    run_git(path, "add", "-A", "--", *files, env=_GIT_ENV, literal=True)  # a file named like a glob is that file
    git(path, "commit", "-q", "-m", message)


@dataclass
class Result:
    """What a ``caseflow`` subprocess did."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str

    def assert_success(self) -> Result:
        assert self.exit_code == 0, f"caseflow {' '.join(self.args)} exited {self.exit_code}:\n{self.stderr}"
        return self

    def assert_refused(self, code: int = 1) -> Result:
        assert self.exit_code == code, f"expected exit {code}, got {self.exit_code}:\n{self.stdout}\n{self.stderr}"
        return self


def run(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None, input: str | None = None
) -> Result:
    """Run ``caseflow`` (this interpreter's) in a subprocess."""
    command = [sys.executable, "-m", "caseflow", *map(str, args)]
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    full_env = {**inherited, **_GIT_ENV, "NO_COLOR": "1", **(env or {})}
    done = subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, input=input, timeout=120)
    return Result(tuple(map(str, args)), done.returncode, done.stdout, done.stderr)


def _make_hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the developer's git settings nor their CASEFLOW_* variables reach a test."""
    for name, value in _GIT_ENV.items():
        if name.startswith("GIT_CONFIG"):
            monkeypatch.setenv(name, value)
    for name in [n for n in os.environ if n.startswith("CASEFLOW_")]:
        monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    _make_hermetic(monkeypatch)


@pytest.fixture(scope="session")
def _template_case_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _make_hermetic(monkeypatch)
        return build_case_repo(tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture
def case_repo(_template_case_repo: Path, tmp_path: Path) -> Callable[..., Path]:
    """Factory for a copy of the template repository, plus extra committed files."""

    def make(files: Mapping[str, str | bytes] | None = None, name: str = "cases") -> Path:
        target = tmp_path / name
        shutil.copytree(_template_case_repo, target, symlinks=True)
        if files:
            commit_files(target, files)
        return target

    return make


@pytest.fixture
def run_caseflow() -> Callable[..., Result]:
    return run


@dataclass(eq=False)  # plugins are registered by identity, so they must stay hashable
class Recorder:
    """A spy plugin: register it and read ``calls`` to see which lifecycle hooks fired."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    @hookimpl
    def after_document_saved(self, saved: SavedDocument) -> None:
        self.calls.append(("after_document_saved", saved))

    @hookimpl
    def before_stage_change(self, case: CaseView, source: str, target: str) -> None:
        self.calls.append(("before_stage_change", (case.client_id, source, target)))

    @hookimpl
    def after_stage_change(self, change: StageChange) -> None:
        self.calls.append(("after_stage_change", change))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def registered_plugin(path: Path, *plugins: object) -> Any:
    """Open the repository at ``path`` with extra plugin objects registered (a ``CaseRepo``)."""
    from caseflow.repo import open_repo

    return open_repo(path, environ={}, plugins=plugins)
