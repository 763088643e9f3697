"""The mapping file: from an agency's own fields to caseflow's forms.

::

    mapping: 1                      # the format of this file
    worker: casey                   # the case manager every imported client is assigned to
    unmapped: keep                  # keep: fields no rule names go to the document's `extra` map;
                                    # drop: they are left out, and listed in the report
    person: [Client No]             # CSV: the column(s) naming one person (default: each row is one)
    csv:                            # a CSV file: the documents each person's rows make
      - form: core.client           # once per person
        fields:                     # caseflow field: their column (a rename), or a rule
          name: Full Name
          dob: {from: DOB, date: "%m/%d/%Y"}
          interpreter_needed: {from: Interpreter, values: {"Y": true, "N": false}}
          address.city: City
      - form: core.visit            # once per row with a value in `when`
        file: contacts.csv          # (another file of the export, beside PATH, joined by `person`)
        when: Contact Date
        fields:
          date: {from: Contact Date, date: "%m/%d/%Y"}
          type: {from: Contact Type, values: {Phone: phone, In person: office}}
        defaults: {author: casey}   # values no column gives
        body: Notes                 # a Markdown form's text
    ignore: ["*.pdf"]               # files in a person's folder left out (listed in the report)
    folders:                        # a folder holding one folder per person
      - files: profile.yaml         # a pattern, relative to the person's folder
        form: core.client
        fields: {name: full_name, dob: {from: birth_date, date: "%m/%d/%Y"}}

The file is read under caseflow's YAML policy and checked against :data:`MAPPING_SCHEMA`, then
against the forms: an unknown form or a field its form does not have is refused at its
``file:line:col``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from caseflow.core.documents import Document, load_document
from caseflow.core.forms import Form, subschema
from caseflow.core.validation import explain_all, locate_all
from caseflow.errors import DocumentError, Problem

#: Fields caseflow sets itself on every imported client or document: a mapping may not name them.
MANAGED_FIELDS = {
    "core.client": {"form", "id", "assigned_worker", "stage", "stage_history", "extra"},
}
#: Fields set to the new client's id in every form that has them.
CLIENT_FIELD = "client"

_NAME = {"type": "string", "minLength": 1, "title": "Their field or column"}
_RULE = {
    "title": "Where a field's value comes from",
    # a name (a rename), or a rule: one schema for both, so that a mistake is named plainly
    "type": ["string", "object"],
    "minLength": 1,
    "properties": {
        "from": _NAME,
        "date": {
            "title": "Date formats (strptime)",
            "type": ["string", "array"],
            "minLength": 2,
            "items": {"type": "string", "minLength": 2},
            "minItems": 1,
        },
        "values": {
            "type": "object",
            "title": "Value map (their value: caseflow's)",
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
        },
    },
    "required": ["from"],
    "additionalProperties": False,
}
_FIELDS = {
    "type": "object",
    "title": "Fields (caseflow field: their field)",
    "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$"},
    "additionalProperties": _RULE,
}
_DEFAULTS = {
    "type": "object",
    "title": "Defaults (values no field gives)",
    "additionalProperties": {"type": ["string", "number", "boolean"]},
}
_FORM = {"type": "string", "pattern": r"^[a-z0-9-]+\.[a-z0-9-]+$", "title": "Form id"}

MAPPING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Import mapping",
    "type": "object",
    "properties": {
        "mapping": {"const": 1, "title": "Mapping format"},
        "worker": {"type": "string", "pattern": r"^[a-z][a-z0-9_-]*$", "title": "Assigned case manager"},
        "unmapped": {"enum": ["keep", "drop"], "title": "Unmapped fields"},
        "person": {
            "title": "Columns naming one person",
            "type": ["string", "array"],
            "minLength": 1,
            "items": _NAME,
            "minItems": 1,
        },
        "csv": {
            "type": "array",
            "title": "CSV documents",
            "minItems": 1,
            "items": {
                "type": "object",
                "title": "A document from a row",
                "properties": {
                    "form": _FORM,
                    "file": {
                        "type": "string",
                        "pattern": r"^[^/\\]+\.csv$",
                        "title": "Another CSV file of the export, beside the first",
                    },
                    "when": _NAME,
                    "fields": _FIELDS,
                    "defaults": _DEFAULTS,
                    "body": _NAME,
                },
                "required": ["form", "fields"],
                "additionalProperties": False,
            },
        },
        "ignore": {
            "type": "array",
            "title": "Files in a person's folder to leave out (patterns)",
            "items": {"type": "string", "minLength": 1},
        },
        "folders": {
            "type": "array",
            "title": "Folder documents",
            "minItems": 1,
            "items": {
                "type": "object",
                "title": "Files of a pattern",
                "properties": {
                    "files": {"type": "string", "minLength": 1, "title": "File pattern"},
                    "form": _FORM,
                    "fields": _FIELDS,
                    "defaults": _DEFAULTS,
                },
                "required": ["files", "form"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["mapping", "worker"],
    "anyOf": [{"required": ["csv"]}, {"required": ["folders"]}],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Rule:
    """Where one caseflow field's value comes from."""

    target: str  # a dotted caseflow field path: address.city
    source: str  # their column or field (dotted for nested YAML: contact.phone)
    dates: tuple[str, ...] = ()
    values: Mapping[str, Any] | None = None

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.target.split("."))

    def convert(self, value: Any) -> tuple[Any, str | None]:
        """Their value as caseflow's, or (value, why not)."""
        if self.values is not None:
            key = value if isinstance(value, str) else _as_key(value)
            if key in self.values:
                value = self.values[key]
        if self.dates and value is not None:
            text = str(value).strip()
            for fmt in self.dates:
                try:
                    return dt.datetime.strptime(text, fmt).date().isoformat(), None
                except ValueError:
                    continue
            shown = " or ".join(self.dates)
            return value, f"not a date in the format {shown}"
        return value, None


def _as_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Entry:
    """One rule of ``csv`` or ``folders``: a form, its field rules, defaults."""

    form: Form
    rules: tuple[Rule, ...]
    defaults: Mapping[str, Any]
    where: tuple[str | int, ...]  # its place in the mapping file
    when: str | None = None  # CSV: the column that must hold a value for a row to make one
    body: str | None = None  # CSV: the column holding a Markdown form's text
    files: str | None = None  # folders: the pattern
    file: str | None = None  # CSV: another file of the export, joined by the person columns

    @property
    def sources(self) -> set[str]:
        used = {rule.source for rule in self.rules}
        return used | {c for c in (self.when, self.body) if c}


@dataclass(frozen=True)
class ImportMapping:
    """A checked mapping file."""

    path: str
    worker: str
    keep_unmapped: bool
    person: tuple[str, ...]
    csv: tuple[Entry, ...] = ()
    folders: tuple[Entry, ...] = ()
    ignore: tuple[str, ...] = ()
    document: Document | None = field(default=None, compare=False, repr=False)

    def client_entry(self, entries: Sequence[Entry]) -> Entry | None:
        return next((e for e in entries if e.form.id == "core.client"), None)


def load_mapping(path: str, raw: bytes, forms: Mapping[str, Form], staff_ids: set[str]) -> ImportMapping:
    """Read and check a mapping file; :class:`DocumentError` naming each problem's line and column."""
    from jsonschema import Draft202012Validator

    document = load_document(path, raw)
    data = document.plain()
    validator = Draft202012Validator(MAPPING_SCHEMA)
    errors = explain_all(validator, MAPPING_SCHEMA, data)
    if errors:
        raise DocumentError(locate_all(path, raw, errors))
    problems: list[Problem] = []

    def problem(at: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(path, *document.locate(at), message))

    def key_problem(at: tuple[str | int, ...], message: str) -> None:
        """At the field's name (``address.town:``), not its value."""
        parent: Any = document.data
        for step in at[:-1]:
            parent = parent[step]
        line, col = parent.lc.key(at[-1])
        problems.append(Problem(path, line + 1 + document.line_offset, col + 1, message))

    if data["worker"] not in staff_ids:
        problem(("worker",), f"'{data['worker']}' is not on the staff list")
    entries: dict[str, list[Entry]] = {"csv": [], "folders": []}
    for section in ("csv", "folders"):
        for index, item in enumerate(data.get(section) or []):
            where: tuple[str | int, ...] = (section, index)
            form = forms.get(item["form"])
            if form is None:
                problem((*where, "form"), f"unknown form '{item['form']}' (`caseflow forms` lists the forms)")
                continue
            managed = MANAGED_FIELDS.get(form.id, {"form", "extra"}) | {CLIENT_FIELD}
            rules = []
            for target, spec in (item.get("fields") or {}).items():
                at = (*where, "fields", target)
                why = _target_problem(form, target, managed)
                if why:
                    key_problem(at, why)
                    continue
                rules.append(_rule(target, spec))
            for target in item.get("defaults") or {}:
                why = _target_problem(form, target, managed)
                if why:
                    key_problem((*where, "defaults", target), why)
            if section == "csv" and item.get("body") and form.kind != "markdown":
                problem((*where, "body"), f"{form.title} ({form.id}) is not a Markdown form: it has no body")
            entries[section].append(
                Entry(
                    form,
                    tuple(rules),
                    dict(item.get("defaults") or {}),
                    where,
                    when=item.get("when"),
                    body=item.get("body"),
                    files=item.get("files"),
                    file=item.get("file"),
                )
            )
        clients = [e for e in entries[section] if e.form.id == "core.client"]
        if data.get(section) and section == "csv" and len(clients) != 1:
            problem((section,), "name the client record (form: core.client) exactly once")
        if section == "csv" and len(clients) == 1 and clients[0].when:
            problem((*clients[0].where, "when"), "the client record is made once per person: it takes no `when`")
        if section == "folders" and data.get(section) and not clients:
            problem((section,), "no pattern makes the client record (form: core.client)")
        if section == "csv" and len(clients) == 1 and clients[0].file:
            problem((*clients[0].where, "file"), "the client record comes from the first file (PATH)")
    if problems:
        raise DocumentError(sorted(problems))
    person = data.get("person") or ()
    return ImportMapping(
        path,
        data["worker"],
        data.get("unmapped", "keep") == "keep",
        (person,) if isinstance(person, str) else tuple(person),
        tuple(entries["csv"]),
        tuple(entries["folders"]),
        tuple(data.get("ignore") or ()),
        document,
    )


def _rule(target: str, spec: Any) -> Rule:
    if isinstance(spec, str):
        return Rule(target, spec)
    dates = spec.get("date")
    return Rule(
        target,
        spec["from"],
        (dates,) if isinstance(dates, str) else tuple(dates or ()),
        spec.get("values"),
    )


def _target_problem(form: Form, target: str, managed: set[str]) -> str | None:
    steps = target.split(".")
    if steps[0] in managed and steps[0] in (form.schema.get("properties") or {}):
        return f"caseflow sets '{steps[0]}' of every imported {form.title} itself"
    schema: Mapping[str, Any] = form.schema
    for depth in range(1, len(steps) + 1):
        schema = subschema(form.schema, list(steps[:depth]))
        if not schema:
            return f"{form.title} ({form.id}) has no field '{'.'.join(steps[:depth])}'"
    if schema.get("type") == "array" or "properties" in schema:
        return f"'{target}' of {form.title} is a list or a set of fields; map its parts (e.g. '{target}.<part>')"
    return None
