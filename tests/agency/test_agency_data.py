"""Agency-shaped records without Python: forms as files in ``forms/`` and rules in ``caseflow.yaml``,
used by every command (and the web app) like a plugin's, each mistake located in its file."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from caseflow import DocumentError, hookimpl, open_repo
from caseflow.testing import Result, git
from tests.authority.test_authority import commit_as
from tests.web.conftest import Browser, serve

ENV = {"CASEFLOW_TODAY": "2026-11-20"}
CLIENT = "C-9PZQ2F"  # a demo client in evaluation (fictional)
NEEDS = f"clients/{CLIENT}/evaluation/2026-11-20-housing-needs.yaml"

HOUSING_NEEDS = """\
# Where the client sleeps: the agency's own screen, no Python.
id: agency.housing-needs
title: Housing needs screen
kind: yaml
path: evaluation/{date}-housing-needs.yaml
description: Where the client sleeps and what stands in the way of housing.
schema:
  type: object
  properties:
    date: {type: string, format: date, title: Date}
    assessor: {type: string, title: Assessor}
    sleeps: {enum: [own-home, family, shelter, street, other], title: Where the client sleeps}
    barriers: {type: array, title: Barriers, items: {type: string}}
  required: [date, assessor, sleeps]
  additionalProperties: false
changes:
  sleeps: "Now sleeps: {old} → {new}"
"""


@pytest.fixture
def repo(demo_repo: Callable[..., Path]) -> Path:
    path = demo_repo()
    (path / "forms").mkdir(exist_ok=True)
    (path / "forms/agency.housing-needs.yaml").write_text(HOUSING_NEEDS)
    commit_as(path, "dana", "the housing needs screen")  # the director: forms/ are rules
    return path


@pytest.fixture
def cf(invoke_caseflow: Callable[..., Result], repo: Path) -> Callable[..., Result]:
    def run(*args: str) -> Result:
        return invoke_caseflow("--repo", str(repo), *args, env=ENV)

    return run


def add_rules(repo: Path, text: str) -> None:
    config = repo / "caseflow.yaml"
    config.write_text(config.read_text() + text)


# -- forms as data ---------------------------------------------------------------------------------


def test_a_form_file_works_in_new_set_diff_validate_and_forms(repo: Path, cf: Callable[..., Result]) -> None:
    listed = json.loads(cf("forms", "--json").stdout)
    mine = next(f for f in listed if f["id"] == "agency.housing-needs")
    assert mine["plugin"] == "forms/agency.housing-needs.yaml"
    assert mine["path"] == "evaluation/{date}-housing-needs.yaml"
    made = cf("--as", "casey", "new", CLIENT, "agency.housing-needs", "--field", "sleeps=family")
    assert made.exit_code == 0, made.stderr
    text = (repo / NEEDS).read_text()
    assert text.startswith(f"form: agency.housing-needs\nclient: {CLIENT}\ndate: 2026-11-20\nassessor: casey\n")
    assert "sleeps: family" in text
    changed = cf("--as", "casey", "set", CLIENT, "evaluation/2026-11-20-housing-needs.yaml", "sleeps=shelter")
    assert changed.exit_code == 0
    assert "Now sleeps: family → shelter" in cf("diff", CLIENT, "evaluation/2026-11-20-housing-needs.yaml").stdout
    refused = cf("--as", "casey", "set", CLIENT, "evaluation/2026-11-20-housing-needs.yaml", "sleeps=garage")
    assert refused.exit_code == 1
    assert re.search(r"housing-needs\.yaml:\d+:\d+: Where the client sleeps: 'garage' is not one of", refused.stderr)
    assert cf("validate").exit_code == 0


def test_a_broken_form_file_is_reported_once_located_and_the_others_keep_working(
    repo: Path, cf: Callable[..., Result]
) -> None:
    (repo / "forms/agency.broken.yaml").write_text(
        "id: agency.broken\ntitle: Broken\nkind: yaml\npath: b.yaml\nschema:\n  properties:\n    x: {type: strng}\n"
    )
    listed = cf("forms")
    assert listed.exit_code == 0
    assert "agency.housing-needs" in listed.stdout and "agency.broken" not in listed.stdout
    warnings = [line for line in listed.stderr.splitlines() if "agency.broken" in line]
    assert len(warnings) == 1
    assert "forms/agency.broken.yaml:7:15: not a valid JSON Schema (Draft 2020-12)" in warnings[0]
    checked = cf("validate")
    assert checked.exit_code == 1
    assert "forms/agency.broken.yaml:7:15: not a valid JSON Schema" in checked.stdout
    assert cf("--as", "casey", "new", CLIENT, "agency.housing-needs", "--field", "sleeps=street").exit_code == 0


BAD_FORM_FILES = [
    ("core.plan", "id: core.plan\ntitle: x\nkind: yaml\npath: p.yaml\nschema: {}\n", "is registered by"),
    ("agency.x", "id: agency.y\ntitle: x\nkind: yaml\npath: p.yaml\nschema: {}\n", "must match the file's name"),
    ("agency.x", "id: agency.x\ntitle: x\nkind: yaml\npath: ../p.yaml\nschema: {}\n", "inside the client's folder"),
    ("agency.x", "id: agency.x\ntitle: x\nkind: markdown\npath: p.yaml\nschema: {}\n", "must end with .md"),
    ("agency.x", "id: agency.x\ntitle: x\nkind: yaml\npath: p.yaml\n", "missing required field 'schema'"),
]


def test_form_files_that_cannot_be_forms_are_refused_with_their_place(repo: Path, cf: Callable[..., Result]) -> None:
    for name, text, said in BAD_FORM_FILES:  # (one repository for all: each file is taken away after)
        (repo / f"forms/{name}.yaml").write_text(text)
        checked = cf("validate")
        assert checked.exit_code == 1
        found = [line for line in checked.stdout.splitlines() if line.startswith(f"forms/{name}.yaml:")]
        assert len(found) == 1 and said in found[0], checked.stdout
        assert "core.plan" in cf("forms").stdout  # the built-in form is still the one in force
        (repo / f"forms/{name}.yaml").unlink()


def test_forms_check_reports_what_a_changed_form_would_make_invalid_before_it_is_committed(
    repo: Path, cf: Callable[..., Result]
) -> None:
    assert cf("--as", "casey", "new", CLIENT, "agency.housing-needs", "--field", "sleeps=shelter").exit_code == 0
    nothing = cf("forms", "check")
    assert nothing.exit_code == 0 and "no form file changed" in nothing.stderr
    form = repo / "forms/agency.housing-needs.yaml"
    form.write_text(form.read_text().replace("family, shelter, street", "family, street"))
    head = git(repo, "rev-parse", "HEAD")
    checked = cf("forms", "check", "--json")
    assert checked.exit_code == 1
    report = json.loads(checked.stdout)
    assert report["forms"] == ["agency.housing-needs"] and report["documents"] == 1
    assert [(p["path"], p["line"]) for p in report["problems"]] == [(NEEDS, 5)]
    assert git(repo, "rev-parse", "HEAD") == head and "agency.housing-needs" in git(repo, "status", "--porcelain")


def test_the_web_app_draws_and_saves_a_form_file(repo: Path) -> None:
    client, sessions = serve(repo, "casey")
    browser = Browser(client, repo, sessions)
    browser.client.get(f"/?token={sessions.secret}")
    page = browser.get(f"/clients/{CLIENT}/new/agency.housing-needs")
    assert page.status_code == 200, page.text
    assert '<select id="f-sleeps" name="sleeps"' in page.text
    assert '<label for="f-sleeps">Where the client sleeps' in page.text
    posted = browser.post(
        f"/clients/{CLIENT}/new/agency.housing-needs",
        [("date", "2026-11-20"), ("assessor", "casey"), ("sleeps", "family"), ("barriers", "No deposit")],
    )
    assert posted.status_code == 303, posted.text
    assert "sleeps: family" in (repo / NEEDS).read_text()


# -- rules as data ---------------------------------------------------------------------------------

RULES = """\
rules:
  stages:
    evaluation:
      - check: document_exists
        form: agency.housing-needs
        title: a housing needs screen
  monitoring:
    contact_days_by_risk: {low: 10}
    referral_stale_days: 5
"""


def test_a_stage_requirement_and_intervals_from_caseflow_yaml(repo: Path, cf: Callable[..., Result]) -> None:
    add_rules(repo, RULES)
    stages = json.loads(cf("stages", "--json").stdout)
    evaluation = next(s for s in stages["stages"] if s["id"] == "evaluation")
    assert evaluation["requirements"][-1] == {
        "check": "document_exists",
        "params": {"form": "agency.housing-needs", "title": "a housing needs screen"},
        "label": None,
        "description": "a housing needs screen",
        "when": None,
    }
    assert stages["monitoring"]["contact_days_by_risk"] == {"high": 7, "moderate": 14, "low": 10}
    assert stages["monitoring"]["referral_stale_days"] == 5
    before = cf("stages", CLIENT).stdout
    assert "✗ a housing needs screen" in before and f"caseflow new {CLIENT} agency.housing-needs" in before
    assert cf("--as", "casey", "new", CLIENT, "agency.housing-needs", "--field", "sleeps=family").exit_code == 0
    assert "✓ a housing needs screen" in cf("stages", CLIENT).stdout
    due = json.loads(cf("due", "--all", "--json").stdout)
    contacts = [d for d in due if d["rule"] == "contact" and "low risk" in d["reason"]]
    assert contacts and all("every 10 days" in d["reason"] for d in contacts)


BAD_RULES = [
    (("form: agency.housing-needs", "form: agency.nope"), ":5:15: unknown form 'agency.nope'"),
    (("    evaluation:", "    evalution:"), ":3:5: workflow 'core.behavioral-health' has no stage 'evalution'"),
    (("check: document_exists", "check: doc_exists"), ":4:16: unknown check 'doc_exists' (known: approved,"),
    (("{low: 10}", "{low: 0}"), ":8:33: low risk: 0 is less than the minimum of 1"),
    (("referral_stale_days: 5", "referral_wait: 5"), ":9:20: unknown field 'referral_wait'"),
    (("title: a housing", "titel: a housing"), ":6:16: check 'document_exists' has no parameter 'titel' (it takes"),
    (("title: a housing needs screen", "title: 14"), ":6:16: check 'document_exists': parameter 'title' takes a text"),
]


def test_rules_naming_what_does_not_exist_are_refused_located(repo: Path, cf: Callable[..., Result]) -> None:
    config = repo / "caseflow.yaml"
    original = config.read_text()
    lines = original.count("\n")
    head = git(repo, "rev-parse", "HEAD")
    for change, said in BAD_RULES:  # (one repository for all: caseflow.yaml is put back after each)
        add_rules(repo, RULES.replace(*change))
        refused = cf("stages")
        assert refused.exit_code == 1
        where = re.search(r"caseflow\.yaml:(\d+):(\d+): .*", refused.stderr)
        assert where is not None, refused.stderr
        line, col = int(where.group(1)) - lines, int(where.group(2))
        assert f":{line}:{col}: {where.group(0).split(': ', 1)[1]}".startswith(said), (line, col, where.group(0))
        assert git(repo, "rev-parse", "HEAD") == head
        config.write_text(original)


def test_a_plugins_own_settings_reach_it_and_bad_ones_are_refused(repo: Path, cf: Callable[..., Result]) -> None:
    made = cf("--as", "casey", "new", CLIENT, "riverbend.housing-assessment")
    assert made.exit_code == 0, made.stderr
    due = json.loads(cf("due", "--all", "--json").stdout)
    default = [d for d in due if d["rule"] == "riverbend-housing-reassessment"]
    assert default == []  # 180 days ahead: beyond the two weeks the due list looks
    add_rules(repo, "plugins:\n  config:\n    riverbend: {housing_reassessment_days: 7}\n")
    due = json.loads(cf("due", "--all", "--json").stdout)
    [item] = [d for d in due if d["rule"] == "riverbend-housing-reassessment"]
    assert item["client"] == CLIENT and item["due"] == "2026-11-27" and "every 7 days" in item["reason"]
    config = repo / "caseflow.yaml"
    config.write_text(config.read_text().replace("housing_reassessment_days: 7", "housing_reassessment_days: soon"))
    refused = cf("due", "--all")
    assert refused.exit_code == 1
    assert re.search(r"caseflow\.yaml:\d+:\d+: housing_reassessment_days must be a whole number", refused.stderr)
    config.write_text(config.read_text().replace("riverbend: {housing_reassessment_days: soon}", "riverbnd: {}"))
    assert "no plugin named 'riverbnd' is installed" in cf("due", "--all").stderr


class Spy:
    """A plugin that keeps the settings it is given, and refuses a negative ``limit``."""

    def __init__(self) -> None:
        self.given: list[dict[str, object]] = []

    @hookimpl
    def configure(self, settings: Mapping[str, Any]) -> list[str]:
        self.given.append(dict(settings))
        limit = settings.get("limit", 0)
        return ["limit must not be negative"] if isinstance(limit, int) and limit < 0 else []


def test_each_plugin_receives_only_its_own_settings(repo: Path) -> None:
    spy = Spy()
    add_rules(repo, "plugins:\n  config:\n    Spy: {limit: 3}\n    riverbend: {housing_reassessment_days: 30}\n")
    open_repo(repo, environ=ENV, plugins=[spy])
    assert spy.given == [{"limit": 3}]
    config = repo / "caseflow.yaml"
    config.write_text(config.read_text().replace("limit: 3", "limit: -1"))
    with pytest.raises(DocumentError) as refused:
        open_repo(repo, environ=ENV, plugins=[Spy()])
    assert re.fullmatch(r"caseflow\.yaml:\d+:5: limit must not be negative", str(refused.value))


def test_the_shipped_hmis_form_is_a_working_form_file(repo: Path, cf: Callable[..., Result]) -> None:
    printed = cf("forms", "example", "hmis-ude")
    assert printed.exit_code == 0 and printed.stdout.startswith("id: agency.hmis-ude\n")
    (repo / "forms/agency.hmis-ude.yaml").write_text(printed.stdout)
    listed = json.loads(cf("forms", "--json").stdout)
    assert {"id": "agency.hmis-ude", "path": "hmis.yaml"}.items() <= next(
        f for f in listed if f["id"] == "agency.hmis-ude"
    ).items()
    (repo / f"clients/{CLIENT}/hmis.yaml").write_text(f"form: agency.hmis-ude\nclient: {CLIENT}\nsex: 7\n")
    checked = cf("validate")
    assert checked.exit_code == 1 and f"clients/{CLIENT}/hmis.yaml:3:6: " in checked.stdout
    assert cf("forms", "example", "nothing").exit_code == 2


def test_the_web_apps_forms_page_lists_the_agency_forms_and_checks_a_changed_one(
    repo: Path, cf: Callable[..., Result]
) -> None:
    assert cf("--as", "casey", "new", CLIENT, "agency.housing-needs", "--field", "sleeps=shelter").exit_code == 0
    form = repo / "forms/agency.housing-needs.yaml"
    form.write_text(form.read_text().replace("family, shelter, street", "family, street"))
    (repo / "forms/agency.broken.yaml").write_text("id: agency.broken\ntitle: [\n")
    head, status = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")

    def browse(person: str) -> Browser:
        client, sessions = serve(repo, person)
        browser = Browser(client, repo, sessions)
        browser.client.get(f"/?token={sessions.secret}")
        return browser

    shown = browse("dana").get("/forms")  # the director: what the change would break, as `forms check` says
    assert shown.status_code == 200, shown.text
    assert re.search(r"<code>agency.housing-needs</code></th>\s*<td>Housing needs screen</td>", shown.text)
    assert "forms/agency.housing-needs.yaml" in shown.text and "core.plan" in shown.text
    assert "forms/agency.broken.yaml:" in shown.text  # a broken file, named, and the others still listed
    assert "2 problems" in shown.text and f"{NEEDS}:5:9: Where the client sleeps" in shown.text  # and the broken file
    checked = browse("dana").get("/forms?check=core.plan")
    assert checked.status_code == 200 and "Check of core.plan" in checked.text
    assert re.search(r"core.plan: \d+ documents checked", checked.text) and NEEDS not in checked.text
    casey = browse("casey").get("/forms")  # a case manager sees the forms, not what is in documents
    assert casey.status_code == 200 and "agency.housing-needs" in casey.text and NEEDS not in casey.text
    assert "Check its documents" not in casey.text
    unknown = browse("dana").get("/forms?check=agency.nothing")
    assert unknown.status_code in (400, 404) and "unknown form" in unknown.text
    assert (git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")) == (head, status)  # read only
