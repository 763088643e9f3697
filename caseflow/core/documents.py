"""Case documents: YAML files and Markdown files with YAML front matter.

The only module that imports ruamel.yaml. Two loaders share one policy:

* the *round-trip* loader (pure Python, keeps comments, quotes, flow style and positions) is used
  to write and to locate problems by line and column; saving an unedited document gives back the
  same bytes, and a one-field edit changes one line;
* the *fast* loader (the C parser) is used to read plain data on bulk paths. It only sees text
  that cannot hold what the policy rejects; anything else, and any error, goes through the
  round-trip loader so that every message carries a position.

Policy: YAML 1.2 only (no ``%YAML`` directive; ``NO`` stays a string; dates stay strings),
duplicate keys are errors naming both lines, anchors, aliases and explicit tags are rejected,
nesting is capped at :data:`MAX_DEPTH`, and the byte-level rules of :mod:`textpolicy` apply.
"""

from __future__ import annotations

import copy
import io
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from caseflow.core.textpolicy import TextStyle, decode_document, encode_document, reject_yaml_directive
from caseflow.errors import DocumentError, Problem

#: Deeper than this is never a case document (a plan is about 6 levels deep).
MAX_DEPTH = 64

#: Implicit types that are not part of the YAML 1.2 core schema; their text stays a string.
_NOT_CORE_SCHEMA = {
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:merge",
    "tag:yaml.org,2002:value",
    "tag:yaml.org,2002:yaml",
}

JsonPath = Sequence[str | int]


class _CoreSchemaResolver(VersionedResolver):
    """YAML 1.2 core schema: ``2026-01-05`` is a string, validated by the form's ``format``."""

    _filtered: dict[Any, dict[Any, list[Any]]] = {}  # noqa: RUF012 - a cache shared on purpose

    @property
    def versioned_resolver(self) -> Any:
        # Called for every scalar: filter ruamel's table once per YAML version, not every time.
        version = self.processing_version
        table = self._filtered.get(version)
        if table is None:
            table = self._filtered[version] = {
                first: [(tag, rx) for tag, rx in entries if str(tag) not in _NOT_CORE_SCHEMA]
                for first, entries in super().versioned_resolver.items()
            }
        return table


class _PolicyError(MarkedYAMLError):
    pass


class _StrictComposer(Composer):
    """Refuses anchors, aliases and explicit tags where they appear, before building nodes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            raise _PolicyError(None, None, "aliases (*name) are not allowed in case documents", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise _PolicyError(None, None, "anchors (&name) are not allowed in case documents", event.start_mark)
        tag = event.tag if isinstance(event, ScalarEvent | CollectionStartEvent) else None
        if tag is not None and not (isinstance(event, ScalarEvent) and tag == "!"):
            raise _PolicyError(None, None, f"explicit tags ({tag}) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


class ExplicitNull:
    """A null that was spelled out (``null`` or ``~``), kept so that it is written back the same."""

    __slots__ = ("text",)

    def __init__(self, text: str = "null") -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"ExplicitNull({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, ExplicitNull)

    def __hash__(self) -> int:
        return hash(None)


class _Constructor(RoundTripConstructor):
    def construct_yaml_null(self, node: Any) -> Any:
        return ExplicitNull(node.value) if node.value else None


class _Representer(RoundTripRepresenter):
    def represent_explicit_null(self, data: ExplicitNull) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:null", data.text)


_Constructor.add_constructor("tag:yaml.org,2002:null", _Constructor.construct_yaml_null)
_Representer.add_representer(ExplicitNull, _Representer.represent_explicit_null)


@dataclass(frozen=True)
class YamlStyle:
    """Indentation and markers of one file, detected on load and reused on save."""

    mapping: int = 2
    sequence: int = 4
    offset: int = 2
    explicit_start: bool = False
    final_newline: bool = True


def _round_trip_yaml(style: YamlStyle | None = None) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Resolver = _CoreSchemaResolver
    yaml.Composer = _StrictComposer
    yaml.Constructor = _Constructor
    yaml.Representer = _Representer
    yaml.version = None
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = False
    yaml.max_depth = MAX_DEPTH
    yaml.width = 1 << 16  # never re-wrap a person's long line
    if style is not None:
        yaml.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
        yaml.explicit_start = style.explicit_start or None
    return yaml


def _fast_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _CoreSchemaResolver
    yaml.allow_duplicate_keys = False
    return yaml


_FAST = _fast_yaml()
_DUMPERS: dict[YamlStyle, YAML] = {}
_LEADING = re.compile(r"^[ \t?:-]*", re.MULTILINE)


def fast_loader_is_c() -> bool:
    """True when the fast path really runs libyaml's C parser (ruamel.yaml.clib installed)."""
    from ruamel.yaml.main import CParser

    return CParser is not None and _FAST.Parser is CParser


# ---------------------------------------------------------------------------------------------
# The document model


@dataclass
class Document:
    """One loaded document, editable in place; ``to_bytes()`` writes it back."""

    path: str
    kind: str  # "yaml" or "markdown"
    data: CommentedMap
    body: str = ""
    text_style: TextStyle = field(default_factory=TextStyle)
    yaml_style: YamlStyle = field(default_factory=YamlStyle)
    line_offset: int = 0  # lines before the YAML starts (the front-matter fence)

    @property
    def form_id(self) -> str | None:
        value = self.data.get("form")
        return value if isinstance(value, str) else None

    def plain(self) -> dict[str, Any]:
        """A JSON-compatible deep copy of the data (what schemas and plugins see)."""
        result = to_plain(self.data)
        assert isinstance(result, dict)
        return result

    def to_text(self) -> str:
        yaml_text = dump_yaml(self.data, self.yaml_style)
        if not self.yaml_style.final_newline:
            yaml_text = yaml_text.removesuffix("\n")
        if self.kind == "markdown":
            return f"---\n{yaml_text}---\n{self.body}"
        return yaml_text

    def to_bytes(self) -> bytes:
        return encode_document(self.to_text(), self.text_style)

    def locate(self, path: JsonPath) -> tuple[int, int]:
        """1-based line and column of the value at ``path`` (or its nearest existing parent)."""
        line, col = locate(self.data, path)
        return line + self.line_offset, col


def is_markdown(path: str) -> bool:
    return path.endswith(".md")


def load_document(path: str, raw: bytes) -> Document:
    """Load a document for editing or error reporting (round trip, positions kept)."""
    text, text_style = decode_document(path, raw)
    if is_markdown(path):
        front, body, offset = split_front_matter(path, text)
        data = _load_round_trip(path, front, offset)
        return Document(path, "markdown", data, body, text_style, detect_style(front), offset)
    data = _load_round_trip(path, text, 0)
    return Document(path, "yaml", data, "", text_style, detect_style(text), 0)


def load_plain(path: str, raw: bytes) -> tuple[dict[str, Any], str]:
    """Load a document's plain data (and Markdown body) as fast as the policy allows."""
    text, _ = decode_document(path, raw)
    yaml_text, body, offset = split_front_matter(path, text) if is_markdown(path) else (text, "", 0)
    if _fast_path_is_safe(yaml_text):
        try:
            data = _FAST.load(yaml_text)
        except (YAMLError, ValueError, RecursionError):
            data = None  # the round-trip loader below says precisely what is wrong
        else:
            if isinstance(data, dict):
                return to_plain(data), body
    return to_plain(_load_round_trip(path, yaml_text, offset)), body


def new_document(path: str, text: str) -> Document:
    """Parse text produced by caseflow itself (a skeleton) into an editable document."""
    return load_document(path, text.encode("utf-8"))


def split_front_matter(path: str, text: str) -> tuple[str, str, int]:
    """Split Markdown into (front-matter YAML, body kept verbatim, line offset of the YAML)."""
    if not (text.startswith("---\n") or text == "---"):
        raise DocumentError(Problem(path, 1, 1, "Markdown document must start with '---' front matter naming its form"))
    end = re.search(r"^(?:---|\.\.\.)[ \t]*$\n?", text[4:], re.MULTILINE)
    if end is None:
        raise DocumentError(Problem(path, 1, 1, "front matter opened here is never closed (add a line '---' after it)"))
    front = text[4 : 4 + end.start()]
    closing = text[4 + end.start() : 4 + end.end()]
    if closing.rstrip("\n") != "---":
        # '...' or trailing blanks would not survive a save byte-for-byte; be explicit instead.
        line = text.count("\n", 0, 4 + end.start()) + 1
        raise DocumentError(Problem(path, line, 1, "close the front matter with a plain '---' line"))
    return front, text[4 + end.end() :], 1


def dump_yaml(data: Any, style: YamlStyle | None = None) -> str:
    style = style or YamlStyle()
    dumper = _DUMPERS.get(style)
    if dumper is None:
        dumper = _DUMPERS[style] = _round_trip_yaml(style)
    out = io.StringIO()
    dumper.dump(data, out)
    return out.getvalue()


def detect_style(text: str) -> YamlStyle:
    """Find the indentation a file uses, so saving it changes nothing a person did not change."""
    mapping = sequence = offset = None
    lines = [ln for ln in text.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    for parent, child in itertools.pairwise(lines):
        stripped = parent.rstrip()
        if not stripped.endswith(":") or stripped.lstrip().startswith("- "):
            continue
        parent_indent = len(parent) - len(parent.lstrip())
        child_indent = len(child) - len(child.lstrip())
        if child_indent < parent_indent:
            continue
        body = child.lstrip()
        if body.startswith("- ") or body == "-":
            if sequence is None:
                offset = child_indent - parent_indent
                after_dash = len(body) - len(body[1:].lstrip()) if body != "-" else 2
                sequence = offset + after_dash
        elif mapping is None and child_indent > parent_indent:
            mapping = child_indent - parent_indent
        if mapping is not None and sequence is not None:
            break
    if mapping is None:
        mapping = 2
    if sequence is None:
        sequence, offset = mapping + 2, mapping
    return YamlStyle(
        mapping, max(sequence, (offset or 0) + 2), offset or 0, text.startswith("---"), text.endswith("\n") or not text
    )


def _fast_path_is_safe(text: str) -> bool:
    """The C loader knows none of our policy, so it only gets text that cannot break it."""
    if "&" in text or "*" in text or "!" in text or "%" in text:
        return False
    nesting = text.count("[") + text.count("{") + max(map(len, _LEADING.findall(text)), default=0)
    return nesting < MAX_DEPTH


def _load_round_trip(path: str, text: str, line_offset: int) -> CommentedMap:
    reject_yaml_directive(path, text, line_offset)
    try:
        # A fresh loader each time: ruamel's composer keeps its depth count across a failed load.
        data = _round_trip_yaml().load(text)
    except DuplicateKeyError as exc:
        raise DocumentError(_duplicate_key_problem(path, exc, line_offset)) from None
    except MarkedYAMLError as exc:
        raise DocumentError(_marked_problem(path, exc, line_offset)) from None
    except (YAMLError, ValueError) as exc:
        raise DocumentError(Problem(path, 1 + line_offset, 1, f"unreadable YAML: {exc}")) from None
    except RecursionError:
        raise DocumentError(Problem(path, 1 + line_offset, 1, f"nested deeper than {MAX_DEPTH} levels")) from None
    if not isinstance(data, CommentedMap):
        raise DocumentError(
            Problem(path, 1 + line_offset, 1, "a document must be a mapping of fields, starting with 'form:'")
        )
    return data


def _marked_problem(path: str, exc: MarkedYAMLError, line_offset: int) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    message = exc.problem or exc.context or "unreadable YAML"
    if "maximum depth" in message:
        message = f"nested deeper than {MAX_DEPTH} levels"
    elif exc.context and exc.problem and not isinstance(exc, _PolicyError):
        message = f"{exc.problem} ({exc.context})"
    return Problem(path, line + line_offset, col, message)


def _duplicate_key_problem(path: str, exc: DuplicateKeyError, line_offset: int) -> Problem:
    mark = exc.problem_mark
    key = re.search(r'duplicate key "(.*?)" with value', exc.problem or "")
    name = key.group(1) if key else "?"
    first = _first_key_line(exc, name)
    where = f" (first defined on line {first + line_offset})" if first else ""
    assert mark is not None
    return Problem(path, mark.line + 1 + line_offset, mark.column + 1, f"duplicate key '{name}'{where}")


def _first_key_line(exc: DuplicateKeyError, key: str) -> int | None:
    mapping_mark = exc.context_mark
    if mapping_mark is None or mapping_mark.buffer is None:
        return None
    lines = str(mapping_mark.buffer).split("\n")
    pattern = re.compile(rf"^\s*(?:-\s+)?['\"]?{re.escape(key)}['\"]?\s*:")
    for number in range(mapping_mark.line, len(lines)):
        if pattern.match(lines[number]):
            return number + 1
    return None


# ---------------------------------------------------------------------------------------------
# Plain data, positions and edits


def to_plain(value: Any) -> Any:
    """Deep-copy round-trip nodes into JSON-compatible dicts, lists and scalars."""
    if isinstance(value, dict):
        return {_plain_key(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, ExplicitNull) or value is None:
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return str(value)


def _plain_key(key: Any) -> str:
    return "null" if isinstance(key, ExplicitNull) or key is None else str(key)


def locate(data: Any, path: JsonPath) -> tuple[int, int]:
    """0-based ruamel positions turned into 1-based (line, col) for the value at ``path``."""
    line, col = data.lc.line, data.lc.col
    node = data
    for step in path:
        if isinstance(node, CommentedMap) and step in node:
            value = node[step]
            if isinstance(value, CommentedMap | CommentedSeq) and len(value):
                line, col = node.lc.key(step)
            else:
                line, col = node.lc.value(step)
            node = value
        elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
            line, col = node.lc.item(step)
            node = node[step]
        else:
            break
    return line + 1, col + 1


def iter_scalars(data: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every scalar leaf with its path (used to report values a schema cannot see)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from iter_scalars(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from iter_scalars(value, (*prefix, index))
    else:
        yield prefix, data


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


def parse_scalar(text: str) -> Any:
    """What typed text means as a plain YAML 1.2 scalar (``16`` is 16, ``true`` is True); else the text."""
    if "\n" in text or text != text.strip():
        return text
    try:
        value = _FAST.load(text)
    except YAMLError:
        return text
    return value if value is None or isinstance(value, bool | int | float | str) else text


def needs_quotes(text: str) -> bool:
    """Would this string read back as something else (a number, bool, null) if written plain?"""
    try:
        value = _FAST.load(text)
    except YAMLError:
        return True
    return not isinstance(value, str) or value != text


def new_mapping(items: dict[str, Any] | None = None) -> CommentedMap:
    return CommentedMap(items or {})


def new_sequence(items: list[Any] | None = None) -> CommentedSeq:
    return CommentedSeq(items or [])


def quoted(text: str) -> DoubleQuotedScalarString:
    return DoubleQuotedScalarString(text)


__all__ = [
    "MAX_DEPTH",
    "CommentedMap",
    "CommentedSeq",
    "Document",
    "ExplicitNull",
    "YamlStyle",
    "add_field",
    "delete_item",
    "detect_style",
    "dump_yaml",
    "fast_loader_is_c",
    "insert_item",
    "load_document",
    "load_plain",
    "locate",
    "new_document",
    "parse_scalar",
    "split_front_matter",
    "to_plain",
]


# ---------------------------------------------------------------------------------------------
# List edits that keep comments with the items they describe
#
# ruamel stores a full-line comment *before* list item i+1 as the trailing comment of item i's
# last line (and the one before item 0 as the list's own pre-comment). Deleting or inserting an
# item naively therefore hands comments to the wrong neighbour; these helpers move them along.


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
