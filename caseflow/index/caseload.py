"""Reading a whole caseload through the index: what listing, due, validate and review share.

:func:`refresh` asks git which bytes every document holds (:mod:`caseflow.index.snapshot`), parses
only the blobs the index has not seen (on several cores when there are thousands), and binds the
index to the current fingerprint. :func:`memoized` then answers per-client questions from the
results stored for the same digest of the client's documents, computing only the clients whose
documents changed.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core import casefiles
from caseflow.core.blank import blank_reason
from caseflow.core.case import CaseDocument, CaseView, active_risk_flags, blob_id, parse_approvals
from caseflow.core.casefiles import DOCUMENT_SUFFIXES
from caseflow.core.documents import load_plain
from caseflow.core.parallel import chunked, map_chunks
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import DocumentError, Problem
from caseflow.index.cold_progress import terminal_progress
from caseflow.index.database import PARSED_KEPT_NOTE, PARSED_NOTE, Parsed, document_key
from caseflow.index.fingerprint import fingerprint_of
from caseflow.index.snapshot import Snapshot, TreeFile, take_snapshot

if TYPE_CHECKING:
    from caseflow.session import Session

Progress = Callable[[int, int], None]

#: Clients handed to a worker at a time (small enough for a smooth progress bar).
CHUNK_CLIENTS = 100
#: Clients from which a memoized read keeps its whole set of results as one (see ``memoized``).
BUNDLE_FROM = 200
#: Documents parsed by a worker at a time.
CHUNK_DOCUMENTS = 500


# -- the snapshot and the parsed documents --------------------------------------------------------


def refresh(repo: Session, progress: Progress | None = None, *, ahead: bool = False) -> Snapshot:
    """Bring the index up to the working tree: every document parsed, stale results dropped.
    (``ahead``: see :func:`caseflow.index.snapshot.take_snapshot`.)"""
    snapshot = take_snapshot(repo.store, repo.index, ahead=ahead)
    repo.index.bind(fingerprint_of(repo))
    listing = snapshot.listing_key()  # the same as last time: every document was parsed then
    parsed = repo.index.note(PARSED_NOTE)
    if parsed == listing:
        return snapshot
    kept_listing = snapshot.changed_since[0] if snapshot.changed_since is not None else None
    kept_parsed = kept_listing is not None and kept_listing in (parsed, repo.index.note(PARSED_KEPT_NOTE))
    if kept_parsed:
        # Every document was parsed as the kept listing had them: only the clients changed since
        # may have new ones (after a write, one), and only theirs are looked up.
        assert snapshot.changed_since is not None
        files = [f for c in snapshot.changed_since[1] for f in snapshot.of(c) if f.readable]
        known = repo.index.known_of(f.key for f in files)
        missing = [f for f in files if f.key not in known]
    else:
        known = repo.index.known()
        present = snapshot.keys()
        unparsed = present - known
        # Every document the kept listing had is parsed too once those of the clients changed since
        # are (the others' are this snapshot's): the next reads after writes look at theirs alone.
        kept_parsed = kept_listing is not None and all(k in known or k in present for k in snapshot.kept_keys())
        # (Files made only for the clients with a document not parsed yet: after a write, one or two.)
        missing = [
            f
            for client_id, entries in (snapshot.entries.items() if unparsed else ())
            if any(blob and document_key(inner, blob) in unparsed for inner, blob, _ in entries)
            for f in snapshot.of(client_id)
            if f.readable and f.key in unparsed
        ]
    if missing:
        _index_all(repo, missing, progress)
    # Many documents went away (or changed): so did what was derived from them.
    pruned = repo.index.prune(snapshot.keys, about=snapshot.entry_count())
    if pruned:
        from caseflow.index.database import check_key

        live_checks = {check_key(f.path, f.blob) for f in snapshot.files if f.readable}
        repo.index.prune_derived(live_checks, set(snapshot.entries))
    repo.index.set_note(PARSED_NOTE, listing)
    if pruned or kept_parsed:  # (pruned: the kept listing's documents of the clients changed since may be gone)
        repo.index.set_note(PARSED_KEPT_NOTE, "" if pruned or kept_listing is None else kept_listing)
    return snapshot


def refresh_clients(repo: Session, kept: Snapshot, client_ids: Sequence[str]) -> Snapshot:
    """``kept`` with the folders of ``client_ids`` taken again (what a watcher saw change), their
    new documents parsed into the index. A long-running process (``caseflow serve``) keeps one
    snapshot this way instead of listing the whole tree per request."""
    part = take_snapshot(repo.store, repo.index, client_ids_only=client_ids)
    taken_again = set(client_ids)
    entries = {c: e for c, e in kept.entries.items() if c not in taken_again}
    entries.update(part.entries)
    fresh = Snapshot(entries=entries, hashed=part.hashed, _digests=kept.digests_of_others(client_ids))
    repo.index.bind(fingerprint_of(repo))
    files = [f for c in part.entries for f in fresh.of(c) if f.readable]
    known = repo.index.known_of(f.key for f in files)
    missing = [f for f in files if f.key not in known]
    if missing:
        _index_all(repo, missing, None)
    return fresh


def _index_all(repo: Session, files: list[TreeFile], progress: Progress | None) -> None:
    """Parse and check documents the index has not seen, on every core when there are many.

    Each chunk's results are written as they come back, in one transaction, so the parent holds
    one chunk at a time however large the caseload (it held every parsed document until the end:
    120 MB at 10,000 clients). The collector's bookkeeping is frozen before the workers are
    forked: a collection in a worker would otherwise write to (and so copy) every page of the
    parent's objects it inherited.
    """
    root = Path(repo.root)
    repo.schemas  # noqa: B018 - load the forms' schemas once, before the workers are forked
    shown = progress if progress is not None else terminal_progress("indexing", len(files))
    done = 0
    gc.freeze()
    try:
        for indexed in map_chunks(
            lambda chunk: [_index_one(repo, root, f) for f in chunk],
            chunked(files, CHUNK_DOCUMENTS),
            items=len(files),
            before_fork=repo.index.close,
            in_worker=_read_only(repo),
        ):
            found = [f for f in indexed if f is not None]
            repo.index.put_parsed([(key, form, text) for key, form, text, _ in found], [c for *_, c in found])
            done += len(indexed)
            if shown is not None:
                shown(done, len(files))
    finally:
        gc.unfreeze()
        if shown is not None and progress is None:
            shown(-1, len(files))  # (the line is cleared)


def _index_one(repo: Session, root: Path, f: TreeFile) -> tuple[str, str | None, str, tuple[str, Any]] | None:
    """What the index keeps of one document (in a worker): its key, form, parsed data as stored,
    and its problems. None for a document that does not parse, or changed since the listing
    (whoever needs it reads it then, and reports why).
    """
    try:
        raw = read_document_bytes(root, f.path)
        if document_key(f.path, blob_id(raw)) != f.key:
            return None
        return _as_indexed(repo, f.path, raw, f.client_id, f.path_in_client)
    except DocumentError:
        return None


def _as_indexed(
    repo: Session, path: str, raw: bytes, client_id: str, path_in_client: str
) -> tuple[str, str | None, str, tuple[str, Any]]:
    """One document's bytes as the index keeps them: key, form, parsed data as stored, problems."""
    from caseflow.core.validation import check_plain_data
    from caseflow.index.database import as_rows, check_key

    blob = blob_id(raw)
    data, body = load_plain(path, raw)
    text = json.dumps([data, body], ensure_ascii=False)  # before any plugin's check sees the data
    problems = check_plain_data(
        path, raw, data, body, repo.forms, repo.schemas, repo.host.validate_document, client_id, path_in_client
    )
    form = data.get("form")
    return (
        document_key(path, blob),
        form if isinstance(form, str) else None,
        text,
        (check_key(path, blob), as_rows(problems)),
    )


def remember_written(repo: Session, written: Mapping[str, bytes | None]) -> None:
    """Client documents a write has just committed, parsed and checked into the index as they
    were written (the write checked them already: the schema validator is built), so that the
    next read neither parses nor checks them again. Where git stores other bytes than these (a
    clean filter), the keys do not match and the next read parses the file as usual."""
    found = []
    for path, raw in sorted(written.items()):
        parts = path.split("/", 2)
        if raw is None or len(parts) < 3 or parts[0] != casefiles.CLIENTS_DIR or not path.endswith(DOCUMENT_SUFFIXES):
            continue
        try:
            found.append(_as_indexed(repo, path, raw, parts[1], parts[2]))
        except DocumentError:
            continue
    if not found:
        return
    repo.index.bind(fingerprint_of(repo))  # (checks made under other plugins or forms are dropped first)
    repo.index.put_parsed([(key, form, text) for key, form, text, _ in found], [check for *_, check in found])


def documents_of(repo: Session, files: Sequence[TreeFile], parsed: dict[str, Parsed]) -> list[CaseDocument]:
    """A client's documents as a case holds them; one the index could not parse is read for why."""
    documents = []
    for f in files:
        found = parsed.get(f.key) if f.readable else None
        if found is None:
            try:
                found = repo.index.parse(f.path, read_document_bytes(repo.root, f.path))
            except DocumentError as exc:
                documents.append(CaseDocument(f.path_in_client, None, {}, "", tuple(exc.problems)))
                continue
        data, body = found
        form_id = data.get("form") if isinstance(data.get("form"), str) else None
        documents.append(CaseDocument(f.path_in_client, form_id, data, f.blob, body=body))
    return documents


def assemble_case(repo: Session, client_id: str, record: dict[str, Any], documents: list[CaseDocument]) -> CaseView:
    """The read-only view of one client that checks, due rules and reviews look at."""
    ledger = repo.ledger()  # only decisions that a commit by their maker backs count
    listed = [a for d in documents if d.form_id == "core.approvals" for a in parse_approvals(d.data, repo.approvers)]
    approvals = [a for a in listed if ledger.backs(client_id, a.__dict__)]
    history = [h for h in record.get("stage_history") or [] if isinstance(h, dict) and isinstance(h.get("on"), str)]
    reopened = [h["on"] for h in history if h.get("from") and h.get("to") == repo.workflow_spec.initial]

    def problems_of(document: CaseDocument) -> list[Problem]:
        if document.problems:
            return list(document.problems)
        path = f"{casefiles.CLIENTS_DIR}/{client_id}/{document.path}"
        return repo.check_document(client_id, path, read_document_bytes(repo.root, path))

    return CaseView(
        client_id,
        record,
        documents,
        approvals,
        repo.today(),
        problems_of,
        episode_start=reopened[-1] if reopened else None,
        stage_entered=history[-1]["on"] if history else None,
        lasting_forms=frozenset(form_id for form_id, form in repo.forms.items() if form.singleton),
        unbacked=[a for a in listed if a not in approvals],
        blank=lambda d: blank_reason(repo.forms.get(d.form_id or ""), d.data, d.body, repo.root / "templates"),
        final_stages=frozenset(stage.id for stage in repo.workflow_spec.stages if stage.final),
        age_of_majority=repo.config.age_of_majority,
    )


def cases(repo: Session, snapshot: Snapshot, client_ids: Sequence[str]) -> Iterator[CaseView]:
    """The cases of ``client_ids`` (each with a readable client record), a batch of reads at a time."""
    for batch in chunked(list(client_ids), CHUNK_CLIENTS):
        keys = [f.key for c in batch for f in snapshot.of(c) if f.readable]
        parsed = repo.index.stored(keys)
        for client_id in batch:
            documents = documents_of(repo, snapshot.of(client_id), parsed)
            record = next((d for d in documents if d.path == "client.yaml" and not d.problems), None)
            yield assemble_case(repo, client_id, dict(record.data) if record else {}, documents)
        repo.index.flush()


def client_records(repo: Session, snapshot: Snapshot, client_ids: Sequence[str]) -> dict[str, Parsed | Problem]:
    """Each client's record (client.yaml) as parsed, or the first problem reading it."""
    files = {c: next((f for f in snapshot.of(c) if f.path_in_client == "client.yaml"), None) for c in client_ids}
    parsed = repo.index.stored([f.key for f in files.values() if f is not None and f.readable])
    records: dict[str, Parsed | Problem] = {}
    for client_id, f in files.items():
        path = f"{casefiles.CLIENTS_DIR}/{client_id}/client.yaml"
        found = parsed.get(f.key) if f is not None and f.readable else None
        try:
            records[client_id] = found or repo.index.parse(path, read_document_bytes(repo.root, path))
        except DocumentError as exc:
            records[client_id] = exc.problems[0]
    repo.index.flush()
    return records


def client_rows(repo: Session, snapshot: Snapshot, client_ids: Sequence[str]) -> list[dict[str, Any]]:
    """One summary per client (no names: ids, stage, worker, flags), as ``caseflow clients`` lists.

    Every row has the same keys; ``problem`` says why a client record could not be read.
    """

    def compute(chunk: Sequence[str]) -> list[tuple[str, Any]]:
        return [(c, _row(c, found)) for c, found in client_records(repo, snapshot, chunk).items()]

    rows = memoized(repo, "row", snapshot, client_ids, compute)
    return [rows[c] for c in client_ids]


def _row(client_id: str, found: Parsed | Problem) -> dict[str, Any]:
    record = {} if isinstance(found, Problem) else found[0]
    return {
        "id": client_id,
        "stage": record.get("stage"),
        "assigned_worker": record.get("assigned_worker"),
        "intake_date": record.get("intake_date"),
        "risk_flags": [f.get("flag") for f in active_risk_flags(record)],
        "problem": str(found) if isinstance(found, Problem) else None,
    }


# -- per-client results ---------------------------------------------------------------------------


def memoized(
    repo: Session,
    kind: str,
    snapshot: Snapshot,
    client_ids: Sequence[str],
    compute: Callable[[Sequence[str]], list[tuple[str, Any]]],
    *,
    extra: Sequence[str] = (),
    progress: Progress | None = None,
) -> dict[str, Any]:
    """``{client: result}``: stored results where the client's documents are as they were, else
    ``compute(client ids)`` (on several cores for many clients), stored for next time.

    ``extra`` names whatever else the results depend on (today's date, for the due list).
    """
    # Many clients: the whole set at once where nothing changed since it was kept (no per-client
    # decoding). A few: per client, as cheap, and no set kept for each.
    whole = snapshot.digest_of_all(client_ids, kind, *extra) if len(client_ids) >= BUNDLE_FROM else None
    if whole:  # (kept in memory too where a process keeps them: the whole set's digest names it)
        return repo.kept(
            f"memo/{kind}/{whole}", lambda: _memoized(repo, kind, snapshot, client_ids, compute, whole, extra, progress)
        )
    return _memoized(repo, kind, snapshot, client_ids, compute, whole, extra, progress)


def _memoized(
    repo: Session,
    kind: str,
    snapshot: Snapshot,
    client_ids: Sequence[str],
    compute: Callable[[Sequence[str]], list[tuple[str, Any]]],
    whole: str | None,
    extra: Sequence[str],
    progress: Progress | None,
) -> dict[str, Any]:
    # Carried in memory by a long-running process: the results of a moment ago, each with its
    # client's digest (the kind and ``extra`` are in the name they are carried under).
    carried_as = f"memo/{kind}/" + "/".join(extra)
    carried = repo.carried(carried_as)
    if carried is not None:  # only the clients changed since are computed again
        current = snapshot.client_digests(client_ids)
        kept_digests, kept_results = carried
        stale = [c for c, digest in current.items() if kept_digests.get(c) != digest]
        if len(stale) <= max(len(client_ids) // 2, CHUNK_CLIENTS):  # (else: what the index keeps, first)
            if kept_digests.keys() == current.keys():  # the same clients: a copy, less the changed
                results = dict(kept_results)
                for client_id in stale:
                    del results[client_id]
            else:
                unchanged = current.keys() - set(stale)
                results = {c: kept_results[c] for c in current if c in unchanged}
            digests = {client_id: snapshot.digest(client_id, kind, *extra) for client_id in stale}
            _compute_stale(repo, kind, compute, stale, digests, results, progress)
            _carry(repo, carried_as, snapshot, results, current if len(results) == len(current) else None)
            return results  # (no bundle: one per change, of every client's results, would cost more than it saves)
    bundled = repo.index.bundle(kind, whole) if whole else None
    if bundled is not None and len(bundled) == len(client_ids):
        _carry(repo, carried_as, snapshot, bundled)
        return bundled
    # After a change (a write): the last whole set holds every other client's result, with the
    # digest of the client's documents each was made from (and the same ``extra``); else each
    # client's stored result (one decode of them all).
    mark = "\0".join(extra)
    current = snapshot.client_digests(client_ids)
    latest = repo.index.latest_bundle(kind, mark) if whole else None
    results = {}
    digests = {}  # (of the kind and ``extra`` too: what each stored result is kept with)
    mended = 0  # (clients whose results the last whole set kept does not hold as they are now)
    if latest is not None:
        kept_digests, kept_results = latest
        results = {c: kept_results[c] for c, digest in current.items() if kept_digests.get(c) == digest}
        mended = len(client_ids) - len(results)
        if mended > len(client_ids) // 2:  # (not near: a few clients' set, or much changed)
            latest, results = None, {}
    if latest is None:  # (a few clients: only theirs decoded, not every client's)
        stored = repo.index.memos(kind) if whole else repo.index.memos_of(kind, client_ids)
        digests = {client_id: snapshot.digest(client_id, kind, *extra) for client_id in client_ids}
        for client_id, digest in digests.items():
            found = stored.get(client_id)
            if found is not None and found[0] == digest:
                results[client_id] = found[1]
    stale = [c for c in client_ids if c not in results]
    if latest is not None and stale:  # the stored ones may be newer than the bundle: look there first
        digests = {client_id: snapshot.digest(client_id, kind, *extra) for client_id in stale}
        stored_now = repo.index.memos_of(kind, stale)
        for client_id in stale:
            found = stored_now.get(client_id)
            if found is not None and found[0] == digests[client_id]:
                results[client_id] = found[1]
        stale = [c for c in stale if c not in results]
    _compute_stale(repo, kind, compute, stale, digests, results, progress)
    if whole:
        _keep_bundle(repo, kind, whole, current, results, mark, mended if latest is not None else None)
    _carry(repo, carried_as, snapshot, results)
    return results


#: Clients a whole set mended from the last one kept may differ by and not be kept until it is
#: asked for again: the read after a write (one client changed) does not write every client's
#: results, and reads between writes mend from the same set, each client's result found where
#: ``_compute_stale`` stored it.
MENDED_UNKEPT = 64
#: The index's note of a whole set mended and not kept (the next read of it keeps it).
_ASKED_ONCE = "mended-unkept/"


def _keep_bundle(
    repo: Session,
    kind: str,
    whole: str,
    digests: dict[str, str],
    results: dict[str, Any],
    mark: str,
    mended_from_latest: int | None,
) -> None:
    """Keep a whole set of results, unless it was mended from the last one kept for a few clients
    and is asked for the first time (then it is noted, and kept when asked again)."""
    if mended_from_latest is not None and mended_from_latest <= MENDED_UNKEPT:
        noted = f"{_ASKED_ONCE}{kind}\0{mark}"
        if repo.index.note(noted) != whole:
            repo.index.set_note(noted, whole)
            return
    repo.index.put_bundle(kind, whole, digests, results, mark=mark)


def _carry(
    repo: Session, carried_as: str, snapshot: Snapshot, results: dict[str, Any], digests: dict[str, str] | None = None
) -> None:
    """Carry these clients' results (a few, or all) with their digests (``digests``: made already,
    one for each result), with those carried of others."""
    if not repo.carries:
        return
    if digests is None:
        digests = {c: snapshot.client_digest(c) for c in results}
    carried = repo.carried(carried_as)
    if carried is not None and len(results) < len(carried[0]):  # (a few: added to the rest)
        digests, results = {**carried[0], **digests}, {**carried[1], **results}
    repo.carry(carried_as, (digests, results))


def _compute_stale(
    repo: Session,
    kind: str,
    compute: Callable[[Sequence[str]], list[tuple[str, Any]]],
    stale: list[str],
    digests: Mapping[str, str],
    results: dict[str, Any],
    progress: Progress | None,
) -> None:
    """``compute`` the ``stale`` clients' results into ``results``, stored for next time."""
    done = 0
    for computed in map_chunks(
        compute,
        chunked(stale, CHUNK_CLIENTS),
        items=len(stale) * 6,  # about six documents a client: parallel from a few hundred clients
        before_fork=repo.index.close,
        in_worker=_read_only(repo),
    ):
        repo.index.put_memos(kind, [(client_id, digests[client_id], data) for client_id, data in computed])
        results.update(computed)
        done += len(computed)
        if progress is not None:
            progress(done, len(stale))


def _read_only(repo: Session) -> Callable[[], None]:
    def start() -> None:
        repo.index.read_only = True  # workers compute; the parent stores

    return start
