"""The write actions of :class:`~caseflow.repo.CaseRepo`: each validates first, then commits once.

Every action reads, edits, validates and writes inside one store transaction (under the
repository lock); a refusal raises before anything is written, so files, index and HEAD stay
as they were.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core import layout
from caseflow.core.config import CONFIG_FILE, ROLES, UNIQUE_NAMES_FORMAT, Staff
from caseflow.core.documents import Document, add_field, load_plain, new_mapping, new_sequence, styled_like
from caseflow.core.documents import new_document as parse_new_document
from caseflow.core.editing import apply_edit, parse_assignment, parse_field_path
from caseflow.core.forms import Form
from caseflow.core.git.config import config_value
from caseflow.core.ids import NAME_END_PATTERN, check_client_id, check_staff_id, random_client_id, random_name_id
from caseflow.core.names import require_staff
from caseflow.core.store import Author, Transaction
from caseflow.core.textpolicy import MAX_DOCUMENT_BYTES, read_document_bytes
from caseflow.core.validation import Located, check_plain_data
from caseflow.errors import (
    AlreadyExists,
    CaseflowError,
    DocumentError,
    InvalidId,
    NotAllowed,
    Problem,
    StoreError,
    UnknownPerson,
    UsageError,
)

if TYPE_CHECKING:
    from caseflow.core.events import SavedDocument
    from caseflow.session import Session

DRAFTS_DIR = layout.DRAFTS


# -- shared steps --------------------------------------------------------------------------------


def skeleton_context(repo: Session, actor: Staff, client_id: str, fields: Sequence[str]) -> dict[str, Any]:
    today = repo.today()
    return {
        "client_id": client_id,
        "actor": actor.id,
        "agency": repo.config.agency,
        "today": today.isoformat(),
        "in_days": lambda days: (today + dt.timedelta(days=int(days))).isoformat(),
        "new_id": lambda prefix="": random_client_id(prefix),
        # Only field *names* reach templates; values are set afterwards as typed edits, so text a
        # person typed can never change a document's structure.
        "fields": list(dict.fromkeys(_top_level(f) for f in fields)),
    }


def _top_level(field_path: str) -> str:
    return re.split(r"[.\[]", field_path, maxsplit=1)[0]


def _parse_assignments(texts: Sequence[str]) -> list[tuple[str, str]]:
    """FIELD=VALUE texts, each field path checked before anything is read or written."""
    parsed = [parse_assignment(text) for text in texts]
    for field, _ in parsed:
        parse_field_path(field)
    return parsed


#: Documents only caseflow's own commands write: a decision is made with `caseflow approve`/`reject`.
MANAGED_FORMS = {"core.approvals": "caseflow approve / caseflow reject"}


def refuse_managed(form: Form) -> None:
    if form.id in MANAGED_FORMS:
        raise NotAllowed(f"{form.title} is written only by {MANAGED_FORMS[form.id]}, never by hand")


def _apply_assignments(document: Document, form: Form, assignments: Sequence[tuple[str, str]]) -> None:
    for field, value in assignments:
        steps = parse_field_path(field)
        if steps[0].value == "form":
            raise UsageError("a document's form cannot be changed; create a new document instead")
        apply_edit(document.data, steps, value, form.schema)


def _check(
    repo: Session, document: Document, data: bytes, form: Form, client_id: str | None, path_in_client: str | None
) -> list[Problem]:
    # The one check that needs the staff list: a client is assigned to someone who works here.
    worker = document.data.get("assigned_worker") if form.id == "core.client" else None
    if isinstance(worker, str) and repo.config.staff_member(worker) is None:
        where = document.locate(("assigned_worker",))
        return [Problem(document.path, *where, f"assigned worker '{worker}' is not on the staff list")]
    return check_plain_data(
        document.path,
        data,
        document.plain(),
        document.body,
        repo.forms,
        repo.schemas,
        repo.host.validate_document,
        client_id,
        path_in_client,
    )


def check_located(repo: Session, document: Document, form: Form, client_id: str) -> list[Located]:
    """What ``caseflow validate`` would say of a document about to be written, by field path."""
    from caseflow.core.validation import check_fields

    worker = document.data.get("assigned_worker") if form.id == "core.client" else None
    if isinstance(worker, str) and repo.config.staff_member(worker) is None:
        return [Located(("assigned_worker",), f"assigned worker '{worker}' is not on the staff list")]
    inner = document.path.split("/", 2)[2]
    return check_fields(
        document.plain(),
        document.body,
        document.path,
        repo.forms,
        repo.schemas,
        repo.host.validate_document,
        client_id,
        inner,
    )


def commit_document(repo: Session, tx: Transaction, document: Document, form: Form, client_id: str | None) -> None:
    inner = document.path.split("/", 2)[2] if client_id else None
    data = document.to_bytes()
    if len(data) > MAX_DOCUMENT_BYTES:  # never commit what caseflow would refuse to read back
        too_big = f"would be {len(data):,} bytes; documents are capped at {MAX_DOCUMENT_BYTES:,}"
        raise DocumentError(Problem(document.path, 0, 0, too_big))
    problems = _check(repo, document, data, form, client_id, inner)
    if problems:
        raise DocumentError(problems)
    worker = document.data.get("assigned_worker") if form.id == "core.client" else None
    if isinstance(worker, str) and not getattr(repo.config.staff_member(worker), "active", True):
        before = tx.read(document.path)
        earlier = load_plain(document.path, before)[0].get("assigned_worker") if before else None
        if earlier != worker:  # the clients they already had stay valid; only a new assignment is refused
            _refuse_inactive_worker(repo, worker)
    if tx.read(document.path) != data:  # an edit to the value already there is no change at all
        tx.write(document.path, data)


def _refuse_inactive_worker(repo: Session, staff_id: str) -> None:
    member = repo.config.staff_member(staff_id)
    if member is not None and not member.active:
        raise NotAllowed(
            f"{staff_id} is no longer active: no new clients are assigned to them "
            f"(caseflow staff reactivate {staff_id})"
        )


def saved(repo: Session, tx: Transaction, client_id: str | None, path: str, form: Form, action: str) -> SavedDocument:
    from caseflow.core.events import SavedDocument

    result = SavedDocument(client_id, path, form.id, action, tx.commit)
    if tx.commit is not None:
        # The index is not told what was written (caseflow.index.caseload.remember_written): the
        # next read parses and checks the one changed document itself, which costs it a few ms now
        # that a valid document is checked without jsonschema; telling it cost the write 15-35 ms
        # of CPU (the index opened, the document parsed again, sqlite written) and saved the next
        # read nothing measurable at 10,000 clients (bench/write_bench.py, issue 22).
        repo.host.after_document_saved(result)
    return result


def _form_of(repo: Session, document: Document) -> Form:
    form = repo.forms.get(document.form_id or "")
    if form is None:
        where = document.locate(("form",))
        what = f"unknown form '{document.form_id}'" if document.form_id else "names no form"
        raise DocumentError(Problem(document.path, *where, f"{what} (`caseflow forms` lists the forms)"))
    return form


def refuse_uncommitted(repo: Session, path: str) -> None:
    if repo.store.uncommitted([path]):
        raise StoreError(
            f"{path} has changes that are not committed yet; commit them (git commit) or discard them first, "
            "so that they are not folded into this action"
        )


def refuse_unsettled_rules(repo: Session) -> None:
    """Refuse a decision (an approval, a stage change) while caseflow.yaml has uncommitted changes:
    it is judged by the settings in force, the committed ones, which the working copy then is not."""
    if repo.store.uncommitted([CONFIG_FILE]):
        raise StoreError(
            f"{CONFIG_FILE} has changes that are not committed yet, and decisions are judged by the "
            "settings in force (the committed ones); an admin commits them, or discard them first"
        )


# -- intake --------------------------------------------------------------------------------------


def intake(
    repo: Session,
    actor: Staff,
    *,
    name: str,
    dob: str,
    worker: str | None = None,
    phone: str | None = None,
    fields: Sequence[str] = (),
) -> str:
    """Create a client in stage ``intake``; returns the new client id."""
    assignments = _parse_assignments(fields)
    worker_id = worker or (actor.id if actor.role == "case_manager" else None)
    if worker_id is None:
        raise UsageError("say which case manager the client is assigned to: --worker STAFF_ID")
    worker_id = require_staff(repo.config, worker_id, "staff member").id
    _refuse_inactive_worker(repo, worker_id)
    given = [("name", name), ("dob", dob), *([("phone", phone)] if phone is not None else []), *assignments]
    form = repo.form("core.client")
    with repo.store.transaction(repo.author(actor), action="intake", client=None) as tx:
        client_id = new_client_id(repo)
        tx.client = client_id
        context = skeleton_context(repo, actor, client_id, [f for f, _ in given])
        context["worker"] = worker_id
        from caseflow.core.skeletons import render_skeleton  # jinja2: only when a document is new

        text = render_skeleton(form, repo.root / "templates", context)
        document = parse_new_document(f"clients/{client_id}/client.yaml", text)
        _apply_assignments(document, form, given)
        commit_document(repo, tx, document, form, client_id)
    saved(repo, tx, client_id, document.path, form, "intake")
    return client_id


def new_client_id(repo: Session, also_taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A new client's id from the ``new_client_id`` hook: unused here, and none of ``also_taken``
    (the ids an import has already given out)."""
    clients = repo.root / "clients"

    def taken(candidate: str) -> bool:
        try:
            check_client_id(candidate)
        except InvalidId:
            return True
        return candidate in also_taken or (clients / candidate).exists() or (clients / candidate).is_symlink()

    chosen = repo.host.new_client_id(taken)
    try:
        check_client_id(chosen)
    except InvalidId as exc:
        raise InvalidId(f"the new_client_id plugin chose an unusable id: {exc}") from None
    if chosen != check_client_id(chosen):  # ids are typed in any case and read in upper case
        raise InvalidId(f"the new_client_id plugin chose {chosen}: client ids are upper case")
    if taken(chosen):
        raise AlreadyExists(f"the new_client_id plugin chose {chosen}, which is already used")
    return chosen


# -- set -----------------------------------------------------------------------------------------


def set_fields(
    repo: Session, actor: Staff, client_id: str, document_name: str, assignments: Sequence[str]
) -> SavedDocument:
    """Edit fields of one document in place; every other byte of the file stays as it was."""
    parsed = _parse_assignments(assignments)
    if not parsed:
        raise UsageError("nothing to set: give one or more FIELD=VALUE")
    path = repo.resolve_document(client_id, document_name)
    with repo.store.transaction(repo.author(actor), action="set", client=client_id) as tx:
        refuse_uncommitted(repo, path)
        document = repo.read_document(path)
        form = _form_of(repo, document)
        refuse_managed(form)
        _apply_assignments(document, form, parsed)
        commit_document(repo, tx, document, form, client_id)
    return saved(repo, tx, client_id, path, form, "set")


# -- save a whole document ----------------------------------------------------------------------


class StaleDocument(CaseflowError):
    """The document changed since the person opened it: nothing was written."""

    def __init__(self, path: str, current_blob: str) -> None:
        self.path = path
        self.current_blob = current_blob
        super().__init__(f"{path} changed since it was opened; nothing was written")


def save_document(
    repo: Session,
    actor: Staff,
    client_id: str,
    document_name: str,
    data: Mapping[str, Any],
    *,
    body: str | None = None,
    base_blob: str | None = None,
    finalize: Callable[[Document, Transaction], None] | None = None,
) -> SavedDocument:
    """Replace a document's data (and Markdown body) as a whole, as `caseflow set` would field by
    field: values that did not change keep their bytes (comments, quoting, order), one commit.

    ``base_blob`` is the git blob id of the document as the person opened it: if the file is not
    that any more, :class:`StaleDocument` is raised and nothing is written. ``finalize`` sees the
    document as it will be checked and committed.
    """
    from caseflow.core.case import blob_id

    path = repo.resolve_document(client_id, document_name)
    with repo.store.transaction(repo.author(actor), action="set", client=client_id) as tx:
        refuse_uncommitted(repo, path)
        raw = read_document_bytes(repo.root, path)
        if base_blob is not None and blob_id(raw) != base_blob:
            raise StaleDocument(path, blob_id(raw))
        document = repo.read_document(path)
        form = _form_of(repo, document)
        refuse_managed(form)
        if data.get("form", form.id) != form.id:
            raise DocumentError(Problem(path, *document.locate(("form",)), f"form must stay {form.id}"))
        merge_data(document.data, {**data, "form": form.id})
        if body is not None and document.kind == "markdown":
            document.body = body
        if finalize is not None:
            finalize(document, tx)
        commit_document(repo, tx, document, form, client_id)
    return saved(repo, tx, client_id, path, form, "set")


def merge_data(node: Any, new: Mapping[str, Any]) -> None:
    """Make the round-trip mapping ``node`` hold ``new`` (plain data), changing only what differs:
    an unchanged value keeps its bytes and comments; list items are matched by ``id`` where every
    item has one, so that removing one item leaves the others (and their comments) where they were."""
    from caseflow.core.documents import to_plain

    for key in [k for k in node if str(k) not in new]:
        delete_field(node, key)
    for key, value in new.items():
        if key in node:
            old: Any = node[key]
            if to_plain(old) == value:
                continue
            block = isinstance(old, dict | list) and not _flow_style(old)
            if block and isinstance(old, dict) and isinstance(value, Mapping):
                merge_data(old, value)
            elif block and isinstance(old, list) and isinstance(value, list):
                _merge_list(old, value)
            else:
                node[key] = styled_like(old, _node(value))
        else:
            add_field(node, key, _node(value))


def _merge_list(seq: Any, new: list[Any]) -> None:
    from caseflow.core.documents import delete_item, insert_item, to_plain

    def ids(items: Sequence[Any]) -> list[Any] | None:
        found = [item.get("id") if isinstance(item, Mapping) else None for item in items]
        usable = all(isinstance(i, str) for i in found) and len(set(found)) == len(found)
        return found if usable else None

    old_ids, new_ids = ids(seq), ids(new)
    if old_ids is not None and new_ids is not None:
        for index in reversed(range(len(seq))):
            if old_ids[index] not in new_ids:
                delete_item(seq, index)
        kept = [i for i in old_ids if i in new_ids]
        if kept == [i for i in new_ids if i in kept]:  # same order: edit in place, insert the new ones
            for index, item in enumerate(new):
                if index < len(seq) and seq[index].get("id") == item["id"]:
                    if to_plain(seq[index]) != item:
                        merge_data(seq[index], item)
                else:
                    insert_item(seq, index, _node(item))
            return
    for index, item in enumerate(new[: len(seq)]):
        old = seq[index]
        if to_plain(old) == item:
            continue
        if isinstance(old, dict) and isinstance(item, Mapping):
            merge_data(old, item)
        elif isinstance(old, list) and isinstance(item, list):
            _merge_list(old, item)
        else:
            seq[index] = styled_like(old, _node(item))
    for index in reversed(range(len(new), len(seq))):
        delete_item(seq, index)
    for index in range(len(seq), len(new)):
        insert_item(seq, index, _node(new[index]))


def delete_field(mapping: Any, key: Any) -> None:
    """Remove a field; the comment lines below it stay (they describe what follows)."""
    keys = list(mapping)
    position = keys.index(key)
    slot = mapping.ca.items.get(key)
    token: Any = slot[2] if slot is not None and len(slot) > 2 else None
    text = getattr(token, "value", "") or ""
    block = text[text.find("\n") + 1 :] if "\n" in text else ""
    del mapping[key]
    if token is None or not block.strip() or position == 0:
        return
    previous = keys[position - 1]
    if isinstance(mapping[previous], dict | list):
        return  # its last line's comment slot is deep inside it: rare enough to leave
    entry = mapping.ca.items.setdefault(previous, [None, None, None, None])
    if entry[2] is None:
        token.value = "\n" + block  # the removed field's own comment token, moved up
        entry[2] = token
    else:
        entry[2].value += block


def _flow_style(node: Any) -> bool:
    return bool(node.fa.flow_style())


def _node(value: Any) -> Any:
    """Plain data as round-trip nodes, written in block style."""
    if isinstance(value, Mapping):
        return new_mapping({str(k): _node(v) for k, v in value.items()})
    if isinstance(value, list):
        return new_sequence([_node(v) for v in value])
    return value


# -- new -----------------------------------------------------------------------------------------


def new_document(
    repo: Session,
    actor: Staff,
    client_id: str,
    form_id: str,
    *,
    fields: Sequence[str] = (),
    edit: bool = False,
    from_file: Path | None = None,
    editor: Callable[[Path], None] | None = None,
    preset: Mapping[str, Any] | None = None,
    body: str | None = None,
    action: str = "new",
    finalize: Callable[[Document, Transaction], None] | None = None,
) -> SavedDocument:
    """Create a document from its form's skeleton (or a draft file), optionally in $EDITOR.

    ``preset`` sets top-level fields a command already knows (a visit's date and type) and
    ``body`` the Markdown text below the front matter, before the person edits. ``finalize`` sees
    the document as it will be committed (named, after any editing): it checks what the form
    cannot (a date against today), adds trailers or files beside it, or refuses (the draft is kept).
    """
    parsed = _parse_assignments(fields)
    base = repo.client_dir(client_id)
    form = repo.form(form_id)
    refuse_managed(form)
    repo.check_writable()  # before anyone types into an editor
    if form.singleton and (repo.root / base / form.path).exists():  # say so before anyone types
        raise AlreadyExists(f"{base}/{form.path} already exists; change it with `caseflow set`")
    if from_file is not None:
        text = _read_draft(from_file)
    else:
        context = skeleton_context(repo, actor, client_id, [f for f, _ in parsed])
        from caseflow.core.skeletons import render_skeleton  # jinja2: only when a document is new

        text = render_skeleton(form, repo.root / "templates", context)
    scratch = f"{base}/{form.path}"  # until its fields name it (messages show the pattern)
    document = parse_new_document(scratch, text)
    _apply_assignments(document, form, parsed)
    for key, value in (preset or {}).items():
        document.data[key] = value
    if body is not None:
        document.body = body
    draft = _write_draft(repo, client_id, form, document.to_text()) if edit else None
    try:
        if draft is not None:
            (editor or _run_editor)(draft)
            document = parse_new_document(scratch, _read_draft(draft))
        with repo.store.transaction(repo.author(actor), action=action, client=client_id) as tx:
            document.path = place(repo, base, form, document)
            if document.form_id != form.id:
                raise DocumentError(Problem(document.path, *document.locate(("form",)), f"form must stay {form.id}"))
            if finalize is not None:
                finalize(document, tx)
            commit_document(repo, tx, document, form, client_id)
    except CaseflowError as exc:
        if draft is None:
            raise
        raise _kept(exc, draft, client_id, form) from None
    for used in (draft, from_file):
        if used is not None and used.resolve().parent == (repo.root / DRAFTS_DIR).resolve():
            used.unlink(missing_ok=True)  # a draft that made it into the repository is done
    return saved(repo, tx, client_id, document.path, form, action)


def create_from_data(
    repo: Session,
    actor: Staff,
    client_id: str,
    form_id: str,
    data: Mapping[str, Any],
    action: str,
    details: Mapping[str, str],
) -> SavedDocument:
    """A new document of a command's own making (a consent, a referral), named, validated, one commit."""
    form = repo.form(form_id)
    base = repo.client_dir(client_id)
    with repo.store.transaction(repo.author(actor), action=action, client=client_id) as tx:
        document = parse_new_document(f"{base}/{form.path}", f"form: {form.id}\n")
        for key, value in data.items():
            document.data[key] = value
        document.path = place(repo, base, form, document)
        tx.details.update(details)
        commit_document(repo, tx, document, form, client_id)
    return saved(repo, tx, client_id, document.path, form, action)


def place(repo: Session, base: str, form: Form, document: Document) -> str:
    """The document's path from its form's pattern and its own fields (never a name)."""
    data = document.plain()
    inner = form.path_for(data)
    if inner is None:
        field = form.unusable_placeholder(data) or "form"
        needs = f"needs a valid '{field}' (letters, digits, '-', '_', '.') to name the file {form.path}"
        raise DocumentError(Problem(document.path, *document.locate((field,)), needs))
    path = f"{base}/{inner}"
    if form.singleton:
        if (repo.root / path).exists():
            raise AlreadyExists(f"{path} already exists; change it with `caseflow set`")
        return path
    if "id" in form.placeholders:
        if (repo.root / path).exists():
            raise AlreadyExists(f"{path} already exists: ids are unique; choose another id or leave it to caseflow")
        return path
    stem, suffix = os.path.splitext(path)
    if repo.config.format >= UNIQUE_NAMES_FORMAT:
        # Another clone may make a document of the same client, day and kind while offline: a
        # counter would give both the same name and one would be lost in the sync.
        folder, name = os.path.split(stem)
        same = re.compile(re.escape(name) + NAME_END_PATTERN + "?" + re.escape(suffix))
        present = os.listdir(repo.root / folder) if (repo.root / folder).is_dir() else []
        earlier = sum(1 for entry in present if same.fullmatch(entry))
        while True:
            path = f"{stem}-{random_name_id(earlier)}{suffix}"
            if not ((repo.root / path).exists() or (repo.root / path).is_symlink()):
                return path
    counter = 2  # an older format: the names its caseflow expects
    while (repo.root / path).exists() or (repo.root / path).is_symlink():
        path = f"{stem}-{counter}{suffix}"
        counter += 1
    return path


def _write_draft(repo: Session, client_id: str, form: Form, text: str) -> Path:
    """A private file for the person to type into: readable by them only (it holds client data)."""
    drafts = repo.root / DRAFTS_DIR
    drafts.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    suffix = ".md" if form.kind == "markdown" else ".yaml"
    draft = drafts / f"{client_id}-{form.id}-{stamp}{suffix}"
    counter = 2
    while draft.exists():
        draft = drafts / f"{client_id}-{form.id}-{stamp}-{counter}{suffix}"
        counter += 1
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return draft


def _read_draft(path: Path) -> str:
    """A draft or --from file, under the same rules as any document: a regular file, capped, UTF-8."""
    try:
        raw = read_document_bytes(path.parent, path.name)
        return raw.decode("utf-8")
    except DocumentError as exc:
        raise DocumentError([Problem(str(path), p.line, p.col, p.message) for p in exc.problems]) from None
    except UnicodeDecodeError:
        raise DocumentError(Problem(str(path), 0, 0, "is not valid UTF-8")) from None


def _run_editor(path: Path) -> None:
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        result = subprocess.run([*shlex.split(command), str(path)], check=False)
    except (OSError, ValueError) as exc:
        raise CaseflowError(f"could not start the editor {command!r} ({exc}); set $EDITOR") from None
    if result.returncode != 0:
        raise CaseflowError(f"the editor exited with status {result.returncode}")


def _kept(exc: CaseflowError, draft: Path, client_id: str, form: Form) -> DocumentError:
    """The refusal, plus where the person's typing is and how to carry on from it."""
    if isinstance(exc, DocumentError):
        problems = [Problem(str(draft), p.line, p.col, p.message) for p in exc.problems]
    else:
        problems = [Problem(str(draft), 0, 0, str(exc))]
    if not draft.exists():
        return DocumentError(problems, "the draft file is gone (removed by the editor?); nothing was saved")
    resume = f"caseflow new {client_id} {form.id} --from {draft} [--edit]"
    return DocumentError(problems, f"your draft is kept at {draft}; fix it, then run: {resume}")


# -- staff ---------------------------------------------------------------------------------------


def add_staff(
    repo: Session,
    actor: Staff | None,
    *,
    staff_id: str,
    name: str,
    email: str,
    role: str,
    supervisor: str | None = None,
) -> Staff:
    """Add a member of staff to caseflow.yaml (the first one may be added by anyone)."""
    check_staff_id(staff_id)
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}")
    admins = repo.config.admins
    if admins and (actor is None or not repo.config.is_admin(actor)):
        names = ", ".join(m.id for m in admins)
        raise NotAllowed(f"only an admin adds staff ({names}); ask one of them")
    if repo.config.staff and (actor is None or actor.role not in ("supervisor", "director")):
        raise NotAllowed("only a supervisor or director adds staff while the agency has no admin (a director)")
    if supervisor is not None and repo.config.staff_member(check_staff_id(supervisor)) is None:
        raise UnknownPerson(f"supervisor '{supervisor}' is not on the staff list")
    if repo.config.staff_member(staff_id):
        raise AlreadyExists(f"staff id '{staff_id}' is already on the staff list")
    if repo.config.staff_by_email(email):
        raise AlreadyExists("that email address already belongs to a member of staff")
    member = Staff(staff_id, name, email, role, supervisor)
    author = repo.author(actor) if actor else _bootstrap_author(repo)
    with repo.store.transaction(author, action="staff-add", client=None) as tx:
        refuse_uncommitted(repo, CONFIG_FILE)
        document = repo.read_document(CONFIG_FILE)
        entries = document.data.get("staff")
        if entries is None:
            raise DocumentError(Problem(CONFIG_FILE, 1, 1, "has no 'staff:' list"))
        if entries.fa.flow_style():
            entries.fa.set_block_style()  # `staff: []` grows into a readable block list
        entry = new_mapping({"id": staff_id, "name": name, "email": email, "role": role})
        if supervisor:
            entry["supervisor"] = supervisor
        entries.append(entry)
        from caseflow.core.configfile import parse_config

        parse_config(document.to_bytes())  # refuse a change that leaves caseflow.yaml invalid
        tx.write(CONFIG_FILE, document.to_bytes())
    return member


def _bootstrap_author(repo: Session) -> Author:
    repo.check_writable()
    name = config_value(repo.root, "user.name") or "caseflow"
    email = config_value(repo.root, "user.email") or "caseflow@localhost"
    return Author(name, email)
