"""``caseflow log``: a client's timeline, read from git history and its commit trailers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caseflow.core.git.history import log_of

if TYPE_CHECKING:
    from caseflow.session import Session

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
    entries = []
    for record in log_of(repo.root, base, ("Caseflow-Action", "Caseflow-Stage")):
        action, stage = record.trailers
        staff = repo.config.staff_by_email(record.email)
        documents = tuple(
            (path.removeprefix(base + "/"), _CHANGES.get(status[:1], status)) for status, path in record.changes
        )
        entries.append(
            TimelineEntry(
                record.commit,
                record.date,
                staff.id if staff else "unknown",
                action.strip() or record.subject.split(" ")[0],
                stage.strip() or None,
                documents,
            )
        )
    return entries
