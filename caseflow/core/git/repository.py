"""Creating a case repository's git repository: the one use of GitPython.

``caseflow init`` is run once, off every hot path, and GitPython's config writer edits
``.git/config`` without a process per setting. (Never its index API: PERFORMANCE.md measured it
~15x slower than the git command line; staging and committing go through ``repo.git``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from caseflow.core.git.commit import Author, commit_message
from caseflow.core.git.runner import reason_of
from caseflow.core.safefiles import atomic_write
from caseflow.errors import StoreError


def init_repository(root: Path, files: Mapping[str, bytes], author: Author, at: datetime | None = None) -> str:
    """Create a git repository holding ``files`` in one initial commit; returns its id."""
    import git  # GitPython costs ~0.1 s to import: only `caseflow init` pays it

    repo = git.Repo.init(root, initial_branch="main")
    try:
        with repo.config_writer() as config:
            config.set_value("core", "fsync", "all")  # a crash must not lose an acknowledged commit
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
