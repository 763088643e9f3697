"""Byte- and line-level rules every document passes before a YAML parser sees it.

These checks are cheap and run on every read, so that the parsers only ever get text that is
small, valid UTF-8, free of NUL bytes and git conflict markers, and has one kind of line ending.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from caseflow.errors import DocumentError, Problem

#: Case documents are a few kilobytes; a megabyte is a mistake or an attack, never a note.
MAX_DOCUMENT_BYTES = 1 << 20

_BOM = "\ufeff"
_CONFLICT_MARKER = re.compile(r"^(?:<{7}|>{7}|\|{7})(?: |$)", re.MULTILINE)
_YAML_DIRECTIVE = re.compile(r"^%YAML\b", re.MULTILINE)


@dataclass(frozen=True)
class TextStyle:
    """How a file spelled its text, so that saving gives the same bytes back."""

    crlf: bool = False
    bom: bool = False


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def read_document_bytes(root: Path, rel: str) -> bytes:
    """Read a document's bytes without ever following a symlink.

    ``rel`` is relative to ``root``; every component below ``root`` is checked, so a symlinked
    client folder cannot smuggle in a file from elsewhere.
    """
    # Plain strings, not pathlib: this runs for every document of a caseload (thousands a command).
    current = os.fspath(root)
    for part in rel.split("/"):
        if not part or part == ".":
            continue
        current = f"{current}/{part}"
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            raise DocumentError(Problem(rel, 0, 0, "no such file")) from None
        if stat.S_ISLNK(st.st_mode):
            raise DocumentError(Problem(rel, 0, 0, "is a symbolic link; caseflow never follows links"))
    if not stat.S_ISREG(st.st_mode):
        raise DocumentError(Problem(rel, 0, 0, "is not a regular file"))
    if st.st_size > MAX_DOCUMENT_BYTES:
        raise DocumentError(
            Problem(rel, 0, 0, f"is {st.st_size:,} bytes; documents are capped at {MAX_DOCUMENT_BYTES:,}")
        )
    fd = os.open(current, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentError(Problem(rel, 0, 0, f"is larger than {MAX_DOCUMENT_BYTES:,} bytes"))
    return data


def decode_document(rel: str, raw: bytes) -> tuple[str, TextStyle]:
    """Check and decode a document; returns text with ``\\n`` line endings and its style."""
    nul = raw.find(b"\0")
    if nul >= 0:
        line, col = _byte_line_col(raw, nul)
        raise DocumentError(Problem(rel, line, col, "contains a NUL byte; documents are text"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _byte_line_col(raw, exc.start)
        raise DocumentError(
            Problem(rel, line, col, f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8")
        ) from None
    bom = text.startswith(_BOM)
    if bom:
        text = text[1:]
    crlf = "\r\n" in text
    if crlf:
        lone_lf = re.search(r"(?<!\r)\n", text)
        if lone_lf:
            line, col = line_col(text, lone_lf.start())
            raise DocumentError(Problem(rel, line, col, "mixes CRLF and LF line endings; use one kind throughout"))
        text = text.replace("\r\n", "\n")
    if "\r" in text:
        line, col = line_col(text, text.index("\r"))
        raise DocumentError(Problem(rel, line, col, "contains a bare carriage return (CR) line ending"))
    marker = _CONFLICT_MARKER.search(text)
    if marker:
        line, col = line_col(text, marker.start())
        raise DocumentError(
            Problem(
                rel,
                line,
                col,
                "holds git conflict markers; resolve the conflict (edit the file, then git add it) first",
            )
        )
    return text, TextStyle(crlf=crlf, bom=bom)


def reject_yaml_directive(rel: str, text: str, line_offset: int = 0) -> None:
    """YAML 1.2 only: a ``%YAML`` directive (which could switch to 1.1 rules) is refused."""
    directive = _YAML_DIRECTIVE.search(text)
    if directive:
        line, col = line_col(text, directive.start())
        raise DocumentError(
            Problem(rel, line + line_offset, col, "has a %YAML directive; caseflow reads YAML 1.2 only, remove it")
        )


def encode_document(text: str, style: TextStyle) -> bytes:
    """The inverse of :func:`decode_document`."""
    if style.crlf:
        text = text.replace("\n", "\r\n")
    if style.bom:
        text = _BOM + text
    return text.encode("utf-8")


def _byte_line_col(raw: bytes, offset: int) -> tuple[int, int]:
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    col = len(raw[start:offset].decode("utf-8", errors="replace")) + 1
    return line, col
