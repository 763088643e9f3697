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
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from caseflow.errors import LockTimeout, StoreError

LOCAL_DIR = ".caseflow"
#: Transports git may use for caseflow's clones and syncs: never ext:: (runs commands) or fd::.
SAFE_TRANSPORTS = {"GIT_ALLOW_PROTOCOL": "file:https:ssh", "GIT_TERMINAL_PROMPT": "0"}
#: A merge conflict's opening or closing line (a line of seven "=" alone can be a Markdown heading).
CONFLICT_MARKER = re.compile(rb"^(<{7}|>{7})(?: |\r?$)", re.M)
#: One entry of ``git ls-files -s -z``: mode, blob id, stage, path.
_LS_FILES_ENTRY = re.compile(r"(\d{6}) ([0-9a-f]+) \d\t([^\0]*)\0")
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


def git_config_value(root: Path | None, key: str) -> str | None:
    """A git setting (``user.email``) as git itself resolves it, or None."""
    try:
        return _git(root, "config", "--get", key).strip() or None
    except (GitFailed, OSError):
        return None


class GitFailed(Exception):
    """A git command exited non-zero; ``reason`` is the last line it printed on stderr."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _git(root: Path | None, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None) -> str:
    """Run one git command and return its output. (A plain process: GitPython's import alone
    costs a tenth of a second, more than most of what caseflow asks git.)"""
    import subprocess

    done = subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **env} if env else None,
        input=stdin.encode("utf-8") if stdin is not None else None,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitFailed(lines[-1] if lines else f"git {args[0]} exited {done.returncode}")
    return done.stdout.decode("utf-8", "surrogateescape")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` holds either the old bytes or the new, never a mix.

    The file keeps its permissions (a new one gets the usual ones, as the umask says).
    """
    try:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
    except FileNotFoundError:
        mode = _new_file_mode()
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)  # mkstemp makes 0600 files; keep the mode git and colleagues expect
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_dir(path.parent)


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        local = self.root / LOCAL_DIR
        local.mkdir(exist_ok=True)
        fd = os.open(local / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
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

    def worktree_listing(self, folder: str) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
        """What git knows of ``folder``: ``{path: (mode, staged blob id)}`` from ``git ls-files -s``
        and ``{path: status}`` of the files changed, untracked (``??``) or ignored (``!!``) in the
        working tree. A path with no status holds exactly its staged blob.

        ``git status`` runs on the whole tree with git's untracked cache, which a path limit would
        switch off (it is what makes status fast on thousands of client folders), and may refresh
        git's index only while no caseflow command is writing (otherwise ``--no-optional-locks``).
        Ignored files are asked for separately, and only where an ignore rule could reach ``folder``.
        """
        with self.try_lock() as mine:
            staged_out, status_out = self._run_concurrently(
                ["ls-files", "-s", "-z", "--", folder],
                [
                    "-c",
                    "core.untrackedCache=true",
                    "status",
                    "--porcelain=v1",
                    "-z",
                    "--untracked-files=normal",
                    "--no-renames",
                ],
                optional_locks=mine,
            )
        # An unmerged path lists stages 1-3: the last one wins. (One regex pass: a large caseload
        # lists hundreds of thousands of entries.)
        staged = {path: (mode, blob) for mode, blob, path in _LS_FILES_ENTRY.findall(staged_out)}
        changed: dict[str, str] = {}
        prefix = f"{folder}/"
        for entry in status_out.split("\0"):
            path = entry[3:]
            if not path.startswith(prefix):
                continue
            if path.endswith("/"):  # a folder git has never seen: every file in it is untracked
                changed.update((inner, "??") for inner in _files_below(self.root, path.rstrip("/")))
            else:
                changed[path] = entry[:2]
        # (A .gitignore inside the folder is a rule too: found in git's raw listing, at C speed.)
        inner_rules = "/.gitignore\0" in staged_out or any(p.endswith("/.gitignore") for p in changed)
        if inner_rules or _ignore_rules_may_reach(self.root):
            (ignored_out,) = self._run_concurrently(
                ["status", "--porcelain=v1", "-z", "--ignored", "--untracked-files=all", "--no-renames", "--", folder]
            )
            changed.update((entry[3:], "!!") for entry in ignored_out.split("\0") if entry.startswith("!!"))
        return staged, changed

    def _run_concurrently(self, *commands: list[str], optional_locks: bool = False) -> list[str]:
        import subprocess

        base = ["git", "-c", "core.quotePath=false"] + ([] if optional_locks else ["--no-optional-locks"])
        running = [
            subprocess.Popen([*base, *c], cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for c in commands
        ]
        outputs = []
        for process in running:
            out, err = process.communicate()
            if process.returncode != 0:
                reason = err.decode("utf-8", "replace").strip().splitlines()
                raise StoreError(f"git could not list the case files ({reason[-1] if reason else 'no reason given'})")
            outputs.append(out.decode("utf-8", "surrogateescape"))
        return outputs

    @contextlib.contextmanager
    def try_lock(self) -> Iterator[bool]:
        """The writers' lock if it is free right now (True), else nothing (False): never waits."""
        local = self.root / LOCAL_DIR
        try:
            local.mkdir(exist_ok=True)
            fd = os.open(local / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
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
        import tempfile

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
            _refuse_links(self.root, rel)
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
                        _remove_empty_parents(target.parent, self.root)
                        continue
                    created_dirs.extend(_make_parents(target.parent, self.root))
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
        """Commit exactly these bytes (None: the file's removal) in one commit without touching the
        working tree; returns the commit, or None when HEAD already holds them all.

        For a caller that has read and checked the bytes itself (``caseflow watch``): the new tree
        is built in a scratch index from HEAD, so nothing a person staged for other paths is taken
        along; HEAD moves by compare-and-swap; then git's own index gets just these paths, so that
        ``git status`` shows them clean. ``keep(path, data)`` is asked under the repository lock
        right before committing; a path it refuses (its file changed again) is left out.
        """
        for rel, data in files.items():
            _refuse_links(self.root, rel)
            if data is not None and CONFLICT_MARKER.search(data):
                raise StoreError(f"{rel} holds git conflict markers; caseflow never commits them")
        with self.lock(), _signals_deferred():
            chosen = {rel: data for rel, data in files.items() if keep is None or keep(rel, data)}
            if not chosen:
                return None
            parent = _plumbing(self.root, "rev-parse", "--verify", "-q", "HEAD", check=False).strip() or None
            with tempfile.TemporaryDirectory(dir=self.root / LOCAL_DIR, prefix="commit-") as scratch:
                scratch_index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
                _plumbing(self.root, "read-tree", parent or "--empty", env=scratch_index)
                entries = self._index_entries(chosen, scratch_index)
                _plumbing(self.root, "update-index", "-z", "--index-info", data=entries, env=scratch_index)
                tree = _plumbing(self.root, "write-tree", env=scratch_index).strip()
            commit = None
            if parent is None or tree != _plumbing(self.root, "rev-parse", f"{parent}^{{tree}}").strip():
                message = commit_message(action, client)
                parents = ["-p", parent] if parent else []
                commit = _plumbing(self.root, "commit-tree", tree, *parents, data=message.encode(), env=author.env())
                commit = commit.strip()
                expected = parent or "0" * 40  # no HEAD yet: the ref must still not exist
                if _plumbing_status(self.root, "update-ref", "-m", f"caseflow: {action}", "HEAD", commit, expected):
                    raise StoreError("HEAD moved while committing (another git command?); nothing was committed")
            self._sync_index(entries, commit)
            return commit

    def _index_entries(self, files: Mapping[str, bytes | None], scratch_index: Mapping[str, str]) -> bytes:
        """``git update-index -z --index-info`` input: each file's bytes stored as a blob (keeping
        the mode the path has), or mode 0, which removes the path."""
        listed = _plumbing(self.root, "ls-files", "-s", "-z", "--", *files, env=scratch_index)
        modes = {}
        for entry in listed.split("\0"):
            if entry:
                info, _, path = entry.partition("\t")
                modes[path] = info.split(" ")[0]
        lines = []
        for rel, data in sorted(files.items()):
            if data is None:
                lines.append(f"0 {'0' * 40}\t{rel}")
                continue
            blob = _plumbing(self.root, "hash-object", "-w", "--no-filters", "--stdin", data=data).strip()
            lines.append(f"{modes.get(rel, '100644')} {blob}\t{rel}")
        return "".join(line + "\0" for line in lines).encode("utf-8", "surrogateescape")

    def _sync_index(self, entries: bytes, commit: str | None) -> None:
        """git's own index takes the committed paths; a git command holding its lock briefly
        (``git status`` refreshing) is waited for."""
        deadline = time.monotonic() + 3.0
        while True:
            failed = _plumbing_status(self.root, "update-index", "-z", "--index-info", data=entries)
            if not failed:
                return
            if "index.lock" not in failed or time.monotonic() >= deadline:
                done = f"committed {commit[:12]}, but " if commit else ""
                raise StoreError(f"{done}git's index could not be updated ({failed}); `git status` may list the files")
            time.sleep(0.05)


def _plumbing(
    root: Path, *args: str, data: bytes | None = None, env: Mapping[str, str] | None = None, check: bool = True
) -> str:
    """Output of a git plumbing command run in its own process group (a terminal's Ctrl-C is
    held for the whole commit by :func:`_signals_deferred`, so it must not reach git either)."""
    import subprocess

    done = subprocess.run(
        ["git", "--literal-pathspecs", *args],
        cwd=root,
        input=data,
        env={**os.environ, **(env or {})},
        capture_output=True,
        check=False,
        process_group=0,
        timeout=120,
    )
    if check and done.returncode != 0:
        raise StoreError(f"git {args[0]} refused ({_stderr_reason(done.stderr)}); nothing was committed")
    return done.stdout.decode("utf-8", "surrogateescape")


def _plumbing_status(root: Path, *args: str, data: bytes | None = None) -> str | None:
    """None when the git command succeeded, else git's reason."""
    import subprocess

    done = subprocess.run(
        ["git", "--literal-pathspecs", *args], cwd=root, input=data, capture_output=True, check=False, process_group=0
    )
    return None if done.returncode == 0 else _stderr_reason(done.stderr)


def _stderr_reason(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1] if lines else "no reason")


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a commit and git's index are updated, then deliver them to
    whatever handler was there: the commit finishes, and the signal is not lost (unlike
    :func:`_uninterruptible`, which a long-running ``caseflow watch`` cannot afford)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(signum)
        if handler is not None and handler is not signal.SIG_IGN:  # None: set outside Python; leave it
            previous[signum] = signal.signal(signum, lambda number, _frame: caught.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for number in dict.fromkeys(caught):
            signal.raise_signal(number)


def _files_below(root: Path, folder: str) -> list[str]:
    """Every file (links included, never followed) below a folder, as repository paths."""
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(root / folder, followlinks=False):
        relative = Path(directory).relative_to(root).as_posix()
        found.extend(f"{relative}/{name}" for name in filenames)
        found.extend(f"{relative}/{name}" for name in dirnames if os.path.islink(os.path.join(directory, name)))
    return found


def _ignore_rules_may_reach(root: Path) -> bool:
    """Could an ignore rule outside the case folders hide a document? (Then git is asked which.)

    caseflow's own .gitignore names only ``.caseflow/``; any other rule, anywhere git reads
    rules from, might.
    """
    sources = [root / ".gitignore", root / ".git" / "info" / "exclude"]
    configured = git_config_value(root, "core.excludesFile")
    if configured:
        sources.append(Path(os.path.expanduser(configured)))
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
        sources.append(Path(xdg) / "git" / "ignore")
    for source in sources:
        try:
            lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        rules = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        if source == root / ".gitignore":
            rules = [rule for rule in rules if rule.rstrip("/") != LOCAL_DIR]
        if rules:
            return True
    return False


def _head(root: Path) -> str | None:
    try:
        return _git(root, "rev-parse", "--verify", "-q", "HEAD").strip() or None
    except GitFailed:
        return None  # no commit yet


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


def _refuse_links(root: Path, rel: str) -> None:
    """Never write through a symbolic link: a linked folder would put case files outside the repo."""
    current = root
    for part in Path(rel).parts:
        current = current / part
        if current.is_symlink():
            raise StoreError(f"{current.relative_to(root)} is a symbolic link; caseflow never writes through links")


def _git_reason(exc: Any) -> str:
    """git's own one-line reason: its first ``fatal:``/``error:`` line, else its last line."""
    lines = [line.removeprefix("stderr: ").strip(" '") for line in (exc.stderr or "").strip().splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return f"exit status {exc.status}"
    return next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1])


def _make_parents(directory: Path, root: Path) -> list[Path]:
    """Create missing folders below ``root``; returns those created, outermost first."""
    missing = []
    current = directory
    while current != root and not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        folder.mkdir()
    return list(reversed(missing))


def _remove_empty_parents(directory: Path, root: Path) -> None:
    """Folders a removal emptied go too (git does not track folders, so they would linger)."""
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
        except OSError:
            return  # not empty (or not ours to remove)
        directory = directory.parent
