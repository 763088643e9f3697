"""What the ledger's rules look at: the paths they judge, the documents a move needs approved,
and the digests by which clients' names and stage histories are recognised without being kept.

The rules themselves are in :mod:`caseflow.core.ledger`'s docstring; the replay that applies
them, commit by commit, in :mod:`caseflow.core.ledger_replay`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, MutableSet
from dataclasses import dataclass
from typing import Any

from caseflow.core.ledger_state import Ledger

#: A client's decisions (keyed by the client id), or a household's (keyed by its folder,
#: ``households/H-4T8M2Q``, which no client id can be).
APPROVALS = re.compile(r"^(?:clients/([^/]+)|(households/[^/]+))/approvals\.yaml$")
CLIENT_RECORD = re.compile(r"^clients/([^/]+)/client\.yaml$")
#: Documents at the top of a client's folder (the plan, the discharge: what supervisors approve),
#: whose last writer is kept so that nobody's approval of their own change counts.
APPROVABLE = re.compile(r"^(?:clients|households)/[^/]+/(?!client\.yaml$|approvals\.yaml$)[^/]+\.(?:yaml|md)$")

#: Does the workflow allow moving from the first stage to the second?
TransitionCheck = Callable[[str, str], bool]


@dataclass(frozen=True)
class Gate:
    """A document (its path in a client's folder) that must be approved, in the version committed,
    for a move; with ``when``, only if another document of the client, as committed, says so:
    ``(its path, a field, the values that make the gate apply)`` (a discharge's reason)."""

    path: str
    when: tuple[str, str, frozenset[str]] | None = None

    def describe(self) -> str:
        if self.when is None:
            return self.path
        where, field, values = self.when
        return f"{self.path}?{where}.{field}={'|'.join(sorted(values))}"


#: The documents a move needs approved.
Gates = Callable[[str, str], list[Gate]]


def name_digest(name: str) -> str:
    import hashlib

    words = re.findall(r"\w+", name.lower())
    return hashlib.sha256(" ".join(words).encode()).hexdigest()[:20]


def history_digest(history: list[dict[str, Any]] | list[Any]) -> str:
    """A short digest of a stage history as parsed (entries compared whole: dates, people, reasons)."""
    import hashlib

    return hashlib.sha256(json.dumps(history, sort_keys=True, default=str).encode()).hexdigest()[:20]


class NameFinder:
    """Finds a client's full name (two to four words) in a text, knowing only digests of the names
    and of their first words: a run of words is hashed only where its first word could start a name."""

    def __init__(self, full: MutableSet[str] | None = None, first: MutableSet[str] | None = None) -> None:
        self.full: MutableSet[str] = full if full is not None else set()
        self.first: MutableSet[str] = first if first is not None else set()
        self._words: dict[str, str] = {}  # word -> its digest (the same words recur in every commit)

    @classmethod
    def of(cls, ledger: Ledger) -> NameFinder:
        """A finder of every name the ledger knows, adding to it the names it is told of."""
        return cls(ledger.full_names, ledger.first_words)

    def add(self, full: str, first: str) -> None:
        self.full.add(full)
        self.first.add(first)

    def in_text(self, text: str) -> bool:
        words = re.findall(r"\w+", text.lower())
        for start, word in enumerate(words):
            digest = self._words.get(word)
            if digest is None:
                digest = self._words[word] = name_digest(word)
            if digest in self.first and any(
                name_digest(" ".join(words[start : start + n])) in self.full
                for n in (2, 3, 4)
                if start + n <= len(words)
            ):
                return True
        return False
