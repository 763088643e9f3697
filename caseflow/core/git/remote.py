"""Talking to a shared remote: clone, fetch, merge what came in, push (never forced).

Only safe transports are allowed (no ``ext::`` helpers, which run commands, nor ``fd::``), and
git never prompts: a command waiting for a password would hang a sync. A failure's reason is
the last line git printed (its own summary of what went wrong, on stdout or stderr).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from caseflow.core.git.runner import GitFailed, query, run

#: Transports git may use for caseflow's clones and syncs: never ext:: (runs commands) or fd::.
SAFE_TRANSPORTS = {"GIT_ALLOW_PROTOCOL": "file:https:ssh", "GIT_TERMINAL_PROMPT": "0"}
#: What git prints when transfer.fsckObjects refuses an object (``error: object <id>: badDate: ...``).
_DAMAGED = re.compile(r"^error: object (?P<object>[0-9a-f]{40,64}): (?P<why>.+)$", re.MULTILINE)


def clone(url: str, destination: Path, cwd: Path) -> None:
    """Clone ``url`` into ``destination`` (GitFailed with git's last line if it cannot), with
    :data:`~caseflow.core.git.repository.DURABLE_SETTINGS` in its config from the start: the
    objects it fetches are checked, and written to the disk before the clone is done."""
    from caseflow.core.git.repository import durable_clone_options

    try:
        _remote(cwd, "clone", "--quiet", *durable_clone_options(), "--", url, str(destination))
    except GitFailed as exc:
        damaged = _DAMAGED.search(exc.output)
        if damaged is None:
            raise
        what = f"{damaged['object'][:12]}: {damaged['why'].strip()}"
        raise GitFailed(
            f"the remote holds a damaged object ({what}); nothing was cloned", exc.code, exc.output
        ) from None


def fetch(root: Path, remote: str, *refspecs: str) -> None:
    """Fetch ``remote``'s branches as configured, or only these refspecs (``src:dst``; without
    ``+``, a remote ref that was rewritten is refused rather than taken)."""
    only = ["--no-tags", remote, *refspecs] if refspecs else [remote]  # tags come with the branches
    _remote(root, "fetch", "--quiet", *only)


def push(root: Path, remote: str, refspec: str) -> None:
    """Push without ``--force``: a remote that moved on refuses, and nothing is lost."""
    if refspec.startswith("+"):  # "+src:dst" forces just that ref: never
        raise ValueError(f"caseflow never forces a push ({refspec})")
    _remote(root, "push", "--quiet", remote, refspec)


def merge(root: Path, ref: str, message: str, env: Mapping[str, str]) -> str | None:
    """Merge ``ref`` into HEAD, stopping before the merge commit (:func:`commit_merge` makes it, by
    ``env``'s author: a step of its own, so that an interrupted sync knows whether it was made);
    a fast-forward just moves HEAD. None if git merged, else its last line. A conflict leaves the
    merge in progress for a person to settle."""
    try:
        _remote(root, "merge", "--no-commit", "--no-edit", "--cleanup=strip", "-m", message, ref, env=env)
    except GitFailed as exc:
        return exc.reason
    return None


def commit_merge(root: Path, env: Mapping[str, str]) -> None:
    """Commit a merge whose conflicts are settled and staged, with git's own message."""
    _remote(root, "commit", "--quiet", "--no-edit", "--cleanup=strip", env=env)


def remotes(root: Path) -> list[str]:
    return query(root, "remote").split()


def remote_urls(root: Path, remote: str) -> set[str]:
    """The URLs ``remote`` fetches from and pushes to (a hand-set push URL may differ)."""
    return {
        query(root, "remote", "get-url", remote).strip(),
        query(root, "remote", "get-url", "--push", remote).strip(),
    }


def _remote(root: Path, *args: str, env: Mapping[str, str] | None = None) -> None:
    done = run(root, *args, env={**SAFE_TRANSPORTS, **(env or {})})
    if done.code != 0:
        output = (done.stdout + done.stderr).decode("utf-8", "replace")
        lines = [line for line in output.strip().splitlines() if line.strip()]
        raise GitFailed(lines[-1] if lines else "no reason given", done.code, output)
