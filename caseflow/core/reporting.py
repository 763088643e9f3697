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
from typing import Any

from caseflow.core.case import CaseView
from caseflow.core.due import Due

#: Counts below this are suppressed in a de-identified report (configurable: reports.small_cell).
SMALL_CELL = 11
SUPPRESSED = "<11"


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

    def in_period(self, day: Any) -> bool:
        try:
            return self.start <= dt.date.fromisoformat(str(day)) <= self.end
        except ValueError:
            return False


@dataclass
class Table:
    """Rows of counts (and other figures). ``counts`` names the columns that hold counts of people
    or events, which small-cell suppression applies to; ``total_row``/``total_column`` say whether
    the last row/column is a sum of the others (so subtraction could reveal a suppressed cell)."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    counts: list[str] = field(default_factory=list)
    total_row: bool = False
    total_column: bool = False
    #: Columns computed from a count column (a rate, a median): hidden when that count is.
    derived: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "columns": self.columns, "rows": self.rows, "counts": self.counts}


@dataclass(frozen=True)
class Report:
    """A report plugins register through ``register_reports``.

    ``template`` is a jinja2 template name without its format suffix (``reports/caseload``): the
    ``.md.j2`` or ``.html.j2`` file is found in the repository's ``templates/``, then the plugin's,
    then caseflow's. CSV is written from the tables. An ``identified`` report names clients: only
    roles in ``reports.identified_roles`` may run it, and each run is written to the access record.
    """

    id: str
    title: str
    description: str
    build: Callable[[ReportInputs], Mapping[str, Any]]
    template: str = "reports/standard"
    parameters: tuple[str, ...] = ("period", "worker")
    formats: tuple[str, ...] = ("md", "html", "csv")
    identified: bool = False
    template_dir: Any = None


def suppress(table: Table, threshold: int = SMALL_CELL) -> Table:
    """The table with small counts (1..threshold-1) and what would reveal them suppressed."""
    rows = [list(row) for row in table.rows]
    count_columns = [i for i, name in enumerate(table.columns) if name in table.counts]
    hidden: set[tuple[int, int]] = {
        (r, c) for r, row in enumerate(rows) for c in count_columns if _small(row[c], threshold)
    }
    # complementary suppression: a row or column of a table with totals must not hold exactly one
    # suppressed cell, or the total minus the others gives it away
    changed = True
    while changed:
        changed = False
        lines: list[list[tuple[int, int]]] = []
        if table.total_column:
            lines += [[(r, c) for c in count_columns] for r in range(len(rows))]
        if table.total_row:
            lines += [[(r, c) for r in range(len(rows))] for c in count_columns]
        for line in lines:
            inside = [cell for cell in line if cell in hidden]
            if len(inside) == 1:
                candidates = [cell for cell in line if cell not in hidden and _number(rows[cell[0]][cell[1]])]
                if candidates:
                    hidden.add(min(candidates, key=lambda cell: rows[cell[0]][cell[1]]))
                    changed = True
    for r, c in hidden:
        rows[r][c] = SUPPRESSED
    for column, source in table.derived.items():
        i, j = table.columns.index(column), table.columns.index(source)
        for r in range(len(rows)):
            if (r, j) in hidden:
                rows[r][i] = SUPPRESSED
    return Table(table.title, table.columns, rows, table.counts, table.total_row, table.total_column, table.derived)


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


@dataclass(frozen=True)
class Exporter:
    """An export format plugins register through ``register_exporters``.

    ``export(inputs)`` returns the file's bytes (a FHIR Bundle as JSON, say). Exports carry
    identified data: they run for the roles in ``reports.identified_roles``, each is written to the
    access record, and one that goes to an outside recipient must pass the consent gate.
    """

    id: str  # the --format name: "fhir"
    title: str
    media_type: str
    suffix: str  # ".json"
    export: Callable[[ExportInputs], bytes]
