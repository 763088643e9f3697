"""Recording consents from the command line: a release to directory providers, a treatment consent, a revocation.

A release names its recipients by directory id (checked against the directories, never free
text), with the purposes, the information covered, an expiry and the signature. The statements
the rules require on the signed form itself (the right to revoke and how, that information may be
redisclosed, whether services depend on signing) are the agency's standard wording: this command
records a release signed on the agency's form, which carries them. A consent that would not be
valid on the day it is recorded (§4.4: no real expiry, missing elements) is refused, with why.
Every consent is one commit; a revocation holds from its date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caseflow.core.config import Staff
from caseflow.core.consent_rules import expiry_problem, facts_of, minor_problem, parse_expiry_event
from caseflow.core.ids import check_document_id, random_client_id
from caseflow.errors import CaseflowError, NotFound, UsageError
from caseflow.referrals.coverage import validity
from caseflow.referrals.directory import find_service
from caseflow.referrals.directory_files import directories

if TYPE_CHECKING:
    from caseflow.core.events import SavedDocument
    from caseflow.session import Session

RIGHT_TO_REVOKE = (
    "The client may revoke this consent in writing at any time, except for disclosures already made, "
    "by giving written notice to the case manager."
)
RELATIONSHIPS = ("self", "parent", "guardian", "personal-representative")


@dataclass(frozen=True)
class ConsentTerms:
    """What the person signed, as given on the command line."""

    recipients: Sequence[str] = ()  # directory ids (organization or service)
    purposes: Sequence[str] = ()
    information: Sequence[str] = ()
    expires_on: str | None = None
    expiry_event: str | None = None
    part2: bool = False
    treatment: bool = False
    signed_on: str | None = None
    signed_by: str | None = None  # default: the client
    relationship: str = "self"
    authority: str | None = None
    notes: str | None = None
    #: The referral an "end of referral" expiry follows (default: the first one sent under it).
    referral: str | None = None
    #: The state law or rule under which a minor consents without a parent or guardian.
    minor_consent_basis: str | None = None


def record_consent(repo: Session, actor: Staff, client_id: str, terms: ConsentTerms) -> SavedDocument:
    """Write ``consents/<id>.yaml`` for the client in one commit; refuse incomplete or impossible terms."""
    from caseflow.records import actions

    record = repo.client_record(client_id)
    today = repo.today()
    signed_on = _date(terms.signed_on, "--signed-on") if terms.signed_on else today
    if signed_on > today:
        raise UsageError(f"--signed-on {signed_on} is in the future; record a consent once it is signed")
    if terms.relationship not in RELATIONSHIPS:
        raise UsageError(f"--relationship must be one of {', '.join(RELATIONSHIPS)}")
    if terms.relationship != "self" and not (terms.authority and terms.signed_by):
        raise UsageError(
            "a representative's signature needs --signed-by and --authority (e.g. 'court-appointed guardian')"
        )
    if terms.referral and parse_expiry_event(terms.expiry_event).kind != "end-of-referral":
        raise UsageError("--referral names the referral an --expiry-event 'end of referral' follows")
    if terms.treatment:
        given = [option for option, value in _release_options(terms) if value]
        if given:
            raise UsageError(f"{', '.join(given)} describe a release of information, not a treatment consent")
    data: dict[str, Any] = {
        "form": "core.consent",
        "id": random_client_id("CN-"),
        "client": client_id,
        "kind": "treatment" if terms.treatment else "release",
        "regulation": "part2" if terms.part2 else "hipaa",
        "patient_name": record.get("name"),
        "disclosing_party": repo.config.agency,
    }
    if not terms.treatment:
        data.update(_release_terms(repo, client_id, terms, signed_on))
    signer: dict[str, Any] = {"name": terms.signed_by or record.get("name"), "relationship": terms.relationship}
    if terms.authority:
        signer["authority"] = terms.authority
    data.update(
        {
            "signed_by": signer,
            "signed_on": signed_on.isoformat(),
            "recorded_by": actor.id,
            "status": "active",
        }
    )
    if terms.minor_consent_basis and terms.minor_consent_basis.strip():
        data["minor_consent_basis"] = terms.minor_consent_basis.strip()
    if terms.notes:
        data["notes"] = terms.notes
    facts = facts_of(repo.case(client_id))
    minor = minor_problem(data, facts)
    if minor:
        raise CaseflowError(minor)
    invalid = validity(data, today.isoformat(), facts)
    if invalid:
        raise CaseflowError(f"this consent would not be valid: it {'; it '.join(invalid)}")
    kind = "treatment consent" if terms.treatment else f"release to {', '.join(terms.recipients)}"
    return actions.create_from_data(
        repo, actor, client_id, "core.consent", data, "consent", {"Consent": f"{data['id']} {kind}"}
    )


def _release_terms(repo: Session, client_id: str, terms: ConsentTerms, signed_on: dt.date) -> dict[str, Any]:
    missing = [option for option, given in _release_options(terms) if not given]
    if missing:
        raise UsageError(f"a release of information needs {', '.join(missing)} (42 CFR 2.31, 45 CFR 164.508)")
    terms_out: dict[str, Any] = {
        "information_covered": list(terms.information),
        "recipients": [_recipient(repo, recipient_id) for recipient_id in terms.recipients],
        "purposes": list(terms.purposes),
        "right_to_revoke": RIGHT_TO_REVOKE,
    }
    if terms.expires_on:
        expires = _date(terms.expires_on, "--expires")
        if expires <= signed_on:
            raise UsageError(f"--expires {expires} is not after the date signed ({signed_on})")
        terms_out["expires_on"] = expires.isoformat()
    if terms.expiry_event:
        terms_out.update(_expiry_event(repo, client_id, terms))
    terms_out["redisclosure_notice"] = True
    terms_out["conditioning_statement"] = True
    return terms_out


def _expiry_event(repo: Session, client_id: str, terms: ConsentTerms) -> dict[str, str]:
    """The expiry event as caseflow writes it (``1 year``, ``end of referral``); refused when it
    cannot be evaluated, or is open-ended outside a Part 2 consent for treatment, payment and operations."""
    expiry = parse_expiry_event(terms.expiry_event)
    probe = {"expiry_event": terms.expiry_event, "regulation": "part2" if terms.part2 else "hipaa"}
    problem = expiry_problem(probe | {"purposes": list(terms.purposes)}, "--expiry-event", "--expires")
    if problem:
        raise CaseflowError(problem)
    found: dict[str, str] = {"expiry_event": expiry.canonical}
    if terms.referral:
        check_document_id(terms.referral, "referral")
        path = f"{repo.client_dir(client_id)}/referrals/{terms.referral}.yaml"
        if not (repo.root / path).is_file():
            raise NotFound(f"--referral: no referral {terms.referral} for {client_id}")
        found["referral"] = terms.referral
    return found


def _release_options(terms: ConsentTerms) -> list[tuple[str, object]]:
    return [
        ("--to", terms.recipients),
        ("--purpose", terms.purposes),
        ("--information", terms.information),
        ("--expires or --expiry-event", terms.expires_on or terms.expiry_event),
    ]


def _recipient(repo: Session, recipient_id: str) -> dict[str, str]:
    """A recipient as the directories know it: by id, with the name for people reading the file."""
    service = find_service([s for d in directories(repo) for s in d.services], recipient_id)
    if service is None:
        raise NotFound(
            f"'{recipient_id}' is not a provider or service in the directories "
            "(caseflow providers search; recipients are named by directory id, not free text)"
        )
    if service.id == recipient_id:
        return {"name": f"{service.organization}: {service.name}", "provider": service.id}
    return {"name": service.organization, "provider": service.organization_id}


def revoke_consent(
    repo: Session, actor: Staff, client_id: str, consent_id: str, on: str | None, note: str | None
) -> SavedDocument:
    """Mark a consent revoked from a date (earlier disclosures stay lawful), one commit."""
    from caseflow.records import actions

    path = f"{repo.client_dir(client_id)}/consents/{check_document_id(consent_id, 'consent')}.yaml"
    if not (repo.root / path).is_file():
        raise NotFound(f"no consent {consent_id} for {client_id} (caseflow consents {client_id})")
    revoked = _date(on, "--date") if on else repo.today()
    if revoked > repo.today():
        raise UsageError(f"--date {revoked} is in the future; record a revocation when it is made")
    form = repo.form("core.consent")
    with repo.store.transaction(repo.author(actor), action="revoke consent", client=client_id) as tx:
        actions.refuse_uncommitted(repo, path)
        document = repo.read_document(path)
        if document.data.get("status") == "revoked":
            raise CaseflowError(f"consent {consent_id} was already revoked on {document.data.get('revoked_on')}")
        signed = document.data.get("signed_on")
        if isinstance(signed, str) and revoked.isoformat() < signed:
            raise UsageError(f"--date {revoked} is before the consent was signed ({signed})")
        document.data["status"] = "revoked"
        document.data["revoked_on"] = revoked.isoformat()
        if note:
            document.data["revocation_note"] = note
        tx.details["Consent"] = f"{consent_id} revoked from {revoked}"
        actions.commit_document(repo, tx, document, form, client_id)
    return actions.saved(repo, tx, client_id, path, form, "revoke consent")


def _date(value: str | None, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None
