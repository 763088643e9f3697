"""*Forms*: every form (built-in, plugin, agency) rendered from its JSON Schema; a new document,
an edit of one, a contact (visit) note, and the Markdown preview.

Each write is the CLI's own service call, so it is the commit the CLI would make: a new document
is ``caseflow new`` (``repo.records.new_document``), an edit is ``caseflow set`` on the fields
that changed (``repo.records.save_document``), a contact is ``caseflow visit``
(``repo.followup.record_visit``). The server validates; a refusal shows the page again with every
value as typed and each problem at its field. An edit carries the git blob id of the document as
it was opened: if it changed since, both versions are shown and nothing is written until the
person chooses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from caseflow.core import access_record
from caseflow.core.case import blob_id
from caseflow.core.forms import FORM_ID, Form
from caseflow.core.ids import check_client_id
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import CaseflowError, DocumentError, NotAllowed, NotFound
from caseflow.records.actions import DRAFTS_DIR, MANAGED_FORMS, StaleDocument, skeleton_context
from caseflow.web import schema_form
from caseflow.web.pages import see_other, session, tell
from caseflow.web.render import markdown, page

#: Forms with a page of their own, where the generic form would miss what that page does.
OWN_PAGES = {"core.visit": "visit"}
#: Screening instruments' forms: administered on the Screening page (``caseflow screen``).
INSTRUMENTS = "instruments."
#: The form field that holds a Markdown note's text.
BODY = "_body"
#: How much of a note the live preview renders.
PREVIEW_LIMIT = 200_000


def _client_id(request: Request) -> str:
    client_id = request.path_params["client_id"]
    check_client_id(client_id)
    return str(client_id)


def _posted(form: FormData) -> dict[str, str]:
    """The posted values, one string each (no uploads)."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _startable(form: Form) -> bool:
    return form.id not in MANAGED_FORMS and form.id != "core.client"


def _seen(repo: Any, actor: Any, client_id: str, what: str) -> None:
    access_record.record(repo.root, who=actor.id, action="web", what=what, clients=[client_id])


# -- the forms one can start -----------------------------------------------------------------------


async def choose(request: Request) -> Response:
    client_id = _client_id(request)
    with session(request, "caseload") as (repo, _actor):
        base = repo.client_dir(client_id)
        rows = []
        for form in sorted(repo.forms.values(), key=lambda f: f.title.lower()):
            if not _startable(form):
                continue
            exists = form.singleton and (repo.root / base / form.path).exists()
            own = OWN_PAGES.get(form.id)
            if exists:
                href = f"/clients/{client_id}/edit/{form.path}"
            elif own:
                href = f"/clients/{client_id}/{own}"
            elif form.id.startswith(INSTRUMENTS):
                href = f"/clients/{client_id}/screen"
            else:
                href = f"/clients/{client_id}/new/{form.id}"
            rows.append({"form": form, "href": href, "exists": exists})
        return page(request, "form_choose.html", client_id=client_id, rows=rows)


# -- a new document ------------------------------------------------------------------------------


def _form_for_new(repo: Any, form_id: str) -> Form:
    if not FORM_ID.match(form_id):
        raise NotFound(f"unknown form '{form_id[:60]}'")
    form: Form = repo.form(form_id)  # NotFound: 404
    if not _startable(form):
        what = MANAGED_FORMS.get(form.id, "intake")
        raise NotAllowed(f"{form.title} is written only by {what}, never as a form")
    return form


def _skeleton(repo: Any, actor: Any, client_id: str, form: Form) -> tuple[dict[str, Any], str]:
    """The new document as ``caseflow new`` starts it: the form's skeleton, rendered for this client."""
    from caseflow.core.documents import load_plain
    from caseflow.core.skeletons import render_skeleton

    context = skeleton_context(repo, actor, client_id, [])
    text = render_skeleton(form, repo.root / "templates", context)
    data, body = load_plain(f"new/{form.path}", text.encode("utf-8"))
    return data, body


async def new(request: Request) -> Response:
    client_id = _client_id(request)
    form_id = str(request.path_params["form_id"])
    with session(request, "caseload") as (repo, actor):
        base_dir = repo.client_dir(client_id)
        form = _form_for_new(repo, form_id)
        if form.id.startswith(INSTRUMENTS):  # given item by item and scored on the server: Screening
            return see_other(f"/clients/{client_id}/screen")
        if form.singleton and (repo.root / base_dir / form.path).exists():
            tell(request, f"{client_id} already has a {form.title}; change it here.")
            return see_other(f"/clients/{client_id}/edit/{form.path}")
        skeleton, skeleton_body = _skeleton(repo, actor, client_id, form)
        action = f"/clients/{client_id}/new/{form.id}"
        context: dict[str, Any] = {
            "client_id": client_id,
            "form": form,
            "heading": f"New {form.title}",
            "action": action,
            "submit": f"Save {form.title}",
            "base": "",
            "stale": None,
            "draft": "",
        }
        if request.method == "GET":
            _seen(repo, actor, client_id, f"new {form.id}")
            return _form_page(request, form, skeleton, skeleton_body, {}, context)
        posted = _posted(await request.form())
        data = schema_form.parse(form.schema, posted, skeleton)
        body = _body(posted, form, skeleton_body)
        if _add_or_remove(form, data, posted):
            _seen(repo, actor, client_id, f"new {form.id}")
            return _form_page(request, form, data, body, {}, {**context, "draft": _draft_name(posted)})
        captured: dict[str, Any] = {}

        def finalize(document: Any, tx: Any) -> None:
            # Fields the person emptied leave the skeleton too (the preset only sets fields).
            from caseflow.records.actions import merge_data

            merge_data(document.data, data)
            captured["raw"], captured["path"] = document.to_bytes(), document.path

        previous = _draft_name(posted)
        try:
            saved = repo.records.new_document(
                actor,
                client_id,
                form.id,
                preset={key: value for key, value in data.items() if key != "form"},
                body=body,
                edit=True,  # as `caseflow new --edit`: the draft is kept if it is refused
                editor=lambda _path: None,  # the person has typed it already, in the page
                finalize=finalize,
            )
        except CaseflowError as exc:
            placed, draft = _refusal(exc, captured)
            _drop_draft(repo, previous, client_id, form, keep=draft)
            _seen(repo, actor, client_id, f"new {form.id}")
            return _form_page(request, form, data, body, placed, {**context, "draft": draft}, status=400)
        _drop_draft(repo, previous, client_id, form)
        saved_as = f"{form.title} saved as {saved.path.split('/', 2)[2]}"
        blank = repo.records.incomplete(saved)
        if blank is not None:  # kept to finish later, and said plainly that it does not count yet
            saved_as += f", but {blank}: it counts for nothing until something is written in it"
        tell(request, saved_as + ".")
        return see_other(f"/clients/{client_id}")


def _body(posted: Mapping[str, str], form: Form, default: str) -> str | None:
    """A Markdown note's text as typed (line ends made \\n, ending with one)."""
    if form.kind != "markdown":
        return None
    if BODY not in posted:
        return default
    text = posted[BODY].replace("\r\n", "\n")
    return text if not text or text.endswith("\n") else text + "\n"


def _add_or_remove(form: Form, data: dict[str, Any], posted: Mapping[str, str]) -> bool:
    """ "Add another" or "Remove" pressed: the list changed, nothing is saved (the page again)."""
    if "_add" in posted:
        schema_form.add_item(form.schema, data, posted["_add"])
        return True
    if "_remove" in posted:
        schema_form.remove_item(form.schema, data, posted["_remove"])
        return True
    return False


def _refusal(exc: CaseflowError, captured: Mapping[str, Any]) -> tuple[dict[str, list[str]], str]:
    """The refusal's problems by field, and the draft the service kept (its file name), if any."""
    draft = ""
    if isinstance(exc, DocumentError):
        problems = exc.problems
        first = problems[0].path if problems else ""
        if f"/{DRAFTS_DIR}/" in f"/{first}".replace("\\", "/"):
            draft = first.replace("\\", "/").rsplit("/", 1)[-1]
        placed = schema_form.place_problems(problems, captured.get("raw"), str(captured.get("path", "")))
    else:
        placed = {"": [str(exc)]}
    return placed, draft


_DRAFT_NAME = re.compile(r"(C-[0-9A-Z]+)-([a-z0-9._-]+)-\d{8}T\d{6}(?:-\d+)?\.(?:md|yaml)")


def _draft_name(posted: Mapping[str, str]) -> str:
    name = posted.get("_draft", "")
    return name if _DRAFT_NAME.fullmatch(name) else ""


def _drop_draft(repo: Any, name: str, client_id: str, form: Form, keep: str = "") -> None:
    """The draft of the attempt before this one: superseded by this one's (or saved)."""
    match = _DRAFT_NAME.fullmatch(name)
    if not match or name == keep or match.group(1) != client_id or match.group(2) != form.id:
        return
    (repo.root / DRAFTS_DIR / name).unlink(missing_ok=True)


def _form_page(
    request: Request,
    form: Form,
    data: Mapping[str, Any],
    body: str | None,
    placed: Mapping[str, list[str]],
    context: Mapping[str, Any],
    status: int = 200,
) -> HTMLResponse:
    fields = schema_form.build(form.schema, data, placed)
    by_name = {f.name: f for f in schema_form.walk(fields)}
    summary: list[dict[str, str]] = []
    for name, messages in placed.items():
        target = by_name.get(name)
        if name == BODY:
            target_id = "f-body"
        else:
            target_id = target.id if target is not None else ""
        summary.extend({"message": m, "target": target_id, "label": target.label if target else ""} for m in messages)
    return page(
        request,
        "form.html",
        status_code=status,
        fields=fields,
        body=body,
        body_errors=list(placed.get(BODY, [])),
        markdown_note=form.kind == "markdown",
        summary=summary,
        **context,
    )


# -- editing a document --------------------------------------------------------------------------


async def edit(request: Request) -> Response:
    from caseflow.core.documents import load_plain

    client_id = _client_id(request)
    name = str(request.path_params["name"])
    with session(request, "caseload") as (repo, actor):
        path = repo.resolve_document(client_id, name)  # InvalidId (400) for a path-like name, else NotFound
        raw = read_document_bytes(repo.root, path)
        current, current_body = load_plain(path, raw)
        form = repo.forms.get(str(current.get("form")))
        if form is None:
            raise NotFound(f"{name} names no form caseflow knows; `caseflow validate` says more")
        if form.id in MANAGED_FORMS:
            raise NotAllowed(f"{form.title} is written only by {MANAGED_FORMS[form.id]}, never by hand")
        name = path.split("/", 2)[2]
        context: dict[str, Any] = {
            "client_id": client_id,
            "form": form,
            "heading": f"{form.title}: {name}",
            "action": f"/clients/{client_id}/edit/{name}",
            "submit": "Save changes",
            "base": blob_id(raw),
            "stale": None,
            "draft": "",
        }
        _seen(repo, actor, client_id, f"edit {name}")
        if request.method == "GET":
            return _form_page(request, form, current, current_body if form.kind == "markdown" else None, {}, context)
        posted = _posted(await request.form())
        opened = posted.get("_base", "")
        data = schema_form.parse(form.schema, posted, current)
        body = _body(posted, form, current_body)
        if _add_or_remove(form, data, posted):
            return _form_page(request, form, data, body, {}, {**context, "base": opened or blob_id(raw)})
        if opened != blob_id(raw):
            return _stale(request, form, data, body, current, current_body, context)
        captured: dict[str, Any] = {}

        def finalize(document: Any, tx: Any) -> None:
            captured["raw"], captured["path"] = document.to_bytes(), document.path

        try:
            saved = repo.records.save_document(
                actor, client_id, name, data, body=body, base_blob=opened, finalize=finalize
            )
        except StaleDocument:
            return _stale(request, form, data, body, current, current_body, context)
        except CaseflowError as exc:
            placed, _ = _refusal(exc, captured)
            return _form_page(request, form, data, body, placed, {**context, "base": opened}, status=400)
        if saved.commit is None:
            tell(request, f"Nothing to change: {name} already says that.")
        else:
            tell(request, f"{name} saved.")
        return see_other(f"/clients/{client_id}")


def _stale(
    request: Request,
    form: Form,
    mine: Mapping[str, Any],
    my_body: str | None,
    theirs: Mapping[str, Any],
    their_body: str,
    context: Mapping[str, Any],
) -> HTMLResponse:
    """The document changed since it was opened: both versions, and the choice (nothing written)."""
    fields = schema_form.build(form.schema, mine)
    labels = {f.name: f.label for f in schema_form.walk(fields)}
    mine_flat, theirs_flat = _flatten(mine), _flatten(theirs)
    differences = [
        {"label": _label(labels, key), "theirs": theirs_flat.get(key, ""), "mine": mine_flat.get(key, "")}
        for key in sorted(set(mine_flat) | set(theirs_flat), key=_order(mine_flat, theirs_flat))
        if mine_flat.get(key, "") != theirs_flat.get(key, "")
    ]
    if form.kind == "markdown" and my_body is not None and my_body.strip() != their_body.strip():
        differences.append({"label": "Note", "theirs": their_body.strip(), "mine": my_body.strip()})
    stale = {"differences": differences}
    # The form keeps what was typed; saving it now replaces the version that is there now.
    return _form_page(
        request,
        form,
        mine,
        my_body,
        {},
        {**context, "stale": stale, "submit": "Save mine over it"},
        status=409,
    )


def _flatten(data: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(data, Mapping):
        out: dict[str, str] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    if isinstance(data, list):
        if all(not isinstance(v, Mapping | list) for v in data):
            return {prefix[:-1]: ", ".join(schema_form.text_of(v) for v in data)}
        out = {}
        for index, value in enumerate(data):
            out.update(_flatten(value, f"{prefix}{index}."))
        return out
    return {prefix[:-1]: schema_form.text_of(data)}


def _label(labels: Mapping[str, str], key: str) -> str:
    parts = key.split(".")
    words = []
    for depth in range(1, len(parts) + 1):
        step = parts[depth - 1]
        label = labels.get(".".join(parts[:depth]))
        words.append(label or (f"#{int(step) + 1}" if step.isdigit() else step))
    return " › ".join(words)


def _order(*flats: Mapping[str, str]) -> Any:
    seen: dict[str, int] = {}
    for flat in flats:
        for key in flat:
            seen.setdefault(key, len(seen))
    return lambda key: seen[key]


# -- a contact (visit) note ------------------------------------------------------------------------


async def visit(request: Request) -> Response:
    from caseflow.followup.actions import Contact

    client_id = _client_id(request)
    with session(request, "caseload") as (repo, actor):
        repo.client_dir(client_id)
        visit_form = repo.form("core.visit")
        kinds = [str(k) for k in visit_form.schema["properties"]["type"].get("enum", [])]
        plans = repo.case(client_id).by_form("core.plan")
        goals = [
            {"id": str(g.get("id")), "title": str(g.get("title") or "")}
            for g in (plans[0].data.get("goals") or [] if plans else [])
            if isinstance(g, Mapping) and g.get("id")
        ]
        _, skeleton_body = _skeleton(repo, actor, client_id, visit_form)
        values: dict[str, Any] = {
            "date": repo.today().isoformat(),
            "type": "",
            "duration": "",
            "note": skeleton_body.strip("\n"),
            "goals": [],
            "facility": "",
            "admitted": "",
            "discharged": "",
            "not_reached": False,
        }
        errors: dict[str, str] = {}
        _seen(repo, actor, client_id, "visit form")
        if request.method == "POST":
            form = await request.form()
            posted = _posted(form)
            for key in ("date", "type", "duration", "facility", "admitted", "discharged"):
                values[key] = posted.get(key, "").strip()
            values["note"] = posted.get("note", "").replace("\r\n", "\n")
            note = str(values["note"])
            values["goals"] = [str(g) for g in form.getlist("goals") if isinstance(g, str)]
            values["not_reached"] = posted.get("not_reached") == "yes"
            duration: int | None = None
            if values["duration"]:
                if values["duration"].isdigit():
                    duration = int(values["duration"])
                else:
                    errors["duration"] = "Duration: give a whole number of minutes"
            if not values["type"]:
                errors["type"] = f"Contact type: choose one of {', '.join(kinds)}"
            if not errors:
                contact = Contact(
                    values["type"],
                    values["date"] or None,
                    duration,
                    tuple(values["goals"]),
                    note if note.strip() and note.strip() != skeleton_body.strip() else None,
                    values["facility"] or None,
                    values["admitted"] or None,
                    values["discharged"] or None,
                    reached=not values["not_reached"],  # an attempt (as --not-reached): not a contact
                )
                try:
                    saved = repo.followup.record_visit(actor, client_id, contact)
                except CaseflowError as exc:
                    errors.update(_visit_errors(exc))
                else:
                    tell(request, f"Contact recorded as {saved.path.split('/', 2)[2]}.")
                    return see_other(f"/clients/{client_id}")
        return page(
            request,
            "visit.html",
            status_code=400 if errors else 200,
            client_id=client_id,
            kinds=kinds,
            goals=goals,
            values=values,
            errors=errors,
        )


#: Which field of the visit page a refusal of ``caseflow visit`` is about (by the option it names).
_VISIT_OPTIONS = {
    "--date": "date",
    "--type": "type",
    "--duration": "duration",
    "--admitted": "admitted",
    "--discharged": "discharged",
    "--facility": "facility",
    "goal": "goals",
    "admitted_on": "admitted",
    "discharged_on": "discharged",
    "duration_minutes": "duration",
    "date": "date",
    "type": "type",
}


def _visit_errors(exc: CaseflowError) -> dict[str, str]:
    messages = [p.message for p in exc.problems] if isinstance(exc, DocumentError) else [str(exc)]
    errors: dict[str, str] = {}
    for message in messages:
        words = message.replace("--", " --")
        field = next((f for o, f in _VISIT_OPTIONS.items() if re.search(rf"(^|[\s'(]){re.escape(o)}\b", words)), "")
        key = field or "general"
        errors[key] = f"{errors[key]}; {message}" if key in errors else message
    return errors


# -- the Markdown preview -------------------------------------------------------------------------


async def preview(request: Request) -> Response:
    """The note as it will read: Markdown rendered without raw HTML and sanitized (an htmx fragment)."""
    form = await request.form()
    text = next((v for k, v in form.items() if k in ("note", BODY) and isinstance(v, str)), "")
    html = markdown(text[:PREVIEW_LIMIT]) if text.strip() else '<p class="help">Nothing to preview yet.</p>'
    return HTMLResponse(str(html))


routes = [
    Route("/clients/{client_id}/new", choose),
    Route("/clients/{client_id}/new/{form_id}", new, methods=["GET", "POST"]),
    Route("/clients/{client_id}/edit/{name:path}", edit, methods=["GET", "POST"]),
    Route("/clients/{client_id}/visit", visit, methods=["GET", "POST"]),
    Route("/preview", preview, methods=["POST"]),
]
