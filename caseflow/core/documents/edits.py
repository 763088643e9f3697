"""Edits that keep a person's file as it was: quoting, comments, and where comments sit.

ruamel stores a full-line comment *before* list item i+1 as the trailing comment of item i's
last line (and the one before item 0 as the list's own pre-comment). Deleting or inserting an
item naively therefore hands comments to the wrong neighbour; these helpers move them along.
"""

from __future__ import annotations

import copy
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from caseflow.core.documents.policy import ExplicitNull


def styled_like(old: Any, new: Any) -> Any:
    """Keep a person's quoting when caseflow replaces a scalar (``'555'`` stays single-quoted)."""
    if isinstance(new, str):
        if isinstance(old, SingleQuotedScalarString):
            return SingleQuotedScalarString(new)
        if isinstance(old, DoubleQuotedScalarString):
            return DoubleQuotedScalarString(new)
    if new is None and isinstance(old, ExplicitNull):
        return old
    return new


def new_mapping(items: dict[str, Any] | None = None) -> CommentedMap:
    return CommentedMap(items or {})


def new_sequence(items: list[Any] | None = None) -> CommentedSeq:
    return CommentedSeq(items or [])


# ---------------------------------------------------------------------------------------------
# List and field edits that keep comments with the items they describe (see the module docstring)


def _tail_slot(node: Any) -> tuple[list[Any], int] | None:
    """The comment slot after the last line of a block collection, or None for a leaf."""
    if isinstance(node, CommentedMap | CommentedSeq) and len(node) and not node.fa.flow_style():
        key: Any = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        inner = _tail_slot(node[key])
        if inner is not None:
            return inner
        if isinstance(node, CommentedMap):
            return node.ca.items.setdefault(key, [None, None, None, None]), 2
        return node.ca.items.setdefault(key, [None, None, None, None]), 0
    return None


def _item_slot(seq: CommentedSeq, index: int) -> tuple[list[Any], int]:
    """The comment slot after item ``index``'s last line."""
    inner = _tail_slot(seq[index])
    return inner if inner is not None else (seq.ca.items.setdefault(index, [None, None, None, None]), 0)


def _take_block(slot: tuple[list[Any], int] | None) -> str:
    """Cut the comment lines (and blank lines) after a slot's own line; return them."""
    if slot is None or slot[0][slot[1]] is None:
        return ""
    token = slot[0][slot[1]]
    text = token.value
    cut = text.find("\n") + 1 if "\n" in text else len(text)
    own, block = text[:cut] or "\n", text[cut:]
    if own == "\n":
        slot[0][slot[1]] = None
    else:
        token.value = own
    return block


def _put_block(slot: tuple[list[Any], int] | None, block: str) -> None:
    """Put comment lines after a slot's own line (which must have none yet)."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if slot is None or not block:
        return
    container, index = slot
    if container[index] is None:
        container[index] = CommentToken("\n" + block, CommentMark(0), None)
    else:
        container[index].value += block


def add_field(mapping: CommentedMap, key: str, value: Any) -> None:
    """Add a new last field; comments that followed the old last line now follow the new one."""
    moved = _take_block(_tail_slot(mapping))
    mapping[key] = value
    _put_block(_tail_slot(mapping) or (mapping.ca.items.setdefault(key, [None, None, None, None]), 2), moved)


def delete_item(seq: CommentedSeq, index: int) -> None:
    """Remove ``seq[index]``; the comment above the next item stays above the next item."""
    after = _take_block(_item_slot(seq, index))
    if index > 0:
        _take_block(_item_slot(seq, index - 1))
        _put_block(_item_slot(seq, index - 1), after)
    elif after.strip() and len(seq) > 1 and seq.ca.comment and seq.ca.comment[1]:
        # The first item's comment sits above the list; the next item's comment takes its place.
        _replace_lines(seq.ca.comment[1], after)
    del seq[index]


def insert_item(seq: CommentedSeq, index: int, value: Any) -> None:
    """Insert ``value`` before ``seq[index]`` (or append); each comment stays with its item."""
    if index == 0 or not len(seq):
        seq.insert(0, value)
        return
    moved = _take_block(_item_slot(seq, index - 1))
    seq.insert(index, value)
    _put_block(_item_slot(seq, index), moved)


def _replace_lines(tokens: list[Any], block: str) -> None:
    """Swap the text of a pre-comment (a list of one-line tokens) for ``block``'s comment lines."""
    lines = [line.strip() + "\n" for line in block.splitlines() if line.strip()]
    if not tokens or not lines:
        return
    template = tokens[0]
    del tokens[:]
    for line in lines:
        token = copy.copy(template)
        token.value = line
        tokens.append(token)


def rename_field(mapping: CommentedMap, old: str, new: str) -> None:
    """Give a field another name where it stands: its value, its comments and the lines around it
    stay as they were (an import renaming an agency's ``birth_date`` to ``dob``)."""
    position = list(mapping).index(old)
    value = mapping[old]
    comment = mapping.ca.items.pop(old, None)
    mapping.insert(position, new, value)
    del mapping[old]
    if comment is not None:
        mapping.ca.items[new] = comment
    position_data = getattr(mapping.lc, "data", None)
    if position_data is not None and old in position_data:  # where it was read: errors still point there
        position_data[new] = position_data.pop(old)


def own_comment(mapping: CommentedMap, key: str) -> Any:
    """A copy of the comment on a field's own line (``phone: 555  # work``), or None: for moving
    the field elsewhere with its comment (the comment lines below it stay where they are)."""
    slot = mapping.ca.items.get(key)
    token = slot[2] if slot is not None and len(slot) > 2 else None
    if token is None or isinstance(mapping[key], CommentedMap | CommentedSeq):
        return None
    own = token.value.split("\n", 1)[0]
    if not own.strip():
        return None
    moved = copy.copy(token)
    moved.value = own + "\n"
    return moved


def put_comment(mapping: CommentedMap, key: str, comment: Any) -> None:
    """Give a field the comment :func:`own_comment` took."""
    if comment is not None:
        mapping.ca.items[key] = [None, None, comment, None]
