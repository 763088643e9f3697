"""Staff who leave and caseloads that move: who may still be given clients, and reassigning.

A person made inactive keeps every commit and document they wrote (they stay on the staff list);
no client or household is assigned to them again until they are reactivated. ``reassign`` moves
a caseload (or some clients of it) to someone else in one commit, households included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caseflow.core.config import CONFIG_FILE
from caseflow.errors import NotAllowed, NotFound, UnknownPerson, UsageError

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.session import Session

#: Who moves caseloads between people.
REASSIGNING_ROLES = ("supervisor", "director")


@dataclass(frozen=True)
class Reassignment:
    """What one ``reassign`` moved, and its commit."""

    source: str
    target: str
    clients: tuple[str, ...]
    households: tuple[str, ...]
    commit: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "clients": list(self.clients),
            "households": list(self.households),
            "commit": self.commit,
        }


def open_clients(repo: Session, staff_id: str) -> list[str]:
    """The clients assigned to ``staff_id`` whose case is not closed (not in a final stage)."""
    finals = {s.id for s in repo.workflow_spec.stages if s.final}
    return [
        row["id"]
        for row in repo.clients(worker=staff_id)
        if row.get("assigned_worker") == staff_id and row.get("stage") not in finals
    ]


def may_reassign(repo: Session, actor: Staff) -> bool:
    """Supervisors, directors and admins move caseloads."""
    return actor.role in REASSIGNING_ROLES or repo.config.is_admin(actor)


def reassign(repo: Session, actor: Staff, source: str, target: str, clients: Sequence[str] = ()) -> Reassignment:
    """Move ``clients`` (default: all of ``source``'s open clients) and ``source``'s households
    whose members all move, to ``target``: one commit, or nothing."""
    from caseflow.core.documents import load_document
    from caseflow.records import actions

    if not may_reassign(repo, actor):
        raise NotAllowed(f"{actor.id} is a {actor.role}; a supervisor, director or admin reassigns clients")
    if source == target:
        raise UsageError(f"--from and --to are both {source}: nothing would move")
    if repo.config.staff_member(source) is None:
        raise UnknownPerson(f"'{source}' is not on the staff list in {CONFIG_FILE}")
    check_assignable(repo, target)
    chosen = list(dict.fromkeys(c.upper() for c in clients)) or open_clients(repo, source)
    if not chosen:
        raise NotFound(f"{source} has no open clients to reassign")
    form = repo.form("core.client")
    with repo.store.transaction(repo.author(actor), action="reassign", client=None) as tx:
        for client_id in chosen:
            record = repo.read_document(f"{repo.client_dir(client_id)}/client.yaml")
            if record.data.get("assigned_worker") != source:
                raise NotAllowed(
                    f"{client_id} is assigned to {record.data.get('assigned_worker')}, not {source}; nothing was moved"
                )
            record.data["assigned_worker"] = target
            actions.commit_document(repo, tx, record, form, client_id)
        moved = set(chosen)
        households = []
        for folder in sorted((repo.root / "households").glob("*/household.yaml")):
            path = folder.relative_to(repo.root).as_posix()
            document = load_document(path, folder.read_bytes())
            members = {str(m.get("client")) for m in document.data.get("members") or [] if m.get("client")}
            if document.data.get("worker") == source and members and members <= moved:
                document.data["worker"] = target
                tx.write(path, document.to_bytes())
                households.append(str(document.data.get("id")))
        tx.details["Client"] = ", ".join(chosen)
        tx.details["Reassigned"] = f"{source} -> {target}"
    return Reassignment(source, target, tuple(chosen), tuple(households), tx.commit)


def check_assignable(repo: Session, staff_id: str) -> None:
    """Refuse giving clients to someone unknown or no longer active (with why)."""
    member = repo.config.staff_member(staff_id)
    if member is None:
        raise UnknownPerson(f"'{staff_id}' is not on the staff list in {CONFIG_FILE}")
    if not member.active:
        raise NotAllowed(
            f"{staff_id} is no longer active: no new clients are assigned to them "
            f"(caseflow staff reactivate {staff_id})"
        )
