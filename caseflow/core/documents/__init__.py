"""Case documents: YAML files and Markdown files with YAML front matter.

This package is the only place that imports ruamel.yaml: :mod:`.policy` configures the loaders,
:mod:`.edits` changes loaded documents without disturbing what a person wrote, and this module
holds the document model. Saving an unedited document gives back the same bytes; a one-field
edit changes one line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from caseflow.core.documents.edits import (
    add_field,
    delete_item,
    insert_item,
    new_mapping,
    new_sequence,
    own_comment,
    put_comment,
    rename_field,
    styled_like,
)
from caseflow.core.documents.patch import PatchConflict, carry_over
from caseflow.core.documents.policy import (
    MAX_DEPTH,
    ExplicitNull,
    YamlStyle,
    check_text,
    detect_style,
    dump_yaml,
    fast_loader_is_c,
    load_fast,
    load_round_trip,
    parse_scalar,
    yaml_scalar,
)
from caseflow.core.documents.prescan import check_structure
from caseflow.core.textpolicy import MAX_DOCUMENT_BYTES, TextStyle, decode_document, encode_document
from caseflow.errors import DocumentError, Problem

JsonPath = Sequence[str | int]

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
    source: str | None = None  # the text as loaded, so that saving can keep every untouched line
    _baseline: str | None = field(default=None, repr=False, compare=False)

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
        """The document's text: untouched lines exactly as loaded, edited lines as rendered."""
        rendered = self.render()
        if self.source is None or rendered == self.source:
            return rendered
        if self._baseline is None:
            unedited = load_document(self.path, encode_document(self.source, TextStyle()))
            self._baseline = unedited.render()
        if self._baseline == self.source:
            return rendered  # this file renders faithfully: nothing to carry over
        try:
            return carry_over(self.source, self._baseline, rendered)
        except PatchConflict as conflict:
            message = "this edit would also rewrite the unusual layout here; make this edit by hand"
            raise DocumentError(Problem(self.path, conflict.line, 1, message)) from None

    def render(self) -> str:
        """The document as caseflow writes it (the same as loaded for well-formed files)."""
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


def check_size(path: str, raw: bytes) -> None:
    """The size cap, before anything else reads the bytes (files are capped as they are read; blobs here).

    A text too big is most often too deep as well (ten thousand indented levels take 50 MB): the
    nesting is checked in the first megabyte, so that the refusal says where it goes too deep.
    """
    if len(raw) <= MAX_DOCUMENT_BYTES:
        return
    head = raw[:MAX_DOCUMENT_BYTES].decode("utf-8", errors="ignore")
    try:
        check_structure(path, head[: head.rfind("\n") + 1])
    except DocumentError as exc:
        if exc.problems[0].message.startswith("nested deeper"):
            raise
    message = f"is {len(raw):,} bytes; documents are capped at {MAX_DOCUMENT_BYTES:,}"
    raise DocumentError(Problem(path, 0, 0, message))


def is_markdown(path: str) -> bool:
    return path.endswith(".md")


def load_document(path: str, raw: bytes) -> Document:
    """Load a document for editing or error reporting (round trip, positions kept)."""
    check_size(path, raw)
    text, text_style = decode_document(path, raw)
    if is_markdown(path):
        front, body, offset = split_front_matter(path, text)
        data = load_round_trip(path, front, offset)
        return Document(path, "markdown", data, body, text_style, detect_style(front), offset, text)
    data = load_round_trip(path, text, 0)
    return Document(path, "yaml", data, "", text_style, detect_style(text), 0, text)


def load_plain(path: str, raw: bytes) -> tuple[dict[str, Any], str]:
    """Load a document's plain data (and Markdown body) as fast as the policy allows."""
    check_size(path, raw)
    text, _ = decode_document(path, raw)
    yaml_text, body, offset = split_front_matter(path, text) if is_markdown(path) else (text, "", 0)
    yaml_text = check_text(path, yaml_text, offset)
    data = load_fast(yaml_text)  # plain data already (dicts, lists, text, numbers), made for this call
    if data is None:
        data = to_plain(load_round_trip(path, yaml_text, offset, checked=True))
    return data, body


def new_document(path: str, text: str) -> Document:
    """Parse text produced by caseflow itself (a skeleton) into an editable document."""
    return load_document(path, text.encode("utf-8"))


def split_front_matter(path: str, text: str) -> tuple[str, str, int]:
    """Split Markdown into (front-matter YAML, body kept verbatim, line offset of the YAML).

    The fences are lines of ``---`` (trailing spaces allowed: editors leave them; saving keeps
    them, since untouched lines are carried over as they were).
    """
    opening = re.match(r"---[ \t]*(?:\n|$)", text)
    if opening is None:
        raise DocumentError(Problem(path, 1, 1, "Markdown document must start with '---' front matter naming its form"))
    start = opening.end()
    closing = re.search(r"^(?:---|\.\.\.)[ \t]*$\n?", text[start:], re.MULTILINE)
    if closing is None:
        raise DocumentError(Problem(path, 1, 1, "front matter opened here is never closed (add a line '---' after it)"))
    if closing.group().startswith("..."):
        line = text.count("\n", 0, start + closing.start()) + 1
        raise DocumentError(Problem(path, line, 1, "close the front matter with a '---' line"))
    return text[start : start + closing.start()], text[start + closing.end() :], 1


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
            elif value is None:  # `key:` with nothing after it: ruamel points at the next line
                line, col = node.lc.key(step)
                col += len(str(step)) + 2
            else:
                line, col = node.lc.value(step)
            node = value
        elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
            line, col = node.lc.item(step)
            node = node[step]
        else:
            break
    return line + 1, col + 1


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
    "new_mapping",
    "new_sequence",
    "own_comment",
    "parse_scalar",
    "put_comment",
    "rename_field",
    "split_front_matter",
    "styled_like",
    "to_plain",
    "yaml_scalar",
]
