"""Consents: treatment consent and releases of information.

The fields are the required elements of a 42 CFR Part 2 written consent (§2.31(a)) and a HIPAA
authorization (45 CFR 164.508(c)); the numbers in the titles' comments refer to
shared/standards/README.md §4.2. A release must name its recipients, purposes, the information
it covers, an expiry, the signer and the required statements, or it does not validate.
"""

from __future__ import annotations

from caseflow import Form, hookimpl
from caseflow.core.formfields import (
    boolean,
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

RECIPIENT = record(
    "Recipient",
    {
        "name": text("Recipient name", min_length=1),  # 4: who receives the information
        "provider": directory_ref("Provider directory id"),  # match on directory ids, not free text
        "designation": choice("Designation", ["named", "treating-providers-tpo"]),
    },
    ["name"],
)

CONSENT_SCHEMA = document(
    "Consent",
    "core.consent",
    {
        "id": item_id("Consent id"),
        "client": client_id(),
        "kind": choice("Kind", ["treatment", "release"]),
        "regulation": choice("Rules that apply", ["hipaa", "part2"]),
        "patient_name": text("Patient name", phi=True, min_length=1),  # 1
        "disclosing_party": text("Who may disclose", min_length=1),  # 2
        "information_covered": list_of("Information covered", text("Information", min_length=1), min_items=1),  # 3
        "recipients": list_of("Recipients", RECIPIENT, min_items=1),  # 4
        "purposes": list_of("Purposes", text("Purpose", min_length=1), min_items=1),  # 5
        "right_to_revoke": text("Right to revoke and how", min_length=1),  # 6
        "expires_on": date("Expires on"),  # 7 (a date ...)
        # 7 (... or an event caseflow evaluates: discharge, end of referral, "1 year"; see core.consent_rules)
        "expiry_event": text("Expiry event"),
        "referral": item_id("Referral an 'end of referral' expiry follows"),
        "signed_by": record(
            "Signed by",
            {
                "name": text("Signer name", phi=True, min_length=1),
                "relationship": choice("Signer", ["self", "parent", "guardian", "personal-representative"]),
                "authority": text("Authority of a representative"),
            },
            ["name", "relationship"],
        ),  # 8
        "signed_on": date("Date signed"),  # 9
        # a minor who signs alone: the state law or rule under which they may consent
        "minor_consent_basis": text("Minor-consent basis", min_length=1),
        "redisclosure_notice": boolean("Redisclosure notice given"),
        "conditioning_statement": boolean("Statement on conditioning treatment given"),
        "recorded_by": staff("Recorded by"),
        "status": choice("Status", ["active", "revoked", "expired"]),
        "revoked_on": date("Revoked on"),
        "revocation_note": text("Revocation note"),
        "notes": text("Notes"),
    },
    ["id", "client", "kind", "patient_name", "signed_by", "signed_on", "status"],
)

# A release of information discloses: every element must be there (standards §4.2, §4.3).
CONSENT_SCHEMA["allOf"] = [
    {
        "if": {"properties": {"kind": {"const": "release"}}},
        "then": {
            "required": [
                "disclosing_party",
                "regulation",
                "information_covered",
                "recipients",
                "purposes",
                "right_to_revoke",
                "redisclosure_notice",
                "conditioning_statement",
            ],
            "anyOf": [{"required": ["expires_on"]}, {"required": ["expiry_event"]}],
            # The statements are not optional: a release without them is defective (164.508(c)(2)).
            "properties": {
                "redisclosure_notice": {"const": True, "x-message": "the redisclosure notice must be given (true)"},
                "conditioning_statement": {
                    "const": True,
                    "x-message": "the statement on conditioning treatment must be given (true)",
                },
            },
        },
    },
    {
        "if": {"properties": {"signed_by": {"properties": {"relationship": {"not": {"const": "self"}}}}}},
        "then": {"properties": {"signed_by": {"required": ["authority"]}}},
    },
    {
        "if": {"properties": {"status": {"const": "revoked"}}},
        "then": {"required": ["revoked_on"]},
    },
]


@hookimpl(trylast=True)
def register_forms() -> list[Form]:
    return [
        Form(
            id="core.consent",
            title="Consent",
            kind="yaml",
            path="consents/{id}.yaml",
            schema=CONSENT_SCHEMA,
            skeleton="forms/consent.yaml.j2",
            description="Treatment consent or release of information (42 CFR Part 2 / HIPAA elements).",
            summarize=lambda d: {
                "kind": d.get("kind"),
                "status": d.get("status"),
                "expires_on": d.get("expires_on"),
                "recipients": [r.get("provider") or r.get("name") for r in d.get("recipients") or []],
            },
        )
    ]
