"""Recognizing an HSDS source and flattening it into :class:`~caseflow_hsds.tables.Tables`.

Accepted: a ``.json`` file holding an organization (services nested), a service (organization
nested), a list of either, an API ``Page`` (``{"contents": [...]}``) of either, or the "tabular"
JSON form (one array of rows per CSV file name); and a CSV Tabular Data Package, given as its
folder or its ``datapackage.json``. Anything else is not HSDS, and :func:`read` returns None so
that another plugin may read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from caseflow import CaseflowError
from caseflow_hsds import csv_package, schemas
from caseflow_hsds.schemas import KINDS, REQUIRED_TABLES
from caseflow_hsds.tables import Read, Tables
from caseflow_hsds.text import load_json

# Fields only an organization has (a minimal organization and a taxonomy both have just id, name
# and description, so a document is taken for an organization only when one of these is there).
ORGANIZATION_MARKERS = frozenset(
    {
        "services",
        "website",
        "tax_status",
        "tax_id",
        "year_incorporated",
        "legal_status",
        "logo",
        "parent_organization_id",
        "organization_identifiers",
        "programs",
        "locations",
    }
)
# Fields only a service has; ``status`` is required, so any real service carries it.
SERVICE_MARKERS = frozenset(
    {"status", "service_at_locations", "eligibility_description", "interpretation_services", "application_process"}
)

Pointer = tuple[str | int, ...]  # a JSON-pointer-like path inside a document


def read(source: Path) -> Read | None:
    """The flat records of ``source``, or None when it is not HSDS."""
    if source.is_dir():
        descriptor = source / csv_package.DESCRIPTOR
        if not descriptor.is_file():
            return read_collections(source)
        return csv_package.read_package(source, load_json(descriptor, descriptor.name), descriptor.name)
    if source.suffix.lower() != ".json" or not source.is_file():
        return None
    document = load_json(source, source.name)
    if csv_package.is_descriptor(document):
        # The path of a datapackage.json: its CSV files are beside it, so name them relative to its folder.
        return csv_package.read_package(source.parent, document, source.name)
    # Alone, a file is a directory only when it holds services or organizations (a file of
    # taxonomy terms or locations is part of one, read with its folder).
    collection = _collection(source)
    tables = read_document(document, source.name, collection if collection in REQUIRED_TABLES else None)
    return None if tables is None else Read(tables, (Path(source.name),))


def read_collections(folder: Path) -> Read | None:
    """A folder of the API's collections as JSON files (services.json, taxonomy_terms.json...).

    It is a directory when one of its files is a collection of services or organizations; every
    ``.json`` file in it is then read into the same tables (and kept by an import).
    """
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".json" and p.is_file() and not p.is_symlink())
    if not any(_collection(p) in REQUIRED_TABLES for p in files):
        return None
    tables = Tables()
    read: list[Path] = []
    for file in files:
        if read_document(load_json(file, file.name), file.name, _collection(file), tables) is None:
            tables.problems.append(f"{file.name}: not an HSDS collection, organization or service; not read")
        read.append(Path(file.name))
    return Read(tables, tuple(read))


def _collection(file: Path) -> str | None:
    """The object a file's name says it holds a collection of (``taxonomy_terms.json``), if any."""
    return schemas.collections().get(file.stem.lower())


def read_document(
    document: Any, name: str, collection: str | None = None, tables: Tables | None = None
) -> Tables | None:
    """Flatten one parsed JSON document, or None when it is no HSDS shape we read.

    ``collection`` is the object the file's name says its items are (``taxonomy_terms.json``);
    without it, items are recognized as organizations or services by their fields.
    """
    tables = Tables() if tables is None else tables
    if isinstance(document, dict) and any(schemas.kind(k).csv_file in document for k in REQUIRED_TABLES):
        _read_tabular(document, name, tables)
    elif collection is not None and isinstance(document, (list, dict)) and _is_listing(document):
        items = document if isinstance(document, list) else document["contents"]
        path: Pointer = () if isinstance(document, list) else ("contents",)
        for index, item in enumerate(items):
            if isinstance(item, dict):
                flatten(item, collection, name, (*path, index), None, tables)
            else:
                tables.problems.append(f"{where(name, (*path, index))}: {collection}: not a JSON object")
        _note_pages(document, name, tables)
    elif collection is not None and isinstance(document, dict) and collection not in REQUIRED_TABLES:
        flatten(document, collection, name, (), None, tables)  # one object of that collection
    elif isinstance(document, dict) and isinstance(document.get("contents"), list):
        contents = document["contents"]
        if not _read_items(contents, name, ("contents",), tables) and (contents or "total_items" not in document):
            return None  # an empty API page is still one; an empty list of anything is not
        _note_pages(document, name, tables)
    elif isinstance(document, list):
        if not _read_items(document, name, (), tables):
            return None
    elif isinstance(document, dict) and (kind := classify(document)):
        flatten(document, kind, name, (), None, tables)
    else:
        return None
    return tables


def _is_listing(document: Any) -> bool:
    return isinstance(document, list) or (isinstance(document, dict) and isinstance(document.get("contents"), list))


def _note_pages(document: Any, name: str, tables: Tables) -> None:
    pages = document.get("total_pages") if isinstance(document, dict) else None
    if isinstance(pages, int) and not isinstance(pages, bool) and pages > 1:
        tables.problems.append(
            f"{name}: total_pages: {pages}; this file holds one page of the listing, the others are not read"
        )


def classify(item: dict[str, Any]) -> str | None:
    """``"organization"``, ``"service"`` or None for a top-level JSON object."""
    if "location_type" in item or "service" in item:
        return None  # a location, or a service_at_location
    if "services" in item:
        return "organization"
    if SERVICE_MARKERS & item.keys() or isinstance(item.get("organization"), dict):
        return "service"
    if ORGANIZATION_MARKERS & item.keys():
        return "organization"
    return None


def where(name: str, path: Pointer) -> str:
    """``organization_list.json:contents/0/services/2`` (just the file name for the whole document)."""
    return f"{name}:{'/'.join(map(str, path))}" if path else name


def _read_items(items: Sequence[Any], name: str, path: Pointer, tables: Tables) -> bool:
    """Flatten a list of organizations and/or services; False when none of them is one."""
    kinds = [classify(item) if isinstance(item, dict) else None for item in items]
    if not any(kinds):
        return False
    for index, (item, kind) in enumerate(zip(items, kinds, strict=True)):
        if kind is None:
            tables.problems.append(f"{where(name, (*path, index))}: not an HSDS organization or service")
        else:
            flatten(item, kind, name, (*path, index), None, tables)
    return True


def flatten(
    item: dict[str, Any], kind: str, name: str, path: Pointer, parent: tuple[str, Any] | None, tables: Tables
) -> None:
    """Add ``item`` as a flat row, and every directory object nested in it as rows of their own.

    A nested array becomes rows linked back by ``<parent>_id`` (``link_id`` for attributes); a
    single nested object (a service's organization, an attribute's taxonomy term) is linked from
    this row by ``<kind>_id``. ``null`` counts as absent, as an empty CSV cell does.
    """
    spec = schemas.kind(kind)
    data = {key: value for key, value in item.items() if key not in spec.nested and value is not None}
    if parent is not None:
        column = schemas.foreign_key(kind, parent[0])
        if column and isinstance(parent[1], str) and column not in data:
            data[column] = parent[1]
    children: list[tuple[str, schemas.Nested, Any]] = []
    for prop, nested in spec.nested.items():
        value = item.get(prop)
        if value is None or nested.kind not in KINDS:
            continue
        children.append((prop, nested, value))
        column = f"{nested.kind}_id"
        single = not nested.many and isinstance(value, dict) and isinstance(value.get("id"), str)
        if single and column in spec.properties and column not in data:
            data[column] = value["id"]
    row = tables.add(kind, where(name, path), data, repeats=True)
    for prop, nested, value in children:
        here = (*path, prop)
        if nested.many and isinstance(value, list):
            for index, child in enumerate(value):
                if isinstance(child, dict):
                    flatten(child, nested.kind, name, (*here, index), (kind, data.get("id")), tables)
                else:
                    tables.problems.append(f"{where(name, (*here, index))}: {nested.kind}: not a JSON object")
        elif not nested.many and isinstance(value, dict):
            flatten(value, nested.kind, name, here, None, tables)
        else:
            expected = f"an array of {nested.kind} objects" if nested.many else f"a {nested.kind} object"
            tables.problems.append(f"{row.label()}: {prop}: not {expected}")


def _read_tabular(document: dict[str, Any], name: str, tables: Tables) -> None:
    """The tabular JSON form: each CSV file name holds that table's rows, already typed."""
    for kind in KINDS:
        spec = schemas.kind(kind)
        rows = document.get(spec.csv_file)
        if rows is None and kind not in REQUIRED_TABLES:
            continue
        if not isinstance(rows, list):
            found = "missing" if rows is None else "not an array of rows"
            raise CaseflowError(f"{name}: {spec.csv_file}: {found} (an HSDS directory needs it)")
        for index, row in enumerate(rows):
            here = where(name, (spec.csv_file, index))
            if not isinstance(row, dict):
                tables.problems.append(f"{here}: {kind}: not a JSON object")
                continue
            data = {key: value for key, value in row.items() if key not in spec.nested and value is not None}
            tables.add(kind, here, data, repeats=False)
