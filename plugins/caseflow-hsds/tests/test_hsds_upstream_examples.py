"""The HSDS 3.0 specification's own example data, in every shape it ships, reads as one service.

The files under ``data/hsds-examples/`` are upstream's ``examples/`` folder, unmodified (see the
README there). Its one record set is the same in each serialization, so each shape must give the
same service; where the shapes genuinely differ upstream, the tests say so.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import caseflow_hsds
import pytest

from caseflow import DirectoryLoad, Hours, Location, Service

EXAMPLES = Path(__file__).parent / "data" / "hsds-examples"
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
LOCATION_ID = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"
# Upstream's example location is physical but at latitude 100, which is not on Earth.
LATITUDE_100 = "location 3a19ff88-4620-4d17-9830-ac1d859eb5d5: latitude: 100 is outside [-90, 90]; no coordinates kept"
# Its schedule: Thursdays and Fridays 10:00-18:00 at UTC+3, with the phone its records link to it.
CIVIC_CENTER = Location(
    None,
    None,
    "ABC 1234",
    "1-30 Main Street, MyCity, MyState",
    id=LOCATION_ID,
    name="MyCity Civic Center",
    city="MyCity",
    phone='"+44 1234 234567"',
    hours=(Hours((3, 4), 600, 1080, 3.0),),
)
# Upstream's taxonomy term names a parent that is in none of the examples.
ORPHAN_TERM = (
    "taxonomy_term 3f7b145d-84af-42d7-8fae-eaca714b02b2: parent_id: taxonomy_term "
    "0bc248fa-dc27-4650-9ba4-8f1a24ef16a2 is missing or was skipped; the term is kept at the top of the tree"
)


def load(source: Path, directory_id: str = "example") -> DirectoryLoad:
    loaded = caseflow_hsds.load(source, directory_id)
    assert loaded is not None, f"{source.name} was not recognized as HSDS"
    return loaded


def the_service(loaded: DirectoryLoad) -> Service:
    [service] = loaded.directory.services
    return service


def essentials(service: Service) -> tuple[object, ...]:
    return (service.id, service.name, service.organization, service.organization_id, service.languages, service.active)


EXPECTED = (
    SERVICE_ID,
    "Community Counselling",
    "Example Organization Inc.",
    "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
    ("ur",),
    True,
)


@pytest.mark.parametrize("name", ["service_full.json", "organization_full.json", "tabular.json", "csv"])
def test_every_serialization_gives_the_same_service(name: str) -> None:
    service = the_service(load(EXAMPLES / name))
    assert essentials(service) == EXPECTED
    assert service.directory == "example"
    assert service.phone == '"+44 1234 234567"'  # upstream's placeholder really contains the quotes
    assert service.eligibility.startswith("This service is intended for all people aged 12 and over")


def test_a_service_object_reads_in_full(tmp_path: Path) -> None:
    loaded = load(EXAMPLES / "service_full.json")
    service = the_service(loaded)
    assert service.categories == ("code",)  # the nested attribute's taxonomy term
    assert service.locations == (CIVIC_CENTER,)
    assert loaded.directory.parents == {}  # the term's parent 0bc248fa… is not in the data
    assert loaded.directory.title == "HSDS directory example"
    assert loaded.files == (Path("service_full.json"),)
    assert loaded.skipped == (
        f"service_full.json:service_at_locations/0/location: {LATITUDE_100}",
        f"service_full.json:attributes/0/taxonomy_term: {ORPHAN_TERM}",
    )


def test_an_organization_object_and_the_service_object_agree() -> None:
    from_organization = the_service(load(EXAMPLES / "organization_full.json"))
    from_service = the_service(load(EXAMPLES / "service_full.json"))
    assert from_organization == from_service


def test_the_csv_package_reads_from_its_folder_or_its_descriptor() -> None:
    folder = load(EXAMPLES / "csv")
    descriptor = load(EXAMPLES / "csv" / "datapackage.json")
    assert folder == descriptor
    assert folder.directory.title == "Human Services Data Specification"
    # Every table of the package is read (and an import keeps every one of them).
    assert sorted(folder.files) == sorted(p.relative_to(EXAMPLES / "csv") for p in (EXAMPLES / "csv").iterdir())
    assert folder.skipped == (f"locations.csv:2: {LATITUDE_100}", f"taxonomy_terms.csv:2: {ORPHAN_TERM}")
    service = the_service(folder)
    assert service.locations == (CIVIC_CENTER,)
    # Upstream's attributes.csv links its attribute to f28dd44b…, which is no record in the package.
    assert service.categories == ()


def test_the_tabular_json_form_reports_upstreams_numeric_identifier() -> None:
    loaded = load(EXAMPLES / "tabular.json")
    # tabular.json writes external_identifier as a number, where the schema (and every other
    # example) has the string "10092008082": that location is skipped, and its link with it.
    assert loaded.skipped == (
        f"tabular.json:locations.csv/0: location {LOCATION_ID}: external_identifier: "
        "10092008082 is not of type 'string'",
        "tabular.json:organization_identifiers.csv/0: organization_identifier d4dbcebc-0802-47cb-8651-b937ac4f2f3e: "
        "identifier: 1234567 is not of type 'string'",
        "tabular.json:service_at_location.csv/0: service_at_location e94c9f38-1e8f-4564-91d4-d53501ab1765: "
        f"location_id: location {LOCATION_ID} is missing or was skipped",
        f"tabular.json:taxonomy_terms.csv/0: {ORPHAN_TERM}",
    )
    assert the_service(loaded).locations == ()


def test_api_pages_of_full_objects_read_like_the_objects(tmp_path: Path) -> None:
    for name in ("service_full.json", "organization_full.json"):
        page = {"total_items": 1, "total_pages": 1, "page_number": 1, "size": 1, "contents": [_example(name)]}
        (tmp_path / f"page-{name}").write_text(json.dumps(page))
        loaded = load(tmp_path / f"page-{name}")
        assert essentials(the_service(loaded)) == EXPECTED
        assert loaded.skipped[0].startswith(f"page-{name}:contents/0/")
        assert loaded.skipped[0].endswith(LATITUDE_100)


def test_a_plain_list_of_services_reads_too(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text(json.dumps([_example("service_full.json")]))
    assert essentials(the_service(load(tmp_path / "list.json"))) == EXPECTED


def test_upstreams_list_pages_are_summaries() -> None:
    # service_list.json's service carries no languages, phones or locations (the API's list view),
    # and organization_list.json's organization no services: both read, with what they hold.
    services = load(EXAMPLES / "service_list.json")
    service = the_service(services)
    assert (service.id, service.organization, service.active) == (SERVICE_ID, "Example Organization Inc.", True)
    assert (service.languages, service.locations, service.phone) == ((), (), "")
    organizations = load(EXAMPLES / "organization_list.json")
    assert organizations.directory.services == ()
    # Both say they are page 1 of 10: the reader names what the file lacks.
    for loaded, name in ((services, "service_list.json"), (organizations, "organization_list.json")):
        assert loaded.skipped == (
            f"{name}: total_pages: 10; this file holds one page of the listing, the others are not read",
        )


def test_an_empty_api_page_is_an_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty-page.json").write_text(json.dumps({"total_items": 0, "total_pages": 0, "contents": []}))
    assert load(tmp_path / "empty-page.json").directory.services == ()
    (tmp_path / "no-page.json").write_text(json.dumps({"contents": []}))
    assert caseflow_hsds.load(tmp_path / "no-page.json", "example") is None


@pytest.mark.parametrize(
    "name",
    [
        "location.json",
        "taxonomy.json",
        "taxonomy_term.json",
        "taxonomy_list.json",
        "taxonomy_term_list.json",
        "base.json",
        "service_at_location_full.json",
        "service_at_location_list.json",
    ],
)
def test_other_hsds_objects_are_not_directories(name: str) -> None:
    assert caseflow_hsds.load(EXAMPLES / name, "example") is None


def test_the_package_folder_can_be_copied_and_read_elsewhere(tmp_path: Path) -> None:
    copy = tmp_path / "upstream"
    shutil.copytree(EXAMPLES / "csv", copy)
    assert essentials(the_service(load(copy))) == EXPECTED


def _example(name: str) -> object:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
