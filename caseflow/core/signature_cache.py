"""git's verdict on each commit's signature, kept by commit id.

Checking one signature costs about 10–15 ms (git runs ``ssh-keygen`` once per commit), so the
verdicts are kept in ``signatures.json`` beside the ledger's state: they outlive a replay from
scratch (another branch, a rebase, changed rules) and serve the access record's commits too.
Whether a key was its author's at the time is judged by the callers, on the history itself; only
what git says about the signature is kept here.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from caseflow.core.git import replay

FILE = "signatures.json"
#: Verdicts that do not change with the allowed-signers file's contents (``E``, "cannot check",
#: is asked again).
_KEPT_STATUSES = frozenset("GUBN")


def verdicts(
    root: Path, commits: Sequence[str], allowed_signers: Path, state_dir: Path | None
) -> dict[str, replay.Signature]:
    """Each commit's signature verdict: kept ones from ``state_dir``, the others asked of git (and kept)."""
    kept = load(state_dir)
    missing = [c for c in dict.fromkeys(commits) if c not in kept]
    if missing:
        kept.update(_check(root, missing, allowed_signers))
        save(state_dir, kept)
    return {c: kept[c] for c in commits if c in kept}


def _check(root: Path, commits: list[str], allowed: Path) -> dict[str, replay.Signature]:
    """git's verdicts, in parts at once on a long list (``ssh-keygen`` runs once per commit)."""
    workers = min(os.cpu_count() or 1, 4)
    if len(commits) < 32 or workers < 2:
        return replay.signatures(root, commits, allowed)
    from concurrent.futures import ThreadPoolExecutor

    size = -(-len(commits) // workers)
    parts = [commits[i : i + size] for i in range(0, len(commits), size)]
    found: dict[str, replay.Signature] = {}
    with ThreadPoolExecutor(workers) as pool:
        for checked in pool.map(lambda part: replay.signatures(root, part, allowed), parts):
            found.update(checked)
    return found


def load(state_dir: Path | None) -> dict[str, replay.Signature]:
    if state_dir is None:
        return {}
    try:
        kept = json.loads((state_dir / FILE).read_text(encoding="utf-8"))
        return {c: replay.Signature(v[0], v[1]) for c, v in kept.items()}
    except (OSError, ValueError, TypeError, IndexError, AttributeError):
        return {}


def save(state_dir: Path | None, kept: dict[str, replay.Signature]) -> None:
    if state_dir is None:
        return
    from caseflow.core.safefiles import atomic_write

    body = {c: [v.status, v.fingerprint] for c, v in kept.items() if v.status in _KEPT_STATUSES}
    with contextlib.suppress(OSError):  # a read-only clone: the next run asks git again
        state_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(state_dir / FILE, json.dumps(body, separators=(",", ":")).encode())
