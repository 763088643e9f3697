"""What a replay of the history proved, kept in ``.caseflow/`` so that the next goes on from it.

Two states are kept: the latest (:data:`LATEST`), and the one the last replay went on from
(:data:`BASE`): after a reset or a switch back to a branch, a replay goes on from whichever still
leads to the new HEAD instead of from the first commit.

A state is a caseload's approvals, stages and verdicts (megabytes at 10,000 clients), loaded by
every command that judges what the history backs: it is kept with :mod:`marshal` (sets and tuples
as they are, read back at C speed), a local cache like the index, never shared or committed.
What the fields mean is :class:`caseflow.core.ledger.Ledger`'s business; here they are plain data.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Changes whenever what is kept, or how, does: a state of another version is replayed afresh.
STATE_VERSION = 8
#: The kept states: the latest, and the one a replay last went on from.
LATEST, BASE = "verified.bin", "verified-base.bin"
#: What earlier versions kept (JSON), removed when a state is kept.
_EARLIER = ("verified.json", "verified-base.json")


def load(state_dir: Path, policy: str, name: str = LATEST) -> dict[str, Any] | None:
    """The fields of the state kept under ``name`` for ``policy`` (None: none, another version or
    policy, or unreadable)."""
    try:
        version, kept_policy, fields = marshal.loads((state_dir / name).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if version != STATE_VERSION or kept_policy != policy or not isinstance(fields, dict):
        return None
    return fields


def head_of(state_dir: Path, name: str = LATEST) -> str | None:
    """The commit the state kept under ``name`` is of, whatever its policy (None: none kept)."""
    try:
        _, _, fields = marshal.loads((state_dir / name).read_bytes())
        head = fields.get("head")
    except (OSError, EOFError, ValueError, TypeError, AttributeError):
        return None
    return head if isinstance(head, str) else None


def save(state_dir: Path, fields: Mapping[str, Any], policy: str) -> None:
    """Keep these fields as the latest state (nothing, in a clone nobody may write to)."""
    from caseflow.core.safefiles import atomic_write

    # (a read-only clone, or something not plain data: the next run replays again)
    with contextlib.suppress(OSError, ValueError):
        data = marshal.dumps((STATE_VERSION, policy, dict(fields)))
        state_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(state_dir / LATEST, data)
        for earlier in _EARLIER:
            (state_dir / earlier).unlink(missing_ok=True)


def keep_as_base(state_dir: Path) -> None:
    """The latest state becomes the base: the one the replay about to be kept went on from."""
    with contextlib.suppress(OSError):
        os.replace(state_dir / LATEST, state_dir / BASE)
