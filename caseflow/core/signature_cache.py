"""git's verdict on each commit's signature, kept by commit id.

Checking one signature costs about 10–15 ms (git runs ``ssh-keygen`` once per commit), so the
verdicts are kept in ``signatures.json`` beside the ledger's state: they outlive a replay from
scratch (another branch, a rebase, changed rules) and serve the access record's commits too.
Whether a key was its author's at the time is judged by the callers, on the history itself; only
what git says about the signature is kept here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from caseflow.core.git import replay

FILE = "signatures.json"
#: The form of the file's contents (see :func:`load`).
_FORM = 2
#: Verdicts that do not change with the allowed-signers file's contents (``E``, "cannot check",
#: is asked again).
_KEPT_STATUSES = frozenset("GUBN")


def verdicts(
    root: Path, commits: Sequence[str], allowed_signers: Callable[[], Path], state_dir: Path | None
) -> dict[str, replay.Signature]:
    """Each commit's signature verdict: kept ones from ``state_dir``, the others asked of git (and
    kept). ``allowed_signers()``: the file git checks them against, made only when one is asked."""
    kept = load(state_dir)
    missing = [c for c in dict.fromkeys(commits) if c not in kept]
    if missing:
        kept.update(_check(root, missing, allowed_signers()))
        save(state_dir, kept)
    return {c: kept[c] for c in commits if c in kept}


def allowed_signers_file(lines: Iterable[str], state_dir: Path | None, name: str) -> Path:
    """The allowed-signers file git checks signatures against, holding ``lines``: named by its
    contents, so that another command of the same clone checking against other keys at the same
    moment never reads this one's, nor one half written (a verdict of "no key" would be kept); in
    ``state_dir``, else (or where it cannot be written) in a folder private to this process,
    never under a shared name in the system's temporary folder."""
    body = "".join(f"{line}\n" for line in sorted(set(lines))).encode()
    named = f"{name}-{hashlib.sha256(body).hexdigest()[:16]}"
    if state_dir is not None:
        target = _written(state_dir, named, name, body)
        if target.exists():
            return target
    return _written(_scratch(), named, name, body)  # (made only where the clone's folder cannot serve)


def _written(folder: Path, named: str, name: str, body: bytes) -> Path:
    """``folder / named`` holding ``body`` (written whole, unless it is there already; nothing
    where the folder cannot be written)."""
    target = folder / named
    if not target.exists():
        from caseflow.core.safefiles import replace_cache_file

        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
        replace_cache_file(target, body)
        _forget_stale(folder, name, target)
    return target


#: Another content's allowed-signers file is removed once it is this old (a command checking
#: against it has long finished).
_STALE_SECONDS = 24 * 3600
_scratch_folder: tempfile.TemporaryDirectory[str] | None = None


def _scratch() -> Path:
    """A folder of this process's own, removed when it ends."""
    global _scratch_folder
    if _scratch_folder is None:
        _scratch_folder = tempfile.TemporaryDirectory(prefix="caseflow-signers-")
    return Path(_scratch_folder.name)


def _forget_stale(folder: Path, name: str, current: Path) -> None:
    now = time.time()
    for other in folder.glob(f"{name}-*"):
        with contextlib.suppress(OSError):
            if other != current and now - other.stat().st_mtime > _STALE_SECONDS:
                other.unlink()


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
        raw = json.loads((state_dir / FILE).read_text(encoding="utf-8"))
        if raw.get("form") == _FORM:
            return {c: replay.Signature(v[0], v[1]) for c, v in raw["verdicts"].items()}
        # (Kept before the allowed-signers file was one per content, each commit's verdict at the
        # top: a check that read another command's file, or one half written, may have kept a good
        # signature as of no known key, or bad. What no such file changes is kept; the rest is
        # asked of git again, once.)
        return {c: replay.Signature(v[0], v[1]) for c, v in raw.items() if v[0] in ("G", "N")}
    except (OSError, ValueError, TypeError, IndexError, AttributeError, KeyError):
        return {}


def save(state_dir: Path | None, kept: dict[str, replay.Signature]) -> None:
    if state_dir is None:
        return
    from caseflow.core.safefiles import atomic_write

    body = {
        "form": _FORM,
        "verdicts": {c: [v.status, v.fingerprint] for c, v in kept.items() if v.status in _KEPT_STATUSES},
    }
    with contextlib.suppress(OSError):  # a read-only clone: the next run asks git again
        state_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(state_dir / FILE, json.dumps(body, separators=(",", ":")).encode())
