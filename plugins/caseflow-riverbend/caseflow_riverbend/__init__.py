"""Riverbend Community Services (a fictional agency): what an agency plugin looks like.

It adds one form (a housing assessment), one agency rule (home visits record their length,
for the agency's lone-worker safety policy), one due rule (a housing reassessment, every
``housing_reassessment_days``: its own setting in caseflow.yaml) and one report (``monthly-housing``,
in :mod:`caseflow_riverbend.reports`), using only caseflow's public API::

    plugins:
      config:
        riverbend: {housing_reassessment_days: 90}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow import DocumentView, Finding, Form, hookimpl
from caseflow_riverbend.reports import register_reports as register_reports  # this plugin's hook too

if TYPE_CHECKING:  # (the due list's types load only when the due list is asked for: start-up stays light)
    from caseflow import CaseView, Due, DueRule

TEMPLATES = Path(__file__).parent / "templates"
#: Days from one housing assessment to the next, unless caseflow.yaml's plugins.config.riverbend says.
DEFAULT_REASSESSMENT_DAYS = 180
#: This plugin's settings, as the repository opened last gave them (see ``configure``).
SETTINGS: dict[str, Any] = {"housing_reassessment_days": DEFAULT_REASSESSMENT_DAYS}

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


@hookimpl
def configure(settings: Mapping[str, Any]) -> list[str]:
    """``plugins.config.riverbend`` in caseflow.yaml: ``housing_reassessment_days`` (default 180)."""
    unknown = sorted(set(settings) - {"housing_reassessment_days"})
    if unknown:
        return [f"unknown setting '{unknown[0]}' (riverbend knows housing_reassessment_days)"]
    days = settings.get("housing_reassessment_days", DEFAULT_REASSESSMENT_DAYS)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650:
        return [f"housing_reassessment_days must be a whole number of days from 1 to 3650, not {days!r}"]
    SETTINGS["housing_reassessment_days"] = days
    return []


def _housing_reassessment(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    from caseflow import Due

    dates = sorted(str(d.data["date"]) for d in case.current("riverbend.housing-assessment") if d.data.get("date"))
    if not dates:
        return []
    days = SETTINGS["housing_reassessment_days"]
    due = (dt.date.fromisoformat(dates[-1]) + dt.timedelta(days=days)).isoformat()
    return [Due("riverbend-housing-reassessment", f"housing reassessment (every {days} days)", due)]


@hookimpl
def register_due_rules() -> list[DueRule]:
    from caseflow import DueRule

    return [DueRule("riverbend-housing-reassessment", "Housing reassessment", _housing_reassessment)]
