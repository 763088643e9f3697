"""From an agency's records to new clients and their documents, each checked, nothing written.

A :class:`Plan` holds, per person, the documents the mapping makes (round-trip documents, ready to
commit), where each came from, the fields kept in ``extra`` or dropped, and every problem located
in the agency's own source: ``file.csv:ROW:COL`` (the spreadsheet's row, header = row 1) or the
YAML/Markdown file's ``file:line:col``. The two sources (:mod:`.csv_source`,
:mod:`.folder_source`) make the documents; :func:`finish` names, validates and looks for duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caseflow.core.documents import (
    CommentedMap,
    Document,
    add_field,
    new_mapping,
    styled_like,
)
from caseflow.core.documents import new_document as parse_new_document
from caseflow.core.editing import coerce
from caseflow.core.forms import Form, subschema
from caseflow.errors import DocumentError, Problem
from caseflow.importing.mapping import Rule
from caseflow.records import actions

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.session import Session

EXTRA = "extra"


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


class NewIds:
    """New client ids, as `caseflow intake` makes them (the ``new_client_id`` hook), none twice."""

    def __init__(self, repo: Session) -> None:
        self.repo = repo
        self.chosen: set[str] = set()

    def new(self) -> str:
        client_id = actions.new_client_id(self.repo, also_taken=self.chosen)
        self.chosen.add(client_id)
        return client_id


# -- shared steps ---------------------------------------------------------------------------------


def located(where: tuple[str, int, int, str], message: str) -> Problem:
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
        client.problems.append(located(where or planned.sources[()], item.message))


def set_field(document: Document, path: tuple[str, ...], value: Any) -> None:
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


def converted(form: Form, rule: Rule, raw: Any) -> tuple[Any, str | None]:
    value, why = rule.convert(raw)
    if why is None and isinstance(value, str) and value == raw:
        value = coerce(value, subschema(form.schema, list(rule.path)))
    return value, why


def client_skeleton(repo: Session, actor: Staff, client_id: str, worker: str, path: str, names: list[str]) -> Document:
    from caseflow.core.skeletons import render_skeleton

    form = repo.form("core.client")
    context = actions.skeleton_context(repo, actor, client_id, names)
    context["worker"] = worker
    return parse_new_document(path, render_skeleton(form, repo.root / "templates", context))


def _name_place(repo: Session, client: PlannedClient, planned: Planned, taken: set[str]) -> bool:
    base = f"clients/{client.client_id}"
    if planned.form.singleton and f"{base}/{planned.form.path}" in taken:
        client.problems.append(
            located(planned.sources[()], f"a second {planned.form.title}: a client has one ({planned.form.path})")
        )
        return False
    try:
        path = actions.place(repo, base, planned.form, planned.document)
        while path in taken:
            path = actions.place(repo, base, planned.form, planned.document)
    except DocumentError as exc:
        client.problems.append(located(planned.sources[()], exc.problems[0].message))
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
            client.problems.append(located(where, message))
        elif key in seen:
            client.problems.append(located(where, f"the same name and birth date as {seen[key]} (a duplicate person)"))
        else:
            seen[key] = client.origin


def finish(repo: Session, plan: Plan) -> Plan:
    for client in plan.clients:
        taken: set[str] = set()
        for planned in client.documents:
            if _name_place(repo, client, planned, taken) and not planned.unconverted:
                _check(repo, client, planned)
    _duplicates(repo, plan)
    return plan
