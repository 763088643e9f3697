"""The consent and referral commands end to end: record, refer, send, packet, revoke; and their refusals."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow.referrals.status import stale_since
from caseflow.testing import Result, git
from tests.samples import CLIENT, CLIENT_YAML

PROVIDER = """form: core.provider
id: eastside-counseling
name: Eastside Counseling (fictional)
address: {line1: 410 Elm Street, city: Springfield, postal_code: "62702"}
location: {lat: 39.81, lon: -89.64}
services:
  - id: eastside-cbt
    name: Individual therapy (CBT)
    categories: [family-therapy]
    languages: [en, es]
"""
PLAN = f"""form: core.plan
client: {CLIENT}
goals:
  - id: g1
    title: Feel less low
    client_words: I want to enjoy things again.
"""
TODAY = dt.date.today().isoformat()
NEXT_YEAR = (dt.date.today() + dt.timedelta(days=365)).isoformat()
RELEASE = (
    "--to",
    "eastside-counseling",
    "--purpose",
    "Referral for counseling",
    "--information",
    "Contact information",
    "--expires",
    NEXT_YEAR,
)
FULL_RELEASE = (*RELEASE, "--information", "Reason for referral and plan goal")
Run = Callable[..., Result]


@pytest.fixture
def agency(case_repo: Callable[..., Path]) -> Path:
    return case_repo(
        {
            f"clients/{CLIENT}/client.yaml": CLIENT_YAML.replace("stage: intake", "part2: true\nstage: intake"),
            f"clients/{CLIENT}/plan.yaml": PLAN,
            "providers/eastside-counseling.yaml": PROVIDER,
        }
    )


def caseflow(run: Run, repo: Path, *args: str) -> Result:
    return run("--repo", repo, "--as", "casey", *args)


def unchanged(repo: Path, head: str) -> bool:
    return git(repo, "rev-parse", "HEAD") == head and git(repo, "status", "--porcelain") == ""


def test_a_release_is_recorded_with_its_recipients_by_directory_id(agency: Path, invoke_caseflow: Run) -> None:
    consent_id = (
        caseflow(invoke_caseflow, agency, "consent", CLIENT, *RELEASE, "--part2").assert_success().stdout.strip()
    )
    data = (agency / f"clients/{CLIENT}/consents/{consent_id}.yaml").read_text()
    assert "  - name: Eastside Counseling (fictional)\n    provider: eastside-counseling\n" in data
    assert "regulation: part2" in data and f"expires_on: {NEXT_YEAR}" in data and "patient_name: Ana Example" in data
    assert f"Caseflow-Consent: {consent_id} release to eastside-counseling" in git(agency, "log", "-1", "--format=%B")
    listed = json.loads(caseflow(invoke_caseflow, agency, "consents", CLIENT, "--json").stdout)
    assert [(c["id"], c["valid_today"]) for c in listed] == [(consent_id, True)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--to", "nobody-here", *RELEASE[2:]), "'nobody-here' is not a provider or service in the directories"),
        ((*RELEASE[:-1], TODAY), f"--expires {TODAY} is not after the date signed"),
        (RELEASE[:2], "a release of information needs --purpose, --information, --expires or --expiry-event"),
        ((*RELEASE, "--signed-on", "2999-01-01"), "--signed-on 2999-01-01 is in the future"),
        ((*RELEASE, "--relationship", "guardian"), "a representative's signature needs --signed-by and --authority"),
        (("--treatment", "--to", "nobody-here"), "--to describe a release of information, not a treatment consent"),
        ((*RELEASE[:-2], "--expiry-event", "Never"), "--expiry-event 'Never' leaves the consent open-ended"),
        ((*RELEASE[:-1], "soon"), "--expires 'soon' is not a date"),
    ],
)
def test_a_consent_with_bad_terms_is_refused_and_nothing_is_written(
    agency: Path, invoke_caseflow: Run, args: tuple[str, ...], message: str
) -> None:
    head = git(agency, "rev-parse", "HEAD")
    result = caseflow(invoke_caseflow, agency, "consent", CLIENT, *args)
    assert result.exit_code in (1, 2) and message in result.stderr
    assert unchanged(agency, head) and not (agency / f"clients/{CLIENT}/consents").exists()


def test_refer_send_and_packet_with_consent_then_after_revocation(agency: Path, invoke_caseflow: Run) -> None:
    referral_id = (
        caseflow(
            invoke_caseflow,
            agency,
            "refer",
            CLIENT,
            "--service",
            "eastside-cbt",
            "--plan-goal",
            "g1",
            "--reason",
            "Low mood for months",
            "--purpose",
            "Referral for counseling",
            "--information",
            "Contact information",
            "--information",
            "Reason for referral and plan goal",
        )
        .assert_success()
        .stdout.strip()
    )
    referral = (agency / f"clients/{CLIENT}/referrals/{referral_id}.yaml").read_text()
    assert "provider: eastside-counseling\n" in referral and "service_id: eastside-cbt\n" in referral
    assert "category: other\n" in referral  # family-therapy is not one of the referral form's categories
    assert "part2: true\n" in referral and "goal: g1\n" in referral and "status: draft\n" in referral

    head = git(agency, "rev-parse", "HEAD")
    refused = caseflow(
        invoke_caseflow, agency, "referral", CLIENT, referral_id, "--status", "requested"
    ).assert_refused()
    assert "no release of information is on file for this client" in refused.stderr and unchanged(agency, head)
    caseflow(invoke_caseflow, agency, "referral", "packet", CLIENT, referral_id).assert_refused()

    consent_id = caseflow(invoke_caseflow, agency, "consent", CLIENT, *FULL_RELEASE).assert_success().stdout.strip()
    refused = caseflow(
        invoke_caseflow, agency, "referral", CLIENT, referral_id, "--status", "requested"
    ).assert_refused()
    assert "is not a 42 CFR Part 2 consent, and the information includes substance-use records" in refused.stderr
    part2_id = (
        caseflow(invoke_caseflow, agency, "consent", CLIENT, *FULL_RELEASE, "--part2").assert_success().stdout.strip()
    )
    caseflow(invoke_caseflow, agency, "referral", CLIENT, referral_id, "--status", "requested").assert_success()
    assert f"consent: {part2_id}" in (agency / f"clients/{CLIENT}/referrals/{referral_id}.yaml").read_text()

    out = agency.parent / "packet.md"
    caseflow(invoke_caseflow, agency, "referral", "packet", CLIENT, referral_id, "--out", out).assert_success()
    packet = out.read_text()
    assert "- Name: Ana Example" in packet and "Low mood for months" in packet and '"Feel less low"' in packet
    assert f"consent {part2_id} (42 CFR Part 2 consent)" in packet
    assert "42 CFR part 2 prohibits unauthorized use or disclosure of these records." in packet

    caseflow(invoke_caseflow, agency, "consent", "revoke", CLIENT, part2_id, "--date", TODAY).assert_success()
    refused = caseflow(invoke_caseflow, agency, "referral", "packet", CLIENT, referral_id).assert_refused()
    assert f"consent {part2_id} was revoked on {TODAY}" in refused.stderr
    assert f"consent {consent_id} is not a 42 CFR Part 2 consent" in refused.stderr
    listed = {c["id"]: c for c in json.loads(caseflow(invoke_caseflow, agency, "consents", CLIENT, "--json").stdout)}
    assert listed[part2_id]["why_not"] == [f"was revoked on {TODAY}"]


def test_revocations_in_the_wrong_order_or_twice_are_refused(agency: Path, invoke_caseflow: Run) -> None:
    consent_id = caseflow(invoke_caseflow, agency, "consent", CLIENT, *RELEASE).assert_success().stdout.strip()
    head = git(agency, "rev-parse", "HEAD")
    early = caseflow(invoke_caseflow, agency, "consent", "revoke", CLIENT, consent_id, "--date", "2020-01-01")
    assert early.exit_code == 2 and "is before the consent was signed" in early.stderr and unchanged(agency, head)
    caseflow(invoke_caseflow, agency, "consent", "revoke", CLIENT, consent_id).assert_success()
    again = caseflow(invoke_caseflow, agency, "consent", "revoke", CLIENT, consent_id).assert_refused()
    assert "was already revoked" in again.stderr
    caseflow(invoke_caseflow, agency, "consent", "revoke", CLIENT, "CN-NOPE00").assert_refused()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--service", "no-such-service"), "no service 'no-such-service' in the directories"),
        (("--service", "eastside-counseling"), "is a provider; refer to one of its services: eastside-cbt"),
        (("--service", "eastside-cbt", "--plan-goal", "g9"), "has no goal 'g9' (goals: g1)"),
        (("--service", "eastside-cbt", "--no-part2"), f"{CLIENT}'s records are 42 CFR Part 2 records"),
        (("--service", "eastside-cbt", "--purpose", " "), "a referral needs --purpose and --information"),
    ],
)
def test_refer_refuses_unknown_services_and_goals(
    agency: Path, invoke_caseflow: Run, args: tuple[str, ...], message: str
) -> None:
    head = git(agency, "rev-parse", "HEAD")
    result = caseflow(invoke_caseflow, agency, "refer", CLIENT, "--purpose", "P", "--information", "I", *args)
    assert result.exit_code in (1, 2) and message in result.stderr and unchanged(agency, head)


def test_an_agency_template_overrides_the_packet_by_extending_the_built_in_one(
    agency: Path, invoke_caseflow: Run
) -> None:
    override = agency / "templates/packets/referral.md.j2"
    override.parent.mkdir(parents=True)
    override.write_text(
        '{% extends "caseflow/packets/referral.md.j2" %}{% block client %}\nClient: {{ client.id }}\n{% endblock %}'
    )
    caseflow(invoke_caseflow, agency, "consent", CLIENT, *RELEASE, "--part2").assert_success()
    referral_id = refer(invoke_caseflow, agency)
    caseflow(invoke_caseflow, agency, "referral", CLIENT, referral_id, "--status", "requested").assert_success()
    packet = caseflow(invoke_caseflow, agency, "referral", "packet", CLIENT, referral_id).assert_success().stdout
    assert f"Client: {CLIENT}" in packet and "Ana Example" not in packet and "# Referral" in packet
    override.write_text("{{ referral.__class__.__mro__ }}")
    sandboxed = caseflow(invoke_caseflow, agency, "referral", "packet", CLIENT, referral_id).assert_refused()
    assert "the sandbox forbids" in sandboxed.stderr or "has no attribute" in sandboxed.stderr


def refer(run: Run, repo: Path, *extra: str) -> str:
    args = ("--service", "eastside-cbt", "--purpose", "Referral for counseling", "--information", "Contact information")
    return caseflow(run, repo, "refer", CLIENT, *args, *extra).assert_success().stdout.strip()


def test_a_disclosure_never_rests_on_an_uncommitted_consent_edit(agency: Path, invoke_caseflow: Run) -> None:
    consent_id = (
        caseflow(invoke_caseflow, agency, "consent", CLIENT, *RELEASE, "--part2").assert_success().stdout.strip()
    )
    referral_id = refer(invoke_caseflow, agency, "--plan-goal", "g1")
    consent = agency / f"clients/{CLIENT}/consents/{consent_id}.yaml"
    consent.write_text(consent.read_text().replace("Referral for counseling", "Something else"))
    head = git(agency, "rev-parse", "HEAD")
    refused = caseflow(
        invoke_caseflow, agency, "referral", CLIENT, referral_id, "--status", "requested"
    ).assert_refused()
    assert f"consents/{consent_id}.yaml has changes that are not committed yet" in refused.stderr
    assert git(agency, "rev-parse", "HEAD") == head


def test_the_packet_shows_only_what_the_referral_sends_and_stays_out_of_git(agency: Path, invoke_caseflow: Run) -> None:
    caseflow(invoke_caseflow, agency, "consent", CLIENT, *RELEASE, "--part2").assert_success()
    referral_id = refer(invoke_caseflow, agency, "--plan-goal", "g1", "--reason", "Drinking again after detox")
    draft = caseflow(invoke_caseflow, agency, "referral", "packet", CLIENT, referral_id).assert_refused()
    assert "is draft: a packet goes with a referral that is sent" in draft.stderr
    caseflow(invoke_caseflow, agency, "referral", CLIENT, referral_id, "--status", "requested").assert_success()
    packet = caseflow(invoke_caseflow, agency, "referral", "packet", CLIENT, referral_id).assert_success().stdout
    # "Contact information" is sent; the reason and the plan goal are not listed, so they stay home
    assert "Drinking again" not in packet and "Feel less low" not in packet and "Referral for counseling" in packet
    inside = caseflow(invoke_caseflow, agency, "referral", "packet", CLIENT, referral_id, "--out", agency / "p.md")
    assert inside.exit_code == 2 and "inside the case repository" in inside.stderr and not (agency / "p.md").exists()
    out = agency.parent / "packet.md"
    caseflow(invoke_caseflow, agency, "referral", "packet", CLIENT, referral_id, "--out", out).assert_success()
    assert out.stat().st_mode & 0o777 == 0o600
    audit = json.loads(caseflow(invoke_caseflow, agency, "audit", "--verify", "--json").assert_success().stdout)
    assert [(e["who"], e["action"], e["what"], e["clients"]) for e in audit["entries"]] == [
        ("casey", "referral packet", referral_id, [CLIENT])
    ] * 2  # the packet shown on screen, then the one written to a file: both disclosures
    assert audit["verified"] is True


@pytest.mark.parametrize("bad_id", ["../../C-OTHER/referrals/R-1", "R-1/..", ".hidden"])
def test_referral_and_consent_ids_cannot_name_other_paths(agency: Path, invoke_caseflow: Run, bad_id: str) -> None:
    for args in (("referral", "packet", CLIENT, bad_id), ("consent", "revoke", CLIENT, bad_id)):
        refused = caseflow(invoke_caseflow, agency, *args)
        assert refused.exit_code in (1, 2) and "not a" in refused.stderr


def test_an_emergency_needs_a_reason(agency: Path, invoke_caseflow: Run) -> None:
    referral_id = refer(invoke_caseflow, agency)
    blank = invoke_caseflow(
        "--repo", agency, "--as", "sam", "referral", CLIENT, referral_id, "--status", "requested", "--emergency", "  "
    )
    assert blank.exit_code == 2 and "--emergency needs the reason" in blank.stderr


def test_a_referral_waiting_without_change_goes_stale_but_one_in_progress_does_not() -> None:
    today = dt.date(2026, 11, 27)
    waiting = {"status": "requested", "history": [{"status": "requested", "on": "2026-11-13"}]}
    assert stale_since(waiting, today, 14) == "2026-11-27"
    assert stale_since(waiting, today, 15) is None
    assert stale_since({**waiting, "status": "in-progress"}, today, 14) is None
    assert stale_since({**waiting, "status": "completed"}, today, 14) is None
