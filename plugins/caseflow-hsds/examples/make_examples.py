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

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE.parent / "caseflow_hsds" / "schema"
TITLE = "Springfield 211 (fictional sample directory)"

# code: (name, parent code or None)
TAXONOMY: dict[str, tuple[str, str | None]] = {
    "mental-health": ("Mental health care", None),
    "outpatient-mental-health": ("Outpatient mental health", "mental-health"),
    "crisis": ("Crisis intervention", "mental-health"),
    "substance-use": ("Substance use services", None),
    "outpatient-substance-use": ("Outpatient substance use treatment", "substance-use"),
    "detox": ("Detoxification", "substance-use"),
    "housing": ("Housing", None),
    "emergency-shelter": ("Emergency shelter", "housing"),
    "rental-assistance": ("Rental assistance", "housing"),
    "education": ("Education", None),
    "ged": ("GED preparation", "education"),
    "medical": ("Medical care", None),
    "primary-care": ("Primary care", "medical"),
}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "vi": "Vietnamese", "zh": "Chinese"}

# slug: (location_type, name, latitude, longitude, street, postal code, languages spoken on site)
LOCATIONS: dict[str, tuple[str, str, float | None, float | None, str, str, list[str]]] = {
    "prairie-lantern-downtown": (
        "physical",
        "Prairie Lantern downtown office",
        39.8003,
        -89.6502,
        "410 Lantern Way",
        "62701",
        [],
    ),
    "prairie-lantern-crisis-line": ("virtual", "Prairie Lantern crisis line (phone and chat)", None, None, "", "", []),
    "willowbend-campus": (
        "physical",
        "Willowbend Recovery campus",
        39.7712,
        -89.6135,
        "2250 Willowbend Road",
        "62703",
        [],
    ),
    "casa-puente-center": (
        "physical",
        "Casa Puente community center",
        39.8231,
        -89.6418,
        "1875 Bridgeview Avenue",
        "62702",
        ["es"],
    ),
    "harborlight-shelter": ("physical", "Harborlight shelter", 39.7795, -89.6220, "77 Harborlight Lane", "62703", []),
    "harborlight-navigation": (
        "physical",
        "Harborlight housing desk",
        39.8012,
        -89.6468,
        "300 Keystone Street",
        "62701",
        [],
    ),
    "second-chapter-school": (
        "physical",
        "Second Chapter learning center",
        39.7684,
        -89.6851,
        "5120 Chapterhouse Drive",
        "62704",
        [],
    ),
    "maplewood-clinic": ("physical", "Maplewood clinic", 39.8189, -89.6307, "940 Maplewood Court", "62702", ["zh"]),
    "beacon-street-hall": ("physical", "Beacon Street hall", 39.7968, -89.6551, "18 Beacon Street", "62701", []),
    "northfield-youth-house": (
        "physical",
        "Northfield youth house",
        39.7627,
        -89.6968,
        "6400 Northfield Parkway",
        "62704",
        [],
    ),
}

ORGANIZATIONS: list[dict[str, Any]] = [
    {
        "slug": "prairie-lantern-behavioral-health",
        "name": "Prairie Lantern Behavioral Health",
        "description": "A fictional community mental health agency in Springfield.",
        "phone": "217-555-0100",
        "services": [
            {
                "slug": "prairie-lantern-outpatient-counseling",
                "name": "Prairie Lantern Outpatient Counseling",
                "description": "Individual and group counseling for adults with depression, anxiety or trauma.",
                "eligibility": "Adults 18 and over living in the county.",
                "status": "active",
                "phone": "217-555-0101",
                "languages": ["en", "es"],
                "categories": ["outpatient-mental-health"],
                "locations": ["prairie-lantern-downtown"],
            },
            {
                "slug": "prairie-lantern-crisis-line",
                "name": "Prairie Lantern 24/7 Crisis Line",
                "description": "Round-the-clock crisis counseling by phone and chat, with mobile team referral.",
                "eligibility": "Anyone in crisis.",
                "status": "active",
                "phone": "217-555-0102",
                "phone_languages": ["vi"],  # interpretation on the phone line: not the service's own language
                "languages": ["en", "es"],
                "categories": ["crisis"],
                "locations": ["prairie-lantern-crisis-line"],
            },
        ],
    },
    {
        "slug": "willowbend-recovery-center",
        "name": "Willowbend Recovery Center",
        "description": "A fictional substance use treatment provider.",
        "phone": "217-555-0110",
        "services": [
            {
                "slug": "willowbend-outpatient-recovery",
                "name": "Willowbend Outpatient Recovery Program",
                "description": "Intensive outpatient treatment for alcohol and drug use, evenings available.",
                "eligibility": "Adults 18 and over; referral not required.",
                "status": "active",
                "phone": "217-555-0111",
                "languages": ["en"],
                "categories": ["outpatient-substance-use"],
                "locations": ["willowbend-campus"],
            },
            {
                "slug": "willowbend-medically-supervised-detox",
                "name": "Willowbend Medically Supervised Detox",
                "description": "Short-stay medically supervised withdrawal management.",
                "eligibility": "Adults 18 and over after a phone screening.",
                "status": "temporarily closed",
                "phone": "217-555-0112",
                "languages": ["en"],
                "categories": ["detox", "substance-use"],
                "locations": ["willowbend-campus"],
            },
        ],
    },
    {
        "slug": "casa-puente-family-services",
        "name": "Casa Puente Family Services",
        "description": "A fictional bilingual family services organization.",
        "phone": "217-555-0120",
        "services": [
            {
                "slug": "casa-puente-family-counseling",
                "name": "Casa Puente Family Counseling",
                "description": "Consejería familiar e individual en español; family and individual counseling.",
                "eligibility": "Families and adults; no insurance needed.",
                "status": "active",
                "phone": "217-555-0121",
                "languages": ["es", "en"],
                "categories": ["outpatient-mental-health"],
                "locations": ["casa-puente-center"],
            },
            {
                "slug": "casa-puente-rental-assistance",
                "name": "Casa Puente Rental Assistance",
                "description": "One-time help with rent or deposits, and help talking with landlords.",
                "eligibility": "Households at risk of eviction.",
                "status": "active",
                "phone": "217-555-0122",
                "languages": ["es", "en"],
                "categories": ["rental-assistance"],
                "locations": ["casa-puente-center"],
            },
        ],
    },
    {
        "slug": "harborlight-shelter-network",
        "name": "Harborlight Shelter Network",
        "description": "A fictional emergency shelter and housing organization.",
        "phone": "217-555-0130",
        "services": [
            {
                "slug": "harborlight-emergency-shelter",
                "name": "Harborlight Emergency Shelter",
                "description": "Overnight emergency shelter with meals and showers.",
                "eligibility": "Adults without a safe place to stay tonight.",
                "status": "active",
                "phone": "217-555-0131",
                "languages": ["en"],
                "categories": ["emergency-shelter", "housing"],
                "locations": ["harborlight-shelter"],
            },
            {
                "slug": "harborlight-housing-navigation",
                "name": "Harborlight Housing Navigation",
                "description": "Help finding and applying for longer-term housing.",
                "eligibility": "People staying at a Harborlight shelter.",
                "status": "inactive",
                "phone": "217-555-0132",
                "languages": ["en"],
                "categories": ["housing"],
                "locations": ["harborlight-navigation"],
            },
        ],
    },
    {
        "slug": "second-chapter-adult-learning",
        "name": "Second Chapter Adult Learning",
        "description": "A fictional adult education nonprofit.",
        "phone": "217-555-0140",
        "services": [
            {
                "slug": "second-chapter-ged-classes",
                "name": "Second Chapter GED Classes",
                "description": "Free GED preparation classes, mornings and evenings.",
                "eligibility": "Adults 17 and over without a high school diploma.",
                "status": "active",
                "phone": "217-555-0141",
                "languages": ["en", "es"],
                "categories": ["ged"],
                "locations": ["second-chapter-school"],
            },
            {
                "slug": "second-chapter-adult-literacy",
                "name": "Second Chapter Adult Literacy Tutoring",
                "description": "One-to-one reading and writing tutoring for adults.",
                "eligibility": "Adults 18 and over.",
                "status": "active",
                "phone": None,  # listed only under the organization's number
                "languages": ["en"],
                "categories": ["education"],
                "locations": ["second-chapter-school"],
            },
        ],
    },
    {
        "slug": "maplewood-community-clinic",
        "name": "Maplewood Community Clinic",
        "description": "A fictional federally qualified health center look-alike.",
        "phone": "217-555-0150",
        "services": [
            {
                "slug": "maplewood-primary-care",
                "name": "Maplewood Primary Care",
                "description": "Check-ups, chronic illness care and vaccinations on a sliding fee scale.",
                "eligibility": "Everyone; sliding fee by income.",
                "status": "active",
                "phone": "217-555-0151",
                "languages": ["en", "es", "vi"],
                "categories": ["primary-care", "medical"],
                "locations": ["maplewood-clinic"],
            },
            {
                "slug": "maplewood-integrated-behavioral-health",
                "name": "Maplewood Integrated Behavioral Health",
                "description": "Short-term counseling alongside primary care visits.",
                "eligibility": "Maplewood primary care patients.",
                "status": "active",
                "phone": "217-555-0152",
                "languages": ["en"],
                "categories": ["outpatient-mental-health"],
                "locations": ["maplewood-clinic"],
            },
        ],
    },
    {
        "slug": "beacon-street-peer-support",
        "name": "Beacon Street Peer Support",
        "description": "A fictional peer-run recovery community organization.",
        "phone": "217-555-0160",
        "services": [
            {
                "slug": "beacon-street-peer-recovery-circle",
                "name": "Beacon Street Peer Recovery Circle",
                "description": "Peer-led recovery meetings and recovery coaching.",
                "eligibility": "Anyone in or seeking recovery.",
                "status": "active",
                "phone": "217-555-0161",
                "languages": ["en"],
                "categories": ["outpatient-substance-use"],
                "locations": ["beacon-street-hall"],
            },
        ],
    },
    {
        "slug": "northfield-youth-and-family-alliance",
        "name": "Northfield Youth and Family Alliance",
        "description": "A fictional youth and family services agency.",
        "phone": "217-555-0170",
        "services": [
            {
                "slug": "northfield-teen-counseling",
                "name": "Northfield Teen Counseling",
                "description": "Counseling for teenagers and their parents, after school hours.",
                "eligibility": "Young people 12 to 19 and their families.",
                "status": "active",
                "phone": "217-555-0171",
                "languages": ["en", "es"],
                "categories": ["outpatient-mental-health", "mental-health"],
                "locations": ["northfield-youth-house"],
            },
        ],
    },
]


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
