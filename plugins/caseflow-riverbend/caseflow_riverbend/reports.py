"""Riverbend's monthly housing report: the housing assessments of a period, by living situation.

A de-identified report (counts only): ``caseflow report monthly-housing --period 2026-10``. It
ships its own Markdown template (``templates/riverbend/monthly-housing.md.j2``); as HTML and CSV
it renders through caseflow's shared standard templates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow import Report, Table, hookimpl

if TYPE_CHECKING:
    from caseflow import ReportInputs

TEMPLATES = Path(__file__).parent / "templates"
#: The living situations the report counts as unhoused (literally homeless, in HUD's words).
UNHOUSED = ("unsheltered", "emergency-shelter")


def monthly_housing(inputs: ReportInputs) -> dict[str, Any]:
    """The latest assessment of each client in the period: clients by living situation, and how
    many of them had an eviction notice."""
    latest: dict[str, Mapping[str, Any]] = {}
    for case in inputs.cases:
        dated = [d.data for d in case.current("riverbend.housing-assessment") if inputs.in_period(d.data.get("date"))]
        if dated:
            latest[case.client_id] = max(dated, key=lambda data: str(data.get("date")))
    situations = Counter(str(data.get("living_situation")) for data in latest.values())
    evictions = Counter(str(data.get("living_situation")) for data in latest.values() if data.get("eviction_notice"))
    rows: list[list[Any]] = [[s, situations[s], evictions[s]] for s in sorted(situations)]
    rows.append(["all", sum(situations.values()), sum(evictions.values())])
    unhoused = sum(situations[s] for s in UNHOUSED)
    return {
        "title": f"Housing assessments, {inputs.start:%B %Y}"
        if inputs.start.day == 1 and inputs.start.month == inputs.end.month
        else "Housing assessments",
        "notes": [f"{len(latest)} client(s) assessed; {unhoused} unhoused (unsheltered or in an emergency shelter)."]
        if len(latest) >= 11
        else ["Fewer than 11 clients assessed: the counts are suppressed."],
        "tables": [
            Table(
                "Clients by living situation (latest assessment in the period)",
                ["living situation", "clients", "eviction notice"],
                rows,
                counts=["clients", "eviction notice"],
                total_row=True,
            )
        ],
    }


@hookimpl
def register_reports() -> list[Report]:
    return [
        Report(
            "riverbend.monthly-housing",
            "Monthly housing",
            "Housing assessments of the period by living situation, and eviction notices (de-identified).",
            monthly_housing,
            template="riverbend/monthly-housing",
            template_dir=TEMPLATES,
        )
    ]
