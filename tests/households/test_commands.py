"""Households from the command line: new, show, list, contact, the family plan and its review."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import icalendar

from caseflow import DocumentView, Finding, hookimpl, open_repo
from caseflow.households.forms import HOUSEHOLD_FORM
from caseflow.testing import Result, commit_files, git
from tests.households.conftest import OTHER, TODAY, caseflow, new_household
from tests.samples import CLIENT

Run = Callable[..., Result]


def test_new_show_list(invoke_caseflow: Run, agency: Path) -> None:
    household = new_household(invoke_caseflow, agency)
    assert household.startswith("H-") and len(household) == 8
    assert (agency / "households" / household / "household.yaml").is_file()
    assert "Caseflow-Household: " + household in git(agency, "log", "-1", "--format=%B")
    assert "Cal" not in git(agency, "log", "-1", "--format=%B")  # no names in commit messages
    shown = caseflow(invoke_caseflow, agency, "household", "show", household, "--json")
    data = json.loads(shown.stdout)
    assert [m["client"] for m in data["members"]] == [CLIENT, OTHER, None]
    assert "name" not in data["members"][2]  # --json: ids and codes only
    assert data["family_plan"] is None and data["problems"] == []
    text = caseflow(invoke_caseflow, agency, "household", "show", household).stdout
    assert "Cal Example (not a client)" in text
    listed = json.loads(caseflow(invoke_caseflow, agency, "household", "list", "--json").stdout)
    due = [{"rule": "family-contact", "reason": "family contact (every 30 days; no family contact since 2026-03-10)",
            "due": "2026-04-09"}]  # fmt: skip
    assert listed == [
        {"id": household, "worker": "casey", "clients": [CLIENT, OTHER], "other_members": 1,
         "family_plan": "none", "contacts": 0, "due": due}
    ]  # fmt: skip
    assert "household record" in (agency / ".caseflow" / "access.log").read_text()
    assert caseflow(invoke_caseflow, agency, "validate").exit_code == 0


def test_members_that_do_not_exist_are_refused(invoke_caseflow: Run, agency: Path) -> None:
    head = git(agency, "rev-parse", "HEAD")
    refused = caseflow(invoke_caseflow, agency, "household", "new", "--member", CLIENT, "--member", "C-ZZZZZZ")
    assert refused.exit_code == 1
    errors = [line for line in refused.stderr.splitlines() if not line.startswith("warning: CASEFLOW_TODAY")]
    assert errors == ["error: no client C-ZZZZZZ: a household's members are clients here (or --person)"]
    assert git(agency, "rev-parse", "HEAD") == head and not (agency / "households").exists()
    bad_person = caseflow(invoke_caseflow, agency, "household", "new", "--member", CLIENT, "--person", "Cal:cousin")
    assert bad_person.exit_code != 0 and git(agency, "rev-parse", "HEAD") == head


PLAN = (
    "goals[+].id=g1",
    "goals[g1].title=Stable housing",
    "goals[g1].status=active",
    "goals[g1].objectives[+].id=o1",
    "goals[g1].objectives[o1].statement=Apply",
    "goals[g1].objectives[o1].target_date=2026-05-01",
    "goals[g1].objectives[o1].responsible=family",
)


def test_family_plan_validates_and_enters_review(invoke_caseflow: Run, agency: Path) -> None:
    household = new_household(invoke_caseflow, agency)
    bad = caseflow(invoke_caseflow, agency, "household", "plan", household, *PLAN, "goals[g1].objectives[o1].member=m9")
    assert bad.exit_code == 1 and "m9 is not a member" in bad.stderr
    assert not (agency / "households" / household / "family-plan.yaml").exists()
    made = caseflow(
        invoke_caseflow, agency, "household", "plan", household, *PLAN, "goals[g1].objectives[o1].member=m2"
    )
    made.assert_success()
    review = json.loads(caseflow(invoke_caseflow, agency, "review", "--json", who="sam").stdout)
    assert [(i["household"], i["path"], i["author"]) for i in review] == [(household, "family-plan.yaml", "casey")]
    own = caseflow(invoke_caseflow, agency, "household", "approve", household)
    assert own.exit_code == 1  # a case manager may not approve
    approved = caseflow(invoke_caseflow, agency, "household", "approve", household, who="sam")
    approved.assert_success()
    data = json.loads(caseflow(invoke_caseflow, agency, "household", "show", household, "--json").stdout)
    assert data["family_plan"]["status"] == "approved"
    review = json.loads(caseflow(invoke_caseflow, agency, "review", "--json", who="sam").stdout)
    assert review == []
    # the household's review date is due like a plan's once approved
    later = caseflow(invoke_caseflow, agency, "household", "show", household, "--json", today="2026-06-09")
    assert ("family-plan-review", "2026-06-08") in [(d["rule"], d["due"]) for d in json.loads(later.stdout)["due"]]
    caseflow(invoke_caseflow, agency, "household", "plan", household, "goals[g1].title=Housing").assert_success()
    again = json.loads(caseflow(invoke_caseflow, agency, "household", "show", household, "--json").stdout)
    assert again["family_plan"]["status"] == "awaiting approval"
    refused = caseflow(invoke_caseflow, agency, "household", "reject", household, "--comment", "", who="sam")
    assert refused.exit_code == 2  # a rejection says what to change
    caseflow(
        invoke_caseflow, agency, "household", "reject", household, "--comment", "Add Cal", who="sam"
    ).assert_success()
    back = json.loads(caseflow(invoke_caseflow, agency, "household", "show", household, "--json").stdout)
    assert (back["family_plan"]["status"], back["family_plan"]["sent_back"]) == ("sent back", "Add Cal")
    assert ("family-plan-sent-back", TODAY) in [(d["rule"], d["due"]) for d in back["due"]]
    verified = caseflow(invoke_caseflow, agency, "verify").stdout
    assert "approvals.yaml" not in verified  # (only the fixture's commit, by no staff member, breaks a rule)


def test_an_approval_written_in_someone_elses_name_does_not_count(invoke_caseflow: Run, agency: Path) -> None:
    household = new_household(invoke_caseflow, agency)
    caseflow(invoke_caseflow, agency, "household", "plan", household).assert_success()
    blob = git(agency, "rev-parse", f"HEAD:households/{household}/family-plan.yaml").strip()
    forged = (
        f"form: core.household-approvals\nhousehold: {household}\napprovals:\n"
        f"  - {{document: family-plan.yaml, blob: {blob}, decision: approved, by: sam, at: '2026-03-10T09:00'}}\n"
    )
    commit_files(agency, {f"households/{household}/approvals.yaml": forged})
    data = json.loads(caseflow(invoke_caseflow, agency, "household", "show", household, "--json").stdout)
    assert data["family_plan"]["status"] == "awaiting approval"
    assert "approvals.yaml" in caseflow(invoke_caseflow, agency, "verify").stdout


def test_a_family_contact_counts_for_each_member_present(invoke_caseflow: Run, agency: Path) -> None:
    household = new_household(invoke_caseflow, agency)
    before = json.loads(
        caseflow(invoke_caseflow, agency, "due", "--all", "--within", "60", "--json", today="2026-03-10").stdout
    )
    done = caseflow(
        invoke_caseflow, agency, "household", "contact", household, "--present", CLIENT, "--present", "m3",
        "--type", "home", "--duration", "60", "--date", "2026-03-09", "--note", "Talked with Ana and Cal.", "--json",
    )  # fmt: skip
    done.assert_success()
    result = json.loads(done.stdout)
    assert result["path"].startswith(f"households/{household}/contacts/2026-03-09-home-")
    assert [p.split("/")[1] for p in result["linked"]] == [CLIENT]  # OTHER was not there
    link = (agency / result["linked"][0]).read_text()
    assert f"household: {household}" in link and "Cal" not in link  # nothing of anyone else
    after = json.loads(
        caseflow(invoke_caseflow, agency, "due", "--all", "--within", "60", "--json", today="2026-03-10").stdout
    )

    def contact_due(listing: list[dict[str, Any]], client: str) -> list[str]:
        return [i["due"] for i in listing if i["client"] == client and i["rule"] == "contact"]

    assert contact_due(before, CLIENT) == ["2026-02-04"]  # 30 days after intake
    assert contact_due(after, CLIENT) == ["2026-04-08"]  # 30 days after the family contact
    assert contact_due(after, OTHER) == contact_due(before, OTHER) == ["2026-02-04"]
    shown = json.loads(caseflow(invoke_caseflow, agency, "show", CLIENT, "--json").stdout)
    assert "2026-03-09" in json.dumps(shown)
    assert caseflow(invoke_caseflow, agency, "validate").exit_code == 0
    stranger = caseflow(invoke_caseflow, agency, "household", "contact", household, "--present", "C-ZZZZZZ")
    assert stranger.exit_code == 1 and "not a member" in stranger.stderr


def test_validate_reports_a_bad_household(invoke_caseflow: Run, agency: Path) -> None:
    household = new_household(invoke_caseflow, agency)
    path = agency / "households" / household / "household.yaml"
    path.write_text(path.read_text().replace(OTHER, "C-ZZZZZZ"))
    checked = caseflow(invoke_caseflow, agency, "validate")
    assert checked.exit_code == 1 and "C-ZZZZZZ is not a client here" in checked.stdout


def test_a_households_items_are_in_the_due_list_of_its_case_manager(invoke_caseflow: Run, agency: Path) -> None:
    household = new_household(invoke_caseflow, agency)  # made on 2026-03-10: a family contact due 2026-04-09
    soon = json.loads(caseflow(invoke_caseflow, agency, "due", "--json").stdout)
    assert [e for e in soon if e["client"] == household] == []  # a month ahead: beyond the two weeks
    later = json.loads(caseflow(invoke_caseflow, agency, "due", "--json", today="2026-04-01").stdout)
    [item] = [e for e in later if e["client"] == household]
    assert (item["rule"], item["due"], item["worker"]) == ("family-contact", "2026-04-09", "casey")
    others = caseflow(invoke_caseflow, agency, "due", "--worker", "robin", "--json", today="2026-04-01")
    assert household not in others.stdout  # another case manager's list
    text = caseflow(invoke_caseflow, agency, "due", today="2026-04-20").stdout
    assert f"{household}  2026-04-09  overdue 11 days  family contact" in text


def test_a_households_items_are_on_its_case_managers_calendar(invoke_caseflow: Run, agency: Path) -> None:
    household = new_household(invoke_caseflow, agency)
    ics = caseflow(invoke_caseflow, agency, "calendar", today="2026-04-01").stdout
    events = [e for e in icalendar.Calendar.from_ical(ics).walk("VEVENT") if str(e["summary"]).startswith(household)]
    [event] = events
    assert str(event["summary"]) == f"{household}: family contact due"  # the kind of task, nothing more
    assert event.decoded("dtstart") == dt.date(2026, 4, 9)
    assert f"caseflow household show {household}" in str(event["description"])
    robin = caseflow(invoke_caseflow, agency, "calendar", "--worker", "robin", today="2026-04-01").stdout
    assert household not in robin


class HouseholdPolicy:
    """An agency plugin's rule that reaches household documents as it reaches a client's."""

    @hookimpl
    def validate_document(self, document: DocumentView) -> list[Finding]:
        if document.form_id == HOUSEHOLD_FORM and len(document.data.get("members", [])) > 2:
            return [Finding("Agency policy: a household of more than two needs a second worker", ("members",))]
        return []


def test_a_plugins_document_checks_apply_to_household_documents(invoke_caseflow: Run, agency: Path) -> None:
    household = new_household(invoke_caseflow, agency)  # three members
    count, problems = open_repo(agency, environ={}, plugins=[HouseholdPolicy()]).households.validate()
    assert count >= 1
    policy = "[HouseholdPolicy] Agency policy: a household of more than two needs a second worker"
    assert [str(p) for p in problems] == [f"households/{household}/household.yaml:5:1: {policy}"]
    assert open_repo(agency, environ={}).households.validate()[1] == []  # without the plugin: nothing
