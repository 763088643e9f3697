"""Forms as data: ``forms/<id>.yaml`` in the case repository, read into the same :class:`Form` a
plugin registers, so an agency adds an assessment without writing Python.

A form file holds the form's id (namespaced ``agency.``, and the file's own name), title, kind
(``yaml`` or ``markdown``), path pattern in the client's folder, JSON Schema (Draft 2020-12), and
optionally a description, a skeleton (jinja2 text, in the same sandbox as every skeleton) and
``changes``: how the semantic diff words a change of a field (``"{label}: {old} → {new}"``).

A broken file is one located problem (``forms/agency.x.yaml:4:3: ...``) and no form; every other
form keeps working. A file cannot shadow a form that caseflow or a plugin registers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caseflow.core.forms import Form
from caseflow.core.layout import FORMS_CHECKED
from caseflow.errors import CaseflowError, DocumentError, Problem

FORMS_DIR = "forms"
#: Every repository form's id starts so: a plugin's or caseflow's own ids never do.
NAMESPACE = "agency."
FORM_FILE_ID = r"^agency\.[a-z0-9][a-z0-9_-]*$"
#: A path in the client's folder: no absolute path, no ``..``, no backslash, no hidden folder.
_SAFE_PATH = r"^(?!/)(?!.*(^|/)\.)[A-Za-z0-9_{}./-]+$"

FORM_FILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Form file",
    "type": "object",
    "properties": {
        "id": {"type": "string", "title": "Form id"},
        "title": {"type": "string", "minLength": 1, "title": "Title"},
        "kind": {"enum": ["yaml", "markdown"], "title": "Kind"},
        "path": {"type": "string", "title": "Path in the client's folder"},
        "description": {"type": "string", "title": "Description"},
        "schema": {"type": "object", "title": "JSON Schema of the document's fields"},
        "skeleton": {"type": "string", "title": "Skeleton (jinja2 text a new document starts from)"},
        "changes": {
            "type": "object",
            "title": "How a change of each field reads in diffs and reviews",
            "additionalProperties": {"type": "string", "minLength": 1},
        },
    },
    "required": ["id", "title", "kind", "path", "schema"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class FormFiles:
    """What ``forms/`` holds: the forms its files define, and one problem per file that does not."""

    forms: dict[str, Form] = field(default_factory=dict)
    #: form id -> the file that defines it (``forms/agency.x.yaml``)
    files: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def form_file_names(root: Path) -> list[str]:
    """The form files in ``forms/`` (repository-relative), in name order; [] without the folder."""
    try:
        names = os.listdir(root / FORMS_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(f"{FORMS_DIR}/{name}" for name in names if name.endswith(".yaml") and not name.startswith("."))


def load_form_files(root: Path, registered: Mapping[str, str]) -> FormFiles:
    """Every form file of the repository at ``root``; ``registered``: the ids caseflow and plugins
    register, each with its owner (a file never shadows one of them).

    Checking a file against JSON Schema's own rules means importing jsonschema, which costs more
    than a whole ``caseflow clients``: the digests of the files' bytes that passed are kept in the
    local ``.caseflow/`` folder, and unchanged files are not checked again (as caseflow.yaml)."""
    found = FormFiles()
    passed = _passed_before(root)
    passing = set()
    for rel in form_file_names(root):
        try:
            raw = _read(root, rel)
            digest = _digest(raw)
            form = parse_form_file(rel, raw, registered, checked=digest in passed)
        except DocumentError as exc:
            found.problems.append(exc.problems[0])  # the first says what to fix; once per file
            continue
        passing.add(digest)
        found.forms[form.id] = form
        found.files[form.id] = rel
    if passing != passed:
        _remember(root, passing)
    return found


def _read(root: Path, rel: str) -> bytes:
    from caseflow.core.textpolicy import read_document_bytes

    try:
        return read_document_bytes(root, rel)
    except DocumentError:
        raise
    except (OSError, CaseflowError) as exc:
        raise DocumentError(Problem(rel, 0, 0, f"cannot be read: {exc}")) from None


def _digest(raw: bytes) -> str:
    from caseflow import __version__  # a newer caseflow may check more

    return hashlib.sha256(__version__.encode() + b"\0" + raw).hexdigest()


def _passed_before(root: Path) -> set[str]:
    try:
        kept = json.loads((root / FORMS_CHECKED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {d for d in kept if isinstance(d, str)} if isinstance(kept, list) else set()


def _remember(root: Path, digests: set[str]) -> None:
    with contextlib.suppress(OSError):  # a read-only clone just checks every time
        (root / FORMS_CHECKED).parent.mkdir(exist_ok=True)
        (root / FORMS_CHECKED).write_text(json.dumps(sorted(digests)), encoding="utf-8")


def parse_form_file(rel: str, raw: bytes, registered: Mapping[str, str], *, checked: bool = False) -> Form:
    """A form file's bytes as a :class:`Form` (``rel`` names it in messages); ``checked``: these
    bytes passed the JSON Schema checks before (they are not made again)."""
    from caseflow.core.documents import load_plain
    from caseflow.core.located import Located, locate_all

    data, _ = load_plain(rel, raw)

    def refuse(at: tuple[str | int, ...], message: str) -> DocumentError:
        return DocumentError(locate_all(rel, raw, [Located(at, message)]))

    if not checked:
        _check_schemas(rel, raw, data)
    form_id = data["id"]
    if not re.match(FORM_FILE_ID, form_id):
        said = f"'{form_id}' is not a repository form id: they start with '{NAMESPACE}' (e.g. agency.housing-needs)"
        if form_id in registered:
            said += f"; '{form_id}' is registered by '{registered[form_id]}'"
        raise refuse(("id",), said)
    expected = f"{FORMS_DIR}/{form_id}.yaml"
    if rel != expected:
        raise refuse(("id",), f"form id '{form_id}' must match the file's name ({expected})")
    if form_id in registered:
        raise refuse(("id",), f"form id '{form_id}' is already registered by '{registered[form_id]}'; choose another")
    schema = data["schema"]
    if not re.match(_SAFE_PATH, data["path"]) or ".." in data["path"].split("/"):
        said = "must stay inside the client's folder: no leading /, no '..', no hidden names"
        said += " (only letters, digits, _ - . / and {placeholders})"
        raise refuse(("path",), f"path '{data['path']}' {said}")
    try:
        return Form(
            id=form_id,
            title=data["title"],
            kind=data["kind"],
            path=data["path"],
            schema=_with_form_and_client(form_id, schema),
            skeleton=f"{rel} (skeleton)",
            skeleton_text=data.get("skeleton") or default_skeleton(form_id, data["kind"], schema),
            description=data.get("description", ""),
            describe_changes=_describer(data["changes"]) if data.get("changes") else None,
        )
    except ValueError as exc:  # what Form itself refuses: a path that does not end as the kind says
        raise refuse(("path",), str(exc)) from None


def _check_schemas(rel: str, raw: bytes, data: Any) -> None:
    """The file against the form file's schema, and its ``schema`` against JSON Schema's own."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    from caseflow.core.located import Located, locate_all
    from caseflow.core.validation import explain_all

    errors = explain_all(Draft202012Validator(FORM_FILE_SCHEMA), FORM_FILE_SCHEMA, data)
    if errors:
        raise DocumentError(locate_all(rel, raw, errors[:1]))
    try:
        Draft202012Validator.check_schema(data["schema"])
    except SchemaError as exc:
        at = ("schema", *exc.path)
        raise DocumentError(
            locate_all(rel, raw, [Located(at, f"not a valid JSON Schema (Draft 2020-12): {exc.message}")])
        ) from None


def _with_form_and_client(form_id: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema with the two fields every document has (``form``, ``client``), if it leaves them out."""
    properties = dict(schema.get("properties") or {})
    properties.setdefault("form", {"const": form_id, "title": "Form"})
    properties.setdefault("client", {"type": "string", "title": "Client"})
    required = list(schema.get("required") or [])
    required = [*(name for name in ("form", "client") if name not in required), *required]
    return {**schema, "type": schema.get("type", "object"), "properties": properties, "required": required}


def default_skeleton(form_id: str, kind: str, schema: Mapping[str, Any]) -> str:
    """What a new document starts as when the file gives no skeleton: its form and client, a date
    field set to today, a field named for the person acting set to them; the rest is typed in."""
    properties = schema.get("properties") or {}
    lines = [f"form: {form_id}", "client: {{ client_id }}"]
    for name, spec in properties.items():
        if name in ("form", "client") or not isinstance(spec, Mapping):
            continue
        if spec.get("format") == "date" and name in ("date", "assessed_on", "completed_on"):
            lines.append(f"{name}: {{{{ today }}}}")
        elif name in ("author", "assessor", "by", "worker"):
            lines.append(f"{name}: {{{{ actor }}}}")
    text = "\n".join(lines) + "\n"
    return f"---\n{text}---\n\n" if kind == "markdown" else text


_PLACEHOLDER = re.compile(r"\{(label|old|new)\}")


def _describer(wording: Mapping[str, str]) -> Callable[[list[Any]], list[str]]:
    """``Form.describe_changes`` from the file's ``changes``: each top-level field's own words
    (``{label}``, ``{old}``, ``{new}`` filled in), the usual words for every other field."""

    def describe(changes: list[Any]) -> list[str]:
        said = []
        for change in changes:  # caseflow.review.semdiff.Change
            template = wording.get(str(change.path[0])) if change.path else None
            if template is None:
                said.append(change.text())
                continue
            said.append(_fill(template, change.worded()))
        return said

    return describe


def _fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with ``{label}``, ``{old}`` and ``{new}`` replaced (nothing else is read)."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
