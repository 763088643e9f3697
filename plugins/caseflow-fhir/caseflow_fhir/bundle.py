"""The Bundle: every mapped resource, validated by fhir.resources' R4B models, as JSON bytes.

R4B is used because fhir.resources has no R4 package and its default (R5) models reject R4
shapes (standards §2.2). Validation covers structure and cardinality only: codes are checked by
the mappings themselves, and references are checked here, so a receiver never meets a dangling one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from caseflow import ExportInputs
from caseflow_fhir.care import episode_of_care, plan_resources
from caseflow_fhir.common import Context, ExportError, Resource, full_url, prune
from caseflow_fhir.consents import consent_resources
from caseflow_fhir.households import household_resources
from caseflow_fhir.medications import medication_resources
from caseflow_fhir.patient import patient
from caseflow_fhir.referrals import referral_resources
from caseflow_fhir.screenings import screening_resources
from caseflow_fhir.visits import visit_resources


def resources(inputs: ExportInputs) -> list[Resource]:
    """Every resource of the client's record, as plain FHIR JSON, without empty elements."""
    ctx = Context.of(inputs)
    mapped = [
        patient(ctx),
        episode_of_care(ctx),
        *plan_resources(ctx),
        *consent_resources(ctx),
        *referral_resources(ctx),
        *visit_resources(ctx),
        *screening_resources(ctx),
        *medication_resources(ctx),
        *household_resources(ctx),
    ]
    return [prune(r) for r in mapped]


def bundle_json(inputs: ExportInputs) -> dict[str, Any]:
    entries = [{"fullUrl": full_url(r["resourceType"], r["id"]), "resource": r} for r in resources(inputs)]
    urls = {e["fullUrl"] for e in entries}
    dangling = sorted({ref for e in entries for ref in references(e["resource"]) if ref not in urls})
    if dangling:
        raise ExportError(f"the Bundle would hold references to resources it lacks: {', '.join(dangling)}")
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def references(value: Any) -> Iterator[str]:
    """Every ``reference`` string anywhere in a resource."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def export_bundle(inputs: ExportInputs) -> bytes:
    """Build, validate (pydantic, on construction) and serialize the Bundle."""
    from fhir.resources.R4B.bundle import Bundle

    bundle = Bundle.model_validate(bundle_json(inputs))
    return bundle.model_dump_json(indent=2).encode("utf-8")
