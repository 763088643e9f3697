"""The agency's own settings kept in the repository: its staff.

Reached as ``repo.agency``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from caseflow.agency.reassign import Reassignment
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

    def deactivate(self, actor: Staff, staff_id: str, reason: str | None = None) -> str | None:
        """Someone left: they can no longer act or be given clients; their history stays (an admin's commit)."""
        from caseflow.authority import settings

        return settings.set_active(self._session, actor, staff_id, False, reason)

    def reactivate(self, actor: Staff, staff_id: str) -> str | None:
        """Someone is back: they can act and be given clients again (an admin's commit)."""
        from caseflow.authority import settings

        return settings.set_active(self._session, actor, staff_id, True)

    def may_change_staff(self, actor: Staff) -> bool:
        """Whether ``actor`` may deactivate and reactivate staff (what :meth:`deactivate` checks)."""
        from caseflow.authority import settings

        return settings.may_set_active(self._session, actor)

    def may_reassign(self, actor: Staff) -> bool:
        """Whether ``actor`` may move clients between workers (what :meth:`reassign` checks)."""
        from caseflow.agency import reassign

        return reassign.may_reassign(self._session, actor)

    def open_clients(self, staff_id: str) -> list[str]:
        """The clients assigned to ``staff_id`` whose case is not closed."""
        from caseflow.agency import reassign

        return reassign.open_clients(self._session, staff_id)

    def reassign(self, actor: Staff, source: str, target: str, clients: Sequence[str] = ()) -> Reassignment:
        """Move clients (default: every open client of ``source``) and their households to
        ``target`` in one commit; refused for an inactive or unknown person or a client not theirs."""
        from caseflow.agency import reassign

        return reassign.reassign(self._session, actor, source, target, clients)
