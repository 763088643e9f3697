"""Finding people in the caseload: by name, birth date or phone, and likely duplicates at intake.

Each client's searchable facts (name words folded, birth date, phone digits, stage, worker) are
kept in the index as a per-client result (``memoized`` kind ``person``): computed once per version
of the client's record, and on a warm index a whole caseload of them is loaded in one read. A
search then compares the query's words once with each *distinct* word of the caseload's names
(names repeat: a caseload of 10,000 has far fewer distinct words), and only then looks at clients.

Who sees what: every match is listed by id, stage and worker (a colleague must learn the person
is already a client); a name only to those :func:`may_see_name` allows, as on the caseload page.
Every search is recorded in the access record: who, when, by what kind of criteria, how many
were found and which clients; never the text searched (the record is shared with every clone
and kept for years, and a typed name of someone who is *not* a client is nobody's business).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caseflow.core import access_record
from caseflow.errors import AlreadyExists, UsageError
from caseflow.records.people import (
    Query,
    name_cost,
    name_words,
    phone_digits,
    read_query,
    same_phone,
    word_costs,
)

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.index.snapshot import Snapshot
    from caseflow.session import Session

#: Matches listed at most (the rest are counted): a search is for one person, not a listing.
SHOWN = 50


def may_see_name(repo: Session, actor: Staff, worker: str | None) -> bool:
    """Supervisors and directors see every client's name; a case manager sees her own clients'."""
    return actor.role in repo.config.identified_report_roles or worker == actor.id


@dataclass(frozen=True)
class Match:
    """One client a search found: how well, by what, and the name if this person may see it."""

    id: str
    stage: str | None
    assigned_worker: str | None
    exact: bool
    matched: tuple[str, ...]
    cost: int = 0
    name: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "stage": self.stage,
            "assigned_worker": self.assigned_worker,
            "match": "exact" if self.exact else "close",
            "matched": list(self.matched),
            "name": self.name,
        }

    def describe(self) -> str:
        """Why it matched, in words (for the duplicate warning)."""
        if "phone" in self.matched and "name" not in self.matched:
            return "same phone"
        what = "the same name" if self.cost == 0 else "a similar name"
        return f"same birth date and {what}" + (", same phone" if "phone" in self.matched else "")


@dataclass(frozen=True)
class Found:
    """A search's matches, best first (at most :data:`SHOWN`), and how many there were in all."""

    matches: list[Match] = field(default_factory=list)
    total: int = 0


def people(repo: Session, snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """Every client's searchable facts, from the index (see the module's docstring)."""
    from caseflow.index.caseload import client_records, memoized

    def compute(chunk: Sequence[str]) -> list[tuple[str, Any]]:
        found = client_records(repo, snapshot, chunk)
        return [(c, _facts(parsed[0]) if isinstance(parsed, tuple) else None) for c, parsed in found.items()]

    facts = memoized(repo, "person", snapshot, snapshot.clients, compute)
    return {c: f for c, f in facts.items() if f is not None}


def _facts(record: dict[str, Any]) -> dict[str, Any]:
    name, dob, phone = record.get("name"), record.get("dob"), record.get("phone")
    return {
        "words": list(name_words(name)) if isinstance(name, str) else [],
        "dob": str(dob) if dob else None,
        "phone": phone_digits(str(phone)) if phone else "",
        "stage": record.get("stage"),
        "worker": record.get("assigned_worker"),
    }


def search(query: Query, everyone: dict[str, dict[str, Any]]) -> list[Match]:
    """Every client among ``everyone`` (:func:`people`) matching all that the query gives, best
    first (no names, nothing recorded)."""
    candidates = {
        c: f
        for c, f in everyone.items()
        if (query.dob is None or f["dob"] == query.dob) and (query.phone is None or same_phone(query.phone, f["phone"]))
    }
    costs = word_costs(query.words, {w for f in candidates.values() for w in f["words"]}) if query.words else {}
    matches = []
    for client_id, f in candidates.items():
        matched = [kind for kind, given in (("dob", query.dob), ("phone", query.phone)) if given]
        cost = 0
        if query.words:
            found = name_cost(query.words, f["words"], costs)
            if found is None:
                continue
            cost, matched = found, ["name", *matched]
            if tuple(f["words"]) != query.words:
                cost += 1  # the whole name, in its order, ranks above a part of it
        exact = cost <= 1 and not _typo(query.words, f["words"])
        matches.append(Match(client_id, f["stage"], f["worker"], exact, tuple(matched), cost))
    return sorted(matches, key=lambda m: (m.cost, m.id))


def _typo(query: Sequence[str], words: Sequence[str]) -> bool:
    """A query word that is no word of the name (a beginning, or a near miss)."""
    return any(q not in words for q in query)


def find(
    repo: Session, actor: Staff, text: str, *, dob: str | None = None, action: str = "find", shown: int = SHOWN
) -> Found:
    """Clients matching ``text`` (a name, a birth date or a phone) and ``dob``; names where this
    person may see them; recorded in the access record."""
    if dob is not None and not _is_date(dob):
        raise UsageError(f"--dob '{dob}' is not a date (YYYY-MM-DD)")
    query = read_query(text, dob)
    if query.empty:
        raise UsageError("give a name, a birth date or a phone number to find")
    snapshot = repo.snapshot()  # one per search: each costs a listing of the working tree
    matches = search(query, people(repo, snapshot))
    listed = with_names(repo, actor, matches[:shown], snapshot)
    what = f"find by {', '.join(query.criteria())}: {len(matches)} found"
    access_record.record(repo.root, who=actor.id, action=action, what=what, clients=[m.id for m in listed])
    return Found(listed, len(matches))


def record_disclosure(
    repo: Session, actor: Staff, matches: Sequence[Match], what: str, *, action: str = "intake"
) -> None:
    """Say in the access record that these clients were shown to ``actor`` (ids at least: that a
    person is a client is itself protected)."""
    access_record.record(repo.root, who=actor.id, action=action, what=what, clients=[m.id for m in matches])


def with_names(repo: Session, actor: Staff, matches: Sequence[Match], snapshot: Snapshot | None = None) -> list[Match]:
    """The matches with the names this person may see filled in."""
    from dataclasses import replace

    from caseflow.index.caseload import client_records

    allowed = [m.id for m in matches if may_see_name(repo, actor, m.assigned_worker)]
    records = client_records(repo, snapshot or repo.snapshot(), allowed) if allowed else {}
    names = {c: str(r[0].get("name") or "") for c, r in records.items() if isinstance(r, tuple)}
    return [replace(m, name=names.get(m.id)) for m in matches]


def _is_date(text: str) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


# -- likely duplicates --------------------------------------------------------------------------


def likely_duplicates(
    repo: Session, snapshot: Snapshot, *, name: str, dob: str, phone: str | None = None
) -> list[Match]:
    """Clients who may be this person: the same birth date and a similar name (every word of the
    shorter name matching one of the longer), or the same phone number. Best first."""
    everyone = people(repo, snapshot)
    words = name_words(name)
    found: dict[str, Match] = {}
    if words:
        same_day = {c: f for c, f in everyone.items() if f["dob"] == dob}
        for match in search(Query(words, dob), same_day):
            found[match.id] = match
        # a new record with more words than the old one ("Tomás Reyes Vidal" for "Tomas Reyes")
        for client_id, f in same_day.items():
            if client_id in found or not f["words"] or len(f["words"]) >= len(words):
                continue
            cost = name_cost(f["words"], words, word_costs(f["words"], words))
            if cost is not None:
                exact = not _typo(f["words"], words)
                found[client_id] = Match(client_id, f["stage"], f["worker"], exact, ("name", "dob"), cost + 1)
    digits = phone_digits(phone or "")
    if len(digits) >= 7:
        for match in search(Query(phone=digits), everyone):
            earlier = found.get(match.id)
            if earlier is None:
                found[match.id] = match
            else:
                from dataclasses import replace

                found[match.id] = replace(earlier, matched=(*earlier.matched, "phone"))
    return sorted(found.values(), key=lambda m: ("name" not in m.matched, m.cost, m.id))


class LikelyDuplicates(AlreadyExists):
    """An intake that looks like a person already here; nothing was written."""

    def __init__(self, duplicates: Sequence[Match]) -> None:
        self.duplicates = list(duplicates)
        count = len(self.duplicates)
        super().__init__(
            f"{count} likely duplicate{'s' if count != 1 else ''}: "
            + ", ".join(m.id for m in self.duplicates)
            + "; nothing was written"
        )

    def lines(self) -> list[str]:
        found = [f"likely duplicate {m.id} ({m.stage}, {m.assigned_worker}): {m.describe()}" for m in self.duplicates]
        return [
            *found,
            "nothing was written: look at the client above (caseflow find); "
            "if this is a new person, run intake again with --new-person",
        ]
