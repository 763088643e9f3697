"""The follow-up page (in process): appointments, medications, provider reports and consent
revocations in the browser, each the service `caseflow appt`, `meds`, `report-in`, `ack` and
`consent revoke` call: one commit by the person acting; a refusal says why beside its form,
keeps what was typed and writes nothing."""

from __future__ import annotations

import re
from pathlib import Path

from caseflow import open_repo
from caseflow.core.documents import load_document
from caseflow.core.git.runner import git
from tests.web.conftest import Browser

#: The demo's Mariela Duarte Ochoa (fictional): casey's, active, with an unread housing report.
MARIELA = "C-7K2M9Q"
PAGE = f"/clients/{MARIELA}/followup"
REPORT = "provider-reports/2026-11-14-county-housing-authority.md"


def data(root: Path, name: str) -> dict:  # type: ignore[type-arg]
    path = root / "clients" / MARIELA / name
    return dict(load_document(f"clients/{MARIELA}/{name}", path.read_bytes()).plain())


def state(root: Path) -> tuple[str, str]:
    return git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain")


def commits_since(root: Path, before: str) -> list[str]:
    return git(root, "log", "--format=%an|%s", f"{before}..HEAD").splitlines()


def item(items: list, item_id: str) -> dict:  # type: ignore[type-arg]
    return next(i for i in items if i["id"] == item_id)


def test_todays_links_open_the_section_that_does_what_the_item_asks(web) -> None:
    casey: Browser = web("casey")
    today = casey.get("/").text
    assert f'href="/clients/{MARIELA}/followup#h-reports"' in today
    assert f'href="/clients/{MARIELA}/followup#h-appts"' in today
    page = casey.get(PAGE)
    assert page.status_code == 200
    # the unread report with its button, the scheduled appointments with theirs, each medication
    assert "County Housing Authority" in page.text and "Mark read" in page.text
    assert 'aria-label="Record appointment a10"' in page.text
    assert "sertraline" in page.text and "CN-79G4B6" in page.text
    log = (casey.root / ".caseflow" / "access.log").read_text()
    assert "follow-up page" in log and MARIELA in log


def test_reading_a_report_is_one_commit_and_it_leaves_today(web) -> None:
    casey: Browser = web("casey")
    casey.get(PAGE)
    before = git(casey.root, "rev-parse", "HEAD").strip()
    read = casey.post(f"{PAGE}/report-read", {"document": REPORT})
    assert read.status_code == 303 and read.headers["location"] == f"{PAGE}#h-reports"
    assert [c.split("|")[0] for c in commits_since(casey.root, before)] == ["Casey Rivera"]
    report = data(casey.root, REPORT)
    assert report["acknowledged_by"] == "casey" and report["acknowledged_on"] == agency_today(casey.root)
    assert "read the report from County Housing Authority" not in casey.get("/").text
    again = casey.post(f"{PAGE}/report-read", {"document": REPORT})
    assert again.status_code == 400 and "was already read by casey" in again.text


def test_an_appointment_added_then_recorded_kept(web) -> None:
    casey: Browser = web("casey")
    casey.get(PAGE)
    before = git(casey.root, "rev-parse", "HEAD").strip()
    typed = {"with": "Dr. Ines Calder (dentist)", "date": "2026-11-20", "time": "08:30", "purpose": "Check-up"}
    added = casey.post(f"{PAGE}/appointment-add", typed)
    assert added.status_code == 303
    new = data(casey.root, "appointments.yaml")["appointments"][-1]
    assert (new["with"], new["date"], new["time"], new["status"]) == (
        "Dr. Ines Calder (dentist)",
        "2026-11-20",
        "08:30",
        "scheduled",
    )
    kept = casey.post(f"{PAGE}/appointment-outcome", {"id": "a10", "outcome": "kept", "note": "Plan reviewed together"})
    assert kept.status_code == 303
    a10 = item(data(casey.root, "appointments.yaml")["appointments"], "a10")
    assert a10["status"] == "kept" and a10["note"] == "Plan reviewed together"
    assert [c.split("|")[0] for c in commits_since(casey.root, before)] == ["Casey Rivera", "Casey Rivera"]
    assert "Appointment a10 recorded as kept." in casey.get(PAGE).text


def test_a_medication_added_logged_and_stopped(web) -> None:
    casey: Browser = web("casey")
    casey.get(PAGE)
    added = casey.post(
        f"{PAGE}/medication-add",
        {
            "name": "melatonin",
            "dose": "3 mg at night",
            "prescriber": "Lena Obuya, PMHNP",
            "start": "2026-11-18",
            "reason": "Sleep",
        },
    )
    assert added.status_code == 303
    medication = data(casey.root, "medications.yaml")["medications"][-1]
    assert medication["name"] == "melatonin" and medication["start"] == "2026-11-18"
    logged = casey.post(
        f"{PAGE}/medication-log",
        {"id": medication["id"], "adherence": "taken", "effect": "Falls asleep sooner", "side_effects": "", "date": ""},
    )
    assert logged.status_code == 303
    stopped = casey.post(
        f"{PAGE}/medication-stop", {"id": medication["id"], "date": "2026-11-20", "reason": "No longer needed"}
    )
    assert stopped.status_code == 303
    kept = item(data(casey.root, "medications.yaml")["medications"], medication["id"])
    assert kept["monitoring"][0]["effect"] == "Falls asleep sooner" and kept["monitoring"][0]["by"] == "casey"
    assert kept["stop"] == "2026-11-20" and kept["stop_reason"] == "No longer needed"


def test_a_report_received_stays_unread_and_a_consent_is_revoked(web) -> None:
    casey: Browser = web("casey")
    casey.get(PAGE)
    text = "Attended 4 of 4 sessions in November.\nEngaged; working on sleep routine."
    received = casey.post(
        f"{PAGE}/report-receive", {"provider": "county-housing-authority", "date": "2026-11-19", "text": text}
    )
    assert received.status_code == 303
    names = sorted(p.name for p in (casey.root / "clients" / MARIELA / "provider-reports").iterdir())
    assert len(names) == 3
    new = next(n for n in names if n.startswith("2026-11-19"))
    body = (casey.root / "clients" / MARIELA / "provider-reports" / new).read_text()
    assert "Attended 4 of 4 sessions in November." in body
    assert "acknowledged_on" not in data(casey.root, f"provider-reports/{new}")
    revoked = casey.post(f"{PAGE}/consent-revoke", {"id": "CN-79G4B6", "date": "", "note": "Letter received"})
    assert revoked.status_code == 303
    consent = data(casey.root, "consents/CN-79G4B6.yaml")
    assert consent["status"] == "revoked" and consent["revoked_on"] == agency_today(casey.root)
    assert consent["revocation_note"] == "Letter received"
    assert 'aria-label="Revoke consent CN-79G4B6"' not in casey.get(PAGE).text


def test_refusals_say_why_beside_the_form_keep_what_was_typed_and_write_nothing(web) -> None:
    casey: Browser = web("casey")
    casey.get(PAGE)
    before = state(casey.root)
    typed = "She says the first week went well.\nFollow-up in January."
    unknown = casey.post(f"{PAGE}/report-receive", {"provider": "no-such-clinic", "date": "2026-11-19", "text": typed})
    assert unknown.status_code == 400
    assert 'id="refused-report-receive"' in unknown.text and 'role="alert" id="refused"' in unknown.text
    assert "no provider or service" in unknown.text
    assert "She says the first week went well." in unknown.text and 'value="no-such-clinic"' in unknown.text
    odd = casey.post(f"{PAGE}/appointment-outcome", {"id": "a10", "outcome": "maybe", "note": "went well"})
    assert odd.status_code == 400 and "an appointment is kept, missed, cancelled" in odd.text
    assert 'id="refused-appointment-outcome"' in odd.text and 'value="went well"' in odd.text
    early = casey.post(
        f"{PAGE}/medication-add",
        {"name": "melatonin", "dose": "3 mg", "prescriber": "Lena Obuya", "start": "2999-01-01", "reason": ""},
    )
    assert early.status_code == 400 and 'value="melatonin"' in early.text
    assert "--start" not in early.text and "Started on" in re.sub(r"<[^>]+>", "", early.text)
    no_effect = casey.post(f"{PAGE}/medication-log", {"id": "m2", "adherence": "taken", "effect": " ", "date": ""})
    assert no_effect.status_code == 400 and "Effect needs what the client says the medication does" in no_effect.text
    path_like = casey.post(f"{PAGE}/consent-revoke", {"id": "../../caseflow", "date": "", "note": ""})
    assert path_like.status_code == 400 and "not a valid consent id" in path_like.text
    blank = casey.post(
        f"{PAGE}/report-receive", {"provider": "county-housing-authority", "date": "2026-11-19", "text": "  "}
    )
    assert blank.status_code == 400 and "the report&#39;s text is empty" in blank.text
    forged = casey.post(f"{PAGE}/medication-stop", {"id": "m2", "date": "", "reason": ""}, csrf=False)
    assert forged.status_code == 403
    assert casey.post(f"{PAGE}/no-such-form", {}).status_code == 404
    assert state(casey.root) == before


def agency_today(root: Path) -> str:
    """Today where the agency is (its time zone's date: not the machine's, late in the evening)."""
    return open_repo(root, environ={}).today().isoformat()
