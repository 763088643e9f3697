"""The session: one case repository opened with its settings, plugins, store, index and clock.

It sits below every feature and imports none: features take a :class:`Session` and call it;
:class:`caseflow.CaseRepo` is a session with the features' services hung off it.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from caseflow.core import casefiles, layout, signing, sync_journal
from caseflow.core.case import CaseDocument, CaseView, blob_id
from caseflow.core.config import CONFIG_FILE, USER_ENV, RepoConfig, Staff, find_root, newer_format_message
from caseflow.core.configfile import load_config
from caseflow.core.documents import Document, load_document
from caseflow.core.forms import Form
from caseflow.core.git.config import config_value
from caseflow.core.git.repository import ensure_durable
from caseflow.core.ids import check_client_id, check_document_path, check_staff_id
from caseflow.core.names import require_name, require_staff, suggestion, unknown_name
from caseflow.core.store import Author, Store
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import (
    CaseflowError,
    DocumentError,
    InvalidId,
    NotAllowed,
    NotFound,
    Problem,
    UnknownPerson,
    UsageError,
)
from caseflow.index.database import CaseIndex
from caseflow.plugins import PluginHost, PluginPolicy, get_plugin_manager

if TYPE_CHECKING:
    from caseflow.core.form_files import FormFiles
    from caseflow.core.ledger_rules import Gate
    from caseflow.core.ledger_state import Ledger
    from caseflow.core.validation import SchemaChecker
    from caseflow.index.problems import ValidationReport
    from caseflow.index.snapshot import Snapshot
    from caseflow.workflow.model import Workflow

__all__ = ["Session", "Staff", "find_root", "open_session"]

T = TypeVar("T")


def open_session(
    path: Path | str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    plugins: Iterable[object] = (),
    host: PluginHost | None = None,
) -> Session:
    """Open the case repository at ``path`` (or as found by :func:`find_root`) as a bare session."""
    root, config, host = open_parts(path, environ, plugins, host)
    return Session(root, config, host, environ)


def open_parts(
    path: Path | str | None, environ: Mapping[str, str] | None, plugins: Iterable[object], host: PluginHost | None
) -> tuple[Path, RepoConfig, PluginHost]:
    root = find_root(path, environ)
    config = load_config(root)
    if host is None:
        policy = PluginPolicy.from_config(config.plugins, environ)
        host = PluginHost(get_plugin_manager(policy, plugins))
    _configure_plugins(root, config, host)
    return root, config, host


def _configure_plugins(root: Path, config: RepoConfig, host: PluginHost) -> None:
    """Each plugin's own settings (``plugins.config.<name>``), handed over before anything else
    asks the plugins; settings a plugin refuses refuse the repository, located in caseflow.yaml."""
    from caseflow.core.located import Located, locate_all

    settings = config.plugins.get("config") or {}
    problems = host.configure(settings)
    if problems:
        located = [Located(("plugins", "config", name) if name in settings else (), said) for name, said in problems]
        raise DocumentError(locate_all(CONFIG_FILE, read_document_bytes(root, CONFIG_FILE), located))


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


#: Broken form files already warned about in this process (each once).
_FORM_FILES_WARNED: set[tuple[Path, str]] = set()

#: Repositories of a newer format already warned about in this process (one line each).
_READ_ONLY_WARNED: set[Path] = set()


def _warn_newer_format(root: Path, version: int) -> None:
    if root not in _READ_ONLY_WARNED:
        _READ_ONLY_WARNED.add(root)
        _warn(newer_format_message(version))


def approval_gates(spec: Any, forms: Mapping[str, Form]) -> dict[tuple[str, str], list[Gate]]:
    """Each move's documents that must be approved (the workflow's ``approved`` requirements of
    one-per-client forms): the history checks them at every stage change, not just in `advance`.
    A requirement for some cases only (``when``: a discharge's reason) is checked against the
    document that decides it, as committed."""
    from caseflow.core.ledger_rules import Gate

    gates: dict[tuple[str, str], list[Gate]] = {}
    for move in spec.transitions:
        found = []
        for requirement in spec.requirements(move):
            form = forms.get(str(requirement.params.get("form", ""))) if requirement.check == "approved" else None
            if form is None or not form.singleton:
                continue
            when = getattr(requirement, "when", None)
            if when is None:
                found.append(Gate(form.path))
                continue
            decider = forms.get(str(when.get("form", "")))
            if decider is None or not decider.singleton:
                continue  # a condition the history cannot read: `advance` checks it
            values = frozenset(str(v) for v in when.get("in") or ())
            found.append(Gate(form.path, (decider.path, str(when.get("field")), values)))
        if found:
            gates[(move.source, move.target)] = found
    return gates


class Session:
    """A case repository opened for one command or script: settings, plugins, store, index, clock.

    Every feature works through a session (``caseflow.CaseRepo`` hangs the features' services
    off one); the session itself knows no feature.
    """

    def __init__(self, root: Path, config: RepoConfig, host: PluginHost, environ: Mapping[str, str] | None = None):
        self.root = root
        self.config = config
        self.host = host
        self.store = Store(root)
        self.store.access_authors = self._access_author
        if healed := self.store.heal():  # a write killed halfway, finished or undone before anything else
            _warn(healed)
        if healed := sync_journal.heal(self.store):  # and a sync: its merge taken back, git's leftovers gone
            _warn(healed)
        ensure_durable(root)  # git's durable settings, where this clone lacks them (one file read)
        self._environ = os.environ if environ is None else environ
        self._schemas: SchemaChecker | None = None
        self._cache: dict[str, Any] = {}
        #: The commit HEAD named when the last snapshot was taken: a session kept across commands
        #: (``caseflow watch``) replays the history again when someone else has committed meanwhile.
        self._head_seen: str | None = None
        self._head_seen_at = -1  #: the store's generation when HEAD was seen
        #: Whether the next snapshot may be taken ahead of git's status (within :meth:`settled`),
        #: and, for one so taken, what says whether the status agrees.
        self._ahead = False
        self._unconfirmed: Callable[[], bool] | None = None
        #: documents parsed before (by any process), by git blob id, and what was derived from them
        self.index = CaseIndex(root, warn=_warn)
        if config.newer_format:
            _warn_newer_format(root, config.format)

    # -- plugins and forms -----------------------------------------------------------------------

    @property
    def forms(self) -> Mapping[str, Form]:
        """Every form: caseflow's, the plugins' and the repository's own (``forms/<id>.yaml``)."""
        files = self.form_files()
        if not files.forms:
            return self.host.forms()
        return self.cached("forms", lambda: {**self.host.forms(), **files.forms})

    def form_files(self) -> FormFiles:
        """The repository's forms as data (:mod:`caseflow.core.form_files`); a broken file is
        reported once per process (a warning) and by ``validate`` (a problem), and left out."""
        from caseflow.core import form_files

        def load() -> FormFiles:
            if not form_files.form_file_names(self.root):
                return form_files.FormFiles()
            registered = self.host.forms()
            found = form_files.load_form_files(self.root, {f: self.host.form_owner(f) for f in registered})
            for problem in found.problems:
                if (self.root, str(problem)) not in _FORM_FILES_WARNED:
                    _FORM_FILES_WARNED.add((self.root, str(problem)))
                    _warn(f"{problem} (this form is left out until it is fixed)")
            return found

        return self.cached("form-files", load)

    def form_owner(self, form_id: str) -> str:
        """Who defines a form: a plugin's name, or the repository file (``forms/agency.x.yaml``)."""
        files = self.form_files().files
        return files[form_id] if form_id in files else self.host.form_owner(form_id)

    def form(self, form_id: str) -> Form:
        """The form with this id (caseflow's, a plugin's or the agency's); refuses an unknown one."""
        form = self.forms.get(form_id)
        if form is None:
            raise unknown_name("form", form_id, self.forms, listed_by="caseflow forms")
        return form

    @property
    def workflow_spec(self) -> Workflow:
        """The workflow this repository uses (``workflow:`` in caseflow.yaml), with the agency's
        ``rules:`` applied."""
        chosen = self.workflow_named(self.config.workflow)
        if chosen is None:
            known = ", ".join(sorted(self.host.workflows())) or "none"
            raise NotFound(f"caseflow.yaml names workflow '{self.config.workflow}', which no plugin provides ({known})")
        return chosen

    def workflow_named(self, workflow_id: str) -> Workflow | None:
        """A workflow plugins provide, with ``rules:`` of caseflow.yaml applied (None: no such workflow).

        :raises DocumentError: the rules name what does not exist, each problem located in caseflow.yaml.
        """
        base = self.host.workflows().get(workflow_id)
        if base is None or not self.config.rules:
            return base

        def apply() -> Workflow:
            from caseflow.core.located import locate_all
            from caseflow.workflow.agency_rules import with_rules

            applied, problems = with_rules(
                base, self.config.rules, self.host.checks(), set(self.forms), set(self.host.instruments())
            )
            if problems:
                raise DocumentError(locate_all(CONFIG_FILE, read_document_bytes(self.root, CONFIG_FILE), problems))
            return applied

        return self.cached(f"workflow:{workflow_id}", apply)

    def ledger(self, progress: Callable[[int, int], None] | None = None) -> Ledger:
        """What the history proves (:mod:`caseflow.core.ledger`): which approvals, stage changes and
        rule changes count; replayed once per command, incrementally across commands
        (``progress(done, total)``: the commits replayed, if any).

        Moves are judged by the workflow the settings in force name (the last caseflow.yaml
        committed by someone with the right), never by an uncommitted or unauthorised edit."""
        from caseflow.core import ledger

        def replay(workflow: str) -> Ledger:
            gates: dict[tuple[str, str], list[Gate]] = {}
            spec = self.workflow_named(workflow)
            if spec is None:  # validate says so; no move can be judged against a missing workflow
                moves, initial, judged = set(), "", False
            else:
                moves, initial, judged = {(t.source, t.target) for t in spec.transitions}, spec.initial, True
                gates = approval_gates(spec, self.forms)
            policy = f"{workflow}:" + ",".join(sorted(f"{a}>{b}" for a, b in moves))
            policy += ";" + ",".join(
                f"{a}>{b}:{'+'.join(g.describe() for g in found)}" for (a, b), found in sorted(gates.items())
            )
            carried_as = f"ledger/{policy}"  # (a long-running process replays on from its last one)
            built = ledger.build(
                self.root,
                lambda source, target: (source, target) in moves or not judged,
                initial,
                known_head=self.head(),
                state_dir=self.root / layout.LOCAL_DIR,
                policy=policy,
                gates=lambda source, target: gates.get((source, target), []),
                earlier=self.carried(carried_as),
                apart=not self.carries,  # (a command's replay of a whole history: in a child process)
                progress=progress,
            )
            self.carry(carried_as, built)
            return built

        def build() -> Ledger:
            proven = replay(self.config.workflow)
            in_force = self._workflow_in_force(proven)
            return proven if in_force == self.config.workflow else replay(in_force)

        # Replayed again after a commit of ours (generation) or of anyone's (HEAD when last read);
        # only the latest is kept.
        key = f"ledger@{self.store.generation}@{self._head_seen}"
        for stale in [k for k in self._cache if k.startswith("ledger@") and k != key]:
            del self._cache[stale]
        return self.cached(key, build)

    def _workflow_in_force(self, proven: Ledger) -> str:
        """The workflow the settings in force name: the working copy's, when caseflow.yaml is the
        version in force (a hash of its bytes tells, no git process); else the committed one's."""
        from caseflow.core import ledger
        from caseflow.core.git.objects import blob_id

        blob = proven.config_at.get(proven.head or "", "")
        try:
            working = (self.root / CONFIG_FILE).read_bytes()
        except OSError:
            working = b""
        if not blob or blob_id(working, len(blob)) == blob:
            return self.config.workflow
        in_force = ledger.config_in_force(self.root, proven)
        return in_force.workflow if in_force is not None else self.config.workflow

    def case(self, client_id: str) -> CaseView:
        """A read-only view of one client's documents and approvals, for workflow checks."""
        from caseflow.index.caseload import assemble_case

        self.client_dir(client_id)
        record = self.client_record(client_id)
        documents = []
        for doc in casefiles.client_documents(self.root, client_id):
            try:
                raw = read_document_bytes(self.root, doc.path)
                data, body = self.index.parse(doc.path, raw)
            except DocumentError as exc:
                documents.append(CaseDocument(doc.path_in_client or doc.path, None, {}, "", tuple(exc.problems)))
                continue
            form_id = data.get("form") if isinstance(data.get("form"), str) else None
            documents.append(CaseDocument(doc.path_in_client or doc.path, form_id, data, blob_id(raw), body=body))
        self.index.flush()
        return assemble_case(self, client_id, record, documents)

    def snapshot(self, progress: Callable[[int, int], None] | None = None) -> Snapshot:
        """Every client document as it is now, with the index brought up to date.

        Take one per command and pass it on: each costs a ``git ls-files`` and a ``git status``.
        """
        from caseflow.core.git import early
        from caseflow.index.caseload import refresh

        self._head_seen, self._head_seen_at = self.store.head(), self.store.generation
        if early.after_a_write(self.root):  # (every read replays a new commit: now, while git lists)
            self.ledger()
        ahead, self._ahead = self._ahead, False  # (one per read: a second one waits for git)
        snapshot = refresh(self, progress, ahead=ahead)
        if snapshot.unconfirmed is not None:
            self._unconfirmed = snapshot.unconfirmed
        return snapshot

    def settled(self, read: Callable[[], T]) -> T:
        """``read()`` (a read of the whole caseload), whose snapshot may be taken ahead of git's
        status right after caseflow's own write: the read is made while git still lists the
        working tree (:func:`caseflow.index.snapshot.take_snapshot`), then the status is taken. Where
        it says the working tree is otherwise (an edit, a commit by hand), the read is made again
        from it, and that answer is the one given. What the index keeps on the way is named by what
        it was made from, so nothing kept from the first one is wrong."""
        self._ahead = True
        try:
            answer = read()
        except Exception:
            self._ahead = False
            if self._confirmed():
                raise
            return read()
        self._ahead = False
        return answer if self._confirmed() else read()

    def _confirmed(self) -> bool:
        """Whether the snapshot taken ahead of git's status (if any) is as git's status says."""
        unconfirmed, self._unconfirmed = self._unconfirmed, None
        return unconfirmed is None or unconfirmed()

    def head(self) -> str | None:
        """The commit HEAD named when the last snapshot was taken, unless this session has committed
        since (then: now). A command's answers are of one commit, without asking git again."""
        if self._head_seen is not None and self._head_seen_at == self.store.generation:
            return self._head_seen
        return self.store.head()

    def decision_problems(self, client_id: str, data: Mapping[str, Any] | None = None) -> list[Problem]:
        """Decisions in approvals.yaml that do not count: by someone who may not decide, or that no
        commit by their maker backs (hand-written, uncommitted, or committed by someone else).
        ``data``: the file as parsed already (else it is read)."""
        path = f"{casefiles.CLIENTS_DIR}/{client_id}/approvals.yaml"
        try:
            if data is None:
                if not (self.root / path).exists():
                    return []
                data, _ = self.index.parse(path, read_document_bytes(self.root, path))
            listed = data.get("approvals")
            decisions = listed if isinstance(listed, list) else []
            ledger = self.ledger()
            if all(not isinstance(e, dict) or self._counts(ledger, client_id, e) is None for e in decisions):
                return []  # the usual case, known without loading it again with positions
            document = load_document(path, read_document_bytes(self.root, path))
        except DocumentError:
            return []  # reported with the document's own problems
        problems = []
        for index, entry in enumerate(document.data.get("approvals") or []):
            why = self._counts(ledger, client_id, entry) if isinstance(entry, dict) else None
            if why is not None:
                problems.append(Problem(path, *document.locate(("approvals", index, "by")), why))
        return problems

    def _counts(self, ledger: Ledger, client_id: str, entry: Mapping[str, Any]) -> str | None:
        """Why one approvals.yaml entry does not count (None: it does)."""
        by = entry.get("by")
        if by not in self.approvers:
            return f"decision by '{by}', who may not approve; it does not count"
        if not ledger.backs(client_id, entry):
            if (edit := ledger.approvals_edits.get(client_id)) is not None:
                return (
                    f"decision by '{by}' does not count: commit {edit[:12]} edited or removed decisions made "
                    "before (they are only ever added); none count until approvals.yaml is put back"
                )
            if (refusal := ledger.refusal(client_id, entry)) is not None:
                return f"decision by '{by}' that does not count: {refusal}"
            return (
                f"decision by '{by}' that no commit by {by} made (written by hand, not committed, or "
                "committed by someone else); it does not count"
            )
        return None

    def stage_problems(self, client_id: str, record: Mapping[str, Any] | None = None) -> list[Problem]:
        """The client's stage, if the history does not back it (set by hand, not by ``advance``)."""
        from caseflow.core.ledger_rules import history_digest

        path = f"{casefiles.CLIENTS_DIR}/{client_id}/client.yaml"
        ledger = self.ledger()
        last, good_history = ledger.stages.get(client_id), ledger.good_histories.get(client_id)
        if last is None and good_history is None:
            return []
        if record is None:
            try:
                record = self.client_record(client_id)
            except (DocumentError, NotFound):
                return []
        problems = []
        stage = record.get("stage")
        if last is not None and isinstance(stage, str) and stage != last[1]:
            why = f"stage '{stage}' is not what the history says ('{last[1]}'): only `caseflow advance` changes it"
            problems.append(self._located(path, ("stage",), why))
        elif last is not None and (
            backed := ledger.stage_problem(client_id, stage if isinstance(stage, str) else None)
        ):
            problems.append(self._located(path, ("stage",), backed))
        listed = record.get("stage_history")
        history = [dict(h) for h in listed if isinstance(h, Mapping)] if isinstance(listed, list) else []
        if good_history is not None and history_digest(history) != good_history:
            edit = ledger.history_edits.get(client_id)
            how = f"by commit {edit[:12]}" if edit else "by hand"
            why = f"the stage history was changed {how}, not by `caseflow advance`; it does not count"
            problems.append(self._located(path, ("stage_history",), why))
        return problems

    def _located(self, path: str, at: tuple[str | int, ...], why: str) -> Problem:
        """A problem at ``at`` in the document (its line and column, when it can be read)."""
        try:
            line, column = load_document(path, read_document_bytes(self.root, path)).locate(at)
        except (DocumentError, OSError):
            line, column = 0, 0
        return Problem(path, line, column, why)

    @property
    def approvers(self) -> set[str]:
        """Staff whose role may approve (``approvals.roles`` in caseflow.yaml)."""
        return {s.id for s in self.config.staff if s.role in self.config.approver_roles}

    def check_document(self, client_id: str, path: str, raw: bytes) -> list[Problem]:
        """Every problem with one document of a client (its bytes as given)."""
        from caseflow.core import validation

        inner = path.removeprefix(f"{casefiles.CLIENTS_DIR}/{client_id}/")
        return validation.check_document(
            path, raw, self.forms, self.schemas, self.host.validate_document, client_id, inner
        )

    @property
    def schemas(self) -> SchemaChecker:
        from caseflow.core.validation import SchemaChecker  # jsonschema loads only when validating

        if self._schemas is None:
            self._schemas = SchemaChecker(self.forms)
        return self._schemas

    # -- people ----------------------------------------------------------------------------------

    def actor(self, as_staff: str | None = None) -> Staff:
        """The acting person: ``--as``, else $CASEFLOW_USER, else git user.email on the staff list.

        Where commits are signed, the key this machine signs with decides: its owner acts, and
        acting as anyone else is refused (:mod:`caseflow.core.signing`).
        """
        wanted = as_staff if as_staff is not None else self._environ.get(USER_ENV)
        key = self._personal_key(wanted)
        if key is not None and wanted is None:
            owner = signing.owner_of(key.public, self.config.staff)
            if owner is not None:
                wanted = owner.id
        if wanted is not None:
            check_staff_id(wanted.lower())  # staff ids are lower case: --as Casey is casey
            member = self.config.staff_member(wanted.lower())
            if member is None:
                near = suggestion(wanted, (s.id for s in self.config.staff))
                raise UnknownPerson(
                    f"'{wanted}' is not on the staff list in {CONFIG_FILE}{near} (see `caseflow staff add`)"
                )
        else:
            email = config_value(self.root, "user.email")
            member = self.config.staff_by_email(email) if email else None
            if member is None:
                raise UnknownPerson(
                    f"who is acting? set {USER_ENV} to your staff id, or git user.email to your email "
                    f"as the staff list in {CONFIG_FILE} has it"
                )
        if not member.active:
            raise UnknownPerson(f"staff member '{member.id}' is no longer active")
        if key is not None and key.public not in member.keys:
            owner = signing.owner_of(key.public, self.config.staff)
            raise signing.refuse_acting_as(member.id, key, owner.id if owner else None)
        return member

    def _personal_key(self, acting_id: str | None) -> signing.KeyInUse | None:
        """The key a person set up on this machine, where commits are signed (else None)."""
        if not self.config.signing_required:
            return None
        key = signing.key_in_use(self.root, acting_id)
        return key if key is not None and key.personal else None

    def check_writable(self) -> None:
        """Refuse to write to a repository of a newer format than this caseflow knows: it would
        write settings and documents in a shape the rest of the team's caseflow does not expect."""
        if self.config.newer_format:
            raise NotAllowed(newer_format_message(self.config.format))

    def author(self, staff: Staff) -> Author:
        """Who a commit is by; where signing is required, with the key that signs it.

        Every write asks for its author before it writes anything: a repository of a newer
        format is refused here (:meth:`check_writable`)."""
        self.check_writable()
        if not self.config.signing_required:
            return Author(staff.name, staff.email, staff_id=staff.id)
        signing.require_ssh_keygen()
        key = signing.key_in_use(self.root, staff.id)
        if key is None:
            raise signing.SigningUnavailable(
                f"this repository requires signed commits and {staff.id} has no signing key here: "
                f"set git config user.signingKey to your private key (its public key registered with "
                f"`caseflow staff key add {staff.id} KEY.pub`)"
            )
        if key.public not in staff.keys:
            owner = signing.owner_of(key.public, self.config.staff)
            raise signing.refuse_acting_as(staff.id, key, owner.id if owner else None)
        return Author(staff.name, staff.email, key.path, staff.id)

    def _access_author(self, staff_id: str) -> Author | None:
        """Who commits ``staff_id``'s access-record entries here: that person, where this clone can
        commit as them (signed, where signing is required: their key is here); else None."""
        member = self.config.staff_member(staff_id)
        if member is None or not member.active:
            return None
        try:
            return self.author(member)
        except CaseflowError:
            return None

    # -- reading ---------------------------------------------------------------------------------

    def client_ids(self) -> list[str]:
        """Every client's id, from the folders under ``clients/``, sorted."""

        def listed() -> list[str]:
            # A folder added, removed or renamed under clients/ moves the folder's mtime: where a
            # process carries the listing, a change inside a client's folder lists nothing again.
            try:
                found = os.stat(self.root / casefiles.CLIENTS_DIR)
                stamp: tuple[int, int] | None = (found.st_mtime_ns, found.st_ino)
            except OSError:
                stamp = None
            carried = self.carried("client-ids")
            if stamp is not None and carried is not None and carried[0] == stamp:
                return list(carried[1])
            ids = casefiles.client_ids(self.root)
            if stamp is not None and time.time_ns() - stamp[0] > 2_000_000_000:
                # (not a folder changed a moment ago: file times are coarse, and another change
                # within the same tick would leave the same mtime: git's "racily clean")
                self.carry("client-ids", (stamp, ids))
            return ids

        return list(self.kept("client-ids", listed))

    def client_dir(self, client_id: str) -> str:
        """The client's folder relative to the repository (``clients/C-7K2M9Q``); refuses an unknown id."""
        written = check_client_id(client_id)
        rel = f"{casefiles.CLIENTS_DIR}/{client_id}"
        if not (self.root / rel).is_dir() or (self.root / rel).is_symlink():
            kept_by = casefiles.merged_into(self.root, client_id)
            if kept_by is not None:
                raise NotFound(f"{client_id} was merged into {kept_by}; use {kept_by}")
            near = (
                f" (did you mean {written}?)"
                if written != client_id and (self.root / "clients" / written).is_dir()
                else ""
            )
            raise NotFound(f"no client {client_id} in this repository{near}")
        return rel

    def read_document(self, path: str) -> Document:
        """Load a document for editing (round trip, positions)."""
        return load_document(path, read_document_bytes(self.root, path))

    def client_record(self, client_id: str) -> dict[str, Any]:
        """The client's ``client.yaml`` as plain data."""
        path = f"{self.client_dir(client_id)}/client.yaml"
        data, _ = self.index.parse(path, read_document_bytes(self.root, path))
        return data

    def clients(
        self, stage: str | None = None, worker: str | None = None, snapshot: Snapshot | None = None
    ) -> list[dict[str, Any]]:
        """One summary per client (no names: ids, stage, worker, flags), filtered.

        Every row has the same keys; ``problem`` says why a client record could not be read.
        """
        from caseflow.index.caseload import client_rows

        if stage is not None:  # a misspelled stage would list nobody, and look like an empty caseload
            require_name("stage", stage, (s.id for s in self.workflow_spec.stages))
        if worker is not None:
            worker = require_staff(self.config, worker).id
        return [
            row
            for row in client_rows(self, snapshot or self.snapshot(), self.client_ids())
            if (stage is None or row["stage"] == stage) and (worker is None or row["assigned_worker"] == worker)
        ]

    def check_forms(self, form_ids: Sequence[str]) -> ValidationReport:
        """The problems documents of ``form_ids`` have under the forms as the working tree holds
        them (before a changed form file is committed), and those of the form files themselves."""
        from caseflow.index.problems import form_check

        return form_check(self, form_ids)

    def changed_form_files(self) -> list[str]:
        """Ids of the forms whose file (``forms/<id>.yaml``) differs from the last commit."""
        from caseflow.core.form_files import FORMS_DIR

        _, changed = self.store.worktree_listing(FORMS_DIR, whole_tree=False)
        names = [path.rpartition("/")[2] for path in changed if path.startswith(f"{FORMS_DIR}/")]
        return sorted(name.removesuffix(".yaml") for name in names if name.endswith(".yaml"))

    def validate(
        self, client_ids: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None
    ) -> ValidationReport:
        """Check every document of the given clients (or of all); ``progress(done, total)`` as it goes.

        (``caseflow.yaml`` itself is checked when the repository is opened.)
        """
        from caseflow.index.problems import validate

        return validate(self, client_ids, progress)

    def resolve_document(self, client_id: str, name: str) -> str:
        """A document named by its path in the client folder (``plan.yaml``), by its path in the
        repository (``clients/C-7K2M9Q/plan.yaml``, as `git status` and `caseflow validate` print
        it), or by a singleton form id."""
        base = self.client_dir(client_id)
        if name in self.forms and self.forms[name].singleton:
            name = self.forms[name].path
        name = self._path_in_client(client_id, name)
        check_document_path(name)
        path = f"{base}/{name}"
        if not (self.root / path).exists() and not (self.root / path).is_symlink():
            raise NotFound(f"{path} does not exist")
        return path

    def _path_in_client(self, client_id: str, name: str) -> str:
        """``clients/C-7K2M9Q/x`` (or ``./clients/...``, or an absolute path in this repository)
        as ``x``; another client's document is refused, never read in this client's name."""
        path = name.replace("\\", "/") if os.sep == "\\" else name
        if os.path.isabs(path):
            try:
                path = Path(path).resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                raise InvalidId(f"{name[:60]!r} is outside this case repository") from None
        path = path.removeprefix("./")
        prefix = f"{casefiles.CLIENTS_DIR}/"
        if not path.startswith(prefix):
            return path
        owner, _, rest = path[len(prefix) :].partition("/")
        if check_client_id(owner) != check_client_id(client_id):
            raise UsageError(f"{name[:80]} is a document of client {owner}, not of {client_id}")
        return rest

    # -- writing (see caseflow.records.actions) ----------------------------------------------------------

    def today(self) -> dt.date:
        """Today in the agency's time zone (a late-evening note belongs to the agency's day).

        ``CASEFLOW_TODAY=YYYY-MM-DD`` sets another day: what the due list says on that morning, and
        the date tests run at.
        """
        fixed = self._environ.get("CASEFLOW_TODAY")
        if fixed:
            from caseflow.core.dates import parse_date

            return parse_date(fixed, "CASEFLOW_TODAY")
        from zoneinfo import ZoneInfo  # (with its tz database lookup) only when the clock is asked

        return dt.datetime.now(ZoneInfo(self.config.timezone)).date()

    def kept(self, key: str, build: Callable[[], T]) -> T:
        """``build()``: for a result that depends only on the working tree, git's history, the
        settings and ``key`` (which names everything else: the day, the arguments). A process that
        keeps a watched snapshot between requests (:class:`caseflow.resident.kept.KeptRepo`) keeps
        the result until anything changes; a command computes it each time it asks."""
        return build()

    #: Whether this session carries results from one state of the repository to the next
    #: (:meth:`carried`): only in a long-running process.
    carries = False

    def carried(self, key: str) -> Any | None:
        """What :meth:`carry` left under ``key`` in an earlier state of the repository (None: nothing,
        always in a command). Whoever uses it checks what is still valid (by digests)."""
        return None

    def carry(self, key: str, value: Any) -> None:
        """Leave ``value`` for :meth:`carried` to give in a later state (nothing, in a command)."""

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """``build()`` once per session: what a feature reads once per command (its directories, say)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]
