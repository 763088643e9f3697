"""The consent rule of standards §4.4: each way a consent can fail to cover a disclosure."""

from __future__ import annotations

from typing import Any

import pytest

from caseflow.core.consent_rules import ConsentFacts
from caseflow.referrals.coverage import TPO, Disclosure, find_covering, why_not

CLIENT = "C-7K2M9Q"
#: A client with no discharge, no referral and no date of birth: only the consent decides.
FACTS = ConsentFacts()


def release(**changes: Any) -> dict[str, Any]:
    consent: dict[str, Any] = {
        "id": "CN-2Q4W6E",
        "client": CLIENT,
        "kind": "release",
        "regulation": "hipaa",
        "patient_name": "Ana Example",
        "disclosing_party": "Test Agency",
        "information_covered": ["contact details", "service plan goals"],
        "recipients": [{"name": "Eastside Counseling", "provider": "eastside-counseling", "designation": "named"}],
        "purposes": ["coordinating counseling"],
        "right_to_revoke": "In writing, to the case manager.",
        "expires_on": "2027-01-31",
        "signed_by": {"name": "Ana Example", "relationship": "self"},
        "signed_on": "2026-02-01",
        "redisclosure_notice": True,
        "conditioning_statement": True,
        "status": "active",
    }
    consent.update(changes)
    return {k: v for k, v in consent.items() if v is not None}


def send(**changes: Any) -> Disclosure:
    values: dict[str, Any] = {
        "client_id": CLIENT,
        "recipient": "eastside-counseling",
        "purpose": "Coordinating counseling",
        "information": frozenset({"contact details"}),
        "on": "2026-03-01",
    }
    values.update(changes)
    return Disclosure(**values)


def test_a_complete_release_covers_its_disclosure() -> None:
    assert why_not(release(), send(), FACTS) == []
    assert find_covering([release()], send(), FACTS).covering == "CN-2Q4W6E"


@pytest.mark.parametrize(
    ("consent", "disclosure", "reason"),
    [
        (release(expires_on="2026-02-28"), send(), "expired on 2026-02-28"),
        (release(status="revoked", revoked_on="2026-02-15"), send(), "was revoked on 2026-02-15"),
        (release(signed_on="2026-03-05"), send(), "was signed on 2026-03-05, after this disclosure"),
        (
            release(),
            send(recipient="county-housing-authority"),
            "does not name county-housing-authority as a recipient",
        ),
        (release(), send(purpose="fundraising"), "does not cover the purpose 'fundraising'"),
        (release(), send(information=frozenset({"diagnosis"})), "does not cover this information: diagnosis"),
        (
            release(),
            send(part2=True),
            "is not a 42 CFR Part 2 consent, and the information includes substance-use records",
        ),
        (release(right_to_revoke=None), send(), "lacks the right to revoke and how"),
        (release(expires_on=None), send(), "lacks an expiry date or event"),
        (release(redisclosure_notice=False), send(), "lacks the redisclosure notice"),
        (
            release(signed_by={"name": "A. Parent", "relationship": "guardian"}),
            send(),
            "lacks the authority of the representative who signed",
        ),
        (release(kind="treatment"), send(), "is a treatment consent, not a release of information"),
        (release(client="C-AAAAAA"), send(), "is another client's consent"),
        (release(expires_on=None, expiry_event="none"), send(), "has an expiry caseflow cannot evaluate"),
    ],
    ids=[
        "expired",
        "revoked",
        "signed-after",
        "recipient",
        "purpose",
        "information",
        "part2",
        "revoke-element",
        "no-expiry",
        "statement",
        "representative",
        "treatment-consent",
        "other-client",
        "none-expiry",
    ],
)
def test_each_rule(consent: dict[str, Any], disclosure: Disclosure, reason: str) -> None:
    assert any(r.startswith(reason) for r in why_not(consent, disclosure, FACTS)), why_not(consent, disclosure, FACTS)
    assert not find_covering([consent], disclosure, FACTS).ok


def test_a_revocation_does_not_undo_what_was_sent_before_it() -> None:
    consent = release(status="revoked", revoked_on="2026-04-01")
    assert why_not(consent, send(on="2026-03-01"), FACTS) == []
    assert why_not(consent, send(on="2026-04-01"), FACTS) == ["was revoked on 2026-04-01"]


def test_part2_tpo_consent_may_run_to_the_end_of_treatment() -> None:
    consent = release(
        regulation="part2",
        expires_on=None,
        expiry_event="end of treatment",
        purposes=[TPO],
        recipients=[{"name": "My treating providers", "designation": "treating-providers-tpo"}],
    )
    treating = send(purpose=TPO, part2=True, treating_provider=True)
    assert why_not(consent, treating, FACTS) == []
    # a general designation never reaches a housing provider, which is not a treating provider
    assert why_not(consent, send(purpose=TPO, part2=True, recipient="county-housing-authority"), FACTS) == [
        "does not name county-housing-authority as a recipient"
    ]


def test_the_tpo_purpose_matches_however_it_is_punctuated_and_never_means_no_expiry() -> None:
    written = "Treatment, payment, and health-care operations."
    consent = release(regulation="part2", expires_on=None, expiry_event="None", purposes=[written])
    assert why_not(consent, send(purpose=TPO, part2=True), FACTS) == []
    for never in ("never", "Indefinitely", "does not expire"):
        hipaa = release(expires_on=None, expiry_event=never)
        (reason,) = why_not(hipaa, send(), FACTS)
        assert reason.startswith(f"has an expiry caseflow cannot evaluate (expiry_event '{never}' leaves the consent")


def test_a_consent_that_is_not_active_covers_nothing() -> None:
    assert why_not(release(status="draft"), send(), FACTS) == ["is not active (status: draft)"]


def test_the_refusal_lists_every_release_and_what_each_lacks() -> None:
    check = find_covering(
        [release(expires_on="2026-02-01"), release(id="CN-9Z9Z9Z", purposes=["housing"])], send(), FACTS
    )
    assert check.refusal() == [
        "consent CN-2Q4W6E expired on 2026-02-01",
        "consent CN-9Z9Z9Z does not cover the purpose 'Coordinating counseling' (it covers: housing)",
    ]
    assert find_covering([], send(), FACTS).refusal() == ["no release of information is on file for this client"]
