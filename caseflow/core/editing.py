"""Field edits by dotted path: ``review_date``, ``address.city``, ``goals[g1].status``, ``goals[0]``.

Edits change the loaded round-trip nodes in place, so comments, quoting and every other line of
the file stay as they were. ``[g1]`` finds the list item whose ``id`` is ``g1``; ``[2]`` is the
third item; ``[+]`` appends a new item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from caseflow.core.documents import (
    CommentedMap,
    ExplicitNull,
    add_field,
    insert_item,
    new_mapping,
    new_sequence,
    parse_scalar,
    styled_like,
)
from caseflow.core.forms import subschema
from caseflow.errors import NotFound, UsageError

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)((?:\[[^\[\]]+\])*)")
_INDEX = re.compile(r"\[([^\[\]]+)\]")


@dataclass(frozen=True)
class Step:
    kind: str  # "key", "index", "id" or "append"
    value: str | int = ""


def parse_field_path(text: str) -> list[Step]:
    steps: list[Step] = []
    for part in text.split("."):
        match = _SEGMENT.fullmatch(part)
        if not match:
            raise UsageError(f"'{text}' is not a field path (try name, address.city or goals[g1].status)")
        steps.append(Step("key", match.group(1)))
        for index in _INDEX.findall(match.group(2)):
            if index == "+":
                steps.append(Step("append"))
            elif index.isdigit():
                steps.append(Step("index", int(index)))
            else:
                steps.append(Step("id", index))
    return steps


def parse_assignment(text: str) -> tuple[str, str]:
    field, sep, value = text.partition("=")
    if not sep or not field:
        raise UsageError(f"'{text}' is not FIELD=VALUE")
    return field.strip(), value


def coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    """Turn typed text into the value the field wants: ``16`` is a number only where one fits."""
    allowed = schema.get("type")
    types = {allowed} if isinstance(allowed, str) else set(allowed or [])
    parsed = parse_scalar(raw)
    if isinstance(parsed, str):
        return raw
    kind = {bool: "boolean", int: "integer", float: "number", type(None): "null"}.get(type(parsed), "string")
    if kind in types or (kind == "integer" and "number" in types) or not types:
        return parsed
    if "string" in types or "enum" in schema:
        return raw
    return parsed


def apply_edit(data: Any, steps: list[Step], raw: str, schema: Mapping[str, Any]) -> list[str | int]:
    """Set the field at ``steps`` to ``raw`` (coerced by the schema); returns the data path set."""
    return _apply(data, steps, raw, schema, [])


def _apply(node: Any, steps: list[Step], raw: str, schema: Mapping[str, Any], path: list[str | int]) -> list[str | int]:
    key = _resolve_step(node, steps[0], path)
    here = [*path, key]
    adding = isinstance(key, int) and key == len(node)
    if len(steps) == 1:
        value = coerce(raw, subschema(schema, here))
        if isinstance(key, int) and adding:
            insert_item(node, key, value)
        else:
            old = node[key] if _has(node, key) else None
            if value is None:
                value = old if isinstance(old, ExplicitNull) else ExplicitNull()
            _attach(node, key, styled_like(old, value))
        return here
    child = node[key] if _has(node, key) else None
    if child is None or isinstance(child, ExplicitNull):
        # Build a new branch completely before attaching it, so comments around it stay put.
        child = new_sequence() if steps[1].kind in ("index", "id", "append") else new_mapping()
        result = _apply(child, steps[1:], raw, schema, here)
        if isinstance(key, int) and adding:
            insert_item(node, key, child)
        else:
            _attach(node, key, child)
        return result
    return _apply(child, steps[1:], raw, schema, here)


def _attach(node: Any, key: str | int, value: Any) -> None:
    if isinstance(node, CommentedMap) and key not in node:
        add_field(node, str(key), value)
    else:
        node[key] = value


def _has(node: Any, key: str | int) -> bool:
    if isinstance(key, int):
        return isinstance(node, list) and 0 <= key < len(node)
    return isinstance(node, dict) and key in node


def _resolve_step(node: Any, step: Step, where: list[str | int]) -> str | int:
    place = _describe(where)
    if step.kind == "key":
        if not isinstance(node, dict):
            raise NotFound(f"{place} is not a set of fields, so it has no '{step.value}'")
        return str(step.value)
    if not isinstance(node, list):
        raise NotFound(f"{place} is not a list")
    if step.kind == "append":
        return len(node)
    if step.kind == "index":
        index = int(step.value)
        if index >= len(node):
            raise NotFound(f"{place} has {len(node)} items; there is no item [{index}] (use [+] to add one)")
        return index
    for index, item in enumerate(node):
        if isinstance(item, dict) and item.get("id") == step.value:
            return index
    raise NotFound(f"{place} has no item with id '{step.value}'")


def _describe(path: list[str | int]) -> str:
    if not path:
        return "the document"
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return f"'{text}'"
