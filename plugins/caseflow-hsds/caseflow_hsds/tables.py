"""The flat tables both serializations are normalized into before validation.

One :class:`Row` per record, keyed by kind and id, in the order the records were first met. Nested
JSON repeats the same record wherever it applies (the upstream example nests one phone under the
organization, the service, the location and a contact); those repeats are merged into one row, so
each record is validated and reported once, exactly as its single CSV row would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caseflow_hsds.schemas import KINDS


def is_link(column: str) -> bool:
    """Whether ``column`` refers to another record (``service_id``, ``link_id``...)."""
    return column.endswith("_id") and column != "id"


@dataclass
class Row:
    """One flat record: where it was found (``services.csv:4``, ``x.json:contents/0``), and its fields."""

    kind: str
    where: str
    data: dict[str, Any]
    # Link values beyond the one in ``data`` that repeats of this record carried: the same
    # language id nested under two services links to both, although a flat row holds only one.
    more_links: dict[str, list[str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        value = self.data.get("id")
        return value if isinstance(value, str) and value else "(no id)"

    def links(self, column: str) -> list[str]:
        """Every record id this row refers to through ``column``."""
        first = self.data.get(column)
        found = [first] if isinstance(first, str) and first else []
        return found + self.more_links.get(column, [])

    def label(self) -> str:
        """``services.csv:4: service 0d3c…`` — the start of every line reported about this row."""
        return f"{self.where}: {self.kind} {self.id}"


@dataclass
class Tables:
    """Rows by kind and id, plus one line per thing that could not even become a row."""

    rows: dict[str, dict[str, Row]] = field(default_factory=lambda: {k: {} for k in KINDS})
    problems: list[str] = field(default_factory=list)

    def add(self, kind: str, where: str, data: dict[str, Any], *, repeats: bool) -> Row:
        """Add a record; ``repeats`` says whether meeting its id again is normal (nested JSON).

        In a table (CSV, tabular JSON) an id must be unique, so a second row with it is reported
        and dropped. In nested JSON a repeat adds what the earlier copy lacked; a field that
        disagrees with the earlier copy is reported, and the earlier value kept.
        """
        table = self.rows[kind]
        record_id = data.get("id")
        key = record_id if isinstance(record_id, str) and record_id else f"\0{where}"
        row = table.get(key)
        if row is None:
            row = table[key] = Row(kind, where, data)
            return row
        if not repeats:
            self.problems.append(f"{where}: {kind} {key}: id: duplicate id, the row at {row.where} is kept")
            return row
        conflicts = []
        for column, value in data.items():
            if column not in row.data:
                row.data[column] = value
            elif row.data[column] == value:
                continue
            elif is_link(column) and isinstance(value, str):
                extra = row.more_links.setdefault(column, [])
                if value not in extra:
                    extra.append(value)
            else:
                conflicts.append(column)
        if conflicts:
            self.problems.append(
                f"{where}: {kind} {key}: {', '.join(conflicts)}: differs from the copy at {row.where}, which is kept"
            )
        return row


@dataclass(frozen=True)
class Read:
    """A recognized source: its records, the files read, and its title if it has one."""

    tables: Tables
    files: tuple[Path, ...]
    title: str | None = None
