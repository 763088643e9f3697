"""Merging two records of one person (``caseflow merge-clients KEEP OTHER``): one commit.

OTHER's documents move into KEEP's folder under the same names; where KEEP already has one
(a ``plan.yaml``, or by chance a note of the same name), a note is renamed with a new short id at
the end of its name, and a one-per-client document goes to ``merged-from/OTHER/`` as it was.
OTHER's ``client.yaml`` and ``approvals.yaml`` always go there: the record of who OTHER was, and
approvals the history binds to OTHER's documents (they cannot vouch for KEEP's). Nothing is ever
overwritten. A moved document that names its client says KEEP afterwards (one line changed, so
``git log --follow`` finds its earlier life in OTHER's folder).

``merged-from/`` holds records kept as they were, not live documents: listings, validation and the
index pass over it. KEEP's record lists the merge in ``merged_from`` (who, when, why), and OTHER's
id, looked up, points to KEEP (:func:`merged_into`).

Who may merge: the roles that may approve (supervisors and directors by default) and admins,
because a merge decides that two records are one person for good.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from caseflow.core import casefiles
from caseflow.core.documents import insert_item, load_document, new_mapping, new_sequence
from caseflow.core.ids import NAME_END_PATTERN, check_client_id, random_name_id
from caseflow.errors import CaseflowError, DocumentError, NotAllowed, StoreError

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.session import Session

MERGED_DIR = casefiles.MERGED_DIR
#: Documents of OTHER that are kept as they were, never made KEEP's.
KEPT_AS_THEY_WERE = ("client.yaml", "approvals.yaml")
#: The stage of a client whose case is closed: merging into it needs a reason.
CLOSED_STAGE = "discharged"


def may_merge(repo: Session, actor: Staff) -> bool:
    return actor.role in repo.config.approver_roles or repo.config.is_admin(actor)


def merge_clients(repo: Session, actor: Staff, keep: str, other: str, *, reason: str | None = None) -> str:
    """Join OTHER's record into KEEP's; returns the commit. Refused, with nothing written: one id
    into itself, an unknown id, a closed KEEP without a reason, uncommitted edits in either folder,
    or a person who may not merge."""
    from caseflow.records import actions

    check_client_id(keep)
    check_client_id(other)
    if keep == other:
        raise CaseflowError(f"{keep} cannot be merged into itself: give two different clients")
    reason = (reason or "").strip() or None
    if not may_merge(repo, actor):
        roles = ", ".join(repo.config.approver_roles)
        raise NotAllowed(f"{actor.id} may not merge clients: merging needs a role that approves ({roles}) or an admin")
    keep_dir, other_dir = repo.client_dir(keep), repo.client_dir(other)
    record = repo.client_record(keep)
    if record.get("stage") == CLOSED_STAGE and reason is None:
        raise CaseflowError(f"{keep} is discharged: say why a record joins a closed case with --reason TEXT")
    busy = repo.store.uncommitted([keep_dir, other_dir])
    if busy:
        raise StoreError(f"{busy[0]} has changes not yet committed; commit or undo them before merging")
    with repo.store.transaction(repo.author(actor), action="merge-clients", client=keep) as tx:
        tx.details["Merged-From"] = other
        taken = {f.removeprefix(keep_dir + "/") for f in _files(repo.root, keep_dir)}
        for inner in _files(repo.root, other_dir):
            source = f"{other_dir}/{inner}"
            target = _place(repo, inner, other, taken)
            taken.add(target)
            raw = (repo.root / source).read_bytes()
            tx.remove(source)
            tx.write(f"{keep_dir}/{target}", _now_of(keep, other, f"{keep_dir}/{target}", raw, target, inner))
        client = repo.read_document(f"{keep_dir}/client.yaml")
        merges = client.data.get("merged_from")
        if merges is None:
            merges = client.data["merged_from"] = new_sequence()
        if merges.fa.flow_style():
            merges.fa.set_block_style()
        entry = new_mapping({"id": other, "on": repo.today().isoformat(), "by": actor.id})
        if reason is not None:
            entry["reason"] = reason
        insert_item(merges, len(merges), entry)
        actions.commit_document(repo, tx, client, repo.form("core.client"), keep)
    assert tx.commit is not None
    return tx.commit


def _files(root: Path, folder: str) -> list[str]:
    """Every file in a client folder (inner paths), refusing a link: caseflow never follows one."""
    base = root / folder
    found = []
    for directory, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(directory) / name
            inner = path.relative_to(base).as_posix()
            if path.is_symlink():
                raise StoreError(f"{folder}/{inner} is a symbolic link; caseflow never follows links")
            found.append(inner)
    return found


def _place(repo: Session, inner: str, other: str, taken: set[str]) -> str:
    """Where one of OTHER's files goes in KEEP's folder (never onto a name already there)."""
    archive = f"{MERGED_DIR}/{other}/{inner}"
    if inner in KEPT_AS_THEY_WERE or inner.startswith(f"{MERGED_DIR}/"):
        kept = inner if inner.startswith(f"{MERGED_DIR}/") and inner not in taken else archive
        return kept if kept not in taken else _renamed(kept, taken)
    if inner not in taken:
        return inner
    if inner.endswith(casefiles.DOCUMENT_SUFFIXES) and not _one_per_client(repo, inner):
        return _renamed(inner, taken)
    return archive if archive not in taken else _renamed(archive, taken)


def _one_per_client(repo: Session, inner: str) -> bool:
    return any(form.singleton and form.matches_path(inner) for form in repo.forms.values())


def _renamed(inner: str, taken: set[str]) -> str:
    """The same name with a new short id at its end (``-0k7mq``), as two clones' notes would differ."""
    stem, dot, suffix = inner.rpartition(".")
    stem = re.sub(NAME_END_PATTERN + "$", "", stem) if dot else inner
    while True:
        candidate = f"{stem}-{random_name_id()}" + (f".{suffix}" if dot else "")
        if candidate not in taken:
            return candidate


def _now_of(keep: str, other: str, path: str, raw: bytes, target: str, inner: str) -> bytes:
    """The bytes a moved document has in KEEP's folder: its ``client:`` saying KEEP (a live
    document only; what is kept under merged-from/ stays exactly as it was)."""
    if target.startswith(f"{MERGED_DIR}/") or not target.endswith(casefiles.DOCUMENT_SUFFIXES):
        return raw
    try:
        document = load_document(path, raw)
    except DocumentError:  # one that does not parse moves as it is; validate names it
        return raw
    if document.data.get("client") != other:
        return raw
    document.data["client"] = keep
    return document.to_bytes()
