"""Clients and their documents: intake, field edits, new documents, what a client's folder holds.

Reached as ``repo.records``; each write is one commit by the acting person, or nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path
    from typing import Any

    from caseflow.core.config import Staff
    from caseflow.core.documents import Document
    from caseflow.core.events import SavedDocument
    from caseflow.core.store import Transaction
    from caseflow.records.finding import Found, Match
    from caseflow.records.listing import ClientDocument
    from caseflow.session import Session


class Records:
    """Clients and their documents: intake, field edits, new documents, what a client's folder holds."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def intake(
        self,
        actor: Staff,
        *,
        name: str,
        dob: str,
        worker: str | None = None,
        phone: str | None = None,
        fields: Sequence[str] = (),
        new_person: bool = False,
    ) -> str:
        """Create a client in stage ``intake``; returns the new client id.

        Refused (:class:`~caseflow.records.finding.LikelyDuplicates`, nothing written) when the
        caseload already holds someone with the same birth date and a similar name, or the same
        phone, unless ``new_person`` says the person doing the intake checked: this is someone else."""
        from caseflow.records import actions, finding

        if not new_person:
            snapshot = self._session.snapshot()
            duplicates = finding.likely_duplicates(self._session, snapshot, name=name, dob=dob, phone=phone)
            if duplicates:
                finding.record_disclosure(self._session, actor, duplicates, "likely duplicates at intake")
                raise finding.LikelyDuplicates(duplicates)
        return actions.intake(self._session, actor, name=name, dob=dob, worker=worker, phone=phone, fields=fields)

    def find(self, actor: Staff, text: str, *, dob: str | None = None, action: str = "find") -> Found:
        """Clients by name (accents, case, word order and a typo or two forgiven), birth date or
        phone, best first; names only where ``actor`` may see them; recorded in the access record."""
        from caseflow.records import finding

        return finding.find(self._session, actor, text, dob=dob, action=action)

    def likely_duplicates(self, actor: Staff, *, name: str, dob: str, phone: str | None = None) -> list[Match]:
        """Clients who may be this person (same birth date and a similar name, or same phone), with
        the names ``actor`` may see (recorded in the access record when any are found)."""
        from caseflow.records import finding

        snapshot = self._session.snapshot()
        found = finding.likely_duplicates(self._session, snapshot, name=name, dob=dob, phone=phone)
        if not found:
            return []
        listed = finding.with_names(self._session, actor, found, snapshot)
        finding.record_disclosure(self._session, actor, listed, "likely duplicates at intake", action="web")
        return listed

    def may_merge(self, actor: Staff) -> bool:
        """Whether ``actor`` may merge two records of one person (supervisors, directors, admins)."""
        from caseflow.records import merging

        return merging.may_merge(self._session, actor)

    def merge_clients(self, actor: Staff, keep: str, other: str, *, reason: str | None = None) -> str:
        """Join OTHER's record into KEEP's, keeping both histories; one commit (returned).

        See :mod:`caseflow.records.merging` for where each document goes and who may merge."""
        from caseflow.records import merging

        return merging.merge_clients(self._session, actor, keep, other, reason=reason)

    def set_fields(self, actor: Staff, client_id: str, document_name: str, assignments: Sequence[str]) -> SavedDocument:
        """Edit fields of one document in place; every other byte of the file stays as it was."""
        from caseflow.records import actions

        return actions.set_fields(self._session, actor, client_id, document_name, assignments)

    def incomplete(self, saved: SavedDocument) -> str | None:
        """Why a saved document counts for nothing yet (a note still its skeleton), or None."""
        from caseflow.core.blank import blank_reason
        from caseflow.core.textpolicy import read_document_bytes

        session = self._session
        data, body = session.index.parse(saved.path, read_document_bytes(session.root, saved.path))
        return blank_reason(session.forms.get(saved.form_id), data, body, session.root / "templates")

    def new_document(
        self,
        actor: Staff,
        client_id: str,
        form_id: str,
        *,
        fields: Sequence[str] = (),
        edit: bool = False,
        from_file: Path | None = None,
        editor: Callable[[Path], None] | None = None,
        preset: Mapping[str, Any] | None = None,
        body: str | None = None,
        action: str = "new",
        finalize: Callable[[Document, Transaction], None] | None = None,
    ) -> SavedDocument:
        """Create a document from its form's skeleton (or a draft file), optionally in $EDITOR.

        ``preset`` sets top-level fields a command already knows (a visit's date and type) and
        ``body`` the Markdown text below the front matter, before the person edits. ``finalize`` sees
        the document as it will be committed (named, after any editing): it checks what the form
        cannot (a date against today), adds trailers or files beside it, or refuses (the draft is kept).
        """
        from caseflow.records import actions

        return actions.new_document(
            self._session,
            actor,
            client_id,
            form_id,
            fields=fields,
            edit=edit,
            from_file=from_file,
            editor=editor,
            preset=preset,
            body=body,
            action=action,
            finalize=finalize,
        )

    def save_document(
        self,
        actor: Staff,
        client_id: str,
        document_name: str,
        data: Mapping[str, Any],
        *,
        body: str | None = None,
        base_blob: str | None = None,
        finalize: Callable[[Document, Transaction], None] | None = None,
    ) -> SavedDocument:
        """Replace a document's data (and Markdown body) as a whole, in one commit as `caseflow set`
        makes: unchanged values keep their bytes and comments. With ``base_blob`` (the git blob id of
        the document as it was opened), a document changed since is refused (``StaleDocument``)."""
        from caseflow.records import actions

        return actions.save_document(
            self._session,
            actor,
            client_id,
            document_name,
            data,
            body=body,
            base_blob=base_blob,
            finalize=finalize,
        )

    def set_flag(
        self, actor: Staff, client_id: str, flag: str, *, since: str | None = None, note: str | None = None
    ) -> SavedDocument:
        """Raise a risk flag in client.yaml (one commit); refused if it is already in force."""
        from caseflow.records import flags

        return flags.set_flag(self._session, actor, client_id, flag, since, note)

    def clear_flag(
        self, actor: Staff, client_id: str, flag: str, *, on: str | None = None, note: str | None = None
    ) -> SavedDocument:
        """Clear a risk flag (one commit): kept as history with cleared_on and cleared_by; the due
        list and the risk level stop counting it at once."""
        from caseflow.records import flags

        return flags.clear_flag(self._session, actor, client_id, flag, on, note)

    def documents(self, client_id: str) -> list[ClientDocument]:
        """A client's documents with their forms and summaries (``validate`` checks them in full)."""
        from caseflow.records import listing

        return listing.documents(self._session, client_id)
