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
from caseflow.core.access_record import ACCESS_REF
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
    pushed: dict[str, tuple[str, str]] = {}
    for line in updates:
        parts = line.split()
        if len(parts) == 3:
            pushed[parts[2]] = (parts[0], parts[1])
    for ref, (old, new) in pushed.items():
        if ref.startswith("refs/tags/"):  # a tag brings its commits onto the server too: the same rules
            if new != replay.ZERO:
                refusals.extend(Refusal(ref, reason) for reason in _branch_breaches(bare, ref, replay.ZERO, new))
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
            refusals.extend(Refusal(ref, reason) for reason in _branch_breaches(bare, ref, old, new))
    if ACCESS_REF in pushed and not any(r.ref == ACCESS_REF for r in refusals):
        old, new = pushed[ACCESS_REF]
        refusals.extend(Refusal(ACCESS_REF, reason) for reason in _access_breaches(bare, old, new, pushed))
    return refusals


def _branch_breaches(bare: Path, ref: str, old: str, new: str) -> list[str]:
    config = _config_at(bare, new)
    if config is not None and config.format > FORMAT_VERSION:
        return [f"{CONFIG_FILE} says format {config.format}; this server's caseflow knows up to {FORMAT_VERSION}"]
    allows, initial, gates = _workflow(config)
    state, shared = state_of(bare, ref), bare / STATE_DIR
    start = old if old != replay.ZERO else _known_base(bare, new)
    if start is not None:
        base = ledger.build(bare, allows, initial, tip=start, state_dir=state, gates=gates, signature_dir=shared)
        revisions = [f"{start}..{new}"]
    else:  # nothing of it is on the server yet: judged from its first commit
        base, revisions = ledger.Ledger(), [new]
    verdicts = ledger.check_range(bare, base, revisions, allows, initial, state, gates, shared)
    if not verdicts and base.head is not None:
        # Kept at the pushed commit, for this ref: its next push is checked from here. Were the
        # push refused after all (another ref, another hook), that commit never reaches the ref,
        # and the next check replays from the start of its history as before.
        ledger.keep(state, base, new)
    return [f"commit {v.commit[:12]} ({v.subject}): {problem}" for v in verdicts for problem in v.problems]


def state_of(bare: Path, ref: str) -> Path:
    """Where the state replayed at ``ref``'s tip is kept: one folder per ref, so that a push of one
    branch never throws away what was replayed for another. A ref without one yet starts from a
    copy of the default branch's (replay continues from there when its tip is an ancestor)."""
    import hashlib
    import shutil

    from caseflow.core import ledger_state

    def folder(name: str) -> Path:
        return bare / STATE_DIR / "refs" / hashlib.sha256(name.encode()).hexdigest()[:16]

    state = folder(ref)
    if not (state / ledger_state.LATEST).exists():
        main = folder(_default_branch(bare))
        if main != state and (main / ledger_state.LATEST).exists():
            state.mkdir(parents=True, exist_ok=True)
            shutil.copy2(main / ledger_state.LATEST, state / ledger_state.LATEST)
    return state


def _default_branch(bare: Path) -> str:
    try:
        return git(bare, "symbolic-ref", "-q", "HEAD").strip() or "refs/heads/main"
    except GitFailed:
        return "refs/heads/main"


def _known_base(bare: Path, new: str) -> str | None:
    """The newest commit of a new ref's history already on the server (a branch's), or None.

    One ``rev-list``: the commits not on any branch yet, and among their parents those that are.
    """
    fresh = git(bare, "rev-list", "--parents", new, "--not", "--branches").split("\n")
    unseen = {line.split()[0] for line in fresh if line.strip()}
    if not unseen:
        return new  # every commit of it is on a branch already
    known = [p for line in fresh if line.strip() for p in line.split()[1:] if p not in unseen]
    return known[0] if known else None


def _access_breaches(bare: Path, old: str, new: str, pushed: dict[str, tuple[str, str]]) -> list[str]:
    """The access record's own rules on a push of it (:func:`caseflow.core.access_verify.push_problems`),
    judged by the staff lists of the default branch (as pushed in this same push, where it is)."""
    from caseflow.core import access_verify

    main = _default_branch(bare)
    tip = pushed.get(main, (None, replay.resolve(bare, main)))[1]
    if tip is None or tip == replay.ZERO:
        return []  # no case history yet, so nobody's entries to judge: the first push brings both
    config = _config_at(bare, tip)
    allows, initial, gates = _workflow(config)
    proven = ledger.build(
        bare, allows, initial, tip=tip, state_dir=state_of(bare, main), gates=gates, signature_dir=bare / STATE_DIR
    )
    signers = access_verify.Signers.from_configs(
        ledger.allowed_configs(bare, proven), ledger.config_in_force(bare, proven)
    )
    return access_verify.push_problems(bare, old, new, signers, bare / STATE_DIR)


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
