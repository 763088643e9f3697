"""The CSV serialization: a Frictionless Tabular Data Package of one CSV file per HSDS object.

Read with the standard library's ``csv`` module. Every cell is a string; an empty cell means the
field is absent, and a cell whose schema property is a number or boolean is converted to one (a
cell that does not convert stays a string, so validation reports it with its field).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path, PurePosixPath
from typing import Any

from caseflow import CaseflowError
from caseflow_hsds import schemas
from caseflow_hsds.schemas import KINDS, REQUIRED_TABLES
from caseflow_hsds.tables import Read, Tables
from caseflow_hsds.text import decode_utf8, read_bytes

DESCRIPTOR = "datapackage.json"

NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
INTEGER = re.compile(r"[+-]?\d+")
# Frictionless's default true/false values for boolean fields.
TRUE = frozenset({"true", "True", "TRUE", "1"})
FALSE = frozenset({"false", "False", "FALSE", "0"})


def is_descriptor(document: Any) -> bool:
    """Whether a parsed JSON document is a data package descriptor (of any kind)."""
    return isinstance(document, dict) and isinstance(document.get("resources"), list)


def is_hsds_package(descriptor: Any) -> bool:
    """A descriptor listing an HSDS services or organizations table (by resource name or file)."""
    if not is_descriptor(descriptor):
        return False
    wanted = {name for name in REQUIRED_TABLES} | {schemas.kind(name).csv_file for name in REQUIRED_TABLES}
    return any(
        isinstance(resource, dict) and (resource.get("name") in wanted or resource.get("path") in wanted)
        for resource in descriptor["resources"]
    )


def read_package(folder: Path, descriptor: Any, descriptor_name: str) -> Read | None:
    """Read the tables a directory needs from the package in ``folder``; None if it is not HSDS.

    A table's file is the one its resource names (resource ``name`` = the HSDS object), else
    HSDS's own file name. services.csv and organizations.csv must exist; other tables are
    optional, and only files actually read are listed in ``files`` (relative to ``folder``).
    """
    if not is_hsds_package(descriptor):
        return None
    named = _resource_paths(descriptor, descriptor_name)
    tables = Tables()
    files = [Path(descriptor_name)]
    for kind in KINDS:
        rel = named.get(kind, schemas.kind(kind).csv_file)
        file = folder / rel
        if not file.resolve().is_relative_to(folder.resolve()):
            raise CaseflowError(f"{descriptor_name}: {rel}: links outside the package folder")
        if not file.is_file():
            if kind in REQUIRED_TABLES:
                raise CaseflowError(f"{descriptor_name}: {rel} is missing (an HSDS directory needs its {kind} table)")
            continue
        read_table(file, rel, kind, tables)
        files.append(Path(rel))
    title = descriptor.get("title")
    return Read(tables, tuple(files), title.strip() if isinstance(title, str) and title.strip() else None)


def _resource_paths(descriptor: dict[str, Any], descriptor_name: str) -> dict[str, str]:
    """Object name -> the file its resource names, refusing paths that leave the package."""
    found: dict[str, str] = {}
    for resource in descriptor["resources"]:
        if not isinstance(resource, dict) or resource.get("name") not in KINDS:
            continue
        name, path = resource["name"], resource.get("path")
        posix = PurePosixPath(path) if isinstance(path, str) else None
        if posix is None or posix.is_absolute() or ".." in posix.parts or "://" in str(path) or "\\" in str(path):
            raise CaseflowError(f"{descriptor_name}: resource '{name}': path must be a file inside the package")
        found.setdefault(name, posix.as_posix())
    return found


def read_table(file: Path, rel: str, kind: str, tables: Tables) -> None:
    """Add each row of one CSV file; rows are located by the line they start on."""
    spec = schemas.kind(kind)
    text = decode_utf8(read_bytes(file, rel), rel)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise CaseflowError(f"{rel}:1: no header row")
        if "id" not in header:
            raise CaseflowError(f"{rel}:{reader.line_num}: no 'id' column")
        if duplicated := next((column for column in header if header.count(column) > 1), None):
            raise CaseflowError(f"{rel}:{reader.line_num}: column '{duplicated}' appears twice")
        id_index = header.index("id")
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num  # a quoted cell may span lines: report the first
            if not any(cells):
                continue  # a blank line
            here = f"{rel}:{start}"
            if len(cells) != len(header):
                row_id = cells[id_index] if len(cells) > id_index and cells[id_index] else "(no id)"
                tables.problems.append(f"{here}: {kind} {row_id}: has {len(cells)} cells, the header {len(header)}")
                continue
            data = {
                column: convert(cell, spec.types.get(column))
                for column, cell in zip(header, cells, strict=True)
                if cell != "" and column not in spec.nested
            }
            tables.add(kind, here, data, repeats=False)
    except csv.Error as exc:
        raise CaseflowError(f"{rel}:{reader.line_num}: not readable as CSV: {exc}") from None


def convert(cell: str, json_type: str | None) -> Any:
    """A CSV cell as the JSON type its schema property declares, or unchanged if it is not one."""
    if json_type == "number":
        text = cell.strip()
        if INTEGER.fullmatch(text):
            return int(text)
        if NUMBER.fullmatch(text):
            return float(text)
    elif json_type == "integer":
        text = cell.strip()
        if INTEGER.fullmatch(text):
            return int(text)
    elif json_type == "boolean":
        text = cell.strip()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
    return cell
