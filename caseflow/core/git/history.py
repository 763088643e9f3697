"""Reading history: who last changed a file, every file's last change in one walk, and a
folder's commits with their caseflow trailers.

One ``git log`` over many paths costs about as much as a few single-path ones, so the functions
that answer for many files walk the history once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from caseflow.core.git.runner import query, succeeds

_FIELD, _RECORD = "\x1f", "\x1e"


def last_change(root: Path, path: str) -> tuple[str, str, str] | None:
    """(commit, author email, ISO date) of the last commit that changed ``path``."""
    out = query(root, "log", "-1", "--format=%H%x00%ae%x00%aI", "--", path, literal=True).strip()
    return tuple(out.split("\0")) if out else None  # type: ignore[return-value]


def last_author_email(root: Path, path: str, rev: str = "HEAD") -> str | None:
    """Email of whoever made the last committed change to ``path`` as of ``rev``."""
    return query(root, "log", "-1", "--format=%ae", rev, "--", path, literal=True).strip() or None


def last_changes(root: Path, folder: str, revisions: str = "HEAD") -> dict[str, tuple[str, str, str]]:
    """:func:`last_change` of every file under ``folder`` at once, in one walk of the history
    (of ``revisions``: ``A..HEAD`` for the commits since A)."""
    out = query(
        root, "log", "--format=%x01%H%x00%ae%x00%aI", "--name-only", "-z", revisions, "--", folder, literal=True
    )
    found: dict[str, tuple[str, str, str]] = {}
    for record in out.split("\x01")[1:]:
        header, _, names = record.partition("\n")
        commit, email, date = header.split("\0")[:3]
        for name in names.strip("\0\n").split("\0"):
            if name and name not in found:
                found[name] = (commit, email, date)
    return found


def is_ancestor(root: Path, older: str, newer: str = "HEAD") -> bool:
    """Does ``newer`` descend from ``older``? (False too when either is unknown.)"""
    return succeeds(root, "merge-base", "--is-ancestor", older, newer)


def commits_since(root: Path, ref: str | None, head: str = "HEAD") -> int:
    """How many commits ``head`` has that ``ref`` has not (all of them when ``ref`` is None)."""
    return int(query(root, "rev-list", "--count", f"{ref}..{head}" if ref else head).strip() or 0)


@dataclass(frozen=True)
class LogRecord:
    """One commit as ``git log --name-status`` shows it, with the trailers asked for."""

    commit: str
    date: str  # ISO 8601, the author's date
    email: str  # the author's
    subject: str
    trailers: tuple[str, ...]  # each asked-for trailer's values, comma-separated ("" if absent)
    changes: tuple[tuple[str, str], ...]  # (status letter(s), path)


def log_of(root: Path, path: str, trailers: Sequence[str]) -> list[LogRecord]:
    """The commits that changed anything under ``path``, newest first, without rename detection."""
    asked = "".join(f"{_FIELD}%(trailers:key={key},valueonly,separator=%x2c)" for key in trailers)
    out = query(
        root,
        "log",
        "--no-renames",
        f"--format={_RECORD}%H{_FIELD}%aI{_FIELD}%ae{asked}{_FIELD}%s",
        "--name-status",
        "--",
        path,
        literal=True,
    )
    records = []
    for chunk in out.split(_RECORD)[1:]:
        header, _, listed = chunk.partition("\n")
        commit, date, email, *values, subject = header.split(_FIELD)
        changes = []
        for line in listed.splitlines():
            status, _, changed = line.partition("\t")
            if changed:
                changes.append((status, changed))
        records.append(LogRecord(commit, date, email, subject, tuple(values), tuple(changes)))
    return records
