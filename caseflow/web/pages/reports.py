"""*Reports*: the reports as ``caseflow report list`` names them, a period and case manager to run
one for, the report itself as the HTML page ``caseflow report NAME --format html`` writes, and
downloads in every format the report comes in.

The report's HTML is served as it is, in its own response, not inside our layout: it is the very
page the CLI writes (an agency's own template included), already checked by the service to name
no client when it is de-identified. Its ``<style>`` is inline, which our pages' policy forbids;
its response carries its own Content-Security-Policy that allows exactly that style by its
SHA-256 hash, and nothing else (no script, no fetch, no form, no framing).

A report that names clients runs only for the roles in ``reports.identified_roles`` (the
service refuses the rest, as the CLI's), and the service writes each run to the access record.

*HMIS export*: the agency-wide export formats (``caseflow export --format hmis --from D --to D``)
for a period, downloaded as one zip of their files; the same roles, and the service writes one
access-record entry per client exported.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.errors import CaseflowError, NotAllowed, NotFound
from caseflow.web.pages import session
from caseflow.web.render import page
from caseflow.web.security import OWN_POLICY_HEADER

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.repo import CaseRepo

FIELDS = ("report", "month", "start", "end", "worker", "format")
MEDIA = {"html": "text/html", "md": "text/markdown", "csv": "text/csv"}
FORMAT_WORDS = {"html": "HTML", "md": "Markdown", "csv": "CSV (spreadsheet)"}
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)


EXPORT_FIELDS = ("export_format", "export_start", "export_end")


async def reports(request: Request) -> Response:
    """The list of reports and the form to run one."""
    values = {key: "" for key in (*FIELDS, *EXPORT_FIELDS)} | {"format": "html"}
    if request.query_params.get("report"):
        values["report"] = str(request.query_params["report"])
    with session(request, "reports") as (repo, actor):
        return _form_page(request, repo, actor, values)


async def run(request: Request) -> Response:
    """A report for the period and worker chosen: viewed (its HTML page) or downloaded."""
    query = request.query_params
    values = {key: str(query.get(key) or "").strip() for key in FIELDS} | {key: "" for key in EXPORT_FIELDS}
    download = query.get("action") == "download"
    fmt = values["format"] if download else "html"
    with session(request, "reports") as (repo, actor):
        errors: dict[str, str] = {}
        if not values["report"]:
            errors["report"] = "choose a report"
        if download and fmt not in MEDIA:
            errors["format"] = "choose a format: HTML, Markdown or CSV"
        if values["month"] and (values["start"] or values["end"]):
            errors["month"] = "give a month, or a first and last day, not both"
        if not errors:
            try:
                rendered = repo.reporting.report(
                    actor,
                    values["report"],
                    fmt=fmt,
                    month=values["month"] or None,
                    start=values["start"] or None,
                    end=values["end"] or None,
                    worker=values["worker"] or None,
                )
            except CaseflowError as exc:
                field = _field_of(str(exc))
                status = 403 if isinstance(exc, NotAllowed) else 404 if isinstance(exc, NotFound) else 400
                return _form_page(request, repo, actor, values, status, {field: str(exc)})
        if errors:
            return _form_page(request, repo, actor, values, 400, errors)
    if download:
        name = re.sub(r"[^\w.-]", "-", f"{rendered.report.id}-{rendered.start}-to-{rendered.end}.{fmt}")
        return Response(
            rendered.text,
            media_type=f"{MEDIA[fmt]}; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
    return report_response(rendered.text)


async def export(request: Request) -> Response:
    """An agency-wide export (the HMIS CSV) for a period, downloaded as a zip of its files."""
    from caseflow.reporting.exports import zipped

    query = request.query_params
    values = {key: "" for key in FIELDS} | {"format": "html"}
    values |= {key: str(query.get(key) or "").strip() for key in EXPORT_FIELDS}
    fmt = values["export_format"]
    with session(request, "reports") as (repo, actor):
        errors: dict[str, str] = {}
        if not values["export_start"]:
            errors["export_start"] = "give the period's first day"
        if not values["export_end"]:
            errors["export_end"] = "give the period's last day"
        if fmt not in _agency_formats(repo):
            errors["export_format"] = "choose an export format"
        if errors:
            return _form_page(request, repo, actor, values, 400, errors)
        try:
            result = repo.reporting.export_agency(actor, fmt, values["export_start"], values["export_end"])
        except CaseflowError as exc:
            message = str(exc)
            field = "export_start" if "--from" in message else "export_end" if "--to" in message else ""
            status = 403 if isinstance(exc, NotAllowed) else 404 if isinstance(exc, NotFound) else 400
            return _form_page(request, repo, actor, values, status, {field: message})
    name = re.sub(r"[^\w.-]", "-", f"{fmt}-{values['export_start']}-to-{values['export_end']}.zip")
    return Response(
        zipped(result.files),
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _agency_formats(repo: CaseRepo) -> dict[str, str]:
    """The agency-wide export formats: id -> title."""
    return {e.id: e.title for e in repo.host.exporters().values() if e.agency_wide}


def report_response(html: str) -> Response:
    """A report's own HTML page, allowed its own inline ``<style>`` (by hash) and nothing more."""
    hashes = sorted({_sha256(style) for style in _STYLE.findall(html)})
    styles = " ".join(f"'sha256-{h}'" for h in hashes) or "'none'"
    policy = (
        f"default-src 'none'; style-src {styles}; img-src data:; form-action 'none'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"content-security-policy": policy, OWN_POLICY_HEADER: "report"},
    )


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _field_of(message: str) -> str:
    """Which field of the form a refusal is about: the first the CLI's message names."""
    markers = {"--period": "month", "--from": "start", "--to": "end", "staff member": "worker", "comes as": "format"}
    named = sorted((message.find(m), field) for m, field in markers.items() if m in message)
    if named:
        return named[0][1]
    return "report" if "no report" in message else ""


def _form_page(
    request: Request,
    repo: CaseRepo,
    actor: Staff,
    values: dict[str, str],
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    allowed = actor.role in repo.config.identified_report_roles
    listing: list[dict[str, Any]] = [
        {
            "id": r.id,
            "title": r.title,
            "description": r.description,
            "identified": r.identified,
            "formats": [f for f in r.formats if f in MEDIA],
            "may_run": allowed or not r.identified,
        }
        for r in repo.host.reports().values()
    ]
    return page(
        request,
        "reports.html",
        status_code=status_code,
        reports=listing,
        values=values,
        errors=errors or {},
        workers=[s.id for s in repo.config.staff if s.role == "case_manager"],
        identified_roles=", ".join(repo.config.identified_report_roles),
        formats=FORMAT_WORDS,
        today=repo.today().isoformat(),
        may_export=allowed,
        export_formats=_agency_formats(repo),
    )


routes = [
    Route("/reports", reports),
    Route("/reports/run", run),
    Route("/reports/export", export),
]
