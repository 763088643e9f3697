"""``repo.households``: households, their family plans and family contacts (the public API)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from caseflow.core.config import Staff
from caseflow.households import actions, model
from caseflow.households.due import household_due

if TYPE_CHECKING:
    from caseflow.core.events import SavedDocument
    from caseflow.errors import Problem
    from caseflow.followup.due import DueEntry
    from caseflow.followup.due_rules import Due
    from caseflow.session import Session


class Households:
    """Households under ``households/<H-ID>/``: members, family plan, family contacts, due items."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self, actor: Staff, members: Sequence[str], persons: Sequence[str] = (), worker: str | None = None
    ) -> tuple[str, SavedDocument]:
        """A new household of these clients (``C-..`` or ``C-..:RELATIONSHIP``) and people who are
        not clients (``NAME:RELATIONSHIP[:BIRTH_YEAR]``); returns its id. One commit."""
        return actions.create(self.session, actor, members, persons, worker)

    def ids(self) -> list[str]:
        """Every household's id (``H-...``), sorted."""
        return model.household_ids(self.session.root)

    def get(self, household_id: str) -> model.Household:
        """The household as its documents say: members, family plan, contacts."""
        return model.load(self.session, household_id)

    def of_client(self, client_id: str) -> list[str]:
        """The households a client belongs to."""
        return model.households_of(self.session, client_id)

    def set_plan(self, actor: Staff, household_id: str, assignments: Sequence[str]) -> SavedDocument:
        """Set fields of the family plan (``FIELD=VALUE``, as ``caseflow set``), starting it if needed; one commit."""
        return actions.set_plan(self.session, actor, household_id, assignments)

    def decide(self, actor: Staff, household_id: str, decision: str, comment: str | None = None) -> SavedDocument:
        """A supervisor's ``approved`` or ``rejected`` on the family plan as committed; one commit."""
        return actions.decide(self.session, actor, household_id, decision, comment)

    def record_contact(
        self,
        actor: Staff,
        household_id: str,
        present: Sequence[str],
        kind: str,
        *,
        on: str | None = None,
        duration_minutes: int | None = None,
        note: str | None = None,
    ) -> tuple[SavedDocument, list[SavedDocument]]:
        """A family contact with the members ``present`` (member or client ids), and a linked contact note
        in each present client's folder, in one commit: the household's note and the clients' notes."""
        return actions.record_contact(
            self.session, actor, household_id, present, kind, on=on, duration_minutes=duration_minutes, note=note
        )

    def due(self, household: model.Household) -> list[Due]:
        """The household's own due items (family plan review, sent back, family contact)."""
        return household_due(self.session, household, self.session.workflow_spec.monitoring)

    def due_entries(self, *, worker: str | None = None, within_days: int = 14) -> list[DueEntry]:
        """Every household's items due by ``within_days`` from today (of ``worker``'s households, if
        given), as the due list shows a client's: the household's id where a client's would be."""
        from caseflow.followup.due import DueEntry

        today = self.session.today()
        entries = []
        for household_id in self.ids():
            household = self.get(household_id)
            owner = household.record.get("worker")
            owner = owner if isinstance(owner, str) else None
            if worker is not None and owner != worker:
                continue
            for item in self.due(household):
                if item.shows(today, within_days):
                    entries.append(DueEntry(household_id, owner, "low", False, item, today))
        return entries

    def validate(self, ids: Sequence[str] | None = None) -> tuple[int, list[Problem]]:
        """(documents checked, problems) of every household's documents (or of those given)."""
        return model.validate_all(self.session, ids)

    def summary(self, household_id: str, identified: bool = True) -> dict[str, Any]:
        """What ``household show`` prints: members, the family plan, contacts, due items.

        ``identified``: a non-client member's name and birth year (else ids and codes only)."""
        household = self.get(household_id)
        plan = household.plan
        return {
            "id": household.id,
            "worker": household.record.get("worker"),
            "created": str(household.record.get("created") or ""),
            "members": [m.as_json(identified) for m in household.members],
            "family_plan": None
            if plan is None
            else {
                "review_date": str(plan.data.get("review_date") or ""),
                "goals": [
                    {
                        "id": g.get("id"),
                        "title": g.get("title"),
                        "status": g.get("status"),
                        "objectives": [
                            {"id": o.get("id"), "statement": o.get("statement"), "member": o.get("member"),
                             "target_date": str(o.get("target_date") or ""), "status": o.get("status")}
                            for o in model._mappings(g.get("objectives"))
                        ],
                    }
                    for g in model._mappings(plan.data.get("goals"))
                ],
            }
            | actions.plan_status(self.session, household),
            "contacts": [
                {"path": d.path, "date": str(d.data.get("date") or ""), "type": d.data.get("type"),
                 "present": list(d.data.get("present") or []), "author": d.data.get("author")}
                for d in household.contacts
            ],
            "due": [{"rule": d.rule, "reason": d.reason, "due": d.due} for d in self.due(household)],
            "problems": [str(p) for p in household.problems],
        }  # fmt: skip
