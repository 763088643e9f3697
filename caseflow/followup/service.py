"""Follow-through after the plan: contacts, appointments, medications, provider reports, what is due.

Reached as ``repo.followup``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path
    from typing import Any

    from caseflow.core.config import Staff
    from caseflow.core.events import SavedDocument
    from caseflow.followup.actions import Contact
    from caseflow.followup.due import DueEntry, DueListing
    from caseflow.session import Session


class FollowUp:
    """Follow-through after the plan: contacts, appointments, medications, provider reports, what is due."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record_visit(
        self, actor: Staff, client_id: str, contact: Contact, edit: bool = False, editor: Any = None
    ) -> SavedDocument:
        """``visits/<date>-<type>.md`` in one commit; with ``edit``, the note is typed in $EDITOR first."""
        from caseflow.followup import actions

        return actions.record_visit(self._session, actor, client_id, contact, edit, editor)

    def add_appointment(
        self,
        actor: Staff,
        client_id: str,
        *,
        with_: str,
        at: str,
        referral: str | None = None,
        purpose: str | None = None,
    ) -> tuple[SavedDocument, str]:
        """A scheduled appointment in ``appointments.yaml``; ``with_`` is a directory id or plain words."""
        from caseflow.followup import actions

        return actions.add_appointment(
            self._session, actor, client_id, with_=with_, at=at, referral=referral, purpose=purpose
        )

    def mark_appointment(
        self, actor: Staff, client_id: str, appointment_id: str, outcome: str, note: str | None = None
    ) -> SavedDocument:
        """Record that an appointment was kept, missed or cancelled (kept and missed only once it has come)."""
        from caseflow.followup import actions

        return actions.mark_appointment(self._session, actor, client_id, appointment_id, outcome, note)

    def appointments(self, client_id: str) -> list[Mapping[str, Any]]:
        """The client's appointments, as ``appointments.yaml`` holds them."""
        from caseflow.followup import actions

        return actions.appointments(self._session, client_id)

    def add_medication(
        self,
        actor: Staff,
        client_id: str,
        *,
        name: str,
        dose: str,
        prescriber: str,
        start: str,
        reason: str | None = None,
    ) -> tuple[SavedDocument, str]:
        """A medication the client takes, as prescribed by someone else: caseflow monitors, never prescribes."""
        from caseflow.followup import actions

        return actions.add_medication(
            self._session, actor, client_id, name=name, dose=dose, prescriber=prescriber, start=start, reason=reason
        )

    def stop_medication(
        self, actor: Staff, client_id: str, medication_id: str, on: str | None, reason: str | None = None
    ) -> SavedDocument:
        """Mark a medication stopped (on a day, with why), one commit."""
        from caseflow.followup import actions

        return actions.stop_medication(self._session, actor, client_id, medication_id, on, reason)

    def log_medication(
        self,
        actor: Staff,
        client_id: str,
        medication_id: str,
        *,
        adherence: str,
        effect: str,
        side_effects: str | None = None,
        on: str | None = None,
    ) -> SavedDocument:
        """One monitoring entry: did the client take it, what it does, what it costs them."""
        from caseflow.followup import actions

        return actions.log_medication(
            self._session,
            actor,
            client_id,
            medication_id,
            adherence=adherence,
            effect=effect,
            side_effects=side_effects,
            on=on,
        )

    def medications(self, client_id: str) -> list[Mapping[str, Any]]:
        """The client's medications with their monitoring entries."""
        from caseflow.followup import actions

        return actions.medications(self._session, client_id)

    def receive_report(
        self,
        actor: Staff,
        client_id: str,
        *,
        provider: str,
        on: str,
        text: str | None = None,
        edit: bool = False,
        referral: str | None = None,
        attachment: Path | None = None,
        editor: Any = None,
    ) -> SavedDocument:
        """A provider's report, linked to its referral, unread until the case manager acknowledges it."""
        from caseflow.followup import actions

        return actions.receive_report(
            self._session,
            actor,
            client_id,
            provider=provider,
            on=on,
            text=text,
            edit=edit,
            referral=referral,
            attachment=attachment,
            editor=editor,
        )

    def acknowledge(self, actor: Staff, client_id: str, document: str) -> SavedDocument:
        """The case manager has read this provider report (it leaves the due list)."""
        from caseflow.followup import actions

        return actions.acknowledge(self._session, actor, client_id, document)

    def due(
        self,
        *,
        worker: str | None = None,
        within_days: int = 14,  # due.WITHIN_DAYS: the due list looks two weeks ahead
        progress: Callable[[int, int], None] | None = None,
        order: Callable[[DueEntry], Any] | None = None,
    ) -> list[DueEntry]:
        """The items of every open client (of ``worker``, if given) due by ``within_days`` from today,
        in the due list's order or by the sort key ``order``."""
        from caseflow.followup import due

        return due.due_list(self._session, worker=worker, within_days=within_days, progress=progress, order=order)

    def due_listing(
        self, *, worker: str | None = None, within_days: int = 14, progress: Callable[[int, int], None] | None = None
    ) -> DueListing:
        """The due list as :meth:`due` gives it, with the key naming it: what shows it may keep
        what it made (``caseflow due`` keeps its table)."""
        from caseflow.followup import due

        return due.due_listing(self._session, worker=worker, within_days=within_days, progress=progress)

    def calendar(self, *, worker: str | None, within_days: int, households: Sequence[DueEntry] = ()) -> bytes:
        """The calendar of ``worker``'s clients (or everyone's): appointments and due items, and
        the households' due items given (``CaseRepo.calendar`` gives them)."""
        from caseflow.followup import calendar

        return calendar.build_calendar(self._session, worker=worker, within_days=within_days, households=households)

    def summary(self, client_id: str) -> dict[str, Any]:
        """What a person wants to see first about a client: stage and risk, the last contact and the
        next appointment, open referrals, the latest score of each instrument, what is due."""
        from caseflow.followup import summary

        return summary.client_summary(self._session, client_id)
