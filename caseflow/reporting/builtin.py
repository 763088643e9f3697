"""The built-in reports: caseload (and a supervisor's list), outcomes, referrals, contacts, funder summary.

Each builder reads only :class:`~caseflow.ReportInputs` and returns plain data: tables of counts
for caseflow to de-identify (small cells suppressed) and render. Outcomes follow the usual
measurement-based-care definitions: response is a fall of at least half from the baseline score,
remission a PHQ-9 or GAD-7 total below 5.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from caseflow import CaseView, Report, ReportInputs, Table, hookimpl
from caseflow.core.case import active_risk_flags

OPEN_STAGES = ("intake", "evaluation", "planning", "active", "review")
OUTCOME_INSTRUMENTS = (("instruments.phq9", "PHQ-9"), ("instruments.gad7", "GAD-7"))


def caseload(inputs: ReportInputs) -> Mapping[str, Any]:
    by_worker: dict[str, list[CaseView]] = {}
    for case in inputs.cases:
        if case.record.get("stage") in OPEN_STAGES:
            by_worker.setdefault(str(case.record.get("assigned_worker")), []).append(case)
    rows: list[list[Any]] = []
    for worker, cases in sorted(by_worker.items()):
        stages = [sum(1 for c in cases if c.record.get("stage") == stage) for stage in OPEN_STAGES]
        flagged = sum(1 for c in cases if active_risk_flags(c.record))
        overdue = sum(1 for c in cases if _overdue(inputs, c))
        rows.append([worker, len(cases), *stages, flagged, overdue])
    if rows:
        rows.append(["all", *(sum(int(row[i]) for row in rows) for i in range(1, len(rows[0])))])
    columns = ["worker", "clients", *OPEN_STAGES, "risk flagged", "with overdue items"]
    table = Table(
        "Open cases by case manager (today)",
        columns,
        rows,
        counts=columns[1:],
        total_row=bool(rows),
        sums={"clients": list(OPEN_STAGES)},
    )
    open_ids = {c.client_id for c in inputs.cases if c.record.get("stage") in OPEN_STAGES}
    households = [h for h in inputs.households if open_ids & set(h.clients)]
    members = Table(
        "Households with open cases (today)",
        ["measure", "count"],
        [
            ["households", len(households)],
            ["members who are clients", sum(len(h.clients) for h in households)],
            ["members who are not clients", sum(h.other_members for h in households)],
        ],
        counts=["count"],
    )
    tables = [table, members] if households else [table]
    return {"title": "Caseload", "tables": tables, "notes": [f"As of {inputs.today.isoformat()}."]}


def caseload_list(inputs: ReportInputs) -> Mapping[str, Any]:
    rows = []
    for case in sorted(inputs.cases, key=lambda c: (str(c.record.get("assigned_worker")), c.client_id)):
        if case.record.get("stage") not in OPEN_STAGES:
            continue
        items = inputs.due(case)
        overdue = [d for d in items if d.due < inputs.today.isoformat()]
        flags = ", ".join(str(f.get("flag")) for f in active_risk_flags(case.record))
        rows.append([case.client_id, case.record.get("assigned_worker"), case.record.get("stage"), flags, len(overdue)])
    columns = ["client", "worker", "stage", "risk flags", "overdue items"]
    return {"title": "Caseload list (identified)", "tables": [Table("Open cases", columns, rows)], "notes": []}


def outcomes(inputs: ReportInputs) -> Mapping[str, Any]:
    rows = []
    for instrument, name in OUTCOME_INSTRUMENTS:
        pairs = [pair for case in inputs.cases if (pair := _baseline_and_latest(case, instrument, inputs))]
        responded = sum(1 for first, last in pairs if first > 0 and (first - last) * 2 >= first)
        remitted = sum(1 for _, last in pairs if last < 5)
        rows.append(
            [
                name,
                len(pairs),
                _mean([first for first, _ in pairs]),
                _mean([last for _, last in pairs]),
                responded,
                _rate(responded, len(pairs)),
                remitted,
                _rate(remitted, len(pairs)),
            ]
        )
    columns = [
        "measure",
        "clients",
        "mean baseline",
        "mean latest",
        "response",
        "response rate",
        "remission",
        "remission rate",
    ]
    table = Table(
        "Baseline and latest scores (clients screened twice or more, latest in the period)",
        columns,
        rows,
        counts=["clients", "response", "remission"],
        derived={
            "mean baseline": ["clients"],
            "mean latest": ["clients"],
            "response rate": ["response"],
            "remission rate": ["remission"],
        },
    )
    notes = ["Response: a fall of at least half from the baseline score. Remission: a total below 5."]
    return {"title": "Outcomes", "tables": [table], "notes": notes}


def referrals(inputs: ReportInputs) -> Mapping[str, Any]:
    by_category: dict[str, list[Mapping[str, Any]]] = {}
    for case in inputs.cases:
        for document in case.by_form("core.referral"):
            data = document.data
            sent = _event(data, "requested")
            if sent and inputs.in_period(sent):
                by_category.setdefault(str(data.get("category")), []).append(data)
    rows: list[list[Any]] = []
    for category, found in sorted(by_category.items()):
        accepted = [r for r in found if _event(r, "accepted")]
        done = [r for r in found if _event(r, "completed")]
        days = [
            (
                dt.date.fromisoformat(str(_event(r, "completed"))) - dt.date.fromisoformat(str(_event(r, "requested")))
            ).days
            for r in done
        ]
        rows.append(
            [
                category,
                len(found),
                len(accepted),
                len(done),
                _median(days) if days else "-",
                _rate(len(done), len(found)),
            ]
        )
    if rows:
        totals = [sum(int(row[i]) for row in rows) for i in (1, 2, 3)]
        rows.append(["all", *totals, "-", _rate(totals[2], totals[0])])
    columns = ["category", "requested", "accepted", "completed", "median days to completion", "completion rate"]
    table = Table(
        "Referrals sent in the period, by service category",
        columns,
        rows,
        counts=["requested", "accepted", "completed"],
        total_row=bool(rows),
        derived={"median days to completion": ["completed"], "completion rate": ["completed"]},
    )
    return {"title": "Referrals", "tables": [table], "notes": []}


CONTACT_TYPES = ("office", "home", "hospital", "phone", "video")


def contacts(inputs: ReportInputs) -> Mapping[str, Any]:
    """Contacts per month by type, and the 7-day follow-up after hospital discharges."""
    by_month: dict[str, list[int]] = {}
    discharges = followed = 0
    for case in inputs.cases:
        notes = [d.data for d in case.written("core.visit") if inputs.in_period(d.data.get("date"))]
        for note in notes:
            month = str(note.get("date"))[:7]
            counts = by_month.setdefault(month, [0] * len(CONTACT_TYPES))
            if note.get("type") in CONTACT_TYPES:
                counts[CONTACT_TYPES.index(str(note["type"]))] += 1
        all_notes = [d.data for d in case.written("core.visit")]
        for note in notes:
            stay = note.get("hospital")
            left = stay.get("discharged_on") if isinstance(stay, Mapping) else None
            if not left or not inputs.in_period(left):
                continue
            discharges += 1
            limit = (dt.date.fromisoformat(str(left)) + dt.timedelta(days=7)).isoformat()
            if any(str(left) < str(n.get("date")) <= limit and n.get("type") != "hospital" for n in all_notes):
                followed += 1
    rows: list[list[Any]] = [[month, *counts, sum(counts)] for month, counts in sorted(by_month.items())]
    per_month = Table(
        "Contacts per month, by type",
        ["month", *CONTACT_TYPES, "all"],
        rows,
        counts=[*CONTACT_TYPES, "all"],
        sums={"all": list(CONTACT_TYPES)},
    )
    follow_up = Table(
        "Hospital discharges followed up within 7 days (a contact after the day of discharge)",
        ["discharges", "followed up", "share"],
        [[discharges, followed, _rate(followed, discharges)]],
        counts=["discharges", "followed up"],
        derived={"share": ["followed up", "discharges"]},
    )
    return {"title": "Contacts", "tables": [per_month, follow_up], "notes": []}


def funder_summary(inputs: ReportInputs) -> Mapping[str, Any]:
    """One page for funders and the board: who was served, what was done, and what came of it."""
    served = [c for c in inputs.cases if _served_in_period(c, inputs)]
    new = [c for c in inputs.cases if inputs.in_period(c.record.get("intake_date"))]
    ended = [c for c in served if inputs.in_period(_discharged_on(c))]
    visits = sum(1 for c in inputs.cases for d in c.written("core.visit") if inputs.in_period(d.data.get("date")))
    summary = Table(
        "The period at a glance",
        ["measure", "count"],
        [
            ["clients served", len(served)],
            ["new clients", len(new)],
            ["clients discharged", len(ended)],
            ["contacts", visits],
        ],
        counts=["count"],
    )
    parts = [summary, households_served(inputs, {c.client_id for c in served}), *referrals(inputs)["tables"]]
    parts += outcomes(inputs)["tables"]
    return {"title": "Summary for funders", "tables": parts, "notes": []}


def households_served(inputs: ReportInputs, served: set[str]) -> Table:
    """Households with a client served in the period, their members, and family contacts.

    A family contact is one contact with the household (each client present also counts it as a
    contact of their own, above); members who are not clients are counted, never named."""
    households = [h for h in inputs.households if served & set(h.clients)]
    rows = [
        ["households served", len(households)],
        ["members who are clients", sum(len(h.clients) for h in households)],
        ["members who are not clients", sum(h.other_members for h in households)],
        ["family contacts", sum(1 for h in households for day in h.contact_dates if inputs.in_period(day))],
    ]
    return Table("Households", ["measure", "count"], rows, counts=["count"])


def _served_in_period(case: CaseView, inputs: ReportInputs) -> bool:
    """Open at some point of the period: taken in by its end, and not discharged before its start."""
    started = str(case.record.get("intake_date") or "")
    ended = _discharged_on(case)
    return bool(started) and started <= inputs.end.isoformat() and (ended is None or ended >= inputs.start.isoformat())


def _discharged_on(case: CaseView) -> str | None:
    """The day of the last discharge, if the client is discharged now."""
    if case.record.get("stage") != "discharged":
        return None
    moves = [
        h for h in case.record.get("stage_history") or [] if isinstance(h, Mapping) and h.get("to") == "discharged"
    ]
    return str(moves[-1].get("on")) if moves else None


def _overdue(inputs: ReportInputs, case: CaseView) -> bool:
    return any(item.due < inputs.today.isoformat() for item in inputs.due(case))


def _baseline_and_latest(case: CaseView, instrument: str, inputs: ReportInputs) -> tuple[int, int] | None:
    given = sorted(
        (str(d.data.get("date")), d.data.get("result", {}).get("total"))
        for d in case.by_form(instrument)
        if isinstance(d.data.get("result"), Mapping)
        and isinstance(d.data["result"].get("total"), int)
        and str(d.data.get("date")) <= inputs.end.isoformat()  # as things stood at the period's end
    )
    if len(given) < 2 or not inputs.in_period(given[-1][0]):
        return None
    return int(given[0][1]), int(given[-1][1])


def _event(referral: Mapping[str, Any], status: str) -> str | None:
    return next(
        (
            str(h.get("on"))
            for h in referral.get("history") or []
            if isinstance(h, Mapping) and h.get("status") == status
        ),
        None,
    )


def _median(values: list[int]) -> float:
    import statistics  # (with fractions and decimal) only for a report, not for every command's plugins

    return statistics.median(values)


def _mean(values: list[int]) -> float | str:
    import statistics

    return round(statistics.mean(values), 1) if values else "-"


def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


@hookimpl(trylast=True)
def register_reports() -> list[Report]:
    return [
        Report(
            "core.caseload",
            "Caseload",
            "Open cases per case manager: stages, risk flags, overdue items.",
            caseload,
            parameters=("worker",),
        ),
        Report(
            "core.caseload-list",
            "Caseload list",
            "Each open case by client id, for supervisors (identified).",
            caseload_list,
            parameters=("worker",),
            identified=True,
        ),
        Report(
            "core.outcomes", "Outcomes", "PHQ-9 and GAD-7 baseline against latest; response and remission.", outcomes
        ),
        Report(
            "core.referrals",
            "Referrals",
            "Referrals sent, by category: accepted, completed, days to completion.",
            referrals,
        ),
        Report("core.contacts", "Contacts", "Contacts per month by type; 7-day follow-up after discharge.", contacts),
        Report(
            "core.funder-summary",
            "Summary for funders",
            "Clients served, contacts, referrals, outcomes.",
            funder_summary,
        ),
    ]
