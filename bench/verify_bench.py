"""`caseflow verify` and the server's pre-receive check, timed as whole processes against git in the same run.

    python bench/verify_bench.py [--commits 10000] [--repeat 5] [--push 50] [--rounds 5]
                                 [--signed] [--signed-commits 500] [--keep DIR]

Targets (issue 15, this 2-core machine): a repeat `caseflow verify` of 10,000 commits, or the
server's check of a 50-commit push, takes under 2 s; the first full run's time is reported too.
The machine is shared and noisy, so every caseflow run is paired with a run of git doing the
comparable work in the same minute, and the ratio of each pair is reported with the times.

The repository: `caseflow init`'s, then one `git fast-import` stream of caseflow-shaped commits,
one action per commit as caseflow makes them (a real agency's history, not bench/synthetic.py's
one commit per person and day): the director adds the staff (and later a case manager), then the
clients of bench/synthetic.py's stories go through intake, evaluation, screening, planning, the
supervisor's approval (in the supervisor's own commit) and active, with a contact note a week after
that. Each commit is authored by the member of staff who would make it, carries caseflow's
trailers, and keeps every rule: `caseflow verify` must exit 0 on it before anything is timed.

Measured, each a fresh process after one untimed run, paired with `git status --porcelain`:

- `caseflow verify`, first full run (`.caseflow/verified.bin` and its base deleted before each run);
- `caseflow verify` again (the kept verdicts, nothing to replay);
- `caseflow verify` after --push new commits (verdicts kept up to them: a verify after a pull).

Then the shared remote: two bare clones, one with `caseflow server install` (its hook wrapped to
record its own time), one without; each round pushes the next --push commits to both (`git push` of
a local path, whole: pack transfer, the hook, the ref update) in alternating order. The first push
after install is reported on its own: the server has no kept verdicts yet and replays everything.

--signed: everyone's key registered and `signing: required` (as `caseflow staff key add` and
`caseflow signing require` do it), then --signed-commits commits signed with git's SSH signing
(`git commit-tree -S`, one ssh-keygen each: fast-import cannot sign). Reported: verify replaying
those commits with their signatures against the same commits unsigned (the cost per commit), and
pushes of them, as above, to servers cloned from that repository.

Writes its section of bench/results.md (between the verify-bench markers), keeping the others.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scale_bench import GNU_TIME, Run, run  # noqa: E402
from sections import write_section  # noqa: E402
from synthetic import (  # noqa: E402
    END,
    EVENTS,
    STAFF,
    START,
    SUPERVISOR,
    VISIT_NOTES,
    VISIT_TYPES,
    Story,
    commit_message,
    draw_story,
    event_files,
    workday,
)

from caseflow.agency.init import init_repository  # noqa: E402

CASEFLOW = str(Path(sys.executable).with_name("caseflow"))
DIRECTOR = ("dana", "Dana Mbeki", "dana@riverbend.example", "director")
#: Joins the staff in a commit of the director's, part-way through: a rule change that counts.
LATE_HIRE = "avery"
HIRED = START + dt.timedelta(days=28)
PEOPLE = {member[0]: member for member in (*STAFF, DIRECTOR)}
#: Where the commits still to come wait (pushed to the server, or signed) in the built repository.
NEXT_REF = "refs/bench/next"
STATE = Path(".caseflow") / "verified.bin"
#: The state the last replay went on from (a replay after a reset goes on from it).
BASE_STATE = Path(".caseflow") / "verified-base.bin"
SIGNATURES = Path(".caseflow") / "signatures.json"  # signature verdicts by commit id, kept apart
TARGET_SECONDS = 2.0
#: Every commit of the generated history is this many seconds after the one before.
SPACING = 300


def environment() -> dict[str, str]:
    """As on a person's machine: bytecode cached (this workplace sets PYTHONDONTWRITEBYTECODE, which
    would make every run recompile caseflow), the repository is the working folder."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CASEFLOW_REPO")}


def git(repo: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    """A git command whose time is not measured."""
    done = subprocess.run(["git", *args], cwd=repo, env=env, input=stdin, check=True, capture_output=True, text=True)
    return done.stdout


# --- the history --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One commit to make: who makes it, its message (subject and trailers) and the files it writes."""

    author: str
    message: bytes
    files: dict[str, bytes]


def config_text(base: str, staff: Sequence[tuple[str, str, str, str]]) -> bytes:
    """caseflow.yaml as `caseflow init` wrote it, with this staff list (case managers report to the
    supervisor, the supervisor to the director)."""
    text = ""
    for staff_id, name, email, role in staff:
        text += f"  - id: {staff_id}\n    name: {name}\n    email: {email}\n    role: {role}\n"
        if role in ("case_manager", "supervisor"):
            text += f"    supervisor: {SUPERVISOR if role == 'case_manager' else DIRECTOR[0]}\n"
    if "staff: []\n" not in base:
        raise SystemExit("caseflow init's caseflow.yaml has no `staff: []` line to fill in")
    return base.replace("staff: []\n", "staff:\n" + text).encode()


def visit_note(story: Story, day: dt.date, kind: str, note: str) -> str:
    """A contact note as `caseflow visit` writes it (bench/synthetic.py's, on any day)."""
    minutes = 15 if kind == "phone" else 45
    return f"""---
form: core.visit
client: {story.client_id}
date: {day}
type: {kind}
duration_minutes: {minutes}
author: {story.worker}
goals: [g1, g2]
---
# Contact note

## What happened

{note}

## Next steps

- Check in again next week.
"""


def client_events(story: Story, rng: random.Random) -> list[tuple[dt.date, int, str, dict[str, str]]]:
    """(day, rank, event kind, files under the client's folder) of each thing done for the client:
    bench/synthetic.py's events as far as the calendar allows, then a contact note every week."""
    found = [(day, EVENTS[kind][0], kind, event_files(story, kind)) for kind, day in story.days.items()]
    if "visit2" in story.days:
        day = story.days["visit2"] + dt.timedelta(days=7)
        while day <= END:
            kind = rng.choice(VISIT_TYPES)
            note = visit_note(story, day, kind, rng.choice(VISIT_NOTES))
            found.append((day, 12, "visit", {f"visits/{day}-{kind}.md": note}))
            day = workday(day + dt.timedelta(days=7))
    return found


def history(count: int, base_config: str, seed: int = 7) -> list[Change]:
    """``count`` commits after `caseflow init`'s: the staff, then the clients' work, oldest first.

    The director adds the staff in the first; avery joins on HIRED in a second commit of the
    director's (a rule change that counts), and the clients taken in before that are someone else's."""
    config = config_text(base_config, [m for m in (DIRECTOR, *STAFF) if m[0] != LATE_HIRE])
    staff_add = b"staff-add\n\nCaseflow-Action: staff-add\n"
    changes = [Change(DIRECTOR[0], staff_add, {"caseflow.yaml": config})]
    hire: Change | None = Change(
        DIRECTOR[0], staff_add, {"caseflow.yaml": config_text(base_config, (DIRECTOR, *STAFF))}
    )
    rng = random.Random(seed)
    used: set[str] = set()
    events: list[tuple[dt.date, int, int, str, dict[str, str]]] = []
    stories: list[Story] = []
    # Stories are drawn until there is enough work; the history is the first `count` things done.
    while len(events) < count:
        story = draw_story(rng, used)
        if story.worker == LATE_HIRE and story.days["intake"] < HIRED:
            story = dataclasses.replace(story, worker=STAFF[0][0])
        stories.append(story)
        events += [(day, rank, len(stories) - 1, kind, files) for day, rank, kind, files in client_events(story, rng)]
    events.sort(key=lambda event: event[:3])
    for day, _, index, kind, files in events:
        if hire is not None and day >= HIRED:
            changes.append(hire)
            hire = None
        story = stories[index]
        _, action, stage = EVENTS.get(kind, (0, "visit", None))
        author = SUPERVISOR if kind == "approve" else story.worker
        message = commit_message([story.client_id], [action], [stage] if stage else [])
        prefix = f"clients/{story.client_id}/"
        changes.append(Change(author, message, {prefix + rel: text.encode() for rel, text in files.items()}))
        if len(changes) >= count:
            break
    return changes[:count]


def import_commits(repo: Path, ref: str, parent: str, changes: Sequence[Change], start: int) -> list[str]:
    """Write ``changes`` on top of ``parent`` as ``ref`` in one `git fast-import`; their ids, oldest first."""
    git_args = ["git", "-c", "core.fsync=none", "fast-import", "--quiet", "--done"]
    importer = subprocess.Popen(git_args, cwd=repo, stdin=subprocess.PIPE)
    assert importer.stdin is not None
    out = importer.stdin
    try:
        for number, change in enumerate(changes):
            _, name, email, _ = PEOPLE[change.author]
            person = f"{name} <{email}> {start + number * SPACING} +0000\n".encode()
            out.write(f"commit {ref}\n".encode() + b"author " + person + b"committer " + person)
            out.write(b"data %d\n%s\n" % (len(change.message), change.message))
            if number == 0:
                out.write(f"from {parent}\n".encode())
            for rel in sorted(change.files):
                data = change.files[rel]
                out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (rel.encode(), len(data), data))
            out.write(b"\n")
        out.write(b"done\n")
    finally:
        out.close()
    if importer.wait() != 0:
        raise SystemExit(f"git fast-import failed in {repo}")
    return git(repo, "rev-list", "--reverse", f"{parent}..{ref}").split()


@dataclass
class Built:
    repo: Path
    seconds: float
    later: list[Change]  # the commits still to come, in order
    next_ids: list[str]  # the same, as commits on NEXT_REF (unsigned)
    last_time: int  # the committer time of the last commit on main


def build(path: Path, commits: int, later: int) -> Built:
    """A case repository of ``commits`` commits, and ``later`` more on NEXT_REF."""
    started = time.perf_counter()
    director = PEOPLE[DIRECTOR[0]]
    from caseflow.core.store import Author

    at = dt.datetime(2026, 2, 23, 8, tzinfo=dt.UTC)
    init_repository(path, agency="Bench Agency", author=Author(director[1], director[2]), at=at)
    made = int(git(path, "rev-list", "--count", "HEAD"))
    wanted = max(commits - made, 2)
    changes = history(wanted + later, (path / "caseflow.yaml").read_text())
    start = int(at.timestamp()) + 3600
    head = git(path, "rev-parse", "HEAD").strip()
    main = import_commits(path, "refs/heads/main", head, changes[:wanted], start)
    last_time = start + (len(main) - 1) * SPACING
    next_ids = import_commits(path, NEXT_REF, main[-1], changes[wanted:], last_time + SPACING)
    git(path, "reset", "-q", "--hard", "main")
    seconds = time.perf_counter() - started
    checked = run([CASEFLOW, "verify"], path, environment())
    if checked.returncode != 0:
        raise SystemExit(f"caseflow verify does not accept the generated history:\n{checked.stdout}{checked.stderr}")
    return Built(path, seconds, changes[wanted:], next_ids, last_time)


def describe(repo: Path) -> str:
    commits = int(git(repo, "rev-list", "--count", "HEAD"))
    files = git(repo, "ls-files").splitlines()
    clients = len({f.split("/")[1] for f in files if f.startswith("clients/")})
    return f"{commits:,} commits, {clients:,} clients, {len(files):,} files"


# --- measuring ----------------------------------------------------------------------------------------


@dataclass
class Row:
    """Runs of one command, each paired with a run of the command it is compared with."""

    name: str
    target: float | None = None
    runs: list[Run] = field(default_factory=list)
    floors: list[float] = field(default_factory=list)
    extra: list[float] = field(default_factory=list)  # the hook's own time, for pushes

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def floor(self) -> float:
        return statistics.median(self.floors)

    @property
    def ratio(self) -> float:
        return statistics.median(r.seconds / f for r, f in zip(self.runs, self.floors, strict=True))

    @property
    def peak_mb(self) -> float:
        return max(r.max_rss_kib for r in self.runs) / 1024

    @property
    def failed(self) -> Run | None:
        return next((r for r in self.runs if r.returncode != 0), None)

    def met(self) -> str:
        if self.failed is not None:
            return f"FAILED (exit {self.failed.returncode})"
        if self.target is None:
            return "-"
        return "yes" if self.median < self.target else "NO"

    def cells(self) -> list[str]:
        target = f"< {self.target:g} s" if self.target is not None else "-"
        hook = f"{statistics.median(self.extra):.3f} s" if self.extra else "-"
        return [
            self.name,
            str(len(self.runs)),
            f"{self.median:.3f} s",
            f"{self.floor:.3f} s",
            f"{self.ratio:.1f}x",
            hook,
            f"{self.peak_mb:.0f}",
            target,
            self.met(),
        ]

    def show(self) -> Row:
        cells = self.cells()
        print(f"  {cells[0]:<62} {cells[2]:>9} {cells[3]:>9} {cells[4]:>7} {cells[5]:>9}  {cells[8]}", flush=True)
        return self


def table(title: str, floor_title: str, rows: Sequence[Row]) -> list[str]:
    lines = [
        f"| {title} | runs | median | {floor_title} | ratio | hook alone | peak MB | target | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    return lines + ["| " + " | ".join(row.cells()) + " |" for row in rows]


class Bench:
    def __init__(self, repeat: int) -> None:
        self.repeat = repeat
        self.env = environment()

    def verify(
        self, repo: Path, name: str, *, before: Callable[[], object] | None = None, target: float | None = None
    ) -> Row:
        """`caseflow verify` in ``repo``, each run paired with `git status --porcelain` there.

        ``before`` (a callable) puts the kept verdicts as the run needs them; one untimed run first."""
        row = Row(name, target)
        for attempt in range(self.repeat + 1):
            if before is not None:
                before()
            result = run([CASEFLOW, "verify"], repo, self.env)
            status = run(["git", "status", "--porcelain"], repo, self.env)
            if attempt:
                row.runs.append(result)
                row.floors.append(status.seconds)
        return row.show()

    def floor(self, repo: Path, name: str, command: list[str]) -> Row:
        """A git command that does part of verify's work, paired with `git status` like the rest."""
        row = Row(name)
        for attempt in range(self.repeat + 1):
            result = run(command, repo, self.env)
            status = run(["git", "status", "--porcelain"], repo, self.env)
            if attempt:
                row.runs.append(result)
                row.floors.append(status.seconds)
        return row.show()


def forget(repo: Path, signatures: bool = True) -> None:
    """Nothing kept: a first run (``signatures=False``: the signature verdicts by commit stay, as
    after switching branches or a rebase, when the rules are replayed from the start)."""
    (repo / STATE).unlink(missing_ok=True)
    (repo / BASE_STATE).unlink(missing_ok=True)
    if signatures:
        (repo / SIGNATURES).unlink(missing_ok=True)


def keep(repo: Path, saved: Path) -> Callable[[], object]:
    """A callable that puts back the kept verdicts saved in ``saved`` (signatures checked afresh)."""

    def restore() -> None:
        shutil.copyfile(saved, repo / STATE)
        (repo / BASE_STATE).unlink(missing_ok=True)
        (repo / SIGNATURES).unlink(missing_ok=True)

    return restore


HOOK_WRAPPER = """#!/bin/sh
# verify_bench: caseflow's hook as installed (pre-receive.caseflow), with its own time recorded.
started=$(date +%s%N)
"$(dirname "$0")/pre-receive.caseflow"
status=$?
echo "$started $(date +%s%N) $status" >> bench-hook-times
exit $status
"""


def hook_seconds(bare: Path) -> float:
    started, ended, _ = (bare / "bench-hook-times").read_text().splitlines()[-1].split()
    return (int(ended) - int(started)) / 1e9


def servers(repo: Path, folder: Path, env: dict[str, str]) -> tuple[Path, Path]:
    """Two bare clones of ``repo``'s main in ``folder``: one with caseflow's hook (wrapped to time
    it), one without."""
    folder.mkdir(parents=True, exist_ok=True)
    hooked, plain = folder / "hooked.git", folder / "plain.git"
    for bare in (hooked, plain):
        git(folder, "clone", "-q", "--bare", "--no-local", "--single-branch", str(repo), str(bare))
    installed = subprocess.run(
        [CASEFLOW, "server", "install", str(hooked)], env=env, capture_output=True, text=True, check=False
    )
    if installed.returncode != 0:
        raise SystemExit(f"caseflow server install failed: {installed.stderr}")
    hook = hooked / "hooks" / "pre-receive"
    hook.rename(hook.with_name("pre-receive.caseflow"))
    hook.write_text(HOOK_WRAPPER)
    hook.chmod(0o755)
    # receive.denyNonFastForwards and denyDeletes on both, so only the hook differs
    for key in ("receive.denyNonFastForwards", "receive.denyDeletes"):
        git(plain, "config", key, "true")
    return hooked, plain


def push(repo: Path, bare: Path, commit: str, env: dict[str, str], ref: str = "refs/heads/main") -> Run:
    return run(["git", "push", "-q", str(bare), f"{commit}:{ref}"], repo, env)


def pushes(
    repo: Path, folder: Path, tips: list[str], what: str, env: dict[str, str], *, branches: bool = True
) -> tuple[Row, ...]:
    """Each round pushes ``what`` (the commits up to the next of ``tips``) to both servers, in
    alternating order; the first round, the first push after install, is reported on its own."""
    hooked, plain = servers(repo, folder, env)
    first = Row(f"git push of {what}, the first after install")
    rounds = Row(f"git push of {what}", TARGET_SECONDS)
    branch = Row("git push of a new branch: 1 commit off main", TARGET_SECONDS)
    for number, tip in enumerate(tips):
        order = [hooked, plain] if number % 2 == 0 else [plain, hooked]
        done = {bare: push(repo, bare, tip, env) for bare in order}
        row = first if number == 0 else rounds
        row.runs.append(done[hooked])
        row.floors.append(done[plain].seconds)
        row.extra.append(hook_seconds(hooked))
        if number and branches:  # a new branch off what main now is, judged from where it leaves main
            _, name, email, _ = DIRECTOR
            who = {f"GIT_{r}_{k}": v for r in ("AUTHOR", "COMMITTER") for k, v in (("NAME", name), ("EMAIL", email))}
            topic = git(repo, "commit-tree", f"{tip}^{{tree}}", "-p", tip, "-m", f"topic {number}", env={**env, **who})
            topic = topic.strip()
            done = {bare: push(repo, bare, topic, env, f"refs/heads/topic-{number}") for bare in order}
            branch.runs.append(done[hooked])
            branch.floors.append(done[plain].seconds)
            branch.extra.append(hook_seconds(hooked))
        for bare, result in done.items():
            if result.returncode != 0:
                print(f"  push to {bare.name} failed: {result.stderr.strip()}", flush=True)
    return (first.show(), rounds.show(), branch.show()) if branches else (first.show(), rounds.show())


# --- signing ------------------------------------------------------------------------------------------


def make_key(folder: Path, who: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / who
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(path)], check=True)
    return path


def caseflow(repo: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run([CASEFLOW, *args], cwd=repo, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"caseflow {shlex.join(args)} failed: {done.stdout}{done.stderr}")


def sign_history(repo: Path, ids: Sequence[str], keys: dict[str, Path], on: str) -> str:
    """The commits ``ids`` made again on top of ``on``, each signed by its author's key
    (`git commit-tree -S`: same tree, message, author and dates); the new tip."""
    parent = on
    for commit in ids:
        fields = git(repo, "log", "-1", "--format=%T%x00%an%x00%ae%x00%ad%x00%B", "--date=raw", commit)
        tree, name, email, date, message = fields.split("\0", 4)
        who = next(staff_id for staff_id, (_, _, mail, _) in PEOPLE.items() if mail == email)
        person = {"NAME": name, "EMAIL": email, "DATE": "@" + date}
        env = {**os.environ, **{f"GIT_{role}_{k}": v for role in ("AUTHOR", "COMMITTER") for k, v in person.items()}}
        parent = git(
            repo,
            "-c",
            "gpg.format=ssh",
            "-c",
            f"user.signingKey={keys[who]}",
            "commit-tree",
            "-S",
            "-p",
            parent,
            "-F",
            "-",
            tree,
            env=env,
            stdin=message.rstrip("\n") + "\n",
        ).strip()
    return parent


def signed_rows(
    bench: Bench, built: Built, scratch: Path, args: argparse.Namespace
) -> tuple[list[Row], tuple[Row, ...]]:
    """verify over ``args.signed_commits`` signed commits against the same commits unsigned, and
    pushes of signed commits to a server that requires them."""
    env, count, size = bench.env, args.signed_commits, args.push
    repo, signed = built.repo, scratch / "signed"
    git(scratch, "clone", "-q", "--no-local", str(repo), str(signed))
    keys = {who: make_key(scratch / "keys", who) for who in PEOPLE}
    for who, key in keys.items():
        caseflow(signed, env, "--as", DIRECTOR[0], "staff", "key", "add", who, f"{key}.pub")
    admin = {**env, "CASEFLOW_USER": DIRECTOR[0], "CASEFLOW_SIGNING_KEY": str(keys[DIRECTOR[0]])}
    caseflow(signed, admin, "signing", "require")
    caseflow(signed, env, "verify")  # the verdicts up to here, kept
    saved_signed = scratch / "signed-verified.bin"
    shutil.copyfile(signed / STATE, saved_signed)
    base = git(signed, "rev-parse", "HEAD").strip()
    started = time.perf_counter()
    unsigned = import_commits(signed, "refs/bench/unsigned", base, built.later[:count], built.last_time + 86_400)
    tip = sign_history(signed, unsigned, keys, base)
    print(f"  signed {count} commits in {time.perf_counter() - started:.1f} s", flush=True)
    git(signed, "update-ref", "refs/bench/signed", tip)
    ids = git(signed, "rev-list", "--reverse", f"{base}..{tip}").split()
    tips = [ids[size * (n + 1) - 1] for n in range(min(args.rounds + 1, count // size))]
    push_rows: tuple[Row, ...] = ()
    if len(tips) >= 2:  # the servers are clones of main before the signed commits
        push_rows = pushes(signed, scratch / "signed-servers", tips, f"{size} signed commits", env, branches=False)
    git(signed, "update-ref", "refs/heads/main", tip)
    git(signed, "reset", "-q", "--hard", "main")
    rows = [
        bench.verify(
            signed,
            f"caseflow verify, {count} new signed commits (verdicts kept up to them)",
            before=keep(signed, saved_signed),
        )
    ]
    # The same commits, unsigned, in the repository without signing: what the signatures add.
    saved = scratch / "main-verified.bin"
    shutil.copyfile(repo / STATE, saved)
    main = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "reset", "-q", "--hard", built.next_ids[count - 1])
    try:
        rows.append(
            bench.verify(
                repo, f"caseflow verify, the same {count} commits unsigned, no signing", before=keep(repo, saved)
            )
        )
    finally:
        git(repo, "reset", "-q", "--hard", main)
        shutil.copyfile(saved, repo / STATE)
    rows.append(
        bench.verify(signed, "caseflow verify, first full run, signing required", before=lambda: forget(signed))
    )
    rows.append(
        bench.verify(
            signed,
            "caseflow verify, replayed from the start, signature verdicts kept (a branch switch, a rebase)",
            before=lambda: forget(signed, signatures=False),
        )
    )
    rows.append(bench.verify(signed, "caseflow verify, repeat, signing required", target=TARGET_SECONDS))
    return rows, push_rows


# --- the report ---------------------------------------------------------------------------------------


def code_version() -> str:
    """The commit of caseflow measured, and whether its files differ from it."""
    dirty = git(HERE.parent, "status", "--porcelain", "--untracked-files=no", "caseflow", "plugins").strip()
    return git(HERE.parent, "rev-parse", "--short", "HEAD").strip() + (" with uncommitted changes" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=10_000, help="commits in the repository")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each verify (median)")
    parser.add_argument("--push", type=int, default=50, help="commits in each push")
    parser.add_argument("--rounds", type=int, default=5, help="timed pushes, after the first push after install")
    parser.add_argument("--signed", action="store_true", help="also measure signed commits (needs ssh-keygen)")
    parser.add_argument("--signed-commits", type=int, default=500)
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build in DIR (new) and leave everything there")
    args = parser.parse_args()
    if args.signed and shutil.which("ssh-keygen") is None:
        raise SystemExit("--signed needs OpenSSH's ssh-keygen")
    command_line = "python bench/verify_bench.py " + shlex.join(sys.argv[1:])
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="verify-bench-"))
    scratch.mkdir(parents=True, exist_ok=bool(args.keep is None))
    load = os.getloadavg()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    bench = Bench(args.repeat)
    code_at_start = code_version()
    later = max(args.push * (args.rounds + 1), args.signed_commits if args.signed else 0)
    try:
        print(f"building {args.commits:,} commits in {scratch / 'agency'} ...", flush=True)
        built = build(scratch / "agency", args.commits, later)
        repo = built.repo
        shape = describe(repo)
        print(f"  {shape}; built in {built.seconds:.1f} s", flush=True)
        rows = [
            bench.verify(repo, "caseflow verify, first full run", before=lambda: forget(repo)),
            bench.verify(repo, "caseflow verify, repeat (kept verdicts)", target=TARGET_SECONDS),
        ]
        saved = scratch / "verified.bin"
        shutil.copyfile(repo / STATE, saved)
        main_id = git(repo, "rev-parse", "HEAD").strip()
        git(repo, "reset", "-q", "--hard", built.next_ids[args.push - 1])
        try:
            rows.append(
                bench.verify(
                    repo,
                    f"caseflow verify after {args.push} new commits (kept up to them)",
                    before=keep(repo, saved),
                    target=TARGET_SECONDS,
                )
            )
        finally:
            git(repo, "reset", "-q", "--hard", main_id)
            shutil.copyfile(saved, repo / STATE)
        trailers = "".join(f"%x1f%(trailers:key=Caseflow-{k},valueonly)" for k in ("Action", "Client", "Stage"))
        walk = f"--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%ce%x1f%ct{trailers}%x1f%B%x1f"
        rows.append(
            bench.floor(
                repo,
                "git log --raw of every commit (the walk a full run reads)",
                ["git", "log", "--reverse", "--topo-order", "--no-renames", "--raw", "--no-abbrev", "-z", walk],
            )
        )
        tips = [built.next_ids[args.push * (n + 1) - 1] for n in range(args.rounds + 1)]
        push_rows = pushes(repo, scratch / "servers", tips, f"{args.push} commits", bench.env)
        signed, signed_pushes = signed_rows(bench, built, scratch, args) if args.signed else ([], ())
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    code = code_version()
    if code != code_at_start:
        code = f"{code_at_start} at the start and {code} at the end (it changed during the run)"
    lines = [
        "## verify (issue 15)",
        "",
        f"`{command_line}` on {dt.date.today().isoformat()}, caseflow at {code}: medians of fresh processes after"
        f" one untimed run, bytecode caching on, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" {git(HERE, 'version').strip()}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start"
        f" (`{uptime}`), {os.getloadavg()[0]:.2f} at the end. The machine is shared: each caseflow run is paired"
        " with a run of git in the same minute, and the ratio is the median of the pairs'. Peak memory: max RSS"
        + (" (GNU time)." if GNU_TIME else " (os.wait4)."),
        "",
        f"- Repository: {shape} (`caseflow init`, then caseflow-shaped commits written by one `git fast-import`,"
        f" one action each, by the member of staff who makes it); built in {built.seconds:.1f} s.",
        f"- Target: a repeat verify of {args.commits:,} commits, or the server's check of a {args.push}-commit push,"
        f" under {TARGET_SECONDS:g} s.",
        "",
        *table("caseflow verify", "git status", rows),
        "",
        f"Pushes: `git push` of a local path ({args.push} new commits each round) to a bare clone with"
        " `caseflow server install`'s hook against the same push to a bare clone without it, in alternating"
        " order; `hook alone`: the hook's own time (`caseflow server check`, wrapped to record it). The first"
        " push after install replays the whole history on the server (it has no kept verdicts yet).",
        "",
        *table("push", "no hook", push_rows),
    ]
    if signed:
        per_commit = (signed[0].median - signed[1].median) / args.signed_commits
        lines += [
            "",
            f"Signed commits: everyone's key registered and `signing: required`, then {args.signed_commits}"
            " commits signed with git's SSH signing (`git commit-tree -S`). The signatures cost"
            f" {per_commit * 1000:.1f} ms a commit in verify (the two first rows' difference over"
            f" {args.signed_commits} commits; ssh-keygen checks each).",
            "",
            *table("caseflow verify, signed", "git status", signed),
        ]
    if signed_pushes:
        lines += [
            "",
            f"Pushes of signed commits ({args.push} each round) to a server of the signed repository, as above:"
            " the hook checks each pushed commit's signature.",
            "",
            *table("push, signed", "no hook", signed_pushes),
        ]
    report = "\n".join(lines) + "\n"
    write_section(HERE / "results.md", "verify-bench", report)
    print()
    print(report)


if __name__ == "__main__":
    main()
