"""Every due rule on both sides of its boundary, with an injected today (CASEFLOW_TODAY)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from caseflow import CaseRepo, CaseView, Due, DueRule, PluginError, WorkflowExtension, hookimpl, open_repo
from caseflow.followup.due import due_for_case, due_list
from caseflow.testing import ONLY_BUILTIN_PLUGINS

CLIENT = "C-7K2M9Q"
COPIES = itertools.count()  # several repositories per test
BASE = f"clients/{CLIENT}"


def record(stage: str = "active", flags: str = "") -> str:
    return (
        f"form: core.client\nid: {CLIENT}\nname: Ana Example\ndob: 1990-04-02\nassigned_worker: casey\n"
        f"intake_date: 2026-01-01\nstage: {stage}\n{flags}"
    )


def visit(day: str, kind: str = "office", hospital: str = "") -> tuple[str, str]:
    front = f"form: core.visit\nclient: {CLIENT}\ndate: {day}\ntype: {kind}\nauthor: casey\n{hospital}"
    return f"{BASE}/visits/{day}-{kind}.md", f"---\n{front}---\nNote.\n"


def appointments(*items: str) -> tuple[str, str]:
    body = "".join(items)
    return f"{BASE}/appointments.yaml", f"form: core.appointments\nclient: {CLIENT}\nappointments:\n{body}"


def appointment(appointment_id: str, day: str, status: str) -> str:
    return f"  - {{id: {appointment_id}, with: Eastside, date: {day}, time: '10:00', status: {status}}}\n"


def due_on(
    case_repo: Callable[..., Path], today: str, files: Mapping[str, str], plugins: tuple[object, ...] = ()
) -> Callable[[int], list[tuple[str, str]]]:
    """(rule, due date) of what shows on ``today``, looking ``within`` days ahead."""
    path = case_repo({f"{BASE}/client.yaml": record(), **files}, name=f"cases-{next(COPIES)}")
    repo = open_repo(path, environ={**ONLY_BUILTIN_PLUGINS, "CASEFLOW_TODAY": today}, plugins=plugins)

    def shown(within: int = 0) -> list[tuple[str, str]]:
        return [(e.item.rule, e.item.due) for e in due_for_case(repo, repo.case(CLIENT), within)]

    return shown


def test_contact_cadence_low_risk_monthly(case_repo: Callable[..., Path]) -> None:
    files = dict([visit("2026-01-05")])
    assert due_on(case_repo, "2026-02-03", files)() == []
    assert due_on(case_repo, "2026-02-04", files)() == [("contact", "2026-02-04")]
    assert due_on(case_repo, "2026-02-01", files)(3) == [("contact", "2026-02-04")]


def test_a_risk_flag_makes_contact_weekly(case_repo: Callable[..., Path]) -> None:
    flagged = record(flags="risk_flags:\n  - {flag: Suicide risk, since: 2026-01-06}\n")
    path = case_repo({f"{BASE}/client.yaml": flagged, **dict([visit("2026-01-05")])})
    repo = open_repo(path, environ={**ONLY_BUILTIN_PLUGINS, "CASEFLOW_TODAY": "2026-01-12"})
    entries = due_for_case(repo, repo.case(CLIENT), 0)
    assert [(e.item.rule, e.item.due, e.risk, e.flagged, e.days_overdue) for e in entries] == [
        ("contact", "2026-01-12", "high", True, 0)
    ]


def test_no_contact_yet_counts_from_intake(case_repo: Callable[..., Path]) -> None:
    assert due_on(case_repo, "2026-01-31", {})() == [("contact", "2026-01-31")]
    assert due_on(case_repo, "2026-01-30", {})() == []


def test_a_missed_appointment_needs_a_contact_on_or_after_it(case_repo: Callable[..., Path]) -> None:
    missed = dict([appointments(appointment("a1", "2026-01-10", "missed")), visit("2026-01-09")])
    assert ("missed-appointment", "2026-01-12") not in due_on(case_repo, "2026-01-11", missed)()
    assert ("missed-appointment", "2026-01-12") in due_on(case_repo, "2026-01-12", missed)()
    followed = {**missed, **dict([visit("2026-01-12", "phone")])}
    assert ("missed-appointment", "2026-01-12") not in due_on(case_repo, "2026-01-13", followed)()


def test_seven_day_follow_up_after_a_hospital_discharge(case_repo: Callable[..., Path]) -> None:
    stay = "hospital: {facility: St. Example, admitted_on: 2026-01-05, discharged_on: 2026-01-10}\n"
    files = dict([visit("2026-01-10", "hospital", stay)])
    assert ("hospital-followup", "2026-01-17") not in due_on(case_repo, "2026-01-16", files)()
    assert ("hospital-followup", "2026-01-17") in due_on(case_repo, "2026-01-17", files)()
    after = {**files, **dict([visit("2026-01-11", "home")])}
    assert ("hospital-followup", "2026-01-17") not in due_on(case_repo, "2026-01-20", after)()


def test_appointments_coming_and_to_be_recorded(case_repo: Callable[..., Path]) -> None:
    files = dict([appointments(appointment("a1", "2026-01-20", "scheduled")), visit("2026-01-15")])
    assert due_on(case_repo, "2026-01-15", files)(5) == [("appointment", "2026-01-20")]
    assert due_on(case_repo, "2026-01-15", files)(4) == []
    assert due_on(case_repo, "2026-01-21", files)() == [("appointment-outcome", "2026-01-20")]


def test_rescreen_after_thirty_days(case_repo: Callable[..., Path]) -> None:
    phq9 = (
        f"form: instruments.phq9\nclient: {CLIENT}\ndate: 2026-01-20\nversion: 1\nadministered_by: casey\n"
        "answers: {q1: 0, q2: 0, q3: 0, q4: 0, q5: 0, q6: 0, q7: 0, q8: 0, q9: 0, q10: 0}\n"
        "result: {total: 0, band: minimal, flags: []}\n"
    )
    files = {f"{BASE}/evaluation/2026-01-20-phq9.yaml": phq9, **dict([visit("2026-01-25")])}
    assert due_on(case_repo, "2026-02-18", files)() == []
    assert due_on(case_repo, "2026-02-19", files)() == [("rescreen", "2026-02-19")]


def test_referrals_waiting_without_a_change_for_fourteen_days(case_repo: Callable[..., Path]) -> None:
    def referral(status: str) -> str:
        return (
            f"form: core.referral\nid: R-AAAAAA\nclient: {CLIENT}\nservice: Counseling\ncategory: counseling\n"
            f"status: {status}\nhistory:\n  - {{status: {status}, on: 2026-01-10}}\n"
        )

    files = {**dict([visit("2026-01-20")]), f"{BASE}/referrals/R-AAAAAA.yaml": referral("requested")}
    assert due_on(case_repo, "2026-01-23", files)() == []
    assert due_on(case_repo, "2026-01-24", files)() == [("referral", "2026-01-24")]
    files[f"{BASE}/referrals/R-AAAAAA.yaml"] = referral("in-progress")
    assert due_on(case_repo, "2026-01-24", files)() == []


def test_a_consent_shows_thirty_days_before_it_expires(case_repo: Callable[..., Path]) -> None:
    consent = (
        f"form: core.consent\nid: CN-2Q4W6E\nclient: {CLIENT}\nkind: release\nstatus: active\nexpires_on: 2026-03-01\n"
    )
    files = {**dict([visit("2026-01-29")]), f"{BASE}/consents/CN-2Q4W6E.yaml": consent}
    assert due_on(case_repo, "2026-01-29", files)() == []
    assert due_on(case_repo, "2026-01-30", files)() == [("consent", "2026-03-01")]
    assert due_on(case_repo, "2026-03-02", {**files, **dict([visit("2026-03-01")])})() == []  # expired, unused


def test_an_unread_provider_report_until_it_is_acknowledged(case_repo: Callable[..., Path]) -> None:
    report = f"---\nform: core.provider-report\nclient: {CLIENT}\nprovider: eastside\ndate: 2026-01-08\n"
    files = {**dict([visit("2026-01-08")]), f"{BASE}/provider-reports/2026-01-08-eastside.md": report}
    unread = {k: (v + "received_by: casey\n---\nReport.\n" if "provider-reports" in k else v) for k, v in files.items()}
    assert due_on(case_repo, "2026-01-07", unread)() == []
    assert due_on(case_repo, "2026-01-08", unread)() == [("report", "2026-01-08")]
    read = {
        k: (v + "received_by: casey\nacknowledged_by: casey\nacknowledged_on: 2026-01-09\n---\nReport.\n")
        if "provider-reports" in k
        else v
        for k, v in files.items()
    }
    assert due_on(case_repo, "2026-01-10", read)() == []


def test_plan_review_only_once_the_plan_is_in_effect(case_repo: Callable[..., Path]) -> None:
    plan = f"form: core.plan\nclient: {CLIENT}\nreview_date: 2026-02-01\ngoals: []\n"
    path = case_repo({f"{BASE}/client.yaml": record(), f"{BASE}/plan.yaml": plan, **dict([visit("2026-01-30")])})
    repo = open_repo(path, environ={**ONLY_BUILTIN_PLUGINS, "CASEFLOW_TODAY": "2026-02-01"})
    assert due_for_case(repo, repo.case(CLIENT), 0) == []
    repo.workflow.approve(repo.actor("sam"), CLIENT, "plan.yaml")
    assert [e.item.rule for e in due_for_case(repo, repo.case(CLIENT), 0)] == ["plan-review"]


class AgencyRules:
    """An agency plugin: fortnightly contact for everyone, and a rule of its own."""

    @hookimpl
    def register_workflows(self) -> list[WorkflowExtension]:
        return [WorkflowExtension("core.behavioral-health", monitoring={"contact_days_by_risk": {"low": 14}})]

    @hookimpl
    def register_due_rules(self) -> list[DueRule]:
        def birthday_call(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
            return [Due("agency.birthday", "birthday call", "2026-04-02")]

        return [DueRule("agency.birthday", "a call on the client's birthday", birthday_call)]


def test_an_agency_plugin_changes_the_numbers_and_adds_a_rule(case_repo: Callable[..., Path]) -> None:
    shown = due_on(case_repo, "2026-01-19", dict([visit("2026-01-05")]), plugins=(AgencyRules(),))
    assert shown() == [("contact", "2026-01-19")]
    assert shown(90) == [("contact", "2026-01-19"), ("agency.birthday", "2026-04-02")]
    # the other risk levels keep the default workflow's cadence
    flagged = record(flags="risk_flags:\n  - {flag: Suicide risk, since: 2026-01-06}\n")
    path = case_repo({f"{BASE}/client.yaml": flagged, **dict([visit("2026-01-05")])}, name="flagged")
    repo = open_repo(path, environ={**ONLY_BUILTIN_PLUGINS, "CASEFLOW_TODAY": "2026-01-12"}, plugins=(AgencyRules(),))
    assert [(e.item.rule, e.item.due) for e in due_for_case(repo, repo.case(CLIENT), 0)] == [("contact", "2026-01-12")]


def test_the_note_that_records_a_stay_is_not_its_follow_up(case_repo: Callable[..., Path]) -> None:
    stay = "hospital: {admitted_on: 2026-01-05, discharged_on: 2026-01-10}\n"
    files = {**dict([visit("2026-01-10", "hospital", stay)]), **dict([visit("2026-01-12", "hospital")])}
    assert ("hospital-followup", "2026-01-17") in due_on(case_repo, "2026-01-17", files)()


def test_an_unreadable_document_is_due_to_be_fixed(case_repo: Callable[..., Path]) -> None:
    files = {**dict([visit("2026-01-05")]), f"{BASE}/appointments.yaml": "form: core.appointments\nappointments: [\n"}
    assert due_on(case_repo, "2026-01-06", files)() == [("unreadable", "2026-01-06")]


class Broken:
    @hookimpl
    def register_due_rules(self) -> list[DueRule]:
        return [DueRule("contact", "a second contact rule", lambda case, monitoring: [])]


def test_a_plugin_rule_may_not_take_a_built_in_id(case_repo: Callable[..., Path]) -> None:
    shown = due_on(case_repo, "2026-01-19", {}, plugins=(Broken(),))
    with pytest.raises(PluginError, match="due rule 'contact' is registered by both"):
        shown()


def test_due_list_puts_flagged_clients_first_and_skips_discharged_ones(case_repo: Callable[..., Path]) -> None:
    other = "C-9PZQ2F"
    flagged = record(flags="risk_flags:\n  - {flag: Suicide risk, since: 2026-01-02}\n").replace(CLIENT, other)
    path = case_repo(
        {
            f"{BASE}/client.yaml": record(),
            f"clients/{other}/client.yaml": flagged,
            "clients/C-4HX8TB/client.yaml": record(stage="discharged").replace(CLIENT, "C-4HX8TB"),
        }
    )
    repo: CaseRepo = open_repo(path, environ={**ONLY_BUILTIN_PLUGINS, "CASEFLOW_TODAY": "2026-02-15"})
    assert [(e.client, e.item.due) for e in due_list(repo, within_days=0)] == [
        (other, "2026-01-08"),
        (CLIENT, "2026-01-31"),
    ]
    # A page with its own order (oldest due first, as the web's Today) has the list sorted once, its way.
    by_date = repo.due(within_days=0, order=lambda e: (e.item.due, not e.flagged, e.client))
    assert [(e.client, e.item.due) for e in by_date] == [(other, "2026-01-08"), (CLIENT, "2026-01-31")]
    by_client = repo.due(within_days=0, order=lambda e: e.client)
    assert [e.client for e in by_client] == sorted([other, CLIENT])
    (path / f"{BASE}/client.yaml").write_text("form: core.client\nstage: [\n")
    broken = [(e.client, e.item.rule) for e in due_list(repo, worker="casey", within_days=0)]
    assert broken[0] == (CLIENT, "unreadable")  # whoever's it is, a record nobody can read comes first


def test_a_contact_note_dated_ahead_does_not_validate(case_repo: Callable[..., Path]) -> None:
    path = case_repo({f"{BASE}/client.yaml": record(), **dict([visit("2999-01-01")])})
    repo = open_repo(path, environ=ONLY_BUILTIN_PLUGINS)
    problems = [str(p) for p in repo.validate().problems]
    assert any("Contact date: is in the future" in p for p in problems)


def test_the_services_default_horizon_is_the_due_lists() -> None:
    import inspect

    from caseflow.followup.due import WITHIN_DAYS, due_list
    from caseflow.followup.service import FollowUp

    assert inspect.signature(FollowUp.due).parameters["within_days"].default == WITHIN_DAYS
    assert inspect.signature(due_list).parameters["within_days"].default == WITHIN_DAYS
