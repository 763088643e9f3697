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

REASONS = [
    "goals-met",
    "client-request",
    "moved",
    "unable-to-contact",
    "transferred",
    "incarcerated",
    "deceased",
    "other",
]

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
