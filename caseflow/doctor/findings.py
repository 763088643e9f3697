"""What ``caseflow doctor`` found: one :class:`Finding` per thing left behind, with its repair."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The kinds of finding (stable: ``--json`` prints them).
INTERRUPTED_WRITE = "interrupted-write"
WRITE_IN_PROGRESS = "write-in-progress"
WRITE_LOCK = "write-lock"
LOCK_QUEUE = "lock-queue"
STALE_LOCK = "stale-lock"
BUSY_LOCK = "busy-lock"
HALF_STAGED = "half-staged"
STAGED = "staged"
TEMP_FILE = "temp-file"
MERGE_IN_PROGRESS = "merge-in-progress"
GIT_IN_PROGRESS = "git-in-progress"
DURABILITY = "durability"


@dataclass
class Finding:
    """One thing found. ``problem``: something is wrong (False: for information, such as who holds
    the writers' lock now); ``repair``, if any, puts it right and returns one line saying what it
    did (an :class:`OSError` or a git failure: it could not)."""

    kind: str
    path: str
    detail: str
    problem: bool = True
    fixed: bool = False
    repair: Callable[[], str] | None = field(default=None, repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "detail": self.detail,
            "fixed": self.fixed,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class Scene:
    """What every check looks at: the clone, its git folders, and what is already accounted for."""

    root: Path
    git_dir: Path
    common_dir: Path
    #: Putting things right (the writers' lock is ours), not only looking.
    fixing: bool
    #: Paths an interrupted write's journal will put right itself (not reported twice).
    journal_paths: frozenset[str] = frozenset()

    def relative(self, path: Path) -> str:
        """``path`` as the person sees it from the repository (``.git/index.lock``)."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def age(seconds: float) -> str:
    """``12 s``, ``3 min``, ``2 h``, ``4 days``."""
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def moment(timestamp: float) -> str:
    """A time as ISO 8601 with its offset, to the second (this machine's time zone)."""
    return dt.datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")
