"""Household counts in the reports: households served, their members, family contacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from caseflow import ReportInputs, open_repo
from caseflow.reporting.builtin import caseload, funder_summary
from caseflow.reporting.run import household_facts
from caseflow.testing import Result
from tests.households.conftest import OTHER, caseflow, new_household
from tests.samples import CLIENT

Run = Callable[..., Result]


def test_funder_summary_and_caseload_count_households(invoke_caseflow: Run, agency: Path) -> None:
    household = new_household(invoke_caseflow, agency)
    caseflow(
        invoke_caseflow, agency, "household", "contact", household, "--present", OTHER, "--type", "phone",
        "--date", "2026-03-02",
    ).assert_success()  # fmt: skip
    repo = open_repo(agency, environ={"CASEFLOW_TODAY": "2026-03-10"})
    cases = [repo.case(CLIENT), repo.case(OTHER)]
    facts = household_facts(repo, {CLIENT})
    assert [(f.id, f.clients, f.other_members, f.contact_dates) for f in facts] == [
        (household, (CLIENT, OTHER), 1, ("2026-03-02",))
    ]
    assert household_facts(repo, {"C-NOBODY"}) == []
    inputs = ReportInputs(
        cases=cases, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31), today=dt.date(2026, 3, 10),
        worker=None, staff={}, due=lambda case: [], households=facts,
    )  # fmt: skip
    tables = {t.title: t.rows for t in funder_summary(inputs)["tables"]}
    assert tables["Households"] == [
        ["households served", 1],
        ["members who are clients", 2],
        ["members who are not clients", 1],
        ["family contacts", 1],
    ]
    counted = {t.title: t.rows for t in caseload(inputs)["tables"]}
    assert counted["Households with open cases (today)"][0] == ["households", 1]
    # through the command: de-identified, so these small counts are suppressed, never shown
    report = caseflow(invoke_caseflow, agency, "report", "funder-summary", "--period", "2026-03", who="sam")
    assert "households served" in report.assert_success().stdout
