"""``CaseRepo``: a session with every feature's service hung off it — the API scripts and the CLI use.

::

    repo = caseflow.open_repo("path/to/agency-cases")
    casey = repo.actor("casey")
    client_id = repo.records.intake(casey, name="Ana Example", dob="1990-04-02")
    repo.records.set_fields(casey, client_id, "client.yaml", ["phone=555-0100"])
    repo.followup.record_visit(casey, client_id, Contact(kind="phone", ...))
    repo.workflow.advance(casey, client_id)

Every write a command performs is one call on one of these services. The session underneath
(:class:`caseflow.session.Session`) knows no feature; this module is where they meet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core.config import Staff, find_root
from caseflow.core.events import SavedDocument, StageChange
from caseflow.plugins import PluginHost
from caseflow.records.listing import ClientDocument
from caseflow.session import Session, open_parts

if TYPE_CHECKING:
    from caseflow.agency.service import Agency
    from caseflow.authority.service import Authority
    from caseflow.evaluation.service import Evaluation
    from caseflow.followup.due import DueEntry, DueListing
    from caseflow.followup.service import FollowUp
    from caseflow.households.service import Households
    from caseflow.importing.service import Importer
    from caseflow.index.problems import ValidationReport
    from caseflow.index.service import IndexMaintenance
    from caseflow.records.service import Records
    from caseflow.referrals.service import Referrals
    from caseflow.reporting.service import Reporting
    from caseflow.review.service import Review
    from caseflow.sharing.service import Sharing
    from caseflow.workflow.service import WorkflowService

__all__ = [
    "CaseRepo",
    "ClientDocument",
    "SavedDocument",
    "Staff",
    "StageChange",
    "ValidationReport",
    "find_root",
    "open_repo",
]


def __getattr__(name: str) -> Any:
    # (imported when first asked for: the index's modules, and sqlite3, are no write's to load)
    if name == "ValidationReport":
        from caseflow.index.problems import ValidationReport

        return ValidationReport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class CaseRepo(Session):
    """A case repository opened with its settings and plugins, and every feature's service."""

    @cached_property
    def records(self) -> Records:
        """Clients and documents: intake, ``set``, ``new``, listings."""
        from caseflow.records.service import Records

        return Records(self)

    @cached_property
    def importing(self) -> Importer:
        """Importing existing records: a CSV export or folders of case files, through a mapping."""
        from caseflow.importing.service import Importer

        return Importer(self)

    @cached_property
    def agency(self) -> Agency:
        """The agency's staff list."""
        from caseflow.agency.service import Agency

        return Agency(self)

    @cached_property
    def authority(self) -> Authority:
        """Verifying the history, staff keys, signing."""
        from caseflow.authority.service import Authority

        return Authority(self)

    @cached_property
    def workflow(self) -> WorkflowService:
        """Stages, advancing, approvals, the timeline (the definition itself: ``workflow_spec``)."""
        from caseflow.workflow.service import WorkflowService

        return WorkflowService(self)

    @cached_property
    def evaluation(self) -> Evaluation:
        """Screening instruments and scores."""
        from caseflow.evaluation.service import Evaluation

        return Evaluation(self)

    @cached_property
    def referrals(self) -> Referrals:
        """Consents, provider directories, referrals and their packets."""
        from caseflow.referrals.service import Referrals

        return Referrals(self)

    @cached_property
    def followup(self) -> FollowUp:
        """Contacts, appointments, medications, provider reports, the due list."""
        from caseflow.followup.service import FollowUp

        return FollowUp(self)

    @cached_property
    def households(self) -> Households:
        """Households: members, family plans, family contacts and their due items."""
        from caseflow.households.service import Households

        return Households(self)

    def due(
        self,
        *,
        worker: str | None = None,
        within_days: int = 14,
        progress: Callable[[int, int], None] | None = None,
        order: Callable[[DueEntry], Any] | None = None,
    ) -> list[DueEntry]:
        """The due list: the items of ``worker``'s clients (or everyone's) and of their households
        (a household's id where a client's would be), risk-flagged first, then most overdue (or
        sorted by the key ``order``: a page showing its own order sorts tens of thousands once)."""
        from caseflow.followup.due import due_order

        clients = self.followup.due(worker=worker, within_days=within_days, progress=progress, order=order)
        households = self.households.due_entries(worker=worker, within_days=within_days)
        return sorted([*clients, *households], key=order or due_order) if households else clients

    def due_listing(
        self, *, worker: str | None = None, within_days: int = 14, progress: Callable[[int, int], None] | None = None
    ) -> DueListing:
        """The due list as :meth:`due` gives it, with the key naming it (the clients' and the
        households' items): ``caseflow due`` keeps the table it printed under it."""
        clients = self.followup.due_listing(worker=worker, within_days=within_days, progress=progress)
        return clients.joined(self.households.due_entries(worker=worker, within_days=within_days))

    def calendar(self, *, worker: str | None, within_days: int) -> bytes:
        """The .ics of ``worker``'s clients and households (or everyone's): appointments and due items."""
        households = self.households.due_entries(worker=worker, within_days=within_days)
        return self.followup.calendar(worker=worker, within_days=within_days, households=households)

    def validate(
        self, client_ids: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None
    ) -> ValidationReport:
        """Every client's documents (or the given clients'), and with all of them, every household's."""
        report = super().validate(client_ids, progress)
        if client_ids is not None:
            return report
        count, problems = self.households.validate()
        return type(report)(report.documents + count, [*report.problems, *problems], report.incomplete)

    @cached_property
    def review(self) -> Review:
        """Semantic diffs and the review queue."""
        from caseflow.review.service import Review

        return Review(self)

    @cached_property
    def sharing(self) -> Sharing:
        """Sync through a shared remote, the merge driver, resolving conflicts."""
        from caseflow.sharing.service import Sharing

        return Sharing(self)

    @cached_property
    def reporting(self) -> Reporting:
        """Reports and exports."""
        from caseflow.reporting.service import Reporting

        return Reporting(self)

    @cached_property
    def index_maintenance(self) -> IndexMaintenance:
        """The local index's state, rebuild and verification."""
        from caseflow.index.service import IndexMaintenance

        return IndexMaintenance(self)


def open_repo(
    path: Path | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    plugins: Iterable[object] = (),
    host: PluginHost | None = None,
) -> CaseRepo:
    """Open the case repository at ``path`` (or as found by :func:`find_root`).

    Plugins are loaded as its ``caseflow.yaml`` and ``$CASEFLOW_PLUGINS`` say, plus ``plugins``
    (objects to register, for tests and scripts), unless an already loaded ``host`` is given.
    """
    root, config, loaded = open_parts(path, environ, plugins, host)
    return CaseRepo(root, config, loaded, environ)
