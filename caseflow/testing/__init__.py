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
import gc
import os
import shutil
import subprocess
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from caseflow.core.git.runner import git as run_git
from caseflow.core.git.runner import head as run_head
from caseflow.testing.clients import make_client
from caseflow.testing.plugins import (
    ONLY_BUILTIN_PLUGINS,
    Recorder,
    _today_env,
    installed_plugins,
    registered_plugin,
)

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
    """What a ``caseflow`` command did (in a subprocess or in process)."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    #: The commits the command made in the repository it was given (``--repo``), oldest first.
    commits: list[Commit] = field(default_factory=list)

    def assert_success(self) -> Result:
        assert self.exit_code == 0, f"caseflow {' '.join(self.args)} exited {self.exit_code}:\n{self.stderr}"
        return self

    def assert_refused(self, code: int | str = 1) -> Result:
        """Exit ``code`` (1: refused; 2: a usage error), or exit 1 with this text in what was printed."""
        expected, said = (1, code) if isinstance(code, str) else (code, None)
        output = f"{self.stdout}\n{self.stderr}"
        assert self.exit_code == expected, f"expected exit {expected}, got {self.exit_code}:\n{output}"
        assert said is None or said in output, f"expected {said!r} in what caseflow said:\n{output}"
        return self

    def assert_commits(self, count: int) -> Result:
        """The command made exactly ``count`` commits."""
        assert len(self.commits) == count, f"expected {count} commits, got {[c.subject for c in self.commits]}"
        return self


@dataclass(frozen=True)
class Commit:
    """One commit a command made: its id, first line and author's email."""

    sha: str
    subject: str
    author: str


def _head(repo: Path | None) -> str | None:
    if repo is None or not (repo / ".git").exists():
        return None
    try:
        return run_head(repo)  # (from git's files where they name it: a command is run twice as often)
    except Exception:  # not a repository: nothing to compare against
        return None


def _commits_since(repo: Path | None, before: str | None) -> list[Commit]:
    if repo is None or not (repo / ".git").exists():
        return []
    after = _head(repo)
    if after is None or after == before:
        return []
    span = f"{before}..{after}" if before else after
    lines = git(repo, "log", "--reverse", "--format=%H%x00%s%x00%ae", span).splitlines()
    return [Commit(*line.split("\0")) for line in lines if line]


def _repo_argument(args: list[str], cwd: Path | None) -> Path | None:
    for index, arg in enumerate(args[:-1]):
        if arg == "--repo":
            return Path(args[index + 1])
    for arg in args:
        if arg.startswith("--repo="):
            return Path(arg.removeprefix("--repo="))
    return cwd


def run(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    today: str | None = None,
) -> Result:
    """Run ``caseflow`` (this interpreter's) in a subprocess; ``today`` fixes the date (``CASEFLOW_TODAY``)."""
    argv = [str(arg) for arg in args]
    command = [sys.executable, "-m", "caseflow", *argv]
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    full_env = {**inherited, **_GIT_ENV, "NO_COLOR": "1", **_today_env(today), **(env or {})}
    repo = _repo_argument(argv, cwd)
    before = _head(repo)
    done = subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, input=input, timeout=120)
    return Result(tuple(argv), done.returncode, done.stdout, done.stderr, _commits_since(repo, before))


def invoke(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    today: str | None = None,
    plugins: Mapping[str, object] | None = None,
) -> Result:
    """Run ``caseflow`` in this process, as :func:`run` would in a subprocess.

    The command goes through :func:`caseflow.cli.main` (start-up plugins from the arguments, errors
    turned into exit codes) under click's test runner, with the same environment :func:`run` gives:
    no inherited ``CASEFLOW_*`` variables, the test git identity, ``NO_COLOR``. Standard output and
    standard error stay apart, as do those of the processes the command starts (captured at the file
    descriptor). A bug's traceback lands on standard error with exit code 1, as Python would print
    it. The working directory and the environment are restored afterwards.

    ``today`` fixes the date (``CASEFLOW_TODAY``). ``plugins`` (name to module or object) are
    loaded as if pip-installed under those names, and no installed plugin is (see
    :func:`installed_plugins`). ``result.commits`` are the commits made in the ``--repo`` given.
    """
    from caseflow.cli import main

    argv = [str(arg) for arg in args]
    overrides: dict[str, str | None] = {name: None for name in os.environ if name.startswith("CASEFLOW_")}
    overrides.update({**_GIT_ENV, "NO_COLOR": "1", **_today_env(today), **(env or {})})
    runner = _runner()
    exit_code = 0
    before = os.getcwd()
    repo = _repo_argument(argv, cwd)
    head = _head(repo)
    with contextlib.ExitStack() as stack:
        if plugins is not None:
            stack.enter_context(installed_plugins(plugins))
        captured = stack.enter_context(_FdCapture()) if sys.platform != "win32" else None
        streams = stack.enter_context(runner.isolation(input=input, env=overrides))
        # A process left unwaited on an error path is quietly reaped when a real ``caseflow`` exits;
        # here it would be reported later, in whichever test happened to be running.
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore", ResourceWarning)
        # What the command leaves is collected on an error path (below); what was there before it is
        # set aside meanwhile, so that the collection looks at the command's objects alone (a
        # whole collection of a test process's heap costs tens of milliseconds, per refusal).
        gc.freeze()
        stack.callback(gc.unfreeze)
        try:
            if cwd is not None:
                os.chdir(cwd)
            main(argv)
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                exit_code = exc.code or 0
            else:  # sys.exit("message"): Python prints it to standard error
                print(exc.code, file=sys.stderr)
                exit_code = 1
        except Exception:  # a bug: the interpreter would print the traceback and exit 1
            traceback.print_exc()
            exit_code = 1
        finally:
            os.chdir(before)
            if exit_code:
                gc.collect()
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = streams[0].getvalue(), streams[1].getvalue()
    if captured is not None:
        stdout, stderr = stdout + captured.stdout, stderr + captured.stderr
    return Result(tuple(argv), exit_code, _text(stdout), _text(stderr), _commits_since(repo, head))


def _runner() -> Any:
    from click.testing import CliRunner

    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 keeps standard error apart


def _text(data: bytes) -> str:
    # As ``subprocess.run(text=True)`` reads it: universal newlines.
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


class _FdCapture:
    """What child processes (git, an editor) write to the inherited descriptors 1 and 2."""

    def __enter__(self) -> _FdCapture:
        import tempfile

        sys.stdout.flush()
        sys.stderr.flush()
        self._files = [tempfile.TemporaryFile(), tempfile.TemporaryFile()]
        self._saved = [os.dup(1), os.dup(2)]
        for fd, file in zip((1, 2), self._files, strict=True):
            os.dup2(file.fileno(), fd)
        return self

    def __exit__(self, *exc: object) -> None:
        for fd, saved in zip((1, 2), self._saved, strict=True):
            os.dup2(saved, fd)
            os.close(saved)
        out, err = self._files
        for file in self._files:
            file.seek(0)
        self.stdout, self.stderr = out.read(), err.read()
        for file in self._files:
            file.close()


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
