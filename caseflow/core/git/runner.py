"""Running git: one command, or several at once, with git's own reason when one fails.

Plain processes: GitPython's import alone costs a tenth of a second, more than most of what
caseflow asks git. (GitPython stays for what it does well: :mod:`caseflow.core.store` uses it to
set up a repository.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from caseflow.errors import StoreError


def git_config_value(root: Path | None, key: str) -> str | None:
    """A git setting (``user.email``) as git itself resolves it, or None."""
    try:
        return git(root, "config", "--get", key).strip() or None
    except (GitFailed, OSError):
        return None


class GitFailed(Exception):
    """A git command exited non-zero; ``reason`` is the last line it printed on stderr."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def git(root: Path | None, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None) -> str:
    """Run one git command and return its output (GitFailed with git's reason if it fails)."""
    import subprocess

    done = subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **env} if env else None,
        input=stdin.encode("utf-8") if stdin is not None else None,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise GitFailed(reason_of(done.stderr.decode("utf-8", "replace")) or f"git {args[0]} exited {done.returncode}")
    return done.stdout.decode("utf-8", "surrogateescape")


def reason_of(stderr: str) -> str:
    """git's own one-line reason: its first ``fatal:``/``error:`` line, else its last line ("" if none)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1] if lines else "")


def head(root: Path) -> str | None:
    try:
        return git(root, "rev-parse", "--verify", "-q", "HEAD").strip() or None
    except GitFailed:
        return None  # no commit yet


def run_concurrently(root: Path, *commands: list[str], optional_locks: bool = False) -> list[str]:
    """Outputs of several read-only git commands started together (a StoreError if one fails)."""
    import subprocess

    base = ["git", "-c", "core.quotePath=false"] + ([] if optional_locks else ["--no-optional-locks"])
    running = [
        subprocess.Popen([*base, *c], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for c in commands
    ]
    outputs = []
    for process in running:
        out, err = process.communicate()
        if process.returncode != 0:
            reason = reason_of(err.decode("utf-8", "replace")) or "no reason given"
            raise StoreError(f"git could not list the case files ({reason})")
        outputs.append(out.decode("utf-8", "surrogateescape"))
    return outputs
