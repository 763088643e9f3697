"""Write the fictional "Springfield 211" sample directory in both HSDS serializations.

    python plugins/caseflow-hsds/examples/make_examples.py

Writes ``springfield-211.json`` (canonical JSON: a list of organizations with nested services) and
``springfield-211-csv/`` (a Tabular Data Package: datapackage.json and one CSV per table) beside
this script, from the one description below, so that the two always say the same thing. Every
organization, person-free listing, address and phone number (555-01xx) is invented. Ids are
uuid5 of a readable name (``service/casa-puente-family-counseling``), so they never change.

The CSV headers are the HSDS 3.0 fields of each table, taken from the schemas the plugin ships.
"""

from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path
from typing import Any

from springfield import LANGUAGE_NAMES, LOCATIONS, ORGANIZATIONS, TAXONOMY, TITLE

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE.parent / "caseflow_hsds" / "schema"


def uid(kind: str, *names: str) -> str:
    """A fixed id for a named record (uuid5 in the URL namespace of a fictional .example site)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://springfield-211.example/{kind}/{'/'.join(names)}"))


# -- the records, flat (one dict per CSV row) ---------------------------------------------------------


def term_row(code: str) -> dict[str, Any]:
    name, parent = TAXONOMY[code]
    return {
        "id": uid("taxonomy_term", code),
        "code": code,
        "name": name,
        "description": f"{name} (Springfield 211 sample taxonomy).",
        "parent_id": uid("taxonomy_term", parent) if parent else None,
        "taxonomy": "springfield-211-sample",
    }


def location_row(slug: str) -> dict[str, Any]:
    kind, name, latitude, longitude, _, _, _ = LOCATIONS[slug]
    return {
        "id": uid("location", slug),
        "location_type": kind,
        "url": "https://crisis.prairie-lantern.example/chat" if kind == "virtual" else None,
        "name": name,
        "latitude": latitude,
        "longitude": longitude,
    }


def address_row(slug: str) -> dict[str, Any] | None:
    _, _, _, _, street, postal_code, _ = LOCATIONS[slug]
    if not street:
        return None
    return {
        "id": uid("address", slug),
        "address_1": street,
        "city": "Springfield",
        "state_province": "IL",
        "postal_code": postal_code,
        "country": "US",
        "address_type": "physical",
    }


def language_row(code: str, *owner: str) -> dict[str, Any]:
    return {"id": uid("language", *owner, code), "name": LANGUAGE_NAMES[code], "code": code}


def organization_row(org: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": uid("organization", org["slug"]),
        "name": org["name"],
        "description": org["description"],
        "email": f"info@{org['slug']}.example",
        "website": f"https://{org['slug']}.example",
    }


def service_row(service: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": uid("service", service["slug"]),
        "name": service["name"],
        "description": service["description"],
        "status": service["status"],
        "eligibility_description": service["eligibility"],
    }


# -- canonical JSON ----------------------------------------------------------------------------------


def clean(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if value is not None}


def nested_location(slug: str) -> dict[str, Any]:
    location = clean(location_row(slug))
    address = address_row(slug)
    if address:
        location["addresses"] = [address]
    if LOCATIONS[slug][6]:
        location["languages"] = [language_row(code, "location", slug) for code in LOCATIONS[slug][6]]
    return location


def nested_service(org: dict[str, Any], service: dict[str, Any]) -> dict[str, Any]:
    slug = service["slug"]
    nested = service_row(service)
    if service["phone"]:
        phone: dict[str, Any] = {"id": uid("phone", "service", slug), "number": service["phone"], "type": "voice"}
        if service.get("phone_languages"):
            phone["languages"] = [language_row(code, "phone", slug) for code in service["phone_languages"]]
        nested["phones"] = [phone]
    nested["languages"] = [language_row(code, "service", slug) for code in service["languages"]]
    nested["service_at_locations"] = [
        {"id": uid("service_at_location", slug, place), "location": nested_location(place)}
        for place in service["locations"]
    ]
    nested["attributes"] = [
        {"id": uid("attribute", slug, code), "link_entity": "service", "taxonomy_term": clean(term_row(code))}
        for code in service["categories"]
    ]
    return nested


def canonical_json() -> list[dict[str, Any]]:
    return [
        {
            **organization_row(org),
            "phones": [{"id": uid("phone", "organization", org["slug"]), "number": org["phone"], "type": "voice"}],
            "services": [nested_service(org, service) for service in org["services"]],
        }
        for org in ORGANIZATIONS
    ]


# -- CSV tables --------------------------------------------------------------------------------------


def tables() -> dict[str, list[dict[str, Any]]]:
    """Table name -> rows, in the order the JSON nests them (so both read back in the same order)."""
    rows: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in (
            "organization",
            "service",
            "location",
            "service_at_location",
            "address",
            "phone",
            "language",
            "taxonomy_term",
            "attribute",
        )
    }
    seen_locations: set[str] = set()
    for code in TAXONOMY:
        rows["taxonomy_term"].append(term_row(code))
    for org in ORGANIZATIONS:
        org_id = uid("organization", org["slug"])
        rows["organization"].append(organization_row(org))
        rows["phone"].append(
            {
                "id": uid("phone", "organization", org["slug"]),
                "organization_id": org_id,
                "number": org["phone"],
                "type": "voice",
            }
        )
        for service in org["services"]:
            slug = service["slug"]
            service_id = uid("service", slug)
            rows["service"].append({**service_row(service), "organization_id": org_id})
            if service["phone"]:
                phone_id = uid("phone", "service", slug)
                rows["phone"].append(
                    {"id": phone_id, "service_id": service_id, "number": service["phone"], "type": "voice"}
                )
                for code in service.get("phone_languages", []):
                    rows["language"].append({**language_row(code, "phone", slug), "phone_id": phone_id})
            for code in service["languages"]:
                rows["language"].append({**language_row(code, "service", slug), "service_id": service_id})
            for place in service["locations"]:
                location_id = uid("location", place)
                rows["service_at_location"].append(
                    {
                        "id": uid("service_at_location", slug, place),
                        "service_id": service_id,
                        "location_id": location_id,
                    }
                )
                if place in seen_locations:
                    continue
                seen_locations.add(place)
                rows["location"].append({**location_row(place), "organization_id": org_id})
                address = address_row(place)
                if address:
                    rows["address"].append({**address, "location_id": location_id})
                for code in LOCATIONS[place][6]:
                    rows["language"].append({**language_row(code, "location", place), "location_id": location_id})
            for code in service["categories"]:
                rows["attribute"].append(
                    {
                        "id": uid("attribute", slug, code),
                        "link_id": service_id,
                        "taxonomy_term_id": uid("taxonomy_term", code),
                        "link_entity": "service",
                    }
                )
    return rows


def schema_fields(table: str) -> tuple[str, list[dict[str, Any]]]:
    """A table's CSV file name and its HSDS fields (the schema's non-nested properties, in order)."""
    schema = json.loads((SCHEMAS / f"{table}.json").read_text(encoding="utf-8"))
    fields = [
        {"name": name, "type": spec["type"], **({"format": spec["format"]} if "format" in spec else {})}
        for name, spec in schema["properties"].items()
        if spec.get("type") in ("string", "number", "integer", "boolean")
    ]
    return schema["path"], fields


def cell(value: Any) -> str:
    return "" if value is None else str(value)


def write_csv_package(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    resources = []
    for table, rows in tables().items():
        path, fields = schema_fields(table)
        names = [field["name"] for field in fields]
        unknown = {key for row in rows for key in row} - set(names)
        assert not unknown, f"{table}: {unknown} are not HSDS fields"
        with (folder / path).open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(names)
            writer.writerows([cell(row.get(name)) for name in names] for row in rows)
        resources.append(
            {
                "name": table,
                "path": path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": fields, "primaryKey": "id"},
            }
        )
    descriptor = {
        "name": "springfield-211-sample",
        "title": TITLE,
        "description": "A fictional provider directory for caseflow's HSDS plugin demo and tests.",
        "profile": "tabular-data-package",
        "resources": resources,
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    (HERE / "springfield-211.json").write_text(
        json.dumps(canonical_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_csv_package(HERE / "springfield-211-csv")
    for org in ORGANIZATIONS:
        for service in org["services"]:
            print(f"{uid('service', service['slug'])}  {service['name']}")


if __name__ == "__main__":
    main()
