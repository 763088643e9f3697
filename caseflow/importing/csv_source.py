"""A CSV export: rows grouped into people by the mapping's ``person`` columns, each person's
client record from their rows, other documents one per row; problems at ``file.csv:ROW:COL``
(the spreadsheet's row: the header is row 1).

An entry may read another file of the same export (``file: contacts.csv``, beside the main one):
its rows join the people of the main file by the ``person`` columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caseflow.core.documents import new_document as parse_new_document
from caseflow.core.documents import new_mapping
from caseflow.errors import Problem
from caseflow.importing.mapping import CLIENT_FIELD, Entry, ImportMapping
from caseflow.importing.plan import (
    EXTRA,
    NewIds,
    Plan,
    Planned,
    PlannedClient,
    client_skeleton,
    converted,
    finish,
    located,
    set_field,
)

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.session import Session

Where = tuple[str, int, int, str]
Rows = list[tuple[int, list[str]]]


@dataclass
class _Table:
    """One CSV file: its columns and its rows (numbered as a spreadsheet numbers them)."""

    name: str
    header: list[str]
    rows: Rows
    columns: dict[str, int] = field(init=False)
    #: Columns no rule of an entry reading this file names (kept in `extra`, or dropped).
    unmapped: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.columns = {h: i for i, h in enumerate(self.header)}

    def where(self, number: int, column: str) -> Where:
        return (self.name, number, self.columns[column] + 1, f"row {number}, column '{column}'")


def plan_csv(
    repo: Session,
    actor: Staff,
    mapping: ImportMapping,
    name: str,
    raw: bytes,
    progress: Callable[[int, int], None] | None = None,
    others: Mapping[str, bytes] | None = None,
) -> Plan:
    """The clients a CSV export makes: rows grouped into people by ``person``'s columns.
    ``others``: the other files the mapping's entries read (``file:``), by name."""
    plan = Plan(name, "csv")
    document = mapping.document
    assert document is not None
    tables: dict[str, _Table] = {}
    for table_name, data in [(name, raw), *sorted((others or {}).items())]:
        table = _read(plan, table_name, data)
        if table is not None:
            tables[table_name] = table
    for entry in mapping.csv:
        if entry.file and entry.file not in tables and entry.file not in (others or {}):
            at = (*entry.where, "file")
            plan.problems.append(Problem(mapping.path, *document.locate(at), f"there is no file {entry.file} to read"))
    if plan.problems:
        return plan
    if len(tables) > 1 and not mapping.person:
        why = "`person` must name the column(s) that join the rows of the export's files"
        plan.problems.append(Problem(mapping.path, 1, 1, why))
    for entry in mapping.csv:
        table = tables[entry.file or name]
        for rule in entry.rules:
            if rule.source not in table.columns:
                at = (*entry.where, "fields", rule.target)
                why = f"{table.name} has no column '{rule.source}'"
                plan.problems.append(Problem(mapping.path, *document.locate(at), why))
        for option in ("when", "body"):
            column = getattr(entry, option)
            if column and column not in table.columns:
                at = (*entry.where, option)
                why = f"{table.name} has no column '{column}'"
                plan.problems.append(Problem(mapping.path, *document.locate(at), why))
    for table in tables.values():
        for column in mapping.person:
            if column not in table.columns:
                why = f"{table.name} has no column '{column}'"
                plan.problems.append(Problem(mapping.path, *document.locate(("person",)), why))
    if plan.problems:
        return plan
    _unmapped(plan, mapping, tables, name)
    if plan.problems:
        return plan

    people: dict[Any, dict[str, Rows]] = {}
    for table in tables.values():
        main = table.name == name
        for number, row in table.rows:
            person: tuple[str, ...] | int
            if mapping.person:
                values = tuple(row[table.columns[c]].strip() for c in mapping.person)
                person = values
                missing = next((c for c, v in zip(mapping.person, values, strict=True) if not v), None)
                if missing is not None:
                    where = table.where(number, missing)
                    plan.problems.append(located(where, "empty, and it names the person"))
                    continue
            else:
                person = number
            if not main and person not in people:
                why = f"names no person of {name} (by {', '.join(mapping.person)})"
                plan.problems.append(located(table.where(number, mapping.person[0]), why))
                continue
            people.setdefault(person, {}).setdefault(table.name, []).append((number, row))

    ids = NewIds(repo)
    total = len(people)
    for done, rows in enumerate(people.values(), start=1):
        plan.clients.append(_csv_person(repo, actor, mapping, tables, name, rows, ids.new()))
        if progress is not None:
            progress(done, total)
    return finish(repo, plan)


def _read(plan: Plan, name: str, raw: bytes) -> _Table | None:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        plan.problems.append(Problem(name, line, 1, "is not UTF-8 text (save the spreadsheet as CSV UTF-8)"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        lines = list(reader)
    except csv.Error as exc:
        plan.problems.append(Problem(name, reader.line_num, 1, f"is not readable CSV ({exc})"))
        return None
    if not lines:
        plan.problems.append(Problem(name, 1, 1, "is empty: the first row names the columns"))
        return None
    header = [h.strip() for h in lines[0]]
    for index, heading in enumerate(header):
        if not heading:
            plan.problems.append(Problem(name, 1, index + 1, f"column {index + 1} has no name in the first row"))
        elif header.index(heading) != index:
            plan.problems.append(Problem(name, 1, index + 1, f"a second column named '{heading}'"))
    rows: Rows = []
    for number, row in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line between records
        if len(row) != len(header):
            why = f"row {number} has {len(row)} cells; the header has {len(header)}"
            plan.problems.append(Problem(name, number, 1, why))
            continue
        rows.append((number, row))
    return _Table(name, header, rows)


def _unmapped(plan: Plan, mapping: ImportMapping, tables: Mapping[str, _Table], name: str) -> None:
    """Each file's columns no rule names: the main file's go to the client record's `extra`,
    another file's to the `extra` of the documents its rows make (its person columns are the
    main file's, kept there)."""
    document = mapping.document
    assert document is not None
    for table in tables.values():
        readers = [e for e in mapping.csv if (e.file or name) == table.name]
        used = set().union(*(e.sources for e in readers))
        if table.name != name:
            used |= set(mapping.person)
        table.unmapped = [h for h in table.header if h not in used]
        if not table.unmapped or not mapping.keep_unmapped:
            continue
        keepers = [e for e in readers if e.form.id == "core.client"] if table.name == name else readers
        for entry in keepers:
            if EXTRA not in (entry.form.schema.get("properties") or {}):
                why = f"{entry.form.id} has no `extra` map for the columns of {table.name} no rule names"
                plan.problems.append(
                    Problem(mapping.path, *document.locate(entry.where), why + "; say `unmapped: drop`")
                )


def _csv_person(
    repo: Session,
    actor: Staff,
    mapping: ImportMapping,
    tables: Mapping[str, _Table],
    name: str,
    rows_of: Mapping[str, Rows],
    client_id: str,
) -> PlannedClient:
    main = tables[name]
    rows = rows_of.get(name, [])
    numbers = [n for n, _ in rows]
    origin = f"{name} row {numbers[0]}" if len(numbers) == 1 else f"{name} rows {', '.join(map(str, numbers))}"
    first_col = main.columns[mapping.person[0]] + 1 if mapping.person else 1
    client = PlannedClient(client_id, origin, (name, numbers[0], first_col, f"row {numbers[0]}"))
    for entry in mapping.csv:
        if entry.form.id == "core.client":
            client.documents.insert(0, _client_record(repo, actor, mapping, client, entry, main, rows))
            continue
        table = tables[entry.file or name]
        for number, row in rows_of.get(table.name, []):
            if entry.when and not row[table.columns[entry.when]].strip():
                continue
            unmapped = table.unmapped if table.name != name else []  # the main file's: in the client record
            made = _csv_document(client, entry, table, number, row, unmapped, mapping.keep_unmapped)
            if made is not None:
                client.documents.append(made)
    return client


def _client_record(
    repo: Session,
    actor: Staff,
    mapping: ImportMapping,
    client: PlannedClient,
    entry: Entry,
    table: _Table,
    rows: Rows,
) -> Planned:
    """The client record from a person's rows: a value given twice must be the same."""
    values: dict[tuple[str, ...], tuple[Any, Where]] = {}
    unconverted = False
    for rule in entry.rules:
        for number, row in rows:
            raw = row[table.columns[rule.source]].strip()
            if not raw:
                continue
            value, why = converted(entry.form, rule, raw)
            if why:
                client.problems.append(located(table.where(number, rule.source), why))
                unconverted = True
            elif rule.path in values and values[rule.path][0] != value:
                message = f"differs from row {values[rule.path][1][1]}'s for the same person"
                client.problems.append(located(table.where(number, rule.source), message))
            elif rule.path not in values:
                values[rule.path] = (value, table.where(number, rule.source))
    names = list(dict.fromkeys(path[0] for path in values))
    path = f"clients/{client.client_id}/client.yaml"
    document = client_skeleton(repo, actor, client.client_id, mapping.worker, path, names)
    planned = Planned(document, entry.form, client.origin, sources={(): client.where}, unconverted=unconverted)
    for key, default in entry.defaults.items():
        set_field(document, tuple(key.split(".")), default)
    for field_path, (value, source) in values.items():
        set_field(document, field_path, value)
        planned.sources[field_path] = source
    extra: dict[str, Any] = {}
    for column in table.unmapped:
        seen = [v for v in dict.fromkeys(row[table.columns[column]].strip() for _, row in rows) if v]
        if not seen:
            continue
        if mapping.keep_unmapped:
            extra[column] = seen[0] if len(seen) == 1 else seen  # a person's different values, in row order
            client.extra.append(column)
        else:
            client.dropped.append(column)
    if extra:
        set_field(document, (EXTRA,), new_mapping(extra))
        planned.sources[(EXTRA,)] = client.where
    return planned


def _csv_document(
    client: PlannedClient, entry: Entry, table: _Table, number: int, row: list[str], unmapped: list[str], keep: bool
) -> Planned | None:
    """One document from one row; the row's ``unmapped`` columns in its `extra` (``keep``), or listed."""
    form = entry.form
    text = f"form: {form.id}\n"
    if form.kind == "markdown":
        text = f"---\n{text}---\n"
    document = parse_new_document(f"clients/{client.client_id}/{form.path}", text)
    origin = f"{table.name} row {number}"
    planned = Planned(document, form, origin, sources={(): (table.name, number, 1, f"row {number}")})
    problems: list[Problem] = []
    if CLIENT_FIELD in (form.schema.get("properties") or {}):
        set_field(document, (CLIENT_FIELD,), client.client_id)
    for key, default in entry.defaults.items():
        set_field(document, tuple(key.split(".")), default)
    for rule in entry.rules:
        raw = row[table.columns[rule.source]].strip()
        if not raw:
            continue
        value, why = converted(form, rule, raw)
        if why:
            problems.append(located(table.where(number, rule.source), why))
            continue
        set_field(document, rule.path, value)
        planned.sources[rule.path] = table.where(number, rule.source)
    if entry.body:
        body = row[table.columns[entry.body]].replace("\r\n", "\n").strip()
        document.body = f"\n{body}\n" if body else ""
    extra = {c: row[table.columns[c]].strip() for c in unmapped if row[table.columns[c]].strip()}
    if extra and keep:
        set_field(document, (EXTRA,), new_mapping(extra))
        planned.sources[(EXTRA,)] = planned.sources[()]
        client.extra.extend(f"{origin}: {c}" for c in extra)
    elif extra:
        client.dropped.extend(f"{origin}: {c}" for c in extra)
    client.problems.extend(problems)
    return None if problems else planned
