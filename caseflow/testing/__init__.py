"""An opt-in pytest plugin for plugin authors (and caseflow's own tests).

Enable it in a ``conftest.py`` with ``pytest_plugins = ["caseflow.testing"]``. It gives:

* ``case_repo`` — a factory: ``case_repo({"clients/C-7K2M9Q/plan.yaml": "..."})`` returns the path
  of a real git case repository in ``tmp_path`` with three staff (``casey``, ``robin``: case
  managers; ``sam``: supervisor) and the given extra files committed;
* ``invoke_caseflow`` — runs the ``caseflow`` command in this process through click's test runner
  (fast, and counted by coverage): ``invoke_caseflow("--repo", path, "validate").assert_success()``;
* ``run_caseflow`` — the same, but the real command in a subprocess (for what only a process shows:
  the entry point, signals, git calling caseflow back, several processes at once);
* ``demo_repo`` — a factory for copies of what ``caseflow demo --storied-only`` builds (the four
  storied clients; built once per session: their weeks of history take seconds), or with
  ``caseload=True`` of the whole demo ``make demo`` builds (and its year of 150 more clients);
* :func:`registered_plugin` — open a repository with extra plugin objects registered (and no
  installed plugin unless asked), at a fixed ``today``;
* :func:`installed_plugins` — plugins that are not pip-installed, seen as installed (for
  ``invoke_caseflow(..., plugins={"name": module})`` too);
* :func:`set_plugin_settings` — a plugin's own settings in caseflow.yaml;
* :func:`hermetic` — the tests' clean environment (no developer's git settings or ``CASEFLOW_*``
  variables) for a repository built once per module and copied by each test (:func:`copy_repo`);
* :class:`Recorder` — a spy plugin that records every lifecycle hook call;
* :func:`make_client` — a valid client in a given stage of the default workflow, made through the
  real services (``make_client(repo, stage="planning")``);
* :class:`Result` — what a command did: exit code, output, ``commits``, ``assert_success()``,
  ``assert_refused("reason")``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from caseflow.core.git.runner import git as run_git
from caseflow.testing.clients import make_client
from caseflow.testing.plugins import (
    ONLY_BUILTIN_PLUGINS,
    Recorder,
    installed_plugins,
    registered_plugin,
)
from caseflow.testing.running import _GIT_ENV, Commit, Result, git, invoke, run

__all__ = [
    "ONLY_BUILTIN_PLUGINS",
    "STAFF",
    "Commit",
    "Recorder",
    "Result",
    "build_case_repo",
    "commit_files",
    "copy_repo",
    "git",
    "hermetic",
    "installed_plugins",
    "invoke",
    "make_client",
    "registered_plugin",
    "run",
    "set_plugin_settings",
]

STAFF = (
    ("casey", "Casey Rivera", "casey@riverbend.example", "case_manager"),
    ("robin", "Robin Okafor", "robin@riverbend.example", "case_manager"),
    ("sam", "Sam Whitfield", "sam@riverbend.example", "supervisor"),
)


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


def compact_repo(path: Path) -> Path:
    """Make a template repository cheap to copy and to delete: git's sample hooks go (13 files
    nobody runs) and loose objects are packed into one file. Every copy of a template carries its
    files, and every file is deleted again, so their number is what a test session pays for."""
    for sample in (path / ".git" / "hooks").glob("*.sample"):
        sample.unlink()
    git(path, "repack", "-a", "-d", "-q")
    git(path, "prune-packed", "-q")
    return path


def _register_merge_driver(path: Path) -> None:
    """caseflow's merge driver in the template's git config, as the first command in a clone
    registers it: each copy has it, and no test's first command writes git's config again."""
    from caseflow.core.git.config import register_merge_driver
    from caseflow.sharing.driver import driver_command

    register_merge_driver(path, driver_command())


def commit_files(path: Path, files: Mapping[str, str | bytes], message: str = "test fixture") -> None:
    """Write and commit files with plain git (fixtures that caseflow itself would refuse)."""
    for rel, content in files.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    run_git(path, "add", "-A", "--", *files, env=_GIT_ENV, literal=True)  # a file named like a glob is that file
    git(path, "commit", "-q", "-m", message)


@contextlib.contextmanager
def hermetic() -> Iterator[None]:
    """Neither the developer's git settings nor their CASEFLOW_* variables reach what runs within:
    for a repository built once for a module's tests (``scope="module"``), as each test runs anyway."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _make_hermetic(monkeypatch)
        yield


def _make_hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the developer's git settings nor their CASEFLOW_* variables reach a test."""
    for name, value in _GIT_ENV.items():
        if name.startswith("GIT_CONFIG"):
            monkeypatch.setenv(name, value)
    for name in [n for n in os.environ if n.startswith("CASEFLOW_")]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where caseflow keeps its command catalog during the tests (never the developer's own)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch: pytest.MonkeyPatch, _cache_home: Path) -> None:
    _make_hermetic(monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(_cache_home))


@pytest.fixture(scope="session")
def _template_case_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _make_hermetic(monkeypatch)
        path = compact_repo(build_case_repo(tmp_path_factory.mktemp("template") / "repo"))
        _register_merge_driver(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)  # see _repos_made: now, while it is cheap


_PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test, so fixtures can tell at teardown whether it passed."""
    report = yield
    item.stash.setdefault(_PHASE_REPORTS, {})[report.when] = report
    return report


def _passed(node: pytest.Item) -> bool:
    reports = node.stash.get(_PHASE_REPORTS, {})
    return "call" in reports and all(report.passed for report in reports.values())


@pytest.fixture
def _repos_made(request: pytest.FixtureRequest) -> Iterator[list[Path]]:
    """The repositories a test's factories made: removed when the test passed, kept when it failed.

    Why: a case repository is hundreds of small files (a copy of the whole demo, 4,255), and pytest
    keeps each session's temporary folder, deleting it three sessions later when that session's
    interpreter exits: outside any test's timing. Where removing a file that has reached the disk
    costs milliseconds (online discard, slow metadata) that took 120-133 s for a plugin whose tests
    ran in 4 s (``--basetemp``, emptied at the start instead, took 3.6 s). Files removed while the
    test that wrote them has just passed are still only in the page cache: removing them then is
    cheap. Measured with removals of written-back files made to cost 4 ms, 30 tests: the fourth
    session spent 136 s outside its tests before, 1.3 s after; a session leaves 69 files, not 27,962.
    """
    made: list[Path] = []
    yield made
    if isinstance(request.node, pytest.Item) and _passed(request.node):
        for path in made:
            shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def case_repo(_template_case_repo: Path, tmp_path: Path, _repos_made: list[Path]) -> Callable[..., Path]:
    """Factory for a copy of the template repository, plus extra committed files.

    ``case_repo({"clients/C-7K2M9Q/client.yaml": "..."}, name="cases")``; each call needs its own
    ``name``. The copy is removed after the test if it passed (kept for a look if it failed).
    """

    def make(files: Mapping[str, str | bytes] | None = None, name: str = "cases") -> Path:
        target = copy_repo(_template_case_repo, tmp_path / name)
        _repos_made.append(target)
        if files:
            commit_files(target, files)
        return target

    return make


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Result]]:
    """``caseflow demo --storied-only`` run once per session: the repository and what the command printed.

    The four storied clients without the year of caseload around them: what most tests need, and
    quick to copy. Shared by every test of the session, so never write to it: copy it (``demo_repo``) first.
    """
    yield from _build_demo(tmp_path_factory, "demo-template", "--storied-only")


@pytest.fixture(scope="session")
def demo_caseload_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Result]]:
    """``caseflow demo`` run once per session: the whole demo, its 150 generated clients too (as
    ``make demo`` builds it). Never write to it: copy it (``demo_repo(caseload=True)``) first."""
    yield from _build_demo(tmp_path_factory, "demo-caseload-template")


def _build_demo(tmp_path_factory: pytest.TempPathFactory, folder: str, *options: str) -> Iterator[tuple[Path, Result]]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _make_hermetic(monkeypatch)
        path = tmp_path_factory.mktemp(folder) / "caseflow-demo"
        result = invoke("demo", path, *options).assert_success()
    yield compact_repo(path), result
    shutil.rmtree(path, ignore_errors=True)  # see _repos_made


def copy_repo(source: Path, target: Path) -> Path:
    """A copy of a case repository (working tree, git's history and index, caseflow's caches)."""
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture
def demo_repo(request: pytest.FixtureRequest, tmp_path: Path, _repos_made: list[Path]) -> Callable[..., Path]:
    """Factory for a copy of the demo repository in ``tmp_path`` (``demo_repo(name="caseflow-demo")``):
    its storied clients only, or with ``caseload=True`` the whole demo (built on first use).
    The copy is removed after the test if it passed."""

    def make(name: str = "caseflow-demo", caseload: bool = False) -> Path:
        template = request.getfixturevalue("demo_caseload_template" if caseload else "demo_template")
        _repos_made.append(tmp_path / name)
        return copy_repo(template[0], tmp_path / name)

    return make


@pytest.fixture
def run_caseflow() -> Callable[..., Result]:
    """The real ``caseflow`` command in a subprocess (see :func:`run`)."""
    return run


@pytest.fixture
def invoke_caseflow() -> Callable[..., Result]:
    """The ``caseflow`` command in this process (see :func:`invoke`)."""
    return invoke


@pytest.fixture
def recorder() -> Recorder:
    """A fresh :class:`Recorder`."""
    return Recorder()


def set_plugin_settings(path: Path, name: str, settings: Mapping[str, Any]) -> None:
    """Commit ``plugins.config.<name>`` in the repository's caseflow.yaml (a plugin's own settings,
    handed to its ``configure`` hook when the repository is opened)."""
    from caseflow.core.documents import load_document
    from caseflow.core.documents.edits import add_field, new_mapping

    document = load_document("caseflow.yaml", (path / "caseflow.yaml").read_bytes())
    data = document.data
    if not isinstance(data.get("plugins"), dict):
        add_field(data, "plugins", new_mapping())
    if not isinstance(data["plugins"].get("config"), dict):
        add_field(data["plugins"], "config", new_mapping())
    data["plugins"]["config"][name] = new_mapping(dict(settings))
    commit_files(path, {"caseflow.yaml": document.to_bytes()}, message=f"settings of plugin {name}")
