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
opened: 03/02/2024

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
      intake_date: {from: opened, date: "%m/%d/%Y"}
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
    invoke_caseflow("--repo", repo_path, "verify").assert_success()  # the history's rules hold


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
    for line in ("# Intake sheet, typed by the front desk", "dob: 1979-07-19", "phone: 555-0142"):
        assert line + "\n" in text
    assert "dob: '1979-07-19'" in text or "dob: 1979-07-19" in text
    repo = open_repo(repo_path, environ=ONLY_BUILTIN_PLUGINS)
    record = repo.client_record(client_id)
    assert record["phone"] == "555-0142" and record["intake_date"] == "2024-03-02"
    assert record["extra"] == {"favourite_colour": "green", "contact": {"best_time": "mornings"}}
    (note,) = (folder / "visits").iterdir()
    note_text = note.read_text()
    print(note_text)
    assert note_text.endswith("---\nHome visit. Kitchen was *warm*.\n")
    assert "# the day we met" in note_text
    assert repo.validate().ok


def test_dry_run_reports_and_writes_nothing(
    repo_path: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    source = files(tmp_path / "in", {"clients.csv": CSV, "map.yaml": MAPPING})
    before = state(repo_path)
    result = run_import(
        invoke_caseflow, repo_path, source / "clients.csv", "--mapping", source / "map.yaml", "--dry-run"
    ).assert_success()
    assert "clients.csv rows 2, 3: would create client C-" in result.stdout
    assert "core.visit" in result.stdout and "nothing was written (dry run)" in result.stdout
    assert "kept in `extra`: Client No, Program" in result.stdout
    assert state(repo_path) == before
    report = json.loads(
        run_import(
            invoke_caseflow, repo_path, source / "clients.csv", "--mapping", source / "map.yaml", "--dry-run", "--json"
        ).stdout
    )
    assert report["ok"] and report["dry_run"] and len(report["clients"]) == 2
    assert [d["form"] for d in report["clients"][0]["documents"]] == ["core.client", "core.visit", "core.visit"]
    assert state(repo_path) == before


BAD_MAPPINGS = [
    (MAPPING.replace("form: core.visit", "form: core.visitt"), "map.yaml:11:11: unknown form 'core.visitt'"),
    (
        MAPPING.replace("address.city: City", "address.town: City"),
        "map.yaml:10:7: Client record (core.client) has no field 'address.town'",
    ),
    (MAPPING.replace("worker: casey", "worker: nobody"), "map.yaml:2:9: 'nobody' is not on the staff list"),
    (MAPPING.replace("mapping: 1", "mapping: 1\nextra_key: 1"), "map.yaml:2:1"),
    (MAPPING.replace("name: Full Name", "name: Fullname"), "map.yaml:7:13: clients.csv has no column 'Fullname'"),
    (MAPPING.replace("name: Full Name", "stage: Full Name"), "map.yaml:7:7: caseflow sets 'stage' of every imported"),
    (MAPPING.replace("{author: casey}", "{writer: casey}"), "map.yaml:17:16: Contact note (core.visit) has no field"),
    (MAPPING.replace("DOB, date:", "DOB, datum:"), "map.yaml:8:31: unknown field 'datum'"),
    (MAPPING.replace("form: core.visit", "form: core.client"), "map.yaml:4:1: name the client record"),
]


@pytest.mark.parametrize(("mapping", "expected"), BAD_MAPPINGS)
def test_a_bad_mapping_is_refused_at_its_line(
    repo_path: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result], mapping: str, expected: str
) -> None:
    source = files(tmp_path / "in", {"clients.csv": CSV, "map.yaml": mapping})
    before = state(repo_path)
    result = run_import(invoke_caseflow, repo_path, source / "clients.csv", "--mapping", source / "map.yaml")
    result.assert_refused()
    assert expected in result.stderr
    assert state(repo_path) == before


BAD_ROWS = [
    (
        CSV.replace("12/24/1985", "02/30/1985"),
        "clients.csv:4:3: row 4, column 'DOB': not a date in the format %m/%d/%Y",
    ),
    (CSV.replace("11/10/2026", "13/10/2026"), "clients.csv:3:6: row 3, column 'Contact Date': not a date"),
    (
        CSV.replace("102,Ben Sample,12/24/1985", "102,Ana  example,04/02/1990"),
        "clients.csv:4:2: row 4, column 'Full Name': the same name and birth date as clients.csv rows 2, 3",
    ),
    (
        CSV.replace("Springfield,11/10", "Capital City,11/10"),
        "clients.csv:3:5: row 3, column 'City': differs from row 2's for the same person",
    ),
    (
        CSV.replace(",Phone,20,", ",Fax,20,"),
        "clients.csv:2:7: row 2, column 'Contact Type': Contact type: 'Fax' is not one of",
    ),
]


@pytest.mark.parametrize(("csv_text", "expected"), BAD_ROWS)
def test_a_bad_row_refuses_the_whole_import_naming_row_and_column(
    repo_path: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result], csv_text: str, expected: str
) -> None:
    source = files(tmp_path / "in", {"clients.csv": csv_text, "map.yaml": MAPPING})
    before = state(repo_path)
    result = run_import(invoke_caseflow, repo_path, source / "clients.csv", "--mapping", source / "map.yaml")
    result.assert_refused()
    assert expected in result.stderr, result.stderr
    assert "nothing was imported" in result.stderr
    assert "missing required" not in result.stderr  # a value that could not be read is said once
    assert "Ana" not in result.stderr and "Ben" not in result.stderr
    assert state(repo_path) == before


def test_a_person_already_here_is_a_duplicate(
    repo_path: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    repo = open_repo(repo_path, environ=ONLY_BUILTIN_PLUGINS)
    existing = repo.records.intake(repo.actor("casey"), name="Ben  SAMPLE", dob="1985-12-24")
    source = files(tmp_path / "in", {"clients.csv": CSV, "map.yaml": MAPPING})
    before = state(repo_path)
    result = run_import(
        invoke_caseflow, repo_path, source / "clients.csv", "--mapping", source / "map.yaml", "--dry-run"
    )
    result.assert_refused()
    assert (
        f"clients.csv:4:2: row 4, column 'Full Name': the same name and birth date as client {existing}"
        in result.stdout
    )
    assert state(repo_path) == before


def test_folder_problems_name_the_file_line_and_column(
    repo_path: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    bad_note = NOTE.replace("11/05/2026", "11/31/2026")
    source = files(
        tmp_path / "agency",
        {"p-001/profile.yaml": PROFILE, "p-001/notes/visit1.md": bad_note, "p-001/scan.pdf.txt": "x"},
    )
    mapping = files(tmp_path, {"map.yaml": FOLDER_MAPPING}) / "map.yaml"
    before = state(repo_path)
    result = run_import(invoke_caseflow, repo_path, source, "--mapping", mapping)
    result.assert_refused()
    assert "agency/p-001/notes/visit1.md:2:7: not a date in the format %m/%d/%Y" in result.stderr
    assert "agency/p-001/scan.pdf.txt: matches no `files` pattern" in result.stderr
    assert state(repo_path) == before


def test_unmapped_drop_lists_what_is_left_out(
    repo_path: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    source = files(
        tmp_path / "in",
        {"clients.csv": CSV, "map.yaml": MAPPING.replace("worker: casey", "worker: casey\nunmapped: drop")},
    )
    result = run_import(invoke_caseflow, repo_path, source / "clients.csv", "--mapping", source / "map.yaml", "--json")
    result.assert_success()
    report = json.loads(result.stdout)
    assert report["clients"][0]["dropped"] == ["Client No", "Program"]
    assert "extra" not in open_repo(repo_path, environ=ONLY_BUILTIN_PLUGINS).client_record(report["imported"][0])


def test_a_caseflow_document_from_elsewhere_comes_in_as_it_is_but_for_its_client(
    repo_path: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    already = (
        "---\nform: core.visit\nclient: C-AAAAAA   # their old id\ndate: 2026-11-02\ntype: phone\n"
        "author: casey\n# typed by Casey\n---\nA call.\n"
    )
    source = files(tmp_path / "agency", {"p-001/profile.yaml": PROFILE, "p-001/notes/call.md": already})
    mapping = files(tmp_path, {"map.yaml": FOLDER_MAPPING}) / "map.yaml"
    result = run_import(invoke_caseflow, repo_path, source, "--mapping", mapping, "--json").assert_success()
    (client_id,) = json.loads(result.stdout)["imported"]
    (note,) = (repo_path / "clients" / client_id / "visits").iterdir()
    assert note.name.startswith("2026-11-02-phone-")
    assert note.read_text() == already.replace("C-AAAAAA", client_id)


def test_a_failed_commit_takes_back_the_clients_already_committed(
    repo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caseflow.core.git import commit as git_commit

    repo = open_repo(repo_path, environ=ONLY_BUILTIN_PLUGINS)
    source = files(tmp_path / "in", {"clients.csv": CSV, "map.yaml": MAPPING})
    steps: list[tuple[int, int]] = []
    sam = repo.actor("sam")
    plan = repo.importing.plan(sam, source / "clients.csv", source / "map.yaml", lambda n, of: steps.append((n, of)))
    assert steps == [(1, 2), (2, 2)]  # what the progress bar shows on a terminal
    before = state(repo_path)
    real = git_commit.stage
    calls: list[int] = []

    def failing(root: Path, paths: list[str]) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(root, paths)

    monkeypatch.setattr(git_commit, "stage", failing)
    with pytest.raises(Exception, match="could not write"):
        repo.importing.commit(repo.actor("sam"), plan)
    assert state(repo_path) == before
    assert not (repo_path / "clients").exists()


def test_two_folders_of_one_person_and_files_left_out(
    repo_path: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    source = files(
        tmp_path / "agency",
        {
            "p-001/profile.yaml": PROFILE,
            "p-001/intake-form.pdf": "%PDF-1.4",
            "p-002/profile.yaml": PROFILE.replace("Cleo Fictional", "cleo  fictional"),
            "p-003/profile.yaml": PROFILE.replace("Cleo", "Dora"),
            "p-003/notes/plain.md": "Just text, no front matter.\n",
        },
    )
    mapping = files(tmp_path, {"map.yaml": FOLDER_MAPPING.replace("folders:", "ignore: ['*.pdf']\nfolders:")})
    before = state(repo_path)
    result = run_import(invoke_caseflow, repo_path, source, "--mapping", mapping / "map.yaml", "--dry-run")
    result.assert_refused()
    assert "agency/p-002/profile.yaml:2:12: the same name and birth date as agency/p-001" in result.stdout
    assert "agency/p-003/notes/plain.md:1:1: has no front matter" in result.stdout
    assert "left out: agency/p-001/intake-form.pdf (ignore)" in result.stdout
    assert "Cleo" not in result.stdout + result.stderr
    assert state(repo_path) == before


CLIENTS_ONLY = """\
Client No,Full Name,DOB
201,Eli Placeholder,01/15/1970
202,Fay Invented,09/09/1999
"""
CONTACTS = """\
Client No,Contact Date,Contact Type,Worker note
201,11/02/2026,Phone,left a message
201,11/04/2026,Phone,
999,11/04/2026,Phone,
"""
TWO_FILES = """\
mapping: 1
worker: casey
person: Client No
csv:
  - form: core.client
    fields: {name: Full Name, dob: {from: DOB, date: "%m/%d/%Y"}}
  - form: core.visit
    file: contacts.csv
    fields:
      date: {from: Contact Date, date: "%m/%d/%Y"}
      type: {from: Contact Type, values: {Phone: phone}}
    defaults: {author: casey}
"""


def test_a_second_file_of_the_export_joins_by_the_person_columns(
    repo_path: Path, tmp_path: Path, invoke_caseflow: Callable[..., Result]
) -> None:
    source = files(tmp_path / "in", {"clients.csv": CLIENTS_ONLY, "contacts.csv": CONTACTS, "map.yaml": TWO_FILES})
    before = state(repo_path)
    refused = run_import(invoke_caseflow, repo_path, source / "clients.csv", "--mapping", source / "map.yaml")
    refused.assert_refused()
    assert "contacts.csv:4:1: row 4, column 'Client No': names no person of clients.csv" in refused.stderr
    assert state(repo_path) == before
    (source / "contacts.csv").write_text(CONTACTS.replace("999,11/04/2026,Phone,\n", ""))
    result = run_import(invoke_caseflow, repo_path, source / "clients.csv", "--mapping", source / "map.yaml", "--json")
    report = json.loads(result.assert_success().stdout)
    eli, fay = report["imported"]
    assert report["clients"][0]["extra"] == ["Client No", "contacts.csv row 2: Worker note"]
    visits = sorted((repo_path / "clients" / eli / "visits").iterdir())
    assert len(visits) == 2
    assert "extra:\n  Worker note: left a message\n" in visits[0].read_text()
    assert not (repo_path / "clients" / fay / "visits").exists()
    assert open_repo(repo_path, environ=ONLY_BUILTIN_PLUGINS).validate().ok
