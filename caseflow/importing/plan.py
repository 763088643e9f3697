"""From an agency's records to new clients and their documents, each checked, nothing written.

A :class:`Plan` holds, per person, the documents the mapping makes (round-trip documents, ready to
commit), where each came from, the fields kept in ``extra`` or dropped, and every problem located
in the agency's own source: ``file.csv:ROW:COL`` (the spreadsheet's row, header = row 1) or the
YAML/Markdown file's ``file:line:col``.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core.documents import (
    CommentedMap,
    Document,
    add_field,
    load_document,
    new_mapping,
    own_comment,
    put_comment,
    rename_field,
    styled_like,
    to_plain,
)
from caseflow.core.documents import new_document as parse_new_document
from caseflow.core.editing import coerce
from caseflow.core.forms import Form, subschema
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import DocumentError, Problem
from caseflow.importing.mapping import CLIENT_FIELD, MANAGED_FIELDS, Entry, ImportMapping, Rule
from caseflow.records import actions

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.session import Session

EXTRA = "extra"
_HIDDEN = re.compile(r"(^|/)[.~]|~$")


@dataclass
class Planned:
    """One document an import would create."""

    document: Document
    form: Form
    origin: str  # where it came from: "clients.csv row 4", "a-folder/profile.yaml"
    kept_as_is: bool = False
    #: A value of it could not be converted (already reported): validating it would only say so again.
    unconverted: bool = False
    #: caseflow field path -> where its value came from (file, line, col, label)
    sources: dict[tuple[str, ...], tuple[str, int, int, str]] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.document.path


@dataclass
class PlannedClient:
    client_id: str
    origin: str
    where: tuple[str, int, int, str]  # the record naming the person
    documents: list[Planned] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # their fields kept in `extra`
    dropped: list[str] = field(default_factory=list)  # their fields left out (unmapped: drop)
    problems: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "client": self.client_id,
            "from": self.origin,
            "documents": [
                {"path": d.path, "form": d.form.id, "from": d.origin, "kept_as_is": d.kept_as_is}
                for d in self.documents
            ],
            "extra": self.extra,
            "dropped": self.dropped,
            "problems": [p.as_json() for p in self.problems],
        }


@dataclass
class Plan:
    source: str
    kind: str  # "csv" or "folders"
    clients: list[PlannedClient] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # not any one person's

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for c in self.clients for p in c.problems)]

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "clients": [c.as_json() for c in self.clients],
            "problems": [p.as_json() for p in self.problems],
            "ok": not self.all_problems,
        }


class _Ids:
    """New client ids, as `caseflow intake` makes them (the ``new_client_id`` hook), none twice."""

    def __init__(self, repo: Session) -> None:
        self.repo = repo
        self.chosen: set[str] = set()

    def new(self) -> str:
        client_id = actions.new_client_id(self.repo, also_taken=self.chosen)
        self.chosen.add(client_id)
        return client_id


# -- shared steps ---------------------------------------------------------------------------------


def _located(where: tuple[str, int, int, str], message: str) -> Problem:
    path, line, col, label = where
    return Problem(path, line, col, f"{label}: {message}" if label else message)


def _check(repo: Session, client: PlannedClient, planned: Planned) -> None:
    """Validate as `caseflow validate` does; each problem at its source."""
    for item in actions.check_located(repo, planned.document, planned.form, client.client_id):
        at = tuple(str(step) for step in item.at)
        where = None
        for depth in range(len(at), 0, -1):
            where = planned.sources.get(at[:depth])
            if where is not None:
                break
        client.problems.append(_located(where or planned.sources[()], item.message))


def _set(document: Document, path: tuple[str, ...], value: Any) -> None:
    node: CommentedMap = document.data
    for step in path[:-1]:
        child = node.get(step)
        if not isinstance(child, dict):
            child = new_mapping()
            _put(node, step, child)
        node = child
    _put(node, path[-1], styled_like(node.get(path[-1]), value))


def _put(node: CommentedMap, key: str, value: Any) -> None:
    if key in node:
        node[key] = value
    else:
        add_field(node, key, value)


def _value(form: Form, rule: Rule, raw: Any) -> tuple[Any, str | None]:
    value, why = rule.convert(raw)
    if why is None and isinstance(value, str) and value == raw:
        value = coerce(value, subschema(form.schema, list(rule.path)))
    return value, why


def _skeleton(repo: Session, actor: Staff, client_id: str, worker: str, path: str, names: list[str]) -> Document:
    from caseflow.core.skeletons import render_skeleton

    form = repo.form("core.client")
    context = actions.skeleton_context(repo, actor, client_id, names)
    context["worker"] = worker
    return parse_new_document(path, render_skeleton(form, repo.root / "templates", context))


def _name_place(repo: Session, client: PlannedClient, planned: Planned, taken: set[str]) -> bool:
    base = f"clients/{client.client_id}"
    if planned.form.singleton and f"{base}/{planned.form.path}" in taken:
        client.problems.append(
            _located(planned.sources[()], f"a second {planned.form.title}: a client has one ({planned.form.path})")
        )
        return False
    try:
        path = actions.place(repo, base, planned.form, planned.document)
        while path in taken:
            path = actions.place(repo, base, planned.form, planned.document)
    except DocumentError as exc:
        client.problems.append(_located(planned.sources[()], exc.problems[0].message))
        return False
    planned.document.path = path
    taken.add(path)
    return True


def _identity(planned: Planned) -> tuple[str, str] | None:
    data = planned.document.plain()
    name, dob = data.get("name"), data.get("dob")
    if not isinstance(name, str) or not isinstance(dob, str):
        return None
    return " ".join(name.casefold().split()), dob


def _duplicates(repo: Session, plan: Plan) -> None:
    """The same name and birth date twice in the source, or as a client already here."""
    from caseflow.index.caseload import client_records

    existing: dict[tuple[str, str], str] = {}
    rows = repo.clients()
    records = client_records(repo, repo.snapshot(), [r["id"] for r in rows]) if rows else {}
    for client_id, parsed in records.items():
        if isinstance(parsed, tuple):
            record = parsed[0]
            name, dob = record.get("name"), record.get("dob")
            if isinstance(name, str) and isinstance(dob, str):
                existing[(" ".join(name.casefold().split()), dob)] = client_id
    seen: dict[tuple[str, str], str] = {}
    for client in plan.clients:
        found = next((d for d in client.documents if d.form.id == "core.client"), None)
        key = _identity(found) if found is not None else None
        if key is None or found is None:
            continue
        where = found.sources.get(("name",)) or client.where
        if key in existing:
            message = f"the same name and birth date as client {existing[key]}, already here (a duplicate person)"
            client.problems.append(_located(where, message))
        elif key in seen:
            client.problems.append(_located(where, f"the same name and birth date as {seen[key]} (a duplicate person)"))
        else:
            seen[key] = client.origin


def _finish(repo: Session, plan: Plan) -> Plan:
    for client in plan.clients:
        taken: set[str] = set()
        for planned in client.documents:
            if _name_place(repo, client, planned, taken) and not planned.unconverted:
                _check(repo, client, planned)
    _duplicates(repo, plan)
    return plan


# -- CSV ------------------------------------------------------------------------------------------


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

    ids = _Ids(repo)
    total = len(people)
    for done, rows in enumerate(people.values(), start=1):
        plan.clients.append(_csv_person(repo, actor, mapping, name, header, unmapped, rows, ids.new()))
        if progress is not None:
            progress(done, total)
    return _finish(repo, plan)


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
                    value, why = _value(entry.form, rule, raw)
                    if why:
                        client.problems.append(_located(where(number, rule.source), why))
                        unconverted = True
                    elif rule.path in values and values[rule.path][0] != value:
                        earlier = values[rule.path][1][1]
                        message = f"differs from row {earlier}'s for the same person"
                        client.problems.append(_located(where(number, rule.source), message))
                    elif rule.path not in values:
                        values[rule.path] = (value, where(number, rule.source))
            names = list(dict.fromkeys(path[0] for path in values))
            document = _skeleton(repo, actor, client_id, mapping.worker, f"{base}/client.yaml", names)
            planned = Planned(document, entry.form, origin, sources={(): client.where}, unconverted=unconverted)
            for key, default in entry.defaults.items():
                _set(document, tuple(key.split(".")), default)
            for path, (value, source) in values.items():
                _set(document, path, value)
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
                _set(document, (EXTRA,), new_mapping(extra))
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
        _set(document, (CLIENT_FIELD,), client_id)
    for key, default in entry.defaults.items():
        _set(document, tuple(key.split(".")), default)
    for rule in entry.rules:
        raw = row[columns[rule.source]].strip()
        if not raw:
            continue
        value, why = _value(form, rule, raw)
        if why:
            problems.append(_located(where(number, rule.source), why))
            continue
        _set(document, rule.path, value)
        planned.sources[rule.path] = where(number, rule.source)
    if entry.body:
        body = row[columns[entry.body]].replace("\r\n", "\n").strip()
        document.body = f"\n{body}\n" if body else ""
    client.problems.extend(problems)
    return None if problems else planned


# -- folders --------------------------------------------------------------------------------------


def plan_folders(
    repo: Session,
    actor: Staff,
    mapping: ImportMapping,
    root: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """The clients a folder of case folders makes: one per folder, its files by the patterns."""
    plan = Plan(root.name, "folders")
    people = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    if not people:
        plan.problems.append(Problem(str(root), 0, 0, "holds no folders (one folder per person)"))
        return plan
    ids = _Ids(repo)
    for done, folder in enumerate(people, start=1):
        plan.clients.append(_folder_person(repo, actor, mapping, root, folder, ids.new()))
        if progress is not None:
            progress(done, len(people))
    return _finish(repo, plan)


def _folder_person(
    repo: Session, actor: Staff, mapping: ImportMapping, root: Path, folder: Path, client_id: str
) -> PlannedClient:
    shown = f"{root.name}/{folder.name}"
    client = PlannedClient(client_id, shown, (shown, 0, 0, ""))
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    for rel in files:
        label = f"{shown}/{rel}"
        if _HIDDEN.search(rel):
            continue
        if any(fnmatch.fnmatch(rel, pattern) for pattern in mapping.ignore):
            client.dropped.append(f"{label} (ignore)")
            continue
        entry = next((e for e in mapping.folders if e.files and fnmatch.fnmatch(rel, e.files)), None)
        if entry is None:
            client.problems.append(
                Problem(label, 0, 0, "matches no `files` pattern of the mapping (nothing would keep it)")
            )
            continue
        try:
            raw = read_document_bytes(folder, rel)
            document = load_document(label, raw)
        except DocumentError as exc:
            client.problems.extend(_for_import(p) for p in exc.problems)
            continue
        planned = _folder_document(repo, actor, mapping, client, entry, document, label)
        if planned is not None:
            if planned.form.id == "core.client":
                client.documents.insert(0, planned)
                client.where = planned.sources.get(("name",), planned.sources[()])
            else:
                client.documents.append(planned)
    if not any(d.form.id == "core.client" for d in client.documents) and not client.problems:
        client.problems.append(
            Problem(shown, 0, 0, "has no file that the mapping makes the client record (core.client)")
        )
    return client


def _for_import(problem: Problem) -> Problem:
    if problem.message.startswith("Markdown document must start with"):
        why = "has no front matter: its fields go between '---' lines at the top, where the mapping can find them"
        return Problem(problem.path, problem.line, problem.col, why)
    return problem


def _folder_document(
    repo: Session,
    actor: Staff,
    mapping: ImportMapping,
    client: PlannedClient,
    entry: Entry,
    document: Document,
    label: str,
) -> Planned | None:
    form = entry.form
    base = f"clients/{client.client_id}"
    planned = Planned(document, form, label, sources={(): (label, 1, 1, "")})
    data = document.data
    if not isinstance(data, dict):
        client.problems.append(Problem(label, 1, 1, "holds no set of fields (a YAML mapping) to import"))
        return None
    if "form" in data:  # already a caseflow document: taken as it is, if it passes as one
        if data.get("form") != form.id:
            where = (label, *document.locate(("form",)), "")
            client.problems.append(
                _located(where, f"says form '{data.get('form')}', but the mapping makes it {form.id}")
            )
            return None
        _record_sources(planned, document, label)
        planned.kept_as_is = _own_client(data, form, client.client_id)
        return planned
    known = set(form.schema.get("properties") or {})
    managed = MANAGED_FIELDS.get(form.id, {"form", EXTRA}) | {CLIENT_FIELD}
    sources = {rule.source.split(".")[0] for rule in entry.rules}
    targets = {rule.path[0] for rule in entry.rules}
    # Their fields no rule takes (or that a rule's field would overwrite) are set aside first,
    # with where they were, so that nothing they hold is lost.
    aside: list[tuple[str, Any, tuple[str, int, int, str], Any]] = []
    found_at = {str(k): (label, *document.locate((k,)), "") for k in data}

    def set_aside(keys: list[str]) -> None:
        for key in keys:
            aside.append((key, data[key], found_at.get(key, planned.sources[()]), own_comment(data, key)))
            actions.delete_field(data, key)

    set_aside([str(k) for k in data if str(k) not in sources and (str(k) in managed or str(k) in targets)])
    for rule in entry.rules:
        source = tuple(rule.source.split("."))
        node, found = _lookup(data, source)
        if not found:
            continue
        where = (label, *document.locate(source), "")
        before = to_plain(node)
        value, why = _value(form, rule, before)
        if why:
            client.problems.append(_located(where, why))
            planned.unconverted = True
            continue
        if source == rule.path:
            if value != before:
                _set(document, rule.path, styled_like(node, value))
        elif len(source) == 1 and len(rule.path) == 1 and rule.path[0] not in data:
            rename_field(data, source[0], rule.path[0])  # in place: its comments and lines stay
            if value != before:
                _set(document, rule.path, styled_like(node, value))
        else:
            _remove(data, source)
            _set(document, rule.path, styled_like(node, value) if value != before else node)
        planned.sources[rule.path] = where
    set_aside([str(k) for k in data if str(k) not in targets and (str(k) not in known or str(k) in managed)])
    for key in [str(k) for k in data if str(k) in found_at]:  # their fields named as caseflow's: taken as they are
        planned.sources.setdefault((key,), found_at[key])
    for key, default in entry.defaults.items():
        if _lookup(data, tuple(key.split(".")))[1] is False:
            _set(document, tuple(key.split(".")), default)
    if aside:
        names = [key for key, _, _, _ in aside]
        if mapping.keep_unmapped:
            if EXTRA not in known:
                why = f"'{names[0]}' is mapped to no field and {form.id} has no `extra` map"
                why += "; map it or say `unmapped: drop`"
                client.problems.append(_located(aside[0][2], why))
                return None
            extra = new_mapping()
            for key, node, where, comment in aside:
                extra[key] = node
                put_comment(extra, key, comment)
                planned.sources[(EXTRA, key)] = where
            add_field(data, EXTRA, extra)
            client.extra.extend(f"{label}: {k}" for k in names)
        else:
            client.dropped.extend(f"{label}: {k}" for k in names)
    data.insert(0, "form", form.id)
    if form.id == "core.client":
        skeleton = _skeleton(repo, actor, client.client_id, mapping.worker, f"{base}/client.yaml", []).data
        for key in skeleton:
            if key not in data:
                add_field(data, key, skeleton[key])
        data["id"] = client.client_id
        data.move_to_end("id", last=False)
        data.move_to_end("form", last=False)
    elif CLIENT_FIELD in known:
        data.insert(1, CLIENT_FIELD, client.client_id)
    return planned


def _own_client(data: CommentedMap, form: Form, client_id: str) -> bool:
    """A caseflow document from elsewhere names its client: the new one, now (its only change).
    True if it was already right, so the file comes in as it is."""
    if CLIENT_FIELD not in (form.schema.get("properties") or {}) or data.get(CLIENT_FIELD) == client_id:
        return True
    if CLIENT_FIELD in data:
        data[CLIENT_FIELD] = styled_like(data[CLIENT_FIELD], client_id)
    else:
        data.insert(1, CLIENT_FIELD, client_id)
    return False


def _record_sources(planned: Planned, document: Document, label: str) -> None:
    for key in document.data:
        planned.sources[(str(key),)] = (label, *document.locate((key,)), "")


def _lookup(data: Any, path: tuple[str, ...]) -> tuple[Any, bool]:
    node = data
    for step in path:
        if not isinstance(node, dict) or step not in node:
            return None, False
        node = node[step]
    return node, True


def _remove(data: Any, path: tuple[str, ...]) -> None:
    parents = [data]
    for step in path[:-1]:
        parents.append(parents[-1][step])
    actions.delete_field(parents[-1], path[-1])
    for depth in range(len(path) - 1, 0, -1):  # a set of fields left empty goes too
        if not parents[depth]:
            actions.delete_field(parents[depth - 1], path[depth - 1])
