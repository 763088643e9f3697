"""Changes to who may do what: staff keys, turning signing on. Each is one commit to
``caseflow.yaml`` by a person with the admin right (:meth:`RepoConfig.is_admin`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core import access_record, signing
from caseflow.core.config import CONFIG_FILE, Staff
from caseflow.core.documents import new_mapping, new_sequence
from caseflow.core.git import refs
from caseflow.errors import NotAllowed, NotFound, UsageError

if TYPE_CHECKING:
    from caseflow.core.documents import Document
    from caseflow.session import Session


def require_admin(repo: Session, actor: Staff) -> None:
    """Refuse someone without the admin right, once the staff list names an admin."""
    admins = repo.config.admins
    if admins and not repo.config.is_admin(actor):
        names = ", ".join(m.id for m in admins)
        raise NotAllowed(
            f"{actor.id} is a {actor.role}; changes to staff, keys and rules are made by an admin ({names})"
        )


def edit_config(
    repo: Session,
    actor: Staff,
    action: str,
    change: Callable[[Document], None],
    details: Mapping[str, str] | None = None,
) -> str | None:
    """Apply ``change`` to caseflow.yaml and commit it as ``actor`` (refused: nothing written);
    ``details``: more trailers for the commit (``{"Format": "1 -> 2"}``)."""
    from caseflow.core.configfile import parse_config
    from caseflow.records import actions

    require_admin(repo, actor)
    with repo.store.transaction(repo.author(actor), action=action, client=None) as tx:
        tx.details.update(details or {})
        actions.refuse_uncommitted(repo, CONFIG_FILE)
        document = repo.read_document(CONFIG_FILE)
        change(document)
        parse_config(document.to_bytes())  # refuse a change that leaves caseflow.yaml invalid
        tx.write(CONFIG_FILE, document.to_bytes())
    return tx.commit


def _entry(document: Document, staff_id: str) -> Any:
    for entry in document.data.get("staff") or []:
        if entry.get("id") == staff_id:
            return entry
    raise NotFound(f"'{staff_id}' is not on the staff list in {CONFIG_FILE}")


def add_key(repo: Session, actor: Staff, staff_id: str, public_key_file: Path, *, replace: bool = False) -> str:
    """Register a public key for ``staff_id`` (``replace``: instead of every key they had: a rotation)."""
    key = signing.read_public_key(public_key_file)
    owner = signing.owner_of(key, repo.config.staff)
    if owner is not None and owner.id != staff_id:
        raise NotAllowed(f"that key is already {owner.id}'s; each person signs with their own key")
    if owner is not None and not replace:
        raise UsageError(f"{staff_id} has that key already")

    def change(document: Document) -> None:
        entry = _entry(document, staff_id)
        if replace or entry.get("keys") is None:
            entry["keys"] = new_sequence()
        entry["keys"].append(key)

    edit_config(repo, actor, "key-rotate" if replace else "key-add", change)
    return signing.fingerprint(key)


def revoke_key(repo: Session, actor: Staff, staff_id: str, fingerprint: str | None) -> list[str]:
    """Remove a key (by fingerprint; every key of the person if None): it signs nothing from now on."""
    member = repo.config.staff_member(staff_id)
    if member is None:
        raise NotFound(f"'{staff_id}' is not on the staff list in {CONFIG_FILE}")
    gone = [k for k in member.keys if fingerprint in (None, signing.fingerprint(k))]
    if not gone:
        raise NotFound(f"{staff_id} has no key {fingerprint}" if fingerprint else f"{staff_id} has no key")

    def change(document: Document) -> None:
        entry = _entry(document, staff_id)
        keys = entry.get("keys") or []
        for index in range(len(keys) - 1, -1, -1):
            if keys[index] in gone:
                del keys[index]

    edit_config(repo, actor, "key-revoke", change)
    return [signing.fingerprint(k) for k in gone]


def require_signing(repo: Session, actor: Staff) -> str:
    """Turn ``signing: required`` on; history up to now is the accepted baseline."""
    if repo.config.signing_required:
        raise UsageError("this repository already requires signed commits")
    signing.require_ssh_keygen()
    if not actor.keys:
        raise UsageError(
            f"{actor.id} has no signing key registered; add yours first (caseflow staff key add {actor.id} KEY.pub), "
            "or nobody could change the settings afterwards"
        )
    baseline = repo.store.head() or ""
    # The reads recorded so far are committed now, unsigned as everything before: the baseline
    # then covers them, and every access-record commit after it must be signed.
    access_record.flush(repo.root, repo.author(actor), repo.store.access_authors)
    access_baseline = refs.resolve(repo.root, access_record.ACCESS_REF)

    def change(document: Document) -> None:
        signing_settings = {"required": True, "baseline": baseline}
        if access_baseline:  # the reads shared so far were committed unsigned: accepted, as history is
            signing_settings["access_baseline"] = access_baseline
        document.data["signing"] = new_mapping(signing_settings)

    edit_config(repo, actor, "signing-require", change)
    return baseline


def may_set_active(repo: Session, actor: Staff) -> bool:
    """Who deactivates and reactivates staff: an admin, or while the agency has none, a supervisor
    or director (what :func:`set_active` and :func:`require_admin` refuse otherwise)."""
    if repo.config.admins:
        return repo.config.is_admin(actor)
    return actor.role in ("supervisor", "director")


def set_active(repo: Session, actor: Staff, staff_id: str, active: bool, reason: str | None = None) -> str | None:
    """Deactivate (someone who left) or reactivate a member of staff: one commit of caseflow.yaml.

    An inactive person stays on the staff list, so everything they wrote keeps its author; they
    can no longer act, and nobody is assigned to them until they are reactivated."""
    member = repo.config.staff_member(staff_id)
    if member is None:
        raise NotFound(f"'{staff_id}' is not on the staff list in {CONFIG_FILE}")
    if not repo.config.admins and actor.role not in ("supervisor", "director"):
        raise NotAllowed("only a supervisor or director changes staff while the agency has no admin (a director)")
    if member.active == active:
        raise UsageError(f"{staff_id} is already {'active' if active else 'inactive'}")
    if not active and staff_id == actor.id:
        raise NotAllowed("nobody deactivates themselves; another admin does it")
    if not active and repo.config.is_admin(member) and len(repo.config.admins) == 1:
        raise NotAllowed(
            f"{staff_id} is the only admin; make someone else an admin first, or nobody could change staff"
        )

    def change(document: Document) -> None:
        entry = _entry(document, staff_id)
        if active:
            del entry["active"]  # active is the default: the entry reads as it did before
        else:
            entry["active"] = False

    details = {"Staff": staff_id, **({"Reason": " ".join(reason.split())} if reason else {})}
    return edit_config(repo, actor, "staff-reactivate" if active else "staff-deactivate", change, details)
