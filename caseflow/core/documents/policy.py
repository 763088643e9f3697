"""The YAML policy, in one place: what a case document may be, and how caseflow's two loaders read it.

* the *round-trip* loader (ruamel.yaml, pure Python: keeps comments, quotes, flow style and
  positions) is used to write and to locate problems by line and column;
* the *fast* loader (libyaml's C parser) reads plain data on bulk paths (``show``, the index).

Both read exactly the same documents the same way: the fast loader only gets text that holds
nothing on which the two could differ (see :func:`_fast_path_is_safe`); anything else, and any
text it fails on, goes through the round-trip loader, so every refusal carries a position. The
differential tests in ``tests/core/yaml/`` hold both to this over the official YAML test suite and
over generated documents.

What a case document is (YAML 1.2, with these rules; each refusal is one ``file:line:col:`` line
saying what to change):

* **One mapping of fields.** The top of a document is a mapping (``form: …`` and its fields); a
  list or a bare value at the top, an empty document, or a second document after ``---`` is
  refused.
* **Keys are text.** ``1:``, ``true:`` or ``null:`` (a number, a yes/no or an empty key) is refused
  with a hint to quote it; a list or a mapping used as a key (``[a, b]: x``, ``? - a``) is refused.
  A key appears once: a duplicate is refused, naming the line of the first.
* **The YAML 1.2 core schema.** ``true``/``false`` (also ``True``, ``TRUE``), ``null``/``~``/empty,
  integers ``12``, ``-3``, ``0o17``, ``0x1F`` and floats ``1.5``, ``1e3``, ``.inf``, ``.nan`` are
  typed; everything else is text: ``yes``, ``NO``, ``1_000``, ``0b101``, ``2026-01-05`` (a date is
  checked by the form's ``format``), ``1:30``.
* **No anchors, aliases or tags.** ``&name``, ``*name`` and ``!tag`` are refused (a form's data is
  plain; aliases also make "billion laughs" documents). The non-specific tag ``!`` alone is
  allowed and means what YAML says: ``! 12`` is the text ``"12"``.
* **No %YAML directive** (it could switch to YAML 1.1 rules). A ``%TAG`` directive is read, but
  any tag it names is refused like every tag.
* **Nesting is capped** at :data:`MAX_DEPTH` levels, counted by a pre-scan of the text before
  parsing (:mod:`.prescan`), so a document nested ten thousand levels deep is refused in
  milliseconds.
* **Tabs** are allowed inside quoted text, block text (``|``, ``>``), comments, and between the
  items inside brackets. Anywhere else (indentation, around ``:`` and ``-``, between the words of
  an unquoted value, at the end of a line, alone on a line) a tab is refused: write spaces, or
  quote the text. (YAML forbids tabs in indentation; the round-trip loader reads no other tabs.)
* **Layout the specification forbids is refused** even where a YAML library tolerates it: a line
  of a multi-line quoted value or ``[…]``/``{…}`` collection that is not indented more than its
  field (``key: [a,`` then ``b]`` at the start of a line), a ``#`` comment without a space before
  it (``"text"# note``), blank lines at the start of block text with more spaces than its first
  line, a second ``key:`` after a value on one line.
* **Text is characters.** Control characters other than tab and line breaks are refused; the
  bytes-level rules (UTF-8, one kind of line ending, no NUL or conflict markers, the 1 MB cap) are
  in :mod:`caseflow.core.textpolicy`. A document that does not end with a line break is read as if
  it did (YAML's end of input ends the last line, as the YAML test suite reads it).

Everything else follows YAML 1.2 as the official YAML test suite reads it: ``?foo`` and ``:0`` are
text, ``a:,`` in brackets is a key with no value, ``"a":b`` in brackets a pair, a key inside
``{…}`` may span lines. The refusals of valid YAML are all listed above: a top that is not a
mapping, keys that are not text, anchors, aliases, tags, the %YAML directive, more than one
document, tabs outside quoted and block text. ``tests/core/yaml/test_suite.py`` counts them over the suite.
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
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor, SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.parser import RoundTripParser
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scanner import RoundTripScanner, ScannerError
from ruamel.yaml.tokens import (
    CommentToken,
    DocumentEndToken,
    DocumentStartToken,
    FlowMappingEndToken,
    FlowSequenceEndToken,
    ScalarToken,
    StreamEndToken,
)
from ruamel.yaml.util import RegExp

from caseflow.core.documents.prescan import MAX_DEPTH, check_structure
from caseflow.core.textpolicy import line_col, reject_yaml_directive
from caseflow.errors import DocumentError, Problem

_STR = "tag:yaml.org,2002:str"
#: The YAML 1.2 core schema's implicit types (spec 10.3.2), by first character.
_CORE_SCHEMA: list[tuple[str, str, str]] = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
]


def _by_first_character() -> dict[Any, list[Any]]:
    """The resolver's table: first character -> [(tag, regexp)], int before float."""
    table: dict[Any, list[Any]] = {}
    for tag, pattern, firsts in _CORE_SCHEMA:
        for first in [*firsts, *([""] if tag.endswith(":null") else [])]:
            table.setdefault(first, []).append((tag, RegExp(pattern)))
    return table


_CORE_TABLE = _by_first_character()


class _CoreSchemaResolver(VersionedResolver):
    """The YAML 1.2 core schema, exactly: ``2026-01-05`` and ``1_000`` are text."""

    @property
    def versioned_resolver(self) -> Any:
        # Called for every scalar. The version is always 1.2 (a %YAML directive is refused before
        # parsing), so one table serves the process.
        return _CORE_TABLE

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # A plain scalar's tag depends on its text alone here (one table, no path resolvers), and
        # a caseload repeats the same keys and values (``form``, dates, stages) millions of times:
        # each short text is matched against the table once per process.
        if kind is not ScalarNode or not implicit[0] or self.yaml_path_resolvers or len(value) > _SHORT_TEXT:
            return super().resolve(kind, value, implicit)
        found = _PLAIN_TAGS.get(value)
        if found is None:
            found = super().resolve(kind, value, implicit)
            if len(_PLAIN_TAGS) < _MOST_PLAIN_TAGS:
                _PLAIN_TAGS[value] = found
        return found


#: The plain texts whose tag is remembered: short ones (keys, dates, codes), up to this many.
_SHORT_TEXT = 40
_MOST_PLAIN_TAGS = 50_000  # (about 10 MB at most: keys and common values are most of the hits)
_PLAIN_TAGS: dict[str, Any] = {}


class _PolicyError(MarkedYAMLError):
    pass


_BREAK_OR_SPACE = "\0 \t\r\n\x85\u2028\u2029"
_FLOW_INDICATORS = ",[]{}"


class _Scanner(RoundTripScanner):
    """ruamel's scanner, with the YAML 1.2 rules it gets wrong put right.

    * ``?foo`` inside brackets is the text ``?foo``, not an explicit key (``?`` is an indicator
      only before a space);
    * inside brackets ``a:,`` ends the text ``a`` at the ':' (a key with an empty value), and a
      ':' right after quoted text or brackets is a value indicator (``["a":b]``);
    * a key inside ``{…}`` may span lines (``{ "a"`` then ``: b }``);
    * block text whose first lines are blank finds its indentation from its first line of text.
    """

    def check_key(self) -> Any:
        return self.reader.peek(1) in _BREAK_OR_SPACE or (
            bool(self.flow_level) and self.reader.peek(1) in _FLOW_INDICATORS
        )

    def check_plain(self) -> Any:
        if super().check_plain():
            return True
        peek = self.reader.peek
        return (
            peek() == "?"
            and peek(1) not in _BREAK_OR_SPACE
            and (not self.flow_level or peek(1) not in _FLOW_INDICATORS)
        )

    def check_value(self) -> Any:
        if self.flow_level:
            after = self.reader.peek(1)
            if after in _BREAK_OR_SPACE or after in _FLOW_INDICATORS:
                return True
            # ":" touching what follows is a value indicator only after a JSON-like key ("a":b);
            # else it belongs to plain text (":0", "a:b")
            last = next((t for t in reversed(self.tokens) if not isinstance(t, CommentToken)), None)
            return isinstance(last, FlowSequenceEndToken | FlowMappingEndToken) or (
                isinstance(last, ScalarToken) and last.style in ("'", '"')
            )
        return super().check_value()

    def scan_plain(self) -> Any:
        if self.flow_level:
            token = self._plain_before_colon()
            if token is not None:
                return token
        return super().scan_plain()

    def _plain_before_colon(self) -> Any:
        """``a:,`` in brackets: the text ``a``, leaving ':' to be read as the value indicator."""
        peek = self.reader.peek
        length = 0
        while True:
            ch = peek(length)
            if ch in "\0\r\n\x85\u2028\u2029" or ch in _FLOW_INDICATORS:
                return None
            if ch == "#" and peek(length - 1) in " \t":
                return None
            if ch == ":":
                after = peek(length + 1)
                if after in _FLOW_INDICATORS:
                    break
                if after in _BREAK_OR_SPACE:
                    return None
            length += 1
        start_mark = self.reader.get_mark()
        value = self.reader.prefix(length).rstrip(" \t")
        self.reader.forward(len(value))
        self.allow_simple_key = False
        return ScalarToken(value, True, start_mark, self.reader.get_mark())

    def stale_possible_simple_keys(self) -> None:
        for level in list(self.possible_simple_keys):
            key = self.possible_simple_keys[level]
            in_braces = level > 0 and len(self.flow_context) >= level and self.flow_context[level - 1] == "{"
            if (key.line != self.reader.line and not in_braces) or self.reader.index - key.index > 1024:
                if key.required:
                    raise ScannerError(
                        "while scanning a simple key", key.mark, "could not find expected ':'", self.reader.get_mark()
                    )
                del self.possible_simple_keys[level]

    def scan_block_scalar_indentation(self) -> Any:
        peek = self.reader.peek
        chunks = []
        max_indent = 0
        widest_blank = 0
        end_mark = self.reader.get_mark()
        while peek() in " \r\n\x85\u2028\u2029":
            if peek() != " ":
                widest_blank = max(widest_blank, self.reader.column)
                chunks.append(self.scan_line_break())
                end_mark = self.reader.get_mark()
            else:
                self.reader.forward()
                max_indent = max(max_indent, self.reader.column)
        column = self.reader.column
        if peek() != "\0" and column > self.indent and widest_blank > column:
            raise ScannerError(
                "while scanning a block scalar",
                None,
                "a blank line at the start of the block text has more spaces than its first line",
                self.reader.get_mark(),
            )
        return chunks, max_indent, end_mark


class _Parser(RoundTripParser):
    """ruamel's parser: a document of only ``...`` is empty, and comments never "overlap"."""

    def parse_implicit_document_start(self) -> Any:
        if self.scanner.check_token(DocumentEndToken):
            return self.parse_document_start()
        return super().parse_implicit_document_start()

    def move_token_comment(self, token: Any, nt: Any = None, empty: Any = False) -> Any:
        # ruamel raises NotImplementedError("overlap in comment") for a key whose comment is
        # followed by its value on the next line and then blank lines; join the two instead.
        target = self.scanner.peek_token() if nt is None else nt
        mine, theirs = token.comment, target.comment
        if (
            mine is not None
            and theirs
            and not isinstance(target, StreamEndToken | DocumentStartToken)
            and ((mine[0] and theirs[0]) or (mine[1] and theirs[1]))
            and not (isinstance(mine[1], list) and isinstance(theirs[1], list))
        ):
            delattr(token, "_comment")
            eol = mine[0] or theirs[0]
            if mine[0] and theirs[0]:
                extra = theirs[0].value
                eol.value = eol.value + (extra[1:] if extra.startswith("\n") else extra)
            pre = mine[1] or theirs[1]
            target._comment = [eol, pre, None, None, eol] if empty else [eol, pre]
            return None
        return super().move_token_comment(token, nt, empty)


class _StrictComposer(Composer):
    """Refuses anchors, aliases, explicit tags and keys that are not text, where they appear."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            raise _PolicyError(None, None, "aliases (*name) are not allowed in case documents", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise _PolicyError(None, None, "anchors (&name) are not allowed in case documents", event.start_mark)
        tag = event.ctag if isinstance(event, ScalarEvent | CollectionStartEvent) else None
        if tag is not None:
            if str(tag) != "!":
                written = f"{tag.handle}{tag.suffix}" if tag.handle else f"!<{tag.suffix}>"
                message = f"explicit tags such as {written} are not allowed in case documents"
                raise _PolicyError(None, None, message, event.start_mark)
            if isinstance(event, ScalarEvent):
                event.implicit = (False, False)  # "! 12": the non-specific tag makes a scalar text
        node = super().compose_node(parent, index)
        if index is None and isinstance(parent, MappingNode):
            _check_key(node)
        return node


def _check_key(node: Any) -> None:
    """A key must be text: refuse a list, a mapping, a number, a yes/no or an empty key."""
    if isinstance(node, SequenceNode):
        message = "a key must be text, not a list"
    elif isinstance(node, MappingNode):
        message = "a key must be text, not a set of fields"
    elif node.tag == _STR:
        return
    elif node.tag.endswith(":null"):
        message = "a field name is missing here; write the name before ':'"
        if node.value:
            message = f"the key {node.value} reads as empty (null); write it in quotes, '{node.value}'"
    else:
        kind = "a yes/no value" if node.tag.endswith(":bool") else "a number"
        message = f"the key {node.value} reads as {kind}; keys must be text: write it in quotes, '{node.value}'"
    raise _PolicyError(None, None, message, node.start_mark)


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


class _Unusual(Exception):
    """A node the direct walk leaves to ruamel's own constructor (see ``_FastConstructor``)."""


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _FastConstructor(SafeConstructor):
    """ruamel's safe constructor, with a direct walk for the usual case.

    ruamel builds every node through a generic dispatch (a lookup by tag, a generator per
    collection, bookkeeping for recursive objects), which was half the cost of the fast loader.
    Texts on the fast path hold no anchors, aliases or tags, so their nodes form a plain tree of
    mappings with text keys, lists and scalars: the walk builds that tree in one pass, and leaves
    every scalar that is not text to ruamel's own constructor for its tag (the same function that
    would have made it). Anything else (a key that is not text, a repeated key, a merge) makes it
    give up, and ruamel's constructor reads the whole document as before, so a document reads the
    same either way; the differential tests in ``tests/core/yaml`` hold both to it.
    """

    def flatten_mapping(self, node: Any) -> Any:
        pass  # merge keys ("<<") do not exist in the core schema, and tags never reach this loader

    def construct_document(self, node: Any) -> Any:
        try:
            return self._walk(node)
        except _Unusual:
            return super().construct_document(node)

    def _walk(self, node: Any) -> Any:
        tag = node.ctag
        if tag.handle is not None:
            raise _Unusual
        kind = type(node)
        if kind is ScalarNode:
            if tag.suffix == _STR:
                return node.value
            return self.construct_non_recursive_object(node)  # null, yes/no, numbers: ruamel's own
        if kind is MappingNode and tag.suffix == _MAP and getattr(node, "merge", None) is None:
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key_tag = key_node.ctag
                if type(key_node) is not ScalarNode or key_tag.handle is not None or key_tag.suffix != _STR:
                    raise _Unusual
                key = key_node.value
                if key in mapping:
                    raise _Unusual  # ruamel's constructor refuses it, saying where
                mapping[key] = self._walk(value_node)
            return mapping
        if kind is SequenceNode and tag.suffix == _SEQ:
            return [self._walk(item) for item in node.value]
        raise _Unusual


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
    yaml.Scanner = _Scanner
    yaml.Parser = _Parser
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
    yaml.Constructor = _FastConstructor
    yaml.allow_duplicate_keys = False
    return yaml


_FAST = _fast_yaml()


def _fast_loader_class() -> Any:
    """libyaml's parser with the policy's resolver and constructor, as one class made once.

    ruamel's ``YAML.load`` makes a new loader class for every document it reads with the C parser,
    keeps a record of every document in the ``YAML`` object, and the loader refers to itself:
    all of it waits for Python's full garbage collection, which the CLI runs rarely (see
    ``GC_THRESHOLDS``), so a worker indexing 40,000 documents grew by 300 MB. Here the class is
    made once, and each loader's references to itself are dropped after its one document, so it
    is freed at once.
    """
    from ruamel.yaml.main import CParser

    if CParser is None:
        return None

    class FastLoader(CParser, _FastConstructor, _CoreSchemaResolver):
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            self._parser = self._composer = self
            _FastConstructor.__init__(self, loader=self)
            self.allow_duplicate_keys = False
            _CoreSchemaResolver.__init__(self, version=None, loadumper=self)

    return FastLoader


_FAST_LOADER = _fast_loader_class()


def fast_load(text: str) -> Any:
    """``text`` read by the fast loader (any YAML value; the policy's checks are the caller's)."""
    if _FAST_LOADER is None:
        return _FAST.load(text)
    loader = _FAST_LOADER(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
        loader.__dict__.clear()  # its references to itself: without them it is freed now


#: Characters YAML does not allow in a document (C0/C1 controls other than tab, LF, CR, NEL).
_NOT_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_DUMPERS: dict[YamlStyle, YAML] = {}
_LEADING = re.compile(r"^[ \t?:-]*", re.MULTILINE)
#: What libyaml reads differently from YAML 1.2 (and so from the round-trip loader):
#: "?x" and "a:," inside brackets, and ":" right after quoted text or brackets ("a":b).
_FAST_PATH_DIFFERS = re.compile(r"\?[^\s]|:[,\[\]{}]|[\"'\]}][ \t]*:[^\s]")


def fast_loader_is_c() -> bool:
    """True when the fast path really runs libyaml's C parser (ruamel.yaml.clib installed)."""
    from ruamel.yaml.main import CParser

    return CParser is not None and _FAST.Parser is CParser and _FAST_LOADER is not None


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
    """Can the C loader read this text exactly as the round-trip loader would? (It knows none of the policy.)

    Anchors, aliases, tags and directives, tabs (libyaml accepts some that the round-trip loader
    refuses), the spots where libyaml reads YAML 1.1 rather than 1.2 (:data:`_FAST_PATH_DIFFERS`)
    and deep nesting all go to the round-trip loader. The nesting bound here needs no parsing: a
    level of block nesting takes a column of indentation or an indicator (a mapping and a list
    written at its key's indentation share one), a level of flow nesting a bracket (a pair in a
    list one more).
    """
    if "&" in text or "*" in text or "!" in text or "%" in text or "\t" in text:
        return False
    if _FAST_PATH_DIFFERS.search(text):
        return False
    brackets = text.count("[") + text.count("{")
    widest = max(map(len, _LEADING.findall(text)), default=0)
    return 2 * (widest + 1) + 2 * brackets + 1 <= MAX_DEPTH


def check_text(path: str, text: str, line_offset: int = 0) -> str:
    """The checks every YAML text passes before either loader sees it; returns the text to parse.

    A text that does not end with a line break gets one: YAML's end of input ends the last line,
    and both loaders read a final line (``|`` block text at the very end) alike with it.
    """
    if "%" in text:
        reject_yaml_directive(path, text, line_offset)
    odd = _NOT_PRINTABLE.search(text)
    if odd:
        line, col = line_col(text, odd.start())
        name = f"U+{ord(odd.group()):04X}"
        raise DocumentError(
            Problem(path, line + line_offset, col, f"contains an invisible control character ({name}); delete it")
        )
    check_structure(path, text, line_offset)
    return text if not text or text.endswith("\n") else text + "\n"


def load_round_trip(path: str, text: str, line_offset: int, *, checked: bool = False) -> CommentedMap:
    """The document's mapping, with comments, quoting and positions (``checked``: :func:`check_text` was run)."""
    if not checked:
        text = check_text(path, text, line_offset)
    yaml = _round_trip_yaml()  # a fresh loader each time: ruamel keeps state across a failed load
    try:
        data = yaml.load(text)
    except DuplicateKeyError as exc:
        raise DocumentError(_duplicate_key_problem(path, exc, line_offset)) from None
    except MarkedYAMLError as exc:
        raise DocumentError(_marked_problem(path, exc, line_offset)) from None
    except RecursionError:
        raise DocumentError(Problem(path, 1 + line_offset, 1, f"nested deeper than {MAX_DEPTH} levels")) from None
    except Exception as exc:  # a YAML library failure is a refusal with a position, never a traceback
        reader = getattr(yaml, "_reader", None)
        line, col = (reader.line + 1, reader.column + 1) if reader is not None else (1, 1)
        message = "caseflow cannot read the YAML here; write this part more simply (one value per line)"
        raise DocumentError(Problem(path, line + line_offset, col, message)) from exc
    if not isinstance(data, CommentedMap):
        raise DocumentError(
            Problem(path, 1 + line_offset, 1, "a document must be a mapping of fields, starting with 'form:'")
        )
    return data


#: ruamel's names for what it found, in words.
_TOKEN_WORDS = {
    "<scalar>": "a value",
    "<block end>": "the end of the indented block",
    "<block mapping start>": "a new indented set of fields",
    "<block sequence start>": "a new indented list",
    "<document start>": "'---' (a new document)",
    "<document end>": "'...' (the end of the document)",
    "<stream end>": "the end of the file",
    "<stream start>": "the start of the file",
    "<alias>": "an alias (*name)",
    "<anchor>": "an anchor (&name)",
    "<tag>": "a tag (!name)",
    "<directive>": "a directive (%name)",
    "<comment>": "a comment",
}
_TOKEN_NAME = re.compile(r"\('([^']+)',\)|'(<[a-z ]+>)'|(<[a-z ]+>)")
_CONTEXT_WORDS = {
    "while parsing a flow mapping": "in the { } mapping that starts on line {line}",
    "while parsing a flow sequence": "in the [ ] list that starts on line {line}",
    "while parsing a block mapping": "in the fields that start on line {line}",
    "while parsing a block collection": "in the list that starts on line {line}",
    "while scanning a simple key": "",
    "while scanning a quoted scalar": "in the quoted text that starts on line {line}",
    "while scanning a double-quoted scalar": "in the quoted text that starts on line {line}",
    "while scanning a single-quoted scalar": "in the quoted text that starts on line {line}",
    "while scanning a block scalar": "in the block text that starts on line {line}",
    "while scanning a plain scalar": "in the text that starts on line {line}",
    "while scanning for the next token": "",
    "while parsing a block node": "",
    "while parsing a flow node": "",
    "while parsing a node": "",
    "while scanning a tag": "in the tag",
    "while scanning an anchor": "in the anchor",
    "while scanning an alias": "in the alias",
    "while scanning a directive": "in the directive",
}
_PROBLEM_WORDS = {
    "mapping values are not allowed here": (
        "a ':' followed by a space here would start a field inside a value; put the value in quotes"
    ),
    "could not find expected ':'": "expected ':' after the field name that starts on line {line}",
    "found unexpected end of stream": "the file ends before this is closed",
    "expected a value, but found ':'": "a field name is missing here; write the name before ':'",
    "expected a value, but found '...' (the end of the document)": "the document is empty",
    "sequence entries are not allowed here": "a '- ' list entry cannot start here",
    "found unexpected document separator": "a '---' line inside quoted text; close the quotes before it",
}
#: Characters ruamel quotes as Python would, in words.
_CHARACTER_WORDS = {
    "'\\n'": "a line break",
    "'\\x00'": "the end of the file",
    "'\\0'": "the end of the file",
    "' '": "a space",
}
_CANNOT_START = re.compile(r"found character (.*) that cannot start any token")


def _in_words(problem: str) -> str:
    """ruamel's message with its token names and Python tuples turned into words."""

    def name(found: re.Match[str]) -> str:
        token = found.group(1) or found.group(2) or found.group(3)
        return _TOKEN_WORDS.get(token, f"'{token.strip('<>')}'")

    problem = _TOKEN_NAME.sub(name, problem).replace("the node content", "a value")
    for written, words in _CHARACTER_WORDS.items():
        problem = problem.replace(written, words)
    character = _CANNOT_START.match(problem)
    if character:
        return f"{character.group(1)} cannot start a value here; put the value in quotes"
    return _PROBLEM_WORDS.get(problem, problem)


def _marked_problem(path: str, exc: MarkedYAMLError, line_offset: int) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    message = exc.problem or exc.context or "unreadable YAML"
    if "maximum depth" in message:
        message = f"nested deeper than {MAX_DEPTH} levels"
    elif "'\\t'" in message or "\t" in message:
        message = "a tab character here; YAML spacing and indentation use spaces"
    elif "expected a single document" in (exc.context or ""):
        message = "a second YAML document starts here; a case document is one document"
    elif not isinstance(exc, _PolicyError):
        where = str(exc.context_mark.line + 1 + line_offset if exc.context_mark is not None else line + line_offset)
        message = _in_words(message).replace("{line}", where)
        context = _CONTEXT_WORDS.get(exc.context or "", exc.context or "")
        if context and exc.problem:
            message = f"{message} ({context.replace('{line}', where)})"
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
        value = fast_load(text)
    except YAMLError:
        return text
    return value if value is None or isinstance(value, bool | int | float | str) else text


def yaml_scalar(text: str) -> str:
    """``text`` written as one YAML value (quoted only when it must be), for templates to insert."""
    line = dump_yaml({"v": str(text)}, YamlStyle())
    return line.removeprefix("v: ").rstrip("\n")


def load_fast(text: str) -> dict[str, Any] | None:
    """Plain data through the C parser when the text is safe for it; None: use the round-trip loader.

    ``text`` has passed :func:`check_text`. None also for anything the C loader fails on: the
    round-trip loader then refuses it, saying precisely what is wrong and where.
    """
    if not _fast_path_is_safe(text):
        return None
    try:
        data = fast_load(text)
    except (YAMLError, ValueError, TypeError, RecursionError):  # TypeError: a list inside a key
        return None
    return data if type(data) is dict and _keys_are_text(data) else None


def _keys_are_text(value: Any) -> bool:
    """Every key a str (a number, a yes/no, a null or a list as a key is refused by the round trip)."""
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) in (dict, list) and not _keys_are_text(item)):
                return False
        return True
    return all(_keys_are_text(item) for item in value if type(item) in (dict, list))
