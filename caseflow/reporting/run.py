"""Running a report: its period, its data, de-identification, the sandboxed template, the record.

A report that does not name clients is de-identified: every table goes through small-cell
suppression (``reports.small_cell`` in caseflow.yaml, default 11), and the rendered text is
checked for every client id and name in the repository before it is handed over (a template or
plugin that lets one through is refused). A report that names clients runs only for the roles in
``reports.identified_roles`` and is written to the access record.
"""

from __future__ import annotations

import calendar
import contextlib
import csv
import datetime as dt
import html
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core import access_record as audit
from caseflow.core.dates import parse_date
from caseflow.core.names import require_staff, unknown_name
from caseflow.core.render import render_template
from caseflow.errors import CaseflowError, NotAllowed, NotFound, UsageError
from caseflow.reporting.model import HouseholdFacts, Report, ReportInputs, Table, suppress

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.session import Session

FORMATS = ("md", "html", "csv")
#: The shared template every report renders through unless it ships its own for a format.
STANDARD = "reports/standard"

#: Every variable a report's template receives, and what it holds (the reference page lists these).
TEMPLATE_VARIABLES: Mapping[str, str] = {
    "agency": "the agency's name (`agency:` in caseflow.yaml)",
    "title": "the report's title: the builder's `title`, else the report spec's",
    "description": "the report spec's description",
    "period": "`period.start` and `period.end`, ISO dates of the period reported",
    "worker": "the case manager the report is limited to (`--worker`), or none",
    "notes": "the builder's `notes`, a list of strings",
    "tables": "each table as `title`, `columns` (names), `rows` (lists of cells) and `counts` (the count "
    "columns), small cells already suppressed in a de-identified report",
    "charts": "each table's bar chart (`title`, `bars` of `label`, `value`, `shown`; `max`), or none for a "
    "table without counts, in the order of `tables`",
    "identified": "whether the report names clients (then nothing is suppressed)",
    "small_cell": "the threshold below which counts are suppressed (`reports.small_cell`, default 11)",
    "generated": "the day the report was made, ISO",
}


@dataclass(frozen=True)
class Rendered:
    report: Report
    text: str
    start: dt.date
    end: dt.date


def period(today: dt.date, month: str | None, start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """``--period YYYY-MM``, or ``--from``/``--to``, or this month up to today."""
    if month and (start or end):
        raise UsageError("give --period YYYY-MM or --from/--to, not both")
    if month:
        if not re.fullmatch(r"\d{4}-\d{2}", month):
            raise UsageError(f"--period {month!r} is not a month written YYYY-MM")
        year, number = int(month[:4]), int(month[5:])
        if not 1 <= number <= 12 or year < 1:
            raise UsageError(f"--period {month!r} is not a month written YYYY-MM")
        return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])
    first = parse_date(start, "--from") if start else today.replace(day=1)
    last = parse_date(end, "--to") if end else today
    if last < first:
        raise CaseflowError(f"--to {last} is before --from {first}")
    return first, last


def household_facts(repo: Session, clients: set[str]) -> list[HouseholdFacts]:
    """The households with a member among ``clients``: ids and counts only."""
    from caseflow.households import model

    found = []
    for household_id in model.household_ids(repo.root):
        try:
            household = model.load(repo, household_id)
        except CaseflowError:
            continue
        members = household.members
        if not any(m.client in clients for m in members):
            continue
        dates = tuple(str(d.data.get("date")) for d in household.contacts)
        others = sum(1 for m in members if m.client is None)
        found.append(HouseholdFacts(household_id, tuple(m.client for m in members if m.client), others, dates))
    return found


def run_report(
    repo: Session,
    actor: Staff,
    report_id: str,
    *,
    fmt: str = "md",
    month: str | None = None,
    start: str | None = None,
    end: str | None = None,
    worker: str | None = None,
) -> Rendered:
    from caseflow.followup.due import due_for_case

    report = _find(repo, report_id)
    if fmt not in report.formats:
        raise UsageError(f"report {report.id} comes as {', '.join(report.formats)}, not {fmt}")
    if report.identified and actor.role not in repo.config.identified_report_roles:
        allowed = ", ".join(repo.config.identified_report_roles)
        raise NotAllowed(f"{report.id} names clients; only {allowed} may run it (reports.identified_roles)")
    if worker:
        worker = require_staff(repo.config, worker).id
    first, last = period(repo.today(), month, start, end)
    rows = [r for r in repo.clients(worker=worker) if r["problem"] is None]
    cases = [repo.case(r["id"]) for r in rows]
    inputs = ReportInputs(
        cases=cases,
        start=first,
        end=last,
        today=repo.today(),
        worker=worker,
        staff={m.id: m.role for m in repo.config.staff},
        due=lambda case: [entry.item for entry in due_for_case(repo, case, 0)],
        households=household_facts(repo, {c.client_id for c in cases}),
    )
    built = report.build(inputs)
    tables = _tables(report, built)
    if not report.identified:
        tables = [suppress(t, repo.config.small_cell) for t in tables]
    data = {
        "agency": repo.config.agency,
        "title": str(built.get("title") or report.title),
        "description": report.description,
        "period": {"start": first.isoformat(), "end": last.isoformat()},
        "worker": worker,
        "notes": [str(n) for n in built.get("notes", [])],
        "tables": [t.as_json() for t in tables],
        "charts": [_chart(t) for t in tables],
        "identified": report.identified,
        "small_cell": repo.config.small_cell,
        "generated": repo.today().isoformat(),
    }
    assert set(data) == set(TEMPLATE_VARIABLES)  # what the reference documents is what templates get
    text = _render(repo, report, fmt, data, tables)
    if report.identified:
        audit.record(
            repo.root, who=actor.id, action=f"report {report.id}", what=f"{first}..{last} {fmt}",
            clients=[c.client_id for c in cases],
        )  # fmt: skip
    else:
        _refuse_identifiers(repo, report, text)
    return Rendered(report, text, first, last)


def _tables(report: Report, built: Mapping[str, Any]) -> list[Table]:
    """The builder's tables, each a :class:`Table` (anything else is the builder's mistake)."""
    tables = list(built.get("tables") or [])
    for table in tables:
        if not isinstance(table, Table):
            raise CaseflowError(f"report {report.id}'s builder returned {type(table).__name__} in tables, not a Table")
    return tables


def _render(repo: Session, report: Report, fmt: str, data: Mapping[str, Any], tables: list[Table]) -> str:
    """The report's own template for ``fmt`` where it ships one (an agency's copy in the
    repository's ``templates/`` first), else the shared standard one; CSV's standard is written
    from the tables by caseflow itself."""
    layers = [repo.root / "templates"]
    if report.template_dir is not None:
        layers.append(Path(report.template_dir))
    if report.template != STANDARD:
        with contextlib.suppress(NotFound):  # no template of its own for this format: the standard one
            return render_template(f"{report.template}.{fmt}.j2", layers, data)
    if fmt == "csv":
        return _csv(tables)
    return render_template(f"{STANDARD}.{fmt}.j2", layers, data)


def _find(repo: Session, report_id: str) -> Report:
    """The report ``report_id`` names: its full id, or the part after its namespace
    (``monthly-housing`` for ``riverbend.monthly-housing``) when only one report has that part."""
    reports = repo.host.reports()
    if report_id in reports:
        return reports[report_id]
    candidates = sorted(full for full in reports if full.partition(".")[2] == report_id)
    if len(candidates) > 1:
        raise CaseflowError(f"report '{report_id}' is ambiguous: {', '.join(candidates)} (give the full id)")
    if not candidates:
        names = {*reports, *(full.partition(".")[2] for full in reports)}
        raise unknown_name("report", report_id, names, listed_by="caseflow report list")
    return reports[candidates[0]]


def _csv(tables: list[Table]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for number, table in enumerate(tables):
        if number:
            writer.writerow([])
        writer.writerow([_cell(table.title)])
        writer.writerow([_cell(c) for c in table.columns])
        writer.writerows([[_cell(v) for v in row] for row in table.rows])
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A spreadsheet must not read a cell as a formula (=, +, -, @ first): such text gets a quote."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and value != "-" else value


def _chart(table: Table) -> dict[str, Any] | None:
    """A bar chart of a table's first count column (suppressed cells drawn as no bar)."""
    if not table.counts or not table.rows:
        return None
    column = table.columns.index(table.counts[0])
    bars = [
        {"label": str(row[0]), "value": row[column] if isinstance(row[column], int) else 0, "shown": str(row[column])}
        for row in table.rows
        if str(row[0]) != "all"
    ]
    top = max((b["value"] for b in bars), default=0) or 1
    return {"title": f"{table.counts[0]} ({table.title})", "bars": bars, "max": top}


#: Fields of a client record whose values must never appear in a de-identified report.
IDENTIFYING = ("name", "preferred_name", "dob", "phone", "email")


def _refuse_identifiers(repo: Session, report: Report, text: str) -> None:
    """A de-identified report names no client: no id, name part, date of birth, phone, email or
    street address of any client may appear in it (compared case-insensitively, entities decoded)."""
    plain = html.unescape(text).lower()
    for client_id in repo.client_ids():
        record: Mapping[str, Any] = {}
        with contextlib.suppress(CaseflowError):  # an unreadable record still has its id checked
            record = repo.client_record(client_id)
        names = [str(record[k]) for k in ("name", "preferred_name") if record.get(k)]
        values = [str(record[k]) for k in ("dob", "phone", "email") if record.get(k)]
        address = record.get("address")
        if isinstance(address, Mapping):
            values += [str(v) for k, v in address.items() if k in ("line1", "line2") and v]
        parts = {w for name in names for w in re.findall(r"[^\W\d_]{3,}", name.lower())}  # each part of a name
        named = any(re.search(rf"\b{re.escape(part)}\b", plain) for part in parts)
        if client_id.lower() in plain or named or any(v.lower() in plain for v in values):
            raise CaseflowError(
                f"report {report.id} would name a client, so it is not de-identified; nothing was written "
                "(check its template or plugin)"
            )
