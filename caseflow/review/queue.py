"""Reviewing changes as a supervisor reads them: semantic diffs, and the queue of what awaits approval.

``diff`` compares two versions of a client's documents field by field (:mod:`caseflow.review.semdiff`):
the working tree against a revision, or against the version a supervisor last approved. The
review queue lists every document the workflow wants approved (its ``approved`` requirements name
the forms: the plan, the discharge summary) that changed since its last approval or was never
approved, with its author, age and what changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caseflow.core import casefiles
from caseflow.core.case import CaseView
from caseflow.core.documents import load_plain
from caseflow.errors import CaseflowError, DocumentError, NotFound, UsageError
from caseflow.review.semdiff import Change, body_diff, changes

if TYPE_CHECKING:
    from caseflow.session import Session


@dataclass(frozen=True)
class DocumentDiff:
    path: str  # inside the client folder
    form: str | None
    since: str  # what the old version is: a revision, "approved <date>", or "nothing (new)"
    changes: tuple[Change, ...]
    body: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()  # the changes in words, as the form describes them

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "form": self.form,
            "since": self.since,
            "changes": [c.as_json() for c in self.changes],
            "described": list(self.lines),
            "body": list(self.body),
        }


def diff(
    repo: Session,
    client_id: str,
    document: str | None = None,
    *,
    since: str | None = None,
    since_approval: bool = False,
) -> list[DocumentDiff]:
    """What changed in one document (or every document) of a client, as the working tree has it now."""
    if since and since_approval:
        raise UsageError("give --since REV or --since-approval, not both")
    if since is not None and (since.startswith("-") or not repo.store.is_revision(since)):
        raise UsageError(f"--since {since!r} is not a revision of this repository (a commit, tag or HEAD~N)")
    base = repo.client_dir(client_id)
    if document is not None:
        paths = [repo.resolve_document(client_id, document)]
    else:
        paths = [d.path for d in casefiles.client_documents(repo.root, client_id)]
        if since is not None:  # documents removed since then are changes too
            paths += [p for p in repo.store.files_at(since, base) if p not in paths]
    case = repo.case(client_id) if since_approval else None
    found = []
    for path in paths:
        inner = path.removeprefix(f"{base}/")
        old, label = _old_version(repo, case, path, inner, since, since_approval)
        new = (repo.root / path).read_bytes() if (repo.root / path).is_file() else None
        if old == new or (since_approval and label is None):
            continue
        found.append(_document_diff(repo, path, inner, old, new, label or "nothing (new)"))
    if document is not None and not found and since_approval:
        raise NotFound(f"{paths[0]} is approved as it stands (or is not a document that needs approval)")
    return found


def _old_version(
    repo: Session, case: CaseView | None, path: str, inner: str, since: str | None, since_approval: bool
) -> tuple[bytes | None, str | None]:
    if since_approval:
        assert case is not None
        decision = _last_approval(case, inner)
        if decision is None:
            return None, "never approved" if _needs_approval(repo, case, inner) else None
        return repo.store.blob(decision.blob), f"approved by {decision.by} on {decision.at[:10]}"
    if since is not None:
        return repo.store.blob_at(since, path), since
    last = repo.store.last_change(path)
    if last is None:
        return None, "nothing (not committed yet)"
    commit = last[0]
    if repo.store.uncommitted([path]):
        return repo.store.blob_at("HEAD", path), "HEAD"
    return repo.store.blob_at(f"{commit}^", path), f"{commit[:8]}^"


def _document_diff(
    repo: Session, path: str, inner: str, old: bytes | None, new: bytes | None, since: str
) -> DocumentDiff:
    old_data, old_body = _plain(path, old, f"the version of {since}")
    new_data, new_body = _plain(path, new, "the working tree's version")
    form_id = str((new_data or old_data or {}).get("form") or "") or None
    form = repo.forms.get(form_id or "")
    schema = form.schema if form else {}
    found = changes(old_data, new_data, schema)
    words = form.describe_changes(found) if form and form.describe_changes else [c.text() for c in found]
    return DocumentDiff(inner, form_id, since, tuple(found), tuple(body_diff(old_body, new_body)), tuple(words))


def _plain(path: str, raw: bytes | None, which: str) -> tuple[dict[str, Any] | None, str]:
    if raw is None:
        return None, ""
    try:
        return load_plain(path, raw)
    except DocumentError as exc:
        raise CaseflowError(f"{which} of {path} cannot be read: {exc.problems[0].message}") from None


# -- the review queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A document awaiting a supervisor's decision."""

    client: str
    path: str  # inside the client folder
    author: str | None
    changed_on: str | None
    approved_on: str | None  # None: never approved
    summary: str
    today: dt.date
    #: A household's family plan (``client`` then holds the household id, ``path`` is in its folder).
    household: str | None = None

    @property
    def age_days(self) -> int | None:
        """Days since the change, counted to the repository's today (``CASEFLOW_TODAY`` where set).
        A change committed after that day (the demo's story runs behind the clock) is 0 days old,
        never a negative age."""
        if not self.changed_on:
            return None
        return max(0, (self.today - dt.date.fromisoformat(self.changed_on[:10])).days)

    def as_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "path": self.path,
            "author": self.author,
            "changed_on": self.changed_on,
            "age_days": self.age_days,
            "approved_on": self.approved_on,
            "summary": self.summary,
        } | ({"household": self.household} if self.household else {})


def household_pending(repo: Session, worker: str | None = None) -> list[Pending]:
    """Family plans awaiting a supervisor's decision (never approved, or changed since)."""
    from caseflow.households import actions, model

    found = []
    for household_id in model.household_ids(repo.root):
        try:
            household = model.load(repo, household_id)
        except CaseflowError:
            continue
        if worker is not None and household.record.get("worker") != worker:
            continue
        status = actions.plan_status(repo, household)
        if status["status"] != "awaiting approval":
            continue
        path = f"{household.folder}/family-plan.yaml"
        last = repo.store.last_change(path)
        member = repo.config.staff_by_email(last[1]) if last else None
        author, changed = (member.id if member else last[1], _agency_day(repo, last[2])) if last else (None, None)
        summary = "family plan"
        found.append(
            Pending(household_id, "family-plan.yaml", author, changed, None, summary, repo.today(), household_id)
        )
    return found


def _agency_day(repo: Session, stamp: str) -> str:
    """A commit's ISO time in the agency's time zone (its age is counted in the agency's days)."""
    from zoneinfo import ZoneInfo

    try:
        return dt.datetime.fromisoformat(stamp).astimezone(ZoneInfo(repo.config.timezone)).isoformat()
    except ValueError:
        return stamp


def approval_forms(repo: Session) -> set[str]:
    """The forms the workflow wants approved (the ``form`` of each ``approved`` requirement)."""
    workflow = repo.workflow_spec
    requirements = [r for s in workflow.stages for r in s.exit_requirements]
    requirements += [r for t in workflow.transitions for r in t.requirements]
    return {str(r.params["form"]) for r in requirements if r.check == "approved" and r.params.get("form")}


def pending_reviews(repo: Session, worker: str | None = None) -> list[Pending]:
    """Every document awaiting approval, oldest change first.

    What a client has pending is kept in the index by the digest of its documents (with git's
    status of each, as the last commit that changed a document names its author).
    """
    from caseflow.index.caseload import cases, memoized

    wanted = approval_forms(repo)
    snapshot = repo.snapshot()
    ids = [row["id"] for row in repo.clients(worker=worker, snapshot=snapshot) if row["problem"] is None]

    history: dict[str, tuple[str, str, str]] | None = None

    def last_change(path: str, many: bool) -> tuple[str, str, str] | None:
        nonlocal history
        if not many:
            return repo.store.last_change(path)
        if history is None:  # (once per worker process) one walk of the history answers them all
            history = repo.store.last_changes(casefiles.CLIENTS_DIR)
        return history.get(path)

    head = repo.store.head()

    def compute(chunk: Sequence[str]) -> list[tuple[str, Any]]:
        many = len(chunk) >= 10  # a cold run: thousands of documents to date
        # A few clients changed (a write): who last changed a document still as it was when they
        # were last worked out is known from then (brought up to date below), not looked for in
        # the history again (one walk back per document, far back for an old plan).
        before = {} if many or head is None else _answers_before(repo, chunk, head)
        computed = []
        for case in cases(repo, snapshot, chunk):
            since, known = before.get(case.client_id, (head, {}))
            items = _pending_of(repo, case, wanted, lambda p: last_change(p, many), known)
            reused = any(item[1] in known and known[item[1]][6] == item[6] for item in items)
            # (nothing pending: None, one byte kept, where most clients of a large caseload are)
            computed.append((case.client_id, {"head": since if reused else head, "items": items} if items else None))
        return computed

    found = memoized(repo, _KIND, snapshot, ids, compute)
    _bring_up_to(repo, head, found, compute)
    today = repo.today()
    pending = [
        Pending(client, path, author, changed_on, approved_on, summary, today)
        for client_id in ids
        if found[client_id] is not None
        for client, path, author, changed_on, approved_on, summary, _ in found[client_id]["items"]
    ]
    return sorted(pending, key=lambda p: (p.changed_on or "", p.client, p.path))


#: What the index keeps of a client's pending documents (each with the blob it was worked out for,
#: and the commit it was worked out at); None where nothing is pending.
_KIND = "review/5"


def _answers_before(
    repo: Session, clients: Sequence[str], head: str
) -> dict[str, tuple[str, dict[str, list[str | None]]]]:
    """What was last worked out for these clients, whatever their documents were then, where the
    history it was worked out at still leads to ``head``: ``{client: (that head, {path: item})}``."""
    from caseflow.core.git.history import is_ancestor

    found: dict[str, tuple[str, dict[str, list[str | None]]]] = {}
    leads: dict[str, bool] = {}
    for client_id, (_, data) in repo.index.memos_of(_KIND, clients).items():
        since = data.get("head") if data else None
        if not since:
            continue
        if since not in leads:
            leads[since] = since == head or is_ancestor(repo.root, since, head)
        if leads[since]:
            found[client_id] = (since, {item[1]: item for item in data["items"]})
    return found


def _bring_up_to(
    repo: Session, head: str | None, found: dict[str, Any], compute: Callable[[Sequence[str]], list[tuple[str, Any]]]
) -> None:
    """Who last changed each pending document, as of ``head``: stored answers name the commits
    before theirs, and a document can change and change back (the same bytes, another author).
    Only the commits since each answer was made are read. Where HEAD went back to an ancestor
    of it (a reset), only the clients the commits given up touched are worked out again (a
    document no commit given up touched was last changed, as of HEAD, by the same commit);
    history that was rewritten (neither leads to the other) means working the clients out again.
    """
    emails = {member.email.lower(): member.id for member in repo.config.staff}
    behind: dict[str, list[str]] = {}
    for client_id, data in found.items():
        if data is not None and data["items"] and data["head"] != head:
            behind.setdefault(data["head"], []).append(client_id)
    updated: list[tuple[str, Any]] = []
    for since, clients in behind.items():
        changes = repo.store.changes_since(since, casefiles.CLIENTS_DIR) if since and head else None
        if changes is None:
            given_up = repo.store.changes_since(head, casefiles.CLIENTS_DIR, until=since) if since and head else None
            touched = None if given_up is None else {path.split("/")[1] for path in given_up if path.count("/") >= 2}
            redo = [c for c in clients if touched is None or c in touched]
            for client_id in set(clients) - set(redo):  # (as of HEAD, as they were)
                found[client_id]["head"] = head
                updated.append((client_id, found[client_id]))
            redone = dict(compute(redo)) if redo else {}
            found.update(redone)
            updated.extend(redone.items())
            continue
        for client_id in clients:
            for item in found[client_id]["items"]:
                last = changes.get(f"{casefiles.CLIENTS_DIR}/{client_id}/{item[1]}")
                if last is not None:
                    item[2], item[3] = emails.get(last[1].lower(), last[1]), last[2]
            found[client_id]["head"] = head
            updated.append((client_id, found[client_id]))
    if updated:
        repo.index.update_memos(_KIND, updated)


def _pending_of(
    repo: Session,
    case: CaseView,
    wanted: set[str],
    last_change: Callable[[str], tuple[str, str, str] | None],
    known: Mapping[str, list[str | None]] | None = None,
) -> list[list[str | None]]:
    """One client's documents awaiting a decision: the fields of a Pending but today, and the
    document's blob. ``known``: items worked out before, by path: where a document's blob is the
    same, who last changed it is taken from there."""
    emails = {member.email.lower(): member.id for member in repo.config.staff}
    found: list[list[str | None]] = []
    for document in case.documents:
        if document.form_id not in wanted:
            continue
        decision = _last_approval(case, document.path)
        if decision is not None and decision.blob == document.blob:
            continue
        latest = case.latest_decision(document.path)
        if latest is not None and latest.decision == "rejected" and latest.blob == document.blob:
            continue  # sent back and not changed since: the author's turn, not the supervisor's
        earlier = (known or {}).get(document.path)
        if earlier is not None and earlier[6] == document.blob:
            author, changed_on = earlier[2], earlier[3]
        else:
            last = last_change(f"{casefiles.CLIENTS_DIR}/{case.client_id}/{document.path}")
            author = emails.get(last[1].lower(), last[1]) if last else None
            changed_on = last[2] if last else None
        [summary] = _summaries(repo, case, document.path, decision) or ["(no field changed)"]
        approved_on = decision.at[:10] if decision else None
        found.append([case.client_id, document.path, author, changed_on, approved_on, summary, document.blob])
    return found


def _summaries(repo: Session, case: CaseView, inner: str, decision: Any) -> list[str]:
    """One line: what changed since the approval (the first change, and how many more)."""
    if decision is None:
        return ["never approved"]
    path = f"{casefiles.CLIENTS_DIR}/{case.client_id}/{inner}"
    old, label = _old_version(repo, case, path, inner, None, since_approval=True)
    new = (repo.root / path).read_bytes() if (repo.root / path).is_file() else None
    if old == new:
        return []
    lines = list(_document_diff(repo, path, inner, old, new, label or "nothing (new)").lines)
    if not lines:
        return []
    return [lines[0] + (f" (+{len(lines) - 1} more)" if len(lines) > 1 else "")]


def _last_approval(case: CaseView, inner: str) -> Any:
    approvals = [
        a for a in case.approvals if a.document == inner and a.decision == "approved" and case.decided_in_episode(a)
    ]
    return approvals[-1] if approvals else None


def _needs_approval(repo: Session, case: CaseView, inner: str) -> bool:
    document = case.document(inner)
    return document is not None and document.form_id in approval_forms(repo)
