"""Telling people apart: names folded for comparison, typo-tolerant word matching, phone digits.

Pure functions, no repository: what ``caseflow find``, the web's find-a-client and the duplicate
warning of ``intake`` share. A name matches when every word of the query matches a different word
of the name, in any order ("reyes tomas" finds "Tomás Reyes Vidal"), each word exactly, as the
start of the name's word ("tom"), or within a typo or two (Damerau-Levenshtein: a swapped pair of
letters is one typo, so "Reyse" finds "Reyes").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: Digits a phone number needs before two numbers are compared by their ends (area code or not).
PHONE_DIGITS = 7
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PHONE_CHARS = re.compile(r"^[\d\s()+.\-/]+$")


def fold(text: str) -> str:
    """Letters without case or accents, so "jose" finds "José" (and "ß" finds "ss")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_words(name: str) -> tuple[str, ...]:
    """A name's words, folded; hyphens and apostrophes split them ("Reyes-Vidal", "O'Neil")."""
    return tuple(w for w in re.split(r"[^\w]+|_", fold(name)) if w)


def phone_digits(phone: str) -> str:
    """Only the digits: "(555) 010-0123" and "555.010.0123" are one number."""
    return "".join(ch for ch in phone if ch.isdigit())


def same_phone(a: str, b: str) -> bool:
    """Digits equal, or one ends the other (a country or area code given once and not the other)."""
    if len(a) < PHONE_DIGITS or len(b) < PHONE_DIGITS:
        return False
    return a == b or a.endswith(b) or b.endswith(a)


def typos_allowed(word: str) -> int:
    """Short words must be exact (too many names lie one letter from "Ana"); longer ones forgive more."""
    return 0 if len(word) <= 3 else 1 if len(word) <= 7 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment) of ``a`` and ``b``, or ``limit + 1``
    once it is sure to exceed ``limit`` (so that most comparisons stop after a row or two)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[len(b)]


def word_cost(query: str, word: str) -> int | None:
    """How far a query word is from a name's word: 0 the same, 1 its beginning, 1 + typos for a
    near miss, None for no match."""
    if query == word:
        return 0
    if len(query) >= 2 and word.startswith(query):
        return 1
    limit = typos_allowed(query)
    if limit == 0:
        return None
    found = distance(query, word, limit)
    return 1 + found if found <= limit else None


def name_cost(query: Sequence[str], words: Sequence[str], costs: Mapping[tuple[str, str], int | None]) -> int | None:
    """The cheapest way to match every query word to a different word of the name (None: no way).

    ``costs`` holds :func:`word_cost` of each pair, computed once per distinct word of a caseload.
    Names have a few words, so trying each assignment is cheap and exact."""
    if len(query) > len(words):
        return None
    best: int | None = None

    def walk(at: int, used: frozenset[int], total: int) -> None:
        nonlocal best
        if best is not None and total >= best:
            return
        if at == len(query):
            best = total
            return
        for index, word in enumerate(words):
            if index in used:
                continue
            cost = costs.get((query[at], word))
            if cost is not None:
                walk(at + 1, used | {index}, total + cost)

    walk(0, frozenset(), 0)
    return best


def word_costs(query: Iterable[str], vocabulary: Iterable[str]) -> dict[tuple[str, str], int | None]:
    """:func:`word_cost` of each query word against each distinct word of the names searched,
    only the pairs that match (the rest are absent: no match)."""
    found: dict[tuple[str, str], int | None] = {}
    words = list(vocabulary)
    for q in set(query):
        for word in words:
            cost = word_cost(q, word)
            if cost is not None:
                found[q, word] = cost
    return found


@dataclass(frozen=True)
class Query:
    """What a person typed, read as a name, a birth date and/or a phone number."""

    words: tuple[str, ...] = ()
    dob: str | None = None
    phone: str | None = None

    @property
    def empty(self) -> bool:
        return not self.words and self.dob is None and self.phone is None

    def criteria(self) -> list[str]:
        """What was searched by (kinds, never the text): for the access record."""
        return [kind for kind, given in (("name", self.words), ("dob", self.dob), ("phone", self.phone)) if given]


def read_query(text: str, dob: str | None = None) -> Query:
    """A date typed as the text is a birth date; digits (7 or more, with phone punctuation) a
    phone number; anything else a name."""
    text = text.strip()
    words: tuple[str, ...] = ()
    phone = None
    if _DATE.match(text):
        if dob is not None and dob != text:
            from caseflow.errors import UsageError

            raise UsageError(f"two birth dates given: {text} and --dob {dob}")
        dob = text
    elif text and _PHONE_CHARS.match(text) and len(phone_digits(text)) >= PHONE_DIGITS:
        phone = phone_digits(text)
    elif text:
        words = name_words(text)
    return Query(words, dob, phone)
