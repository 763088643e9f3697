"""Invalid records are skipped and named; broken sources raise; other formats are left alone."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import caseflow_hsds
import pytest

from caseflow import CaseflowError, DirectoryLoad

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ENUM = "['active', 'inactive', 'defunct', 'temporarily closed']"

OUTPATIENT = "7ac1eb23-5ee4-556b-a22e-2c2459414c99"  # Prairie Lantern Outpatient Counseling
CRISIS_LINE = "27e5a267-ba57-57b8-a368-79a7113ceb89"
WILLOWBEND_OUTPATIENT = "25dd2594-367e-56e2-881d-5924602f4a84"
WILLOWBEND = "56aef45d-b190-5eeb-bffe-2a57317b3ace"  # the organization
CASA_PUENTE_CENTER = "a9c96cc2-2c1a-5621-9b59-6b09678b311f"  # a location
HARBORLIGHT_SHELTER = "156734bf-f2e5-5a64-a7ec-33fb31ad1786"  # a location


def load(source: Path) -> DirectoryLoad:
    loaded = caseflow_hsds.load(source, "test")
    assert loaded is not None
    return loaded


def csv_package(tmp_path: Path) -> Path:
    folder = tmp_path / "package"
    shutil.copytree(EXAMPLES / "springfield-211-csv", folder)
    return folder


def edit_csv(path: Path, row_id: str, **changes: str) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows, path
    matched = [row for row in rows if row["id"] == row_id]
    assert matched, f"{row_id} not in {path.name}"
    for row in matched:
        row.update(changes)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def test_invalid_csv_records_are_skipped_and_named(tmp_path: Path) -> None:
    folder = csv_package(tmp_path)
    services = folder / "services.csv"
    edit_csv(services, OUTPATIENT, status="open")
    edit_csv(services, CRISIS_LINE, id="not-a-uuid")
    edit_csv(services, WILLOWBEND_OUTPATIENT, name="")
    edit_csv(folder / "locations.csv", CASA_PUENTE_CENTER, latitude="north")
    edit_csv(folder / "locations.csv", HARBORLIGHT_SHELTER, latitude="100")
    loaded = load(folder)
    assert loaded.skipped == (
        f"services.csv:2: service {OUTPATIENT}: status: 'open' is not one of {ENUM}",
        "services.csv:3: service not-a-uuid: id: 'not-a-uuid' is not a 'uuid'",
        f"services.csv:4: service {WILLOWBEND_OUTPATIENT}: name: 'name' is a required property",
        f"locations.csv:5: location {CASA_PUENTE_CENTER}: latitude: 'north' is not of type 'number'",
        f"locations.csv:6: location {HARBORLIGHT_SHELTER}: latitude: 100 is outside [-90, 90]; no coordinates kept",
        # The links to skipped records are dropped too, each named (rows 2-4: the skipped
        # services; 6-7: Casa Puente's two services at the skipped location).
        "service_at_location.csv:2: service_at_location 99509cca-4173-53dd-9c17-9458352797ea: "
        f"service_id: service {OUTPATIENT} is missing or was skipped",
        "service_at_location.csv:3: service_at_location 6f819274-fca9-5f37-9a8d-64075fd7ecbe: "
        f"service_id: service {CRISIS_LINE} is missing or was skipped",
        "service_at_location.csv:4: service_at_location 74a7e932-8e94-5883-b32d-51f5e5d5e42d: "
        f"service_id: service {WILLOWBEND_OUTPATIENT} is missing or was skipped",
        "service_at_location.csv:6: service_at_location 19a4cf15-c108-5128-b444-d5620ca207fd: "
        f"location_id: location {CASA_PUENTE_CENTER} is missing or was skipped",
        "service_at_location.csv:7: service_at_location 624930d5-b337-5ab1-862b-79f6806cf144: "
        f"location_id: location {CASA_PUENTE_CENTER} is missing or was skipped",
    )
    kept = {service.name: service for service in loaded.directory.services}
    assert len(kept) == 11
    assert "Prairie Lantern Outpatient Counseling" not in kept
    assert kept["Casa Puente Family Counseling"].locations == ()
    # A position off the globe is dropped; the location itself (its address) stays.
    shelter = kept["Harborlight Emergency Shelter"].locations[0]
    assert (shelter.latitude, shelter.longitude, shelter.postal_code) == (None, None, "62703")
    assert kept["Maplewood Primary Care"].locations[0].latitude == 39.8189


def test_a_service_of_an_invalid_organization_is_kept_under_its_id(tmp_path: Path) -> None:
    folder = csv_package(tmp_path)
    edit_csv(folder / "organizations.csv", WILLOWBEND, description="")
    loaded = load(folder)
    willowbend = [s for s in loaded.directory.services if s.organization_id == WILLOWBEND]
    assert [s.organization for s in willowbend] == [WILLOWBEND, WILLOWBEND]
    assert (
        loaded.skipped[0]
        == f"organizations.csv:3: organization {WILLOWBEND}: description: 'description' is a required property"
    )
    assert loaded.skipped[1:] == tuple(
        f"services.csv:{line}: service {s.id}: organization_id: organization {WILLOWBEND} is missing or was skipped; "
        "the service is kept under the organization's id"
        for line, s in zip((4, 5), willowbend, strict=True)
    )


def test_csv_numbers_are_converted_and_bad_ones_reported(tmp_path: Path) -> None:
    folder = csv_package(tmp_path)
    edit_csv(folder / "locations.csv", CASA_PUENTE_CENTER, latitude=" 39.8231 ", longitude="-89.6418e0")
    assert load(folder).skipped == ()
    edit_csv(folder / "locations.csv", CASA_PUENTE_CENTER, longitude="1,5")
    assert load(folder).skipped[0] == (
        f"locations.csv:5: location {CASA_PUENTE_CENTER}: longitude: '1,5' is not of type 'number'"
    )


def test_invalid_json_records_are_located_by_path(tmp_path: Path) -> None:
    organizations = json.loads((EXAMPLES / "springfield-211.json").read_text(encoding="utf-8"))
    outpatient = organizations[0]["services"][0]
    outpatient["status"] = "open"
    organizations[0]["services"][1]["languages"][0]["id"] = "en"
    del organizations[1]["services"][0]["name"]
    outpatient["service_at_locations"][0]["location"]["latitude"] = "39.8"
    organizations[2]["services"][0]["attributes"] = {"not": "a list"}
    organizations.append({"resourceType": "Organization"})
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(organizations))
    loaded = load(path)
    location = outpatient["service_at_locations"][0]["location"]["id"]
    casa_puente = organizations[2]["services"][0]["id"]
    assert loaded.skipped == (
        f"directory.json:2/services/0: service {casa_puente}: attributes: not an array of attribute objects",
        "directory.json:8: not an HSDS organization or service",
        f"directory.json:0/services/0: service {OUTPATIENT}: status: 'open' is not one of {ENUM}",
        f"directory.json:1/services/0: service {WILLOWBEND_OUTPATIENT}: name: 'name' is a required property",
        f"directory.json:0/services/0/service_at_locations/0/location: location {location}: "
        "latitude: '39.8' is not of type 'number'",
        "directory.json:0/services/1/languages/0: language en: id: 'en' is not a 'uuid'",
        "directory.json:0/services/0/service_at_locations/0: service_at_location 99509cca-4173-53dd-9c17-9458352797ea: "
        f"service_id: service {OUTPATIENT} is missing or was skipped",
        "directory.json:1/services/0/service_at_locations/0: service_at_location 74a7e932-8e94-5883-b32d-51f5e5d5e42d: "
        f"service_id: service {WILLOWBEND_OUTPATIENT} is missing or was skipped",
    )
    services = {service.name: service for service in loaded.directory.services}
    assert len(services) == 12
    assert services["Prairie Lantern 24/7 Crisis Line"].languages == ("es",)
    assert services["Casa Puente Family Counseling"].categories == ()


def test_multi_line_cells_and_duplicate_ids_keep_line_numbers_right(tmp_path: Path) -> None:
    folder = csv_package(tmp_path)
    edit_csv(folder / "services.csv", OUTPATIENT, description="Two\nlines")
    text = (folder / "services.csv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    (folder / "services.csv").write_text("".join([*lines, lines[4]]), encoding="utf-8")  # row 3 again, at the end
    skipped = load(folder).skipped
    assert skipped == (
        f"services.csv:17: service {WILLOWBEND_OUTPATIENT}: id: duplicate id, the row at services.csv:5 is kept",
    )
    edit_csv(folder / "services.csv", CRISIS_LINE, status="open")
    assert load(folder).skipped[1] == f"services.csv:4: service {CRISIS_LINE}: status: 'open' is not one of {ENUM}"


def test_a_row_with_the_wrong_number_of_cells_is_skipped(tmp_path: Path) -> None:
    folder = csv_package(tmp_path)
    path = folder / "services.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].rstrip("\n") + ",extra\n"
    path.write_text("".join(lines), encoding="utf-8")
    assert load(folder).skipped[0] == f"services.csv:2: service {OUTPATIENT}: has 24 cells, the header 23"


# -- sources that are HSDS but unreadable as a whole -----------------------------------------------


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def refused(source: Path) -> str:
    with pytest.raises(CaseflowError) as raised:
        caseflow_hsds.load(source, "test")
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_broken_json_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.json", '[\n  {"id": "x",\n   "name": }\n]\n')
    assert refused(path) == "broken.json:3:12: not valid JSON: Expecting value"


def test_json_that_is_not_utf8_names_where(tmp_path: Path) -> None:
    path = write(tmp_path / "latin1.json", b'[\n {"name": "Caf' + b"\xe9" + b'"}\n]')
    assert refused(path) == "latin1.json:2:15: not UTF-8 (byte 0xe9)"


def test_a_package_without_services_csv_is_refused(tmp_path: Path) -> None:
    folder = csv_package(tmp_path)
    (folder / "services.csv").unlink()
    assert refused(folder) == "datapackage.json: services.csv is missing (an HSDS directory needs its service table)"


def test_a_csv_without_an_id_column_is_refused(tmp_path: Path) -> None:
    folder = csv_package(tmp_path)
    path = folder / "phones.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("id,", "identifier,", 1), encoding="utf-8")
    assert refused(folder) == "phones.csv:1: no 'id' column"


def test_a_csv_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    folder = csv_package(tmp_path)
    path = folder / "organizations.csv"
    data = path.read_bytes().replace(b"Casa Puente", b"Casa Pu\xe9nte", 1)
    path.write_bytes(data)
    line = data[: data.index(b"\xe9")].count(b"\n") + 1
    assert refused(folder).startswith(f"organizations.csv:{line}:")


def test_a_package_may_not_point_outside_its_folder(tmp_path: Path) -> None:
    folder = csv_package(tmp_path)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][1]["path"] = "../services.csv"
    (folder / "datapackage.json").write_text(json.dumps(descriptor))
    assert refused(folder) == "datapackage.json: resource 'service': path must be a file inside the package"


def test_a_broken_datapackage_json_is_refused(tmp_path: Path) -> None:
    folder = csv_package(tmp_path)
    (folder / "datapackage.json").write_text('{"resources": [}')
    assert refused(folder) == "datapackage.json:1:16: not valid JSON: Expecting value"


# -- not HSDS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("providers.yaml", "services: []\n"),
        ("bundle.json", json.dumps({"resourceType": "Bundle", "entry": []})),
        ("empty.json", "[]"),
        ("numbers.json", "[1, 2, 3]"),
        ("other-package/datapackage.json", json.dumps({"resources": [{"name": "sales", "path": "sales.csv"}]})),
    ],
)
def test_other_formats_are_not_ours(tmp_path: Path, name: str, content: str) -> None:
    path = write(tmp_path / name, content)
    assert caseflow_hsds.load(path, "test") is None
    if path.name == "datapackage.json":
        assert caseflow_hsds.load(path.parent, "test") is None


def test_a_folder_without_a_datapackage_is_not_ours(tmp_path: Path) -> None:
    write(tmp_path / "folder" / "springfield-211.json", (EXAMPLES / "springfield-211.json").read_text())
    assert caseflow_hsds.load(tmp_path / "folder", "test") is None


def test_a_service_without_an_organization_is_kept_and_reported(tmp_path: Path) -> None:
    service = json.loads((EXAMPLES / "springfield-211.json").read_text(encoding="utf-8"))[0]["services"][0]
    write(tmp_path / "one.json", json.dumps(service))
    loaded = load(tmp_path / "one.json")
    assert [(s.name, s.organization, s.organization_id) for s in loaded.directory.services] == [
        ("Prairie Lantern Outpatient Counseling", "", "")
    ]
    assert loaded.skipped[0] == (
        f"one.json: service {OUTPATIENT}: organization_id: names no organization; the service is kept without one"
    )
    # its category's parent term was in the organization's file, not in this one
    assert loaded.skipped[1:] == tuple(line for line in loaded.skipped[1:] if "parent_id: taxonomy_term" in line)


def test_only_physical_locations_have_coordinates(tmp_path: Path) -> None:
    organizations = json.loads((EXAMPLES / "springfield-211.json").read_text(encoding="utf-8"))
    services = organizations[0]["services"]
    downtown = services[0]["service_at_locations"][0]["location"]
    downtown["location_type"] = "postal"
    crisis_line = services[1]["service_at_locations"][0]["location"]
    crisis_line |= {"latitude": 39.8, "longitude": -89.65}
    loaded = load(write(tmp_path / "places.json", json.dumps(organizations)))
    assert loaded.skipped == ()
    outpatient, crisis = loaded.directory.services[:2]
    assert [(p.latitude, p.longitude, p.postal_code, p.address) for p in outpatient.locations] == [
        (None, None, "62701", "410 Lantern Way, Springfield, IL")
    ]
    assert [(p.latitude, p.longitude, p.postal_code, p.address) for p in crisis.locations] == [(None, None, None, "")]


def test_a_record_repeated_in_nested_json_is_one_row_linked_everywhere(tmp_path: Path) -> None:
    organizations = json.loads((EXAMPLES / "springfield-211.json").read_text(encoding="utf-8"))
    first, second = organizations[0]["services"]
    shared = first["languages"][1]  # the same Spanish record, listed under both services
    second["languages"] = [shared]
    loaded = load(write(tmp_path / "shared.json", json.dumps(organizations)))
    assert loaded.skipped == ()
    assert [s.languages for s in loaded.directory.services[:2]] == [("en", "es"), ("es",)]
    second["languages"] = [{**shared, "name": "Castellano"}]
    loaded = load(write(tmp_path / "shared.json", json.dumps(organizations)))
    assert loaded.skipped == (
        f"shared.json:0/services/1/languages/0: language {shared['id']}: name: differs from the copy at "
        "shared.json:0/services/0/languages/1, which is kept",
    )
