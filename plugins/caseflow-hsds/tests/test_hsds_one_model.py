"""One directory, three serializations, the same answers: CSV package, nested canonical JSON with
the API's taxonomy collections, and the tabular JSON form read into one model and searched alike."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import caseflow_hsds
import pytest
import small_county as county

from caseflow import CaseRepo, Directory, open_repo
from caseflow.testing import _make_hermetic, commit_files, copy_repo

WRITERS: dict[str, Callable[[Path], Path]] = {
    "csv": lambda tmp: county.write_csv(tmp / "county-csv"),
    "json": lambda tmp: county.write_collections(tmp / "county-json"),
    "tabular": lambda tmp: county.write_tabular(tmp / "county.json"),
}
HOME = "39.80,-89.65"


@pytest.fixture(scope="module")
def directories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Directory]:
    tmp = tmp_path_factory.mktemp("county")
    found = {}
    for form, write in WRITERS.items():
        loaded = caseflow_hsds.load(write(tmp), "county")
        assert loaded is not None and loaded.skipped == (), form
        found[form] = loaded.directory
    return found


@pytest.fixture(scope="module")
def repos(_template_case_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, CaseRepo]:
    """A repository per serialization, each holding the county as directory 'county', in UTC-6."""
    found = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        _make_hermetic(monkeypatch)
        for form, write in WRITERS.items():
            root = copy_repo(_template_case_repo, tmp_path_factory.mktemp(form) / "cases")
            config = (root / "caseflow.yaml").read_text().replace("timezone: UTC", "timezone: Etc/GMT+6")
            commit_files(root, {"caseflow.yaml": config})
            source = write(tmp_path_factory.mktemp(f"{form}-source"))
            target = root / "directories" / ("county" + source.suffix)
            target.parent.mkdir()
            source.rename(target)
            found[form] = open_repo(root, environ={"CASEFLOW_PLUGINS": "hsds"})
    return found


def ask(repo: CaseRepo, **fields: Any) -> list[dict[str, Any]]:
    """The search service both faces use; the agency asks in its own time (UTC-6)."""
    return [m.as_json() for m in repo.referrals.search_providers(**fields)[1]]


def at(results: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """(service name, location name) of each result, in order."""
    return [(r["name"], r["location_name"]) for r in results]


BATTERY: list[tuple[dict[str, Any], list[tuple[str, str | None]]]] = [
    (  # a top category brings every term under it, two levels down, and a service with no location
        {"categories": ("mh",)},
        [
            ("Adult outpatient therapy", "Lantern Grove east clinic"),
            ("Adult outpatient therapy", "Lantern Grove main office"),
            ("Evening counseling group", "Lantern Grove main office"),
            ("Teen counseling", "Lantern Grove east clinic"),
            ("Youth crisis phone line", None),
            ("Youth housing navigation", "Northfield youth hub"),
            ("Youth mentoring", "Northfield youth hub"),
            ("Youth mentoring", "Riverton high school room"),
        ],
    ),
    (
        {"categories": ("shelter", "food")},
        [("Emergency shelter beds", "Harbor Light shelter"), ("Food pantry", "Maple Table hall")],
    ),
    (
        {"categories": ("sud",), "language": "es"},
        [("Family recovery support", "Puente Verde center"), ("Outpatient recovery program", "Puente Verde center")],
    ),
    (  # nearest first, ties by name
        {"near": HOME, "within_km": 2.0},
        [
            ("Adult outpatient therapy", "Lantern Grove main office"),
            ("Evening counseling group", "Lantern Grove main office"),
            ("Emergency shelter beds", "Harbor Light shelter"),
            ("Rental assistance", "Harbor Light shelter"),
        ],
    ),
    (
        {"town": "riverton", "categories": ("mh-youth",)},
        [
            ("Youth housing navigation", "Northfield youth hub"),
            ("Youth mentoring", "Northfield youth hub"),
            ("Youth mentoring", "Riverton high school room"),
        ],
    ),
    (
        {"postal_code": "62650"},
        [
            ("Food pantry", "Maple Table hall"),
            ("Rental assistance", "Harbor Light office"),
            ("Transitional housing (closed)", "Harbor Light office"),
        ],
    ),
    (  # any time on Saturday: the shelter from Friday night, hours of the service, the location, the service there
        {"open_at": "sat"},
        [
            ("Emergency shelter beds", "Harbor Light shelter"),
            ("Food pantry", "Maple Table hall"),
            ("Outpatient recovery program", "Puente Verde center"),
            ("Rental assistance", "Harbor Light shelter"),
            ("Youth crisis phone line", None),
            ("Youth mentoring", "Northfield youth hub"),
        ],
    ),
    (  # 18:00 is closing time for the recovery program: closed then
        {"open_at": "mon 18:00"},
        [
            ("Evening counseling group", "Lantern Grove main office"),
            ("Rental assistance", "Harbor Light shelter"),
            ("Youth crisis phone line", None),
        ],
    ),
    (  # the hub's Saturday 11:00 is at UTC-5: 10:00 for the agency
        {"open_at": "sat 10:30", "categories": ("mh-youth",)},
        [("Youth mentoring", "Northfield youth hub")],
    ),
    (
        {"age": "16", "categories": ("mh", "sud")},
        [
            ("Family recovery support", "Puente Verde center"),
            ("Outpatient recovery program", "Puente Verde center"),
            ("Teen counseling", "Lantern Grove east clinic"),
            ("Youth crisis phone line", None),
            ("Youth housing navigation", "Northfield youth hub"),
            ("Youth mentoring", "Northfield youth hub"),
            ("Youth mentoring", "Riverton high school room"),
        ],
    ),
    (
        {"statuses": ("temporarily closed", "inactive")},
        [("Family recovery support", "Puente Verde center"), ("Teen counseling", "Lantern Grove east clinic")],
    ),
    (
        {"accepting": True, "categories": ("housing",)},
        [
            ("Emergency shelter beds", "Harbor Light shelter"),
            ("Rental assistance", "Harbor Light office"),
            ("Rental assistance", "Harbor Light shelter"),
            ("Youth housing navigation", "Northfield youth hub"),
        ],
    ),
    (  # words in a town's name find what is there
        {"text": "maple"},
        [
            ("Food pantry", "Maple Table hall"),
            ("Rental assistance", "Harbor Light office"),
            ("Transitional housing (closed)", "Harbor Light office"),
        ],
    ),
    (  # every filter at once
        {
            "categories": ("mh",),
            "language": "es",
            "town": "Riverton",
            "age": "16",
            "open_at": "sat",
            "near": HOME,
            "accepting": True,
        },
        [("Youth mentoring", "Northfield youth hub")],
    ),
]


@pytest.mark.parametrize(("fields", "expected"), BATTERY, ids=[str(sorted(f)) for f, _ in BATTERY])
def test_every_serialization_answers_alike(
    repos: dict[str, CaseRepo], fields: dict[str, Any], expected: list[tuple[str, str | None]]
) -> None:
    answers = {form: ask(repo, **fields) for form, repo in repos.items()}
    assert at(answers["csv"]) == expected
    assert answers["json"] == answers["csv"]
    assert answers["tabular"] == answers["csv"]


def test_the_taxonomy_tree_comes_from_the_collections_whichever_form(directories: dict[str, Directory]) -> None:
    for directory in directories.values():
        assert directory.under("mh") == {"mh", "mh-outpatient", "mh-youth"}
        assert directory.category_names["sud-outpatient"] == "Outpatient substance use treatment"


def test_each_result_names_its_place_status_alert_and_phone(repos: dict[str, CaseRepo]) -> None:
    results = {(r["name"], r["location_name"]): r for r in ask(repos["json"])}
    teen = results[("Teen counseling", "Lantern Grove east clinic")]
    assert (teen["status"], teen["alert"], teen["accepting"]) == (
        "temporarily closed",
        "Closed until the new counselor starts in March.",
        False,
    )
    assert teen["location_id"] == county.uid("loc", "lantern-east") and teen["city"] == "Springfield"
    assert teen["phone"] == "555-0111"  # no phone of its own: the location's
    assert results[("Evening counseling group", "Lantern Grove main office")]["phone"] == "555-0101"  # the org's
    assert results[("Adult outpatient therapy", "Lantern Grove east clinic")]["phone"] == "555-0121"  # its own
    assert results[("Food pantry", "Maple Table hall")]["phone"] == ""
    assert teen["address"] == "12 Lantern St, Springfield, IL"


def test_import_keeps_every_file_given(tmp_path: Path) -> None:
    package = county.write_csv(tmp_path / "csv")
    loaded = caseflow_hsds.load(package, "county")
    assert loaded is not None
    assert sorted(p.as_posix() for p in loaded.files) == sorted(p.name for p in package.iterdir())
    assert len(loaded.files) == 22  # 21 HSDS tables and the descriptor


# -- bad input: each problem named, every valid record kept -----------------------------------------


def load_rows(tmp_path: Path, form: str, rows: dict[str, list[dict[str, Any]]]) -> caseflow_hsds.DirectoryLoad:
    writers = {
        "csv": lambda: county.write_csv(tmp_path / "csv", rows),
        "json": lambda: county.write_collections(tmp_path / "json", rows),
    }
    loaded = caseflow_hsds.load(writers[form](), "county")
    assert loaded is not None
    return loaded


def term(rows: dict[str, list[dict[str, Any]]], code: str) -> dict[str, Any]:
    return next(t for t in rows["taxonomy_term"] if t["code"] == code)


@pytest.mark.parametrize("form", ["csv", "json"])
def test_a_taxonomy_cycle_is_broken_and_named(tmp_path: Path, form: str) -> None:
    rows = county.tables()
    term(rows, "mh")["parent_id"] = county.uid("term", "mh-youth")  # mh -> mh-youth -> mh-outpatient -> mh
    loaded = load_rows(tmp_path, form, rows)
    [line] = [line for line in loaded.skipped if "cycle" in line]
    assert "taxonomy_term " + county.uid("term", "mh") in line
    assert "(mh -> mh-youth -> mh-outpatient -> mh); the link from mh is dropped" in line
    assert loaded.directory.under("mh") == {"mh", "mh-outpatient", "mh-youth"}
    assert len(loaded.directory.services) == 12


@pytest.mark.parametrize("form", ["csv", "json"])
def test_a_missing_parent_leaves_the_term_at_the_top(tmp_path: Path, form: str) -> None:
    rows = county.tables()
    term(rows, "sud-outpatient")["parent_id"] = county.uid("term", "gone")
    loaded = load_rows(tmp_path, form, rows)
    [line] = loaded.skipped
    assert line.endswith(
        f"taxonomy_term {county.uid('term', 'sud-outpatient')}: parent_id: taxonomy_term "
        f"{county.uid('term', 'gone')} is missing or was skipped; the term is kept at the top of the tree"
    )
    assert "sud-outpatient" not in loaded.directory.parents


def test_impossible_schedule_times_are_named_and_the_schedule_left_out(tmp_path: Path) -> None:
    rows = county.tables()
    evening = next(s for s in rows["schedule"] if s.get("byday") == "MO,WE")
    evening["opens_at"] = "25:00"
    loaded = load_rows(tmp_path, "csv", rows)
    assert loaded.skipped == (
        f"schedules.csv:{rows['schedule'].index(evening) + 2}: schedule {evening['id']}: "
        "opens_at: '25:00' is not a time of day (HH:MM); the schedule is left out",
    )
    evening = next(s for s in loaded.directory.services if s.name == "Evening counseling group")
    assert [place.hours for place in evening.locations] == [()]  # its only schedule is gone


def test_an_invalid_record_is_skipped_and_named_the_rest_kept(tmp_path: Path) -> None:
    rows = copy.deepcopy(county.tables())
    rows["service"][0]["status"] = "open"
    loaded = load_rows(tmp_path, "csv", rows)
    assert loaded.skipped[0].startswith(f"services.csv:2: service {rows['service'][0]['id']}: status: 'open'")
    assert len(loaded.directory.services) == 11


def test_a_lone_collection_of_terms_is_no_directory(tmp_path: Path) -> None:
    folder = county.write_collections(tmp_path / "json")
    assert caseflow_hsds.load(folder / "taxonomy_terms.json", "terms") is None
    (folder / "organizations.json").unlink()
    assert caseflow_hsds.load(folder, "terms") is None
    assert json.loads((folder / "taxonomies.json").read_text())[0]["name"] == "County services"
