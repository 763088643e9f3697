"""A three-way merge of one case document, field by field, keeping both sides' layout.

Git merges text line by line, so two people changing neighbouring fields of one plan conflict,
and a conflict leaves ``<<<<<<<`` markers that make the YAML unreadable. Here the ancestor (O),
ours (A) and theirs (B) are compared as data: every field B changed that A left alone is applied to
A's document (so A's comments and formatting stay, and untouched lines stay byte for byte), list
items are matched by ``id``, and a field both sides changed differently is a conflict that is
reported, not written: the result is A's value, with the conflict listed for ``caseflow resolve``.
A Markdown body is merged as text (as ``git merge-file`` does): if both sides changed the same
lines, that is a conflict too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from caseflow.core.documents import Document, load_document, to_plain
from caseflow.core.documents.edits import add_field, delete_item, insert_item, new_mapping
from caseflow.core.textpolicy import encode_document
from caseflow.errors import DocumentError
from caseflow.review.semdiff import Change, changes

Step = str | int
MISSING = object()


@dataclass(frozen=True)
class Conflict:
    path: tuple[Step, ...]
    label: str
    base: Any
    mine: Any
    theirs: Any

    def as_json(self) -> dict[str, Any]:
        return {
            "path": list(self.path),
            "label": self.label,
            "base": _json(self.base),
            "mine": _json(self.mine),
            "theirs": _json(self.theirs),
        }


@dataclass
class Merged:
    data: bytes
    conflicts: list[Conflict] = field(default_factory=list)


def merge(
    path: str,
    base: bytes,
    mine: bytes,
    theirs: bytes,
    schema: Mapping[str, Any],
    merge_text: Callable[[str, str, str], str | None],
) -> Merged:
    """Theirs' changes (relative to base) applied to mine; what both changed differently, listed.

    ``merge_text(base, mine, theirs)`` merges text as git does (None: both changed the same lines).
    When the whole files merge as text and that gives the same data as merging field by field, the
    text merge wins: it keeps both sides' comments and layout too. Otherwise each field theirs
    changed is applied to mine. An empty base (both sides added the file) counts as no fields.
    """
    ours, other = load_document(path, mine), load_document(path, theirs)
    old = load_document(path, base) if base.strip() else None
    result = Merged(b"")
    mine_data = ours.plain()
    base_data = old.plain() if old else _common_ground(mine_data, other.plain())
    for change in changes(base_data, other.plain(), schema):
        _apply(ours, change, base_data, mine_data, result)
    if ours.kind == "markdown":
        ours.body = _merge_body(old.body if old else "", ours.body, other.body, merge_text, result)
    result.data = ours.to_bytes()
    if not result.conflicts and old is not None:
        as_text = _text_merge(path, base, mine, theirs, merge_text)
        if as_text is not None and load_document(path, as_text).plain() == ours.plain():
            result.data = as_text
    return result


def _common_ground(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
    """A base for two documents added on both sides: what they agree on, and empty lists where both
    have one, so that each side's items are additions to merge by id rather than one conflict."""
    ground: dict[str, Any] = {}
    for key in mine.keys() & theirs.keys():
        if mine[key] == theirs[key]:
            ground[key] = mine[key]
        elif isinstance(mine[key], list) and isinstance(theirs[key], list):
            ground[key] = []
    return ground


def _text_merge(
    path: str, base: bytes, mine: bytes, theirs: bytes, merge_text: Callable[[str, str, str], str | None]
) -> bytes | None:
    """The line-by-line merge, in mine's encoding (CRLF and BOM kept), if it merges and parses."""
    texts = [load_document(path, raw) for raw in (base, mine, theirs)]
    merged = merge_text(*(t.source or "" for t in texts))
    if merged is None:
        return None
    data = encode_document(merged, texts[1].text_style)
    try:
        load_document(path, data)
    except DocumentError:
        return None
    return data


def _apply(ours: Document, change: Change, base: Any, mine: Any, result: Merged) -> None:
    before, now = lookup(base, change.path), lookup(mine, change.path)
    if change.element:
        _apply_to_list(ours, change, now, result)  # one value of a plain list (purposes, goals worked on)
        return
    theirs = MISSING if change.kind == "removed" else change.new
    if _same(now, theirs):
        return  # both made the same change
    if not _same(now, before) or (theirs is not MISSING and lookup(ours.data, change.path[:-1]) is MISSING):
        # both changed it differently, or mine removed what theirs changed inside
        result.conflicts.append(Conflict(change.path, change.label, _value(before), _value(now), _value(theirs)))
        return
    put(ours.data, change.path, theirs)


def _apply_to_list(ours: Document, change: Change, now: Any, result: Merged) -> None:
    target: Any = lookup(ours.data, change.path)  # the document's own (ruamel) list
    if not isinstance(target, list):  # mine removed the whole list that theirs changed
        result.conflicts.append(Conflict(change.path, change.label, None, _value(now), change.new))
        return
    if change.kind == "added" and change.new not in target:
        insert_item(cast(Any, target), len(target), change.new)
    elif change.kind == "removed" and change.old in target:
        delete_item(cast(Any, target), list(target).index(change.old))


def _merge_body(
    base: str, mine: str, theirs: str, merge_text: Callable[[str, str, str], str | None], result: Merged
) -> str:
    if mine == theirs or theirs == base:
        return mine
    if mine == base:
        return theirs
    merged = merge_text(base, mine, theirs)
    if merged is None:
        result.conflicts.append(Conflict(("body",), "Note text", base, mine, theirs))
        return mine
    return merged


# -- paths into the data (list items by id: "[g1]") -------------------------------------------------


def _step(container: Any, step: Step) -> Any:
    if isinstance(step, str) and step.startswith("[") and step.endswith("]") and isinstance(container, list):
        wanted = step[1:-1]
        return next(
            (item for item in container if isinstance(item, Mapping) and str(item.get("id")) == wanted), MISSING
        )
    if isinstance(container, Mapping):
        return container.get(step, MISSING) if step in container else MISSING
    return MISSING


def lookup(data: Any, path: tuple[Step, ...]) -> Any:
    """The plain value at ``path``, or MISSING."""
    current = data
    for step in path:
        current = _step(current, step)
        if current is MISSING:
            return MISSING
    return current


def put(data: Any, path: tuple[Step, ...], value: Any) -> None:
    """Set (or delete, with MISSING) the value at ``path`` in a document, keeping its comments."""
    parent: Any = lookup(data, path[:-1])  # the live (ruamel) container in a document's data
    last = path[-1]
    if isinstance(last, str) and last.startswith("[") and isinstance(parent, list):
        index = next(
            (i for i, item in enumerate(parent) if isinstance(item, Mapping) and f"[{item.get('id')}]" == last), None
        )
        if value is MISSING:
            if index is not None:
                delete_item(cast(Any, parent), index)
        elif index is None:
            insert_item(cast(Any, parent), len(parent), _yaml(value))
        else:
            parent[index] = _yaml(value)
        return
    if not isinstance(parent, Mapping):
        raise KeyError(path)
    if value is MISSING:
        if last in parent:
            del parent[last]  # type: ignore[attr-defined]
    elif last in parent:
        parent[last] = _yaml(value)  # type: ignore[index]
    else:
        add_field(parent, str(last), _yaml(value))  # type: ignore[arg-type]


def _yaml(value: Any) -> Any:
    if isinstance(value, Mapping):
        return new_mapping({k: _yaml(v) for k, v in value.items()})
    return value


def _same(a: Any, b: Any) -> bool:
    return _value(a) == _value(b)


def _value(value: Any) -> Any:
    return None if value is MISSING else to_plain(value)


def _json(value: Any) -> Any:
    return None if value is MISSING else value
