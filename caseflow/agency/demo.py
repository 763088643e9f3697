"""``caseflow demo``: the example agency as a real git repository with weeks of history.

The files of ``example_casefiles/`` are replayed in the order the work happened: each document is
committed by the person who wrote it, on the day it is dated, and each client's record is
committed once per stage change. The result is what a repository looks like after a season of
use, ready for ``git log``, ``caseflow show`` and every later command.

Where OpenSSH's ``ssh-keygen`` is installed (it nearly always is), the demo then does what the
README asks of every real agency: it makes a signing key for each fictional member of staff (kept
in the git-ignored ``.caseflow/keys/``), the director registers them and turns on ``signing:
required``, so every command of the tour is signed. A branch, ``forged-approval``, holds what a
case manager might try: an approval in the supervisor's name, committed by herself.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.agency.init import init_repository
from caseflow.core import layout, signing
from caseflow.core.case import blob_id
from caseflow.core.casefiles import CLIENTS_DIR, client_documents, client_ids
from caseflow.core.config import CONFIG_FILE, RepoConfig
from caseflow.core.documents import delete_item, load_document, load_plain, new_mapping, new_sequence
from caseflow.core.form_files import FORMS_DIR
from caseflow.core.git.commit import commit_message
from caseflow.core.git.fastimport import NewCommit, append_commits
from caseflow.core.git.runner import git
from caseflow.core.resources import shipped_dir
from caseflow.core.store import Author, Store
from caseflow.errors import AlreadyExists

if TYPE_CHECKING:
    from caseflow.plugins import PluginHost

DEMO_MARKER = layout.DEMO_MARKER
FORGED_BRANCH = "forged-approval"
DIRECTORY_FOLDERS = ("providers", "directories")
DIRECTORY_ACTION = "set up provider directories"
FORMS_ACTION = "set up agency forms"
HOUSEHOLDS_DIR = "households"
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_DATE_FIELDS = ("date", "signed_on", "requested_on", "created", "intake_date")
_AUTHOR_FIELDS = ("author", "interviewer", "administered_by", "recorded_by", "requested_by", "received_by", "assessor")


@dataclass(frozen=True)
class Step:
    """One commit of the replayed history."""

    day: dt.date
    author: str
    action: str
    client: str | None
    files: Mapping[str, bytes]
    #: More trailers (``Stage: planning -> active`` on a stage change, as ``caseflow advance`` writes).
    details: Mapping[str, str] = field(default_factory=dict)

    @property
    def order(self) -> tuple[dt.date, int, str, str]:
        # On one day: a new client first, then documents, then the stage change they allow.
        rank = {"intake": 0, "new": 1, "screen": 1, "approve": 2}.get(self.action, 3)
        return self.day, rank, self.client or "", next(iter(self.files))


def example_dir() -> Path:
    return shipped_dir("example_casefiles")


def build_demo(path: Path, *, replace: bool = False, source: Path | None = None, caseload: bool = True) -> Path:
    """Build the demo repository at ``path``; ``replace`` only ever removes an earlier demo.

    ``caseload``: add the year of generated clients behind the storied ones
    (:mod:`caseflow.agency.caseload`); without it, only the storied clients (quicker, for tests
    that need no more)."""
    source = source or example_dir()
    if path.exists() and any(path.iterdir()):
        if not (replace and (path / DEMO_MARKER).exists()):
            raise AlreadyExists(f"{path} holds something other than an earlier caseflow demo; choose another PATH")
        shutil.rmtree(path)
    config_raw = (source / CONFIG_FILE).read_bytes()
    config_data, _ = load_plain(CONFIG_FILE, config_raw)
    config = RepoConfig.from_plain(config_data)
    staff = {member.id: Author(member.name, member.email, staff_id=member.id) for member in config.staff}
    storied = sorted(_history(source, config), key=lambda s: s.order)
    steps = storied + (_caseload(config, storied, client_ids(source)) if caseload else [])
    steps = _directories_first(sorted(steps, key=lambda s: s.order))
    first_day = steps[0].day - dt.timedelta(days=7) if steps else dt.date.today()
    lead = next((m.id for m in config.staff if config.is_admin(m)), config.staff[0].id)
    init_repository(path, agency=config.agency, timezone=config.timezone, author=staff[lead], at=_morning(first_day))
    store = Store(path)
    with store.transaction(staff[lead], action="staff-add", client=None, at=_morning(first_day, 10)) as tx:
        tx.write(CONFIG_FILE, config_raw)
    # One git process writes the whole history: a commit per step, by its author, on its day.
    with store.lock():
        append_commits(
            path,
            (
                NewCommit(
                    staff[step.author].name,
                    staff[step.author].email,
                    at,
                    commit_message(step.action, step.client, step.details),
                    step.files,
                )
                for step, at in zip(steps, _office_hours(steps), strict=True)
            ),
        )
    last_day = steps[-1].day if steps else dt.date.today()
    if shutil.which("ssh-keygen") is not None:
        keys = _require_signing(path, store, config, staff[lead], at=_morning(last_day, 18))
        staff = {who: Author(a.name, a.email, keys[who], who) for who, a in staff.items()}
    planning = [s for s in storied if s.action == "advance" and s.details.get("Stage", "").endswith("-> planning")]
    supervisor = next((m.id for m in config.staff if m.role == "supervisor"), None)
    if planning and supervisor:
        forger, client_id = staff[planning[-1].author], planning[-1].client or ""
        _forge_approval(path, store, forger, client_id, supervisor, at=_morning(last_day, 19))
    morning = last_day + dt.timedelta(days=1)
    told = " ".join(client_ids(source))
    (path / DEMO_MARKER).write_text(f"built by caseflow demo\nmorning: {morning.isoformat()}\nstoried: {told}\n")
    return path


def _caseload(config: RepoConfig, storied: list[Step], taken: list[str]) -> list[Step]:
    """The generated year of clients (:mod:`caseflow.agency.caseload`) as steps, up to the storied last day."""
    from caseflow.agency.caseload import generate

    workers = [m.id for m in config.staff if m.role == "case_manager"]
    supervisor = next((m.id for m in config.staff if m.role == "supervisor"), None)
    if not storied or not workers or supervisor is None:
        return []
    events = generate(workers, supervisor, storied[-1].day, set(taken))
    return [Step(e.day, e.author, e.action, e.client, e.files, e.details) for e in events]


def _directories_first(steps: list[Step]) -> list[Step]:
    """The provider directories set up three days before the first intake of all (generated ones too)."""
    setup = [s for s in steps if s.client is None and s.action == DIRECTORY_ACTION]
    if not setup or len(steps) == len(setup):
        return steps
    rest = [s for s in steps if s not in setup]
    day = min(setup[0].day, rest[0].day - dt.timedelta(days=3))
    return [replace(setup[0], day=day), *rest]


def _require_signing(path: Path, store: Store, config: RepoConfig, admin: Author, at: dt.datetime) -> dict[str, str]:
    """A key for everyone (private halves in ``.caseflow/keys/``), registered and required by the
    admin in one commit; the history before it is the accepted baseline. Returns each key's path."""
    keys = {m.id: path.resolve() / layout.KEYS / m.id for m in config.staff}  # git runs in the repository
    public = {who: signing.generate_key(key, f"{who}@caseflow-demo") for who, key in keys.items()}
    document = load_document(CONFIG_FILE, (path / CONFIG_FILE).read_bytes())
    for entry in document.data["staff"]:
        entry["keys"] = new_sequence([public[entry["id"]]])
    document.data["signing"] = new_mapping({"required": True, "baseline": store.head()})
    with store.transaction(admin, action="signing-require", client=None, at=at) as tx:
        tx.write(CONFIG_FILE, document.to_bytes())
    return {who: str(key) for who, key in keys.items()}


def _forge_approval(path: Path, store: Store, forger: Author, client_id: str, supervisor: str, at: dt.datetime) -> None:
    """On a branch of its own: the client's worker writes the supervisor's approval of the plan
    herself and commits it (signed with her own key): what ``advance`` and ``verify`` refuse."""
    main = git(path, "symbolic-ref", "--short", "HEAD").strip()
    forged = _plan_approval(path, client_id, at.date(), supervisor)
    git(path, "switch", "-q", "-c", FORGED_BRANCH)
    try:
        with store.transaction(forger, action="hand edit", client=client_id, at=at) as tx:
            for rel, data in forged.files.items():
                tx.write(rel, data)
    finally:
        git(path, "switch", "-q", main)


def _office_hours(steps: list[Step]) -> Iterator[dt.datetime]:
    """Spread each day's commits from 9:00, 25 minutes apart (closer on a busy day, so that the
    last is before 17:00), so `git log` reads like a working day."""
    per_day = Counter(step.day for step in steps)
    previous, count = None, 0
    for step in steps:
        count = count + 1 if step.day == previous else 0
        previous = step.day
        gap = min(25.0, 480 / per_day[step.day])
        yield _morning(step.day, 9) + dt.timedelta(seconds=int(60 * gap * count))


def _morning(day: dt.date, hour: int = 8) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def _history(source: Path, config: RepoConfig) -> Iterator[Step]:
    staff_ids = {m.id for m in config.staff}
    supervisor = next((m.id for m in config.staff if m.role == "supervisor"), sorted(staff_ids)[0])
    yield from _directory_setup(source, supervisor)
    admin = next((m.id for m in config.staff if config.is_admin(m)), supervisor)
    yield from _forms_setup(source, admin)
    yield from _households(source, supervisor)
    for client_id in client_ids(source):
        record_path = f"{CLIENTS_DIR}/{client_id}/client.yaml"
        record, _ = load_plain(record_path, (source / record_path).read_bytes())
        assigned = record.get("assigned_worker")
        worker = assigned if isinstance(assigned, str) and assigned in staff_ids else sorted(staff_ids)[0]
        intake_day = _day(record.get("intake_date")) or dt.date.today()
        yield from _client_record_versions(source, record_path, record, client_id, worker, staff_ids, supervisor)
        for doc in client_documents(source, client_id):
            if doc.path == record_path:
                continue
            data, _ = load_plain(doc.path, (source / doc.path).read_bytes())
            author = next((str(data[f]) for f in _AUTHOR_FIELDS if data.get(f) in staff_ids), worker)
            day = next((d for f in _DATE_FIELDS if (d := _day(data.get(f)))), None) or _earliest(data, intake_day)
            action = "screen" if str(data.get("form", "")).startswith("instruments.") else "new"
            yield Step(day, author, action, client_id, {doc.path: (source / doc.path).read_bytes()})


def _directory_setup(source: Path, supervisor: str) -> Iterator[Step]:
    """The agency's provider files and imported directories, set up three days before the first intake."""
    files = {
        path.relative_to(source).as_posix(): path.read_bytes()
        for folder in DIRECTORY_FOLDERS
        for path in sorted((source / folder).rglob("*"))
        if path.is_file()
    }
    if not files:
        return
    intakes = []
    for client_id in client_ids(source):
        record_path = f"{CLIENTS_DIR}/{client_id}/client.yaml"
        intakes.append(_day(load_plain(record_path, (source / record_path).read_bytes())[0].get("intake_date")))
    first = min((day for day in intakes if day is not None), default=dt.date.today())
    yield Step(first - dt.timedelta(days=3), supervisor, DIRECTORY_ACTION, None, files)


def _forms_setup(source: Path, admin: str) -> Iterator[Step]:
    """The agency's own forms (``forms/``), added by someone with the admin right (forms are rules)
    three days before the first intake, as the directories are."""
    folder = source / FORMS_DIR
    files = {f"{FORMS_DIR}/{p.name}": p.read_bytes() for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}
    if files:
        first = min((s.day for s in _directory_setup(source, admin)), default=None)
        day = first if first is not None else dt.date.today()
        yield Step(day, admin, FORMS_ACTION, None, files)


def _households(source: Path, supervisor: str) -> Iterator[Step]:
    """Each household of the example (``households/<id>/``): its record and family plan by its case
    manager on the day it was made, and the supervisor's approval of the plan the next day."""
    folder = source / HOUSEHOLDS_DIR
    for household in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        base = f"{HOUSEHOLDS_DIR}/{household.name}"
        record, _ = load_plain(f"{base}/household.yaml", (household / "household.yaml").read_bytes())
        day = _day(record.get("created")) or dt.date.today()
        files = {f"{base}/{p.name}": p.read_bytes() for p in sorted(household.glob("*.yaml"))}
        yield Step(day, str(record.get("worker")), "household", None, files)
        plan = files.get(f"{base}/family-plan.yaml")
        if plan is not None:
            text = (
                "form: core.household-approvals\n"
                f"household: {household.name}\n"
                "approvals:\n"
                "  - document: family-plan.yaml\n"
                f"    blob: {blob_id(plan)}\n"
                "    decision: approved\n"
                f"    by: {supervisor}\n"
                f"    at: '{(day + dt.timedelta(days=1)).isoformat()}T16:00:00+00:00'\n"
                "    comment: Each objective names the member who carries it.\n"
            )
            approval = {f"{base}/approvals.yaml": text.encode()}
            yield Step(day + dt.timedelta(days=1), supervisor, "approve", None, approval)


def _plan_approval(source: Path, client_id: str, day: dt.date, supervisor: str) -> Step:
    """The supervisor's sign-off that let a client leave planning: bound to the plan as committed."""
    plan = (source / CLIENTS_DIR / client_id / "plan.yaml").read_bytes()
    text = (
        "# Supervisor decisions, each bound to one version (git blob id) of one document.\n"
        "form: core.approvals\n"
        f"client: {client_id}\n"
        "approvals:\n"
        "  - document: plan.yaml\n"
        f"    blob: {blob_id(plan)}\n"
        "    decision: approved\n"
        f"    by: {supervisor}\n"
        f"    at: '{day.isoformat()}T16:00:00+00:00'\n"
        "    comment: Goals are specific and the client's own words are in them.\n"
    )
    return Step(day, supervisor, "approve", client_id, {f"{CLIENTS_DIR}/{client_id}/approvals.yaml": text.encode()})


def _client_record_versions(
    source: Path,
    path: str,
    record: Mapping[str, Any],
    client_id: str,
    worker: str,
    staff_ids: set[str],
    supervisor: str,
) -> Iterator[Step]:
    """One commit per stage change: the record as it stood after each step of its history."""
    raw = (source / path).read_bytes()
    history = [h for h in record.get("stage_history") or [] if isinstance(h, Mapping)]
    for index, change in enumerate(history):
        day = _day(change.get("on")) or dt.date.today()
        document = load_document(path, raw)
        entries = document.data["stage_history"]
        for later in range(len(entries) - 1, index, -1):
            delete_item(entries, later)
        document.data["stage"] = change.get("to")
        flags = document.data.get("risk_flags")
        for flag_index in range(len(flags or ()) - 1, -1, -1):
            since = _day(flags[flag_index].get("since"))
            if since is not None and since > day:
                delete_item(flags, flag_index)
        author = str(change["by"]) if change.get("by") in staff_ids else worker
        action = "intake" if index == 0 else "advance"
        if change.get("from") == "planning" and (source / path).with_name("plan.yaml").exists():
            yield _plan_approval(source, client_id, day, supervisor)
        details = {"Stage": f"{change.get('from')} -> {change.get('to')}"} if action == "advance" else {}
        files = {path: raw if index == len(history) - 1 else document.to_bytes()}
        yield Step(day, author, action, client_id, files, details)


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _earliest(data: Mapping[str, Any], floor: dt.date) -> dt.date:
    days = [d for d in (_day(m) for m in _ISO_DATE.findall(repr(data))) if d is not None and d >= floor]
    return min(days, default=floor)


REPORT_FILE = layout.DEMO_REPORT


def write_report(path: Path, host: PluginHost | None = None) -> Path:
    """The funder summary of the demo's year, as the HTML page a director would send (local only).

    ``host``: the plugins later commands will load (so that what the report leaves in the index
    is theirs too)."""
    from caseflow.core.store import atomic_write
    from caseflow.repo import open_repo
    from caseflow.reporting.run import run_report

    repo = open_repo(path, environ={"CASEFLOW_TODAY": _morning_after(path)}, host=host)
    director = next(m for m in repo.config.staff if m.role in repo.config.identified_report_roles)
    rendered = run_report(repo, director, "core.funder-summary", fmt="html", start=report_start(path))
    target = path / REPORT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, rendered.text.encode("utf-8"))
    return target


def warm_caches(path: Path, host: PluginHost | None = None) -> None:
    """Validate every document once, so that the index keeps each one's verdict: the tour's first
    ``caseflow validate`` (and every copy of the demo a test makes) need not check thousands again.
    ``host``: the plugins the commands load (the index keeps what was derived under one set)."""
    from caseflow.repo import open_repo

    open_repo(path, environ={"CASEFLOW_TODAY": _morning_after(path)}, host=host).validate()


def report_start(path: Path) -> str:
    """The first day of the demo's year (its reports cover the twelve months up to its morning)."""
    morning = dt.date.fromisoformat(_morning_after(path))
    return (morning - dt.timedelta(days=365)).isoformat()


def _first_household(path: Path) -> str:
    folder = path / HOUSEHOLDS_DIR
    found = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return found[0] if found else "H-..."


def storied_ids(path: Path) -> list[str]:
    """The storied clients of a demo (the example case files'), as its marker keeps them."""
    marker = path / DEMO_MARKER
    found = re.search(r"^storied: (.*)$", marker.read_text() if marker.exists() else "", re.M)
    return found.group(1).split() if found else client_ids(example_dir())


def _morning_after(path: Path) -> str:
    """The day after the demo's last records, as the marker keeps it (today if it says none)."""
    marker = path / DEMO_MARKER
    text = marker.read_text() if marker.exists() else ""
    found = re.search(r"^morning: (\d{4}-\d{2}-\d{2})$", text, re.M)
    return found.group(1) if found else dt.date.today().isoformat()


def _search_words(path: Path, client_id: str) -> str:
    """How a person might type a client's name into find: family name first, lower case, a letter
    dropped from the given name (the tour shows what find forgives)."""
    data, _ = load_plain(
        f"{CLIENTS_DIR}/{client_id}/client.yaml", (path / CLIENTS_DIR / client_id / "client.yaml").read_bytes()
    )
    words = str(data.get("name") or "").lower().split()
    if len(words) < 2:
        return client_id
    given = words[0] if len(words[0]) < 5 else words[0][:2] + words[0][3:]
    return f"{words[1]} {given}"


def tour(path: Path) -> str:
    """The short guided tour printed after the demo is built: its storied clients, and the caseload around them."""
    everyone = client_ids(path)
    ids = [c for c in storied_ids(path) if c in everyone]
    stages = {}
    for client_id in ids:
        data, _ = load_plain(
            f"{CLIENTS_DIR}/{client_id}/client.yaml", (path / CLIENTS_DIR / client_id / "client.yaml").read_bytes()
        )
        stages[client_id] = data.get("stage")
    active = next((c for c, s in stages.items() if s == "active"), ids[0] if ids else "<client-id>")
    newest = next((c for c, s in stages.items() if s == "evaluation"), active)
    planning = next((c for c, s in stages.items() if s == "planning"), active)
    intake = next((c for c, s in stages.items() if s == "intake"), active)
    found_name = _search_words(path, active)
    signed = ", signed with his key" if (path / layout.KEYS / "sam").is_file() else ""
    forged = []
    if git(path, "branch", "--list", FORGED_BRANCH).strip():
        forged = [
            (f"git switch {FORGED_BRANCH}", "where a case manager committed Sam's approval herself"),
            (f"caseflow advance {planning}", "refused: Sam made no such commit"),
            ("caseflow verify", "...names the commit and the rule it breaks (exit 1)"),
            ("git switch main", "back to the real history"),
        ]
    tries = [
        ("export CASEFLOW_USER=casey", "act as Casey, a case manager"),
        (f"export CASEFLOW_TODAY={_morning_after(path)}", "the morning after the last records (unset: today)"),
        ("caseflow due", f"this morning: what is overdue and coming for Casey, risk-flagged clients ({active}) first"),
        ("caseflow clients --worker casey", "her caseload: who is where, with risk flags (no names)"),
        (f"caseflow show {active}", "one client: stage, flags, last contact, referrals, scores, due"),
        (f'caseflow find "{found_name}"', "find a client by name: any order, accents and a typo forgiven"),
        (f"caseflow visit {active} --type phone --note 'Checked in; safety plan reviewed.'", "a contact"),
        (f"caseflow meds {active}", "medications: adherence, effects, side effects"),
        (f"caseflow appts {active}", "appointments, kept and missed"),
        ("caseflow calendar --out ~/casey.ics", "appointments and due items for a calendar program"),
        (f"caseflow --as sam report outcomes --from {report_start(path)}", "the year's PHQ-9 and GAD-7 outcomes"),
        ("caseflow --as sam report caseload", "open cases per case manager (de-identified: small counts suppressed)"),
        (f"xdg-open {REPORT_FILE}", "the year's funder summary the demo wrote (one self-contained page)"),
        (f"caseflow stages {planning}", "what stands between a client and the next stage"),
        (f"caseflow --as sam approve {planning} plan.yaml", f"Sam (supervisor) signs off this plan{signed}"),
        (f"caseflow advance {planning}", "...and the client moves on to active"),
        ("caseflow verify", "every commit checked: authors, keys, approvals, stage changes"),
        *forged,
        (f"caseflow log {active}", "the case timeline, from git history"),
        ("caseflow providers search --service mental-health --language es --near 62702", "in Spanish, nearest first"),
        (f"caseflow consents {active}", "which releases are valid today, and why not"),
        ("caseflow referrals --open", "open referrals, and those waiting 14+ days"),
        (f"caseflow referral {active} R-M3DV7A --status requested", "refused: no release names Lakeside yet"),
        (f"caseflow referral packet {active} R-4Z60E0", "what the counselor received, under its consent"),
        (f"caseflow scores {active}", "PHQ-9 and GAD-7 over time: response, remission"),
        (f"caseflow screen {newest} phq9 --answers 1,1,2,1,0,1,1,0,0", "give a PHQ-9 (or leave out --answers: asked)"),
        (f"caseflow screen {newest} cssrs", "the C-SSRS screener, question by question"),
        (f"caseflow advance {newest}", "evaluation done: on to planning (plan.yaml is started)"),
        (
            f"caseflow --as robin discharge {intake} --reason declined-services --note 'Chose to wait; will call.'",
            "a case closed early, from intake, with its reason",
        ),
        ("caseflow validate", "every document against its form"),
        ("git log --date=short --format='%ad %<(14)%an %s'", "one commit per action, by each person"),
        (f"caseflow set {active} plan.yaml review_date=2026-12-15", "a one-line change, committed"),
        ("git show HEAD", "...and its diff"),
        (f"caseflow new {newest} core.visit --field type=phone --edit", "write a contact note in $EDITOR"),
        ("caseflow household list", "households: clients and the people they live with"),
        (f"caseflow household show {_first_household(path)}", "...one: its members, the family plan Sam approved, due"),
        ("caseflow forms", "the forms documents use, with the agency's own: forms/agency.hmis-ude.yaml"),
        (f"cat clients/{active}/hmis.yaml", "...a client's document of that agency form"),
        (
            f"caseflow --as dana export --format hmis --from {report_start(path)} --to {_morning_after(path)} "
            "--out ~/hmis-export",
            "HUD's HMIS CSV for the Continuum of Care, from it",
        ),
        ("caseflow plugins --all", "what each plugin contributes"),
        ("caseflow serve --open", "all of it in your browser, as Casey: Today, caseload, client pages, forms"),
    ]
    width = max(len(command) for command, _ in tries) + 2
    others = len(everyone) - len(ids)
    around = f", and {others} more over the year behind them" if others else ""
    lines = [
        f"Demo agency ready in {path}: {len(ids)} storied clients "
        f"({', '.join(f'{c} {s}' for c, s in stages.items())}){around}.",
        "Every document was committed by the person who wrote it, on the day it is dated.",
        "",
        f"Try, from inside the folder (cd {path}):",
    ]
    if shutil.which("caseflow") is None:
        bin_dir = Path(sys.executable).parent
        lines.append(f"(first put caseflow on your PATH: source {bin_dir / 'activate'})")
    lines.append("")
    lines.extend(f"  {command.ljust(width)}# {why}" for command, why in tries)
    return "\n".join(lines) + "\n"
