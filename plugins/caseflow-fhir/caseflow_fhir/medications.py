"""MedicationStatement per entry of medications.yaml: what the client takes, as reported.

caseflow monitors medication, it does not prescribe, so the medication is text (name and dose as
written) and not an RxNorm code nobody chose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caseflow_fhir.common import Context, Resource, concept, day, resource_id, text


def medication_resources(ctx: Context) -> list[Resource]:
    resources: list[Resource] = []
    for document in ctx.documents("core.medications"):
        for entry in document.data.get("medications") or []:
            if isinstance(entry, Mapping) and text(entry.get("id")) and text(entry.get("name")):
                resources.append(medication_statement(ctx, entry))
    return resources


def medication_statement(ctx: Context, entry: Mapping[str, Any]) -> Resource:
    """Completed once its stop date has come (a dose change is a new entry); active until then."""
    stop = day(entry.get("stop"))
    dose = text(entry.get("dose"))
    name = " ".join(w for w in (text(entry.get("name")), dose) if w)
    prescriber = text(entry.get("prescriber"))
    return {
        "resourceType": "MedicationStatement",
        "id": resource_id("med", ctx.client_id, str(entry["id"])),
        "status": "completed" if stop and stop <= ctx.inputs.today.isoformat() else "active",
        "medicationCodeableConcept": {"text": name},
        "subject": ctx.patient,
        "context": ctx.episode,
        "effectivePeriod": {"start": day(entry.get("start")), "end": stop},
        "reasonCode": [concept(entry.get("reason"))],
        "dosage": [{"text": dose}] if dose else [],
        "note": [{"text": f"Prescriber: {prescriber}"}] if prescriber else [],
    }
