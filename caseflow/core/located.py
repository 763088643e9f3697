"""Problems known by field path, given their line and column: without JSON Schema's library, so
that settings and form files whose bytes passed before are read without importing it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from caseflow.core.documents import load_document
from caseflow.errors import DocumentError, Problem

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Located:
    """A problem known by field path, waiting for a line and column."""

    at: FieldPath
    message: str


def locate_all(path: str, raw: bytes, located: Sequence[Located]) -> list[Problem]:
    """Give each problem its line and column (loading the document again, with positions)."""
    if not located:
        return []
    try:
        document = load_document(path, raw)
    except DocumentError as exc:  # pragma: no cover - the fast loader accepted it, so this should too
        return exc.problems
    problems = {Problem(path, *document.locate(item.at), item.message) for item in located}
    return sorted(problems)
