"""``caseflow log``: a client's timeline, read from git history and its commit trailers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caseflow.session import Session

_FIELD, _RECORD = "\x1f", "\x1e"
_CHANGES = {"A": "added", "M": "changed", "D": "removed", "R": "renamed", "T": "changed"}


@dataclass(frozen=True)
class TimelineEntry:
    commit: str
    date: str  # ISO 8601, the author's date
    author: str  # staff id when the author is on the staff list, else "unknown"
    action: str
    stage: str | None  # "planning -> active" for a stage change
    documents: tuple[tuple[str, str], ...]  # (path in the client folder, added|changed|removed)

    def as_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "date": self.date,
            "author": self.author,
            "action": self.action,
            "stage": self.stage,
            "documents": [{"path": path, "change": change} for path, change in self.documents],
        }


def timeline(repo: Session, client_id: str) -> list[TimelineEntry]:
    """Newest first. One ``git log`` over the client's folder: fast even with thousands of commits."""
    base = repo.client_dir(client_id)
    out = repo.store.git_output(
        "log",
        "--no-renames",
        f"--format={_RECORD}%H{_FIELD}%aI{_FIELD}%ae{_FIELD}%(trailers:key=Caseflow-Action,valueonly,separator=%x2c)"
        f"{_FIELD}%(trailers:key=Caseflow-Stage,valueonly,separator=%x2c){_FIELD}%s",
        "--name-status",
        "--",
        base,
    )
    entries = []
    for chunk in out.split(_RECORD)[1:]:
        header, _, changes = chunk.partition("\n")
        commit, date, email, action, stage, subject = header.split(_FIELD)
        staff = repo.config.staff_by_email(email)
        documents = []
        for line in changes.splitlines():
            status, _, path = line.partition("\t")
            if path:
                documents.append((path.removeprefix(base + "/"), _CHANGES.get(status[:1], status)))
        entries.append(
            TimelineEntry(
                commit,
                date,
                staff.id if staff else "unknown",
                action.strip() or subject.split(" ")[0],
                stage.strip() or None,
                tuple(documents),
            )
        )
    return entries
