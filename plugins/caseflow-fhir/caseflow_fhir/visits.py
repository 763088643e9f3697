"""Encounter + DocumentReference per visit note, and a DocumentReference per provider report.

An Encounter has no place for note text, so the note travels as a DocumentReference whose
context points at the Encounter (standards §2.1), with the Markdown body attached (base64).
"""

from __future__ import annotations

import base64
from pathlib import PurePosixPath
from typing import Any

from caseflow import CaseDocument
from caseflow_fhir.common import LOINC, UCUM, V3_ACT_CODE, Context, Resource, code, day, ref, resource_id, text

#: caseflow contact type -> v3 ActCode encounter class.
ENCOUNTER_CLASS = {
    "office": ("AMB", "ambulatory"),
    "home": ("HH", "home health"),
    "hospital": ("IMP", "inpatient encounter"),
    "phone": ("VR", "virtual"),
    "video": ("VR", "virtual"),
}
PROGRESS_NOTE = ("11506-3", "Progress note")


def visit_resources(ctx: Context) -> list[Resource]:
    resources: list[Resource] = []
    for document in ctx.documents("core.visit"):
        kind = text(document.data.get("type"))
        if kind not in ENCOUNTER_CLASS:
            continue  # no encounter class to give it; the schema allows only the five above
        name = stem(document)
        resources.append(encounter(ctx, document, name, kind))
        description = f"Contact note: {kind} contact on {day(document.data.get('date')) or 'an undated day'}"
        resources.append(
            document_reference(ctx, document, resource_id("note", name), description)
            | {"context": {"encounter": [ref("Encounter", resource_id("visit", name))], "period": period(document)}}
        )
    for document in ctx.documents("core.provider-report"):
        name = stem(document)
        referral = text(document.data.get("referral"))
        provider = ctx.provider(document.data.get("provider"), None)
        source = (provider or {}).get("display") or text(document.data.get("provider")) or "a provider"
        description = f"Provider report from {source}"
        related = [ref("ServiceRequest", resource_id("ref", referral))] if referral in ctx.referral_ids else []
        resources.append(
            document_reference(ctx, document, resource_id("report", name), description)
            | {"author": [provider], "context": {"related": related, "period": period(document)}}
        )
    return resources


def stem(document: CaseDocument) -> str:
    """The file name without its suffix (``2026-09-02-office``): unique within the client's folder."""
    return PurePosixPath(document.path).stem


def period(document: CaseDocument) -> dict[str, Any]:
    return {"start": day(document.data.get("date"))}


def encounter(ctx: Context, document: CaseDocument, name: str, kind: str) -> Resource:
    data = document.data
    minutes = data.get("duration_minutes")
    class_code, class_display = ENCOUNTER_CLASS[kind]
    return {
        "resourceType": "Encounter",
        "id": resource_id("visit", name),
        "status": "finished",  # a visit note is written about a contact that took place
        "class": {"system": V3_ACT_CODE, "code": class_code, "display": class_display},
        "type": [{"text": kind}],
        "subject": ctx.patient,
        "episodeOfCare": [ctx.episode],
        "participant": [{"individual": ctx.staff(data.get("author"))}] if ctx.staff(data.get("author")) else [],
        "period": period(document),
        "length": {"value": minutes, "unit": "min", "system": UCUM, "code": "min"}
        if isinstance(minutes, int) and not isinstance(minutes, bool)
        else None,
        "location": [{"location": {"display": text(data.get("location"))}}] if text(data.get("location")) else [],
    }


def document_reference(ctx: Context, document: CaseDocument, rid: str, description: str) -> Resource:
    attachment: dict[str, Any] = {"contentType": "text/markdown", "title": document.path}
    if document.body.strip():
        attachment["data"] = base64.b64encode(document.body.encode("utf-8")).decode("ascii")
    author = ctx.staff(document.data.get("author"))
    return {
        "resourceType": "DocumentReference",
        "id": rid,
        "status": "current",
        "type": code(LOINC, *PROGRESS_NOTE) if rid.startswith("note-") else None,
        "subject": ctx.patient,
        "author": [author] if author else [],
        "description": description,
        "content": [{"attachment": attachment}],
    }
