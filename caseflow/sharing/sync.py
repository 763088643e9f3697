"""Working together through a shared remote: ``caseflow clone`` and ``caseflow sync``.

A sync fetches, merges what came in (a merge commit: every author's commits keep their authors
and dates, and case documents merge field by field through caseflow's merge driver), validates
the result, and pushes, never forcing. Offline work is just commits that sync later. A true
conflict stops the sync with the merge in progress: ``caseflow resolve`` settles it, and the next
``caseflow sync`` commits the merge and goes on. Remotes must use a safe transport.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core.casefiles import CLIENTS_DIR
from caseflow.core.config import CONFIG_FILE
from caseflow.core.store import CONFLICT_MARKER, Store
from caseflow.errors import CaseflowError, StoreError, UsageError

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.session import Session

STATUS_WORDS = {"A": "added", "M": "changed", "D": "removed", "R": "renamed"}
#: URL forms git may be given: https/ssh/git/file URLs, scp-like user@host:path, local paths.
#: Plain http:// and git:// are refused: they carry health records unencrypted.
_SAFE_URL = re.compile(r"^(https|ssh|file)://[^\s]+$|^[\w.-]+@[\w.-]+:[^\s]+$|^[\w./~][^\s:]*$")
_CREDENTIALS = re.compile(r"^\w+://[^/@\s]*:[^/@\s]*@")


def check_url(url: str) -> str:
    """Refuse remotes that could run commands (``ext::``) or be read as options (``-u...``)."""
    if url.startswith("-") or "::" in url or not _SAFE_URL.match(url):
        raise CaseflowError(f"{url!r} is not a remote caseflow will use (https://, ssh://, git@host:path or a path)")
    if _CREDENTIALS.match(url):
        raise CaseflowError(
            "a remote URL must not hold a password (git would keep it in .git/config); use a credential helper"
        )
    return url


def clone(url: str, path: Path) -> Path:
    """Clone a case repository; a clone that turns out not to be one is removed again."""
    import shutil

    check_url(url)
    if path.exists() and any(path.iterdir()):
        raise UsageError(f"{path} exists and is not empty")
    code, output = Store(path.parent if path.parent.exists() else Path.cwd()).run_git(
        "clone", "--quiet", "--", url, str(path.resolve())
    )
    if code != 0:
        raise StoreError(f"git could not clone {url}: {_last_line(output)}")
    if not (path / CONFIG_FILE).is_file():
        shutil.rmtree(path)
        raise CaseflowError(f"{url} is not a case repository (it has no {CONFIG_FILE}); nothing was kept")
    return path


@dataclass
class SyncReport:
    remote: str
    branch: str
    came_in: dict[str, list[str]] = field(default_factory=dict)  # client (or "agency") -> documents
    went_out: int = 0
    merged: bool = False
    conflicts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "branch": self.branch,
            "came_in": self.came_in,
            "went_out_commits": self.went_out,
            "merged": self.merged,
            "conflicts": self.conflicts,
            "problems": self.problems,
        }


def sync(repo: Session, actor: Staff, remote: str = "origin") -> SyncReport:
    from caseflow.sharing.driver import registered

    store = repo.store
    registered(repo)  # the merge below must use caseflow's driver
    author = repo.author(actor)
    branch = _branch(store)
    if not _has_remote(store, remote):
        raise UsageError(f"no remote '{remote}' (git remote add {remote} URL, or caseflow clone URL PATH)")
    for url in {
        store.git_output("remote", "get-url", remote).strip(),
        store.git_output("remote", "get-url", "--push", remote).strip(),
    }:
        check_url(url)  # fetch and push URLs alike: a hand-set push URL is no exception
    report = SyncReport(remote, branch)
    with store.lock():
        if store.merge_head() is not None:
            _finish_merge(repo, author, report)
        dirty = [p for p in store.uncommitted(["."]) if not p.startswith(".caseflow")]
        if dirty:
            raise StoreError(f"{dirty[0]} has changes that are not committed yet; commit or discard them, then sync")
        _run(store, "fetch", "--quiet", remote)
        theirs = f"refs/remotes/{remote}/{branch}"
        if _exists(store, theirs):
            before = store.head() or ""
            code, output = store.run_git(
                "merge",
                "--no-edit",
                "--cleanup=strip",
                "-m",
                f"sync with {remote}\n\nCaseflow-Action: sync",
                theirs,
                author=author,
            )
            if store.merge_head() is not None:
                report.conflicts = _unmerged(store)
                return report
            if code != 0:
                raise StoreError(f"git could not merge {remote}/{branch}: {_last_line(output)}")
            after = store.head() or ""
            if after != before:
                report.merged = True
                report.came_in = _changes(store, before, after)
        report.problems = [str(p) for p in repo.validate().problems]
        if report.problems:
            return report  # never push a result that does not validate (merged now, or committed before)
        report.went_out = _ahead(store, f"refs/remotes/{remote}/{branch}")
        if report.went_out or not _exists(store, f"refs/remotes/{remote}/{branch}"):
            _run(store, "push", "--quiet", remote, f"HEAD:refs/heads/{branch}")  # never --force
    return report


def _finish_merge(repo: Session, author: Any, report: SyncReport) -> None:
    """A sync stopped at a conflict: once every file is settled, commit the merge."""
    from caseflow.sharing.driver import unsettled

    store = repo.store
    left = _unmerged(store) + [u.path for u in unsettled(repo)]
    if left:
        report.conflicts = sorted(set(left))
        raise CaseflowError(
            f"the merge from the last sync is not settled yet: {', '.join(report.conflicts)} (caseflow resolve)"
        )
    for path in store.git_output("diff", "--cached", "--name-only").split():
        data = (repo.root / path).read_bytes() if (repo.root / path).is_file() else b""
        if CONFLICT_MARKER.search(data):
            raise StoreError(f"{path} holds git conflict markers; caseflow never commits them")
    _run(store, "commit", "--quiet", "--no-edit", "--cleanup=strip", author=author)
    report.merged = True
    report.came_in = _changes(store, "HEAD^1", "HEAD")


def _branch(store: Store) -> str:
    name = store.git_output("rev-parse", "--abbrev-ref", "HEAD").strip()
    if name in ("", "HEAD"):
        raise StoreError("not on a branch (detached HEAD); check out your branch, then sync")
    return name


def _has_remote(store: Store, remote: str) -> bool:
    return remote in store.git_output("remote").split()


def _exists(store: Store, ref: str) -> bool:
    code, _ = store.run_git("rev-parse", "--verify", "--quiet", ref)
    return code == 0


def _ahead(store: Store, ref: str) -> int:
    if not _exists(store, ref):
        return int(store.git_output("rev-list", "--count", "HEAD").strip() or 0)
    return int(store.git_output("rev-list", "--count", f"{ref}..HEAD").strip() or 0)


def _unmerged(store: Store) -> list[str]:
    return [p for p in store.git_output("diff", "--name-only", "--diff-filter=U").split() if p]


def _changes(store: Store, before: str, after: str) -> dict[str, list[str]]:
    """What a merge brought in, per client (documents named inside the client folder)."""
    came: dict[str, list[str]] = {}
    for line in store.git_output("diff", "--name-status", before, after).splitlines():
        status, _, path = line.partition("\t")
        parts = path.split("/")
        who = parts[1] if parts[0] == CLIENTS_DIR and len(parts) > 2 else "agency"
        inner = "/".join(parts[2:]) if who != "agency" else path
        came.setdefault(who, []).append(f"{STATUS_WORDS.get(status[:1], status)} {inner}")
    return came


def _run(store: Store, *args: str, author: Any = None) -> str:
    code, output = store.run_git(*args, author=author)
    if code != 0:
        raise StoreError(f"git {args[0]} failed: {_last_line(output)}")
    return output


def _last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no reason given"
