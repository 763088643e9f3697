"""Making commits: who a commit is by, its message and trailers, and the commands that record it.

The store (:mod:`caseflow.core.store`) decides what to write and when; these functions only
turn that into git's staging, tree, commit and ref updates. Each raises
:class:`~caseflow.core.git.runner.GitFailed` with git's reason when git refuses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from caseflow.core.git.runner import GitFailed, git

#: A merge conflict's opening or closing line (a line of seven "=" alone can be a Markdown heading).
CONFLICT_MARKER = re.compile(rb"^(<{7}|>{7})(?: |\r?$)", re.M)


@dataclass(frozen=True)
class Author:
    """Who a commit is by: the acting member of staff."""

    name: str
    email: str
    #: The private key file this person signs with (git's SSH signing), or None: unsigned.
    signing_key: str | None = None
    #: Their staff id (the access record commits a person's entries only as that person).
    staff_id: str | None = None

    def env(self) -> dict[str, str]:
        """git's environment for a commit by this person; with a key, ``git commit`` and
        ``git merge`` sign (``commit-tree`` needs :attr:`sign_args` as well)."""
        env = {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }
        if self.signing_key:
            settings = {"gpg.format": "ssh", "user.signingKey": self.signing_key, "commit.gpgSign": "true"}
            env["GIT_CONFIG_COUNT"] = str(len(settings))
            for number, (key, value) in enumerate(settings.items()):
                env[f"GIT_CONFIG_KEY_{number}"] = key
                env[f"GIT_CONFIG_VALUE_{number}"] = value
        return env

    @property
    def sign_args(self) -> list[str]:
        """``commit-tree``'s own switch to sign (it ignores ``commit.gpgSign``)."""
        return ["-S"] if self.signing_key else []


def commit_message(action: str, client: str | None, details: Mapping[str, str] | None = None) -> str:
    """Subject and trailers; only ids, codes and the action, never a person's name.

    ``details`` become more trailers (``Caseflow-Stage: planning -> active``) for the timeline.
    """
    subject = f"{action} {client}" if client else action
    trailers = []
    if client:
        trailers.append(f"Caseflow-Client: {client}")
    trailers.append(f"Caseflow-Action: {action}")
    trailers.extend(f"Caseflow-{key}: {value}" for key, value in (details or {}).items())
    return f"{subject}\n\n" + "\n".join(trailers) + "\n"


def stage(root: Path, paths: Sequence[str]) -> None:
    """``git add -A`` of exactly these paths (a removed file's removal included)."""
    git(root, "add", "-A", "--", *paths, literal=True)


def commit_paths(root: Path, message: str, paths: Sequence[str], env: Mapping[str, str]) -> None:
    """``git commit`` of these paths only, hooks and signing as the clone is configured."""
    git(root, "commit", "-q", "-m", message, "--", *paths, env=env, literal=True)


def commit_index(root: Path, parent: str, message: str, env: Mapping[str, str], sign_args: Sequence[str] = ()) -> str:
    """What ``git commit`` does, without re-reading the working tree and rewriting the index
    twice (a third of a write's time on a large caseload): write-tree, commit-tree, then HEAD
    moves from ``parent`` only (compare-and-swap). Only valid when :func:`commits_plainly`."""
    tree = write_tree(root)
    commit = commit_tree(root, tree, parent, message, env, sign_args)
    move_head_from(root, parent, commit, message)
    return commit


def write_tree(root: Path) -> str:
    """The index as a tree object."""
    return git(root, "write-tree").strip()


def commit_tree(
    root: Path, tree: str, parent: str, message: str, env: Mapping[str, str], sign_args: Sequence[str] = ()
) -> str:
    """A commit object of ``tree`` on ``parent`` (signed with ``sign_args``); HEAD does not move."""
    return git(root, "commit-tree", *sign_args, tree, "-p", parent, env=env, stdin=message).strip()


def move_head_from(root: Path, parent: str, commit: str, message: str) -> None:
    """HEAD from ``parent`` (only from it: compare-and-swap) to ``commit``, with a reflog entry."""
    git(root, "update-ref", "-m", f"commit: {message.splitlines()[0]}", "HEAD", commit, parent)


def parent_and_message(root: Path, commit: str) -> tuple[str, str] | None:
    """A commit's first parent and its message (None if git does not know the commit)."""
    try:
        parents, body = git(root, "log", "-1", "--format=%P%x00%B", commit).split("\x00", 1)
    except (GitFailed, ValueError):
        return None
    return (parents.split() or [""])[0], body


def commits_plainly(root: Path, git_dir: Path, nothing_staged: bool | None = None) -> bool:
    """Would ``git commit`` do no more than :func:`commit_index`? Only when nothing else is
    staged (it would be committed too), no commit hooks run (plumbing runs none) and no
    signing is asked for. ``nothing_staged``: already known from the index as it is now (else
    git is asked)."""
    if nothing_staged is None:
        try:
            git(root, "diff", "--cached", "--quiet")
        except GitFailed:
            return False  # something is staged, or git could not tell
    elif not nothing_staged:
        return False
    try:
        settings = git(root, "config", "--get-regexp", r"^(core\.hookspath|commit\.gpgsign)$")
    except GitFailed:
        settings = ""  # exit 1: neither is set
    if settings.strip():
        return False
    hooks = git_dir / "hooks"
    return not any(
        os.access(hooks / name, os.X_OK) for name in ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit")
    )


def move_head(root: Path, commit: str) -> None:
    """Point HEAD at ``commit`` again (undoing a commit that must not stand)."""
    git(root, "update-ref", "HEAD", commit)


def unstage(root: Path, paths: Sequence[str]) -> None:
    """``git reset -- paths``: the index holds HEAD's version of them again."""
    git(root, "reset", "-q", "--", *paths, literal=True)
