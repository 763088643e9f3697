"""Follow-through from the command line: visit, appt, meds, report-in, ack, due, calendar, show."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import icalendar
import pytest

from caseflow.testing import Result, git
from tests.samples import CLIENT, CLIENT_YAML

TODAY = "2026-03-10"
PROVIDER = """form: core.provider
id: eastside-counseling
name: Eastside Counseling (fictional)
services:
  - {id: eastside-cbt, name: Individual therapy, categories: [counseling]}
"""
PLAN = f"form: core.plan\nclient: {CLIENT}\ngoals:\n  - {{id: g1, title: Feel better}}\n"
Run = Callable[..., Result]


@pytest.fixture
def agency(case_repo: Callable[..., Path]) -> Path:
    return case_repo(
        {
            f"clients/{CLIENT}/client.yaml": CLIENT_YAML.replace("stage: intake", "stage: active"),
            f"clients/{CLIENT}/plan.yaml": PLAN,
            "providers/eastside-counseling.yaml": PROVIDER,
        }
    )


def caseflow(run: Run, repo: Path, *args: str | Path, today: str = TODAY) -> Result:
    return run("--repo", repo, "--as", "casey", *args, env={"CASEFLOW_TODAY": today})


def unchanged(repo: Path, head: str) -> bool:
    return git(repo, "rev-parse", "HEAD") == head and git(repo, "status", "--porcelain") == ""


def test_a_hospital_stay_then_the_seven_day_follow_up(agency: Path, invoke_caseflow: Run) -> None:
    caseflow(
        invoke_caseflow, agency, "visit", CLIENT, "--type", "hospital", "--date", "2026-03-05", "--admitted",
        "2026-03-01", "--discharged", "2026-03-05", "--facility", "St. Example", "--note", "Discharge planning.",
    ).assert_success()  # fmt: skip
    (note_file,) = (agency / f"clients/{CLIENT}/visits").glob("2026-03-05-hospital-*.md")
    note = note_file.read_text()
    assert "discharged_on: 2026-03-05" in note and note.endswith("---\n\nDischarge planning.\n")
    assert "Caseflow-Contact: hospital on 2026-03-05" in git(agency, "log", "-1", "--format=%B")
    due = json.loads(caseflow(invoke_caseflow, agency, "due", "--json").stdout)
    assert [(d["rule"], d["due"]) for d in due if d["rule"] == "hospital-followup"] == [
        ("hospital-followup", "2026-03-12")
    ]
    caseflow(
        invoke_caseflow,
        agency,
        "visit",
        CLIENT,
        "--type",
        "home",
        "--note",
        "Seen.",
        "--goal",
        "g1",
        "--duration",
        "45",
    ).assert_success()
    due = json.loads(caseflow(invoke_caseflow, agency, "due", "--json").stdout)
    assert "hospital-followup" not in {d["rule"] for d in due}


@pytest.mark.parametrize(
    ("args", "message"),
    [  # a refusal exits 1; a date written wrong is a usage error (exit 2)
        (("--type", "home", "--date", "2026-03-11"), "--date 2026-03-11 is in the future"),
        (("--type", "hospital", "--admitted", "2026-03-05", "--discharged", "2026-03-01"), "is before --admitted"),
        (("--type", "home", "--admitted", "2026-03-05"), "--admitted belong to a hospital visit"),
        (("--type", "home", "--goal", "g9"), "has no goal g9"),
        (("--type", "home", "--date", "March 3"), "is not a date written YYYY-MM-DD"),
    ],
)
def test_a_bad_visit_is_refused_and_nothing_is_written(
    agency: Path, invoke_caseflow: Run, args: tuple[str, ...], message: str
) -> None:
    head = git(agency, "rev-parse", "HEAD")
    code = 2 if "YYYY-MM-DD" in message else 1
    result = caseflow(invoke_caseflow, agency, "visit", CLIENT, "--note", "Seen.", *args).assert_refused(code)
    assert message in result.stderr and unchanged(agency, head)


def test_a_contact_without_a_word_of_what_happened_is_not_recorded(agency: Path, invoke_caseflow: Run) -> None:
    head = git(agency, "rev-parse", "HEAD")
    bare = caseflow(invoke_caseflow, agency, "visit", CLIENT, "--type", "phone")
    assert bare.exit_code == 2 and "say what happened: --note TEXT" in bare.stderr
    empty = caseflow(invoke_caseflow, agency, "visit", CLIENT, "--type", "phone", "--note", "  ").assert_refused()
    assert "a contact note says what happened, but nothing is written in it yet" in empty.stderr
    assert unchanged(agency, head)


def test_appointments_added_kept_and_missed_with_rates(agency: Path, invoke_caseflow: Run) -> None:
    first = caseflow(
        invoke_caseflow, agency, "appt", "add", CLIENT, "--with", "eastside-counseling", "--at", "2026-03-09T16:00",
        "--purpose", "Therapy",
    ).assert_success().stdout.strip()  # fmt: skip
    second = caseflow(
        invoke_caseflow, agency, "appt", "add", CLIENT, "--with", "Dr. Example's office", "--at", "2026-03-12 09:30"
    ).assert_success().stdout.strip()  # fmt: skip
    text = (agency / f"clients/{CLIENT}/appointments.yaml").read_text()
    assert f"id: {first}" in text and "provider: eastside-counseling" in text and "with: Dr. Example's office" in text
    early = caseflow(invoke_caseflow, agency, "appt", CLIENT, second, "--kept").assert_refused()
    assert "in the future: it cannot be kept yet" in early.stderr
    caseflow(invoke_caseflow, agency, "appt", CLIENT, first, "--missed", "--note", "No call").assert_success()
    listing = json.loads(caseflow(invoke_caseflow, agency, "appts", CLIENT, "--json").stdout)
    assert (listing["kept"], listing["missed"], listing["kept_rate"]) == (0, 1, 0.0)
    upcoming = json.loads(caseflow(invoke_caseflow, agency, "appts", CLIENT, "--upcoming", "--json").stdout)
    assert [a["id"] for a in upcoming["appointments"]] == [second]
    due = json.loads(caseflow(invoke_caseflow, agency, "due", "--json").stdout)
    assert ("missed-appointment", "2026-03-11") in {(d["rule"], d["due"]) for d in due}
    caseflow(invoke_caseflow, agency, "appt", CLIENT, "A-NOPE00", "--kept").assert_refused()


def test_medications_added_logged_and_stopped(agency: Path, invoke_caseflow: Run) -> None:
    med = caseflow(
        invoke_caseflow, agency, "meds", "add", CLIENT, "--name", "sertraline", "--dose", "50 mg daily",
        "--prescriber", "Dr. Example", "--start", "2026-03-01", "--reason", "Depression",
    ).assert_success().stdout.strip()  # fmt: skip
    caseflow(
        invoke_caseflow, agency, "meds", "log", CLIENT, "--med", med, "--adherence", "partial", "--effect",
        "Sleeping better", "--side-effects", "Mild nausea", "--date", "2026-03-08",
    ).assert_success()  # fmt: skip
    shown = json.loads(caseflow(invoke_caseflow, agency, "meds", CLIENT, "--json").stdout)
    assert [(m["id"], m["recent"][-1]["adherence"], m["recent"][-1]["side_effects"]) for m in shown] == [
        (med, "partial", "Mild nausea")
    ]
    head = git(agency, "rev-parse", "HEAD")
    for args, message in (
        (("log", CLIENT, med, "--adherence", "sometimes", "--effect", "x"), "--adherence must be one of"),
        (("log", CLIENT, "--med", "M-NOPE00", "--adherence", "taken", "--effect", "x"), "no medication M-NOPE00"),
        (("log", CLIENT, "--med", med, "--adherence", "taken", "--effect", "x", "--date", "2026-02-01"), "before"),
        (("stop", CLIENT, med, "--date", "2026-02-27"), "is before medication"),
        (("add", CLIENT, "--name", "x", "--dose", "1", "--prescriber", "y", "--start", "2026-04-01"), "future"),
    ):
        refused = caseflow(invoke_caseflow, agency, "meds", *args).assert_refused(2 if "one of" in message else 1)
        assert message in refused.stderr and unchanged(agency, head)
    caseflow(invoke_caseflow, agency, "meds", "stop", CLIENT, med, "--reason", "Side effects").assert_success()
    assert json.loads(caseflow(invoke_caseflow, agency, "meds", CLIENT, "--json").stdout) == []
    assert len(json.loads(caseflow(invoke_caseflow, agency, "meds", CLIENT, "--all", "--json").stdout)) == 1


def test_a_provider_report_with_its_pdf_stays_unread_until_acknowledged(
    agency: Path, invoke_caseflow: Run, tmp_path: Path
) -> None:
    (tmp_path / "report.md").write_text("Attended 3 of 4 sessions.\n")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4\n% fictional\n")
    caseflow(
        invoke_caseflow, agency, "report-in", CLIENT, "--provider", "eastside-counseling", "--date", "2026-03-09",
        "--file", tmp_path / "report.md", "--attach", tmp_path / "report.pdf",
    ).assert_success()  # fmt: skip
    folder = agency / f"clients/{CLIENT}/provider-reports"
    (report,) = folder.glob("2026-03-09-eastside-counseling-*.md")
    assert sorted(p.name for p in folder.iterdir()) == [report.name, report.name.replace(".md", ".pdf")]
    due = json.loads(caseflow(invoke_caseflow, agency, "due", "--json").stdout)
    [unread] = [d for d in due if d["rule"] == "report"]
    assert unread["reason"].startswith("read the report from Eastside Counseling (fictional) (")  # a name, not an id
    other = caseflow(invoke_caseflow, agency, "ack", CLIENT, f"clients/C-0THER0/provider-reports/{report.name}")
    assert "is a document of client C-0THER0, not of" in other.assert_refused(2).stderr
    # as `git status` and `caseflow validate` print it: the path in the repository, client id in any case
    ack = ("ack", CLIENT.lower(), f"clients/{CLIENT}/provider-reports/{report.name}")
    caseflow(invoke_caseflow, agency, *ack).assert_success()
    assert "report" not in {d["rule"] for d in json.loads(caseflow(invoke_caseflow, agency, "due", "--json").stdout)}
    (tmp_path / "fake.pdf").write_text("not a pdf")
    refused = caseflow(
        invoke_caseflow, agency, "report-in", CLIENT, "--provider", "eastside-counseling", "--date", "2026-03-08",
        "--file", tmp_path / "report.md", "--attach", tmp_path / "fake.pdf",
    ).assert_refused()  # fmt: skip
    assert "not a PDF" in refused.stderr
    unknown = caseflow(
        invoke_caseflow, agency, "report-in", CLIENT, "--provider", "nobody", "--date", "2026-03-08",
        "--file", tmp_path / "report.md",
    ).assert_refused()  # fmt: skip
    assert "no provider or service 'nobody'" in unknown.stderr


def test_the_calendar_parses_back_and_carries_ids_not_names(agency: Path, invoke_caseflow: Run, tmp_path: Path) -> None:
    caseflow(
        invoke_caseflow, agency, "appt", "add", CLIENT, "--with", "eastside-counseling", "--at", "2026-03-12T16:00",
        "--purpose", "Depression therapy",
    ).assert_success()  # fmt: skip
    for instrument in ("phq9", "gad7"):  # two rescreens due the same day: two events
        answers = "0,0,0,0,0,0,0,0,0" if instrument == "phq9" else "0,0,0,0,0,0,0"
        caseflow(invoke_caseflow, agency, "screen", CLIENT, instrument, "--answers", answers, "--date", "2026-02-08")
    out = tmp_path / "casey.ics"
    caseflow(invoke_caseflow, agency, "calendar", "--out", out).assert_success()
    assert out.stat().st_mode & 0o777 == 0o600
    events = list(icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT"))
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == [
        f"{CLIENT}: appointment",
        f"{CLIENT}: contact due",
        f"{CLIENT}: rescreen due",
        f"{CLIENT}: rescreen due",
    ]
    therapy = next(e for e in events if str(e["SUMMARY"]).endswith("appointment"))
    assert therapy.decoded("DTSTART").isoformat() == "2026-03-12T16:00:00+00:00"
    assert "with Eastside Counseling (fictional)" in str(therapy["DESCRIPTION"])
    text = out.read_text()
    assert "Ana Example" not in text and "Depression" not in text and len({str(e["UID"]) for e in events}) == 4
    inside = caseflow(invoke_caseflow, agency, "calendar", "--out", agency / "casey.ics")
    assert inside.exit_code == 2 and not (agency / "casey.ics").exists()


def test_whose_due_list(agency: Path, invoke_caseflow: Run) -> None:
    unknown = caseflow(invoke_caseflow, agency, "due", "--worker", "cassey").assert_refused(2)
    assert "no staff member 'cassey' (did you mean 'casey'?)" in unknown.stderr
    sam = invoke_caseflow("--repo", agency, "--as", "sam", "due", "--json", env={"CASEFLOW_TODAY": TODAY})
    assert {d["client"] for d in json.loads(sam.assert_success().stdout)} == {CLIENT}  # a supervisor sees all
    assert "CASEFLOW_TODAY is set: today is 2026-03-10" in sam.stderr


def test_calendar_statuses_follow_the_appointment(agency: Path, invoke_caseflow: Run) -> None:
    """Booked and kept: CONFIRMED. Cancelled: CANCELLED (a calendar that had it drops it). Missed:
    no status (no VEVENT status means "the client did not come"), "missed" in its summary."""
    made = {}
    for outcome, at in (("scheduled", "2026-03-12T09:00"), ("kept", "2026-03-02T09:00"), ("missed", "2026-03-03T09:00"),
                        ("cancelled", "2026-03-04T09:00")):  # fmt: skip
        appt = caseflow(invoke_caseflow, agency, "appt", "add", CLIENT, "--with", "x", "--at", at)
        made[outcome] = appt.assert_success().stdout.strip()
        if outcome != "scheduled":
            caseflow(invoke_caseflow, agency, "appt", CLIENT, made[outcome], f"--{outcome}").assert_success()
    ics = caseflow(invoke_caseflow, agency, "calendar").assert_success().stdout.encode()
    events = [e for e in icalendar.Calendar.from_ical(ics).walk("VEVENT") if "appointment" in e.get("CATEGORIES").cats]
    shown = {str(e["DESCRIPTION"]).split()[1]: (str(e["SUMMARY"]), e.get("STATUS")) for e in events}
    assert shown == {
        made["scheduled"]: (f"{CLIENT}: appointment", "CONFIRMED"),
        made["kept"]: (f"{CLIENT}: appointment (kept)", "CONFIRMED"),
        made["missed"]: (f"{CLIENT}: appointment (missed)", None),
        made["cancelled"]: (f"{CLIENT}: appointment (cancelled)", "CANCELLED"),
    }


def test_appointment_outcomes_are_recorded_once_and_times_are_required(agency: Path, invoke_caseflow: Run) -> None:
    date_only = caseflow(invoke_caseflow, agency, "appt", "add", CLIENT, "--with", "x", "--at", "2026-03-09")
    assert date_only.exit_code == 2 and "date and time written YYYY-MM-DDTHH:MM" in date_only.stderr
    appt = caseflow(
        invoke_caseflow, agency, "appt", "add", CLIENT, "--with", "x", "--at", "2026-03-09T09:00"
    ).stdout.strip()  # fmt: skip
    both = caseflow(invoke_caseflow, agency, "appt", CLIENT, appt, "--kept", "--missed")
    assert both.exit_code == 2 and "one of --kept, --missed or --cancelled" in both.stderr
    caseflow(invoke_caseflow, agency, "appt", CLIENT, appt, "--kept").assert_success()
    again = caseflow(invoke_caseflow, agency, "appt", CLIENT, appt, "--missed").assert_refused()
    assert "is already recorded as kept" in again.stderr


def test_a_list_document_deleted_by_hand_is_not_silently_recreated(agency: Path, invoke_caseflow: Run) -> None:
    caseflow(invoke_caseflow, agency, "appt", "add", CLIENT, "--with", "x", "--at", "2026-03-09T09:00").assert_success()
    (agency / f"clients/{CLIENT}/appointments.yaml").unlink()
    head = git(agency, "rev-parse", "HEAD")
    refused = caseflow(invoke_caseflow, agency, "appt", "add", CLIENT, "--with", "y", "--at", "2026-03-11T09:00")
    assert refused.exit_code == 1 and "was deleted but the deletion is not committed" in refused.stderr
    assert git(agency, "rev-parse", "HEAD") == head


def test_a_note_typed_in_the_editor_is_checked_and_kept_when_refused(
    agency: Path, invoke_caseflow: Run, tmp_path: Path
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/^date: .*/date: 2027-05-05/" "$1"\n')
    editor.chmod(0o755)
    head = git(agency, "rev-parse", "HEAD")
    result = invoke_caseflow(
        "--repo", agency, "--as", "casey", "visit", CLIENT, "--type", "phone", "--edit",
        env={"CASEFLOW_TODAY": TODAY, "EDITOR": str(editor)},
    )  # fmt: skip
    assert result.exit_code == 1 and "date 2027-05-05 is in the future" in result.stderr
    assert "your draft is kept at" in result.stderr and git(agency, "rev-parse", "HEAD") == head
    drafts = list((agency / ".caseflow/drafts").iterdir())
    assert len(drafts) == 1 and "date: 2027-05-05" in drafts[0].read_text()


def test_each_report_keeps_its_own_pdf_and_only_the_case_manager_marks_it_read(
    agency: Path, invoke_caseflow: Run, tmp_path: Path
) -> None:
    (tmp_path / "r.md").write_text("Report.\n")
    (tmp_path / "r.pdf").write_bytes(b"%PDF-1.4\n")
    for _ in range(2):
        caseflow(
            invoke_caseflow, agency, "report-in", CLIENT, "--provider", "eastside-counseling", "--date", "2026-03-09",
            "--file", tmp_path / "r.md", "--attach", tmp_path / "r.pdf",
        ).assert_success()  # fmt: skip
    folder = agency / f"clients/{CLIENT}/provider-reports"
    notes = sorted(folder.glob("2026-03-09-eastside-counseling-*.md"))
    assert len(notes) == 2
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [n.name for n in notes] + [n.name.replace(".md", ".pdf") for n in notes]
    )
    for note in notes:
        assert f"attachment: {note.name.replace('.md', '.pdf')}" in note.read_text()
    report = f"provider-reports/{notes[0].name}"
    robin = invoke_caseflow("--repo", agency, "--as", "robin", "ack", CLIENT, report, env={"CASEFLOW_TODAY": TODAY})
    assert robin.exit_code == 1 and "for the assigned case manager (casey)" in robin.stderr
    (tmp_path / "latin1.md").write_bytes(b"caf\xe9\n")
    bad = caseflow(
        invoke_caseflow, agency, "report-in", CLIENT, "--provider", "eastside-counseling", "--date", "2026-03-09",
        "--file", tmp_path / "latin1.md",
    )  # fmt: skip
    assert bad.exit_code == 1 and "not UTF-8 text" in bad.stderr


def test_show_summarises_what_a_person_wants_first(agency: Path, invoke_caseflow: Run) -> None:
    caseflow(
        invoke_caseflow, agency, "visit", CLIENT, "--type", "phone", "--note", "Seen.", "--date", "2026-03-02"
    ).assert_success()
    caseflow(
        invoke_caseflow, agency, "appt", "add", CLIENT, "--with", "eastside-counseling", "--at", "2026-03-12T16:00"
    ).assert_success()  # fmt: skip
    shown = json.loads(caseflow(invoke_caseflow, agency, "show", CLIENT, "--json").stdout)
    assert shown["last_contact"] == {"date": "2026-03-02", "type": "phone"}
    assert shown["next_appointment"]["date"] == "2026-03-12"
    assert [d["rule"] for d in shown["due"]] == ["appointment"]
    text = caseflow(invoke_caseflow, agency, "show", CLIENT).stdout
    assert "last contact: 2026-03-02 (phone)" in text and "next appointment: 2026-03-12 16:00" in text
