"""Does a consent on file cover a disclosure? The rule of shared/standards/README.md §4.4.

A disclosure (a referral being sent, a packet rendered) names a recipient by directory id, a
purpose, the information it carries and whether that includes 42 CFR Part 2 (substance use)
records. A consent covers it only if every condition holds; otherwise each failed condition is
reported in plain words, so the person sees exactly what to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow.core.consent_rules import ConsentFacts, expiry_reasons, minor_problem
from caseflow.core.consent_rules import is_tpo as _is_tpo
from caseflow.core.consent_rules import words as _words

#: Required elements of a release (42 CFR 2.31(a) / 45 CFR 164.508(c)), by field and in words.
REQUIRED_ELEMENTS = (
    ("disclosing_party", "who may disclose"),
    ("information_covered", "a description of the information"),
    ("recipients", "the recipients"),
    ("purposes", "the purpose of each disclosure"),
    ("right_to_revoke", "the right to revoke and how"),
    ("signed_by", "the signature"),
    ("signed_on", "the date signed"),
)
TPO = "treatment, payment and health care operations"


@dataclass(frozen=True)
class Disclosure:
    """Information about to leave the agency."""

    client_id: str
    recipient: str  # the recipient's directory id (organization or service)
    purpose: str
    information: frozenset[str] = field(default_factory=frozenset)
    part2: bool = False
    on: str = ""  # ISO date of the disclosure
    #: The recipient is a treating provider, plan or payer (a TPO designation may cover it).
    treating_provider: bool = False
    service: str = ""  # the directory id of the service, when the consent names the service itself


def why_not(consent: Mapping[str, Any], disclosure: Disclosure, facts: ConsentFacts) -> list[str]:
    """Every reason ``consent`` does not cover ``disclosure`` ([] means it does); ``facts`` of the
    client decide when it ends (:mod:`caseflow.core.consent_rules`)."""
    reasons: list[str] = []
    if consent.get("client") != disclosure.client_id:
        reasons.append("is another client's consent")
    if consent.get("kind") != "release":
        reasons.append("is a treatment consent, not a release of information")
    reasons.extend(_missing_elements(consent))
    reasons.extend(_timing(consent, disclosure, facts))
    if not _names_recipient(consent, disclosure):
        reasons.append(f"does not name {disclosure.recipient} as a recipient")
    purposes = {_words(p) for p in consent.get("purposes") or []}
    if _words(disclosure.purpose) not in purposes and not (_is_tpo(disclosure.purpose) and _tpo(consent)):
        listed = "; ".join(str(p) for p in consent.get("purposes") or []) or "none"
        reasons.append(f"does not cover the purpose '{disclosure.purpose}' (it covers: {listed})")
    covered = {_words(i) for i in consent.get("information_covered") or []}
    uncovered = sorted(i for i in disclosure.information if _words(i) not in covered)
    if uncovered:
        reasons.append(f"does not cover this information: {', '.join(uncovered)}")
    if disclosure.part2 and consent.get("regulation") != "part2":
        reasons.append("is not a 42 CFR Part 2 consent, and the information includes substance-use records")
    return reasons


def validity(consent: Mapping[str, Any], today: str, facts: ConsentFacts) -> list[str]:
    """Why a consent is not valid today, whoever it is for ([] means valid): elements, signer and dates."""
    probe = Disclosure(str(consent.get("client")), "", "", on=today)
    if consent.get("kind") != "release":
        return _timing(consent, probe, facts)
    return _missing_elements(consent) + _timing(consent, probe, facts)


def _missing_elements(consent: Mapping[str, Any]) -> list[str]:
    missing = [words for key, words in REQUIRED_ELEMENTS if not consent.get(key)]
    if not consent.get("expires_on") and not consent.get("expiry_event"):
        missing.append("an expiry date or event")
    for statement, words in (
        ("redisclosure_notice", "the redisclosure notice"),
        ("conditioning_statement", "the statement on conditioning treatment"),
    ):
        if consent.get(statement) is not True:
            missing.append(words)
    signer = consent.get("signed_by") if isinstance(consent.get("signed_by"), Mapping) else {}
    if signer and signer.get("relationship") not in (None, "self") and not signer.get("authority"):
        missing.append("the authority of the representative who signed")
    return [f"lacks {words}" for words in missing]


def _timing(consent: Mapping[str, Any], disclosure: Disclosure, facts: ConsentFacts) -> list[str]:
    reasons = []
    on = disclosure.on
    signed = consent.get("signed_on")
    if isinstance(signed, str) and on and on < signed:
        reasons.append(f"was signed on {signed}, after this disclosure")
    minor = minor_problem(consent, facts)
    if minor:
        reasons.append(f"lacks the right signer ({minor})")
    revoked = consent.get("revoked_on") if isinstance(consent.get("revoked_on"), str) else None
    # A revocation holds from its date: what was sent before it stays lawful.
    revoked_now = revoked is not None and (not on or on >= revoked)
    if revoked_now or (consent.get("status") == "revoked" and revoked is None):
        reasons.append(f"was revoked on {revoked}" if revoked else "was revoked")
    reasons.extend(expiry_reasons(consent, facts, on))
    if consent.get("status") == "expired":
        reasons.append("is marked expired")
    elif consent.get("status") not in ("active", "revoked"):
        reasons.append(f"is not active (status: {consent.get('status')})")
    return reasons


def _tpo(consent: Mapping[str, Any]) -> bool:
    return any(_is_tpo(p) for p in consent.get("purposes") or [])


def _names_recipient(consent: Mapping[str, Any], disclosure: Disclosure) -> bool:
    for recipient in consent.get("recipients") or []:
        if not isinstance(recipient, Mapping):
            continue
        if recipient.get("provider") and recipient.get("provider") in (disclosure.recipient, disclosure.service):
            return True
        # a general designation reaches only treating providers, and only for TPO (§4.2 item 4)
        tpo_designation = recipient.get("designation") == "treating-providers-tpo"
        if tpo_designation and disclosure.treating_provider and _is_tpo(disclosure.purpose):
            return True
    return False


@dataclass(frozen=True)
class ConsentCheck:
    """Which consent covers a disclosure, or why none does (per consent id)."""

    covering: str | None
    reasons: Mapping[str, list[str]]

    @property
    def ok(self) -> bool:
        return self.covering is not None

    def refusal(self) -> list[str]:
        if not self.reasons:
            return ["no release of information is on file for this client"]
        return [f"consent {cid} {'; '.join(why)}" for cid, why in self.reasons.items()]


def find_covering(consents: Iterable[Mapping[str, Any]], disclosure: Disclosure, facts: ConsentFacts) -> ConsentCheck:
    """The first consent that covers ``disclosure``, or every release's reasons why not."""
    reasons: dict[str, list[str]] = {}
    for consent in consents:
        why = why_not(consent, disclosure, facts)
        consent_id = str(consent.get("id"))
        if not why:
            return ConsentCheck(consent_id, {})
        if consent.get("kind") == "release":  # a treatment consent was never meant to cover it
            reasons[consent_id] = why
    return ConsentCheck(None, reasons)
