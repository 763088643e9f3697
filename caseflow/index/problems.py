"""``caseflow validate``: every problem of every document, from the index where nothing changed.

A document's problems are kept by its path and blob id (the index's ``checks``), and a client's
whole answer (its documents' problems, decisions by people who may not decide, a missing record)
by the digest of its documents. Validating a caseload where a few files changed checks those few.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caseflow.core import casefiles
from caseflow.core.case import blob_id
from caseflow.core.config import CONFIG_FILE
from caseflow.core.consent_rules import ConsentFacts, minor_problem
from caseflow.core.documents import load_document
from caseflow.core.ids import check_client_id
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import DocumentError, NotFound, Problem
from caseflow.index.database import as_rows, check_key

if TYPE_CHECKING:
    from caseflow.core.case import CaseView
    from caseflow.session import Session

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ValidationReport:
    """What ``caseflow validate`` found: how many documents it checked, and every problem."""

    documents: int
    problems: list[Problem]
    #: Documents that are there but count for nothing yet (:mod:`caseflow.core.blank`): said, not failed.
    incomplete: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(repo: Session, client_ids: Sequence[str] | None, progress: Progress | None) -> ValidationReport:
    """Every problem of the given clients' documents (all clients': through the whole index)."""
    from caseflow.index.caseload import cases, memoized

    problems: list[Problem] = []
    incomplete: list[Problem] = []
    if repo.config.workflow not in repo.host.workflows():
        unknown = f"workflow '{repo.config.workflow}' is not provided by any plugin"
        problems.append(Problem(CONFIG_FILE, 0, 0, unknown))
    problems.extend(repo.form_files().problems)  # a broken form file: its documents are "unknown form"
    if client_ids:  # a few clients: read their folders directly, not the whole caseload
        ids = [check_client_id(c) for c in client_ids]
        for client_id in ids:
            repo.client_dir(client_id)
        count = 0
        for done, client_id in enumerate(ids, 1):
            paths = [(d.path, d.path_in_client, None) for d in casefiles.client_documents(repo.root, client_id)]
            count += len(paths)
            problems.extend(_from_json(client_problems(repo, client_id, paths)))
            problems.extend(repo.decision_problems(client_id))
            problems.extend(repo.stage_problems(client_id))
            incomplete.extend(_from_json(blank_documents(repo.case(client_id))))
            if progress is not None:
                progress(done, len(ids))
        repo.index.flush()
        return ValidationReport(count, problems, incomplete)
    ids = repo.client_ids()
    problems.extend(Problem(p, 0, 0, why) for p, why in casefiles.stray_client_entries(repo.root))
    snapshot = repo.snapshot(progress)

    def compute(chunk: Sequence[str]) -> list[tuple[str, Any]]:
        found = [
            (c, client_problems(repo, c, [(f.path, f.path_in_client, f.blob) for f in snapshot.of(c)])) for c in chunk
        ]
        repo.index.flush()
        return found

    # a consent's signer depends on the age of majority as well as on the client's documents
    majority = f"age_of_majority={repo.config.age_of_majority}"
    results = memoized(repo, "validate", snapshot, ids, compute, extra=[majority], progress=progress)
    problems.extend(_from_json([row for client_id in ids for row in results[client_id]]))
    problems.extend(repo.kept(f"authority/{len(ids)}", lambda: _authority_problems(repo, snapshot, ids)))

    def compute_blank(chunk: Sequence[str]) -> list[tuple[str, Any]]:
        return [(case.client_id, blank_documents(case)) for case in cases(repo, snapshot, chunk)]

    blank = memoized(repo, "blank", snapshot, ids, compute_blank)
    incomplete = _from_json([row for client_id in ids for row in blank[client_id]])
    return ValidationReport(snapshot.count_of(ids), problems, incomplete)


def blank_documents(case: CaseView) -> list[list[Any]]:
    """The case's documents that count for nothing yet, as stored: ``[path, 0, 0, why]`` each."""
    found = []
    for document in case.documents:
        reason = case.blank(document) if document.form_id and not document.problems else None
        if reason is not None:
            path = f"{casefiles.CLIENTS_DIR}/{case.client_id}/{document.path}"
            found.append(Problem(path, 0, 0, f"incomplete: {reason}; it counts for nothing until it is written"))
    return as_rows(found)


def client_problems(
    repo: Session, client_id: str, files: Sequence[tuple[str, str | None, str | None]]
) -> list[list[Any]]:
    """One client's problems as stored: ``[path, line, col, message]`` each.

    ``files`` are ``(path, path in the client folder, blob id if known)``: a document whose
    problems the index holds for that blob is not even read.
    """
    problems: list[Problem] = []
    keys = {path: check_key(path, blob) for path, _, blob in files if blob}
    known = repo.index.checks(keys.values())
    fresh = []
    for path, inner, _ in files:
        stored = known.get(keys.get(path, ""))
        if stored is None:
            try:
                raw = read_document_bytes(repo.root, path)
            except DocumentError as exc:
                problems.extend(exc.problems)
                continue
            key = check_key(path, blob_id(raw))
            stored = known.get(key) or repo.index.checks([key]).get(key)
            if stored is None:
                found = repo.check_document(client_id, path, raw) if inner is not None else []
                stored = as_rows(found)
                fresh.append((key, stored))
        problems.extend(_from_json(stored))
    repo.index.put_checks(fresh)
    if not (repo.root / casefiles.CLIENTS_DIR / client_id / "client.yaml").exists():
        problems.append(Problem(f"{casefiles.CLIENTS_DIR}/{client_id}", 0, 0, "has no client.yaml"))
    problems.extend(minor_signer_problems(repo, client_id, [path for path, inner, _ in files if inner]))
    return as_rows(problems)


def minor_signer_problems(repo: Session, client_id: str, paths: Sequence[str]) -> list[Problem]:
    """Consents a client signed while under the age of majority with neither a representative's
    signature nor a minor-consent basis. It reads the client's date of birth, so it is checked with
    the client's whole answer (kept by all its documents), never with one document's problems."""
    consents = [path for path in paths if path.startswith(f"{casefiles.CLIENTS_DIR}/{client_id}/consents/")]
    if not consents:
        return []
    try:
        dob = repo.client_record(client_id).get("dob")
    except (DocumentError, NotFound):
        return []  # the record's own problems are reported with it
    if not isinstance(dob, str):
        return []
    facts = ConsentFacts(dob=dob, age_of_majority=repo.config.age_of_majority, client_id=client_id)
    problems = []
    for path in consents:
        try:
            raw = read_document_bytes(repo.root, path)
            data, _ = repo.index.parse(path, raw)  # as the index holds it: no round trip for a consent in order
        except DocumentError:
            continue  # reported as the document's own problem
        if not isinstance(data, Mapping) or data.get("form") != "core.consent":
            continue
        why = minor_problem(data, facts)
        if why:
            document = load_document(path, raw)  # positions, only where there is something to say
            line, column = document.locate(("signed_by", "relationship"))
            problems.append(Problem(path, line, column, why))
    return problems


#: The kind of the index's whole sets of what the history does not back (with the commit they
#: were judged at).
_AUTHORITY = "authority/1"


def _authority_problems(repo: Session, snapshot: Any, ids: Sequence[str]) -> list[Problem]:
    """What the history does not back (:meth:`Session.decision_problems`, :meth:`Session.stage_problems`).

    A client's answer depends on its documents and on what the commits that touched its folder
    proved: a caseload's answers are kept whole in the index with the commit they were judged at,
    and after commits only the clients they touched (or whose documents changed) are judged again."""
    from caseflow.index.caseload import BUNDLE_FROM
    from caseflow.index.whole_sets import keep_whole_set, whole_set

    if len(ids) < BUNDLE_FROM:
        return _from_json([row for rows in _judged(repo, snapshot, ids).values() for row in rows])
    # (What the history proves at a commit is that commit's, and the settings it was judged by
    # are in the index's fingerprint: the set kept for this commit is found without replaying.)
    at = repo.head() or ""
    whole = snapshot.digest_of_all(ids, _AUTHORITY, at)
    kept = whole_set(repo, _AUTHORITY, whole)
    if kept is None:
        ledger = repo.ledger()
        head = ledger.head or ""
        settings = ledger.config_at.get(head, "")  # (those in force: a set judged by others is not mended)
        digests = snapshot.client_digests(ids)
        judged: dict[str, list[list[Any]]] = {}
        stale = _mended(repo, digests, head, settings, judged)
        judged.update(_judged(repo, snapshot, stale if stale is not None else list(digests)))
        # (only those with a problem: the rest of a caseload's clients need no row, nor a loop)
        kept = {"head": head, "settings": settings, "problems": {c: rows for c, rows in judged.items() if rows}}
        if head == at:  # (not when a commit came in meanwhile: judged at another commit than named)
            keep_whole_set(repo, _AUTHORITY, whole, digests, kept)
    found: dict[str, list[list[Any]]] = kept["problems"]
    return _from_json([row for c in ids for row in found.get(c, ())])


def _mended(
    repo: Session, digests: dict[str, str], head: str, settings: str, judged: dict[str, list[list[Any]]]
) -> list[str] | None:
    """The clients to judge again from the newest whole set kept that leads to ``head`` (whose
    answers for the rest go into ``judged``); None where none does. (After a reset an earlier set
    may lead here: those caseflow's own writes lead from are tried first, git asked of the rest.)"""
    from caseflow.index.whole_sets import recent_whole_sets

    tried: list[tuple[dict[str, str], dict[str, Any]]] = []
    for earlier in recent_whole_sets(repo, _AUTHORITY):
        mended = _judged_again(repo, earlier, digests, head, settings, judged, ask_git=False)
        if mended is not None:
            return mended
        tried.append(earlier)
    for earlier in tried:
        mended = _judged_again(repo, earlier, digests, head, settings, judged, ask_git=True)
        if mended is not None:
            return mended
    return None


def _judged_again(
    repo: Session,
    earlier: tuple[dict[str, str], dict[str, Any]],
    digests: dict[str, str],
    head: str,
    settings: str,
    judged: dict[str, list[list[Any]]],
    ask_git: bool = True,
) -> list[str] | None:
    """The clients to judge again since a set kept before (whose answers for the rest go into
    ``judged``): those whose documents changed, and those the commits since touched. None where
    that set cannot tell: judged under other settings, at a commit the history does not lead from
    to ``head`` (rewritten, or another branch; unless ``ask_git``, only caseflow's own writes are
    known to lead), or too much changed since."""
    kept_digests, kept = earlier
    if kept.get("settings") != settings or not isinstance(kept.get("problems"), dict):
        return None
    touched: set[str] = set()
    since = kept.get("head")
    if since != head:
        from caseflow.core import write_notes

        if not (since and head):
            return None
        changed = write_notes.paths_between(repo.root, since, head)  # (after caseflow's own writes: no git)
        if changed is None:
            from caseflow.core.git import objects, replay

            if not ask_git or not replay.is_ancestor(repo.root, since, head):
                return None
            changed = set(objects.changed_paths(repo.root, since, head, casefiles.CLIENTS_DIR))
        prefix = f"{casefiles.CLIENTS_DIR}/"
        touched = {p.split("/")[1] for p in changed if p.startswith(prefix) and p.count("/") >= 2}
    # (set operations on the digests' items: a caseload's clients compared at C speed)
    again = {c for c, _ in digests.items() - kept_digests.items()}
    again.update(touched.intersection(digests))
    if len(again) > len(digests) // 2:
        return None
    problems = kept["problems"]  # (only the clients with a problem are in it)
    judged.update((c, rows) for c, rows in problems.items() if c not in again and c in digests)
    return sorted(again)


def _judged(repo: Session, snapshot: Any, ids: Sequence[str]) -> dict[str, list[list[Any]]]:
    """Each client's answer (only those with a problem), as stored: ``[path, line, col, message]`` each."""
    ledger = repo.ledger()
    wanted = {
        f.key: (c, f.path_in_client)
        for c in ids
        for f in snapshot.of(c)
        if f.readable
        and (f.path_in_client == "approvals.yaml" or (c in ledger.stages and f.path_in_client == "client.yaml"))
    }
    parsed = repo.index.stored(list(wanted))
    judged: dict[str, list[list[Any]]] = {}
    for key, (client_id, inner) in sorted(wanted.items(), key=lambda item: item[1]):
        found = parsed.get(key)
        data = found[0] if found else None
        if inner == "approvals.yaml":
            problems = repo.decision_problems(client_id, data)
        else:
            problems = repo.stage_problems(client_id, data)
        if problems:
            judged.setdefault(client_id, []).extend(as_rows(problems))
    return judged


def _from_json(rows: Sequence[Sequence[Any]]) -> list[Problem]:
    return [Problem(str(path), int(line), int(col), str(message)) for path, line, col, message in rows]


def form_check(repo: Session, form_ids: Sequence[str]) -> ValidationReport:
    """What documents of these forms would say under the forms as the working tree has them (a
    form file changed and not yet committed): their problems, and those of the form files."""
    report = validate(repo, None, None)
    snapshot = repo.snapshot()
    wanted = set(form_ids)
    paths = {f.key: f.path for client_id in snapshot.clients for f in snapshot.of(client_id) if f.readable}
    parsed = repo.index.stored(list(paths))
    of_forms = {paths[key] for key, found in parsed.items() if found and found[0].get("form") in wanted}
    problems = [p for p in report.problems if p.path in of_forms or p.path.startswith("forms/")]
    return ValidationReport(len(of_forms), problems)
