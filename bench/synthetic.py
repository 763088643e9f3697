"""Build a synthetic case repository: N fictional clients with months of multi-author history.

    python bench/synthetic.py PATH [--clients 1000] [--seed 7]

Each client goes through the default workflow as far as the calendar allows: intake (client record
and a release of information), evaluation (a PHQ-9), planning (the service plan, a referral, an
appointment), the supervisor's approval of the plan, active (contact notes, the appointment kept or
missed). Intakes are spread over the months from START to END, so the clients that came late are
still in intake, evaluation or planning, and some plans changed after their approval: the review
queue and the due list have work in them. Every document is valid against caseflow's forms.

Deterministic: the same seed and N give byte-identical files and the same commit ids (ids come from
a seeded random.Random; every commit carries fixed author and committer dates).

The history is written in one `git fast-import` stream, then checked out with `git reset --hard`:
thousands of `git commit` processes would take hours. One commit holds one person's work of one
kind on one day (all of casey's visits of 2026-05-04, say), with a Caseflow-Client trailer per
client. A real agency makes one commit per action, but each commit also writes a new `clients/`
tree (one entry per client, ~360 KB at 10,000 clients), so one commit per action would make the
generator itself the slowest thing measured. `git log` and `caseflow log` therefore walk fewer
commits here (a few thousand) than they would in a real repository of this size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from caseflow.agency.init import init_repository
from caseflow.core.case import blob_id
from caseflow.core.ids import CROCKFORD
from caseflow.core.store import Author

# Fictional staff; not caseflow.testing's list, which would need pytest on a runtime-only install.
# (id, name, email, role); the case managers report to the supervisor, sam.
STAFF = (
    ("casey", "Casey Rivera", "casey@riverbend.example", "case_manager"),
    ("robin", "Robin Okafor", "robin@riverbend.example", "case_manager"),
    ("avery", "Avery Lindqvist", "avery@riverbend.example", "case_manager"),
    ("sam", "Sam Whitfield", "sam@riverbend.example", "supervisor"),
)
WORKERS = tuple(member[0] for member in STAFF if member[3] == "case_manager")
SUPERVISOR = "sam"
AUTHORS = {member[0]: Author(member[1], member[2]) for member in STAFF}

# Obviously invented names only.
GIVEN = ["Ana", "Luis", "Mei", "Omar", "Priya", "Sam", "Tomás", "Zoë", "Kwame", "Ines", "Noor", "Jun", "Ada", "Felix"]
FAMILY = ["Example", "Sample", "Testperson", "Fictional", "Placeholder", "Madeup", "Notreal", "Specimen"]

#: The history runs from START to END; `CASEFLOW_TODAY` = MORNING_AFTER reads it as the next morning.
START = dt.date(2026, 3, 2)
END = dt.date(2026, 11, 13)
MORNING_AFTER = END + dt.timedelta(days=1)
INTAKE_SPREAD_DAYS = 250

PHQ9_OPTIONS = ("Not at all", "Several days", "More than half the days", "Nearly every day")
PHQ9_BANDS = ((20, "severe"), (15, "moderately severe"), (10, "moderate"), (5, "mild"), (0, "minimal"))
VISIT_TYPES = ("office", "home", "phone", "video")
VISIT_NOTES = (
    "Talked through the housing application; the pay stubs are still missing.",
    "Checked in about mood and sleep; counseling is going well so far.",
    "Reviewed the plan goals together; next step is the benefits appointment.",
    "Brief check-in. The application was submitted on time.",
)

# Each kind of event, in the order they happen on one day (a stage change after what allows it).
# kind -> (rank within the day, commit action, stage trailer)
EVENTS: dict[str, tuple[int, str, str | None]] = {
    "intake": (0, "intake", None),
    "evaluation": (1, "advance", "intake -> evaluation"),
    "screen": (2, "screen", None),
    "planning": (3, "advance", "evaluation -> planning"),
    "refer": (4, "referral", None),
    "appt-add": (5, "appt add", None),
    "approve": (6, "approve", None),
    "active": (7, "advance", "planning -> active"),
    "accepted": (8, "referral", None),
    "appt-kept": (9, "appt", None),
    "visit1": (10, "visit", None),
    "visit2": (10, "visit", None),
    "plan-update": (11, "set", None),
}


@dataclass(frozen=True)
class Story:
    """Everything random about one client, drawn once; documents are rendered from it on demand."""

    client_id: str
    name: str
    dob: dt.date
    phone: str
    worker: str
    consent_id: str
    referral_id: str
    answers: tuple[int, ...]  # PHQ-9 q1..q9
    kept: bool  # the first appointment was kept (else missed)
    visit_types: tuple[str, str]
    notes: tuple[str, str]
    # Kind of event -> its day, for the events on or before END ("plan-update" for about one client
    # in eight: the plan changed after its approval, so it waits in the review queue).
    days: dict[str, dt.date]

    @property
    def risk(self) -> bool:
        return self.answers[8] > 0


def workday(day: dt.date) -> dt.date:
    """Staff work Monday to Friday: a weekend day moves to the Monday after."""
    return day + dt.timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def draw_id(rng: random.Random, prefix: str, used: set[str]) -> str:
    """A Crockford id like caseflow.core.ids.random_client_id, but from the seeded generator."""
    while True:
        value = prefix + "".join(rng.choice(CROCKFORD) for _ in range(6))
        if value not in used:
            used.add(value)
            return value


def draw_story(rng: random.Random, used: set[str]) -> Story:
    client_id = draw_id(rng, "C-", used)
    intake = workday(START + dt.timedelta(days=rng.randrange(INTAKE_SPREAD_DAYS)))
    flagged = rng.random() < 0.08
    answers = (*(rng.choice((0, 0, 1, 1, 2, 3)) for _ in range(8)), 1 if flagged else 0)
    days = {"intake": intake}
    days["evaluation"] = workday(intake + dt.timedelta(days=1))
    days["screen"] = workday(days["evaluation"] + dt.timedelta(days=rng.randint(1, 3)))
    days["planning"] = workday(days["screen"] + dt.timedelta(days=rng.randint(3, 7)))
    days["refer"] = days["appt-add"] = workday(days["planning"] + dt.timedelta(days=1))
    # The supervisor signs off at the end of a day; the case manager moves the client on the next.
    days["approve"] = workday(days["refer"] + dt.timedelta(days=rng.randint(1, 4)))
    days["active"] = workday(days["approve"] + dt.timedelta(days=1))
    days["accepted"] = workday(days["refer"] + dt.timedelta(days=rng.randint(5, 10)))
    appointment = workday(days["refer"] + dt.timedelta(days=14))
    days["appt-kept"] = workday(appointment + dt.timedelta(days=1))
    days["visit1"] = workday(days["active"] + dt.timedelta(days=rng.randint(5, 12)))
    days["visit2"] = workday(days["visit1"] + dt.timedelta(days=rng.randint(14, 28)))
    if rng.random() < 0.12:
        days["plan-update"] = workday(days["active"] + dt.timedelta(days=30))
    return Story(
        client_id=client_id,
        name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
        dob=dt.date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)),
        phone=f"555-01{rng.randint(10, 99)}",
        worker=rng.choice(WORKERS),
        consent_id=draw_id(rng, "CN-", used),
        referral_id=draw_id(rng, "R-", used),
        answers=answers,
        kept=rng.random() < 0.85,
        visit_types=(rng.choice(VISIT_TYPES), rng.choice(VISIT_TYPES)),
        notes=(rng.choice(VISIT_NOTES), rng.choice(VISIT_NOTES)),
        days={kind: day for kind, day in days.items() if day <= END},
    )


# --- documents ---------------------------------------------------------------------------------

STAGES = ("intake", "evaluation", "planning", "active")
STAGE_REASONS = (
    "Referred by a primary care clinic; release of information signed.",
    "Identity and consent complete.",
    "PHQ-9 given; ready to write the plan together.",
    "Plan signed by the client and approved in supervision.",
)


def client_yaml(s: Story, stage: int, flagged: bool | None = None) -> str:
    """The client record after `stage` stage changes (0 = just taken in), with its risk flag or not."""
    history = ""
    for index in range(stage + 1):
        kind = STAGES[index]
        day = s.days["intake" if index == 0 else kind]
        came_from = f"  - from: {STAGES[index - 1]}\n    to: {kind}\n" if index else f"  - to: {kind}\n"
        history += f"{came_from}    on: {day}\n    by: {s.worker}\n    reason: {STAGE_REASONS[index]}\n"
    # The risk flag is set by the screening, which comes after the move to evaluation.
    if flagged is None:
        flagged = s.risk and stage >= 2
    if flagged:
        flags = (
            f"\n  - id: rf1\n    flag: Suicide risk\n    since: {s.days['screen']}\n"
            "    source: PHQ-9 item 9 positive\n    note: Safety plan made with the client.\n"
        )
    else:
        flags = " []\n"
    return f"""form: core.client
id: {s.client_id}
name: {s.name}
dob: {s.dob}
phone: {s.phone}
language: English
assigned_worker: {s.worker}
intake_date: {s.days["intake"]}
stage: {STAGES[stage]}
stage_history:
{history}risk_flags:{flags}"""


def consent_yaml(s: Story) -> str:
    signed = s.days["intake"]
    return f"""form: core.consent
id: {s.consent_id}
client: {s.client_id}
kind: release
regulation: hipaa
patient_name: {s.name}
disclosing_party: Bench Agency
information_covered:
  - Contact details and service plan goals
recipients:
  - name: Eastside Counseling
    provider: eastside-counseling
purposes:
  - Coordinating counseling services
right_to_revoke: In writing, at any time, to the case manager.
expires_on: {signed.replace(year=signed.year + 1)}
signed_by:
  name: {s.name}
  relationship: self
signed_on: {signed}
redisclosure_notice: true
conditioning_statement: true
recorded_by: {s.worker}
status: active
"""


def phq9_yaml(s: Story) -> str:
    total = sum(s.answers)
    band = next(name for floor, name in PHQ9_BANDS if total >= floor)
    answers = "".join(f"  q{n}: {v}   # {PHQ9_OPTIONS[v]}\n" for n, v in enumerate(s.answers, start=1))
    flags = "[suicide-risk]" if s.risk else "[]"
    return f"""# PHQ-9 1.0: scored by caseflow; the result is recomputed on every validation.
form: instruments.phq9
client: {s.client_id}
date: {s.days["screen"]}
administered_by: {s.worker}
instrument_version: '1.0'
answers:
{answers}result:
  total: {total}
  band: {band}
  flags: {flags}
"""


def plan_yaml(s: Story, updated: bool = False) -> str:
    created = s.days["planning"]
    review = created + dt.timedelta(days=60 if updated else 90)
    return f"""# Service plan
form: core.plan
client: {s.client_id}
created: {created}
author: {s.worker}
review_date: {review}
goals:
  - id: g1
    title: Stable housing
    status: active
    target_date: {created + dt.timedelta(days=120)}
    objectives:
      - id: g1-o1
        statement: Submit the housing application
        target_date: {created + dt.timedelta(days=30)}
        responsible: client with case manager
    interventions:
      - id: g1-i1
        action: Weekly check-in about the application
        responsible: case manager
        frequency: weekly
  - id: g2
    title: Feel less depressed
    status: active
    objectives:
      - id: g2-o1
        statement: PHQ-9 score below 10
        target_date: {created + dt.timedelta(days=90)}
        responsible: client with counselor
"""


def approvals_yaml(s: Story) -> str:
    return f"""# Supervisor decisions, each bound to one version (git blob id) of one document.
form: core.approvals
client: {s.client_id}
approvals:
  - document: plan.yaml
    blob: {blob_id(plan_yaml(s).encode())}
    decision: approved
    by: {SUPERVISOR}
    at: '{s.days["approve"]}T16:00:00+00:00'
    comment: Goals are specific and measurable.
"""


def referral_yaml(s: Story, accepted: bool) -> str:
    requested = s.days["refer"]
    history = f"  - status: requested\n    on: {requested}\n    by: {s.worker}\n"
    if accepted:
        history += f"  - status: accepted\n    on: {s.days['accepted']}\n    by: {s.worker}\n"
    return f"""form: core.referral
id: {s.referral_id}
client: {s.client_id}
provider: eastside-counseling
provider_name: Eastside Counseling
service: Individual counseling
category: counseling
goal: g2
purpose: Coordinating counseling services
information:
  - Contact details and service plan goals
consent: {s.consent_id}
requested_on: {requested}
requested_by: {s.worker}
status: {"accepted" if accepted else "requested"}
history:
{history}"""


def appointments_yaml(s: Story, recorded: bool) -> str:
    first = workday(s.days["refer"] + dt.timedelta(days=14))
    status = ("kept" if s.kept else "missed") if recorded else "scheduled"
    text = f"""form: core.appointments
client: {s.client_id}
appointments:
  - id: a1
    with: Eastside Counseling
    provider: eastside-counseling
    date: {first}
    time: "16:00"
    purpose: Counseling intake
    referral: {s.referral_id}
    status: {status}
"""
    if recorded:
        text += f"""  - id: a2
    with: Eastside Counseling
    provider: eastside-counseling
    date: {first + dt.timedelta(days=14)}
    time: "16:00"
    purpose: Weekly counseling
    referral: {s.referral_id}
    status: scheduled
"""
    return text


def visit_md(s: Story, index: int) -> tuple[str, str]:
    day, kind = s.days[f"visit{index + 1}"], s.visit_types[index]
    minutes = 15 if kind == "phone" else 45
    text = f"""---
form: core.visit
client: {s.client_id}
date: {day}
type: {kind}
duration_minutes: {minutes}
author: {s.worker}
goals: [g1, g2]
---
# Contact note

## What happened

{s.notes[index]}

## Next steps

- Check in again within two weeks.
"""
    return f"visits/{day}-{kind}.md", text


def event_files(s: Story, kind: str) -> dict[str, str]:
    """The files one event writes, relative to the client's folder."""
    consent, referral = f"consents/{s.consent_id}.yaml", f"referrals/{s.referral_id}.yaml"
    if kind == "intake":
        return {"client.yaml": client_yaml(s, 0), consent: consent_yaml(s)}
    if kind == "evaluation":
        return {"client.yaml": client_yaml(s, 1)}
    if kind == "screen":
        # A positive item 9 sets the risk flag in the same commit, as `caseflow screen` does.
        files = {f"evaluation/{s.days['screen']}-phq9.yaml": phq9_yaml(s)}
        if s.risk:
            files["client.yaml"] = client_yaml(s, 1, flagged=True)
        return files
    if kind == "planning":
        return {"client.yaml": client_yaml(s, 2), "plan.yaml": plan_yaml(s)}
    if kind == "refer":
        return {referral: referral_yaml(s, accepted=False)}
    if kind == "appt-add":
        return {"appointments.yaml": appointments_yaml(s, recorded=False)}
    if kind == "approve":
        return {"approvals.yaml": approvals_yaml(s)}
    if kind == "active":
        return {"client.yaml": client_yaml(s, 3)}
    if kind == "accepted":
        return {referral: referral_yaml(s, accepted=True)}
    if kind == "appt-kept":
        return {"appointments.yaml": appointments_yaml(s, recorded=True)}
    if kind in ("visit1", "visit2"):
        return dict([visit_md(s, int(kind[-1]) - 1)])
    if kind == "plan-update":
        return {"plan.yaml": plan_yaml(s, updated=True)}
    raise ValueError(kind)


# --- history ------------------------------------------------------------------------------------


def staff_config(path: Path) -> bytes:
    """caseflow.yaml as `caseflow init` wrote it, with the staff list filled in."""
    staff = ""
    for staff_id, name, email, role in STAFF:
        staff += f"  - id: {staff_id}\n    name: {name}\n    email: {email}\n    role: {role}\n"
        if role == "case_manager":
            staff += f"    supervisor: {SUPERVISOR}\n"
    return (path / "caseflow.yaml").read_text().replace("staff: []\n", "staff:\n" + staff).encode()


def commit_message(clients: list[str], actions: list[str], stages: list[str]) -> bytes:
    """caseflow's subject and trailers (caseflow.core.store.commit_message), one Client per client."""
    subject = f"{actions[0]} {clients[0]}" if len(clients) == 1 else f"{', '.join(actions)} ({len(clients)} clients)"
    trailers = [f"Caseflow-Client: {c}" for c in clients] + [f"Caseflow-Action: {a}" for a in actions]
    trailers += [f"Caseflow-Stage: {stage}" for stage in stages]
    return (subject + "\n\n" + "\n".join(trailers) + "\n").encode()


def commits(stories: list[Story], config: bytes) -> Iterator[tuple[str, dt.datetime, bytes, dict[str, bytes]]]:
    """(author id, when, message, files) of every commit after the first, oldest first."""
    yield (
        SUPERVISOR,
        dt.datetime.combine(START - dt.timedelta(days=3), dt.time(10), dt.UTC),
        (b"staff-add\n\nCaseflow-Action: staff-add\n"),
        {"caseflow.yaml": config},
    )
    # One commit per person and day: each commit writes a new clients/ tree of one entry per client,
    # so one commit per action would make the history cost O(actions x clients) to write.
    buckets: dict[tuple[dt.date, str], list[tuple[int, int, str]]] = {}
    for index, story in enumerate(stories):
        for kind, day in story.days.items():
            author = SUPERVISOR if kind == "approve" else story.worker
            buckets.setdefault((day, author), []).append((EVENTS[kind][0], index, kind))
    previous, count = None, 0
    for day, author in sorted(buckets, key=lambda key: (key[0], key[1] == SUPERVISOR, key[1])):
        # A supervisor signs off at the end of the day; the case managers' days are spread from 16:00.
        count = count + 1 if day == previous else 0
        previous = day
        at = dt.datetime.combine(day, dt.time(16), dt.UTC) + dt.timedelta(minutes=20 * count)
        files: dict[str, bytes] = {}
        clients: list[str] = []
        actions: list[str] = []
        stages: list[str] = []
        # Within the day, in the order things happen: a stage change after what allows it.
        for _, index, kind in sorted(buckets[(day, author)]):
            story = stories[index]
            _, action, stage = EVENTS[kind]
            if story.client_id not in clients:
                clients.append(story.client_id)
            if action not in actions:
                actions.append(action)
            if stage and stage not in stages:
                stages.append(stage)
            for rel, text in event_files(story, kind).items():
                files[f"clients/{story.client_id}/{rel}"] = text.encode()
        yield author, at, commit_message(clients, actions, stages), files


def write_stream(out: IO[bytes], history: Iterator[tuple[str, dt.datetime, bytes, dict[str, bytes]]]) -> int:
    """The fast-import commands for `history` on top of refs/heads/main; returns the commit count."""
    count = 0
    for author_id, at, message, files in history:
        author = AUTHORS[author_id]
        person = f"{author.name} <{author.email}> {int(at.timestamp())} +0000\n".encode()
        out.write(b"commit refs/heads/main\nauthor " + person + b"committer " + person)
        out.write(b"data %d\n%s\n" % (len(message), message))
        if count == 0:
            out.write(b"from refs/heads/main^0\n")
        for rel in sorted(files):
            data = files[rel]
            out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (rel.encode(), len(data), data))
        out.write(b"\n")
        count += 1
    out.write(b"done\n")
    return count


def initial_commit(path: Path) -> str:
    """`caseflow init`'s repository as the history starts from it; returns its (deterministic) commit id.

    The id depends on what caseflow's init writes, so bench/repo_cache.py compares it with a cached
    repository's first commit to tell whether caseflow still builds the same start.
    """
    return init_repository(
        path,
        agency="Bench Agency",
        author=AUTHORS[SUPERVISOR],
        at=dt.datetime.combine(START - dt.timedelta(days=7), dt.time(8), dt.UTC),
    )


def build(path: Path, clients: int, seed: int = 7) -> Path:
    """Create the repository at `path` (a new or empty folder) and return it."""
    rng = random.Random(seed)
    used: set[str] = set()
    stories = [draw_story(rng, used) for _ in range(clients)]
    initial_commit(path)
    git = ["git", "-c", "core.fsync=none"]  # a generated repository need not survive a power cut
    importer = subprocess.Popen([*git, "fast-import", "--quiet", "--done"], cwd=path, stdin=subprocess.PIPE)
    assert importer.stdin is not None
    try:
        write_stream(importer.stdin, commits(stories, staff_config(path)))
    finally:
        importer.stdin.close()
    if importer.wait() != 0:
        raise RuntimeError(f"git fast-import failed in {path}")
    # The branch moved under the checked-out files: write the working tree and index to match it.
    subprocess.run([*git, "reset", "--hard", "-q"], cwd=path, check=True)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    build(args.path, args.clients, args.seed)
    print(f"{args.clients:,} clients in {args.path} ({time.perf_counter() - started:.1f} s)")
