"""Authority from history: which approvals, stage changes and rule changes a commit really made.

A file says what anyone typed into it; the history says who committed it. The ledger replays
the commits (parents first) and keeps what the rules need:

- **approvals**: an entry of a client's ``approvals.yaml`` counts only when the commit that
  added it was authored by the approver the entry names, who could approve per the staff list as
  it stood in that commit's parent, and who did not write that version of the document (unless
  ``approvals: {self_approval: true}``). Hand-written, uncommitted or someone else's entries never count.
- **stage changes**: ``stage`` in ``client.yaml`` changes only in a commit made by ``caseflow
  advance`` (its ``Caseflow-Stage: a -> b`` trailer), along a transition the workflow allows, and
  ``stage_history`` grows only by that change's one entry.
- **rules**: a change to ``caseflow.yaml`` (staff, roles, keys, workflow and plugin settings) or
  to ``forms/`` needs the admin right as the parent commit's staff list grants it; until that
  list names an admin, the agency is still being set up and any such change is accepted. A change
  without the right does not take effect: later commits are judged by the last allowed list.
- **signatures**: with ``signing: required``, every commit after the recorded baseline must carry
  a good signature by a key registered to its author at the time (checked by git, ``ssh-keygen``).
- **privacy**: no client's name in a commit message or a path.

Replaying is incremental: the state after HEAD is kept in ``.caseflow/verified.bin``
(:mod:`caseflow.core.ledger_state`) and only commits not seen before are replayed. A signature
check costs about 10 ms a commit (one ``ssh-keygen``), so git's verdicts are kept by commit id in
``.caseflow/signatures.json``, which outlives a replay from the start (another branch, a rebase).

This module builds, keeps and checks ledgers; :mod:`~caseflow.core.ledger_replay` judges each
commit, with what :mod:`~caseflow.core.ledger_rules` defines (the paths judged, the gates of a
move, the digests that recognise names), into the state of :mod:`~caseflow.core.ledger_state`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from caseflow.core import layout, ledger_state, write_notes
from caseflow.core.config import CONFIG_FILE, RepoConfig
from caseflow.core.git import replay
from caseflow.core.ledger_replay import Replayer
from caseflow.core.ledger_rules import Gate, Gates, TransitionCheck, history_digest
from caseflow.core.ledger_state import Ledger, Verdict
from caseflow.errors import CaseflowError

__all__ = [
    "Gate",
    "Gates",
    "Ledger",
    "Replayer",
    "TransitionCheck",
    "Verdict",
    "allowed_configs",
    "build",
    "check_range",
    "config_in_force",
    "history_digest",
    "keep",
    "state_dir_of",
]


# -- the kept state ---------------------------------------------------------------------------------


def build(
    root: Path,
    allows: TransitionCheck,
    initial_stage: str,
    *,
    tip: str = "HEAD",
    known_head: str | None = None,
    state_dir: Path | None = None,
    policy: str = "",
    gates: Gates | None = None,
    signature_dir: Path | None = None,
    earlier: Ledger | None = None,
    apart: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Ledger:
    """The ledger at ``tip``, replaying only what the kept state (in ``state_dir``) has not seen.
    ``known_head``: the commit ``tip`` names, where the caller knows it (git is not asked).

    ``earlier``: a ledger built before under the same policy, in memory (a long-running process
    keeps one): replayed on from there, never changed, and the state on disk left to commands.
    ``apart``: a long replay from nothing may run in a child process (a command's, with no other
    threads: never a long-running process's). ``progress(done, total)``: commits replayed."""
    head = known_head or replay.resolve(root, tip)
    if head is None:
        return Ledger()
    if earlier is not None and earlier.head == head:
        return earlier
    kept, start = _kept_on_the_way(root, head, earlier, state_dir, policy)
    if kept is not None and kept.head == head:
        return kept
    ledger, revisions = (kept, [f"{kept.head}..{head}"]) if kept is not None else (Ledger(), [head])

    def replayed() -> Ledger:
        replayer = Replayer(root, ledger, allows, initial_stage, state_dir, gates, signature_dir)
        replayer.run(replay.walk(root, revisions), progress)
        ledger.head = head
        if state_dir is not None and earlier is None:
            if start is None or ledger.replayed >= KEPT_FROM:
                if start == ledger_state.LATEST:  # (the state it went on from is kept too, as the base of the next)
                    ledger_state.keep_as_base(state_dir)
                ledger_state.save(state_dir, ledger, policy)
            elif start == ledger_state.BASE:  # (the latest leads elsewhere: dropped, lest each command try it first)
                ledger_state.forget(state_dir, ledger_state.LATEST)
        return ledger

    if apart and start is None and state_dir is not None and earlier is None:
        kept = _replayed_apart(root, head, state_dir, policy, replayed)
        if kept is not None:
            return kept
    return replayed()


#: Commits replayed onto a state kept on disk from which the new state is kept in its place. (A
#: few are replayed again by the next command: at 10,000 clients saving the state costs as much as
#: replaying a few commits, and a read after each write would pay it.)
KEPT_FROM = 8


def _kept_on_the_way(
    root: Path, head: str, earlier: Ledger | None, state_dir: Path | None, policy: str
) -> tuple[Ledger | None, str | None]:
    """A kept ledger at ``head`` or at one of its ancestors, to replay on from, and where it was
    kept (``"earlier"``: in memory; :data:`~ledger_state.LATEST` or :data:`~ledger_state.BASE`:
    on disk); (None, None) if none leads there (a replay from nothing).

    After a reset or a switch back to a branch the latest state no longer leads to HEAD, and the
    state a replay last went on from may: both are tried, in memory first."""
    sources: list[str] = ["earlier"] if earlier is not None else []
    if state_dir is not None:
        sources += [ledger_state.LATEST, ledger_state.BASE]
    for source in sources:
        if source == "earlier":
            at = earlier.head if earlier is not None else None
        else:
            assert state_dir is not None
            at = ledger_state.head_of(state_dir, source, policy)  # (loaded whole only if it leads here)
        if not at or (at != head and not _leads_to(root, at, head)):
            continue
        if source == "earlier":
            assert earlier is not None
            return (earlier if at == head else ledger_state.copied(earlier)), source
        assert state_dir is not None
        found = ledger_state.load(state_dir, policy, source)
        if found is not None and found.head == at:
            return found, source
    return None, None


def _leads_to(root: Path, commit: str, head: str) -> bool:
    """Is ``commit`` an ancestor of ``head``? Known without asking git where caseflow's own
    writes (as :mod:`~caseflow.core.write_notes` noted them) lead from one to the other."""
    return write_notes.paths_between(root, commit, head) is not None or replay.is_ancestor(root, commit, head)


#: Commits from which a replay from nothing runs in a process of its own (``build(apart=True)``).
APART_FROM = 400


def _replayed_apart(
    root: Path, head: str, state_dir: Path, policy: str, replayed: Callable[[], Ledger]
) -> Ledger | None:
    """The ledger a long replay from nothing kept, made in a child process: what reading a whole
    history holds at its peak (a third of the memory of a cold index at 10,000 clients) goes back
    when the child ends, rather than staying with this process for the rest of its work.

    None: a short history, no ``fork`` here, other threads (a web server's: a child forked from
    a threaded process may wait forever on a lock one of them held), or the child did not keep the
    state (the caller replays here, as it would have)."""
    if not hasattr(os, "fork") or threading.active_count() > 1 or replay.count(root, head) < APART_FROM:
        return None
    child = os.fork()
    if child == 0:  # (the child: replay, keep the state, and go without running the parent's exit code)
        code = 1
        try:
            replayed()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    kept = ledger_state.load(state_dir, policy) if os.waitstatus_to_exitcode(status) == 0 else None
    return kept if kept is not None and kept.head == head else None


def check_range(
    root: Path,
    base: Ledger,
    revisions: list[str],
    allows: TransitionCheck,
    initial_stage: str,
    state_dir: Path | None = None,
    gates: Gates | None = None,
    signature_dir: Path | None = None,
) -> list[Verdict]:
    """The breaches of the commits in ``revisions`` (a push's new commits), replayed onto ``base``
    (which is then the state after them)."""
    before = set(base.breaches)
    Replayer(root, base, allows, initial_stage, state_dir, gates, signature_dir).run(replay.walk(root, revisions))
    return [v for commit, v in base.breaches.items() if commit not in before]


def keep(state_dir: Path, ledger: Ledger, head: str, policy: str = "") -> None:
    """Keep ``ledger`` as the state at ``head`` (the server, once a push it checked passes)."""
    ledger.head = head
    ledger_state.save(state_dir, ledger, policy)


def state_dir_of(root: Path) -> Path:
    return root / layout.LOCAL_DIR


def allowed_configs(root: Path, ledger: Ledger) -> list[RepoConfig]:
    """Every version of caseflow.yaml that was in force at some commit (changes made without the
    right never were): the staff lists whose people and keys the history recognises."""
    raw = replay.blobs(root, set(ledger.config_at.values()))
    return [config for data in raw.values() if (config := _config_of(data)) is not None]


def config_in_force(root: Path, ledger: Ledger) -> RepoConfig | None:
    """The caseflow.yaml in force at the ledger's head (the last one made with the right)."""
    blob = ledger.config_at.get(ledger.head or "", "")
    return _config_of(replay.blobs(root, [blob]).get(blob, b"")) if blob else None


def _config_of(raw: bytes) -> RepoConfig | None:
    from caseflow.core.documents import load_plain

    try:
        data, _ = load_plain(CONFIG_FILE, raw)
        return RepoConfig.from_plain(data) if isinstance(data, dict) else None
    except (CaseflowError, KeyError, TypeError, ValueError, AttributeError):
        return None  # a version of the wrong shape recognises nobody
