"""Running git: the one place a git process is started.

Plain processes, not GitPython: its import alone costs a tenth of a second, more than most of what
caseflow asks git. Every call has a timeout (a hung credential helper or a stuck lock must not
hang a command for ever), and git's own error text becomes a one-line reason.

Ctrl-C: by default git runs in caseflow's process group, so a terminal's Ctrl-C reaches both and
a SIG_IGN set around a commit (:func:`caseflow.core.store._uninterruptible`) is inherited by git.
``own_group=True`` starts git in its own process group instead: for work done while Python holds
the signals with a handler (:mod:`caseflow.core.git.plumbing`), which git would not inherit.

Paths: ``literal=True`` (``--literal-pathspecs``) makes git take every path as a file name, so a
file named ``clients/C-ABC123/*.yaml`` means that file and not a glob. The typed operations pass
it wherever they pass paths.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from caseflow.errors import StoreError

#: Seconds any git command may take unless its caller says otherwise (a push over a slow link
#: included); local reads take milliseconds, so only something stuck ever reaches it.
DEFAULT_TIMEOUT = 600.0


class GitFailed(Exception):
    """A git command exited non-zero (or timed out); ``reason`` is git's own one-line reason."""

    def __init__(self, reason: str, code: int = 1, output: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.output = output


def reason_of(stderr: str) -> str:
    """git's own one-line reason: its first ``fatal:``/``error:`` line, else its last line ("" if none)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1] if lines else "")


@dataclass(frozen=True)
class Finished:
    """What one git process did: exit code, and its raw output."""

    code: int
    stdout: bytes
    stderr: bytes

    @property
    def reason(self) -> str:
        """git's one-line reason for failing ("" if it said nothing)."""
        return reason_of(self.stderr.decode("utf-8", "replace"))

    @property
    def text(self) -> str:
        """stdout as text; undecodable bytes (a file name in another encoding) survive a round trip."""
        return self.stdout.decode("utf-8", "surrogateescape")


def run(
    root: Path | None,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    literal: bool = False,
    own_group: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Finished:
    """Run one git command and say how it went; never raises for a non-zero exit.

    A timeout is reported as exit code 124 (as coreutils' ``timeout`` does) with a reason saying so.
    """
    import subprocess  # not at the top: `caseflow --help` imports the store but starts no git

    command = ["git", "--literal-pathspecs", *args] if literal else ["git", *args]
    try:
        done = subprocess.run(
            command,
            cwd=root,
            env={**os.environ, **env} if env else None,
            input=stdin,
            capture_output=True,
            check=False,
            timeout=timeout,
            process_group=0 if own_group else None,
        )
    except subprocess.TimeoutExpired:
        return Finished(124, b"", f"fatal: git {args[0]} took longer than {timeout:g} s".encode())
    return Finished(done.returncode, done.stdout, done.stderr)


def git(
    root: Path | None,
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: str | bytes | None = None,
    literal: bool = False,
    own_group: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> str:
    """Run one git command and return its output (GitFailed with git's reason if it fails)."""
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    done = run(root, *args, env=env, stdin=data, literal=literal, own_group=own_group, timeout=timeout)
    if done.code != 0:
        raise GitFailed(done.reason or f"git {args[0]} exited {done.code}", done.code)
    return done.text


def query(root: Path, *args: str, literal: bool = False) -> str:
    """Output of a git command in a case repository; a StoreError if it fails
    (or if ``root`` is no git repository at all, said in caseflow's words)."""
    require_repository(root)
    try:
        return git(root, *args, literal=literal)
    except GitFailed as exc:
        raise StoreError(f"git {args[0]} failed ({exc.reason})") from None


def succeeds(root: Path | None, *args: str, literal: bool = False) -> bool:
    """Did the git command exit 0? (For questions git answers with its exit code.)"""
    return run(root, *args, literal=literal).code == 0


def require_repository(root: Path) -> None:
    """A StoreError unless ``root`` is a git repository's top folder.

    The common case costs one ``stat``. Otherwise GitPython decides (a bare repository counts),
    as it always has: this is the error path, where its import time does not matter.
    """
    if (root / ".git").exists():
        return
    import git as gitpython

    try:
        gitpython.Repo(root).close()
    except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
        raise StoreError(f"{root} is not a git repository; case repositories are made with `caseflow init`") from None


def run_concurrently(root: Path, *commands: list[str], optional_locks: bool = False) -> list[str]:
    """Outputs of several read-only git commands started together (a StoreError if one fails).

    The only use of Popen: the point is that the processes overlap. Each command is given its
    own arguments after git's global options.
    """
    import subprocess

    from caseflow.core.git.commandline import git_with

    base = git_with(optional_locks)
    running = [
        subprocess.Popen([*base, *c], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in commands
    ]
    outputs = []
    failed: str | None = None
    for process in running:  # (every one waited for, a failure or not: none is left running)
        try:
            out, err = process.communicate(timeout=DEFAULT_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            err = b"fatal: git took too long to list the case files"
        if process.returncode != 0 and failed is None:
            failed = reason_of(err.decode("utf-8", "replace")) or "no reason given"
        outputs.append(out.decode("utf-8", "surrogateescape"))
    if failed is not None:
        raise StoreError(f"git could not list the case files ({failed})")
    return outputs


def head(root: Path) -> str | None:
    """The commit HEAD names (None before the first commit): from git's files where they name it
    plainly (:func:`caseflow.core.git.headfile.head_commit`), else from git."""
    from caseflow.core.git.headfile import head_commit

    named = head_commit(root)
    if named is not None:
        return named
    try:
        return git(root, "rev-parse", "--verify", "-q", "HEAD").strip() or None
    except GitFailed:
        return None  # no commit yet
