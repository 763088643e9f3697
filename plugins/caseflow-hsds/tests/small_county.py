"""A small, fictional HSDS 3.0 directory built for the search tests, written in every serialization.

Twelve services of five organizations at eight locations in three towns, a taxonomy three levels
deep, weekly schedules (per service, per location and per service at a location, one in another
time zone), ages, every status with an alert, phones on services, locations and organizations.
:func:`write_csv`, :func:`write_collections` (nested canonical JSON + the API's taxonomy_terms and
taxonomies collections) and :func:`write_tabular` write the same records; the tests prove that all
three answer every search alike.
"""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path
from typing import Any

from caseflow_hsds import schemas

NAMESPACE = uuid.UUID("6b1f0c52-3e7a-5d44-9a8b-1c2d3e4f5a6b")
CENTRAL = -6.0  # the county's offset from UTC, as its schedules give it


def uid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(map(str, parts))))


# code -> (name, parent code)
TERMS = {
    "mh": ("Mental health", None),
    "mh-outpatient": ("Outpatient mental health", "mh"),
    "mh-youth": ("Youth counseling", "mh-outpatient"),
    "sud": ("Substance use", None),
    "sud-outpatient": ("Outpatient substance use treatment", "sud"),
    "housing": ("Housing", None),
    "shelter": ("Emergency shelter", "housing"),
    "rental": ("Rental assistance", "housing"),
    "food": ("Food", None),
}
ORGANIZATIONS = {
    "lantern": ("Lantern Grove Counseling", "555-0101"),
    "puente": ("Puente Verde Recovery", "555-0102"),
    "harbor": ("Harbor Light Housing", "555-0103"),
    "pantry": ("Maple Table Pantry", ""),
    "youth": ("Northfield Youth Alliance", "555-0105"),
}
# key -> (name, town, postal code, latitude, longitude, location phone)
LOCATIONS = {
    "lantern-main": ("Lantern Grove main office", "Springfield", "62701", 39.800, -89.650, ""),
    "lantern-east": ("Lantern Grove east clinic", "Springfield", "62703", 39.790, -89.600, "555-0111"),
    "puente-center": ("Puente Verde center", "Riverton", "62561", 39.840, -89.540, ""),
    "harbor-shelter": ("Harbor Light shelter", "Springfield", "62702", 39.810, -89.660, "555-0113"),
    "harbor-office": ("Harbor Light office", "Maple Falls", "62650", 39.700, -89.900, ""),
    "pantry-hall": ("Maple Table hall", "Maple Falls", "62650", 39.705, -89.905, ""),
    "youth-hub": ("Northfield youth hub", "Riverton", "62561", 39.845, -89.545, ""),
    "youth-school": ("Riverton high school room", "Riverton", "62562", 39.850, -89.530, ""),
}
WEEKDAYS = "MO,TU,WE,TH,FR"
# key -> fields. "at": location keys; "hours": service schedules (byday, opens, closes, timezone)
SERVICES: dict[str, dict[str, Any]] = {
    "lantern-therapy": {
        "org": "lantern",
        "name": "Adult outpatient therapy",
        "terms": ["mh-outpatient"],
        "languages": ["en", "es"],
        "at": ["lantern-main", "lantern-east"],
        "min": 18,
        "phone": "555-0121",
        "hours": [(WEEKDAYS, "09:00", "17:00", CENTRAL)],
    },
    "lantern-evening": {
        "org": "lantern",
        "name": "Evening counseling group",
        "terms": ["mh"],
        "languages": ["en"],
        "at": ["lantern-main"],
        "min": 18,
        "hours": [("MO,WE", "17:30", "20:00", CENTRAL)],
        "description": "Group counseling after work hours.",
    },
    "lantern-teen": {
        "org": "lantern",
        "name": "Teen counseling",
        "terms": ["mh-youth"],
        "languages": ["en"],
        "at": ["lantern-east"],
        "min": 12,
        "max": 17,
        "status": "temporarily closed",
        "alert": "Closed until the new counselor starts in March.",
    },
    "puente-outpatient": {
        "org": "puente",
        "name": "Outpatient recovery program",
        "terms": ["sud-outpatient"],
        "languages": ["es", "en"],
        "at": ["puente-center"],
        "min": 16,
        "hours": [(WEEKDAYS, "08:00", "18:00", CENTRAL), ("SA", "09:00", "12:00", CENTRAL)],
        "description": "Outpatient substance use treatment, bilingual.",
    },
    "puente-family": {
        "org": "puente",
        "name": "Family recovery support",
        "terms": ["sud"],
        "languages": ["es"],
        "at": ["puente-center"],
        "status": "inactive",
    },
    "harbor-shelter": {
        "org": "harbor",
        "name": "Emergency shelter beds",
        "terms": ["shelter"],
        "languages": ["en", "es"],
        "at": ["harbor-shelter"],
        "min": 18,
        "hours": [("", "19:00", "07:00", CENTRAL)],
    },
    "harbor-rental": {
        "org": "harbor",
        "name": "Rental assistance",
        "terms": ["rental"],
        "languages": ["en", "vi"],
        "at": ["harbor-office", "harbor-shelter"],
        "location_hours": True,
    },
    "harbor-old": {
        "org": "harbor",
        "name": "Transitional housing (closed)",
        "terms": ["housing"],
        "languages": ["en"],
        "at": ["harbor-office"],
        "status": "defunct",
    },
    "pantry-food": {
        "org": "pantry",
        "name": "Food pantry",
        "terms": ["food"],
        "languages": ["en", "vi"],
        "at": ["pantry-hall"],
        "hours": [("SA", "08:00", "11:00", None)],
    },
    "youth-mentoring": {
        "org": "youth",
        "name": "Youth mentoring",
        "terms": ["mh-youth"],
        "languages": ["en", "es"],
        "at": ["youth-hub", "youth-school"],
        "min": 10,
        "max": 18,
        # at the school only on school days; at the hub on Saturdays, an hour east of the county
        "sal_hours": {
            "youth-school": (WEEKDAYS, "15:00", "17:00", CENTRAL),
            "youth-hub": ("SA", "11:00", "15:00", -5.0),
        },
    },
    "youth-phone": {
        "org": "youth",
        "name": "Youth crisis phone line",
        "terms": ["mh"],
        "languages": ["en"],
        "at": [],
        "hours": [("", None, None, CENTRAL)],
    },
    "youth-housing": {
        "org": "youth",
        "name": "Youth housing navigation",
        "terms": ["housing", "mh-youth"],
        "languages": ["en"],
        "at": ["youth-hub"],
        "min": 16,
        "max": 24,
    },
}
# Location hours (used by services that have no hours of their own).
LOCATION_HOURS = {
    "harbor-office": (WEEKDAYS, "10:00", "16:00", CENTRAL),
    "harbor-shelter": ("", "00:00", "24:00", CENTRAL),
}


def tables() -> dict[str, list[dict[str, Any]]]:
    """Every record as flat rows, by HSDS object."""
    rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in schemas.KINDS}
    taxonomy = uid("taxonomy")
    rows["taxonomy"].append({"id": taxonomy, "name": "County services", "description": "Made up for tests."})
    for code, (name, parent) in TERMS.items():
        term = {"id": uid("term", code), "code": code, "name": name, "description": name + ".", "taxonomy_id": taxonomy}
        if parent:
            term["parent_id"] = uid("term", parent)
        rows["taxonomy_term"].append(term)
    for key, (name, phone) in ORGANIZATIONS.items():
        rows["organization"].append({"id": uid("org", key), "name": name, "description": f"{name}, a made-up agency."})
        if phone:
            rows["phone"].append({"id": uid("phone", key), "organization_id": uid("org", key), "number": phone})
    for key, (name, town, postal, lat, lon, phone) in LOCATIONS.items():
        location = {"id": uid("loc", key), "location_type": "physical", "name": name, "latitude": lat, "longitude": lon}
        rows["location"].append(location)
        rows["address"].append(
            {
                "id": uid("addr", key),
                "location_id": uid("loc", key),
                "address_1": f"{len(key)} {name.split()[0]} St",
                "city": town,
                "region": "",
                "state_province": "IL",
                "postal_code": postal,
                "country": "US",
                "address_type": "physical",
            }
        )
        if phone:
            rows["phone"].append({"id": uid("phone", key), "location_id": uid("loc", key), "number": phone})
        if key in LOCATION_HOURS:
            rows["schedule"].append(_schedule(("loc", key), {"location_id": uid("loc", key)}, LOCATION_HOURS[key]))
    for key, service in SERVICES.items():
        sid = uid("svc", key)
        row = {
            "id": sid,
            "organization_id": uid("org", service["org"]),
            "name": service["name"],
            "status": service.get("status", "active"),
            "description": service.get("description", service["name"] + "."),
        }
        for field, name in (("min", "minimum_age"), ("max", "maximum_age"), ("alert", "alert")):
            if field in service:
                row[name] = service[field]
        rows["service"].append(row)
        if "phone" in service:
            rows["phone"].append({"id": uid("phone", key), "service_id": sid, "number": service["phone"]})
        for code in service["terms"]:
            rows["attribute"].append(
                {
                    "id": uid("attr", key, code),
                    "link_id": sid,
                    "link_type": "service",
                    "link_entity": "service",
                    "taxonomy_term_id": uid("term", code),
                }
            )
        for lang in service["languages"]:
            rows["language"].append({"id": uid("lang", key, lang), "service_id": sid, "code": lang})
        for index, hours in enumerate(service.get("hours", [])):
            rows["schedule"].append(_schedule(("svc", key, index), {"service_id": sid}, hours))
        for place in service["at"]:
            link = uid("sal", key, place)
            rows["service_at_location"].append({"id": link, "service_id": sid, "location_id": uid("loc", place)})
            if place in service.get("sal_hours", {}):
                rows["schedule"].append(
                    _schedule(("sal", key, place), {"service_at_location_id": link}, service["sal_hours"][place])
                )
    return rows


def _schedule(
    key: tuple[object, ...], link: dict[str, str], hours: tuple[str, str | None, str | None, float | None]
) -> dict[str, Any]:
    byday, opens, closes, offset = hours
    row: dict[str, Any] = {"id": uid("sched", *key), **link, "freq": "WEEKLY"}
    for name, value in (("byday", byday), ("opens_at", opens), ("closes_at", closes), ("timezone", offset)):
        if value not in (None, ""):
            row[name] = value
    return row


def write_csv(folder: Path, rows: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """A Tabular Data Package: one CSV per HSDS table (every column of its schema) and datapackage.json."""
    rows = tables() if rows is None else rows
    folder.mkdir(parents=True, exist_ok=True)
    resources = []
    for kind in schemas.KINDS:
        spec = schemas.kind(kind)
        columns = [p for p in schemas.schema(f"{kind}.json")["properties"] if p not in spec.nested]
        with (folder / spec.csv_file).open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, columns)
            writer.writeheader()
            for row in rows[kind]:
                writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
        resources.append({"name": kind, "path": spec.csv_file})
    (folder / "datapackage.json").write_text(json.dumps({"name": "small-county", "resources": resources}))
    return folder


def write_tabular(file: Path, rows: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    rows = tables() if rows is None else rows
    file.write_text(json.dumps({schemas.kind(kind).csv_file: rows[kind] for kind in schemas.KINDS}))
    return file


# (object, property) -> the child object and the column linking it back: what the nested form nests.
NESTING = {
    ("organization", "services"): ("service", "organization_id"),
    ("organization", "phones"): ("phone", "organization_id"),
    ("service", "service_at_locations"): ("service_at_location", "service_id"),
    ("service", "phones"): ("phone", "service_id"),
    ("service", "schedules"): ("schedule", "service_id"),
    ("service", "languages"): ("language", "service_id"),
    ("service", "attributes"): ("attribute", "link_id"),
    ("service_at_location", "schedules"): ("schedule", "service_at_location_id"),
    ("location", "addresses"): ("address", "location_id"),
    ("location", "phones"): ("phone", "location_id"),
    ("location", "schedules"): ("schedule", "location_id"),
}


def write_collections(folder: Path, rows: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """Canonical JSON as the API serves it: organizations.json (services nested, each term only with
    its ``parent_id``), taxonomy_terms.json as an API page and taxonomies.json as a list."""
    rows = tables() if rows is None else rows
    folder.mkdir(parents=True, exist_ok=True)
    by_id = {kind: {row["id"]: row for row in rows[kind]} for kind in rows}

    def nest(kind: str, row: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in row.items() if not (k.endswith("_id") and k != "id" and _linked_up(kind, k))}
        for (parent, prop), (child, column) in NESTING.items():
            if parent == kind:
                out[prop] = [nest(child, c) for c in rows[child] if c.get(column) == row["id"]]
        if kind == "service_at_location":
            out["location"] = nest("location", by_id["location"][row["location_id"]])
            out["location_id"] = row["location_id"]
        if kind == "attribute":
            out["taxonomy_term"] = by_id["taxonomy_term"][row["taxonomy_term_id"]]
        return out

    organizations = [nest("organization", row) for row in rows["organization"]]
    (folder / "organizations.json").write_text(json.dumps(organizations, indent=1))
    terms = rows["taxonomy_term"]
    page = {"total_items": len(terms), "total_pages": 1, "page_number": 1, "size": len(terms), "contents": terms}
    (folder / "taxonomy_terms.json").write_text(json.dumps(page, indent=1))
    (folder / "taxonomies.json").write_text(json.dumps(rows["taxonomy"], indent=1))
    return folder


def _linked_up(kind: str, column: str) -> bool:
    """Whether nesting says what ``column`` says (so the nested form leaves it out, as the API does)."""
    return any(child == kind and link == column for child, link in NESTING.values())
