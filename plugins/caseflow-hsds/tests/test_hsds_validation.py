"""The shipped schemas: valid, licensed, resolving their references, and what the readers rely on."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import caseflow_hsds
from caseflow_hsds import schemas, validation
from jsonschema import Draft202012Validator

PACKAGE = Path(caseflow_hsds.__file__).parent
ROOT = Path(__file__).resolve().parents[3]


def minimal(kind: str) -> dict[str, Any]:
    """A valid record with only the required fields."""
    contents = schemas.schema(f"{kind}.json")
    record: dict[str, Any] = {}
    for name in contents.get("required", []):
        spec = contents["properties"][name]
        if name == "id":
            record[name] = "0d3c5b7e-1f2a-4b6c-8d9e-0a1b2c3d4e5f"
        elif "enum" in spec:
            record[name] = spec["enum"][0]
        else:
            record[name] = "x"
    assert not list(validation.validator(kind).iter_errors(record))
    return record


def test_nested_objects_resolve_through_the_registry() -> None:
    service = validation.validator("service")
    errors = list(service.iter_errors({**minimal("service"), "phones": [{"id": "not-a-uuid"}]}))
    assert sorted(e.message for e in errors) == ["'not-a-uuid' is not a 'uuid'", "'number' is a required property"]


def test_every_shipped_schema_is_a_valid_2020_12_schema() -> None:
    for file in schemas.SCHEMA_FILES:
        Draft202012Validator.check_schema(schemas.schema(file))
    shipped = sorted(path.name for path in (PACKAGE / "schema").glob("*.json"))
    assert shipped == sorted(schemas.SCHEMA_FILES)


def test_schemas_ship_with_their_licence_and_attribution() -> None:
    licence = (PACKAGE / "schema" / "LICENSE").read_text(encoding="utf-8")
    assert "Attribution-ShareAlike 4.0 International" in licence
    attribution = (PACKAGE / "schema" / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for words in (
        "Human Services Data Specification: an Open Referral resource (https://openreferral.org/)",
        "279fd2eb3552c349bf698c07c00cc25f5fc8249b",
        "CC BY-SA 4.0",
        "unmodified",
    ):
        assert words in attribution


def test_schemas_declare_what_the_readers_rely_on() -> None:
    service = schemas.kind("service")
    assert service.csv_file == "services.csv"
    assert service.types["minimum_age"] == "number"
    assert service.nested["languages"] == schemas.Nested("language", many=True)
    assert service.nested["organization"] == schemas.Nested("organization", many=False)
    assert schemas.kind("organization").nested["services"] == schemas.Nested("service", many=True)
    assert schemas.foreign_key("language", "service") == "service_id"
    assert schemas.foreign_key("attribute", "service") == "link_id"
    assert schemas.foreign_key("address", "service") is None


def test_the_bench_generator_writes_a_valid_directory(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("hsds_synthetic", ROOT / "bench" / "hsds_synthetic.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["hsds_synthetic"] = bench
    try:
        spec.loader.exec_module(bench)
        bench.write_directory(tmp_path / "big.json", services=300, seed=7)
        again = tmp_path / "again.json"
        bench.write_directory(again, services=300, seed=7)
    finally:
        del sys.modules["hsds_synthetic"]
    assert again.read_bytes() == (tmp_path / "big.json").read_bytes()
    loaded = caseflow_hsds.load(tmp_path / "big.json", "bench")
    assert loaded is not None
    assert loaded.skipped == ()
    services = loaded.directory.services
    assert len(services) == 300
    assert 10 <= sum(not s.active for s in services) <= 60
    assert all(len(s.locations) == 1 and s.locations[0].latitude is not None for s in services)
    assert all(1 <= len(s.languages) <= 2 and 1 <= len(s.categories) <= 2 and s.phone for s in services)
    assert loaded.directory.under("mental-health") == {"mental-health", "outpatient-mental-health", "crisis"}
    assert json.loads(again.read_text())[0]["services"][0]["id"] == services[0].id
