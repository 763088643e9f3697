"""Follow-through: appointments kept or missed, and medications with monitoring entries."""

from __future__ import annotations

from caseflow import Form, hookimpl
from caseflow.core.formfields import (
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

APPOINTMENT = record(
    "Appointment",
    {
        "id": item_id("Appointment id"),
        "with": text("With", min_length=1),
        "provider": directory_ref("Provider directory id"),
        "date": date("Date"),
        "time": {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "title": "Time (HH:MM)"},
        "purpose": text("Purpose"),
        "referral": item_id("Referral"),
        "status": choice("Status", ["scheduled", "kept", "missed", "cancelled"]),
        "note": text("Note"),
    },
    ["id", "with", "date", "status"],
)

APPOINTMENTS_SCHEMA = document(
    "Appointments",
    "core.appointments",
    {"client": client_id(), "appointments": list_of("Appointments", APPOINTMENT)},
    ["client", "appointments"],
)

MONITORING_ENTRY = record(
    "Monitoring entry",
    {
        "date": date("Date"),
        "adherence": choice("Adherence", ["taken", "partial", "missed"]),
        "effect": text("Reported effect"),
        "side_effects": text("Side effects"),
        "by": staff("Recorded by"),
    },
    ["date", "adherence"],
)

MEDICATION = record(
    "Medication",
    {
        "id": item_id("Medication id"),
        "name": text("Medication", min_length=1),
        "dose": text("Dose", min_length=1),
        "prescriber": text("Prescriber", min_length=1),
        "start": date("Started"),
        "stop": date("Stopped"),
        "stop_reason": text("Why it was stopped"),
        "reason": text("Reason"),
        "monitoring": list_of("Monitoring", MONITORING_ENTRY),
    },
    ["id", "name", "dose", "prescriber", "start"],
)

MEDICATIONS_SCHEMA = document(
    "Medications",
    "core.medications",
    {"client": client_id(), "medications": list_of("Medications", MEDICATION)},
    ["client", "medications"],
)


@hookimpl(trylast=True)
def register_forms() -> list[Form]:
    return [
        Form(
            id="core.appointments",
            title="Appointments",
            kind="yaml",
            path="appointments.yaml",
            schema=APPOINTMENTS_SCHEMA,
            skeleton="forms/appointments.yaml.j2",
            description="Appointments with providers and whether each was kept.",
        ),
        Form(
            id="core.medications",
            title="Medications",
            kind="yaml",
            path="medications.yaml",
            schema=MEDICATIONS_SCHEMA,
            skeleton="forms/medications.yaml.j2",
            description="Medications and monitoring: adherence, effect, side effects. Monitoring, not prescribing.",
        ),
    ]
