"""``caseflow upgrade``: a repository of an older format moved to this caseflow's format, in one
commit by an admin (signed where signing is required: it is an ordinary write).

Each format's step is a function of ``caseflow.yaml`` (the round-trip document) that makes its
changes and says what they were. What a format added is :data:`caseflow.core.config.FORMAT_CHANGES`;
a format whose additions are all optional (format 2: staff keys, ``signing:``, ``admin:``, the
access ref) needs nothing but its number, and so does one that changes only how new documents
are named (format 3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caseflow.core.config import CONFIG_FILE, FORMAT_CHANGES, FORMAT_VERSION
from caseflow.errors import NotAllowed

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.core.documents import Document
    from caseflow.session import Session


def _to_2(document: Document) -> list[str]:
    """Format 2's keys, settings and ref are all optional: a format-1 repository is a valid
    format-2 one as it is (the access ref is made by the first identified read)."""
    return []


def _to_3(document: Document) -> list[str]:
    """Format 3 names new documents differently; every existing name stays valid, so no file is
    renamed: the number alone tells every clone's caseflow to name new ones so."""
    return []


#: The step to each format from the one before it.
STEPS: dict[int, Callable[[Document], list[str]]] = {2: _to_2, 3: _to_3}


@dataclass
class Upgrade:
    """What ``caseflow upgrade`` did (``commit`` None: nothing to do)."""

    source: int
    target: int
    commit: str | None = None
    changes: list[str] = field(default_factory=list)
    #: Nobody on the staff list has the admin right yet, so anyone on it may upgrade.
    without_admin: bool = False

    @property
    def upgraded(self) -> bool:
        return self.commit is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "upgraded": self.upgraded,
            "from": self.source,
            "to": self.target,
            "commit": self.commit,
            "changes": self.changes,
            "without_admin": self.without_admin,
        }


def upgrade(repo: Session, actor: Staff) -> Upgrade:
    """Move the repository to :data:`FORMAT_VERSION` in one commit by ``actor``, an admin (or,
    while the staff list names no admin, anyone on it)."""
    from caseflow.authority.settings import edit_config, require_admin

    source = repo.config.format
    if source > FORMAT_VERSION:
        raise NotAllowed(
            f"this repository uses format {source}, newer than this caseflow's ({FORMAT_VERSION}): "
            "upgrade caseflow, not the repository"
        )
    if source == FORMAT_VERSION:
        return Upgrade(source, source)
    require_admin(repo, actor)
    result = Upgrade(source, FORMAT_VERSION, without_admin=not repo.config.admins)

    def change(document: Document) -> None:
        changes: list[str] = []
        for version in range(source + 1, FORMAT_VERSION + 1):
            made = STEPS[version](document)
            changes.extend(made)
            changes.append(f"format {version}: {FORMAT_CHANGES[version]} (available from now on)")
        document.data["format"] = FORMAT_VERSION  # every caseflow.yaml has it (its schema requires it)
        changes.insert(0, f"{CONFIG_FILE}: format: {source} -> {FORMAT_VERSION}")
        result.changes = changes

    result.commit = edit_config(repo, actor, "upgrade", change, details={"Format": f"{source} -> {FORMAT_VERSION}"})
    return result
