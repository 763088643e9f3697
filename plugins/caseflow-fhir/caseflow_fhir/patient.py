"""Patient from client.yaml (standards §2.4, "intake" rows)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caseflow_fhir.common import Context, Resource, code, day, text

GENDERS = ("male", "female", "other", "unknown")
INTERPRETER = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
#: Language names caseflow records as words, with their BCP-47 tags; any other name stays text-only.
BCP47 = {
    "arabic": "ar",
    "chinese": "zh",
    "english": "en",
    "french": "fr",
    "haitian creole": "ht",
    "korean": "ko",
    "portuguese": "pt",
    "russian": "ru",
    "somali": "so",
    "spanish": "es",
    "tagalog": "tl",
    "vietnamese": "vi",
}


def patient(ctx: Context) -> Resource:
    record = ctx.inputs.case.record
    gender = text(record.get("gender"))
    return {
        "resourceType": "Patient",
        "id": ctx.client_id,
        "identifier": [{"system": "urn:caseflow:client", "value": ctx.client_id}],
        "name": names(record),
        "birthDate": day(record.get("dob")),
        "gender": gender.lower() if gender and gender.lower() in GENDERS else None,
        "telecom": [
            {"system": "phone", "value": text(record.get("phone"))} if text(record.get("phone")) else None,
            {"system": "email", "value": text(record.get("email"))} if text(record.get("email")) else None,
        ],
        "address": [address(record.get("address"))],
        "communication": [language(record.get("language"))],
        "extension": [
            {"url": INTERPRETER, "valueBoolean": record["interpreter_needed"]}
            if isinstance(record.get("interpreter_needed"), bool)
            else None
        ],
        "contact": [emergency_contact(record.get("emergency_contact"))],
    }


def names(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The legal name as the client record gives it: given and family names where it has them
    (``given_name``, ``family_name``), else the whole name as text only. Nothing is split: which
    words of "Tomas Reyes Vidal" are the family name, no rule can tell."""
    result: list[dict[str, Any]] = []
    full, given, family = (text(record.get(key)) for key in ("name", "given_name", "family_name"))
    if full or given or family:
        official: dict[str, Any] = {"use": "official", "text": full or " ".join(n for n in (given, family) if n)}
        if family:
            official["family"] = family
        if given:
            official["given"] = [given]
        result.append(official)
    preferred = text(record.get("preferred_name"))
    if preferred:
        result.append({"use": "usual", "text": preferred, "given": [preferred]})
    return result


def address(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    return {
        "line": [line for line in (text(value.get("line1")), text(value.get("line2"))) if line],
        "city": text(value.get("city")),
        "state": text(value.get("state")),
        "postalCode": text(value.get("postal_code")),
    }


def language(value: Any) -> dict[str, Any] | None:
    name = text(value)
    if name is None:
        return None
    tag = BCP47.get(name.lower())
    return {"language": code("urn:ietf:bcp:47", tag, None, name) if tag else {"text": name}}


def emergency_contact(value: Any) -> dict[str, Any] | None:
    """Patient.contact with v2-0131 ``C`` (emergency contact); the relationship stays as words."""
    if not isinstance(value, Mapping) or not text(value.get("name")):
        return None
    relationship = [code("http://terminology.hl7.org/CodeSystem/v2-0131", "C", "Emergency Contact")]
    if text(value.get("relationship")):
        relationship.append({"text": text(value.get("relationship"))})
    return {
        "relationship": relationship,
        "name": {"text": text(value.get("name"))},
        "telecom": [{"system": "phone", "value": text(value.get("phone"))}] if text(value.get("phone")) else [],
    }
