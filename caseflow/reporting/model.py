"""Reports: what a plugin registers, the plain data a report builds, and de-identification.

A report's builder gets :class:`ReportInputs` (read-only case views for the period) and returns
plain data: a title, notes, and :class:`Table` objects. Tables are what leaves the agency, so
de-identification works on them: every count below the threshold (default 11, the common
small-cell rule) is suppressed, and so is a second cell in any row or column where one suppressed
cell could be worked out by subtracting the others from the total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caseflow.core.case import CaseView

if TYPE_CHECKING:  # a type only: every command registers the built-in reports, few compute a due list
    from caseflow.followup.due_rules import Due

#: Counts below this are suppressed in a de-identified report (configurable: reports.small_cell).
SMALL_CELL = 11
SUPPRESSED = "<11"
PROTECTED = "*"  # hidden because it would reveal a small count


@dataclass(frozen=True)
class HouseholdFacts:
    """What a report may count of one household: ids and numbers, never a name."""

    id: str
    clients: tuple[str, ...]  # the members who are clients
    other_members: int  # members who are not clients (counted, never named)
    contact_dates: tuple[str, ...] = ()  # ISO dates of its family contacts


@dataclass(frozen=True)
class ReportInputs:
    """What a report builder may read: the clients' cases, the period, and the due items."""

    cases: Sequence[CaseView]
    start: dt.date
    end: dt.date
    today: dt.date
    worker: str | None
    staff: Mapping[str, str]  # staff id -> role
    due: Callable[[CaseView], list[Due]]
    #: The households whose client members are among ``cases`` (the worker's, or everyone's).
    households: Sequence[HouseholdFacts] = ()

    def in_period(self, day: Any) -> bool:
        try:
            return self.start <= dt.date.fromisoformat(str(day)) <= self.end
        except ValueError:
            return False


@dataclass
class Table:
    """Rows of counts (and other figures). ``counts`` names the columns that hold counts of people
    or events, which small-cell suppression applies to. Whatever lets a reader subtract must be
    declared, so that suppression can follow it: ``total_row`` (the last row sums the rows above,
    column by column) and ``sums`` (a column that is the sum of others in each row)."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    counts: list[str] = field(default_factory=list)
    total_row: bool = False
    #: A column that is, in each row, the sum of these columns: {"clients": ["intake", "active", ...]}.
    sums: dict[str, list[str]] = field(default_factory=dict)
    #: Columns computed from count columns (a rate, a mean): hidden when any of those counts is.
    derived: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "columns": self.columns, "rows": self.rows, "counts": self.counts}


@dataclass(frozen=True)
class Report:
    """A report plugins register through ``register_reports``.

    ``build(inputs)`` gets :class:`ReportInputs` and returns a mapping of plain data, of which
    caseflow reads three keys (any other is ignored, and none is required):

    - ``title``: a string shown instead of the spec's ``title`` (say, with the month in it);
    - ``notes``: a list of strings, paragraphs shown above the tables;
    - ``tables``: a list of :class:`Table` (anything else there is an error). In a de-identified
      report each goes through small-cell suppression before any template sees it.

    Every format renders through a template: the report's own for that format when it ships one,
    else the shared standard one. ``template`` is a jinja2 template name without its format suffix
    (``riverbend/monthly-housing``): its ``.md.j2`` or ``.html.j2`` file is looked up in the
    repository's ``templates/`` (an agency's copy), then in ``template_dir`` (the plugin's
    folder), then in caseflow's ``templates/``; where none has it, ``reports/standard.md.j2`` or
    ``reports/standard.html.j2`` renders the report instead. CSV is the tables written by caseflow,
    unless the report ships a ``.csv.j2`` of its own. What every template receives (``agency``,
    ``title``, ``description``, ``period``, ``worker``, ``notes``, ``tables``, ``charts``,
    ``identified``, ``small_cell``, ``generated``) is listed in
    :data:`caseflow.reporting.run.TEMPLATE_VARIABLES` and on the template reference page.

    ``caseflow report NAME`` takes the full id or, when only one report has it, the part after the
    namespace (``monthly-housing``). An ``identified`` report names clients: only roles in
    ``reports.identified_roles`` may run it, and each run is written to the access record.
    """

    id: str
    title: str
    description: str
    build: Callable[[ReportInputs], Mapping[str, Any]]
    #: the report's own template, without its format suffix (the standard one by default)
    template: str = "reports/standard"
    parameters: tuple[str, ...] = ("period", "worker")
    #: the formats it may be run as (all three by default: the standard templates cover each)
    formats: tuple[str, ...] = ("md", "html", "csv")
    identified: bool = False
    #: the plugin's folder of templates (a ``Path``), searched after the repository's ``templates/``
    template_dir: Any = None


def suppress(table: Table, threshold: int = SMALL_CELL) -> Table:
    """The table with small counts (1..threshold-1) suppressed, and then whatever would reveal them.

    A total lets a reader subtract: in every row or column that sums to a shown total, the hidden
    parts must add up to at least the threshold, so more parts are hidden (the smallest non-zero
    first), or else the total itself. Small counts show as ``<11``; counts hidden to protect them
    show as ``*``. Rates and means computed from a hidden count are hidden with it.
    """
    rows = [list(row) for row in table.rows]
    index = {name: i for i, name in enumerate(table.columns)}
    count_columns = [index[name] for name in table.counts if name in index]
    small = {(r, c) for r, row in enumerate(rows) for c in count_columns if _small(row[c], threshold)}
    hidden = set(small)
    lines = _sum_lines(table, rows, index, count_columns)
    changed = True
    while changed:
        changed = False
        for parts, total in lines:
            hidden_parts = [cell for cell in parts if cell in hidden]
            if not hidden_parts or total in hidden:
                continue
            if sum(_value(rows, cell) for cell in hidden_parts) >= threshold and len(hidden_parts) > 1:
                continue
            shown = [cell for cell in parts if cell not in hidden and _value(rows, cell) > 0]
            hidden.add(min(shown, key=lambda cell: _value(rows, cell)) if shown else total)
            changed = True
    for r, c in hidden:
        rows[r][c] = SUPPRESSED if (r, c) in small else PROTECTED
    for column, sources in table.derived.items():
        for r in range(len(rows)):
            if any((r, index[source]) in hidden for source in sources if source in index):
                rows[r][index[column]] = PROTECTED
    return Table(table.title, table.columns, rows, table.counts, table.total_row, table.sums, table.derived)


def _sum_lines(
    table: Table, rows: list[list[Any]], index: Mapping[str, int], count_columns: list[int]
) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """(the parts, their total) for every sum the table declares."""
    lines = []
    for total, parts in table.sums.items():
        for r in range(len(rows)):
            lines.append(([(r, index[p]) for p in parts if p in index], (r, index[total])))
    if table.total_row and len(rows) > 1:
        last = len(rows) - 1
        for c in count_columns:
            lines.append(([(r, c) for r in range(last)], (last, c)))
    return lines


def _value(rows: list[list[Any]], cell: tuple[int, int]) -> int:
    value = rows[cell[0]][cell[1]]
    return value if _number(value) else 0


def _small(value: Any, threshold: int) -> bool:
    return _number(value) and 0 < value < threshold


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class ExportInputs:
    """One client's record for an exporter: the case, and the agency's names for what it refers to."""

    case: CaseView
    agency: str
    staff: Mapping[str, Mapping[str, str]]  # staff id -> {"name", "email", "role"}
    services: Mapping[str, Mapping[str, str]]  # directory id -> {"name", "organization"} of services/providers
    today: dt.date
    #: The client's households as this export may show them (the consent rule already applied):
    #: each ``{"id", "quantity" (every member, counted), "members": [{"member", "client"}]`` (the
    #: client, and other clients only where their own consent covers the recipient), ``"plan"``
    #: (the family plan: review_date, created, author, ``status`` (approved, awaiting approval, sent
    #: back), goals whose objectives are only those of members shown) or None}. Members who are
    #: not clients are never in ``members``.
    households: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class AgencyExportInputs:
    """The whole agency for an agency-wide exporter: every client's case, the period, the staff."""

    cases: Sequence[CaseView]
    start: dt.date
    end: dt.date
    agency: str
    staff: Mapping[str, Mapping[str, str]]  # staff id -> {"name", "email", "role"}
    today: dt.date
    now: dt.datetime  # when the export runs, in the agency's time zone (the files' time stamps)


@dataclass(frozen=True)
class AgencyExport:
    """What an agency-wide exporter returns: its files, whose records they carry, and which
    elements it wrote as "data not collected" (element -> how many rows)."""

    files: Mapping[str, bytes]  # file name -> contents, in the order they are listed
    clients: tuple[str, ...]  # each is written to the access record
    not_collected: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Exporter:
    """An export format plugins register through ``register_exporters``.

    A client exporter's ``export(inputs)`` returns one client's file as bytes (a FHIR Bundle as
    JSON, say): ``caseflow export CLIENT --format ID``. An agency-wide exporter gives
    ``export_agency`` instead: every client of a period as a set of files (the HMIS CSV):
    ``caseflow export --format ID --from D --to D --out DIR``. Exports carry identified data:
    they run for the roles in ``reports.identified_roles``, each is written to the access record,
    and one that goes to an outside recipient must pass the consent gate.
    """

    id: str  # the --format name: "fhir"
    title: str
    media_type: str
    suffix: str  # ".json"
    export: Callable[[ExportInputs], bytes] | None = None
    #: What an export carries, as a consent must name it to let the export go to a recipient.
    information: tuple[str, ...] = ("The whole case record",)
    export_agency: Callable[[AgencyExportInputs], AgencyExport] | None = None

    def __post_init__(self) -> None:
        if (self.export is None) == (self.export_agency is None):
            raise ValueError(f"exporter '{self.id}' needs exactly one of export (a client) and export_agency")

    @property
    def agency_wide(self) -> bool:
        """Exports every client of a period, not one client."""
        return self.export_agency is not None
