"""The shipped HSDS 3.0 JSON Schemas, and what the readers learn from them.

The schema files in ``schema/`` are the upstream canonical ones, unmodified (see
``schema/ATTRIBUTION.md``). Everything the readers need to know about an object — its CSV file
name, which properties hold nested objects, which type a CSV cell must be converted to — is read
from those files rather than restated here, so the plugin follows the specification it ships.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

#: Every HSDS 3.0 table: all are read, validated and kept, whichever serialization brought them.
KINDS: tuple[str, ...] = (
    "organization",
    "service",
    "location",
    "service_at_location",
    "address",
    "phone",
    "schedule",
    "service_area",
    "language",
    "program",
    "taxonomy",
    "taxonomy_term",
    "attribute",
    "contact",
    "cost_option",
    "accessibility",
    "required_document",
    "funding",
    "organization_identifier",
    "metadata",
    "meta_table_description",
)

#: Tables a CSV package (or the tabular JSON form) must have for it to be a directory at all.
REQUIRED_TABLES: tuple[str, ...] = ("service", "organization")

#: Every object schema upstream publishes; all ship so that any ``$ref`` between them resolves.
SCHEMA_FILES: tuple[str, ...] = (
    "accessibility.json",
    "address.json",
    "attribute.json",
    "contact.json",
    "cost_option.json",
    "funding.json",
    "language.json",
    "location.json",
    "meta_table_description.json",
    "metadata.json",
    "organization.json",
    "organization_identifier.json",
    "phone.json",
    "program.json",
    "required_document.json",
    "schedule.json",
    "service.json",
    "service_area.json",
    "service_at_location.json",
    "taxonomy.json",
    "taxonomy_term.json",
)


@dataclass(frozen=True)
class Nested:
    """A property holding other objects: ``many`` for an array of them, else a single object."""

    kind: str
    many: bool


@dataclass(frozen=True)
class Kind:
    """What the readers need to know about one HSDS object."""

    name: str
    csv_file: str  # the file name in a Tabular Data Package (``services.csv``)
    types: dict[str, str]  # property -> its JSON type, for converting CSV cells
    nested: dict[str, Nested]  # property -> the objects it nests
    properties: frozenset[str]


@cache
def schema(file: str) -> dict[str, Any]:
    """One schema file's contents, parsed once per process."""
    text = resources.files(__package__).joinpath("schema", file).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def kind(name: str) -> Kind:
    contents = schema(f"{name}.json")
    types: dict[str, str] = {}
    nested: dict[str, Nested] = {}
    for prop, spec in contents["properties"].items():
        if "$ref" in spec:
            nested[prop] = Nested(_kind_of(spec["$ref"]), many=False)
        elif spec.get("type") == "array" and "$ref" in spec.get("items", {}):
            nested[prop] = Nested(_kind_of(spec["items"]["$ref"]), many=True)
        elif isinstance(spec.get("type"), str):
            types[prop] = spec["type"]
    if name == "organization":
        # The 3.0 organization schema has no ``services`` property, yet the upstream example
        # organization_full.json (and the API's organization responses) nest them there.
        nested["services"] = Nested("service", many=True)
    return Kind(name, contents["path"], types, nested, frozenset(contents["properties"]))


def _kind_of(ref: str) -> str:
    """``"phone.json"`` -> ``"phone"`` (HSDS refers to sibling files by name)."""
    return ref.rsplit("/", 1)[-1].removesuffix(".json")


def foreign_key(child: str, parent: str) -> str | None:
    """The column that links a ``child`` row nested in a ``parent`` object back to it, if any.

    HSDS's tabular form turns nesting into ``<parent>_id`` columns; attributes use the generic
    ``link_id`` instead, since they can hang off any object.
    """
    if child == "attribute":
        return "link_id"
    column = f"{parent}_id"
    return column if column in kind(child).properties else None


@cache
def collections() -> dict[str, str]:
    """A JSON file's name (without ``.json``) -> the object its items are, for folders of collections.

    The API's collection names (``services``, ``taxonomy_terms``, ``service_at_locations``), the
    CSV file names, the object names and upstream's ``<object>_list`` example files all count.
    """
    found: dict[str, str] = {}
    for name in KINDS:
        stem = kind(name).csv_file.removesuffix(".csv")
        for alias in (name, stem, f"{name}s", f"{name}_list", f"{stem}_list"):
            found.setdefault(alias, name)
    found["taxonomies"] = "taxonomy"
    return found
