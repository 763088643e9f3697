"""What changed between two versions of a document, in the form's own words.

Fields are named by their schema titles, and list items are matched by their ``id`` (not their
position), so moving a goal is no change and editing one objective is one change:
``Goal 'Stable housing' › Target date: 2026-03-01 → 2026-04-15``. A form may describe its own
changes better (an instrument says ``PHQ-9 total 14 → 19 (moderate → moderately severe)``) through
``Form.describe_changes``. Markdown bodies are compared line by line.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from caseflow.core.forms import subschema

Path = tuple[str | int, ...]
#: Fields that name a list item for people, in order of preference.
ITEM_NAMES = ("title", "name", "statement", "action", "flag", "problem", "status")


@dataclass(frozen=True)
class Change:
    """One field (or list item) that differs: its path in the data, its label, before and after."""

    path: Path
    label: str
    kind: str  # "changed", "added" or "removed"
    old: Any = None
    new: Any = None
    #: One value added to or removed from a plain list (the path is the list's), not a field.
    element: bool = False

    def text(self) -> str:
        if self.kind == "added":
            return f"{self.label} added: {_words(self.new)}"
        if self.kind == "removed":
            return f"{self.label} removed (was {_words(self.old)})"
        return f"{self.label}: {_words(self.old)} → {_words(self.new)}"

    def as_json(self) -> dict[str, Any]:
        return {"path": list(self.path), "label": self.label, "kind": self.kind, "old": self.old, "new": self.new}

    def worded(self) -> dict[str, str]:
        """Its label and values in words, for a form's own wording of it (``{label}: {old} → {new}``)."""
        return {"label": self.label, "old": _words(self.old), "new": _words(self.new)}


def changes(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, schema: Mapping[str, Any]) -> list[Change]:
    """Every difference from ``old`` to ``new`` (either may be None: the document did not exist)."""
    found: list[Change] = []
    _compare(old or {}, new or {}, _Where(schema, (), [], []), found)
    return found


def body_diff(old: str, new: str) -> list[str]:
    """A Markdown body's changed lines, ``-`` and ``+`` marked (context left out: the note is there)."""
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if not line.startswith(("---", "+++", "@@"))
    ]


@dataclass(frozen=True)
class _Where:
    """Where the walk is: the form's schema, the data path, the schema path, the labels so far."""

    schema: Mapping[str, Any]
    at: Path
    schema_path: list[str | int]
    labels: list[str]

    def title(self, key: str) -> str:
        return str(subschema(self.schema, [*self.schema_path, key]).get("title") or key)

    def field(self, key: str) -> _Where:
        return _Where(self.schema, (*self.at, key), [*self.schema_path, key], [*self.labels, self.title(key)])

    def item(self, item_id: Any, label: str) -> _Where:
        return _Where(self.schema, (*self.at, f"[{item_id}]"), [*self.schema_path, 0], [*self.labels[:-1], label])

    @property
    def label(self) -> str:
        return " › ".join(self.labels)


def _compare(old: Any, new: Any, where: _Where, out: list[Change]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*new, *(k for k in old if k not in new)]:
            if key == "form":
                continue
            child = where.field(key)
            if key not in old:
                out.append(Change(child.at, child.label, "added", None, new[key]))
            elif key not in new:
                out.append(Change(child.at, child.label, "removed", old[key], None))
            else:
                _compare(old[key], new[key], child, out)
        return
    if isinstance(old, list) and isinstance(new, list) and _is_list_of_items([*old, *new]):  # one may be []
        _compare_items(old, new, where, out)
        return
    if isinstance(old, list) and isinstance(new, list) and not any(isinstance(v, Mapping) for v in [*old, *new]):
        out.extend(Change(where.at, where.label, "removed", value, None, True) for value in old if value not in new)
        out.extend(Change(where.at, where.label, "added", None, value, True) for value in new if value not in old)
        return
    if old != new:
        out.append(Change(where.at, where.label, "changed", old, new))


def _compare_items(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], where: _Where, out: list[Change]
) -> None:
    items = subschema(where.schema, [*where.schema_path, 0])
    kind = str(items.get("title") or (where.labels[-1] if where.labels else "item"))
    before = {item["id"]: item for item in old}
    after = {item["id"]: item for item in new}
    for item_id in [*after, *(i for i in before if i not in after)]:
        # named as the reviewer last saw it (the approved version), when it had a name then
        child = where.item(item_id, f"{kind} '{_name(before.get(item_id) or after[item_id])}'")
        if item_id not in before:
            out.append(Change(child.at, child.label, "added", None, after[item_id]))
        elif item_id not in after:
            out.append(Change(child.at, child.label, "removed", before[item_id], None))
        else:
            _compare(before[item_id], after[item_id], child, out)


def _is_list_of_items(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, Mapping) and isinstance(v.get("id"), str | int) for v in value)
    )


def _name(item: Mapping[str, Any]) -> str:
    for key in ITEM_NAMES:
        if isinstance(item.get(key), str) and item[key]:
            text = str(item[key])
            return text if len(text) <= 60 else text[:57] + "..."
    return str(item.get("id"))


def _words(value: Any) -> str:
    if isinstance(value, Mapping):
        return _name(value) if "id" in value else ", ".join(f"{k}: {_words(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_words(v) for v in value) or "(none)"
    if value is None or value == "":
        return "(empty)"
    return str(value)
