"""Discharge: why the case closed, how it went, and what happens next."""

from __future__ import annotations

from caseflow import Form, hookimpl
from caseflow.core.formfields import (
    choice,
    client_id,
    date,
    document,
    item_id,
    list_of,
    record,
    staff,
    text,
)

#: Why a case closed, with the words a person reads. The first six are the codes `caseflow discharge`
#: offers; a case can close with any of them from any stage, each with its own requirements
#: (caseflow/workflow/default_workflow.py).
REASON_TITLES = {
    "completed": "Services completed",
    "declined-services": "Declined services",
    "lost-contact": "Lost contact",
    "moved": "Moved away",
    "transferred": "Transferred to another agency",
    "deceased": "Deceased",
    "incarcerated": "Incarcerated",
    "other": "Other",
}

#: The codes of earlier versions, still valid in documents written with them, and what each means
#: now: a discharge that says goals-met is judged as a completed one.
REASON_ALIASES = {"goals-met": "completed", "client-request": "declined-services", "unable-to-contact": "lost-contact"}

REASONS = [*REASON_TITLES, *REASON_ALIASES]


def canonical_reason(code: str) -> str:
    """The current code for a reason, old codes included (goals-met -> completed)."""
    return REASON_ALIASES.get(code, code)


def reason_codes(canonical: str) -> list[str]:
    """Every code that means ``canonical`` (completed -> completed, goals-met)."""
    return [canonical, *(old for old, new in REASON_ALIASES.items() if new == canonical)]


DISCHARGE_SCHEMA = document(
    "Discharge",
    "core.discharge",
    {
        "client": client_id(),
        "date": date("Discharge date"),
        "author": staff("Author"),
        "reason": choice("Reason", REASONS),
        "outcome": text("Outcome", min_length=1),
        "goals": list_of(
            "Goals at discharge",
            record(
                "Goal outcome",
                {"goal": item_id("Goal id"), "status": choice("Status", ["met", "partly-met", "not-met"])},
                ["goal", "status"],
            ),
        ),
        "aftercare": text("Aftercare plan"),
        "transferred_to": text("Transferred to (agency or program)"),
    },
    ["client", "date", "reason", "outcome"],
)


@hookimpl(trylast=True)
def register_forms() -> list[Form]:
    return [
        Form(
            id="core.discharge",
            title="Discharge",
            kind="yaml",
            path="discharge.yaml",
            schema=DISCHARGE_SCHEMA,
            skeleton="forms/discharge.yaml.j2",
            description="Reason, outcome, goals at discharge and aftercare.",
        )
    ]
