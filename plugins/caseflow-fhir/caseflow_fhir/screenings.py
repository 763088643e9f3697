"""QuestionnaireResponse + Observation per screening (US Core "screening assessment" pattern).

The answers go into the QuestionnaireResponse as caseflow scored them (integers by item); the
total is an Observation (category ``survey``) derived from it. Only PHQ-9 and GAD-7 get LOINC
codes here: those are the codes checked in standards §3; other instruments are text-only rather
than carrying a code nobody checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from caseflow_fhir.common import LOINC, Context, Resource, code, day, ref, resource_id, text

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
#: instrument -> (name, LOINC panel, LOINC total score code, display of the total)
LOINC_CODES = {
    "phq9": ("PHQ-9", "44249-1", "44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score"),
    "gad7": ("GAD-7", "69737-5", "70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score"),
}
NAMES = {"cssrs": "C-SSRS screener", "audit": "AUDIT", "auditc": "AUDIT-C", "dast10": "DAST-10"}


def screening_resources(ctx: Context) -> list[Resource]:
    resources: list[Resource] = []
    for document in ctx.inputs.case.documents:
        if document.form_id and document.form_id.startswith("instruments."):
            instrument = document.form_id.removeprefix("instruments.")
            name = PurePosixPath(document.path).stem
            response = questionnaire_response(ctx, document.form_id, instrument, name, document.data)
            resources += [response, observation(ctx, instrument, name, document.data)]
    return resources


def questionnaire(form_id: str, instrument: str) -> str:
    """The canonical URL: LOINC's Questionnaire for a LOINC panel, else caseflow's form."""
    if instrument in LOINC_CODES:
        return f"http://loinc.org/q/{LOINC_CODES[instrument][1]}"
    return f"urn:caseflow:form:{form_id}"


def questionnaire_response(ctx: Context, form_id: str, instrument: str, name: str, data: Mapping[str, Any]) -> Resource:
    answers: Mapping[str, Any] = data["answers"] if isinstance(data.get("answers"), Mapping) else {}
    items = [
        {"linkId": str(item), "answer": [{"valueInteger": value}] if _integer(value) else []}
        for item, value in answers.items()
    ]
    return {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id("qr", name),
        "questionnaire": questionnaire(form_id, instrument),
        "status": "completed",
        "subject": ctx.patient,
        "authored": day(data.get("date")),
        "author": ctx.staff(data.get("administered_by")),
        "item": items,
    }


def observation(ctx: Context, instrument: str, name: str, data: Mapping[str, Any]) -> Resource:
    """valueInteger is the total; an instrument without one (C-SSRS) reports its band as words."""
    result: Mapping[str, Any] = data["result"] if isinstance(data.get("result"), Mapping) else {}
    total, band = result.get("total"), text(result.get("band"))
    label = LOINC_CODES[instrument][0] if instrument in LOINC_CODES else NAMES.get(instrument, instrument)
    if instrument in LOINC_CODES:
        _, _, total_code, display = LOINC_CODES[instrument]
        observed = code(LOINC, total_code, display, f"{label} total score")
    else:
        observed = {"text": f"{label} total score" if _integer(total) else f"{label} result"}
    value: dict[str, Any] = {}
    if _integer(total):
        value = {"valueInteger": total, "interpretation": [{"text": band}] if band else []}
    elif band:
        value = {"valueCodeableConcept": {"text": band}}
    return {
        "resourceType": "Observation",
        "id": resource_id("score", name),
        "status": "final",
        "category": [code(OBSERVATION_CATEGORY, "survey", "Survey")],
        "code": observed,
        "subject": ctx.patient,
        "effectiveDateTime": day(data.get("date")),
        "performer": [ctx.staff(data.get("administered_by"))],
        "derivedFrom": [ref("QuestionnaireResponse", resource_id("qr", name))],
    } | value


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
