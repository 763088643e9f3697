"""What every mapping shares: stable ids, references that resolve inside the Bundle, and guards.

Mappings return plain FHIR JSON dicts (``Resource``) and never import ``fhir.resources``: the
Bundle validates them all at once in :mod:`caseflow_fhir.bundle`, and mappings stay cheap to test.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow import CaseDocument, CaseflowError, ExportInputs

Resource = dict[str, Any]

#: Namespace of the entries' ``urn:uuid:`` fullUrls: the same record always exports the same ids,
#: so a receiver can tell a re-export of a resource from a new one.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:caseflow")

LOINC = "http://loinc.org"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
UCUM = "http://unitsofmeasure.org"

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NOT_ID = re.compile(r"[^A-Za-z0-9.\-]+")


class ExportError(CaseflowError):
    """A document holds a value FHIR has no code for (the library would not catch it: it checks no codes)."""


def resource_id(*parts: str) -> str:
    """A FHIR id (``[A-Za-z0-9-.]{1,64}``) made from caseflow ids, e.g. ``ref-R-4Z60E0``."""
    return _NOT_ID.sub("-", "-".join(parts)).strip("-")[:64]


def full_url(resource_type: str, rid: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{resource_type}/{rid}')}"


def ref(resource_type: str, rid: str) -> dict[str, str]:
    """A reference to a resource in the Bundle (by its fullUrl, so it resolves without a server)."""
    return {"reference": full_url(resource_type, rid)}


def day(value: Any) -> str | None:
    """A YYYY-MM-DD date, or None: only well-formed dates go into date elements."""
    text = str(value) if value is not None else ""
    return text if _ISO_DATE.fullmatch(text) else None


def text(value: Any) -> str | None:
    """A non-empty string, or None (so absent facts stay absent instead of becoming "")."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def prune(value: Any) -> Any:
    """The JSON without None, empty lists and empty objects: FHIR forbids empty elements."""
    if isinstance(value, Mapping):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [v for v in (prune(v) for v in value) if v not in (None, [], {}, "")]
    return value


@dataclass(frozen=True)
class Context:
    """The export's inputs and the ids the Bundle will hold, so references are made only to those."""

    inputs: ExportInputs
    consent_ids: frozenset[str] = field(default_factory=frozenset)
    referral_ids: frozenset[str] = field(default_factory=frozenset)
    has_plan: bool = False

    @classmethod
    def of(cls, inputs: ExportInputs) -> Context:
        case = inputs.case
        return cls(
            inputs,
            consent_ids=frozenset(str(d.data["id"]) for d in case.by_form("core.consent") if d.data.get("id")),
            referral_ids=frozenset(str(d.data["id"]) for d in case.by_form("core.referral") if d.data.get("id")),
            has_plan=bool(case.by_form("core.plan")),
        )

    @property
    def client_id(self) -> str:
        return self.inputs.case.client_id

    @property
    def patient(self) -> dict[str, str]:
        return ref("Patient", self.client_id)

    @property
    def episode(self) -> dict[str, str]:
        return ref("EpisodeOfCare", resource_id("episode", self.client_id))

    def documents(self, form_id: str) -> list[CaseDocument]:
        return self.inputs.case.by_form(form_id)

    def staff(self, staff_id: Any) -> dict[str, str] | None:
        """A display-only reference to a worker: caseflow keeps no Practitioner resources."""
        if not isinstance(staff_id, str) or not staff_id:
            return None
        name = (self.inputs.staff.get(staff_id) or {}).get("name")
        return {"display": name or staff_id}

    def provider(self, provider_id: Any, name: Any) -> dict[str, Any] | None:
        """A display reference to a directory provider, with its directory id as an identifier."""
        display = text(name) or text((self.inputs.services.get(str(provider_id)) or {}).get("name"))
        if display is None and not text(provider_id):
            return None
        reference: dict[str, Any] = {"display": display}
        if text(provider_id):
            reference["identifier"] = {"system": "urn:caseflow:provider", "value": str(provider_id)}
        return reference


def code(system: str, value: str, display: str | None = None, label: str | None = None) -> dict[str, Any]:
    """A CodeableConcept with one coding (and a text, when the document has its own words)."""
    return {"coding": [{"system": system, "code": value, "display": display}], "text": label}


def concept(label: Any) -> dict[str, str] | None:
    """A text-only CodeableConcept: the document's own words, never a guessed code."""
    value = text(label)
    return {"text": value} if value else None


def require(value: str | None, allowed: Iterable[str], what: str) -> str:
    """``value`` if it is one of FHIR's codes for ``what``; the library does not check codes."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ExportError(f"{what}: '{value}' is not one of {', '.join(allowed)}")
    return value
