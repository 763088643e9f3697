"""What a write tells the plugins afterwards: the saved document, the committed stage change.

Plain, frozen data: a lifecycle hook gets what happened, never the repository object itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SavedDocument:
    """Which document an action saved, and in which commit (what ``after_document_saved`` gets)."""

    client_id: str | None
    path: str
    form_id: str
    action: str
    commit: str | None  # None when the action changed nothing (the value was already there)


@dataclass(frozen=True)
class StageChange:
    """A committed stage change (what ``after_stage_change`` gets)."""

    client_id: str
    source: str
    target: str
    by: str
    reason: str | None
    commit: str | None
