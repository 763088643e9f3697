"""``caseflow export``: one client's record in another system's format (a FHIR Bundle, say), or
the whole agency's clients of a period (the HUD HMIS CSV).

An export names the client, so it runs only for the roles allowed identified reports, and each is
written to the access record. One that goes to an outside recipient (``--to``) is a disclosure and
passes the same consent gate as a referral (standards §4.4): a release on file must name that
recipient and cover the purpose and the information, today. An agency-wide export writes one
entry per client it carries.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from caseflow.core import access_record as audit
from caseflow.core.names import unknown_name
from caseflow.errors import CaseflowError, NotAllowed, NotFound, UsageError
from caseflow.referrals.coverage import Disclosure, find_covering
from caseflow.referrals.directory import find_service
from caseflow.referrals.directory_files import directories
from caseflow.reporting.model import AgencyExport, AgencyExportInputs, Exporter, ExportInputs

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.session import Session


#: What a release must list (``information_covered``) for a member's place in a household to go
#: with another member's export to that recipient.
HOUSEHOLD_INFORMATION = "Household membership"


def household_shares(repo: Session, client_id: str, disclosure: Disclosure | None) -> list[dict[str, Any]]:
    """The client's households as an export may carry them: the client; another client member
    only when the export goes to a recipient (``disclosure``) and that member's own release covers
    it (``Household membership`` to that recipient, for that purpose, today); a member who is not
    a client only in the count. The family plan keeps only the objectives of members shown."""
    from caseflow.households import actions, model
    from caseflow.referrals.lifecycle import consent_facts, consents_on_file

    shares = []
    for household_id in model.households_of(repo, client_id):
        household = model.load(repo, household_id)
        shown = []
        for member in household.members:
            if member.client is None:
                continue
            if member.client != client_id:
                if disclosure is None:
                    continue
                theirs = replace(
                    disclosure,
                    client_id=member.client,
                    information=frozenset([HOUSEHOLD_INFORMATION]),
                    part2=bool(repo.client_record(member.client).get("part2")),
                )
                facts = consent_facts(repo, member.client)
                if not find_covering(consents_on_file(repo, member.client), theirs, facts).ok:
                    continue
            shown.append({"member": member.id, "client": member.client})
        ids = {m["member"] for m in shown}
        plan = household.plan
        shares.append(
            {
                "id": household_id,
                "quantity": len(household.members),
                "members": shown,
                "plan": None
                if plan is None
                else _plan_share(plan.data, ids) | {"status": actions.plan_status(repo, household)["status"]},
            }
        )
    return shares


def _plan_share(data: Mapping[str, Any], shown: set[str]) -> dict[str, Any]:
    goals = []
    for goal in data.get("goals") or []:
        if not isinstance(goal, Mapping):
            continue
        objectives = [o for o in goal.get("objectives") or [] if isinstance(o, Mapping) and o.get("member") in shown]
        goals.append(
            {k: goal[k] for k in ("id", "title", "status", "domain", "target_date") if k in goal}
            | {"objectives": objectives}
        )
    return {k: data[k] for k in ("review_date", "created", "author") if k in data} | {"goals": goals}


def export(
    repo: Session,
    actor: Staff,
    client_id: str,
    fmt: str,
    *,
    to: str | None = None,
    purpose: str | None = None,
    information: Sequence[str] = (),
) -> bytes:
    from caseflow.referrals.lifecycle import ConsentRequired, consent_facts, consents_on_file

    exporter = find_exporter(repo, fmt)
    if exporter.export is None:
        raise UsageError(
            f"{fmt} exports every client of a period, not one: caseflow export --format {fmt} --from D --to D --out DIR"
        )
    _check_role(repo, actor)
    services = [s for d in directories(repo) for s in d.services]
    covering = None
    disclosure = None
    if to is not None:
        if not purpose:
            raise UsageError("an export to a recipient needs --purpose: why it goes there (a consent must cover it)")
        recipient = find_service(services, to)
        if recipient is None:
            raise NotFound(f"'{to}' is not a provider or service in the directories (caseflow providers search)")
        record = repo.client_record(client_id)
        disclosure = Disclosure(
            client_id,
            recipient.organization_id or recipient.id,
            purpose,
            frozenset([*exporter.information, *information]),  # what the export carries, not only what is said
            bool(record.get("part2")),
            repo.today().isoformat(),
            service=recipient.id,
        )
        check = find_covering(consents_on_file(repo, client_id), disclosure, consent_facts(repo, client_id))
        if not check.ok:
            raise ConsentRequired(f"export of {client_id}", check, action="cannot go to " + to)
        covering = check.covering
    inputs = ExportInputs(
        case=repo.case(client_id),
        agency=repo.config.agency,
        staff={m.id: {"name": m.name, "email": m.email, "role": m.role} for m in repo.config.staff},
        services={s.id: {"name": s.name, "organization": s.organization} for s in services}
        | {s.organization_id: {"name": s.organization, "organization": s.organization} for s in services},
        today=repo.today(),
        households=household_shares(repo, client_id, disclosure),
    )
    data = exporter.export(inputs)
    audit.record(
        repo.root, who=actor.id, action=f"export {fmt}", what=to or "inside the agency", clients=[client_id],
        consent=covering,
    )  # fmt: skip
    return data


def find_exporter(repo: Session, fmt: str) -> Exporter:
    """The export format named ``fmt``, or a refusal naming the formats there are."""
    exporters = repo.host.exporters()
    exporter = exporters.get(fmt)
    if exporter is None:
        if not exporters:
            raise NotFound(f"no export format '{fmt}' (formats: none; install an export plugin, e.g. caseflow-fhir)")
        raise unknown_name("export format", fmt, exporters)
    return exporter


def _check_role(repo: Session, actor: Staff) -> None:
    if actor.role not in repo.config.identified_report_roles:
        allowed = ", ".join(repo.config.identified_report_roles)
        raise NotAllowed(f"an export names clients; only {allowed} may export (reports.identified_roles)")


def export_agency(repo: Session, actor: Staff, fmt: str, start: str, end: str) -> AgencyExport:
    """Every client of the period (``start`` to ``end``, YYYY-MM-DD) in an agency-wide format; each
    client it carries is written to the access record, one entry each."""
    from zoneinfo import ZoneInfo

    from caseflow.core.dates import parse_date

    exporter = find_exporter(repo, fmt)
    if exporter.export_agency is None:
        raise UsageError(f"{fmt} exports one client: caseflow export CLIENT --format {fmt}")
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        raise CaseflowError(f"--from {first} is after --to {last}")
    _check_role(repo, actor)
    rows = [r for r in repo.clients() if r["problem"] is None]
    clock = dt.datetime.now(ZoneInfo(repo.config.timezone))
    inputs = AgencyExportInputs(
        cases=[repo.case(r["id"]) for r in rows],
        start=first,
        end=last,
        agency=repo.config.agency,
        staff={m.id: {"name": m.name, "email": m.email, "role": m.role} for m in repo.config.staff},
        today=repo.today(),
        now=dt.datetime.combine(repo.today(), clock.time().replace(microsecond=0)),
    )
    result = exporter.export_agency(inputs)
    for client_id in result.clients:
        audit.record(repo.root, who=actor.id, action=f"export {fmt}", what=f"{first}..{last}", clients=[client_id])
    return result


def zipped(files: Mapping[str, bytes]) -> bytes:
    """The files of an agency-wide export as one zip, in their order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
