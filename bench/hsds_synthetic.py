"""Write a large, fictional Open Referral HSDS 3.0 directory (canonical JSON) for timing the reader.

    python bench/hsds_synthetic.py OUT.json --services 5000 [--seed 1] [--time]

A list of organizations with nested services; every service has one physical location with one
address, one phone, one or two languages and one or two taxonomy attributes from a small category
tree, and about 10% are inactive. Everything is deterministic for a seed (ids are uuid5), entirely
made up (555-01xx phone numbers, invented names), and valid: the caseflow-hsds reader skips no
record of it. ``--time`` then reads it once through caseflow-hsds, as a first load would.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

NAMESPACE = uuid.UUID("3f4b2c4e-7d1a-5b8e-9c0f-2a6d8e1b4c70")  # fixed, so ids repeat run to run

# code -> (name, parent code)
TAXONOMY = {
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
LANGUAGES = [("en", "English"), ("es", "Spanish"), ("vi", "Vietnamese"), ("ar", "Arabic"), ("zh", "Chinese")]
TOWNS = [("Springfield", "62701"), ("Riverton", "62702"), ("Maple Falls", "62703"), ("Cedar Grove", "62704")]
WORDS = ["Lantern", "Harbor", "Maple", "Prairie", "Bridge", "Willow", "Beacon", "Juniper", "Meadow", "Compass"]
KINDS = ["Community Services", "Health Collective", "Family Center", "Outreach Network", "Support Alliance"]
STREETS = ["Elm", "Oak", "Walnut", "Cherry", "Birch", "Chestnut", "Poplar", "Hickory"]


def uid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(map(str, parts))))


def term(code: str) -> dict[str, Any]:
    name, parent = TAXONOMY[code]
    found: dict[str, Any] = {"id": uid("term", code), "code": code, "name": name, "description": name + "."}
    if parent:
        found["parent_id"] = uid("term", parent)
    found["taxonomy"] = "caseflow-bench"
    return found


def service(index: int, rng: random.Random) -> dict[str, Any]:
    codes = rng.sample(sorted(TAXONOMY), rng.randint(1, 2))
    town, postal = rng.choice(TOWNS)
    languages = rng.sample(LANGUAGES, rng.randint(1, 2))
    label = TAXONOMY[codes[0]][0]
    return {
        "id": uid("service", index),
        "name": f"{label} program {index}",
        "description": f"{label} for residents of {town} (fictional listing {index}).",
        "status": "inactive" if rng.random() < 0.1 else "active",
        "eligibility_description": rng.choice(["Adults 18 and over", "Families with children", "Anyone"]),
        **rng.choice([{}, {"minimum_age": 18}, {"minimum_age": 12, "maximum_age": 17}, {"minimum_age": 16}]),
        "schedules": [
            {
                "id": uid("schedule", index),
                "freq": "WEEKLY",
                "byday": rng.choice(["MO,TU,WE,TH,FR", "MO,WE,FR", "SA", "MO,TU,WE,TH,FR,SA"]),
                "opens_at": rng.choice(["08:00", "09:00", "10:00"]),
                "closes_at": rng.choice(["12:00", "17:00", "20:00"]),
                "timezone": -6,
            }
        ],
        "phones": [{"id": uid("phone", index), "number": f"217-555-01{rng.randint(0, 99):02d}"}],
        "languages": [{"id": uid("language", index, code), "name": name, "code": code} for code, name in languages],
        "service_at_locations": [
            {
                "id": uid("service_at_location", index),
                "location": {
                    "id": uid("location", index),
                    "location_type": "physical",
                    "name": f"{town} site {index}",
                    "latitude": round(rng.uniform(39.70, 39.90), 5),
                    "longitude": round(rng.uniform(-89.75, -89.55), 5),
                    "addresses": [
                        {
                            "id": uid("address", index),
                            "address_1": f"{rng.randint(100, 2999)} {rng.choice(STREETS)} Street",
                            "city": town,
                            "state_province": "IL",
                            "postal_code": postal,
                            "country": "US",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "attributes": [
            {"id": uid("attribute", index, code), "link_entity": "service", "taxonomy_term": term(code)}
            for code in codes
        ],
    }


def directory(services: int = 5000, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    organizations: list[dict[str, Any]] = []
    made = 0
    while made < services:
        count = min(rng.randint(1, 8), services - made)
        number = len(organizations)
        organizations.append(
            {
                "id": uid("organization", number),
                "name": f"{rng.choice(WORDS)} {rng.choice(KINDS)} {number}",
                "description": "A fictional organization generated for benchmarks.",
                "services": [service(made + i, rng) for i in range(count)],
            }
        )
        made += count
    return organizations


def write_directory(path: Path, services: int = 5000, seed: int = 1) -> None:
    """Write ``services`` fictional services (in organizations) to ``path`` as HSDS JSON."""
    path.write_text(json.dumps(directory(services, seed), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time", action="store_true", help="then read it once through caseflow-hsds")
    args = parser.parse_args()
    write_directory(args.out, args.services, args.seed)
    print(f"wrote {args.services} services to {args.out}")
    if args.time:
        import caseflow_hsds  # imported here: writing the file needs nothing beyond the standard library

        started = time.perf_counter()
        loaded = caseflow_hsds.load(args.out, "bench")
        elapsed = time.perf_counter() - started
        assert loaded is not None
        print(
            f"read through caseflow-hsds in {elapsed:.2f} s (first load in this process): "
            f"{len(loaded.directory.services)} services, {len(loaded.skipped)} skipped"
        )


if __name__ == "__main__":
    main()
