"""Referrals: one file each, with the provider, the service, and the status history.

Statuses follow the FHIR R4 Task codes a referral moves through (standards §2).
"""

from __future__ import annotations

from caseflow import Form, hookimpl
from caseflow.core.formfields import (
    boolean,
    choice,
    client_id,
    date,
    directory_ref,
    document,
    item_id,
    list_of,
    record,
    staff,
    text,
)

CATEGORIES = [
    "housing",
    "mental-health",
    "education",
    "employment",
    "medical",
    "counseling",
    "psychiatry",
    "substance-use",
    "legal",
    "food",
    "benefits",
    "transportation",
    "other",
]
STATUSES = ["draft", "requested", "received", "accepted", "rejected", "in-progress", "completed", "cancelled", "failed"]
#: A referral in one of these has not come to an end yet (FHIR Task statuses before a final one).
OPEN_STATUSES = frozenset({"draft", "requested", "received", "accepted", "in-progress"})

REFERRAL_SCHEMA = document(
    "Referral",
    "core.referral",
    {
        "id": item_id("Referral id"),
        "client": client_id(),
        "directory": text("Directory"),
        "provider": directory_ref("Provider id"),
        "provider_name": text("Provider"),
        "service_id": directory_ref("Service id (in the directory)"),
        "service": text("Service", min_length=1),
        "category": choice("Service category", CATEGORIES),
        "goal": item_id("Plan goal"),
        "reason": text("Reason for referral"),
        "purpose": text("Purpose of the disclosure"),
        "information": list_of("Information sent", text("Information", min_length=1)),
        "part2": boolean("Includes substance-use (42 CFR Part 2) records"),
        "consent": item_id("Consent used"),
        "requested_on": date("Requested on"),
        "requested_by": staff("Requested by"),
        "status": choice("Status", STATUSES),
        "history": list_of(
            "Status history",
            record(
                "Status change",
                {
                    "status": choice("Status", STATUSES),
                    "on": date("Date"),
                    "by": staff("By"),
                    "note": text("Note"),
                    "reason": text("Reason (e.g. no-show)"),
                    "consent": item_id("Consent that covered the disclosure"),
                    "emergency": text("Emergency disclosure without consent: the reason"),
                },
                ["status", "on"],
            ),
        ),
        "outcome": text("Outcome"),
    },
    ["id", "client", "service", "category", "status"],
)


@hookimpl(trylast=True)
def register_forms() -> list[Form]:
    return [
        Form(
            id="core.referral",
            title="Referral",
            kind="yaml",
            path="referrals/{id}.yaml",
            schema=REFERRAL_SCHEMA,
            skeleton="forms/referral.yaml.j2",
            description="A referral to a provider for a service, tracked until it is completed or closed.",
            summarize=lambda d: {
                "status": d.get("status"),
                "category": d.get("category"),
                "provider": d.get("provider"),
            },
        )
    ]
