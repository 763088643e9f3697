"""Referrals in the browser: search, refer, the consent gate, a consent recorded, the packet, statuses."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from caseflow.core.documents import load_plain
from tests.web.conftest import Browser

CLIENT = "C-9PZQ2F"  # casey's demo client: a treatment consent, no release, no referral (fictional)
PART2_CLIENT = "C-4HX8TB"  # robin's demo client with a referral sent under a Part 2 consent (fictional)
SENT = "R-TJT8JJ"
SERVICE = "eastside-counseling-cbt"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def commits_since(root: Path, before: str) -> list[str]:
    return git(root, "log", "--format=%an|%s", f"{before}..HEAD").splitlines()


def read(path: Path) -> dict:  # type: ignore[type-arg]
    return load_plain(path.name, path.read_bytes())[0]


def draft(browser: Browser) -> str:
    browser.get(f"/clients/{CLIENT}/referrals/new?service={SERVICE}")
    made = browser.post(
        f"/clients/{CLIENT}/referrals",
        {
            "service_id": SERVICE,
            "purpose": "Referral for counseling",
            "information": "Contact information\nReason for referral",
            "reason": "Low mood since the move",
            "goal": "",
            "part2": "",
        },
    )
    assert made.status_code == 303, made.text
    return made.headers["location"].rsplit("#", 1)[1]


def test_the_provider_search_shows_names_distance_languages_and_accepting(web) -> None:
    browser = web("casey")
    page = browser.get(f"/clients/{CLIENT}/referrals")
    assert page.status_code == 200 and "Find a provider" in page.text
    found = browser.post(
        f"/clients/{CLIENT}/referrals/search",
        {"category": "counseling", "language": "es", "near": "62702", "within": "50", "accepting": "yes", "text": ""},
    )
    assert found.status_code == 200
    text = found.text
    assert "Eastside Counseling Associates" in text and "Individual therapy for depression and anxiety" in text
    assert "0.8 km" in text and "accepting" in text and "en, es" in text
    assert f"/clients/{CLIENT}/referrals/new?service={SERVICE}" in text
    assert "Prairie Lantern" not in text  # not counseling in Spanish within 50 km
    refused = browser.post(f"/clients/{CLIENT}/referrals/search", {"within": "5", "near": ""})
    assert refused.status_code == 400 and 'id="s-near-error"' in refused.text
    assert 'value="5"' in refused.text  # what was typed is kept
    assert browser.get(f"/clients/{CLIENT}/referrals/search").status_code == 405  # never a GET


def test_refused_for_lack_of_consent_then_consent_recorded_then_sent(web) -> None:
    browser = web("casey")
    start = head(browser.root)
    referral_id = draft(browser)
    assert commits_since(browser.root, start) == [f"Casey Rivera|refer {CLIENT}"]
    page = browser.get(f"/clients/{CLIENT}/referrals").text
    assert "No consent on file covers sending it yet" in page

    before = head(browser.root)
    refused = browser.post(f"/clients/{CLIENT}/referrals/{referral_id}/status", {"status": "requested", "note": "x"})
    assert refused.status_code == 400
    assert "no consent on file covers it" in refused.text and "no release of information is on file" in refused.text
    assert f"/clients/{CLIENT}/consents/new?referral={referral_id}" in refused.text
    assert head(browser.root) == before and git(browser.root, "status", "--porcelain") == ""

    form = browser.get(f"/clients/{CLIENT}/consents/new?referral={referral_id}").text
    assert 'value="eastside-counseling" checked' in form and "Referral for counseling" in form
    consent = browser.post(
        f"/clients/{CLIENT}/consents/new",
        {
            "referral": referral_id,
            "kind": "release",
            "recipient": "eastside-counseling",
            "purposes": "Referral for counseling",
            "information": "Contact information\nReason for referral",
            "expires": "2099-12-31",
            "signed_on": "",
            "relationship": "self",
        },
    )
    assert consent.status_code == 303, consent.text
    assert commits_since(browser.root, before) == [f"Casey Rivera|consent {CLIENT}"]
    consents = sorted((browser.root / "clients" / CLIENT / "consents").glob("*.yaml"))
    data = next(read(p) for p in consents if read(p)["kind"] == "release")
    assert data["recipients"][0]["provider"] == "eastside-counseling" and data["expires_on"] == "2099-12-31"

    before = head(browser.root)
    browser.get(f"/clients/{CLIENT}/referrals")
    sent = browser.post(f"/clients/{CLIENT}/referrals/{referral_id}/status", {"status": "requested", "note": ""})
    assert sent.status_code == 303, sent.text
    assert commits_since(browser.root, before) == [f"Casey Rivera|referral {CLIENT}"]
    referral = read(browser.root / "clients" / CLIENT / "referrals" / f"{referral_id}.yaml")
    assert referral["status"] == "requested" and referral["consent"] == data["id"]
    shown = browser.get(f"/clients/{CLIENT}/referrals").text
    assert f"is now requested under consent {data['id']}" in shown


def test_invalid_consent_terms_keep_what_was_typed_and_write_nothing(web) -> None:
    browser = web("casey")
    before = head(browser.root)
    browser.get(f"/clients/{CLIENT}/consents/new")
    refused = browser.post(
        f"/clients/{CLIENT}/consents/new",
        {"kind": "release", "purposes": "Housing application", "information": "", "relationship": "self"},
    )
    assert refused.status_code == 400
    assert "Housing application" in refused.text
    assert 'id="cn-information-error"' in refused.text and 'id="cn-recipients-error"' in refused.text
    assert "--information" not in refused.text  # the CLI's option names become the form's labels
    unknown = browser.post(
        f"/clients/{CLIENT}/consents/new",
        {
            "kind": "release",
            "other_recipients": "no-such-provider",
            "purposes": "Housing application",
            "information": "Contact information",
            "expires": "2099-12-31",
            "relationship": "self",
        },
    )
    assert unknown.status_code == 400 and 'id="cn-recipients-error"' in unknown.text
    assert "no-such-provider" in unknown.text
    assert head(browser.root) == before and git(browser.root, "status", "--porcelain") == ""


def test_a_refused_draft_keeps_what_was_typed(web) -> None:
    browser = web("casey")
    before = head(browser.root)
    browser.get(f"/clients/{CLIENT}/referrals/new?service={SERVICE}")
    refused = browser.post(
        f"/clients/{CLIENT}/referrals",
        {"service_id": SERVICE, "purpose": "", "information": "Contact information", "part2": ""},
    )
    assert refused.status_code == 400 and 'id="rf-purpose-error"' in refused.text
    assert "Contact information" in refused.text
    assert head(browser.root) == before
    assert browser.get(f"/clients/{CLIENT}/referrals/new?service=nothing").status_code == 404


def test_the_packet_preview_is_a_disclosure_in_the_access_record(web) -> None:
    browser = web("robin")
    shown = browser.get(f"/clients/{PART2_CLIENT}/referrals/{SENT}/packet")
    assert shown.status_code == 200, shown.text
    assert "42 CFR part 2 prohibits unauthorized use or disclosure" in shown.text
    last = (browser.root / ".caseflow" / "access.log").read_text().strip().splitlines()[-1]
    assert "referral packet" in last and SENT in last and PART2_CLIENT in last and "robin" in last


def test_a_draft_has_no_packet_and_the_page_says_why(web) -> None:
    browser = web("casey")
    referral_id = draft(browser)
    refused = browser.get(f"/clients/{CLIENT}/referrals/{referral_id}/packet")
    assert refused.status_code == 400 and "is draft" in refused.text


def test_a_status_update_is_one_commit_and_a_wrong_move_is_refused(web) -> None:
    browser = web("robin")
    browser.get(f"/clients/{PART2_CLIENT}/referrals")
    before = head(browser.root)
    wrong = browser.post(f"/clients/{PART2_CLIENT}/referrals/{SENT}/status", {"status": "completed", "note": "n"})
    assert wrong.status_code == 400 and "it can move to" in wrong.text
    assert head(browser.root) == before
    moved = browser.post(
        f"/clients/{PART2_CLIENT}/referrals/{SENT}/status", {"status": "accepted", "note": "Intake booked"}
    )
    assert moved.status_code == 303
    assert commits_since(browser.root, before) == [f"Robin Okafor|referral {PART2_CLIENT}"]
    data = read(browser.root / "clients" / PART2_CLIENT / "referrals" / f"{SENT}.yaml")
    assert data["status"] == "accepted" and data["history"][-1]["note"] == "Intake booked"


def test_unknown_and_path_like_referral_ids(web) -> None:
    browser = web("casey")
    browser.get(f"/clients/{CLIENT}/referrals")
    assert browser.get(f"/clients/{CLIENT}/referrals/R-ZZZZZZ/packet").status_code == 404
    assert browser.post(f"/clients/{CLIENT}/referrals/R-ZZZZZZ/status", {"status": "requested"}).status_code == 404
    assert browser.get(f"/clients/{CLIENT}/referrals/..%2Fclient/packet").status_code in (400, 404)
    assert browser.get("/clients/C-ZZZZZZ/referrals").status_code == 404
    assert browser.get("/clients/C-ZZZZZZ/consents/new").status_code == 404


def test_the_referrals_page_is_in_the_access_record(web) -> None:
    browser = web("casey")
    page = browser.get(f"/clients/{PART2_CLIENT}/referrals").text
    assert re.search(r"Outpatient counseling for co-occurring", page)
    assert "42 CFR Part 2" in page
    last = (browser.root / ".caseflow" / "access.log").read_text().strip().splitlines()[-1]
    assert "referrals page" in last and PART2_CLIENT in last


def test_the_consent_form_offers_expiry_choices_and_refuses_a_minor_at_the_field(web, case_repo) -> None:  # type: ignore[no-untyped-def]
    from tests.referrals.test_commands import PROVIDER
    from tests.samples import CLIENT as MINOR
    from tests.samples import CLIENT_YAML

    root = case_repo(
        {
            f"clients/{MINOR}/client.yaml": CLIENT_YAML.replace("dob: 1990-04-02", "dob: 2014-03-01"),
            "providers/eastside-counseling.yaml": PROVIDER,
        }
    )
    browser = web("casey", root=root)
    form = browser.get(f"/clients/{MINOR}/consents/new").text
    for choice in ("date", "discharge", "end-of-referral", "duration", "open-ended"):
        assert f'name="expiry_kind" value="{choice}"' in form
    typed = {
        "kind": "release",
        "recipient": "eastside-counseling",
        "purposes": "Referral for counseling",
        "information": "Contact information",
        "expiry_kind": "duration",
        "duration_amount": "1",
        "duration_unit": "years",
        "signed_on": "2026-08-12",
        "relationship": "self",
        "minor_consent_basis": "",
    }
    before = head(root)
    refused = browser.post(f"/clients/{MINOR}/consents/new", typed)
    assert refused.status_code == 400
    assert 'id="cn-minor_consent_basis-error"' in refused.text
    assert f"{MINOR} is 12 on 2026-08-12 (under 18)" in refused.text
    assert 'name="duration_amount" value="1"' in refused.text and "Referral for counseling" in refused.text
    assert head(root) == before and git(root, "status", "--porcelain") == ""
    bad_time = browser.post(f"/clients/{MINOR}/consents/new", typed | {"duration_amount": "a while"})
    assert bad_time.status_code == 400 and 'id="cn-expiry-error"' in bad_time.text

    basis = "state law: minor may consent to SUD treatment"
    recorded = browser.post(f"/clients/{MINOR}/consents/new", typed | {"minor_consent_basis": basis})
    assert recorded.status_code == 303, recorded.text
    (path,) = (root / "clients" / MINOR / "consents").glob("*.yaml")
    data = read(path)
    assert data["expiry_event"] == "1 year" and data["minor_consent_basis"] == basis
    page = browser.get(f"/clients/{MINOR}/referrals").text
    assert "2027-08-12 (1 year after signing)" in page
