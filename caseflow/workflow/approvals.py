"""Supervisor approvals: a decision bound to the exact version (git blob id) of one document.

An approval is valid only while the document's bytes are the ones approved; any later change
makes it stale by itself, because the blob id no longer matches. Nobody approves their own
change unless caseflow.yaml allows it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from caseflow.core.case import Approval, blob_id, parse_approvals
from caseflow.core.config import Staff
from caseflow.core.documents import Document, load_plain, new_mapping
from caseflow.core.documents import new_document as parse_new_document
from caseflow.core.documents.edits import insert_item
from caseflow.core.skeletons import render_skeleton
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import DocumentError, NotAllowed, UsageError

if TYPE_CHECKING:
    from caseflow.core.events import SavedDocument
    from caseflow.session import Session

APPROVALS_FORM = "core.approvals"


def check_decision(repo: Session, actor: Staff, client_id: str, path: str, decision: str) -> bytes:
    """Refuse a decision that may not be made (role, self-approval, an invalid or uncommitted
    document); else the committed bytes decided on."""
    from caseflow.records import actions

    inner = path.removeprefix(repo.client_dir(client_id) + "/")
    if actor.role not in repo.config.approver_roles:
        roles = ", ".join(repo.config.approver_roles)
        raise NotAllowed(f"{actor.id} is a {actor.role}; only {roles} may approve or reject (see approvals.roles)")
    if inner == repo.form(APPROVALS_FORM).path:
        raise UsageError("approvals.yaml records decisions; it is not itself approved")
    actions.refuse_uncommitted(repo, path)  # decide on what everyone can see: the committed version
    actions.refuse_unsettled_rules(repo)
    raw = read_document_bytes(repo.root, path)
    problems = repo.check_document(client_id, path, raw)
    if problems and decision == "approved":
        raise DocumentError(problems, note=f"an invalid document cannot be approved; fix {inner} first")
    last_author = repo.store.last_author_email(path)
    if last_author and last_author.lower() == actor.email.lower() and not repo.config.self_approval:
        raise NotAllowed(
            f"{actor.id} made the last change to {inner}; another supervisor decides on it "
            "(or set approvals.self_approval in caseflow.yaml)"
        )
    return raw


def decide(
    repo: Session, actor: Staff, client_id: str, document: str, decision: str, comment: str | None = None
) -> SavedDocument:
    """Record ``decision`` ("approved" or "rejected") on the document's current version."""
    from caseflow.records import actions

    if decision == "rejected" and not (comment or "").strip():
        raise UsageError("a rejection needs a comment saying what to change (--comment TEXT)")
    path = repo.resolve_document(client_id, document)
    base = repo.client_dir(client_id)
    inner = path.removeprefix(base + "/")
    with repo.store.transaction(repo.author(actor), action=_action(decision), client=client_id) as tx:
        raw = check_decision(repo, actor, client_id, path, decision)
        tx.details["Document"] = inner
        record_path = f"{base}/{repo.form(APPROVALS_FORM).path}"
        if (repo.root / record_path).exists():
            record = repo.read_document(record_path)
        else:
            context = actions.skeleton_context(repo, actor, client_id, [])
            skeleton = render_skeleton(repo.form(APPROVALS_FORM), repo.root / "templates", context)
            record = parse_new_document(record_path, skeleton)
        append_decision(repo, record, inner, raw, decision, actor, comment)
        actions.commit_document(repo, tx, record, repo.form(APPROVALS_FORM), client_id)
    return actions.saved(repo, tx, client_id, record_path, repo.form(APPROVALS_FORM), _action(decision))


def _action(decision: str) -> str:
    return "approve" if decision == "approved" else "reject"


def sent_back(repo: Session, client_id: str) -> list[Approval]:
    """Documents whose latest decision is a rejection: what a supervisor asked the author to change."""
    path = f"{repo.client_dir(client_id)}/approvals.yaml"
    if not (repo.root / path).exists():
        return []
    data, _ = load_plain(path, read_document_bytes(repo.root, path))
    latest = {decision.document: decision for decision in parse_approvals(data, repo.approvers)}
    return [d for d in latest.values() if d.decision == "rejected"]


def append_decision(
    repo: Session, record: Document, inner: str, raw: bytes, decision: str, actor: Staff, comment: str | None
) -> None:
    """Add one decision on this version (blob) of ``inner`` to an approvals record (a client's or a
    household's), at the commit it was read at, in the agency's time zone."""
    entry = new_mapping({"document": inner, "blob": blob_id(raw), "commit": repo.store.head() or ""})
    entry["decision"] = decision
    entry["by"] = actor.id
    entry["at"] = dt.datetime.now(ZoneInfo(repo.config.timezone)).isoformat(timespec="seconds")
    if comment:
        entry["comment"] = comment
    entries = record.data["approvals"]
    if entries.fa.flow_style():
        entries.fa.set_block_style()  # `approvals: []` grows into a readable block list
    insert_item(entries, len(entries), entry)
