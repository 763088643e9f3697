"""Riverbend Community Services (a fictional agency): what an agency plugin looks like.

It adds one form (a housing assessment) and one agency rule (home visits record their length,
for the agency's lone-worker safety policy), using only caseflow's public API.
"""

from __future__ import annotations

from pathlib import Path

from caseflow import DocumentView, Finding, Form, hookimpl

TEMPLATES = Path(__file__).parent / "templates"

LIVING_SITUATIONS = [
    "unsheltered",
    "emergency-shelter",
    "transitional-housing",
    "staying-with-family-or-friends",
    "renting",
    "owning",
    "institution",
]

HOUSING_ASSESSMENT = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Housing assessment",
    "type": "object",
    "properties": {
        "form": {"const": "riverbend.housing-assessment", "title": "Form"},
        "client": {"type": "string", "title": "Client"},
        "date": {"type": "string", "format": "date", "title": "Assessment date"},
        "assessor": {"type": "string", "title": "Assessor"},
        "living_situation": {"enum": LIVING_SITUATIONS, "title": "Living situation"},
        "months_at_current_address": {"type": "integer", "minimum": 0, "title": "Months at current address"},
        "eviction_notice": {"type": "boolean", "title": "Eviction notice received"},
        "barriers": {"type": "array", "items": {"type": "string"}, "title": "Barriers to housing"},
        "notes": {"type": "string", "title": "Notes"},
    },
    "required": ["form", "client", "date", "assessor", "living_situation", "eviction_notice"],
    "additionalProperties": False,
}


@hookimpl
def register_forms() -> list[Form]:
    return [
        Form(
            id="riverbend.housing-assessment",
            title="Housing assessment (Riverbend)",
            kind="yaml",
            path="evaluation/{date}-housing-assessment.yaml",
            schema=HOUSING_ASSESSMENT,
            skeleton="riverbend/housing-assessment.yaml.j2",
            template_dir=TEMPLATES,
            description="Living situation, eviction risk and barriers, as Riverbend's housing program asks.",
        )
    ]


@hookimpl
def validate_document(document: DocumentView) -> list[Finding]:
    data = document.data
    if document.form_id == "core.visit" and data.get("type") == "home" and "duration_minutes" not in data:
        return [Finding("Riverbend policy: a home visit records duration_minutes (lone-worker safety)", ("type",))]
    return []
