"""Reading a file's bytes as UTF-8 text or JSON, with errors located as ``file:line:col``.

A file that cannot be decoded or parsed is unreadable as a whole, so these raise
:class:`caseflow.CaseflowError` (one line) rather than skipping records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from caseflow import CaseflowError


def read_bytes(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CaseflowError(f"{name}: cannot be read ({exc.strerror or type(exc).__name__})") from exc


def decode_utf8(data: bytes, name: str) -> str:
    """The text of ``data``; a leading byte-order mark is allowed (spreadsheets write one)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - data.rfind(b"\n", 0, exc.start)
        raise CaseflowError(f"{name}:{line}:{col}: not UTF-8 (byte 0x{data[exc.start]:02x})") from None


def load_json(path: Path, name: str) -> Any:
    """The parsed contents of a JSON file; a syntax error names its line and column."""
    text = decode_utf8(read_bytes(path, name), name)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseflowError(f"{name}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise CaseflowError(f"{name}: not readable: JSON nested too deeply") from None
