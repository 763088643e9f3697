"""The client record: ``client.yaml``, one per client folder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caseflow import Form, hookimpl
from caseflow.core.case import active_risk_flags
from caseflow.core.formfields import (
    boolean,
    client_id,
    date,
    document,
    extra_fields,
    item_id,
    list_of,
    record,
    staff,
    text,
)

STAGE = {"type": "string", "pattern": r"^[a-z][a-z0-9_-]*$", "title": "Stage"}

CLIENT_SCHEMA = document(
    "Client",
    "core.client",
    {
        "id": client_id("Client id"),
        "name": text("Name", phi=True, min_length=1, pattern=r"\S"),
        "preferred_name": text("Preferred name", phi=True),
        # as the client gives them: "Duarte Ochoa" is one family name, which no split of `name` can know
        "given_name": text("Given name(s)", phi=True),
        "family_name": text("Family name", phi=True),
        "dob": date("Date of birth", phi=True),
        "pronouns": text("Pronouns"),
        "language": text("Preferred language"),
        "interpreter_needed": boolean("Interpreter needed"),
        "phone": text("Phone", phi=True),
        "email": text("Email", phi=True, format="email"),
        "address": record(
            "Address",
            {
                "line1": text("Street address", phi=True),
                "line2": text("Address line 2", phi=True),
                "city": text("City", phi=True),
                "state": text("State"),
                "postal_code": text("Postal code", phi=True),
            },
        )
        | {"x-phi": True},
        "emergency_contact": record(
            "Emergency contact",
            {
                "name": text("Name", phi=True),
                "relationship": text("Relationship"),
                "phone": text("Phone", phi=True),
            },
            ["name"],
        )
        | {"x-phi": True},
        "referral_source": text("Referral source"),
        "intake_date": date("Intake date"),
        "assigned_worker": staff("Assigned case manager"),
        "part2": boolean("Substance use disorder records (42 CFR Part 2)"),
        "stage": STAGE,
        "stage_history": list_of(
            "Stage history",
            record(
                "Stage change",
                {
                    "from": STAGE | {"title": "From stage"},
                    "to": STAGE | {"title": "To stage"},
                    "on": date("Date"),
                    "by": staff("By"),
                    "reason": text("Reason"),
                },
                ["to", "on", "by"],
            ),
        ),
        "risk_flags": list_of(
            "Risk flags",
            record(
                "Risk flag",
                {
                    "id": item_id("Flag id"),
                    "flag": text("Flag", min_length=1),
                    "since": date("Since"),
                    "source": text("Source"),
                    "note": text("Note"),
                    "set_by": staff("Set by"),
                    "cleared_on": date("Cleared on"),
                    "cleared_by": staff("Cleared by"),
                    "cleared_note": text("Why it was cleared"),
                },
                ["flag", "since"],
            ),
        ),
        "merged_from": list_of(
            "Records merged into this one",
            record(
                "Merged record",
                {
                    "id": client_id("Merged client id"),
                    "on": date("Merged on"),
                    "by": staff("Merged by"),
                    "reason": text("Reason"),
                },
                ["id", "on", "by"],
            ),
        ),
        "extra": extra_fields(),
    },
    ["id", "name", "dob", "intake_date", "assigned_worker", "stage"],
)


def summarize_client(data: Mapping[str, Any]) -> Mapping[str, Any]:
    flags = [f.get("flag") for f in active_risk_flags(data)]
    return {
        "stage": data.get("stage"),
        "assigned_worker": data.get("assigned_worker"),
        "intake_date": data.get("intake_date"),
        "risk_flags": flags,
    }


@hookimpl(trylast=True)
def register_forms() -> list[Form]:
    return [
        Form(
            id="core.client",
            title="Client record",
            kind="yaml",
            path="client.yaml",
            schema=CLIENT_SCHEMA,
            skeleton="forms/client.yaml.j2",
            description="Identity, contacts, assigned worker, workflow stage and its history, risk flags.",
            summarize=summarize_client,
        )
    ]
