"""The agency's own settings kept in the repository: its staff.

Reached as ``repo.agency``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.session import Session


class Agency:
    """The agency's own settings kept in the repository: its staff."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_staff(
        self, actor: Staff | None, *, staff_id: str, name: str, email: str, role: str, supervisor: str | None = None
    ) -> Staff:
        """Add a member of staff to caseflow.yaml (the first one may be added by anyone)."""
        from caseflow.records import actions

        return actions.add_staff(
            self._session, actor, staff_id=staff_id, name=name, email=email, role=role, supervisor=supervisor
        )
