"""Validating each flat record against its HSDS object schema (JSON Schema Draft 2020-12).

The shipped schemas refer to each other by relative file name (``"$ref": "phone.json"``), so all
of them are registered under one base URI in a ``referencing`` registry, built once per process,
as is each object's validator.

Speed: jsonschema spends about 70 µs on a flat HSDS record, so a 5,000-service directory (about
40,000 records) takes a few seconds. That is paid once per version of the files: caseflow caches
what this plugin read under ``.caseflow/`` by content hash.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from caseflow_hsds import schemas
from caseflow_hsds.schemas import KINDS
from caseflow_hsds.tables import Row, Tables

# Never fetched: it only gives the relative $refs a base to resolve against inside the registry.
BASE_URI = "https://schemas.caseflow.invalid/hsds/3.0/"

# The formats HSDS uses whose checks need nothing beyond the standard library. ``uri`` and
# ``date-time`` are left out: jsonschema checks them only when optional packages happen to be
# installed, and a record's validity must not depend on what else is in the environment.
FORMATS = FormatChecker(formats=("uuid", "date", "email"))

MAX_MESSAGE = 200

Check = Callable[[Any], bool]


@cache
def registry() -> Registry[Any]:
    resources = [
        (BASE_URI + file, Resource.from_contents(schemas.schema(file), default_specification=DRAFT202012))
        for file in schemas.SCHEMA_FILES
    ]
    return Registry().with_resources(resources)


@cache
def validator(kind: str) -> Draft202012Validator:
    """The compiled validator of one HSDS object (built once per process)."""
    contents = schemas.schema(f"{kind}.json")
    # $id gives the root schema its place among the registered files, for its relative $refs.
    return Draft202012Validator(
        {**contents, "$id": f"{BASE_URI}{kind}.json"}, registry=registry(), format_checker=FORMATS
    )


def validate(tables: Tables) -> tuple[dict[str, dict[str, Row]], list[str]]:
    """The valid rows of each kind (by id, in order), and one line per invalid row."""
    valid: dict[str, dict[str, Row]] = {}
    skipped: list[str] = []
    for kind in KINDS:
        check = validator(kind)
        kept = valid[kind] = {}
        for key, row in tables.rows[kind].items():
            errors = list(check.iter_errors(row.data))
            if errors:
                skipped.append(describe(row, errors))
            else:
                kept[key] = row
    return valid, skipped


def describe(row: Row, errors: list[ValidationError]) -> str:
    """``services.csv:4: service 0d3c…: status: 'open' is not one of [...]`` for the first error."""
    first = errors[0]
    field = "/".join(str(part) for part in first.absolute_path)
    if first.validator == "required":
        field = next(
            (name for name in first.validator_value if first.message == f"{name!r} is a required property"), ""
        )
    message = " ".join(first.message.split())
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{row.label()}: {field or '(record)'}: {message}{more}"
