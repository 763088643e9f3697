"""The fictional Springfield 211 sample: both serializations, the taxonomy, languages, statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import caseflow_hsds
import pytest

from caseflow import Directory, DirectoryLoad, Service, open_repo

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
JSON = EXAMPLES / "springfield-211.json"
CSV = EXAMPLES / "springfield-211-csv"
CRISIS_LINE = "27e5a267-ba57-57b8-a368-79a7113ceb89"
MAPLEWOOD_BEHAVIORAL_HEALTH = "cb1b52bc-dcf4-5600-92e9-a4d8e6b9cbf6"


def load(source: Path) -> DirectoryLoad:
    loaded = caseflow_hsds.load(source, "springfield")
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load(JSON).directory


def by_name(directory: Directory) -> dict[str, Service]:
    return {service.name: service for service in directory.services}


@pytest.mark.parametrize("source", [JSON, CSV], ids=["json", "csv"])
def test_the_sample_is_valid(source: Path) -> None:
    loaded = load(source)
    assert loaded.skipped == ()
    assert len(loaded.directory.services) == 14
    assert len({service.organization_id for service in loaded.directory.services}) == 8


def test_json_and_csv_give_the_same_directory() -> None:
    from_json, from_csv = load(JSON).directory, load(CSV).directory
    assert from_json.services == from_csv.services
    assert from_json.parents == from_csv.parents
    assert (from_json.title, from_csv.title) == (
        "HSDS directory springfield",
        "Springfield 211 (fictional sample directory)",
    )


def test_the_examples_are_what_make_examples_writes(tmp_path: Path) -> None:
    script = tmp_path / "examples" / "make_examples.py"
    script.parent.mkdir()
    for name in ("make_examples.py", "springfield.py"):
        (script.parent / name).write_bytes((EXAMPLES / name).read_bytes())
    (tmp_path / "caseflow_hsds").symlink_to(Path(caseflow_hsds.__file__).parent)
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True)
    assert (script.parent / "springfield-211.json").read_bytes() == JSON.read_bytes()
    written = sorted(p.name for p in (script.parent / "springfield-211-csv").iterdir())
    assert written == sorted(p.name for p in CSV.iterdir())
    for name in written:
        assert (script.parent / "springfield-211-csv" / name).read_bytes() == (CSV / name).read_bytes(), name


def test_taxonomy_parents_come_from_the_terms(directory: Directory) -> None:
    assert directory.parents == {
        "outpatient-mental-health": "mental-health",
        "crisis": "mental-health",
        "outpatient-substance-use": "substance-use",
        "detox": "substance-use",
        "emergency-shelter": "housing",
        "rental-assistance": "housing",
        "ged": "education",
        "primary-care": "medical",
    }
    assert directory.under("mental-health") == {"mental-health", "outpatient-mental-health", "crisis"}
    assert directory.under("ged") == {"ged"}


def test_categories_are_the_codes_of_the_linked_terms(directory: Directory) -> None:
    services = by_name(directory)
    assert services["Willowbend Medically Supervised Detox"].categories == ("detox", "substance-use")
    assert services["Casa Puente Rental Assistance"].categories == ("rental-assistance",)
    counseling = {s.name for s in directory.services if "outpatient-mental-health" in s.categories}
    assert counseling == {
        "Prairie Lantern Outpatient Counseling",
        "Casa Puente Family Counseling",
        "Maplewood Integrated Behavioral Health",
        "Northfield Teen Counseling",
    }


@pytest.mark.parametrize("source", [JSON, CSV], ids=["json", "csv"])
def test_languages_are_only_those_linked_to_the_service(source: Path) -> None:
    services = {service.id: service for service in load(source).directory.services}
    # The crisis line's phone offers Vietnamese interpretation; the service itself lists en, es.
    assert services[CRISIS_LINE].languages == ("en", "es")
    # Maplewood's clinic building lists Chinese; its behavioral health service lists only English.
    assert services[MAPLEWOOD_BEHAVIORAL_HEALTH].languages == ("en",)


def test_spanish_speaking_outpatient_services_are_at_different_places(directory: Directory) -> None:
    spanish = sorted(
        (service.locations[0].postal_code, service.name)
        for service in directory.services
        if "es" in service.languages and "outpatient-mental-health" in service.categories
    )
    assert spanish == [
        ("62701", "Prairie Lantern Outpatient Counseling"),
        ("62702", "Casa Puente Family Counseling"),
        ("62704", "Northfield Teen Counseling"),
    ]


def test_status_decides_active(directory: Directory) -> None:
    inactive = {service.name for service in directory.services if not service.active}
    assert inactive == {"Willowbend Medically Supervised Detox", "Harborlight Housing Navigation"}


def test_locations_phones_and_organizations(directory: Directory) -> None:
    services = by_name(directory)
    [casa] = services["Casa Puente Family Counseling"].locations
    assert (casa.latitude, casa.longitude, casa.postal_code, casa.city) == (39.8231, -89.6418, "62702", "Springfield")
    assert (casa.name, casa.address) == ("Casa Puente community center", "1875 Bridgeview Avenue, Springfield, IL")
    # A virtual location has no coordinates (and here no address) to measure distance from.
    [line] = services["Prairie Lantern 24/7 Crisis Line"].locations
    assert (line.latitude, line.longitude, line.postal_code, line.address) == (None, None, None, "")
    # Its own phone when it has one, else the organization's.
    assert services["Second Chapter GED Classes"].contact_phone() == "217-555-0141"
    assert services["Second Chapter Adult Literacy Tutoring"].contact_phone() == "217-555-0140"
    assert services["Northfield Teen Counseling"].organization == "Northfield Youth and Family Alliance"
    for service in directory.services:
        for location in service.locations:
            if location.latitude is not None and location.longitude is not None:
                assert 39.76 <= location.latitude <= 39.83
                assert -89.70 <= location.longitude <= -89.60
                assert location.postal_code in {"62701", "62702", "62703", "62704"}


def test_caseflow_reads_the_sample_through_the_installed_plugin(case_repo: Callable[..., Path]) -> None:
    files = {"directories/springfield.json": JSON.read_text(encoding="utf-8")}
    files |= {f"directories/springfield-csv/{p.name}": p.read_text(encoding="utf-8") for p in CSV.iterdir()}
    repo = open_repo(case_repo(files), environ={"CASEFLOW_PLUGINS": "hsds"})
    read = {source.id: source for source in repo.referrals.directory_sources()}
    assert {key: (s.reader, s.skipped, s.error) for key, s in read.items()} == {
        "springfield": ("hsds", (), None),
        "springfield-csv": ("hsds", (), None),
    }
    json_directory, csv_directory = read["springfield"].directory, read["springfield-csv"].directory
    assert json_directory is not None and csv_directory is not None
    assert [s.name for s in json_directory.services] == [s.name for s in csv_directory.services]
    assert {s.directory for s in csv_directory.services} == {"springfield-csv"}


def test_the_sample_is_fictional() -> None:
    text = JSON.read_text(encoding="utf-8")
    numbers = {phone["number"] for org in json.loads(text) for phone in org["phones"]}
    assert all(number.startswith("217-555-01") for number in numbers)
    assert "fictional" in text
