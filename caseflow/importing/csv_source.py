"""A CSV export: rows grouped into people by the mapping's ``person`` columns, each person's
client record from their rows, other documents one per row; problems at ``file.csv:ROW:COL``
(the spreadsheet's row: the header is row 1)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
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


def plan_csv(
    repo: Session,
    actor: Staff,
    mapping: ImportMapping,
    name: str,
    raw: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """The clients a CSV export makes: rows grouped into people by ``person``'s columns."""
    plan = Plan(name, "csv")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        plan.problems.append(Problem(name, line, 1, "is not UTF-8 text (save the spreadsheet as CSV UTF-8)"))
        return plan
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        table = list(reader)
    except csv.Error as exc:
        plan.problems.append(Problem(name, reader.line_num, 1, f"is not readable CSV ({exc})"))
        return plan
    if not table:
        plan.problems.append(Problem(name, 1, 1, "is empty: the first row names the columns"))
        return plan
    header = [h.strip() for h in table[0]]
    columns = {h: i for i, h in enumerate(header)}
    for index, heading in enumerate(header):
        if not heading:
            plan.problems.append(Problem(name, 1, index + 1, f"column {index + 1} has no name in the first row"))
        elif header.index(heading) != index:
            plan.problems.append(Problem(name, 1, index + 1, f"a second column named '{heading}'"))
    document = mapping.document
    assert document is not None
    used: set[str] = set()  # the person columns too are kept, unless a rule maps them
    for entry in mapping.csv:
        used |= entry.sources
        for rule in entry.rules:
            if rule.source not in columns:
                at = (*entry.where, "fields", rule.target)
                plan.problems.append(
                    Problem(mapping.path, *document.locate(at), f"{name} has no column '{rule.source}'")
                )
        for option in ("when", "body"):
            column = getattr(entry, option)
            if column and column not in columns:
                at = (*entry.where, option)
                plan.problems.append(Problem(mapping.path, *document.locate(at), f"{name} has no column '{column}'"))
    for column in mapping.person:
        if column not in columns:
            plan.problems.append(
                Problem(mapping.path, *document.locate(("person",)), f"{name} has no column '{column}'")
            )
    if plan.problems:
        return plan
    unmapped = [h for h in header if h not in used]
    client_entry = mapping.client_entry(mapping.csv)
    assert client_entry is not None
    if unmapped and mapping.keep_unmapped and EXTRA not in (client_entry.form.schema.get("properties") or {}):
        why = (
            f"{client_entry.form.id} has no `extra` map for the columns no rule names; map them or say `unmapped: drop`"
        )
        plan.problems.append(Problem(mapping.path, *document.locate(client_entry.where), why))
        return plan

    people: dict[Any, list[tuple[int, list[str]]]] = {}
    for number, row in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line between records
        if len(row) != len(header):
            plan.problems.append(
                Problem(name, number, 1, f"row {number} has {len(row)} cells; the header has {len(header)}")
            )
            continue
        person: tuple[str, ...] | int
        if mapping.person:
            values = tuple(row[columns[c]].strip() for c in mapping.person)
            person = values
            missing = next((c for c, v in zip(mapping.person, values, strict=True) if not v), None)
            if missing is not None:
                where = (name, number, columns[missing] + 1)
                plan.problems.append(
                    Problem(*where, f"row {number}, column '{missing}': empty, and it names the person")
                )
                continue
        else:
            person = number
        people.setdefault(person, []).append((number, row))

    ids = NewIds(repo)
    total = len(people)
    for done, rows in enumerate(people.values(), start=1):
        plan.clients.append(_csv_person(repo, actor, mapping, name, header, unmapped, rows, ids.new()))
        if progress is not None:
            progress(done, total)
    return finish(repo, plan)


def _csv_person(
    repo: Session,
    actor: Staff,
    mapping: ImportMapping,
    name: str,
    header: list[str],
    unmapped: list[str],
    rows: list[tuple[int, list[str]]],
    client_id: str,
) -> PlannedClient:
    columns = {h: i for i, h in enumerate(header)}
    numbers = [n for n, _ in rows]
    origin = f"{name} row {numbers[0]}" if len(numbers) == 1 else f"{name} rows {', '.join(map(str, numbers))}"
    first_col = columns[mapping.person[0]] + 1 if mapping.person else 1
    client = PlannedClient(client_id, origin, (name, numbers[0], first_col, f"row {numbers[0]}"))
    base = f"clients/{client_id}"

    def where(number: int, column: str) -> tuple[str, int, int, str]:
        return (name, number, columns[column] + 1, f"row {number}, column '{column}'")

    for entry in mapping.csv:
        if entry.form.id == "core.client":
            values: dict[tuple[str, ...], tuple[Any, tuple[str, int, int, str]]] = {}
            unconverted = False
            for rule in entry.rules:
                for number, row in rows:
                    raw = row[columns[rule.source]].strip()
                    if not raw:
                        continue
                    value, why = converted(entry.form, rule, raw)
                    if why:
                        client.problems.append(located(where(number, rule.source), why))
                        unconverted = True
                    elif rule.path in values and values[rule.path][0] != value:
                        earlier = values[rule.path][1][1]
                        message = f"differs from row {earlier}'s for the same person"
                        client.problems.append(located(where(number, rule.source), message))
                    elif rule.path not in values:
                        values[rule.path] = (value, where(number, rule.source))
            names = list(dict.fromkeys(path[0] for path in values))
            document = client_skeleton(repo, actor, client_id, mapping.worker, f"{base}/client.yaml", names)
            planned = Planned(document, entry.form, origin, sources={(): client.where}, unconverted=unconverted)
            for key, default in entry.defaults.items():
                set_field(document, tuple(key.split(".")), default)
            for path, (value, source) in values.items():
                set_field(document, path, value)
                planned.sources[path] = source
            extra: dict[str, Any] = {}
            for column in unmapped:
                seen = list(dict.fromkeys(row[columns[column]].strip() for _, row in rows))
                seen = [v for v in seen if v]
                if not seen:
                    continue
                if mapping.keep_unmapped:
                    extra[column] = seen[0] if len(seen) == 1 else seen
                    client.extra.append(column)
                else:
                    client.dropped.append(column)
            if extra:
                set_field(document, (EXTRA,), new_mapping(extra))
                planned.sources[(EXTRA,)] = client.where
            client.documents.insert(0, planned)
            continue
        for number, row in rows:
            if entry.when and not row[columns[entry.when]].strip():
                continue
            made = _csv_document(client, entry, name, number, row, columns, where)
            if made is not None:
                client.documents.append(made)
    return client


def _csv_document(
    client: PlannedClient,
    entry: Entry,
    name: str,
    number: int,
    row: list[str],
    columns: Mapping[str, int],
    where: Callable[[int, str], tuple[str, int, int, str]],
) -> Planned | None:
    client_id = client.client_id
    form = entry.form
    text = f"form: {form.id}\n"
    if form.kind == "markdown":
        text = f"---\n{text}---\n"
    document = parse_new_document(f"clients/{client_id}/{form.path}", text)
    planned = Planned(document, form, f"{name} row {number}", sources={(): (name, number, 1, f"row {number}")})
    problems: list[Problem] = []
    if CLIENT_FIELD in (form.schema.get("properties") or {}):
        set_field(document, (CLIENT_FIELD,), client_id)
    for key, default in entry.defaults.items():
        set_field(document, tuple(key.split(".")), default)
    for rule in entry.rules:
        raw = row[columns[rule.source]].strip()
        if not raw:
            continue
        value, why = converted(form, rule, raw)
        if why:
            problems.append(located(where(number, rule.source), why))
            continue
        set_field(document, rule.path, value)
        planned.sources[rule.path] = where(number, rule.source)
    if entry.body:
        body = row[columns[entry.body]].replace("\r\n", "\n").strip()
        document.body = f"\n{body}\n" if body else ""
    client.problems.extend(problems)
    return None if problems else planned
