"""Creating a case repository's git repository (the one use of GitPython), and keeping every
clone's git durable.

``caseflow init`` is run once, off every hot path, and GitPython's config writer edits
``.git/config`` without a process per setting. (Never its index API: PERFORMANCE.md measured it
~15x slower than the git command line; staging and committing go through ``repo.git``.)

Durable settings (:data:`DURABLE_SETTINGS`): git flushes what it writes to the disk before it
says it is done, and checks every object that comes in from elsewhere. ``init`` writes them,
``caseflow clone`` gives them to ``git clone`` (so the clone's own fetch already runs with them),
and opening any other repository adds those its own config lacks (:func:`ensure_durable`: one
read of the config file, no git process, when they are all there). A value someone set on
purpose in the clone's config is left as it is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from caseflow.core.git.commit import Author, commit_message
from caseflow.core.git.runner import GitFailed, git, reason_of
from caseflow.core.safefiles import atomic_write
from caseflow.errors import StoreError

#: (section, key, value) that every case repository keeps in its own git config.
DURABLE_SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("core", "fsync", "all"),  # a crash must not lose an acknowledged commit: objects, refs, index
    ("core", "fsyncMethod", "fsync"),  # a real fsync(), not only a write-out to the disk's cache
    ("transfer", "fsckObjects", "true"),  # objects a clone or a fetch brings in are checked first
    ("receive", "fsckObjects", "true"),  # and so are objects pushed into this repository
)


def init_repository(root: Path, files: Mapping[str, bytes], author: Author, at: datetime | None = None) -> str:
    """Create a git repository holding ``files`` in one initial commit; returns its id."""
    import git  # GitPython costs ~0.1 s to import: only `caseflow init` pays it

    repo = git.Repo.init(root, initial_branch="main")
    try:
        with repo.config_writer() as config:
            for section, key, value in DURABLE_SETTINGS:
                config.set_value(section, key, value)
        for rel, data in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, data)
        repo.git.add("--", *files, env={"GIT_LITERAL_PATHSPECS": "1"})
        env = author.env()
        if at is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = at.isoformat()
        repo.git.commit("-q", "-m", commit_message("init", None), env=env)
        return str(repo.head.commit.hexsha)
    except git.GitCommandError as exc:
        raise StoreError(f"git refused the first commit ({_git_reason(exc)})") from None
    finally:
        repo.close()


def _git_reason(exc: Any) -> str:
    """git's own one-line reason from a GitPython error (its stderr lines come quoted)."""
    lines = [line.removeprefix("stderr: ").strip(" '") for line in (exc.stderr or "").splitlines()]
    return reason_of("\n".join(lines)) or f"exit status {exc.status}"


def durable_clone_options() -> list[str]:
    """``git clone`` options that write :data:`DURABLE_SETTINGS` into the new clone's config
    before it fetches anything."""
    return [option for section, key, value in DURABLE_SETTINGS for option in ("--config", f"{section}.{key}={value}")]


def missing_durable_settings(root: Path) -> list[str] | None:
    """The durable settings (``core.fsync``) the repository's own config lacks, read from the file
    without starting git; None if its config file cannot be found or read."""
    config = local_config_file(root)
    if config is None:
        return None
    try:
        present = _keys_in(config.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return [f"{section}.{key}" for section, key, _ in DURABLE_SETTINGS if (section, key.lower()) not in present]


def ensure_durable(root: Path) -> list[str]:
    """Write the durable settings the repository's own config lacks; returns those written.

    The usual case, all there, costs one read of ``.git/config``. A repository whose config
    cannot be written (read-only, or another process writing it right now) is left as it is:
    the next command tries again."""
    missing = missing_durable_settings(root)
    if not missing:
        return []
    config = local_config_file(root)
    if config is None or not os.access(config.parent, os.W_OK):
        return []
    values = {f"{section}.{key}": value for section, key, value in DURABLE_SETTINGS}
    written = []
    for name in missing:
        try:
            git(root, "config", "--local", name, values[name])
        except (GitFailed, OSError):
            break
        written.append(name)
    return written


def local_config_file(root: Path) -> Path | None:
    """The repository's own config file (``.git/config``; a linked worktree's is its main
    repository's), found without starting git; None if ``root`` has none."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        folder = dot_git
    elif dot_git.is_file():  # a linked worktree or a submodule: "gitdir: <path>"
        try:
            text = dot_git.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        if not text.startswith("gitdir:"):
            return None
        folder = root / text.removeprefix("gitdir:").strip()
        try:
            common = (folder / "commondir").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            common = ""
        except OSError:
            return None
        if common:
            folder = folder / common
    else:
        return None
    config = folder / "config"
    return config if config.is_file() else None


def _keys_in(text: str) -> set[tuple[str, str]]:
    """(section, key) pairs set in a git config file's text, lower case; subsections left out
    (no durable setting has one). A key set twice is set: git takes the last value."""
    found: set[tuple[str, str]] = set()
    section: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            end = line.find("]")
            if end < 0:
                section = None
                continue
            header = line[1:end].strip()
            section = None if (" " in header or '"' in header or "." in header) else header.lower()
            line = line[end + 1 :].strip()  # "[core] fsync = all" on one line
        if not line or line[0] in "#;" or section is None:
            continue
        key = line.split("=", 1)[0].strip()
        if key and (key[0].isalpha()) and all(c.isalnum() or c == "-" for c in key):
            found.add((section, key.lower()))
    return found
