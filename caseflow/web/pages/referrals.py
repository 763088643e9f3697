"""*Referrals*: provider search, referring, consents, the packet and status updates of one client.

Every write is the call the CLI makes, so each is the same single commit by the person acting:
``caseflow refer`` (``repo.referrals.refer``: a draft, nothing sent yet), ``caseflow referral
--status`` (``repo.referrals.change_status``: sending it, ``requested``, needs a consent that covers
it), ``caseflow consent`` (``repo.referrals.record_consent``). A refusal shows its reason in words
next to the form it came from, nothing written, and offers to record a consent. The packet is a
disclosure: ``repo.referrals.packet`` writes it to the access record exactly as ``caseflow referral
packet`` does. The provider search is ``caseflow providers search`` over the same directories.

Search words and everything typed in a form travel in POST bodies, never in a URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from caseflow.core import access_record
from caseflow.core.ids import check_client_id, check_document_id
from caseflow.errors import CaseflowError, InvalidId, NotFound
from caseflow.referrals.directory import STATUSES
from caseflow.web.pages import see_other, session, tell
from caseflow.web.render import page

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.referrals.directory import Directory
    from caseflow.referrals.provider_search import Match
    from caseflow.repo import CaseRepo

#: The search form's fields, empty.
SEARCH_FIELDS = ("category", "language", "text", "near", "within", "town", "open", "age", "status", "accepting")
#: Which search field a refusal of the search service is about (its CLI option, or the name it refuses).
SEARCH_REFUSALS = (
    ("--within", "within"),
    ("--open", "open"),
    ("--age", "age"),
    ("no category", "category"),
    ("no language", "language"),
    ("no status", "status"),
    ("postal code", "near"),
)
REFER_FIELDS = ("service_id", "purpose", "information", "reason", "goal", "part2")
STATUS_FIELDS = ("status", "note", "reason", "emergency")
CONSENT_FIELDS = (
    "kind",
    "recipients",
    "other_recipients",
    "purposes",
    "information",
    "expiry_kind",
    "expires",
    "duration_amount",
    "duration_unit",
    "expiry_referral",
    "part2",
    "signed_on",
    "signed_by",
    "relationship",
    "authority",
    "minor_consent_basis",
    "note",
    "referral",
)
#: The expiry choices of the consent form (``expiry_kind``) and the units of a duration.
EXPIRY_KINDS = ("date", "discharge", "end-of-referral", "duration", "open-ended")
DURATION_UNITS = ("days", "weeks", "months", "years")
#: The CLI options the services name in their refusals, and the web form's field (and label) for each.
CONSENT_OPTIONS = {
    "--to": ("recipients", "Recipients"),
    "--purpose": ("purposes", "Purposes"),
    "--information": ("information", "Information covered"),
    "--expires": ("expiry", "Expiry date"),
    "--expiry-event": ("expiry", "Expiry"),
    "--referral": ("expiry", "Referral it covers"),
    "minor_consent_basis": ("minor_consent_basis", "Minor-consent basis"),
    "--signed-on": ("signed_on", "Date signed"),
    "--signed-by": ("signed_by", "Signed by"),
    "--relationship": ("relationship", "Signer's relationship"),
    "--authority": ("authority", "Authority of the representative"),
    "--treatment": ("kind", "Kind of consent"),
}
REFER_OPTIONS = {
    "--purpose": ("purpose", "Purpose"),
    "--information": ("information", "Information sent"),
    "--no-part2": ("part2", "42 CFR Part 2 records"),
    "--part2": ("part2", "42 CFR Part 2 records"),
}


def _client_id(request: Request) -> str:
    return check_client_id(str(request.path_params["client_id"]))


def _referral_id(request: Request) -> str:
    return check_document_id(str(request.path_params["referral_id"]), "referral")


def _lines(text: str) -> list[str]:
    """One entry a line (commas inside an entry stay: "Diagnosis, treatment history")."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _typed(form: Mapping[str, Any], names: Sequence[str]) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in names}


def _place(exc: Exception, options: Mapping[str, tuple[str, str]]) -> tuple[str, list[str]]:
    """A service's refusal in the web form's words, and the fields it names (its CLI options)."""
    message = str(exc)
    fields = []
    for option in sorted(options, key=len, reverse=True):
        pattern = re.compile(re.escape(option) + r"(?![\w-])")
        if pattern.search(message):
            field, label = options[option]
            fields.append(field)
            message = pattern.sub(f"“{label}”", message)
    return message, list(dict.fromkeys(fields))


# -- the page: referrals, consents, search ---------------------------------------------------------


async def overview(request: Request) -> Response:
    client_id = _client_id(request)
    with session(request, "caseload") as (repo, actor):
        return _overview_page(request, repo, actor, client_id)


async def search(request: Request) -> Response:
    """The provider search, as ``caseflow providers search`` does it (a POST: what is typed stays out of URLs)."""
    client_id = _client_id(request)
    form = await request.form()
    values = _typed(form, SEARCH_FIELDS)
    with session(request, "caseload") as (repo, actor):
        repo.client_dir(client_id)
        try:
            ranked, found = _search(repo, values)
        except _SearchError as exc:
            return _overview_page(
                request, repo, actor, client_id, search_values=values, search_error=(exc.field, exc.message)
            )
        return _overview_page(request, repo, actor, client_id, search_values=values, results=found, ranking=ranked)


class _SearchError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _search(repo: CaseRepo, values: dict[str, str]) -> tuple[str, list[Match]]:
    """The same search service as ``caseflow providers search``; a refusal names its field."""
    within: float | None = None
    if values["within"]:
        try:
            within = float(values["within"])
        except ValueError:
            raise _SearchError("within", f"{values['within'][:20]!r} is not a number of kilometres") from None
    if within is not None and not values["near"]:
        raise _SearchError("near", "a distance needs a place to measure from: give a postal code or latitude,longitude")
    try:
        return repo.referrals.search_providers(
            categories=[values["category"]] if values["category"] else [],
            text=values["text"],
            language=values["language"],
            near=values["near"],
            within_km=within,
            town=values["town"],
            open_at=values["open"],
            age=values["age"],
            statuses=[values["status"]] if values["status"] else [],
            accepting=bool(values["accepting"]),
        )
    except CaseflowError as exc:
        message = str(exc)
        field = next((name for said, name in SEARCH_REFUSALS if said in message), "form")
        raise _SearchError(field, message) from None


def _choices(directories: Sequence[Directory]) -> tuple[list[str], list[str]]:
    """The categories (with every parent) and languages the directories know, for the search form."""
    categories: set[str] = set()
    languages: set[str] = set()
    for directory in directories:
        categories.update(directory.categories())
        for service in directory.services:
            languages.update(language.lower() for language in service.languages)
    return sorted(c for c in categories if c), sorted(language for language in languages if language)


def _overview_page(
    request: Request,
    repo: CaseRepo,
    actor: Staff,
    client_id: str,
    *,
    search_values: dict[str, str] | None = None,
    search_error: tuple[str, str] | None = None,
    results: list[Match] | None = None,
    ranking: str = "",
    refused: Mapping[str, Any] | None = None,
) -> Response:
    from caseflow.referrals.coverage import find_covering
    from caseflow.referrals.lifecycle import SENT_STATUSES, TRANSITIONS, consents_on_file, disclosure_of
    from caseflow.referrals.status import last_change, stale_since

    record = repo.client_record(client_id)
    today = repo.today()
    days = repo.referrals.stale_after_days()
    case = repo.case(client_id)
    facts = repo.referrals.consent_facts(client_id)
    try:
        on_file = consents_on_file(repo, client_id)
        consents_problem = None
    except CaseflowError as exc:
        on_file, consents_problem = [], str(exc)
    referrals = []
    for document in case.by_form("core.referral"):
        data = dict(document.data)
        status = str(data.get("status"))
        coverage = None
        if status == "draft":
            try:
                check = find_covering(on_file, disclosure_of(data, client_id, today.isoformat()), facts)
                coverage = {"ok": check.ok, "covering": check.covering, "reasons": check.refusal()}
            except CaseflowError as exc:
                coverage = {"ok": False, "covering": None, "reasons": [str(exc)]}
        referrals.append(
            {
                "id": data.get("id"),
                "data": data,
                "status": status,
                "since": last_change(data),
                "stale": stale_since(data, today, days),
                "next": sorted(TRANSITIONS.get(status, ())),
                "sent": status in SENT_STATUSES,
                "coverage": coverage,
            }
        )
    consents = [row | {"recipients": row["recipient_names"]} for row in repo.referrals.consent_statuses(client_id)]
    directories = repo.referrals.directories()
    categories, languages = _choices(directories)
    broken = [source.id for source in repo.referrals.directory_sources() if source.error]
    access_record.record(repo.root, who=actor.id, action="web", what="referrals page", clients=[client_id])
    failed = bool(search_error or refused)
    return page(
        request,
        "referrals.html",
        status_code=400 if failed else 200,
        client_id=client_id,
        record=record,
        referrals=referrals,
        consents=consents,
        consents_problem=consents_problem,
        categories=categories,
        languages=languages,
        broken=broken,
        search=search_values or dict.fromkeys(SEARCH_FIELDS, ""),
        search_error=search_error,
        results=results,
        ranking=ranking,
        statuses=STATUSES,
        refused=refused or {},
        stale_days=days,
    )


# -- referring -------------------------------------------------------------------------------------


def _service(repo: CaseRepo, service_id: str) -> Any:
    from caseflow.referrals.directory import find_service

    if not service_id:
        return None
    return find_service([s for d in repo.referrals.directories() for s in d.services], service_id)


def _goals(repo: CaseRepo, client_id: str) -> list[Mapping[str, Any]]:
    plans = repo.case(client_id).by_form("core.plan")
    goals = plans[0].data.get("goals") if plans else None
    return [g for g in goals or [] if isinstance(g, Mapping)]


async def new_referral(request: Request) -> Response:
    """The referral form for one service found (the service id is a directory id, not typed text)."""
    client_id = _client_id(request)
    service_id = str(request.query_params.get("service") or "")
    with session(request, "caseload") as (repo, _actor):
        repo.client_dir(client_id)
        service = _service(repo, service_id)
        if service is None:
            raise NotFound(f"no service {service_id[:60]!r} in the directories: search for one first")
        values = dict.fromkeys(REFER_FIELDS, "") | {"service_id": service.id}
        return _refer_page(request, repo, client_id, values)


def _refer_page(
    request: Request,
    repo: CaseRepo,
    client_id: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    error: str | None = None,
) -> Response:
    record = repo.client_record(client_id)
    return page(
        request,
        "referral_new.html",
        status_code=400 if errors or error else 200,
        client_id=client_id,
        record=record,
        service=_service(repo, values["service_id"]),
        goals=_goals(repo, client_id),
        values=values,
        errors=errors or {},
        error=error,
    )


async def refer(request: Request) -> Response:
    """Draft a referral, as ``caseflow refer`` does: one commit; nothing is sent yet."""
    client_id = _client_id(request)
    form = await request.form()
    values = _typed(form, REFER_FIELDS)
    with session(request) as (repo, actor):
        repo.client_dir(client_id)
        errors: dict[str, str] = {}
        if not values["purpose"]:
            errors["purpose"] = "Say why the information is shared; a consent must cover this purpose."
        if not _lines(values["information"]):
            errors["information"] = "List the information to be sent, one item a line; a consent must cover each."
        if values["part2"] not in ("", "yes", "no"):
            errors["part2"] = "Choose the client's default, yes or no."
        if _service(repo, values["service_id"]) is None:
            errors["service_id"] = "This service is not in the directories (any more): search again."
        if errors:
            return _refer_page(request, repo, client_id, values, errors)
        try:
            saved = repo.referrals.refer(
                actor,
                client_id,
                values["service_id"],
                reason=values["reason"] or None,
                goal=values["goal"] or None,
                purpose=values["purpose"],
                information=_lines(values["information"]),
                part2={"yes": True, "no": False}.get(values["part2"]),
            )
        except InvalidId:
            raise
        except CaseflowError as exc:
            message, fields = _place(exc, REFER_OPTIONS)
            if "goal" in message and "plan" in message:
                fields.append("goal")
            if not fields:
                return _refer_page(request, repo, client_id, values, error=message)
            return _refer_page(request, repo, client_id, values, dict.fromkeys(fields, message))
    referral_id = saved.path.rsplit("/", 1)[-1].removesuffix(".yaml")
    tell(request, f"Referral {referral_id} drafted. Nothing is sent yet: send it below once a consent covers it.")
    return see_other(f"/clients/{client_id}/referrals#{referral_id}")


async def change_status(request: Request) -> Response:
    """Move a referral on, as ``caseflow referral CLIENT REF --status ...`` does; sending needs consent."""
    from caseflow.referrals.lifecycle import ConsentRequired

    client_id = _client_id(request)
    referral_id = _referral_id(request)
    form = await request.form()
    values = _typed(form, STATUS_FIELDS)
    with session(request, "caseload") as (repo, actor):
        repo.client_dir(client_id)
        from caseflow.referrals.lifecycle import referral_path

        referral_path(repo, client_id, referral_id)  # an unknown referral is a 404
        if not values["status"]:
            return _overview_page(
                request,
                repo,
                actor,
                client_id,
                refused={"id": referral_id, "lines": ["Choose the status it moves to."], "values": values},
            )
        try:
            saved = repo.referrals.change_status(
                actor,
                client_id,
                referral_id,
                values["status"],
                values["note"] or None,
                values["reason"] or None,
                values["emergency"] or None,
            )
        except (NotFound, InvalidId):
            raise
        except CaseflowError as exc:
            lines = exc.lines()
            return _overview_page(
                request,
                repo,
                actor,
                client_id,
                refused={
                    "id": referral_id,
                    "lines": [line.strip().removeprefix("- ") for line in lines],
                    "values": values,
                    "consent": isinstance(exc, ConsentRequired),
                },
            )
        data = repo.read_document(saved.path).plain()
    under = f" under consent {data.get('consent')}" if values["status"] == "requested" and data.get("consent") else ""
    tell(request, f"Referral {referral_id} is now {values['status']}{under}.")
    return see_other(f"/clients/{client_id}/referrals#{referral_id}")


async def packet(request: Request) -> Response:
    """The packet the recipient gets (``caseflow referral packet``): a disclosure, in the access record."""
    from caseflow.referrals.lifecycle import ConsentRequired, referral_path

    client_id = _client_id(request)
    referral_id = _referral_id(request)
    with session(request, "caseload") as (repo, actor):
        repo.client_dir(client_id)
        referral_path(repo, client_id, referral_id)
        try:
            rendered = repo.referrals.packet(actor, client_id, referral_id)
        except (NotFound, InvalidId):
            raise
        except CaseflowError as exc:
            return page(
                request,
                "referral_packet.html",
                status_code=400,
                client_id=client_id,
                referral_id=referral_id,
                packet=None,
                refusal=[line.strip().removeprefix("- ") for line in exc.lines()],
                consent_missing=isinstance(exc, ConsentRequired),
            )
        return page(
            request,
            "referral_packet.html",
            client_id=client_id,
            referral_id=referral_id,
            packet=rendered,
            refusal=[],
            consent_missing=False,
        )


# -- recording a consent ---------------------------------------------------------------------------


def _candidates(repo: CaseRepo, client_id: str) -> list[dict[str, str]]:
    """The providers this client is referred to: the recipients a release most often names."""
    seen: dict[str, dict[str, str]] = {}
    for document in repo.case(client_id).by_form("core.referral"):
        data = document.data
        provider = str(data.get("provider") or "")
        if provider and provider not in seen:
            seen[provider] = {"id": provider, "name": str(data.get("provider_name") or provider)}
        service_id = str(data.get("service_id") or "")
        if service_id and service_id not in seen and service_id != provider:
            name = f"{data.get('provider_name') or provider}: {data.get('service') or service_id}"
            seen[service_id] = {"id": service_id, "name": f"{name} (this service only)"}
    return list(seen.values())


async def new_consent(request: Request) -> Response:
    """GET: the consent form (``?referral=R-...``: filled in from that referral). POST: record it."""
    client_id = _client_id(request)
    with session(request, "caseload") as (repo, actor):
        record = repo.client_record(client_id)
        today = repo.today().isoformat()
        if request.method == "GET":
            values = dict.fromkeys(CONSENT_FIELDS, "") | {
                "kind": "release",
                "signed_on": today,
                "relationship": "self",
                "expiry_kind": "date",
                "duration_unit": "years",
            }
            chosen: list[str] = []
            referral_id = request.query_params.get("referral")
            if referral_id:
                from caseflow.referrals.lifecycle import referral_path

                data = repo.read_document(referral_path(repo, client_id, referral_id)).plain()
                chosen = [str(data.get("provider") or "")]
                values |= {
                    "purposes": str(data.get("purpose") or ""),
                    "information": "\n".join(str(i) for i in data.get("information") or []),
                    "part2": "yes" if data.get("part2") else "",
                    "referral": referral_id,
                    "expiry_referral": referral_id,
                }
            elif record.get("part2") is True:
                values["part2"] = "yes"
            return _consent_page(request, repo, client_id, record, values, chosen)
        form = await request.form()
        values = _typed(form, CONSENT_FIELDS)
        values["expiry_kind"] = values["expiry_kind"] or "date"  # a date is the plain answer (and the default)
        chosen = [str(v) for v in form.getlist("recipient") if str(v).strip()]
        if values["referral"]:
            check_document_id(values["referral"], "referral")
        errors = _consent_errors(values)
        if errors:
            return _consent_page(request, repo, client_id, record, values, chosen, errors)
        from caseflow.referrals.consents import ConsentTerms

        treatment = values["kind"] == "treatment"
        recipients = list(dict.fromkeys([*chosen, *_lines(values["other_recipients"])]))
        terms = ConsentTerms(
            recipients=recipients,
            purposes=_lines(values["purposes"]),
            information=_lines(values["information"]),
            expires_on=(values["expires"] or None) if values["expiry_kind"] == "date" else None,
            expiry_event=_expiry_event(values),
            referral=(values["expiry_referral"] or None) if values["expiry_kind"] == "end-of-referral" else None,
            minor_consent_basis=values["minor_consent_basis"] or None,
            part2=values["part2"] == "yes",
            treatment=treatment,
            signed_on=values["signed_on"] or None,
            signed_by=values["signed_by"] or None,
            relationship=values["relationship"] or "self",
            authority=values["authority"] or None,
            notes=values["note"] or None,
        )
        try:
            saved = repo.referrals.record_consent(actor, client_id, terms)
        except InvalidId:
            raise
        except CaseflowError as exc:
            message, fields = _place(exc, CONSENT_OPTIONS)
            if isinstance(exc, NotFound) and "directory id" in message:
                fields.append("recipients")
            if not fields:
                return _consent_page(request, repo, client_id, record, values, chosen, {"form": message})
            return _consent_page(request, repo, client_id, record, values, chosen, dict.fromkeys(fields, message))
    consent_id = saved.path.rsplit("/", 1)[-1].removesuffix(".yaml")
    tell(request, f"Consent {consent_id} recorded.")
    anchor = f"#{values['referral']}" if values["referral"] else "#consents"
    return see_other(f"/clients/{client_id}/referrals{anchor}")


def _consent_errors(values: dict[str, str]) -> dict[str, str]:
    """What the form itself can tell before the service decides (the service checks everything again)."""
    errors = {}
    if values["kind"] not in ("release", "treatment"):
        errors["kind"] = "Choose a release of information or a treatment consent."
    if values["relationship"] not in ("", "self", "parent", "guardian", "personal-representative"):
        errors["relationship"] = "Choose who signed."
    if values["part2"] not in ("", "yes"):
        errors["part2"] = "Tick it or leave it."
    if values["kind"] == "release":
        if values["expiry_kind"] not in EXPIRY_KINDS:
            errors["expiry"] = "Choose when the consent expires: a date, discharge, the end of the referral or a time."
        elif values["expiry_kind"] == "duration" and not (
            re.fullmatch(r"[1-9]\d{0,3}", values["duration_amount"]) and values["duration_unit"] in DURATION_UNITS
        ):
            errors["expiry"] = "Give the time after signing as a whole number of days, weeks, months or years."
    return errors


def _expiry_event(values: Mapping[str, str]) -> str | None:
    """The form's expiry choice as the service takes it (``1 year``, ``discharge``); a date is not an event."""
    kind = values["expiry_kind"]
    if values["kind"] != "release" or kind == "date":
        return None
    if kind == "duration":
        return f"{values['duration_amount']} {values['duration_unit']}"
    return {"discharge": "discharge", "end-of-referral": "end of referral", "open-ended": "end of treatment"}.get(kind)


def _consent_page(
    request: Request,
    repo: CaseRepo,
    client_id: str,
    record: Mapping[str, Any],
    values: dict[str, str],
    chosen: list[str],
    errors: dict[str, str] | None = None,
) -> Response:
    candidates = _candidates(repo, client_id)
    known = {c["id"] for c in candidates}
    return page(
        request,
        "consent_new.html",
        status_code=400 if errors else 200,
        client_id=client_id,
        record=record,
        values=values,
        candidates=candidates,
        chosen=chosen,
        unknown_chosen=[c for c in chosen if c not in known],
        referrals=[
            {"id": d.data.get("id"), "provider": d.data.get("provider_name") or d.data.get("provider")}
            for d in repo.case(client_id).by_form("core.referral")
        ],
        units=DURATION_UNITS,
        errors=errors or {},
        today=repo.today().isoformat(),
    )


routes = [
    Route("/clients/{client_id}/referrals", overview),
    Route("/clients/{client_id}/referrals", refer, methods=["POST"]),
    Route("/clients/{client_id}/referrals/search", search, methods=["POST"]),
    Route("/clients/{client_id}/referrals/new", new_referral),
    Route("/clients/{client_id}/referrals/{referral_id}/status", change_status, methods=["POST"]),
    Route("/clients/{client_id}/referrals/{referral_id}/packet", packet),
    Route("/clients/{client_id}/consents/new", new_consent, methods=["GET", "POST"]),
]
