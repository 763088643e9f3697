"""Reports and exports, de-identified unless a role allows otherwise, and the access record.

Reached as ``repo.reporting``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from caseflow.core.config import Staff
    from caseflow.reporting.model import AgencyExport, Exporter
    from caseflow.reporting.run import Rendered
    from caseflow.session import Session


class Reporting:
    """Reports and exports, de-identified unless a role allows otherwise, and the access record."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def report(
        self,
        actor: Staff,
        report_id: str,
        *,
        fmt: str = "md",
        month: str | None = None,
        start: str | None = None,
        end: str | None = None,
        worker: str | None = None,
    ) -> Rendered:
        """Run a report for a period: de-identified unless the report and the actor's role allow names."""
        from caseflow.reporting import run

        return run.run_report(
            self._session, actor, report_id, fmt=fmt, month=month, start=start, end=end, worker=worker
        )

    def export(
        self,
        actor: Staff,
        client_id: str,
        fmt: str,
        *,
        to: str | None = None,
        purpose: str | None = None,
        information: Sequence[str] = (),
    ) -> bytes:
        """One client's record in another format; to an outside recipient only under a covering consent."""
        from caseflow.reporting import exports

        return exports.export(self._session, actor, client_id, fmt, to=to, purpose=purpose, information=information)

    def export_agency(self, actor: Staff, fmt: str, start: str, end: str) -> AgencyExport:
        """Every client with an enrollment in the period, in an agency-wide format (``hmis``):
        the files, the clients they carry (each written to the access record), what was not collected."""
        from caseflow.reporting import exports

        return exports.export_agency(self._session, actor, fmt, start, end)

    def exporter(self, fmt: str) -> Exporter:
        """The export format ``fmt`` (a refusal names the formats there are)."""
        from caseflow.reporting import exports

        return exports.find_exporter(self._session, fmt)
