"""The commit HEAD names, read from git's own files: standard library only (the ``caseflow``
command asks before the rest of caseflow loads: :mod:`.early`), and no git process, which a
command would otherwise start several times to ask the same thing."""

from __future__ import annotations

import os
import re
from pathlib import Path

_OBJECT_NAME = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # (SHA-1, SHA-256)


def head_commit(root: Path) -> str | None:
    """The commit HEAD names, where git's files name it plainly: ``.git/HEAD`` naming a branch whose
    ref is a file of its own (git writes one on every commit; a lock file renamed over it, so it is
    never read half-written), or naming a commit (a detached HEAD). None otherwise, and then only
    git can tell: a ref packed into ``packed-refs``, a branch with no commit yet, a linked worktree
    (whose ``.git`` is a file), the reftable format, or ``GIT_DIR`` naming another repository."""
    if os.environ.get("GIT_DIR"):
        return None
    git_dir = root / ".git"
    try:
        named = (git_dir / "HEAD").read_text(encoding="ascii").strip()
        if named.startswith("ref: refs/"):
            named = (git_dir / named[len("ref: ") :]).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return named if _OBJECT_NAME.fullmatch(named) else None
