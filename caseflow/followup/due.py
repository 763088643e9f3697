"""The due list: every open client's overdue and coming items, from the documents, for one morning.

Each client's items come from its documents and the rules (the built-in ones in
:mod:`caseflow.followup.due_rules`, plus those plugins register) with the workflow's ``monitoring``
settings. Clients with a risk flag come first, then the most overdue. The index keeps each
client's items by the digest of its documents and the day, and a caseload's whole list in its
order, mended after a change from the changed clients' items alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from caseflow.core.case import CaseView, active_risk_flags
from caseflow.errors import CaseflowError, PluginError, Problem
from caseflow.followup.due_rules import BUILT_IN_RULES, Due, DueRule
from caseflow.index import caseload, whole_sets
from caseflow.index.caseload import cases, client_records, memoized
from caseflow.workflow.monitoring import risk_level

if TYPE_CHECKING:
    from caseflow.index.snapshot import Snapshot
    from caseflow.session import Session

#: Days ahead the due list looks by default.
WITHIN_DAYS = 14


class DueEntry(NamedTuple):
    """One item of one client's, as the due list shows it on ``today``.

    (A named tuple: a supervisor's list at scale has tens of thousands, made per page view.)"""

    client: str
    worker: str | None
    risk: str
    flagged: bool
    item: Due
    today: dt.date

    @property
    def days_overdue(self) -> int:
        """Days past the due date (0: due today; negative: days still to go)."""
        return (self.today - dt.date.fromisoformat(self.item.due)).days

    @property
    def when(self) -> str:
        days = self.days_overdue
        if days > 0:
            return f"overdue {days} day{'s' if days != 1 else ''}"
        return "today" if days == 0 else f"in {-days} day{'s' if days != -1 else ''}"

    def as_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "worker": self.worker,
            "risk": self.risk,
            "risk_flagged": self.flagged,
            "rule": self.item.rule,
            "reason": self.item.reason,
            "due": self.item.due,
            "overdue": self.days_overdue > 0,
            "days_overdue": self.days_overdue,
        }


def due_list(
    repo: Session,
    *,
    worker: str | None = None,
    within_days: int = WITHIN_DAYS,
    progress: Callable[[int, int], None] | None = None,
    order: Callable[[DueEntry], Any] | None = None,
) -> list[DueEntry]:
    """The items of every open client (of ``worker``, if given) due by ``within_days`` from today,
    in the due list's order (:func:`due_order`) or by the sort key ``order``."""
    listing = due_listing(repo, worker=worker, within_days=within_days, progress=progress)
    if order is None or order is due_order:
        return listing.entries
    # (sorted once while nothing changes: a page showing its own order asks on every view)
    key = f"due-list/{worker}/{within_days}/{repo.today()}/{order.__module__}.{order.__qualname__}"
    return repo.kept(key, lambda: sorted(listing.entries, key=order))


def due_listing(
    repo: Session,
    *,
    worker: str | None = None,
    within_days: int = WITHIN_DAYS,
    progress: Callable[[int, int], None] | None = None,
) -> DueListing:
    """The due list of every open client (of ``worker``, if given) for ``within_days`` from today,
    in the due list's order, with the key that names it (its entries made only when asked for)."""
    if within_days < 0:
        raise CaseflowError(f"--within {within_days}: give a number of days ahead (0 or more)")
    snapshot = repo.snapshot(progress)
    today = repo.today()
    ids = repo.client_ids()
    kind = f"{_LISTS}{worker}/{within_days}/{today.isoformat()}"
    # (a few clients: their list is made from their results each time, as cheap as keeping it)
    whole = snapshot.digest_of_all(ids, kind) if len(ids) >= caseload.BUNDLE_FROM else None

    def entries() -> list[DueEntry]:
        # (a list shared with whoever asks the same while nothing changed: read it, never change it)
        return repo.kept(f"due-list/{worker}/{within_days}/{today}", made)

    def made() -> list[DueEntry]:
        rows = _rows(repo, snapshot, ids, kind, whole, worker, within_days, today, progress)
        return _entries(repo, rows, f"due-entries/{worker}/{within_days}/{today.isoformat()}", today)

    return DueListing(repo, whole, entries)


class DueListing:
    """A due list, the key naming it (None: not kept) and its entries, made when first asked for.

    What shows it (the table of ``caseflow due``) keeps what it made under the key
    (:meth:`shown`): a warm read of a caseload's list writes it out without making one entry."""

    def __init__(self, repo: Session, key: str | None, entries: Callable[[], list[DueEntry]]) -> None:
        self.key = key
        self._repo = repo
        self._entries = entries
        self._made: list[DueEntry] | None = None

    @property
    def entries(self) -> list[DueEntry]:
        """The items in the due list's order."""
        if self._made is None:
            self._made = self._entries()
        return self._made

    def shown(self, how: str, show: Callable[[list[DueEntry]], str]) -> str:
        """``show(entries)``: the list as ``how`` names it (``table/plain``, say: whatever else it
        depends on), kept under the list's key and ``how``."""
        if self.key is None:
            return show(self.entries)
        kind = f"{_SHOWN}{how}"
        kept = whole_sets.whole_set(self._repo, kind, self.key)
        text = kept.get("text") if kept is not None else None
        if isinstance(text, str):
            return text
        text = show(self.entries)
        whole_sets.keep_whole_set(self._repo, kind, self.key, {}, {"text": text}, family=_SHOWN)
        return text

    def joined(self, others: list[DueEntry]) -> DueListing:
        """This list with ``others`` (a household's items, say) in their places in the list's order."""
        if not others:
            return self
        key = None
        if self.key is not None:
            named = json.dumps([entry.as_json() for entry in others], sort_keys=True)
            key = hashlib.sha1(f"{self.key}\n{named}".encode(), usedforsecurity=False).hexdigest()
        return DueListing(self._repo, key, lambda: sorted([*self.entries, *others], key=due_order))


def _entries(repo: Session, rows: list[Row], carried_as: str, today: dt.date) -> list[DueEntry]:
    """The entries of these rows. A long-running process carries the last ones made: after a
    change, the rows of clients that did not change are the same objects, and so are their entries."""
    carried = repo.carried(carried_as)
    made: dict[int, DueEntry] = {}
    if carried is not None:
        kept_rows, kept_entries = carried
        made = {id(row): entry for row, entry in zip(kept_rows, kept_entries, strict=True)}
    entries = [
        made.get(id(row)) or DueEntry(client, owner, risk, flagged, Due(rule, reason, due, notice, key), today)
        for row in rows
        for _, _, due, client, rule, _, reason, notice, key, owner, risk, flagged in (row,)
    ]
    if repo.carries:
        repo.carry(carried_as, (rows, entries))  # (the rows kept alive with them: ids stay theirs)
    return entries


#: One item of the due list as the index keeps the whole list: its place in :func:`due_order`
#: first (what cannot be read, not flagged, due, client, rule, and its place among the client's
#: items: a tuple's own order is the list's), then the rest of a :class:`DueEntry`.
Row = tuple[bool, bool, str, str, str, int, str, "str | None", str, "str | None", str, bool]
#: Prefix of the kinds of whole due lists the index keeps (one per worker, horizon and day).
_LISTS = "due-list/1/"
#: Prefix of the kinds of due lists kept as shown (a table, say), under the list's key.
_SHOWN = "due-shown/1/"
#: Clients changed since the last whole list, up to which it is mended rather than made again.
_MEND_AT_MOST = 200


def _rows(
    repo: Session,
    snapshot: Snapshot,
    ids: list[str],
    kind: str,
    whole: str | None,
    worker: str | None,
    within_days: int,
    today: dt.date,
    progress: Callable[[int, int], None] | None,
) -> list[Row]:
    """The due list's rows in its order. A caseload's whole list is kept in the index under
    ``whole`` (None: a few clients, made each time): a warm read loads it in one go (no per-client
    results decoded, nothing sorted), and after a change the last one is mended, its changed
    clients' rows made again."""
    if whole is None:
        return sorted(_rows_of(repo, snapshot, ids, worker, within_days, today, progress))
    kept = whole_sets.whole_set(repo, kind, whole)
    rows: list[Row] | None = kept.get("rows") if kept is not None else None
    if isinstance(rows, list):
        return rows
    digests = snapshot.client_digests(ids)
    latest = next(whole_sets.recent_whole_sets(repo, kind), None)
    rows = _mended(repo, snapshot, digests, latest, worker, within_days, today)
    if rows is None:
        rows = sorted(_rows_of(repo, snapshot, ids, worker, within_days, today, progress))
    whole_sets.keep_whole_set(repo, kind, whole, digests, {"rows": rows}, family=_LISTS)
    return rows


def _mended(
    repo: Session,
    snapshot: Snapshot,
    digests: dict[str, str],
    latest: tuple[dict[str, str], dict[str, Any]] | None,
    worker: str | None,
    within_days: int,
    today: dt.date,
) -> list[Row] | None:
    """The last whole list kept with only the changed clients' rows made again (None: there is
    none, or too much changed to mend it)."""
    if latest is None or not isinstance(latest[1].get("rows"), list):
        return None
    kept_digests, kept = latest
    changed = [c for c, digest in digests.items() if kept_digests.get(c) != digest]
    gone = [c for c in kept_digests if c not in digests]
    if len(changed) + len(gone) > _MEND_AT_MOST:
        return None
    stale = {*changed, *gone}
    rows: list[Row] = [row for row in kept["rows"] if row[3] not in stale]
    rows.extend(_rows_of(repo, snapshot, changed, worker, within_days, today, None))
    rows.sort()  # (nearly in order already: a merge of the few new rows)
    return rows


def _rows_of(
    repo: Session,
    snapshot: Snapshot,
    ids: Sequence[str],
    worker: str | None,
    within_days: int,
    today: dt.date,
    progress: Callable[[int, int], None] | None,
) -> list[Row]:
    """The rows of these clients' items (not in order)."""
    final = {stage.id for stage in repo.workflow_spec.stages if stage.final}
    monitoring = repo.workflow_spec.monitoring
    rules = [("caseflow", rule) for rule in BUILT_IN_RULES] + repo.host.due_rules()

    def compute(chunk: Sequence[str]) -> list[tuple[str, Any]]:
        records = client_records(repo, snapshot, chunk)
        found: list[tuple[str, Any]] = [
            (c, {"problem": str(found)}) for c, found in records.items() if isinstance(found, Problem)
        ]
        readable = [c for c, found in records.items() if not isinstance(found, Problem)]
        found.extend(
            (case.client_id, _stored(case, rules, monitoring, final)) for case in cases(repo, snapshot, readable)
        )
        return found

    # Each client's items depend on its documents and the day: the index keeps them for both.
    results = memoized(repo, "due/2", snapshot, ids, compute, extra=[today.isoformat()], progress=progress)
    rows: list[Row] = []
    today_text, horizon = today.isoformat(), (today + dt.timedelta(days=within_days)).isoformat()
    for client_id in ids:
        stored = results[client_id]
        if stored.get("problem"):  # a client record nobody can read hides the whole case: first thing due
            rows.append((False, False, today_text, client_id, "unreadable", 0, f"fix {stored['problem']}", None, "",
                         None, "unknown", True))  # fmt: skip
            continue
        if stored["stage"] in final or worker not in (None, stored["worker"]):
            continue
        owner, risk, flagged = stored["worker"], stored["risk"], stored["flagged"]
        for place, (rule, reason, due, notice, key) in enumerate(stored["items"]):
            if due <= horizon or (notice is not None and notice <= today_text):  # Due.shows, on ISO text
                rows.append((rule != "unreadable", not flagged, due, client_id, rule, place, reason, notice, key,
                             owner, risk, flagged))  # fmt: skip
    return rows


def due_order(entry: DueEntry) -> tuple[bool, bool, str, str, str]:
    """The due list's order: what cannot be read first (it may hide anything), then risk-flagged
    clients, then the oldest."""
    return entry.item.rule != "unreadable", not entry.flagged, entry.item.due, entry.client, entry.item.rule


def _stored(case: CaseView, rules: list[tuple[str, DueRule]], monitoring: Any, final: set[str]) -> dict[str, Any]:
    """One client's items (all of them, whatever the horizon) as the index keeps them."""
    stage = case.record.get("stage")
    closed = stage in final
    items = [] if closed else [[d.rule, d.reason, d.due, d.notice, d.key] for d in _evaluate(case, rules, monitoring)]
    worker = case.record.get("assigned_worker")
    return {
        "stage": stage if isinstance(stage, str) else None,
        "worker": worker if isinstance(worker, str) else None,
        "risk": risk_level(case.record, monitoring),
        "flagged": bool(active_risk_flags(case.record)),
        "items": items,
    }


def due_for_case(repo: Session, case: CaseView, within_days: int = WITHIN_DAYS) -> list[DueEntry]:
    """One client's items due by ``within_days`` from today, soonest first."""
    monitoring = repo.workflow_spec.monitoring
    rules = [("caseflow", rule) for rule in BUILT_IN_RULES] + repo.host.due_rules()
    level = risk_level(case.record, monitoring)
    flagged = bool(active_risk_flags(case.record))
    worker = case.record.get("assigned_worker")
    items = [item for item in _evaluate(case, rules, monitoring) if item.shows(case.today, within_days)]
    entries = [DueEntry(case.client_id, worker, level, flagged, item, case.today) for item in items]
    return sorted(entries, key=lambda e: (e.item.due, e.item.rule))


def _evaluate(case: CaseView, rules: list[tuple[str, DueRule]], monitoring: Any) -> list[Due]:
    found: list[Due] = []
    for owner, rule in rules:
        try:
            items = rule.evaluate(case, monitoring)
        except Exception as exc:
            raise PluginError(f"due rule '{rule.id}' of plugin '{owner}' raised {type(exc).__name__}: {exc}") from exc
        for item in items:
            if not isinstance(item, Due):
                raise PluginError(f"due rule '{rule.id}' of plugin '{owner}' returned {item!r}, not a Due")
            _check_date(item, owner)
            found.append(item)
    return found


def _check_date(item: Due, owner: str) -> None:
    try:
        dt.date.fromisoformat(item.due)
    except (TypeError, ValueError):
        raise PluginError(f"due rule '{item.rule}' of plugin '{owner}' gave due date {item.due!r}") from None
