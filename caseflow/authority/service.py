"""Who did what, provably: verifying the history, staff keys, signing, the server hook.

Reached as ``repo.authority``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caseflow.authority.upgrade import Upgrade
    from caseflow.core.access_record import AccessEntry
    from caseflow.core.access_verify import Signers
    from caseflow.core.config import Staff
    from caseflow.core.ledger import Verdict
    from caseflow.session import Session


@dataclass
class VerifyReport:
    """What ``caseflow verify`` found."""

    commits: int
    breaches: list[Verdict] = field(default_factory=list)
    signing_required: bool = False
    replayed: int = 0
    #: The last commit accepted unsigned (history from before signing was turned on).
    signing_baseline: str | None = None

    @property
    def ok(self) -> bool:
        return not self.breaches

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "commits": self.commits,
            "replayed": self.replayed,
            "signing_required": self.signing_required,
            "authorship_proven": self.signing_required,
            "signing_baseline": self.signing_baseline,
            "breaches": [b.as_json() for b in self.breaches],
        }


class Authority:
    """Verifying the history and changing who may do what."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def verify(self, since: str | None = None) -> VerifyReport:
        """Every commit (after ``since``) checked against the rules; each verdict is kept by commit id."""
        from caseflow.core.git import replay
        from caseflow.errors import UsageError

        session = self._session
        ledger = session.ledger()
        if ledger.head is None:
            return VerifyReport(0)
        revisions = [ledger.head]
        if since is not None:
            start = replay.resolve(session.root, since)
            if start is None:
                raise UsageError(f"--since {since}: no such commit")
            revisions = [f"{start}..{ledger.head}"]
        commits = [c.id for c in replay.walk(session.root, revisions)] if since else None
        chosen = set(commits) if commits is not None else None
        breaches = [v for c, v in ledger.breaches.items() if chosen is None or c in chosen]
        count = len(commits) if commits is not None else _count(session.root)
        config = session.config
        return VerifyReport(count, breaches, config.signing_required, ledger.replayed, config.signing_baseline)

    def access_signers(self) -> Signers:
        """Who may add entries to the access record: the people and keys of every staff list in
        force at some commit, and whether those commits must be signed (the settings in force)."""
        from caseflow.core import access_verify, ledger

        session = self._session
        proven = session.ledger()
        configs = ledger.allowed_configs(session.root, proven)
        in_force = ledger.config_in_force(session.root, proven)
        return access_verify.Signers.from_configs(configs, in_force)

    def verify_access(self) -> list[str]:
        """Every sign of tampering with the access record, one line each ([]: intact), including
        entries committed by someone other than the person they name."""
        from caseflow.core import access_verify, layout

        root = self._session.root
        return access_verify.verify(root, self.access_signers(), root / layout.LOCAL_DIR)

    def access_entries(self, client_id: str | None = None) -> list[AccessEntry]:
        """The access record as every clone shared it (who saw which client, when, under which
        consent), oldest first; only the entries naming ``client_id`` if given."""
        from caseflow.core import access_record

        entries = access_record.shared_entries(self._session.root)
        return [e for e in entries if client_id is None or client_id in e.clients]

    def add_key(self, actor: Staff, staff_id: str, public_key: Path) -> str:
        """Register a public signing key for ``staff_id``; its fingerprint."""
        from caseflow.authority import settings

        return settings.add_key(self._session, actor, staff_id, public_key)

    def rotate_key(self, actor: Staff, staff_id: str, public_key: Path) -> str:
        """Replace every key of ``staff_id`` with this one (the old ones sign nothing from now on)."""
        from caseflow.authority import settings

        return settings.add_key(self._session, actor, staff_id, public_key, replace=True)

    def revoke_key(self, actor: Staff, staff_id: str, fingerprint: str | None = None) -> list[str]:
        """Remove a key (or all of a person's keys); the fingerprints removed."""
        from caseflow.authority import settings

        return settings.revoke_key(self._session, actor, staff_id, fingerprint)

    def require_signing(self, actor: Staff) -> str:
        """Turn on ``signing: required``; returns the baseline commit (history accepted as it is)."""
        from caseflow.authority import settings

        return settings.require_signing(self._session, actor)

    def upgrade(self, actor: Staff) -> Upgrade:
        """Move an older-format repository to this caseflow's format in one commit by ``actor``
        (an admin; anyone on the staff list while it names no admin). Nothing to do: ``commit`` is None."""
        from caseflow.authority.upgrade import upgrade

        return upgrade(self._session, actor)


def _count(root: Path) -> int:
    from caseflow.core.git.history import commits_since

    return commits_since(root, None)
