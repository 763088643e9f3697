"""Running caseflow and git for the tests: :func:`invoke` (the command in this process),
:func:`run` (the real command in a subprocess), :func:`git`, and what a command did (:class:`Result`)."""

from __future__ import annotations

import contextlib
import gc
import os
import subprocess
import sys
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caseflow.core.git.runner import git as run_git
from caseflow.core.git.runner import head as run_head
from caseflow.testing.plugins import _today_env, installed_plugins

_GIT_ENV = {
    # A developer's own git settings (commit signing, hooks paths, identity) stay out of tests.
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Test Setup",
    "GIT_AUTHOR_EMAIL": "setup@caseflow.invalid",
    "GIT_COMMITTER_NAME": "Test Setup",
    "GIT_COMMITTER_EMAIL": "setup@caseflow.invalid",
}


def git(path: Path, *args: str) -> str:
    """Run git in ``path`` and return its output (for assertions about history and status);
    :class:`caseflow.core.git.runner.GitFailed` with git's reason if it fails."""
    return run_git(path, *args, env=_GIT_ENV)


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
