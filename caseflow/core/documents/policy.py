"""The YAML policy, in one place: how caseflow's two YAML loaders are configured.

* the *round-trip* loader (pure Python, keeps comments, quotes, flow style and positions) is used
  to write and to locate problems by line and column;
* the *fast* loader (libyaml's C parser) reads plain data on bulk paths. It only sees text that
  cannot hold what the policy rejects; anything else, and any error, goes through the round-trip
  loader so that every message carries a position.

Policy: YAML 1.2 only (no ``%YAML`` directive; ``NO`` stays a string; dates stay strings),
duplicate keys are errors naming both lines, anchors, aliases and explicit tags are rejected,
nesting is capped at :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver

from caseflow.core.textpolicy import line_col, reject_yaml_directive
from caseflow.errors import DocumentError, Problem

MAX_DEPTH = 64

#: Implicit types that are not part of the YAML 1.2 core schema; their text stays a string.
_NOT_CORE_SCHEMA = {
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:merge",
    "tag:yaml.org,2002:value",
    "tag:yaml.org,2002:yaml",
}


class _CoreSchemaResolver(VersionedResolver):
    """YAML 1.2 core schema: ``2026-01-05`` is a string, validated by the form's ``format``."""

    _table: dict[Any, list[Any]] | None = None

    @property
    def versioned_resolver(self) -> Any:
        # Called for every scalar. The version is always 1.2 (a %YAML directive is refused before
        # parsing), so the filtered table is built once for the process, not looked up per scalar.
        table = _CoreSchemaResolver._table
        if table is None:
            table = _CoreSchemaResolver._table = {
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
#: Characters YAML does not allow in a document (C0/C1 controls other than tab, LF, CR, NEL).
_NOT_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_DUMPERS: dict[YamlStyle, YAML] = {}
_LEADING = re.compile(r"^[ \t?:-]*", re.MULTILINE)


def fast_loader_is_c() -> bool:
    """True when the fast path really runs libyaml's C parser (ruamel.yaml.clib installed)."""
    from ruamel.yaml.main import CParser

    return CParser is not None and _FAST.Parser is CParser


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
    """The C loader knows none of our policy, so it only gets text that cannot break it.

    Tabs go to the round-trip loader too: libyaml accepts some that ruamel refuses, and a
    document that reads fine but cannot be edited would be worse than one clear refusal.
    """
    if "&" in text or "*" in text or "!" in text or "%" in text or "\t" in text:
        return False
    if _NOT_PRINTABLE.search(text):
        return False
    nesting = text.count("[") + text.count("{") + max(map(len, _LEADING.findall(text)), default=0)
    return nesting < MAX_DEPTH


def load_round_trip(path: str, text: str, line_offset: int) -> CommentedMap:
    reject_yaml_directive(path, text, line_offset)
    odd = _NOT_PRINTABLE.search(text)
    if odd:
        line, col = line_col(text, odd.start())
        name = f"U+{ord(odd.group()):04X}"
        raise DocumentError(
            Problem(path, line + line_offset, col, f"contains an invisible control character ({name}); delete it")
        )
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
    elif "'\\t'" in message or "\t" in message:
        message = "a tab character here; YAML spacing and indentation use spaces"
    elif "expected a single document" in (exc.context or ""):
        message = "holds a second YAML document (a second '---'); a case document is one document"
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


def parse_scalar(text: str) -> Any:
    """What typed text means as a plain YAML 1.2 scalar (``16`` is 16, ``true`` is True); else the text."""
    if "\n" in text or text != text.strip():
        return text
    try:
        value = _FAST.load(text)
    except YAMLError:
        return text
    return value if value is None or isinstance(value, bool | int | float | str) else text


def yaml_scalar(text: str) -> str:
    """``text`` written as one YAML value (quoted only when it must be), for templates to insert."""
    line = dump_yaml({"v": str(text)}, YamlStyle())
    return line.removeprefix("v: ").rstrip("\n")


def load_fast(text: str) -> dict[str, Any] | None:
    """Plain data through the C parser when the text is safe for it; None: use the round-trip loader."""
    if not _fast_path_is_safe(text):
        return None
    try:
        data = _FAST.load(text)
    except (YAMLError, ValueError, RecursionError):
        return None  # the round-trip loader says precisely what is wrong, with a position
    return data if isinstance(data, dict) else None
