"""The HUD HMIS CSV export (FY2026): the agency's clients with an enrollment in a period.

What caseflow has is mapped (``client.yaml``'s name, date of birth, intake date, stage history,
assigned worker and interpreter need; the discharge); what it does not collect comes from the
client's optional ``hmis.yaml`` (form ``agency.hmis-ude``, ``hmis_ude_form.yaml`` beside this
module), else is written as HUD's "data not collected" (99, or the 1.8 data quality codes), and
the export says which elements were. Each case's episodes are its enrollments: the first starts
on the intake date, each reopening (a move out of ``discharged``) starts another, and a move to
``discharged`` is the exit (its destination from ``hmis.yaml``, else what the discharge reason
tells: deceased, incarcerated, no exit interview). caseflow's visits and referrals are generic
case management, which no Services.csv record type covers: that file has its header only.

Before anything is handed over, every file is read back and checked against
:mod:`caseflow.reporting.hmis_spec` (header exact, codes allowed, ids of at most 32 characters,
dates and date-times as HUD writes them); a file that would not pass refuses the export.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from caseflow import AgencyExport, AgencyExportInputs, CaseflowError, CaseView, __version__
from caseflow.reporting import hmis_spec as spec

UDE_DOCUMENT = "hmis.yaml"
ORGANIZATION_ID = "1"
PROJECT_ID = "1"
DISCHARGED = "discharged"
#: What a discharge reason tells of the destination (3.12); the rest is not collected.
REASON_DESTINATION = {"deceased": 24, "incarcerated": 207, "unable-to-contact": 30, "lost-contact": 30}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@dataclass(frozen=True)
class Enrollment:
    """One episode of a case, and its exit if it ended."""

    number: int
    entry: dt.date
    exit: dt.date | None
    exit_by: str | None = None


def enrollments(case: CaseView) -> list[Enrollment]:
    """The case's episodes, oldest first, from the intake date and the stage history."""
    record = case.record
    entry = _date(record.get("intake_date"))
    if entry is None:
        return []
    history = [h for h in record.get("stage_history") or [] if isinstance(h, Mapping) and _date(h.get("on"))]
    found: list[Enrollment] = []
    exit_day: dt.date | None = None
    exit_by: str | None = None
    for change in history:
        day = _date(change.get("on"))
        assert day is not None
        if change.get("to") == DISCHARGED and exit_day is None and day >= entry:
            exit_day, exit_by = day, _text(change.get("by"))
        elif change.get("from") == DISCHARGED and change.get("to") != DISCHARGED and exit_day is not None:
            found.append(Enrollment(len(found) + 1, entry, exit_day, exit_by))
            entry, exit_day, exit_by = day, None, None
    if exit_day is None and record.get("stage") == DISCHARGED:  # discharged without a history entry
        discharge = _discharge(case)
        exit_day = _date(discharge.get("date")) or entry
        exit_by = _text(discharge.get("author"))
    found.append(Enrollment(len(found) + 1, entry, exit_day, exit_by))
    return found


def export(inputs: AgencyExportInputs) -> AgencyExport:
    """Every client with an enrollment overlapping the period, as the HMIS CSV files."""
    start, end = inputs.start, inputs.end
    stamp = inputs.now.strftime("%Y-%m-%d %H:%M:%S")
    export_id = "CF" + inputs.now.strftime("%Y%m%d%H%M%S")
    meta = _Meta(stamp, export_id)
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in spec.FILES}
    clients: list[str] = []
    entries: list[dt.date] = []
    for case in sorted(inputs.cases, key=lambda c: c.client_id):
        stays = [
            e for e in enrollments(case) if e.entry <= end and (e.exit is None or e.exit >= start)
        ]  # fmt: skip
        if not stays:
            continue
        clients.append(case.client_id)
        ude = _ude(case)
        worker = _text(case.record.get("assigned_worker"))
        tables["Client.csv"].append(_client(case, ude, meta, worker))
        latest = stays[-1].number == enrollments(case)[-1].number
        for stay in stays:
            entries.append(stay.entry)
            is_latest = latest and stay is stays[-1]
            tables["Enrollment.csv"].append(_enrollment(case, stay, ude if is_latest else {}, meta, worker))
            if stay.exit is not None and stay.exit <= end:
                tables["Exit.csv"].append(_exit(case, stay, ude if is_latest else None, meta, worker))
    operating = min(entries, default=start)
    tables["Export.csv"].append(
        {
            "ExportID": export_id,
            "SourceType": 2,
            "SourceID": inputs.agency[: spec.SOURCE_ID_LENGTH],
            "ExportDate": stamp,
            "ExportStartDate": start.isoformat(),
            "ExportEndDate": end.isoformat(),
            "SoftwareName": "caseflow",
            "CSVVersion": spec.CSV_VERSION,
            "ExportPeriodType": 3,
            "ExportDirective": 2,
            "HashStatus": 1,
            "ImplementationID": f"caseflow {__version__}",
        }
    )
    tables["Organization.csv"].append(
        {"OrganizationID": ORGANIZATION_ID, "OrganizationName": inputs.agency, "VictimServiceProvider": 0}
        | meta.row(None)
    )
    tables["Project.csv"].append(
        {
            "ProjectID": PROJECT_ID,
            "OrganizationID": ORGANIZATION_ID,
            "ProjectName": inputs.agency,
            "OperatingStartDate": operating.isoformat(),
            "ContinuumProject": spec.NOT_COLLECTED,
            "ProjectType": spec.SERVICES_ONLY,
        }
        | meta.row(None)
    )
    tables["ProjectCoC.csv"].append(
        {"ProjectCoCID": "1", "ProjectID": PROJECT_ID, "GeographyType": spec.NOT_COLLECTED} | meta.row(None)
    )
    for staff_id, person in sorted(inputs.staff.items()):
        first, _, last = _name_parts(person.get("name", ""))
        tables["User.csv"].append(
            {
                "UserID": _id(staff_id),
                "UserFirstName": first,
                "UserLastName": last,
                "UserEmail": person.get("email", ""),
                "DateCreated": stamp,
                "DateUpdated": stamp,
                "ExportID": export_id,
            }
        )
    files = {name: _csv(spec.FILES[name], rows) for name, rows in tables.items()}
    check(files)
    return AgencyExport(files, tuple(clients), _not_collected(tables))


# -- one row each ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Meta:
    stamp: str
    export_id: str

    def row(self, user: str | None, created: dt.date | None = None) -> dict[str, Any]:
        return {
            "DateCreated": f"{created.isoformat()} 00:00:00" if created else self.stamp,
            "DateUpdated": self.stamp,
            "UserID": _id(user) if user else "",
            "ExportID": self.export_id,
        }


def _client(case: CaseView, ude: Mapping[str, Any], meta: _Meta, worker: str | None) -> dict[str, Any]:
    record = case.record
    name = _text(record.get("name")) or ""
    first, middle, last = _name_parts(name)
    parts = len(name.split())
    dob = _date(record.get("dob"))
    ssn = _text(ude.get("ssn"))
    races = [r for r in ude.get("race_ethnicity") or [] if isinstance(r, str)]
    row: dict[str, Any] = {
        "PersonalID": _id(case.client_id),
        "FirstName": first,
        "MiddleName": middle,
        "LastName": last,
        "NameDataQuality": 1 if parts >= 2 else 2 if parts == 1 else spec.NOT_COLLECTED,
        "SSN": ssn or "",
        "SSNDataQuality": ude.get("ssn_data_quality", 1 if ssn else spec.NOT_COLLECTED),
        "DOB": dob.isoformat() if dob else "",
        "DOBDataQuality": 1 if dob else spec.NOT_COLLECTED,
        **{column: int(column in races) for column in spec.RACE_COLUMNS},
        "RaceNone": "" if races else ude.get("race_none", spec.NOT_COLLECTED),
        "AdditionalRaceEthnicity": _text(ude.get("additional_race_ethnicity")) or "",
        "Sex": ude.get("sex", spec.NOT_COLLECTED),
        "VeteranStatus": ude.get("veteran_status", spec.NOT_COLLECTED),
    }
    unknown = [r for r in races if r not in spec.RACE_COLUMNS]
    if unknown:
        row["RaceNone"] = unknown[0]  # refused by the check, naming the value
    return row | meta.row(worker, _date(record.get("intake_date")))


def _enrollment(
    case: CaseView, stay: Enrollment, ude: Mapping[str, Any], meta: _Meta, worker: str | None
) -> dict[str, Any]:
    interpreter = case.record.get("interpreter_needed")
    return {
        "EnrollmentID": _id(case.client_id, f"E{stay.number}"),
        "PersonalID": _id(case.client_id),
        "ProjectID": PROJECT_ID,
        "EntryDate": stay.entry.isoformat(),
        "HouseholdID": _id(case.client_id, f"H{stay.number}"),
        "RelationshipToHoH": ude.get("relationship_to_hoh", spec.NOT_COLLECTED),
        "LivingSituation": ude.get("living_situation", spec.NOT_COLLECTED),
        "DisablingCondition": ude.get("disabling_condition", spec.NOT_COLLECTED),
        "TranslationNeeded": int(interpreter) if isinstance(interpreter, bool) else spec.NOT_COLLECTED,
    } | meta.row(worker, stay.entry)


def _exit(
    case: CaseView, stay: Enrollment, ude: Mapping[str, Any] | None, meta: _Meta, worker: str | None
) -> dict[str, Any]:
    """``ude``: the client's hmis.yaml for their latest enrollment (None for an earlier one: the
    discharge document and hmis.yaml speak of the latest exit only)."""
    assert stay.exit is not None
    destination = ude.get("destination") if ude is not None else spec.NOT_COLLECTED
    if destination is None:
        discharge = _discharge(case)
        told = _date(discharge.get("date"))
        reason = discharge.get("reason") if told is not None and told >= stay.entry else None
        destination = REASON_DESTINATION.get(str(reason), spec.NOT_COLLECTED)
    return {
        "ExitID": _id(case.client_id, f"X{stay.number}"),
        "EnrollmentID": _id(case.client_id, f"E{stay.number}"),
        "PersonalID": _id(case.client_id),
        "ExitDate": stay.exit.isoformat(),
        "Destination": destination,
    } | meta.row(stay.exit_by or worker, stay.exit)


# -- checking what is written ----------------------------------------------------------------------


def check(files: Mapping[str, bytes]) -> None:
    """Refuse (in one line, naming file, row and column, never a name) a file that is not as HUD's
    specification (as :mod:`hmis_spec` holds it) wants it."""
    for name, columns in spec.FILES.items():
        if name not in files:
            raise CaseflowError(f"HMIS export not written: {name} is missing")
        rows = list(csv.reader(io.StringIO(files[name].decode("utf-8"))))
        if not rows or tuple(rows[0]) != columns:
            raise CaseflowError(f"HMIS export not written: {name} does not have the FY2026 header")
        for number, row in enumerate(rows[1:], start=2):
            if len(row) != len(columns):
                raise CaseflowError(f"HMIS export not written: {name} row {number} has {len(row)} columns")
            whose = f" ({row[columns.index('PersonalID')]})" if "PersonalID" in columns else ""
            for column, value in zip(columns, row, strict=True):
                problem = _cell_problem(name, column, value)
                if problem:
                    where = f"{name} row {number}{whose} {column}"
                    raise CaseflowError(f"HMIS export not written: {where} {problem}")


def _cell_problem(name: str, column: str, value: str) -> str | None:
    if value == "":
        coded = (name, column) in spec.CODES and (name, column) not in spec.OPTIONAL
        return "is empty" if column in spec.REQUIRED or coded else None
    allowed = spec.CODES.get((name, column))
    if allowed is not None and (not value.lstrip("-").isdigit() or int(value) not in allowed):
        return f"{value!r} is not one of HUD's codes ({', '.join(str(c) for c in allowed)})"
    limit = spec.SOURCE_ID_LENGTH if column == "SourceID" else spec.ID_LENGTH
    if column in spec.ID_COLUMNS and len(value) > limit:
        return f"is longer than {limit} characters"
    if column in spec.DATE_COLUMNS and not _valid(value, _DATE, "%Y-%m-%d"):
        return "is not a date written YYYY-MM-DD"
    if column in spec.DATETIME_COLUMNS and not _valid(value, _DATETIME, "%Y-%m-%d %H:%M:%S"):
        return "is not a date and time written YYYY-MM-DD HH:MM:SS"
    return None


def _valid(value: str, pattern: re.Pattern[str], fmt: str) -> bool:
    try:
        return bool(pattern.fullmatch(value)) and bool(dt.datetime.strptime(value, fmt))
    except ValueError:
        return False


# -- helpers ---------------------------------------------------------------------------------------


def _not_collected(tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, int]:
    """Element -> rows written as "data not collected" (99), and the files caseflow leaves empty."""
    counted: Counter[str] = Counter()
    for name, rows in tables.items():
        for row in rows:
            for column, element in spec.ELEMENTS.items():
                if row.get(column) == spec.NOT_COLLECTED:
                    counted[f"{element} ({name} {column})"] += 1
    counted["2.06 Funding Sources (Funder.csv: no rows)"] = 1
    counted["2.07 Bed and Unit Inventory (Inventory.csv: no rows)"] = 1
    counted["2.03 Continuum of Care code (ProjectCoC.csv CoCCode, Enrollment.csv EnrollmentCoC)"] = 1
    return dict(sorted(counted.items()))


def _csv(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row.get(c, "")) for c in columns])
    return out.getvalue().encode("utf-8")


def _ude(case: CaseView) -> Mapping[str, Any]:
    document = case.document(UDE_DOCUMENT)
    return document.data if document is not None else {}


def _discharge(case: CaseView) -> Mapping[str, Any]:
    found = case.by_form("core.discharge")
    return found[-1].data if found else {}


def _id(*parts: str) -> str:
    """An HMIS id (at most 32 characters): the parts joined, or a digest of them when too long."""
    joined = "-".join(parts)
    return joined if len(joined) <= spec.ID_LENGTH else hashlib.sha256(joined.encode()).hexdigest()[:32]


def _name_parts(name: str) -> tuple[str, str, str]:
    words = name.split()
    if not words:
        return "", "", ""
    if len(words) == 1:
        return words[0], "", ""
    return words[0], " ".join(words[1:-1]), words[-1]


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value and _DATE.fullmatch(str(value)) else None
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and str(value) else None
