"""Writing to the case repository: one lock, atomic files, one commit per action, or nothing.

The only module that imports GitPython. Commits go through the git command line
(``repo.git.add`` / ``repo.git.commit``): GitPython's own index code rewrites the whole index in
Python and is ~15x slower on a large repository (PERFORMANCE.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from caseflow.core.git.runner import GitFailed, reason_of
from caseflow.core.git.runner import git as _git
from caseflow.core.git.runner import head as _head
from caseflow.core.safefiles import atomic_write, make_parents, refuse_links, remove_empty_parents
from caseflow.errors import LockTimeout, StoreError

LOCAL_DIR = ".caseflow"
#: Transports git may use for caseflow's clones and syncs: never ext:: (runs commands) or fd::.
SAFE_TRANSPORTS = {"GIT_ALLOW_PROTOCOL": "file:https:ssh", "GIT_TERMINAL_PROMPT": "0"}
#: A merge conflict's opening or closing line (a line of seven "=" alone can be a Markdown heading).
CONFLICT_MARKER = re.compile(rb"^(<{7}|>{7})(?: |\r?$)", re.M)
LOCK_FILE = "lock"
LOCK_WAIT_SECONDS = 15.0


@dataclass(frozen=True)
class Author:
    """Who a commit is by: the acting member of staff."""

    name: str
    email: str

    def env(self) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
        }


def _git_repo(root: Path) -> Any:
    import git  # GitPython costs ~0.1 s to import; only writes and git queries pay it

    try:
        return git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise StoreError(f"{root} is not a git repository; case repositories are made with `caseflow init`") from None


def commit_message(action: str, client: str | None, details: Mapping[str, str] | None = None) -> str:
    """Subject and trailers; only ids, codes and the action, never a person's name.

    ``details`` become more trailers (``Caseflow-Stage: planning -> active``) for the timeline.
    """
    subject = f"{action} {client}" if client else action
    trailers = []
    if client:
        trailers.append(f"Caseflow-Client: {client}")
    trailers.append(f"Caseflow-Action: {action}")
    trailers.extend(f"Caseflow-{key}: {value}" for key, value in (details or {}).items())
    return f"{subject}\n\n" + "\n".join(trailers) + "\n"


def init_repository(root: Path, files: Mapping[str, bytes], author: Author, at: datetime | None = None) -> str:
    """Create a git repository holding ``files`` in one initial commit; returns its id."""
    import git

    repo = git.Repo.init(root, initial_branch="main")
    try:
        with repo.config_writer() as config:
            config.set_value("core", "fsync", "all")  # a crash must not lose an acknowledged commit
        for rel, data in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, data)
        repo.git.add("--", *files)
        env = author.env()
        if at is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = at.isoformat()
        repo.git.commit("-q", "-m", commit_message("init", None), env=env)
        return str(repo.head.commit.hexsha)
    except git.GitCommandError as exc:
        raise StoreError(f"git refused the first commit ({_git_reason(exc)})") from None
    finally:
        repo.close()


@dataclass
class Transaction:
    """The files one action writes; committed together when the ``with`` block ends."""

    root: Path
    action: str
    client: str | None = None
    writes: dict[str, bytes | None] = field(default_factory=dict)  # None: remove the file
    details: dict[str, str] = field(default_factory=dict)  # extra trailers, e.g. {"Stage": "a -> b"}
    commit: str | None = None  # set once committed

    def write(self, rel: str, data: bytes) -> None:
        self.writes[rel] = data

    def remove(self, rel: str) -> None:
        """Delete a tracked file in the same commit (replacing an imported directory's old files)."""
        self.writes[rel] = None

    def read(self, rel: str) -> bytes | None:
        if rel in self.writes:
            return self.writes[rel]
        try:
            return (self.root / rel).read_bytes()
        except FileNotFoundError:
            return None


class Store:
    """The git working tree of a case repository."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @contextlib.contextmanager
    def lock(self, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
        """One writer at a time per clone, held across read-modify-write-commit."""
        fd = self._lock_file()
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout(
                            f"another caseflow command is writing to this repository (waited {wait:.0f} s); try again"
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def uncommitted(self, paths: list[str]) -> list[str]:
        """Those of ``paths`` with changes not yet committed (a person's edit in progress)."""
        out = self.git_output("status", "--porcelain", "-z", "--untracked-files=all", "--", *paths)
        return [entry[3:] for entry in out.split("\0") if entry]

    def git_output(self, *args: str) -> str:
        """Output of a read-only git command in this repository (log, ls-files, rev-parse)."""
        self._require_git()
        try:
            return _git(self.root, *args)
        except GitFailed as exc:
            raise StoreError(f"git {args[0]} failed ({exc.reason})") from None

    def _require_git(self) -> None:
        if not (self.root / ".git").exists():
            _git_repo(self.root)  # says, as ever, that this is not a git repository

    def run_git(self, *args: str, author: Author | None = None) -> tuple[int, str]:
        """Run a git command that may talk to a remote or write history (sync, clone): exit code and
        output (stdout then stderr). Only safe transports are allowed (no ``ext::`` helpers)."""
        import subprocess

        env = {**os.environ, **SAFE_TRANSPORTS, **(author.env() if author else {})}
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=False, timeout=600
        )
        return done.returncode, (done.stdout + done.stderr).strip()

    def _lock_file(self) -> int:
        """The lock file's descriptor (``.caseflow/lock``, private); closing it releases the lock."""
        local = self.root / LOCAL_DIR
        local.mkdir(exist_ok=True)
        return os.open(local / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)

    def worktree_listing(self, folder: str) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
        """:func:`caseflow.core.git.worktree.listing` of ``folder``; git may refresh its own index only
        while no caseflow command is writing."""
        from caseflow.core.git.worktree import listing

        with self.try_lock() as mine:
            return listing(self.root, folder, mine)

    @contextlib.contextmanager
    def try_lock(self) -> Iterator[bool]:
        """The writers' lock if it is free right now (True), else nothing (False): never waits."""
        try:
            fd = self._lock_file()
        except OSError:
            yield False  # a read-only clone: nobody writes here
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def is_revision(self, rev: str) -> bool:
        import subprocess

        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
            cwd=self.root,
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def files_at(self, rev: str, folder: str) -> list[str]:
        """The files under ``folder`` as committed at ``rev``."""
        return self.git_output("ls-tree", "-r", "--name-only", rev, "--", folder).split()

    def blob_at(self, rev: str, path: str) -> bytes | None:
        """A file's bytes as committed at ``rev`` (None if it did not exist there)."""
        return self._cat(f"{rev}:{path}")

    def blob(self, blob_id: str) -> bytes | None:
        """The bytes git keeps under a blob id (an approved version), or None if it has none."""
        return self._cat(blob_id) if all(c in "0123456789abcdef" for c in blob_id) and len(blob_id) >= 7 else None

    def _cat(self, spec: str) -> bytes | None:
        import subprocess

        done = subprocess.run(
            ["git", "cat-file", "blob", spec], cwd=self.root, capture_output=True, check=False, timeout=60
        )
        return done.stdout if done.returncode == 0 else None

    def last_change(self, path: str) -> tuple[str, str, str] | None:
        """(commit, author email, ISO date) of the last commit that changed ``path``."""
        out = self.git_output("log", "-1", "--format=%H%x00%ae%x00%aI", "--", path).strip()
        return tuple(out.split("\0")) if out else None  # type: ignore[return-value]

    def last_changes(self, folder: str, revisions: str = "HEAD") -> dict[str, tuple[str, str, str]]:
        """:meth:`last_change` of every file under ``folder`` at once, in one walk of the history
        (of ``revisions``: ``A..HEAD`` for the commits since A).

        One ``git log`` costs about as much as a few single-path ones: the way to ask for thousands.
        """
        out = self.git_output("log", "--format=%x01%H%x00%ae%x00%aI", "--name-only", "-z", revisions, "--", folder)
        found: dict[str, tuple[str, str, str]] = {}
        for record in out.split("\x01")[1:]:
            header, _, names = record.partition("\n")
            commit, email, date = header.split("\0")[:3]
            for name in names.strip("\0\n").split("\0"):
                if name and name not in found:
                    found[name] = (commit, email, date)
        return found

    def changes_since(self, since: str, folder: str) -> dict[str, tuple[str, str, str]] | None:
        """:meth:`last_changes` made by the commits after ``since`` (None if HEAD does not descend
        from it: history was rewritten, and nothing before can be trusted)."""
        try:
            _git(self.root, "merge-base", "--is-ancestor", since, "HEAD")
        except GitFailed:
            return None
        return self.last_changes(folder, f"{since}..HEAD")

    def merge_text(self, base: str, mine: str, theirs: str) -> str | None:
        """Three-way text merge as ``git merge-file`` does it; None when both changed the same lines."""
        import subprocess

        with tempfile.TemporaryDirectory() as scratch:
            files = []
            for name, text in (("mine", mine), ("base", base), ("theirs", theirs)):
                target = Path(scratch) / name
                target.write_text(text, encoding="utf-8")
                files.append(str(target))
            done = subprocess.run(["git", "merge-file", "-p", "-q", *files], capture_output=True, check=False)
        return done.stdout.decode("utf-8") if done.returncode == 0 else None

    def mark_resolved(self, path: str) -> None:
        """Stage a file whose merge conflict is settled (git then lets the merge be committed)."""
        repo = _git_repo(self.root)
        try:
            repo.git.add("--", path)
        finally:
            repo.close()

    @functools.cached_property
    def git_dir(self) -> Path:
        """The repository's git folder (``.git``, or elsewhere for a worktree)."""
        return (self.root / self.git_output("rev-parse", "--git-dir").strip()).resolve()

    def merge_head(self) -> str | None:
        """The commit being merged in, during a merge."""
        head = self.git_dir / "MERGE_HEAD"
        return head.read_text().split()[0] if head.is_file() else None

    def rebasing(self) -> bool:
        """A rebase (or cherry-pick) is replaying commits: git's "ours" is then the upstream."""
        return any((self.git_dir / name).exists() for name in ("rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD"))

    def ensure_merge_driver(self, command: str) -> None:
        """Register caseflow's merge driver in this clone's git config (git never copies config)."""
        if not (self.root / ".git").exists():
            return  # not a git repository (yet): nothing to register; writing commands say so
        config = self.root / ".git" / "config"  # the common case, without a git process
        try:
            current = config.read_text(encoding="utf-8") if config.is_file() else ""
        except OSError:
            return
        if '[merge "caseflow-yaml"]' in current and f"driver = {command}" in current:
            return
        try:
            _git(
                self.root,
                "config",
                "--local",
                "merge.caseflow-yaml.name",
                "caseflow field-by-field merge of case documents",
            )
            _git(self.root, "config", "--local", "merge.caseflow-yaml.driver", command)
        except (GitFailed, OSError):  # a read-only clone still works; it merges line by line
            pass

    def last_author_email(self, path: str) -> str | None:
        """Email of whoever made the last committed change to ``path``."""
        return self.git_output("log", "-1", "--format=%ae", "--", path).strip() or None

    def head(self) -> str | None:
        return _head(self.root)

    @contextlib.contextmanager
    def transaction(
        self, author: Author, *, action: str, client: str | None, at: datetime | None = None
    ) -> Iterator[Transaction]:
        """Yield a :class:`Transaction`; on exit write its files and commit them as one commit.

        If anything fails (the block raises, a write fails, git refuses the commit), every file
        is restored, the index is as before and HEAD has not moved.
        """
        with self.lock():
            tx = Transaction(self.root, action, client)
            yield tx
            if tx.writes:
                env = author.env()
                if at is not None:  # a back-dated commit (the demo's simulated weeks, imports)
                    env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = at.isoformat()
                tx.commit = self._apply(tx, env, commit_message(tx.action, tx.client, tx.details))

    def _apply(self, tx: Transaction, env: dict[str, str], message: str) -> str:
        for rel, data in tx.writes.items():
            refuse_links(self.root, rel)
            if data is not None and CONFLICT_MARKER.search(data):
                raise StoreError(f"{rel} holds git conflict markers; caseflow never commits them")
        self._require_git()
        if (self.root / ".git" / "index.lock").exists():
            raise StoreError(
                "git's index is locked (.git/index.lock): another git command is running, or one crashed; "
                "if none is running, remove .git/index.lock and try again"
            )
        previous: dict[str, bytes | None] = {}
        created_dirs: list[Path] = []
        paths = sorted(tx.writes)
        # Only git subprocesses, started inside _uninterruptible, so Ctrl-C cannot stop them halfway.
        with _uninterruptible():
            before_head = _head(self.root)
            direct = before_head is not None and self._commits_directly()
            try:
                for rel in paths:
                    target = self.root / rel
                    previous[rel] = target.read_bytes() if target.exists() else None
                    data = tx.writes[rel]
                    if data is None:
                        with contextlib.suppress(FileNotFoundError):
                            target.unlink()
                        remove_empty_parents(target.parent, self.root)
                        continue
                    created_dirs.extend(make_parents(target.parent, self.root))
                    atomic_write(target, data)
                _git(self.root, "add", "-A", "--", *paths)
                if direct:
                    assert before_head is not None
                    # What `git commit` does, without re-reading the whole working tree and
                    # rewriting the index twice: a third of the time on a large caseload.
                    tree = _git(self.root, "write-tree").strip()
                    commit = _git(self.root, "commit-tree", tree, "-p", before_head, env=env, stdin=message).strip()
                    subject = message.splitlines()[0]
                    _git(self.root, "update-ref", "-m", f"commit: {subject}", "HEAD", commit, before_head)
                    return commit
                _git(self.root, "commit", "-q", "-m", message, "--", *paths, env=env)
                return _head(self.root) or ""
            except BaseException as exc:
                self._roll_back(paths, previous, created_dirs, before_head)
                if isinstance(exc, GitFailed):
                    raise StoreError(f"git refused the commit ({exc.reason}); nothing was changed") from None
                if isinstance(exc, OSError):
                    raise StoreError(f"could not write ({exc.strerror or exc}); nothing was changed") from None
                raise

    def _commits_directly(self) -> bool:
        """May a commit be made with git's plumbing (write-tree, commit-tree, update-ref)?

        Only when that is exactly what ``git commit`` would do: nothing else is staged (it would be
        committed too), no commit hooks (plumbing runs none) and no signing is asked for.
        """
        try:
            _git(self.root, "diff", "--cached", "--quiet")
        except GitFailed:
            return False  # something is staged, or git could not tell
        try:
            settings = _git(self.root, "config", "--get-regexp", r"^(core\.hookspath|commit\.gpgsign)$")
        except GitFailed:
            settings = ""  # exit 1: neither is set
        if settings.strip():
            return False
        hooks = self.git_dir / "hooks"
        return not any(
            os.access(hooks / name, os.X_OK)
            for name in ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit")
        )

    def _roll_back(
        self,
        paths: list[str],
        previous: Mapping[str, bytes | None],
        created_dirs: list[Path],
        before_head: str | None,
    ) -> None:
        for rel, old in previous.items():
            target = self.root / rel
            if old is None:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)  # a removal may have emptied it away
                atomic_write(target, old)
        for directory in reversed(created_dirs):
            with contextlib.suppress(OSError):
                directory.rmdir()
        with contextlib.suppress(GitFailed, OSError):
            if before_head is not None and _head(self.root) != before_head:
                _git(self.root, "update-ref", "HEAD", before_head)
            _git(self.root, "reset", "-q", "--", *paths)

    def commit_files(
        self,
        author: Author,
        files: Mapping[str, bytes | None],
        *,
        action: str,
        client: str | None,
        keep: Callable[[str, bytes | None], bool] | None = None,
    ) -> str | None:
        """Commit exactly these bytes without touching the working tree (``caseflow watch``):
        see :func:`caseflow.core.git.plumbing.commit_files`."""
        from caseflow.core.git.plumbing import commit_files

        return commit_files(self, author, files, action=action, client=client, keep=keep)


@contextlib.contextmanager
def _uninterruptible() -> Iterator[None]:
    """Hold Ctrl-C while files are written, staged and committed: half an action is worse than a
    second's wait. SIG_IGN rather than a handler, because the git processes started meanwhile
    inherit an ignored signal (a terminal sends Ctrl-C to them too) but not a Python handler.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _git_reason(exc: Any) -> str:
    """git's own one-line reason from a GitPython error (its stderr lines come quoted)."""
    lines = [line.removeprefix("stderr: ").strip(" '") for line in (exc.stderr or "").splitlines()]
    return reason_of("\n".join(lines)) or f"exit status {exc.status}"


__all__ = ["LOCAL_DIR", "Author", "Store", "Transaction", "atomic_write", "commit_message", "init_repository"]
