"""Importing existing records (``repo.importing``): plan (the dry run), then one commit per client.

Nothing is written unless every record fits: a plan with any problem is refused as a whole. The
commits are made under one hold of the writers' lock; if one of them fails (git refuses, the disk
is full, Ctrl-C), the clients committed before it are taken back, so an import is never left
half done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from caseflow.errors import DocumentError, NotAllowed, Problem, UsageError

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.core.store import Transaction
    from caseflow.importing.mapping import ImportMapping
    from caseflow.importing.plan import Plan, PlannedClient
    from caseflow.session import Session

Progress = Callable[[int, int], None] | None
NOTHING_WRITTEN = "nothing was imported"


class ImportRefused(DocumentError):
    """Some record does not fit: every problem, located in the agency's own files; nothing written."""


class Importer:
    """Bringing an agency's existing records in: a CSV export, or folders of case files."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def may_import(self, actor: Staff) -> bool:
        """Directors and admins import (and anyone while the agency has no admin yet)."""
        config = self._session.config
        return actor.role == "director" or config.is_admin(actor) or not config.admins

    def _refuse_unless_allowed(self, actor: Staff) -> None:
        if not self.may_import(actor):
            raise NotAllowed("only a director or an admin imports records")

    def read_mapping(self, name: str, raw: bytes) -> ImportMapping:
        """A mapping file checked against its schema and the forms (DocumentError, located)."""
        from caseflow.importing.mapping import load_mapping

        staff = {s.id for s in self._session.config.staff if s.active}
        return load_mapping(name, raw, self._session.forms, staff)

    def plan(self, actor: Staff, source: Path, mapping_file: Path, progress: Progress = None) -> Plan:
        """What importing ``source`` (a CSV file, or a folder of one folder per person) would
        create, and what does not fit. Writes nothing."""
        self._refuse_unless_allowed(actor)
        mapping = self.read_mapping(str(mapping_file), _read(mapping_file, "--mapping"))
        if source.is_dir():
            if not mapping.folders:
                raise UsageError(f"{source} is a folder, and the mapping has no `folders:` rules")
            from caseflow.importing.folder_source import plan_folders

            return plan_folders(self._session, actor, mapping, source, progress)
        others = {
            entry.file: _read(source.parent / entry.file, "the file")
            for entry in mapping.csv
            if entry.file and (source.parent / entry.file).is_file()
        }
        return self.plan_csv(actor, source.name, _read(source, "PATH"), mapping, progress, others)

    def plan_csv(
        self,
        actor: Staff,
        name: str,
        raw: bytes,
        mapping: ImportMapping,
        progress: Progress = None,
        others: Mapping[str, bytes] | None = None,
    ) -> Plan:
        """The plan for a CSV file's bytes (an upload) under a mapping already read; ``others``:
        the other files of the export its entries read (``file:``), by name."""
        self._refuse_unless_allowed(actor)
        if not mapping.csv:
            raise UsageError(f"{name} is a CSV file, and the mapping has no `csv:` rules")
        from caseflow.importing.csv_source import plan_csv

        return plan_csv(self._session, actor, mapping, name, raw, progress, others)

    def commit(self, actor: Staff, plan: Plan, progress: Progress = None) -> list[str]:
        """Make the plan's clients, one commit each by ``actor``; their ids. Refused as a whole
        (:class:`ImportRefused`) if anything does not fit."""
        from caseflow.records import actions

        self._refuse_unless_allowed(actor)
        problems = plan.all_problems
        if problems:
            raise ImportRefused(problems, NOTHING_WRITTEN)
        repo = self._session
        author = repo.author(actor)
        made: list[tuple[PlannedClient, Transaction]] = []
        paths: list[str] = []
        with repo.store.lock():
            before = repo.store.head()
            try:
                for done, client in enumerate(plan.clients, start=1):
                    with repo.store.transaction(author, action="import", client=client.client_id) as tx:
                        for planned in client.documents:
                            actions.commit_document(repo, tx, planned.document, planned.form, client.client_id)
                        paths.extend(tx.writes)
                    made.append((client, tx))
                    if progress is not None:
                        progress(done, len(plan.clients))
            except BaseException:
                if made and before is not None:
                    repo.store.take_back(before, paths)
                raise
        for client, tx in made:  # plugins hear of the documents once the whole import stands
            for planned in client.documents:
                actions.saved(repo, tx, client.client_id, planned.path, planned.form, "import")
        return [client.client_id for client, _ in made]


def _read(path: Path, what: str) -> bytes:
    try:
        if path.stat().st_size > 50 * 1024 * 1024:
            raise UsageError(f"{what} {path} is larger than 50 MB; split it")
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"{what} {path} is a folder, not a file") from None
    except OSError as exc:
        raise UsageError(f"{what} {path} cannot be read ({exc.strerror})") from None


__all__ = ["NOTHING_WRITTEN", "ImportRefused", "Importer", "Problem"]
