"""Consent per consent document (standards §2.4 "consent" rows and the SDOHCC-Consent example).

Revoked and expired consents are ``inactive``: R4 has no separate code for either. The purposes,
the information covered and an expiry *event* are free text in caseflow; R4 wants codes for the
first two and has no element for the third, so they stay out of the resource (see the README).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caseflow_fhir.common import LOINC, V3_ACT_CODE, Context, Resource, code, day, resource_id, text

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
POLICY_CODES = "http://terminology.hl7.org/CodeSystem/consentpolicycodes"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
#: The rule a consent was written under, as the eCFR section that says what it must hold.
POLICY_URI = {
    ("release", "hipaa"): "https://www.ecfr.gov/current/title-45/section-164.508",
    ("release", "part2"): "https://www.ecfr.gov/current/title-42/section-2.31",
    ("treatment", "part2"): "https://www.ecfr.gov/current/title-42/section-2.31",
}


def consent_resources(ctx: Context) -> list[Resource]:
    return [consent(ctx, d.data) for d in ctx.documents("core.consent") if text(d.data.get("id"))]


def consent_status(data: Mapping[str, Any], today: str) -> str:
    expires = day(data.get("expires_on"))
    if data.get("status") in ("revoked", "expired") or (expires is not None and expires < today):
        return "inactive"
    return "active" if data.get("status") == "active" else "inactive"


def consent(ctx: Context, data: Mapping[str, Any]) -> Resource:
    consent_id = str(data["id"])
    kind, regulation = text(data.get("kind")), text(data.get("regulation"))
    if kind == "treatment":
        category = code(LOINC, "59284-0", "Patient Consent", "treatment")
    else:
        category = code(V3_ACT_CODE, "IDSCL", "information disclosure", "release of information")
    signer: Mapping[str, Any] = data["signed_by"] if isinstance(data.get("signed_by"), Mapping) else {}
    performer: dict[str, Any] | None = None
    if signer.get("relationship") == "self":
        performer = ctx.patient
    elif text(signer.get("name")):
        performer = {"display": text(signer.get("name"))}
    ends = [d for d in (day(data.get("expires_on")), day(data.get("revoked_on"))) if d]
    policy = POLICY_URI.get((kind or "", regulation or ""))
    return {
        "resourceType": "Consent",
        "id": resource_id("consent", consent_id),
        "identifier": [{"system": "urn:caseflow:consent", "value": consent_id}],
        "status": consent_status(data, ctx.inputs.today.isoformat()),
        "scope": code(CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
        "category": [category],
        "patient": ctx.patient,
        "dateTime": day(data.get("signed_on")),
        "performer": [performer],
        "organization": [{"display": text(data.get("disclosing_party"))}] if text(data.get("disclosing_party")) else [],
        "policy": [{"uri": policy}] if policy else [],
        "policyRule": code(POLICY_CODES, "hipaa-auth", "HIPAA Authorization")
        if (kind, regulation) == ("release", "hipaa")
        else {"text": regulation},
        "provision": {
            "type": "permit",
            "period": {"end": min(ends)} if ends else None,
            "actor": [recipient(ctx, r) for r in data.get("recipients") or [] if isinstance(r, Mapping)],
        },
    }


def recipient(ctx: Context, data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "role": code(PARTICIPATION, "IRCP", "information recipient"),
        "reference": ctx.provider(data.get("provider"), data.get("name")),
    }
