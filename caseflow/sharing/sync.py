"""Working together through a shared remote: ``caseflow clone`` and ``caseflow sync``.

A sync fetches, merges what came in (a merge commit: every author's commits keep their authors
and dates, and case documents merge field by field through caseflow's merge driver), validates
the result, and pushes, never forcing. Offline work is just commits that sync later. A true
conflict stops the sync with the merge in progress: ``caseflow resolve`` settles it, and the next
``caseflow sync`` commits the merge and goes on. Remotes must use a safe transport.

The access record travels too (:mod:`caseflow.core.access_record`): a sync commits the reads
recorded since the last write, fetches the remote's ``refs/caseflow/access``, joins both and pushes
it back (never forced); a clone starts from the remote's record.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core import access_record, sync_journal
from caseflow.core.casefiles import CLIENTS_DIR
from caseflow.core.config import CONFIG_FILE
from caseflow.core.git import listing, objects, refs
from caseflow.core.git import remote as git_remote
from caseflow.core.git.commit import CONFLICT_MARKER
from caseflow.core.git.history import commits_since
from caseflow.core.git.runner import GitFailed
from caseflow.core.layout import LOCAL_DIR
from caseflow.core.sync_journal import SyncJournal
from caseflow.errors import CaseflowError, StoreError, UsageError

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.core.git.commit import Author
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
    try:
        git_remote.clone(url, path.resolve(), cwd=path.parent if path.parent.exists() else Path.cwd())
    except GitFailed as exc:
        raise StoreError(f"git could not clone {url}: {exc.reason}") from None
    if not (path / CONFIG_FILE).is_file():
        shutil.rmtree(path)
        raise CaseflowError(f"{url} is not a case repository (it has no {CONFIG_FILE}); nothing was kept")
    _run("fetch", lambda: git_remote.fetch(path, "origin", access_record.fetch_refspec("origin")))
    access_record.join(path, "origin", None)  # a new clone has no record of its own: the remote's, as it is
    return path


@dataclass
class SyncReport:
    remote: str
    branch: str
    came_in: dict[str, list[str]] = field(default_factory=dict)  # client (or "agency") -> documents
    went_out: int = 0
    #: How many commits came in (the merge that joined them is not one of them).
    received: int = 0
    merged: bool = False
    conflicts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Why the access record was not joined or pushed (the case files synced regardless).
    access_problems: list[str] = field(default_factory=list)
    #: What was put right first: a sync interrupted since this command began (one line).
    recovered: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "branch": self.branch,
            "came_in": self.came_in,
            "went_out_commits": self.went_out,
            "came_in_commits": self.received,
            "merged": self.merged,
            "conflicts": self.conflicts,
            "problems": self.problems,
            "access_problems": self.access_problems,
            "recovered": self.recovered,
        }


@dataclass(frozen=True)
class SyncState:
    """Where this clone stands with a remote, as of the last fetch (nothing is fetched to say it)."""

    remote: str
    urls: tuple[str, ...]  # empty: there is no such remote
    branch: str | None  # None: not on a branch
    ahead: int | None  # commits here the remote had not; None: its branch never fetched
    behind: int | None  # commits the remote had that are not here yet
    merging: bool  # a sync stopped at a conflict: its merge is in progress

    def as_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "urls": list(self.urls),
            "branch": self.branch,
            "ahead": self.ahead,
            "behind": self.behind,
            "merging": self.merging,
        }


def state(repo: Session, remote: str = "origin") -> SyncState:
    root = repo.root
    branch = objects.current_branch(root)
    merging = repo.store.merge_head() is not None
    if remote not in git_remote.remotes(root):
        return SyncState(remote, (), branch, None, None, merging)
    urls = tuple(sorted(git_remote.remote_urls(root, remote)))
    tracking = f"refs/remotes/{remote}/{branch}"
    if branch is None or refs.resolve(root, tracking) is None:
        return SyncState(remote, urls, branch, None, None, merging)
    behind = len(refs.history(root, [f"HEAD..{tracking}"]))
    return SyncState(remote, urls, branch, commits_since(root, tracking), behind, merging)


def sync(repo: Session, actor: Staff, remote: str = "origin") -> SyncReport:
    """Fetch, share the access record, merge, commit, validate, push; each step in the sync journal
    (:mod:`caseflow.core.sync_journal`), so that a sync interrupted anywhere is put right by the
    next command and finished by the next sync."""
    from caseflow.sharing.driver import registered

    store, root = repo.store, repo.root
    registered(repo)  # the merge below must use caseflow's driver
    author = repo.author(actor)
    branch = _branch(root)
    if remote not in git_remote.remotes(root):
        raise UsageError(f"no remote '{remote}' (git remote add {remote} URL, or caseflow clone URL PATH)")
    for url in git_remote.remote_urls(root, remote):
        check_url(url)  # fetch and push URLs alike: a hand-set push URL is no exception
    report = SyncReport(remote, branch)
    with store.lock():
        report.recovered = sync_journal.heal_held(root, store.git_dir)  # killed since this command began
        if sync_journal.pending(root) is not None:  # its git is still at work: nothing may be touched
            raise StoreError(report.recovered or "a sync is in progress")
        journal = SyncJournal(root, remote, branch, store.head())  # before any git: even `git status` locks
        try:
            if store.merge_head() is not None:
                _finish_merge(repo, author, report, journal)
            dirty = [p for p in store.uncommitted(["."]) if not p.startswith(LOCAL_DIR)]
            if dirty:
                raise StoreError(
                    f"{dirty[0]} has changes that are not committed yet, so nothing was synced: commit them if they "
                    "are your own work, else put the file back as committed (`git restore`, or remove it if it is new)"
                )
            _fetch_merge_push(repo, author, report, journal)
        except BaseException:
            _stopped(root, store.git_dir, journal)
            raise
    return report


def _fetch_merge_push(repo: Session, author: Author, report: SyncReport, journal: SyncJournal) -> None:
    store, root, remote, branch = repo.store, repo.root, report.remote, report.branch
    _run("fetch", lambda: git_remote.fetch(root, remote))
    journal.reached("sync-fetch")
    report.access_problems = _share_access_record(root, remote, author, store.access_authors, journal)
    tracking = f"refs/remotes/{remote}/{branch}"
    theirs = refs.resolve(root, tracking)
    if theirs is not None:
        before = store.head() or ""
        journal.reached("sync-merge-start", head=before or None, theirs=theirs, merging=True)
        env = {**author.env(), sync_journal.SYNC_PID_ENV: str(os.getpid())}
        failed = git_remote.merge(root, theirs, f"sync with {remote}\n\nCaseflow-Action: sync", env)
        if store.merge_head() is not None:
            journal.reached("sync-merge")
            report.conflicts = listing.unmerged_paths(root)
            if report.conflicts:
                journal.finish()  # the merge is the person's to settle now (caseflow resolve), never taken back
                return
            _run("commit", lambda: git_remote.commit_merge(root, author.env()))
        elif failed is not None:
            raise StoreError(f"git could not merge {remote}/{branch}: {failed}")
        journal.reached("sync-commit", merging=False)
        after = store.head() or ""
        if after != before:
            report.merged = True
            report.came_in = _changes(root, before, after)
            report.received = commits_since(root, before or None, theirs or after)
    report.problems = [str(p) for p in repo.validate().problems]
    if report.problems:
        journal.finish()
        return  # never push a result that does not validate (merged now, or committed before)
    known = theirs is not None
    report.went_out = commits_since(root, tracking if known else None)
    if report.went_out or not known:
        _run("push", lambda: git_remote.push(root, remote, f"HEAD:refs/heads/{branch}"))  # never --force
        journal.reached("sync-push")
    journal.finish()


def _stopped(root: Path, git_dir: Path, journal: SyncJournal) -> None:
    """A sync that failed (or was stopped with Ctrl-C) in this process: a merge it was making is
    taken back at once, as the next command would, and its journal goes."""
    if journal.intent.merging:
        sync_journal.heal_held(root, git_dir)  # removes the journal once the merge is taken back:
        return  # if it could not be (a git still at work), the journal stays for the next command
    journal.finish()


def _share_access_record(
    root: Path, remote: str, author: Author, authors: access_record.AuthorOf | None, journal: SyncJournal
) -> list[str]:
    """Commit the reads recorded since the last write, join the remote's record, push the result.
    Its own step: a failure here is reported, and the case files still sync."""
    try:
        access_record.flush(root, author, authors)
        journal.reached("sync-access-flush")
        tracking = access_record.tracking_ref(remote)
        git_remote.fetch(root, remote, access_record.fetch_refspec(remote))
        access_record.join(root, remote, author)
        journal.reached("sync-access-join")
        ours, theirs = refs.resolve(root, access_record.ACCESS_REF), refs.resolve(root, tracking)
        if ours is not None and ours != theirs:
            git_remote.push(root, remote, access_record.PUSH_REFSPEC)  # never forced
            access_record.pushed(root, remote, ours, theirs)
        journal.reached("sync-access-push")
    except CaseflowError as exc:
        return [str(exc)]
    except GitFailed as exc:
        return [f"git could not share {access_record.ACCESS_REF} with {remote}: {exc.reason}"]
    return []


def _finish_merge(repo: Session, author: Author, report: SyncReport, journal: SyncJournal) -> None:
    """A sync stopped at a conflict: once every file is settled, commit the merge (by the person
    syncing: each side's own commits keep their authors). Killed while committing, the merge is
    still in progress, and the next sync commits it: the journal records no merge of caseflow's
    own (``merging``), so nothing takes it back."""
    from caseflow.sharing.driver import unsettled

    root = repo.root
    left = listing.unmerged_paths(root) + [u.path for u in unsettled(repo)]
    if left:
        report.conflicts = sorted(set(left))
        raise CaseflowError(
            f"the merge from the last sync is not settled yet: {', '.join(report.conflicts)} (caseflow resolve)"
        )
    for path in listing.staged_paths(root):
        data = (repo.root / path).read_bytes() if (repo.root / path).is_file() else b""
        if CONFLICT_MARKER.search(data):
            raise StoreError(f"{path} holds git conflict markers; caseflow never commits them")
    _run("commit", lambda: git_remote.commit_merge(root, author.env()))
    journal.reached("sync-commit")
    report.merged = True
    report.came_in = _changes(root, "HEAD^1", "HEAD")
    report.received = commits_since(root, "HEAD^1", "HEAD^2")


def _branch(root: Path) -> str:
    name = objects.current_branch(root)
    if name is None:
        raise StoreError("not on a branch (detached HEAD); check out your branch, then sync")
    return name


def _changes(root: Path, before: str, after: str) -> dict[str, list[str]]:
    """What a merge brought in, per client (documents named inside the client folder)."""
    came: dict[str, list[str]] = {}
    for status, path in listing.changes_between(root, before, after):
        parts = path.split("/")
        who = parts[1] if parts[0] == CLIENTS_DIR and len(parts) > 2 else "agency"
        inner = "/".join(parts[2:]) if who != "agency" else path
        came.setdefault(who, []).append(f"{STATUS_WORDS.get(status[:1], status)} {inner}")
    return came


def _run(what: str, step: Callable[[], None]) -> None:
    """One step that talks to git; its failure is a StoreError with git's last line."""
    try:
        step()
    except GitFailed as exc:
        raise StoreError(f"git {what} failed: {exc.reason}") from None
