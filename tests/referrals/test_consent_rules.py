"""Consents that end by rule (a date, discharge, the end of a referral, a duration after signing,
open-ended only for a Part 2 TPO consent) and minors' consents: the rule, and every place that uses it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from caseflow.core.consent_rules import (
    ConsentFacts,
    after,
    ending,
    expiry_reasons,
    minor_problem,
    parse_expiry_event,
)
from caseflow.referrals.coverage import TPO
from caseflow.testing import Result, git
from tests.referrals.test_commands import PROVIDER, RELEASE
from tests.samples import CLIENT, CLIENT_YAML

Run = Callable[..., Result]
CONSENT = "CN-2Q4W6E"
REFERRAL = "R-5T7Y9U"


def release(**changes: Any) -> dict[str, Any]:
    consent: dict[str, Any] = {
        "id": CONSENT,
        "client": CLIENT,
        "kind": "release",
        "regulation": "hipaa",
        "purposes": ["coordinating counseling"],
        "expiry_event": "1 year",
        "signed_by": {"name": "Ana Example", "relationship": "self"},
        "signed_on": "2026-08-12",
        "status": "active",
    }
    consent.update(changes)
    return {k: v for k, v in consent.items() if v is not None}


# -- the rule ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "amount", "unit", "end"),
    [
        ("2026-08-12", 1, "years", "2027-08-12"),
        ("2026-01-31", 1, "months", "2026-02-28"),  # clamps to the month's last day
        ("2024-02-29", 1, "years", "2025-02-28"),
        ("2026-11-30", 3, "months", "2027-02-28"),
        ("2026-08-12", 90, "days", "2026-11-10"),
        ("2026-08-12", 2, "weeks", "2026-08-26"),
    ],
)
def test_a_duration_after_signing_has_a_date(start: str, amount: int, unit: str, end: str) -> None:
    assert after(dt.date.fromisoformat(start), amount, unit).isoformat() == end


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("1 year", "duration"),
        ("6 Months", "duration"),
        ("90 days after signing", "duration"),
        ("discharge", "discharge"),
        ("End of referral", "end-of-referral"),
        ("end-of-referral", "end-of-referral"),
        ("none", "open-ended"),
        ("end of treatment", "open-ended"),
        ("one year after signing", "unevaluable"),
        ("1 fortnight", "unevaluable"),
        ("0 days", "unevaluable"),
        ("End of case management services, or one year, whichever comes first", "unevaluable"),
    ],
)
def test_expiry_events_are_parsed_strictly(text: str, kind: str) -> None:
    assert parse_expiry_event(text).kind == kind


def test_the_issue_scenario_one_year_after_signing_is_expired_on_2028_01_01() -> None:
    assert expiry_reasons(release(), ConsentFacts(), "2027-08-11") == []
    assert expiry_reasons(release(), ConsentFacts(), "2028-01-01") == ["expired on 2027-08-12 (1 year after signing)"]


def test_discharge_ends_a_consent_signed_before_it_and_not_one_signed_after() -> None:
    consent = release(expiry_event="discharge")
    assert expiry_reasons(consent, ConsentFacts(), "2030-01-01") == []  # not discharged: still valid
    discharged = ConsentFacts(discharges=("2026-05-01", "2027-03-02"))  # the first was an earlier episode
    assert expiry_reasons(consent, discharged, "2027-03-01") == []
    assert expiry_reasons(consent, discharged, "2027-03-02") == ["expired on 2027-03-02 (at discharge)"]


def test_a_date_and_an_event_end_the_consent_at_whichever_comes_first() -> None:
    consent = release(expiry_event="discharge", expires_on="2027-08-12")
    assert ending(consent, ConsentFacts(discharges=("2027-01-05",))).on == "2027-01-05"  # type: ignore[union-attr]
    assert ending(consent, ConsentFacts()).on == "2027-08-12"  # type: ignore[union-attr]


def test_the_end_of_the_referral_it_covers() -> None:
    consent = release(expiry_event="end of referral")
    open_referral = ConsentFacts(referrals={REFERRAL: ("in-progress", None, CONSENT)})
    assert expiry_reasons(consent, open_referral, "2027-06-01") == []
    closed = ConsentFacts(
        referrals={REFERRAL: ("completed", "2027-02-01", CONSENT), "R-OTHER1": ("cancelled", "2026-09-01", None)}
    )
    assert expiry_reasons(consent, closed, "2027-06-01") == [f"expired on 2027-02-01 (when referral {REFERRAL} closed)"]
    # a consent naming its referral follows that one only
    named = release(expiry_event="end of referral", referral="R-OTHER1")
    assert expiry_reasons(named, closed, "2026-09-01") == ["expired on 2026-09-01 (when referral R-OTHER1 closed)"]


def test_open_ended_only_for_a_part2_tpo_consent_and_it_still_ends_at_discharge() -> None:
    tpo = release(regulation="part2", purposes=[TPO], expiry_event="none")
    shown = ending(tpo, ConsentFacts())
    assert shown is not None and shown.describe() == "until treatment ends" and shown.open_ended
    assert expiry_reasons(tpo, ConsentFacts(discharges=("2027-04-01",)), "2027-04-02") == [
        "expired on 2027-04-01 (treatment ended)"
    ]
    (hipaa,) = expiry_reasons(release(expiry_event="none"), ConsentFacts(), "2026-09-01")
    assert "leaves the consent open-ended, which only a Part 2 consent" in hipaa


def test_a_minor_needs_a_representative_or_a_recorded_basis() -> None:
    twelve = ConsentFacts(dob="2014-03-01", client_id=CLIENT)
    assert minor_problem(release(), twelve) == (
        f"{CLIENT} is 12 on 2026-08-12 (under 18): a parent, guardian or personal representative signs, "
        "or record minor_consent_basis"
    )
    parent = {"name": "A. Parent", "relationship": "parent", "authority": "mother"}
    assert minor_problem(release(signed_by=parent), twelve) is None
    assert minor_problem(release(minor_consent_basis="state law: minor may consent to SUD treatment"), twelve) is None
    assert minor_problem(release(), ConsentFacts(dob="2008-08-12", client_id=CLIENT)) is None  # 18 that day
    assert minor_problem(release(), ConsentFacts(dob="2008-08-12", age_of_majority=21)) is not None
    assert minor_problem(release(), ConsentFacts(client_id=CLIENT)) is None  # no date of birth: no check


# -- the commands --------------------------------------------------------------------------------------

HANDWRITTEN = f"""form: core.consent
id: {CONSENT}
client: {CLIENT}
kind: release
regulation: hipaa
patient_name: Ana Example
disclosing_party: Test Agency
information_covered: [Contact information]
recipients:
  - name: Eastside Counseling (fictional)
    provider: eastside-counseling
purposes: [Referral for counseling]
right_to_revoke: In writing, to the case manager.
expiry_event: {{expiry}}
signed_by:
  name: Ana Example
  relationship: self
signed_on: 2026-08-12
redisclosure_notice: true
conditioning_statement: true
status: active
"""
SENT_REFERRAL = f"""form: core.referral
id: {REFERRAL}
client: {CLIENT}
directory: repository
provider: eastside-counseling
provider_name: Eastside Counseling (fictional)
service_id: eastside-cbt
service: Individual therapy (CBT)
category: counseling
purpose: Referral for counseling
information: [Contact information]
part2: false
requested_by: casey
consent: {CONSENT}
requested_on: 2026-08-20
status: {{status}}
history:
  - {{{{status: draft, on: 2026-08-19, by: casey}}}}
  - {{{{status: requested, on: 2026-08-20, by: casey, consent: {CONSENT}}}}}
"""


def caseflow(run: Run, repo: Path, *args: str, today: str | None = None) -> Result:
    env = {"CASEFLOW_TODAY": today} if today else None
    return run("--repo", repo, "--as", "casey", *args, env=env)


def unchanged(repo: Path, head: str) -> bool:
    return git(repo, "rev-parse", "HEAD") == head and git(repo, "status", "--porcelain") == ""


@pytest.fixture
def signed(case_repo: Callable[..., Path]) -> Path:
    """A release signed 2026-08-12 that expires "1 year" after, and a referral sent under it."""
    return case_repo(
        {
            f"clients/{CLIENT}/client.yaml": CLIENT_YAML,
            f"clients/{CLIENT}/consents/{CONSENT}.yaml": HANDWRITTEN.format(expiry="1 year"),
            f"clients/{CLIENT}/referrals/{REFERRAL}.yaml": SENT_REFERRAL.format(status="requested"),
            "providers/eastside-counseling.yaml": PROVIDER,
        }
    )


def test_the_issue_scenario_end_to_end_on_2028_01_01(signed: Path, invoke_caseflow: Run) -> None:
    (valid,) = json.loads(caseflow(invoke_caseflow, signed, "consents", CLIENT, "--json", today="2027-08-11").stdout)
    assert valid["valid_today"] and valid["ends_on"] == "2027-08-12" and not valid["expired"]
    listed = caseflow(invoke_caseflow, signed, "consents", CLIENT, "--json", today="2028-01-01").assert_success()
    (row,) = json.loads(listed.stdout)
    assert row["valid_today"] is False and row["expired"] is True and row["ends_on"] == "2027-08-12"
    assert row["why_not"] == ["expired on 2027-08-12 (1 year after signing)"]
    assert row["expiry"] == "2027-08-12 (1 year after signing)"
    text = caseflow(invoke_caseflow, signed, "consents", CLIENT, today="2028-01-01").stdout
    assert "expired on 2027-08-12 (1 year after signing)" in text and " yes" not in text

    head = git(signed, "rev-parse", "HEAD")
    packet = caseflow(invoke_caseflow, signed, "referral", "packet", CLIENT, REFERRAL, today="2028-01-01")
    assert packet.exit_code == 1, packet.stderr
    assert f"consent {CONSENT} expired on 2027-08-12 (1 year after signing)" in packet.stderr
    draft = SENT_REFERRAL.format(status="draft").replace(
        f"  - {{status: requested, on: 2026-08-20, by: casey, consent: {CONSENT}}}\n", ""
    )
    (signed / f"clients/{CLIENT}/referrals/{REFERRAL}.yaml").write_text(draft)
    git(signed, "commit", "-qam", "back to draft")
    head = git(signed, "rev-parse", "HEAD")
    send = caseflow(invoke_caseflow, signed, "referral", CLIENT, REFERRAL, "--status", "requested", today="2028-01-01")
    assert send.exit_code == 1 and f"consent {CONSENT} expired on 2027-08-12 (1 year after signing)" in send.stderr
    assert unchanged(signed, head)
    caseflow(invoke_caseflow, signed, "referral", CLIENT, REFERRAL, "--status", "requested", today="2027-08-11")
    assert git(signed, "rev-parse", "HEAD") != head  # the day before it ends, it goes


def test_an_export_to_a_recipient_checks_the_same_rule(signed: Path, invoke_caseflow: Run) -> None:
    args = ("export", CLIENT, "--format", "fhir", "--to", "eastside-counseling", "--purpose", "Referral for counseling")
    refused = caseflow(invoke_caseflow, signed, *args, "--as", "sam", today="2028-01-01")
    assert refused.exit_code == 1 and "expired on 2027-08-12 (1 year after signing)" in refused.stderr


def test_a_free_text_expiry_is_reported_by_validate_at_its_line(
    case_repo: Callable[..., Path], invoke_caseflow: Run
) -> None:
    path = f"clients/{CLIENT}/consents/{CONSENT}.yaml"
    repo = case_repo(
        {
            f"clients/{CLIENT}/client.yaml": CLIENT_YAML,
            path: HANDWRITTEN.format(expiry="one year after signing"),
            "providers/eastside-counseling.yaml": PROVIDER,
        }
    )
    found = caseflow(invoke_caseflow, repo, "validate")
    assert found.exit_code == 1
    assert f"{path}:14:15: expiry_event 'one year after signing' cannot be evaluated; use expires_on (a date)" in (
        found.stdout + found.stderr
    )
    (row,) = json.loads(caseflow(invoke_caseflow, repo, "consents", CLIENT, "--json").assert_success().stdout)
    assert not row["valid_today"] and row["why_not"][0].startswith("has an expiry caseflow cannot evaluate")


@pytest.fixture
def agency(case_repo: Callable[..., Path]) -> Path:
    return case_repo({f"clients/{CLIENT}/client.yaml": CLIENT_YAML, "providers/eastside-counseling.yaml": PROVIDER})


def test_recording_refuses_an_expiry_nothing_can_evaluate(agency: Path, invoke_caseflow: Run) -> None:
    head = git(agency, "rev-parse", "HEAD")
    refused = caseflow(
        invoke_caseflow, agency, "consent", CLIENT, *RELEASE[:-2], "--expiry-event", "one year after signing"
    )
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1
    assert (
        "--expiry-event 'one year after signing' cannot be evaluated; "
        "use --expires (a date) or an --expiry-event of: discharge" in refused.stderr
    )
    assert unchanged(agency, head)


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("1 Year", "1 year"),
        ("6 months", "6 months"),
        ("Discharge", "discharge"),
        ("end-of-referral", "end of referral"),
    ],
)
def test_recording_writes_the_expiry_event_as_caseflow_reads_it(
    agency: Path, invoke_caseflow: Run, given: str, written: str
) -> None:
    consent_id = (
        caseflow(invoke_caseflow, agency, "consent", CLIENT, *RELEASE[:-2], "--expiry-event", given)
        .assert_success()
        .stdout.strip()
    )
    text = (agency / f"clients/{CLIENT}/consents/{consent_id}.yaml").read_text()
    assert f"expiry_event: {written}\n" in text


def test_due_warns_before_a_computed_expiry(case_repo: Callable[..., Path], invoke_caseflow: Run) -> None:
    repo = case_repo(
        {
            f"clients/{CLIENT}/client.yaml": CLIENT_YAML,
            f"clients/{CLIENT}/consents/{CONSENT}.yaml": HANDWRITTEN.format(expiry="1 year"),
        }
    )
    items = json.loads(caseflow(invoke_caseflow, repo, "due", "--json", today="2027-07-20").stdout)
    consent = [i for i in items if i["rule"] == "consent"]
    assert [(i["due"], i["reason"]) for i in consent] == [
        (
            "2027-08-12",
            f"consent {CONSENT} expires on 2027-08-12 (1 year after signing): renew it or close what relies on it",
        )
    ]
    early = json.loads(caseflow(invoke_caseflow, repo, "due", "--json", today="2027-06-01").stdout)
    assert not [i for i in early if i["rule"] == "consent"]


# -- minors ------------------------------------------------------------------------------------------------

MINOR_YAML = CLIENT_YAML.replace("dob: 1990-04-02", "dob: 2014-03-01")


@pytest.fixture
def minor(case_repo: Callable[..., Path]) -> Path:
    return case_repo({f"clients/{CLIENT}/client.yaml": MINOR_YAML, "providers/eastside-counseling.yaml": PROVIDER})


def test_a_twelve_year_old_does_not_sign_their_own_treatment_consent(minor: Path, invoke_caseflow: Run) -> None:
    head = git(minor, "rev-parse", "HEAD")
    refused = caseflow(invoke_caseflow, minor, "consent", CLIENT, "--treatment", "--signed-on", "2026-08-12")
    assert refused.exit_code == 1
    assert refused.stderr.strip().endswith(
        f"{CLIENT} is 12 on 2026-08-12 (under 18): a parent, guardian or personal representative signs, "
        "or record minor_consent_basis"
    )
    assert unchanged(minor, head)
    caseflow(
        invoke_caseflow, minor, "consent", CLIENT, "--treatment", "--signed-on", "2026-08-12",
        "--relationship", "parent", "--signed-by", "Rosa Example", "--authority", "mother",
    ).assert_success()  # fmt: skip
    based = caseflow(
        invoke_caseflow,
        minor,
        "consent",
        CLIENT,
        *RELEASE,
        "--minor-basis",
        "state law: minor may consent to SUD treatment",
    ).assert_success()
    text = (minor / f"clients/{CLIENT}/consents/{based.stdout.strip()}.yaml").read_text()
    assert "minor_consent_basis: 'state law: minor may consent to SUD treatment'" in text


def test_the_age_of_majority_comes_from_caseflow_yaml(case_repo: Callable[..., Path], invoke_caseflow: Run) -> None:
    nineteen = CLIENT_YAML.replace("dob: 1990-04-02", "dob: 2007-01-01")
    repo = case_repo({f"clients/{CLIENT}/client.yaml": nineteen})
    config = (repo / "caseflow.yaml").read_text()
    (repo / "caseflow.yaml").write_text(config + "age_of_majority: 21\n")
    git(repo, "commit", "-qam", "age of majority 21")
    refused = caseflow(invoke_caseflow, repo, "consent", CLIENT, "--treatment", "--signed-on", "2026-08-12")
    assert refused.exit_code == 1 and f"{CLIENT} is 19 on 2026-08-12 (under 21)" in refused.stderr
    (repo / "caseflow.yaml").write_text(config + "age_of_majority: adult\n")
    bad = caseflow(invoke_caseflow, repo, "consents", CLIENT)
    assert bad.exit_code == 1 and "caseflow.yaml:" in bad.stderr and "Age of majority: expected integer" in bad.stderr


def test_validate_and_validity_flag_a_minor_who_signed_alone(
    case_repo: Callable[..., Path], invoke_caseflow: Run
) -> None:
    path = f"clients/{CLIENT}/consents/{CONSENT}.yaml"
    repo = case_repo(
        {
            f"clients/{CLIENT}/client.yaml": MINOR_YAML,
            path: HANDWRITTEN.format(expiry="1 year"),
            "providers/eastside-counseling.yaml": PROVIDER,
        }
    )
    found = caseflow(invoke_caseflow, repo, "validate")
    assert found.exit_code == 1
    assert f"{path}:17:17: {CLIENT} is 12 on 2026-08-12 (under 18): a parent, guardian" in found.stdout + found.stderr
    (row,) = json.loads(caseflow(invoke_caseflow, repo, "consents", CLIENT, "--json", today="2026-09-01").stdout)
    assert row["why_not"] == [
        f"lacks the right signer ({CLIENT} is 12 on 2026-08-12 (under 18): a parent, guardian or personal "
        "representative signs, or record minor_consent_basis)"
    ]
