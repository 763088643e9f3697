"""The rules where the team meets: a pre-receive hook for a bare repository that replays every
pushed commit (:mod:`caseflow.core.ledger`) and refuses a push that breaks a rule.

git runs the hook in the bare repository with the pushed objects in quarantine; the hook reads
``OLD NEW REFNAME`` lines on stdin, and whatever it prints reaches the person pushing
(``remote: ...``). Exit 1 refuses the whole push.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from caseflow.core import ledger
from caseflow.core.config import CONFIG_FILE, FORMAT_VERSION, RepoConfig
from caseflow.core.git import replay
from caseflow.core.git.runner import GitFailed, git
from caseflow.errors import CaseflowError, UsageError

HOOK = """#!/bin/sh
# Installed by `caseflow server install`: every pushed commit is checked against the case
# repository's rules (signatures, approvals, stage changes, staff and rule changes).
exec {python} -m caseflow server check
"""
PROTECTED = ("refs/heads/", "refs/caseflow/")
STATE_DIR = "caseflow"


def install(bare: Path) -> Path:
    """Install the hook in the bare repository ``bare``; refuse rewrites and deletions there."""
    if not (bare / "HEAD").is_file() or not (bare / "objects").is_dir() or (bare / ".git").exists():
        raise UsageError(f"{bare} is not a bare git repository (make one with `git init --bare {bare}`)")
    hook = bare / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(HOOK.format(python=_quoted(sys.executable)), encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    for key in ("receive.denyNonFastForwards", "receive.denyDeletes"):
        git(bare, "config", key, "true")
    return hook


def _quoted(path: str) -> str:
    return "'" + path.replace("'", "'\\''") + "'"


@dataclass(frozen=True)
class Refusal:
    ref: str
    reason: str


def check(bare: Path, updates: Iterable[str]) -> list[Refusal]:
    """Every reason to refuse the pushed ``OLD NEW REFNAME`` lines ([] accepts the push)."""
    refusals: list[Refusal] = []
    for line in updates:
        parts = line.split()
        if len(parts) != 3:
            continue
        old, new, ref = parts
        if ref.startswith("refs/tags/"):  # a tag brings its commits onto the server too: the same rules
            if new != replay.ZERO:
                refusals.extend(Refusal(ref, reason) for reason in _branch_breaches(bare, replay.ZERO, new))
            continue
        if not ref.startswith(PROTECTED):
            refusals.append(Refusal(ref, "only branches, tags and caseflow's own refs are kept here"))
            continue
        if new == replay.ZERO:
            refusals.append(Refusal(ref, "deleting it is refused: the history is the case record"))
            continue
        if old != replay.ZERO and not replay.is_ancestor(bare, old, new):
            refusals.append(Refusal(ref, "rewriting its history is refused (a push that is not a fast-forward)"))
            continue
        if ref.startswith("refs/heads/"):
            refusals.extend(Refusal(ref, reason) for reason in _branch_breaches(bare, old, new))
    return refusals


def _branch_breaches(bare: Path, old: str, new: str) -> list[str]:
    config = _config_at(bare, new)
    if config is not None and config.format > FORMAT_VERSION:
        return [f"{CONFIG_FILE} says format {config.format}; this server's caseflow knows up to {FORMAT_VERSION}"]
    allows, initial, gates = _workflow(config)
    state = bare / STATE_DIR
    if old != replay.ZERO:
        base = ledger.build(bare, allows, initial, tip=old, state_dir=state, gates=gates)
        revisions = [f"{old}..{new}"]
    else:
        base = ledger.Ledger()
        revisions = [new, "--not", "--all"]
        existing = [c for c in replay.walk(bare, [new]) if _known(bare, c.id)]
        if existing:  # a new branch off known history: judge it from where it starts
            base = ledger.build(bare, allows, initial, tip=existing[-1].id, state_dir=state, gates=gates)
            revisions = [f"{existing[-1].id}..{new}"]
    verdicts = ledger.check_range(bare, base, revisions, allows, initial, state, gates)
    if not verdicts and base.head is not None:
        # Kept at the pushed commit: the next push is checked from here, not from this push's start.
        # Were the push refused after all (another ref, another hook), that commit never reaches the
        # branch, and the next check replays from the start as before.
        ledger.keep(state, base, new)
    return [f"commit {v.commit[:12]} ({v.subject}): {problem}" for v in verdicts for problem in v.problems]


def _known(bare: Path, commit: str) -> bool:
    """Was ``commit`` on the server before this push (reachable from an existing ref)?"""
    try:
        return bool(git(bare, "for-each-ref", "--contains", commit, "--count=1", "refs/heads/").strip())
    except GitFailed:
        return False


def _config_at(bare: Path, rev: str) -> RepoConfig | None:
    from caseflow.core.documents import load_plain

    blob = replay.blob_id_at(bare, rev, CONFIG_FILE)
    raw = replay.blobs(bare, [blob]).get(blob or "", b"") if blob else b""
    try:
        data, _ = load_plain(CONFIG_FILE, raw)
        return RepoConfig.from_plain(data) if isinstance(data, dict) else None
    except (CaseflowError, KeyError, TypeError, ValueError):
        return None


def _workflow(config: RepoConfig | None) -> tuple[ledger.TransitionCheck, str, ledger.Gates]:
    """The transitions of the workflow the pushed settings name, from the plugins installed here,
    and the documents each move needs approved."""
    from caseflow.plugins import PluginHost, PluginPolicy, get_plugin_manager
    from caseflow.session import approval_gates

    try:
        host = PluginHost(get_plugin_manager(PluginPolicy.from_config(config.plugins if config else {}, os.environ)))
        spec = host.workflows().get(config.workflow if config else "")
        gates = approval_gates(spec, host.forms()) if spec is not None else {}
    except CaseflowError:
        spec, gates = None, {}
    if spec is None:
        return (lambda _source, _target: True), "", (lambda _source, _target: [])
    moves = {(t.source, t.target) for t in spec.transitions}
    return (
        (lambda source, target: (source, target) in moves),
        spec.initial,
        (lambda source, target: gates.get((source, target), [])),
    )
