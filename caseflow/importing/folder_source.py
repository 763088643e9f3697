"""Folders of case files: one folder per person, the agency's own YAML and Markdown files made
caseflow documents in place (round trip: every byte the import has no reason to change stays);
problems at the file's ``file:line:col``."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
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
from caseflow.core.forms import Form
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import DocumentError, Problem
from caseflow.importing.mapping import CLIENT_FIELD, MANAGED_FIELDS, Entry, ImportMapping
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
from caseflow.records import actions

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.session import Session

_HIDDEN = re.compile(r"(^|/)[.~]|~$")


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
    ids = NewIds(repo)
    for done, folder in enumerate(people, start=1):
        plan.clients.append(_folder_person(repo, actor, mapping, root, folder, ids.new()))
        if progress is not None:
            progress(done, len(people))
    return finish(repo, plan)


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
                located(where, f"says form '{data.get('form')}', but the mapping makes it {form.id}")
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
        value, why = converted(form, rule, before)
        if why:
            client.problems.append(located(where, why))
            planned.unconverted = True
            continue
        if source == rule.path:
            if value != before:
                set_field(document, rule.path, styled_like(node, value))
        elif len(source) == 1 and len(rule.path) == 1 and rule.path[0] not in data:
            rename_field(data, source[0], rule.path[0])  # in place: its comments and lines stay
            if value != before:
                set_field(document, rule.path, styled_like(node, value))
        else:
            _remove(data, source)
            set_field(document, rule.path, styled_like(node, value) if value != before else node)
        planned.sources[rule.path] = where
    set_aside([str(k) for k in data if str(k) not in targets and (str(k) not in known or str(k) in managed)])
    for key in [str(k) for k in data if str(k) in found_at]:  # their fields named as caseflow's: taken as they are
        planned.sources.setdefault((key,), found_at[key])
    for key, default in entry.defaults.items():
        if _lookup(data, tuple(key.split(".")))[1] is False:
            set_field(document, tuple(key.split(".")), default)
    if aside:
        names = [key for key, _, _, _ in aside]
        if mapping.keep_unmapped:
            if EXTRA not in known:
                why = f"'{names[0]}' is mapped to no field and {form.id} has no `extra` map"
                why += "; map it or say `unmapped: drop`"
                client.problems.append(located(aside[0][2], why))
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
        skeleton = client_skeleton(repo, actor, client.client_id, mapping.worker, f"{base}/client.yaml", []).data
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
    """A caseflow document from elsewhere names its client (a client record, its own id): the new
    one, now (its only change). True if it was already right, so the file comes in as it is."""
    name = "id" if form.id == "core.client" else CLIENT_FIELD  # a client record's own id
    if name not in (form.schema.get("properties") or {}) or data.get(name) == client_id:
        return True
    if name in data:
        data[name] = styled_like(data[name], client_id)
    else:
        data.insert(1, name, client_id)
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
