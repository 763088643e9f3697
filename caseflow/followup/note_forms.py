"""Markdown notes: the intake interview, contact (visit) notes and provider reports.

Front matter holds the facts a program reads (date, type, who); the body is the person's own
words, kept byte for byte.
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
    extra_fields,
    integer,
    item_id,
    list_of,
    record,
    staff,
    text,
)

CONTACT_TYPES = ["office", "home", "hospital", "phone", "video"]

INTAKE_INTERVIEW_SCHEMA = document(
    "Intake interview",
    "core.intake-interview",
    {
        "client": client_id(),
        "date": date("Interview date"),
        "interviewer": staff("Interviewer"),
        "setting": choice("Setting", CONTACT_TYPES),
        "referral_source": text("Referral source"),
        "presenting_concerns": list_of("Presenting concerns", text("Concern", min_length=1)),
        "duration_minutes": integer("Duration (minutes)", 1, 600),
    },
    ["client", "date", "interviewer"],
)

VISIT_SCHEMA = document(
    "Contact note",
    "core.visit",
    {
        "client": client_id(),
        "date": date("Contact date"),
        "type": choice("Contact type", CONTACT_TYPES),
        "duration_minutes": integer("Duration (minutes)", 1, 1440),
        "author": staff("Author"),
        "goals": list_of("Plan goals addressed", item_id("Goal id")),
        "location": text("Location"),
        "hospital": record(
            "Hospital stay",
            {
                "facility": text("Facility"),
                "admitted_on": date("Admitted on"),
                "discharged_on": date("Discharged on"),
            },
        ),
        "client_present": boolean("Client present"),
        "extra": extra_fields(),
        # A family contact: the note is the household's (households/<id>/contacts/...), written once.
        "household": {"type": "string", "pattern": r"^H-[0-9A-Z]{4,12}$", "title": "Household"},
        "family_contact": text("Family contact note", pattern=r"^contacts/[A-Za-z0-9][A-Za-z0-9._-]*\.md$"),
    },
    ["client", "date", "type", "author"],
)
VISIT_SCHEMA["allOf"] = [
    {
        "if": {"properties": {"type": {"not": {"const": "hospital"}}}},
        "then": {"not": {"required": ["hospital"]}},
    }
]

PROVIDER_REPORT_SCHEMA = document(
    "Provider report",
    "core.provider-report",
    {
        "client": client_id(),
        "provider": directory_ref("Provider id"),
        "provider_name": text("Provider"),
        "date": date("Report date"),
        "referral": item_id("Referral id"),
        "received_by": staff("Received by"),
        "attachment": text("Attached file"),
        "acknowledged_by": staff("Read by"),
        "acknowledged_on": date("Read on"),
    },
    ["client", "provider", "date", "received_by"],
)


@hookimpl(trylast=True)
def register_forms() -> list[Form]:
    return [
        Form(
            id="core.intake-interview",
            title="Intake interview note",
            kind="markdown",
            path="evaluation/{date}-intake-interview.md",
            schema=INTAKE_INTERVIEW_SCHEMA,
            skeleton="forms/intake-interview.md.j2",
            description="The first interview: presenting concerns, history, strengths, needs.",
        ),
        Form(
            id="core.visit",
            title="Contact note",
            kind="markdown",
            path="visits/{date}-{type}.md",
            schema=VISIT_SCHEMA,
            skeleton="forms/visit.md.j2",
            description="A contact: office, home, hospital, phone or video; what happened and what is next.",
            summarize=lambda d: {"date": d.get("date"), "type": d.get("type"), "author": d.get("author")},
        ),
        Form(
            id="core.provider-report",
            title="Provider report",
            kind="markdown",
            path="provider-reports/{date}-{provider}.md",
            schema=PROVIDER_REPORT_SCHEMA,
            skeleton="forms/provider-report.md.j2",
            description="A report received from a provider, linked to its referral.",
            summarize=lambda d: {"date": d.get("date"), "provider": d.get("provider"), "read": "acknowledged_on" in d},
        ),
    ]
