"""Two laptops and a shared remote, built once and copied for each test of an interrupted sync.

Robin has changed the plan's review date, recorded a phone call and synced; Casey, offline, has
changed a goal's title (a neighbouring line: caseflow's merge driver merges it) and recorded an
office visit. Casey's next sync must merge, commit and push: every step a sync has.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from caseflow.testing import Result, commit_files, copy_repo, git, invoke
from tests.samples import CLIENT, CLIENT_YAML

PLAN = f"""form: core.plan
client: {CLIENT}
review_date: 2026-03-01
goals:
  - id: g1
    title: Stable housing
    status: active
"""
TODAY = {"CASEFLOW_TODAY": "2026-11-17"}
PLAN_PATH = f"clients/{CLIENT}/plan.yaml"


@dataclass(frozen=True)
class Team:
    hub: Path
    casey: Path
    robin: Path
    #: The notes each recorded (named as their caseflow names new notes)
    robins_note: str = ""
    caseys_note: str = ""

    def as_(self, who: str, *args: str, env: dict[str, str] | None = None) -> Result:
        """A command by Casey or Robin on their own laptop, in this process."""
        return invoke("--repo", getattr(self, who), "--as", who, *args, env=env)

    def caseflow(self, who: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """The real command in a process of its own (its own session: killed with everything it started)."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
        full = {**inherited, "NO_COLOR": "1", **(env or {})}
        command = [sys.executable, "-m", "caseflow", "--repo", str(getattr(self, who)), "--as", who, *args]
        return subprocess.Popen(
            command, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )


def build(base: Path, case_repo: Path) -> Team:
    """The template, from a copy of the case repository ``case_repo``: see the module's docstring."""
    origin = copy_repo(case_repo, base / "origin")
    commit_files(origin, {f"clients/{CLIENT}/client.yaml": CLIENT_YAML, PLAN_PATH: PLAN})
    hub = base / "hub.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(origin), str(hub)], check=True)
    git(hub, "config", "receive.denyNonFastForwards", "true")
    for name in ("casey", "robin"):
        invoke("clone", hub, base / name).assert_success()
    team = Team(hub, base / "casey", base / "robin")
    team.as_("robin", "set", CLIENT, "plan.yaml", "review_date=2026-04-01").assert_success()
    team.as_("robin", "visit", CLIENT, "--type", "phone", "--note", "Robin's call.", env=TODAY).assert_success()
    robins_note = _last_added(team.robin)
    team.as_("robin", "sync").assert_success()
    team.as_("casey", "set", CLIENT, "plan.yaml", "goals[g1].title=A home of her own").assert_success()
    team.as_("casey", "visit", CLIENT, "--type", "office", "--note", "Casey's meeting.", env=TODAY).assert_success()
    return Team(hub, team.casey, team.robin, robins_note, _last_added(team.casey))


def _last_added(repo: Path) -> str:
    return git(repo, "show", "--diff-filter=A", "--name-only", "--format=", "HEAD").strip()


def copy(template: Team, base: Path) -> Team:
    """A copy of the template in ``base``, each laptop's remote pointing at the copied hub."""
    base.mkdir(parents=True, exist_ok=True)
    hub, casey, robin = (copy_repo(p, base / p.name) for p in (template.hub, template.casey, template.robin))
    for laptop in (casey, robin):
        git(laptop, "remote", "set-url", "origin", str(hub))
    return Team(hub, casey, robin, template.robins_note, template.caseys_note)


# -- what must hold after an interrupted sync ---------------------------------------------------------


def leftovers(repo: Path) -> list[str]:
    """Locks, temporary files and journals: what a clone must not hold once a command has run."""
    from caseflow.core.git.interrupted import leftovers as git_leftovers

    found = [str(p.relative_to(repo)) for p in git_leftovers(repo, repo / ".git")]
    found += [str(p.relative_to(repo)) for p in (repo / ".git").rglob("*.lock")]
    found += [str(p.relative_to(repo)) for p in repo.rglob(".*.tmp") if ".git" not in p.parts]
    found += [name for name in (".caseflow/journal", ".caseflow/sync.json") if (repo / name).exists()]
    return sorted(set(found))


def fsck(repo: Path) -> None:
    git(repo, "fsck", "--full", "--strict", "--no-progress")


def commits(repo: Path, rev: str = "HEAD") -> dict[str, str]:
    """Every commit of ``rev``'s history: id -> author name."""
    out = git(repo, "log", "--format=%H %an", rev)
    return dict(line.split(" ", 1) for line in out.splitlines() if line)


def authors_of(repo: Path, path: str) -> set[str]:
    """Who made the commits (merges aside) that changed ``path``: only its own author, ever."""
    return set(git(repo, "log", "--no-merges", "--format=%an", "--", path).split("\n")) - {""}


def settled(team: Team, acknowledged: dict[str, str], merger: str = "Casey Rivera") -> None:
    """Both laptops and the hub hold every acknowledged commit with its author, the same documents,
    a clean working tree, nothing left over; nobody's change is under somebody else's name."""
    for laptop in (team.casey, team.robin):
        assert git(laptop, "status", "--porcelain") == "", laptop.name
        assert leftovers(laptop) == [], laptop.name
    hub_head = git(team.hub, "rev-parse", "HEAD").strip()
    assert git(team.casey, "rev-parse", "HEAD").strip() == hub_head
    assert git(team.robin, "rev-parse", "HEAD").strip() == hub_head
    history = commits(team.hub)
    lost = {c: a for c, a in acknowledged.items() if history.get(c) != a}
    assert not lost, f"acknowledged commits lost or changed: {lost}"
    assert authors_of(team.hub, team.robins_note) == {"Robin Okafor"}
    assert authors_of(team.hub, team.caseys_note) == {"Casey Rivera"}
    merges = set(git(team.hub, "log", "--merges", "--format=%an").splitlines())
    assert merges <= {merger}, "a merge is by the person who synced"
    plan = git(team.hub, "show", f"HEAD:{PLAN_PATH}")
    assert "review_date: 2026-04-01" in plan and "title: A home of her own" in plan
    assert "Robin's call." in git(team.hub, "show", f"HEAD:{team.robins_note}")
    assert "Casey's meeting." in git(team.hub, "show", f"HEAD:{team.caseys_note}")
    for repo in (team.hub, team.casey, team.robin):
        fsck(repo)


def acknowledged(team: Team) -> dict[str, str]:
    """The commits each side has made and been told of: every one must survive."""
    return {**commits(team.casey), **commits(team.robin)}


# -- killing a sync ------------------------------------------------------------------------------------


def kill_laptop_side(process: subprocess.Popen[str], hub: Path) -> None:
    """SIGKILL the command and every process it started, as a laptop losing power would, except
    the remote's own (``git-receive-pack`` / ``upload-pack`` working in the hub: a server goes on)."""
    hub_dir = os.path.realpath(hub)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        with contextlib.suppress(OSError, ValueError, IndexError):
            if os.getpgid(pid) != process.pid:
                continue
            if os.path.realpath(entry / "cwd").startswith(hub_dir):
                continue
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    deadline = time.monotonic() + 10  # the remote's processes finish (or give up) by themselves
    while time.monotonic() < deadline and _group_alive(process.pid):
        time.sleep(0.01)


def _group_alive(pgid: int) -> bool:
    """Is any process of the group still running (a zombie waiting to be reaped does not count)?"""
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if entry.name.isdigit() and int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False
