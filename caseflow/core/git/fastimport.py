"""A whole back-dated history in one git process: ``git fast-import``.

For building a repository from known content (the demo's year of casework: thousands of commits,
each one person's action on its day), one ``git fast-import`` writes every commit in a second,
where a commit apiece through the working tree would take minutes. The commits are plain
commits like any other (author, dates, message with caseflow's trailers); only the working tree
and git's index are set to the new tip afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from caseflow.core.git.runner import git


@dataclass(frozen=True)
class NewCommit:
    """One commit to write: its author (also its committer), when, its message and its files."""

    name: str
    email: str
    at: dt.datetime
    message: str
    files: Mapping[str, bytes | None]  # None: remove the file


def append_commits(root: Path, commits: Iterable[NewCommit]) -> str | None:
    """Write ``commits`` on top of the checked-out branch (in order, each the parent of the next),
    then check the new tip out (index and working tree). The branch's new tip, or None if none."""
    branch = git(root, "symbolic-ref", "HEAD").strip()
    parent = git(root, "rev-parse", "HEAD").strip()
    chunks: list[bytes] = []
    written = 0
    for commit in commits:
        written += 1
        message = commit.message.encode("utf-8")
        who = f"{commit.name} <{commit.email}> {int(commit.at.timestamp())} +0000".encode()
        chunks += [
            f"commit {branch}\n".encode(),
            b"author " + who + b"\n",
            b"committer " + who + b"\n",
            f"data {len(message)}\n".encode(),
            message,
            b"\n",
        ]
        if written == 1:
            chunks.append(f"from {parent}\n".encode())
        for path, data in sorted(commit.files.items()):
            if data is None:
                chunks.append(f"D {path}\n".encode())
            else:
                chunks += [f"M 100644 inline {path}\n".encode(), f"data {len(data)}\n".encode(), data, b"\n"]
        chunks.append(b"\n")
    if not written:
        return None
    git(root, "fast-import", "--quiet", "--date-format=raw", stdin=b"".join(chunks))
    git(root, "reset", "-q", "--hard", "HEAD")
    return git(root, "rev-parse", "HEAD").strip()
