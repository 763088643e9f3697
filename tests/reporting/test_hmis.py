"""The HUD HMIS CSV export: files and headers, codes, period filtering, exits, the not-collected
summary, ``hmis.yaml``, roles, refusals (nothing written), the access record."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import stat
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from caseflow import CaseflowError, CaseView
from caseflow.core.access_record import entries
from caseflow.core.documents import load_plain
from caseflow.reporting import hmis_spec as spec
from caseflow.reporting.hmis import check, enrollments
from caseflow.testing import Result

Invoke = Callable[..., Result]

CURRENT = "C-7K2M9Q"  # open, with hmis.yaml
EXITED = "C-2B3C4D"  # entered and left within the period
EARLIER = "C-5F6G7H"  # entered and left the year before
LATER = "C-8J9K0M"  # entered after the period

HMIS_YAML = f"""form: agency.hmis-ude
client: {CURRENT}
race_ethnicity: [Asian, HispanicLatinao]
sex: 0
veteran_status: 0
relationship_to_hoh: 1
living_situation: 435
disabling_condition: 1
"""


def client_yaml(client_id: str, name: str, intake: str, stage: str = "intake", history: str = "") -> str:
    return (
        f"form: core.client\nid: {client_id}\nname: {name}\ndob: 1990-04-02\nassigned_worker: casey\n"
        f"intake_date: {intake}\nstage: {stage}\ninterpreter_needed: true\n{history}"
    )


def discharged(intake: str, day: str) -> str:
    return f"stage_history:\n  - {{from: intake, to: discharged, on: {day}, by: robin}}\n"


def discharge(client_id: str, day: str, reason: str) -> str:
    return f"form: core.discharge\nclient: {client_id}\ndate: {day}\nreason: {reason}\noutcome: Closed.\n"


@pytest.fixture
def repo_path(case_repo: Callable[..., Path]) -> Path:
    return case_repo(
        {
            f"clients/{CURRENT}/client.yaml": client_yaml(CURRENT, "Ana Maria Example", "2026-01-05"),
            f"clients/{CURRENT}/hmis.yaml": HMIS_YAML,
            f"clients/{EXITED}/client.yaml": client_yaml(
                EXITED, "Bo Sample", "2026-02-01", "discharged", discharged("2026-02-01", "2026-03-15")
            ),
            f"clients/{EXITED}/discharge.yaml": discharge(EXITED, "2026-03-15", "incarcerated"),
            f"clients/{EARLIER}/client.yaml": client_yaml(
                EARLIER, "Cy Person", "2025-01-10", "discharged", discharged("2025-01-10", "2025-05-01")
            ),
            f"clients/{LATER}/client.yaml": client_yaml(LATER, "Di Later", "2026-09-01"),
        }
    )


def run_export(invoke: Invoke, repo: Path, out: Path, *extra: str, who: str = "sam") -> Result:
    return invoke("--repo", repo, "--as", who, "export", "--format", "hmis", "--out", out, *extra)


def read(out: Path, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / name).read_text(encoding="utf-8"))))


def header(out: Path, name: str) -> list[str]:
    return next(csv.reader(io.StringIO((out / name).read_text(encoding="utf-8"))))


def test_every_file_is_written_with_its_exact_header(invoke_caseflow: Invoke, repo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "hmis"
    run_export(invoke_caseflow, repo_path, out, "--from", "2026-01-01", "--to", "2026-06-30").assert_success()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "Export.csv",
            "Organization.csv",
            "Project.csv",
            "Client.csv",
            "Enrollment.csv",
            "Exit.csv",
            "Services.csv",
            "Funder.csv",
            "ProjectCoC.csv",
            "Inventory.csv",
            "User.csv",
        ]
    )
    for name, columns in spec.FILES.items():
        assert header(out, name) == list(columns), name
    trailer = ["DateCreated", "DateUpdated", "UserID", "DateDeleted", "ExportID"]
    for name in spec.FILES:
        if name not in ("Export.csv", "User.csv"):
            assert header(out, name)[-5:] == trailer, name
    client = header(out, "Client.csv")
    assert client[:10] == [
        "PersonalID",
        "FirstName",
        "MiddleName",
        "LastName",
        "NameSuffix",
        "NameDataQuality",
        "SSN",
        "SSNDataQuality",
        "DOB",
        "DOBDataQuality",
    ]
    assert "Sex" in client and "HispanicLatinao" in client and "VeteranStatus" in client
    assert not {"Woman", "Man", "NonBinary", "GenderNone", "HispanicLatinaeo"} & set(client)  # FY2024's
    assert header(out, "Export.csv")[:3] == ["ExportID", "SourceType", "SourceID"]
    # readable by the owner only
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o600}


def test_rows_map_the_record_and_hmis_yaml_and_every_code_is_valid(
    invoke_caseflow: Invoke, repo_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "hmis"
    run_export(invoke_caseflow, repo_path, out, "--from", "2026-01-01", "--to", "2026-06-30").assert_success()
    clients = {row["PersonalID"]: row for row in read(out, "Client.csv")}
    assert sorted(clients) == [EXITED, CURRENT]  # the earlier and the later client are not in the period
    ana, bo = clients[CURRENT], clients[EXITED]
    assert (ana["FirstName"], ana["MiddleName"], ana["LastName"], ana["NameDataQuality"]) == (
        "Ana",
        "Maria",
        "Example",
        "1",
    )
    assert (ana["DOB"], ana["DOBDataQuality"], ana["SSN"], ana["SSNDataQuality"]) == ("1990-04-02", "1", "", "99")
    # from hmis.yaml
    assert (ana["Asian"], ana["HispanicLatinao"], ana["White"], ana["RaceNone"]) == ("1", "1", "0", "")
    assert (ana["Sex"], ana["VeteranStatus"], ana["UserID"]) == ("0", "0", "casey")
    # without one: data not collected
    assert (bo["Asian"], bo["RaceNone"], bo["Sex"], bo["VeteranStatus"]) == ("0", "99", "99", "99")
    stays = {row["PersonalID"]: row for row in read(out, "Enrollment.csv")}
    assert stays[CURRENT]["EntryDate"] == "2026-01-05" and stays[EXITED]["EntryDate"] == "2026-02-01"
    assert [stays[CURRENT][c] for c in ("LivingSituation", "DisablingCondition", "RelationshipToHoH")] == [
        "435",
        "1",
        "1",
    ]
    assert [stays[EXITED][c] for c in ("LivingSituation", "DisablingCondition", "RelationshipToHoH")] == [
        "99",
        "99",
        "99",
    ]
    assert stays[CURRENT]["TranslationNeeded"] == "1"  # interpreter_needed
    [left] = read(out, "Exit.csv")
    assert (left["PersonalID"], left["ExitDate"], left["Destination"], left["UserID"]) == (
        EXITED,
        "2026-03-15",
        "207",  # incarcerated: jail, prison or juvenile detention
        "robin",
    )
    assert left["EnrollmentID"] == stays[EXITED]["EnrollmentID"]
    assert read(out, "Services.csv") == []  # case-management visits have no HUD record type
    [export] = read(out, "Export.csv")
    assert (export["ExportStartDate"], export["ExportEndDate"], export["CSVVersion"]) == (
        "2026-01-01",
        "2026-06-30",
        "2026",
    )
    assert {row["ExportID"] for row in read(out, "Client.csv")} == {export["ExportID"]}
    assert {row["UserID"] for row in read(out, "User.csv")} == {"casey", "robin", "sam"}
    # every coded cell is in its HUD list, checked here apart from the exporter's own check
    for (name, column), allowed in spec.CODES.items():
        for row in read(out, name):
            assert row[column] == "" or int(row[column]) in allowed, (name, column, row[column])
    check({name: (out / name).read_bytes() for name in spec.FILES})


def test_the_summary_lists_what_was_written_as_not_collected(
    invoke_caseflow: Invoke, repo_path: Path, tmp_path: Path
) -> None:
    shown = run_export(
        invoke_caseflow, repo_path, tmp_path / "a", "--from", "2026-01-01", "--to", "2026-06-30"
    ).assert_success()
    assert "written as data not collected" in shown.stdout
    assert "4.21 Sex (Client.csv Sex): 1" in shown.stdout  # Bo's; Ana's hmis.yaml gives hers
    given = run_export(
        invoke_caseflow, repo_path, tmp_path / "b", "--from", "2026-01-01", "--to", "2026-06-30", "--json"
    ).assert_success()
    data = json.loads(given.stdout)
    assert data["clients"] == [EXITED, CURRENT]
    assert data["files"] == list(spec.FILES)
    missing = {item["element"]: item["rows"] for item in data["not_collected"]}
    assert missing["3.07 Veteran Status (Client.csv VeteranStatus)"] == 1
    assert missing["3.02 Social Security Number (Client.csv SSNDataQuality)"] == 2
    assert not [element for element in missing if element.startswith("3.12")]  # Bo's discharge reason tells it
    assert "3.03 Date of Birth (Client.csv DOBDataQuality)" not in missing  # both have one


def test_the_period_selects_enrollments_and_exits(invoke_caseflow: Invoke, repo_path: Path, tmp_path: Path) -> None:
    last_year = tmp_path / "2025"
    run_export(invoke_caseflow, repo_path, last_year, "--from", "2025-01-01", "--to", "2025-12-31").assert_success()
    assert [r["PersonalID"] for r in read(last_year, "Client.csv")] == [EARLIER]
    [left] = read(last_year, "Exit.csv")
    assert (left["ExitDate"], left["Destination"]) == ("2025-05-01", "99")  # no discharge document: not collected
    before_exit = tmp_path / "feb"
    run_export(invoke_caseflow, repo_path, before_exit, "--from", "2026-02-01", "--to", "2026-02-28").assert_success()
    assert sorted(r["PersonalID"] for r in read(before_exit, "Client.csv")) == [EXITED, CURRENT]
    assert read(before_exit, "Exit.csv") == []  # Bo left after the period's end


def test_a_reopened_case_is_a_second_enrollment() -> None:
    history = [
        {"from": "active", "to": "discharged", "on": "2026-02-10", "by": "casey"},
        {"from": "discharged", "to": "intake", "on": "2026-04-01", "by": "casey"},
    ]
    record = {"intake_date": "2026-01-05", "stage": "intake", "stage_history": history}
    case = CaseView("C-7K2M9Q", record, [], [], dt.date(2026, 5, 1))
    found = [(e.number, e.entry.isoformat(), e.exit and e.exit.isoformat()) for e in enrollments(case)]
    assert found == [(1, "2026-01-05", "2026-02-10"), (2, "2026-04-01", None)]


def test_an_export_is_recorded_once_per_client(invoke_caseflow: Invoke, repo_path: Path, tmp_path: Path) -> None:
    run_export(
        invoke_caseflow, repo_path, tmp_path / "out", "--from", "2026-01-01", "--to", "2026-06-30"
    ).assert_success()
    assert sorted((e.who, e.action, e.what, e.clients) for e in entries(repo_path)) == [
        ("sam", "export hmis", "2026-01-01..2026-06-30", (EXITED,)),
        ("sam", "export hmis", "2026-01-01..2026-06-30", (CURRENT,)),
    ]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("--from", "2026-01-01", "--to", "2026-06-30"), 1, "only supervisor"),  # casey: no right
        (("--from", "2026-07-01", "--to", "2026-06-30"), 1, "is after --to"),
        (("--from", "2026-13-01", "--to", "2026-06-30"), 2, "not a date"),
        (("--to", "2026-06-30"), 2, "give --from"),
        ((CURRENT, "--from", "2026-01-01", "--to", "2026-06-30"), 2, "leave out"),
    ],
)
def test_refusals_write_nothing(
    invoke_caseflow: Invoke, repo_path: Path, tmp_path: Path, args: tuple[str, ...], code: int, words: str
) -> None:
    out = tmp_path / "out"
    who = "casey" if words == "only supervisor" else "sam"
    refused = run_export(invoke_caseflow, repo_path, out, *args, who=who).assert_refused(code)
    assert words in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert not out.exists()
    assert entries(repo_path) == []


def test_a_folder_holding_files_and_an_unknown_format_are_refused(
    invoke_caseflow: Invoke, repo_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    period = ("--from", "2026-01-01", "--to", "2026-06-30")
    refused = run_export(invoke_caseflow, repo_path, out, *period).assert_refused(1)
    assert "not an empty folder" in refused.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    unknown = invoke_caseflow("--repo", repo_path, "--as", "sam", "export", "--format", "nope", *period)
    assert "no export format 'nope'" in unknown.assert_refused(2).stderr
    one_client = invoke_caseflow("--repo", repo_path, "--as", "sam", "export", CURRENT, "--format", "hmis")
    one_client.assert_refused(2)
    assert entries(repo_path) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    run_export(invoke_caseflow, repo_path, empty, *period).assert_success()  # an empty folder is used
    assert (empty / "Client.csv").exists()


def test_a_code_outside_huds_list_refuses_the_whole_export(
    invoke_caseflow: Invoke, case_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = case_repo(
        {
            f"clients/{CURRENT}/client.yaml": client_yaml(CURRENT, "Ana Example", "2026-01-05"),
            f"clients/{CURRENT}/hmis.yaml": f"form: agency.hmis-ude\nclient: {CURRENT}\nsex: 7\n",
        }
    )
    out = tmp_path / "out"
    refused = run_export(invoke_caseflow, repo, out, "--from", "2026-01-01", "--to", "2026-06-30").assert_refused(1)
    assert refused.stderr.strip() == (
        f"error: HMIS export not written: Client.csv row 2 ({CURRENT}) Sex '7' is not one of HUD's codes "
        "(0, 1, 8, 9, 99)"
    )
    assert not out.exists() and entries(repo) == []


def _files(**changes: tuple[int, str, str]) -> dict[str, bytes]:
    """A minimal valid set of files, with cells changed: name=(row, column, value)."""
    rows: dict[str, list[list[str]]] = {name: [list(columns)] for name, columns in spec.FILES.items()}
    for name, (row, column, value) in changes.items():
        file = f"{name}.csv"
        while len(rows[file]) <= row:
            rows[file].append(["" for _ in spec.FILES[file]])
        rows[file][row][spec.FILES[file].index(column)] = value
    out = {}
    for name, table in rows.items():
        buffer = io.StringIO()
        csv.writer(buffer).writerows(table)
        out[name] = buffer.getvalue().encode()
    return out


def test_the_check_refuses_headers_codes_ids_and_dates() -> None:
    check(_files())
    bad = _files()
    bad["Client.csv"] = bad["Client.csv"].replace(b"HispanicLatinao", b"HispanicLatinaeo")
    with pytest.raises(CaseflowError, match=r"Client\.csv does not have the FY2026 header"):
        check(bad)
    exit_row = {"ExitID": "X1", "EnrollmentID": "E1", "PersonalID": "P1", "ExitDate": "2026-01-02", "ExportID": "CF1"}
    stamps = {"DateCreated": "2026-01-02 10:00:00", "DateUpdated": "2026-01-02 10:00:00", "Destination": "99"}
    good = {**exit_row, **stamps}

    def exit_file(**cells: str) -> dict[str, bytes]:
        files = _files()
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, spec.EXIT)
        writer.writeheader()
        writer.writerow({**good, **cells})
        files["Exit.csv"] = buffer.getvalue().encode()
        return files

    check(exit_file())
    for cells, message in (
        ({"Destination": "3"}, "Destination '3' is not one of HUD's codes"),
        ({"Destination": ""}, "Destination is empty"),
        ({"PersonalID": "P" * 33}, "PersonalID is longer than 32 characters"),
        ({"ExitDate": "2026-02-30"}, "ExitDate is not a date written YYYY-MM-DD"),
        ({"ExitDate": "02/01/2026"}, "ExitDate is not a date written YYYY-MM-DD"),
        ({"DateUpdated": "2026-01-02T10:00:00"}, "DateUpdated is not a date and time written YYYY-MM-DD HH:MM:SS"),
    ):
        with pytest.raises(CaseflowError, match=r"Exit\.csv row 2 \(P\w*\) " + re.escape(message)):
            check(exit_file(**cells))


def test_the_ude_form_is_a_form_as_data_and_hmis_yaml_passes_it() -> None:
    import caseflow.reporting

    source = Path(caseflow.reporting.__file__).parent / "hmis_ude_form.yaml"
    form, _ = load_plain("hmis_ude_form.yaml", source.read_bytes())
    assert (form["id"], form["kind"], form["path"]) == ("agency.hmis-ude", "yaml", "hmis.yaml")
    schema = form["schema"]
    jsonschema.Draft202012Validator.check_schema(schema)
    for name, field in schema["properties"].items():
        assert field.get("title"), name
    assert schema["properties"]["ssn"]["x-phi"] is True
    assert schema["properties"]["sex"]["enum"] == list(spec.SEX)
    assert schema["properties"]["race_ethnicity"]["items"]["enum"] == list(spec.RACE_COLUMNS)
    assert schema["properties"]["living_situation"]["enum"] == list(spec.LIVING_SITUATION)
    assert schema["properties"]["destination"]["enum"] == list(spec.DESTINATION)
    document, _ = load_plain("hmis.yaml", HMIS_YAML.encode())
    jsonschema.Draft202012Validator(schema).validate(document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({**document, "sex": 7})


def test_a_reopened_and_closed_again_case_has_two_enrollments_and_exits(
    invoke_caseflow: Invoke, case_repo: Callable[..., Path], tmp_path: Path
) -> None:
    history = (
        "stage_history:\n"
        "  - {from: intake, to: discharged, on: 2026-02-10, by: casey}\n"
        "  - {from: discharged, to: intake, on: 2026-04-01, by: casey}\n"
        "  - {from: intake, to: discharged, on: 2026-05-20, by: robin}\n"
    )
    repo = case_repo(
        {
            f"clients/{EXITED}/client.yaml": client_yaml(EXITED, "Bo Sample", "2026-01-05", "discharged", history),
            f"clients/{EXITED}/discharge.yaml": discharge(EXITED, "2026-05-20", "unable-to-contact"),
            f"clients/{EXITED}/hmis.yaml": f"form: agency.hmis-ude\nclient: {EXITED}\nliving_situation: 116\n",
        }
    )
    out = tmp_path / "out"
    run_export(invoke_caseflow, repo, out, "--from", "2026-01-01", "--to", "2026-06-30").assert_success()
    stays = [(r["EnrollmentID"], r["EntryDate"], r["LivingSituation"]) for r in read(out, "Enrollment.csv")]
    assert stays == [(f"{EXITED}-E1", "2026-01-05", "99"), (f"{EXITED}-E2", "2026-04-01", "116")]
    exits = [(r["EnrollmentID"], r["ExitDate"], r["Destination"], r["UserID"]) for r in read(out, "Exit.csv")]
    assert exits == [
        (f"{EXITED}-E1", "2026-02-10", "99", "casey"),  # the discharge document is the latest exit's
        (f"{EXITED}-E2", "2026-05-20", "30", "robin"),  # unable to contact: no exit interview completed
    ]
    assert [e.clients for e in entries(repo)] == [(EXITED,)]  # one client, one entry
