"""A form's JSON Schema as fields of a web form, and the values posted back as document data.

Field names are paths: ``review_date``, ``goals.0.objectives.1.target_date``. Each item of a list
of records posts a marker (``goals.0._``) so that an item whose inputs are all empty still counts.
Typed text becomes a value by the CLI's own rule (:func:`caseflow.core.editing.coerce`): ``16`` is
a number where the schema wants one, and ``abc`` stays text for the schema to refuse, at its field.
An empty input leaves the field out (a required one is then reported missing). What the form
cannot show (fields outside the schema, values of an unusual shape) is carried over untouched.

Problems from the services (``path:line:col: message``) are placed back at their fields by
loading the document the service checked and finding which value sits at that line and column.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from caseflow.core.editing import coerce
from caseflow.errors import Problem

Path = tuple[str | int, ...]

#: Fields caseflow fills itself: shown, never typed (the document's form and its client).
FIXED = ("form", "client")
MARKER = "_"


@dataclass
class Field:
    """One field of a web form (or a group: a record, a list of records)."""

    name: str
    label: str
    widget: str  # text, textarea, select, date, number, checkbox, lines, fixed, record, records
    value: Any = ""
    help: str = ""
    required: bool = False
    options: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)  # a record's fields, or a list's items
    item_label: str = ""  # records: what one item is called ("Goal")
    step: str = "1"

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    @property
    def invalid(self) -> bool:
        return bool(self.errors)

    @property
    def described_by(self) -> str:
        parts = ([f"{self.id}-help"] if self.help else []) + ([f"{self.id}-error"] if self.errors else [])
        return " ".join(parts)


def name_of(path: Iterable[str | int]) -> str:
    return ".".join(str(step) for step in path)


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    return {k for k in kind or [] if isinstance(k, str)} - {"null"}


def _kind(root: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    """The widget for a (resolved) schema, or ``fixed`` for one the form keeps as it is."""
    types = _types(schema)
    if "const" in schema:
        return "fixed"
    if "enum" in schema:
        return "select"
    if types == {"object"} and "properties" in schema:
        return "record"
    if types == {"array"}:
        items = _resolve(root, schema.get("items") or {})
        if _types(items) == {"object"} and "properties" in items:
            return "records"
        if _types(items) <= {"string", "integer", "number"} and "enum" not in items:
            return "lines"
        return "fixed"
    if types == {"boolean"}:
        return "checkbox"
    if types & {"integer", "number"} and not types - {"integer", "number"}:
        return "number"
    if types == {"string"} or not types:
        if schema.get("format") == "date":
            return "date"
        if schema.get("x-multiline") or schema.get("maxLength", 0) > 200:
            return "textarea"
        return "text"
    return "fixed"


def _resolve(root: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """A local ``$ref`` (``#/$defs/goal``) followed; any other schema as it is."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        return target if isinstance(target, Mapping) else {}
    return schema


# -- schema and data -> fields -------------------------------------------------------------------


def build(
    schema: Mapping[str, Any], data: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None
) -> list[Field]:
    """The fields of a document's form, holding ``data`` (and ``errors`` by field name)."""
    return _record_fields(schema, _resolve(schema, schema), data, (), errors or {})


def _record_fields(
    root: Mapping[str, Any], schema: Mapping[str, Any], data: Any, path: Path, errors: Mapping[str, list[str]]
) -> list[Field]:
    data = data if isinstance(data, Mapping) else {}
    required = set(schema.get("required") or [])
    fields = []
    for key, sub in (schema.get("properties") or {}).items():
        if not path and key == "form":
            continue
        fields.append(_field(root, _resolve(root, sub), data.get(key), (*path, key), key in required, errors))
    return fields


def _field(
    root: Mapping[str, Any],
    schema: Mapping[str, Any],
    value: Any,
    path: Path,
    required: bool,
    errors: Mapping[str, list[str]],
) -> Field:
    name = name_of(path)
    kind = "fixed" if len(path) == 1 and path[0] in FIXED else _kind(root, schema)
    made = Field(
        name=name,
        label=str(schema.get("title") or _humanize(path[-1])),
        widget=kind,
        help=str(schema.get("description") or ""),
        required=required,
        errors=list(errors.get(name, [])),
    )
    if kind == "record":
        made.children = _record_fields(root, schema, value, path, errors)
    elif kind == "records":
        items = _resolve(root, schema.get("items") or {})
        made.item_label = str(items.get("title") or "Item")
        made.children = [
            Field(
                name=name_of((*path, index)),
                label=f"{made.item_label} {index + 1}",
                widget="record",
                errors=list(errors.get(name_of((*path, index)), [])),
                children=_record_fields(root, items, item, (*path, index), errors),
            )
            for index, item in enumerate(value if isinstance(value, list) else [])
        ]
    elif kind == "lines":
        made.help = f"{made.help} One per line.".strip()
        made.value = "\n".join(text_of(v) for v in value) if isinstance(value, list) else text_of(value)
    elif kind == "checkbox":
        made.value = value is True
        made.required = False  # unticked is an answer too (false)
    elif kind == "select":
        made.options = [text_of(option) for option in schema.get("enum") or []]
        made.value = text_of(value)
    elif kind == "fixed":
        made.value = value if isinstance(value, Mapping | list) else text_of(value)
    else:
        made.value = text_of(value)
        if kind == "number":
            made.step = "1" if "integer" in _types(schema) else "any"
    return made


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _humanize(key: str | int) -> str:
    text = str(key).replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


# -- posted values -> data -----------------------------------------------------------------------


def parse(schema: Mapping[str, Any], posted: Mapping[str, str], base: Mapping[str, Any]) -> dict[str, Any]:
    """The document data the posted values give, starting from ``base`` (the document as it is,
    or the new document's skeleton) for what the form does not show."""
    root = _resolve(schema, schema)
    result = _parse_record(schema, root, posted, base, ())
    if "form" in base:
        result = {"form": base["form"], **{k: v for k, v in result.items() if k != "form"}}
    return result


def _parse_record(
    root: Mapping[str, Any], schema: Mapping[str, Any], posted: Mapping[str, str], base: Any, path: Path
) -> dict[str, Any]:
    base = base if isinstance(base, Mapping) else {}
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    result: dict[str, Any] = {key: copy.deepcopy(value) for key, value in base.items() if key not in properties}
    for key, sub in properties.items():
        here = (*path, key)
        sub = _resolve(root, sub)
        kind = "fixed" if len(here) == 1 and key in FIXED else _kind(root, sub)
        present = key in base or key in required
        if kind == "fixed":
            if key in base:
                result[key] = copy.deepcopy(base[key])
            continue
        if kind == "record":
            value: Any = _parse_record(root, sub, posted, base.get(key), here)
            if value or present:
                result[key] = value
            continue
        if kind == "records":
            items = _resolve(root, sub.get("items") or {})
            olds = base.get(key) if isinstance(base.get(key), list) else []
            value = [
                _parse_record(root, items, posted, olds[i] if i < len(olds) else {}, (*here, i))
                for i in item_indices(posted, name_of(here))
            ]
            if value or present:
                result[key] = value
            continue
        name = name_of(here)
        if kind == "checkbox":
            if name in posted:
                result[key] = True
            elif present:
                result[key] = False
            continue
        raw = posted.get(name, "")
        if kind == "lines":
            items_schema = _resolve(root, sub.get("items") or {})
            lines = [line.strip() for line in raw.splitlines() if line.strip()]
            value = [coerce(line, items_schema) for line in lines]
            if value or present:
                result[key] = value
            continue
        if kind == "textarea":
            text = raw.replace("\r\n", "\n").strip()
        else:
            text = raw.strip()
        if text:
            result[key] = coerce(text, sub) if kind in ("number", "select") else text
    return result


def item_indices(posted: Mapping[str, str], name: str) -> list[int]:
    """The items of the list ``name`` the form posted (by their markers), in order."""
    pattern = re.compile(re.escape(name) + r"\.(\d+)\." + MARKER + "$")
    found = {int(match.group(1)) for key in posted if (match := pattern.match(key))}
    return sorted(found)


# -- add another, remove -------------------------------------------------------------------------


def add_item(schema: Mapping[str, Any], data: dict[str, Any], name: str) -> bool:
    """Append an empty item to the list of records ``name`` (with a suggested id); False if none."""
    path = _path_of(name)
    target = _list_at(data, path, create=True)
    sub = _schema_at(schema, path)
    if target is None or _kind(schema, sub) != "records":
        return False
    items = _resolve(schema, sub.get("items") or {})
    item: dict[str, Any] = {}
    if "id" in (items.get("properties") or {}):
        item["id"] = suggest_id([i.get("id") for i in target if isinstance(i, Mapping)], path, data)
    target.append(item)
    return True


def remove_item(schema: Mapping[str, Any], data: dict[str, Any], name: str) -> bool:
    path = _path_of(name)
    if not path or not isinstance(path[-1], int):
        return False
    target = _list_at(data, path[:-1], create=False)
    if target is None or not 0 <= path[-1] < len(target):
        return False
    del target[path[-1]]
    return True


def suggest_id(siblings: Sequence[Any], path: Path, data: Mapping[str, Any]) -> str:
    """The next id like its siblings' (``g3`` after ``g1``, ``g2``; ``g1-o3`` after ``g1-o2``)."""
    numbered = [re.fullmatch(r"(.*?)(\d+)", s) for s in siblings if isinstance(s, str)]
    matches = [m for m in numbered if m is not None]
    if matches:
        prefix = matches[-1].group(1)
        number = max(int(m.group(2)) for m in matches if m.group(1) == prefix) + 1
    else:
        parent = _parent_item(data, path)
        owner = parent.get("id") if isinstance(parent, Mapping) else None
        key = str(path[-1]) if path else "item"
        prefix = f"{owner}-{key[:1]}" if isinstance(owner, str) else key[:1]
        number = 1
    taken = set(siblings)
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"


def _parent_item(data: Mapping[str, Any], path: Path) -> Any:
    node: Any = data
    for step in path[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _path_of(name: str) -> Path:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*(\.([A-Za-z_][A-Za-z0-9_-]*|\d{1,4}))*", name):
        return ()
    return tuple(int(step) if step.isdigit() else step for step in name.split("."))


def _list_at(data: dict[str, Any], path: Path, *, create: bool) -> list[Any] | None:
    node: Any = data
    for index, step in enumerate(path):
        last = index == len(path) - 1
        if isinstance(step, int):
            if not isinstance(node, list) or not 0 <= step < len(node):
                return None
            node = node[step]
        else:
            if not isinstance(node, dict):
                return None
            if step not in node and create:
                node[step] = [] if last else {}
            node = node.get(step)
    return node if isinstance(node, list) else None


def _schema_at(schema: Mapping[str, Any], path: Path) -> Mapping[str, Any]:
    from caseflow.core.forms import subschema

    return subschema(schema, list(path))


# -- problems -> fields --------------------------------------------------------------------------

_MISSING = re.compile(r"^missing required field '([^']+)'")
_NAMED = re.compile(r"needs a valid '([^']+)'")


def place_problems(problems: Sequence[Problem], raw: bytes | None, path: str) -> dict[str, list[str]]:
    """The problems by field name (``""``: those of no one field), located in the document ``raw``
    that the service checked (its lines and columns say where)."""
    from caseflow.core.documents import load_document
    from caseflow.errors import DocumentError

    where: dict[tuple[int, int], Path] = {}
    if raw is not None:
        try:
            document = load_document(path, raw)
        except DocumentError:
            document = None
        if document is not None:
            for inside in _paths(document.data, ()):
                where.setdefault(document.locate(inside), inside)
    placed: dict[str, list[str]] = {}
    for problem in problems:
        at: Path | None = where.get((problem.line, problem.col)) if problem.line else None
        missing = _MISSING.match(problem.message) or (None if at else _NAMED.search(problem.message))
        if missing is not None:
            at = (*(at or ()), missing.group(1))
        placed.setdefault(name_of(at) if at else "", []).append(problem.message)
    return placed


def _paths(node: Any, path: Path) -> Iterable[Path]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def unplaced(placed: Mapping[str, list[str]], fields: Sequence[Field]) -> list[str]:
    """Messages whose field is not on the form (shown in the summary only)."""
    names = {f.name for f in walk(fields)}
    return [m for name, messages in placed.items() if name not in names for m in messages]


def walk(fields: Sequence[Field]) -> Iterable[Field]:
    for one in fields:
        yield one
        yield from walk(one.children)
