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
"""

from __future__ import annotations

import functools
import gc
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, MutableSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caseflow.core import layout, ledger_state, write_notes
from caseflow.core.config import CONFIG_FILE, RepoConfig
from caseflow.core.git import replay
from caseflow.core.git.replay import ZERO, CommitFacts
from caseflow.core.ledger_state import Ledger, Verdict, decision_of
from caseflow.errors import CaseflowError

#: A client's decisions (keyed by the client id), or a household's (keyed by its folder,
#: ``households/H-4T8M2Q``, which no client id can be).
APPROVALS = re.compile(r"^(?:clients/([^/]+)|(households/[^/]+))/approvals\.yaml$")
CLIENT_RECORD = re.compile(r"^clients/([^/]+)/client\.yaml$")
#: Documents at the top of a client's folder (the plan, the discharge: what supervisors approve),
#: whose last writer is kept so that nobody's approval of their own change counts.
APPROVABLE = re.compile(r"^(?:clients|households)/[^/]+/(?!client\.yaml$|approvals\.yaml$)[^/]+\.(?:yaml|md)$")

#: Does the workflow allow moving from the first stage to the second?
TransitionCheck = Callable[[str, str], bool]


@dataclass(frozen=True)
class Gate:
    """A document (its path in a client's folder) that must be approved, in the version committed,
    for a move; with ``when``, only if another document of the client, as committed, says so:
    ``(its path, a field, the values that make the gate apply)`` (a discharge's reason)."""

    path: str
    when: tuple[str, str, frozenset[str]] | None = None

    def describe(self) -> str:
        if self.when is None:
            return self.path
        where, field, values = self.when
        return f"{self.path}?{where}.{field}={'|'.join(sorted(values))}"


#: The documents a move needs approved.
Gates = Callable[[str, str], list[Gate]]


def name_digest(name: str) -> str:
    import hashlib

    words = re.findall(r"\w+", name.lower())
    return hashlib.sha256(" ".join(words).encode()).hexdigest()[:20]


def history_digest(history: list[dict[str, Any]] | list[Any]) -> str:
    """A short digest of a stage history as parsed (entries compared whole: dates, people, reasons)."""
    import hashlib

    return hashlib.sha256(json.dumps(history, sort_keys=True, default=str).encode()).hexdigest()[:20]


class NameFinder:
    """Finds a client's full name (two to four words) in a text, knowing only digests of the names
    and of their first words: a run of words is hashed only where its first word could start a name."""

    def __init__(self, full: MutableSet[str] | None = None, first: MutableSet[str] | None = None) -> None:
        self.full: MutableSet[str] = full if full is not None else set()
        self.first: MutableSet[str] = first if first is not None else set()
        self._words: dict[str, str] = {}  # word -> its digest (the same words recur in every commit)

    @classmethod
    def of(cls, ledger: Ledger) -> NameFinder:
        """A finder of every name the ledger knows, adding to it the names it is told of."""
        return cls(ledger.full_names, ledger.first_words)

    def add(self, full: str, first: str) -> None:
        self.full.add(full)
        self.first.add(first)

    def in_text(self, text: str) -> bool:
        words = re.findall(r"\w+", text.lower())
        for start, word in enumerate(words):
            digest = self._words.get(word)
            if digest is None:
                digest = self._words[word] = name_digest(word)
            if digest in self.first and any(
                name_digest(" ".join(words[start : start + n])) in self.full
                for n in (2, 3, 4)
                if start + n <= len(words)
            ):
                return True
        return False


def _values(trailer: str) -> list[str]:
    """A trailer's values (a commit covering several clients repeats it; git joins them with ",")."""
    return [value.strip() for value in trailer.split(",")]


def _folder(key: str) -> str:
    """The folder of a decision's key: a client id, or a household's folder itself."""
    return key if key.startswith("households/") else f"clients/{key}"


#: Commits replayed between two clearings of the documents read for them.
REPLAY_WINDOW = 200
#: Documents a worker parses at a time, when a window's are parsed on every core.
_PARSE_CHUNK = 500


class Replayer:
    """Replays commits onto a :class:`Ledger` (see the module's rules)."""

    def __init__(
        self,
        root: Path,
        ledger: Ledger,
        allows: TransitionCheck,
        initial_stage: str,
        state_dir: Path | None,
        gates: Gates | None = None,
        signature_dir: Path | None = None,
    ) -> None:
        self.root = root
        self.ledger = ledger
        self.allows = allows
        self.gates = gates or (lambda _source, _target: [])
        self.initial_stage = initial_stage
        self.state_dir = state_dir
        #: Where git's signature verdicts are kept (shared by every ref a server replays).
        self.signature_dir = signature_dir or state_dir
        #: The settings in force after the last commit replayed (what an unrelated history is judged by).
        self._latest_config = ledger.config_at.get(ledger.head or "", "")
        self._configs: dict[str, RepoConfig | None] = {}
        self._blobs: dict[str, bytes] = {}
        #: baseline commit -> every commit it reaches (signing turned off and on again records another)
        self._baselines: dict[str, set[str]] = {}
        self._config_blob_ids: set[str] = set()
        self._parsed: dict[tuple[str, str], Any] = {}  # (blob, name) -> plain data, never changed
        self._finder = NameFinder.of(ledger)

    @functools.cached_property
    def _approved(self) -> set[tuple[str, str, str]]:
        """(client, document, blob) of every decision that approves: what a gated move looks up (a
        scan of every decision per move took a third of a 10,000-client history's replay). Made at
        the first gated move: a replay of a few commits usually has none."""
        return {d[:3] for d in self.ledger.approvals if d[3] == "approved"}

    # -- replay -----------------------------------------------------------------------------------

    def run(self, commits: list[CommitFacts], progress: Callable[[int, int], None] | None = None) -> None:
        """Replay ``commits`` (oldest first); ``progress(done, total)`` after each."""
        for facts in commits:  # (the settings in play say which commits need a signature)
            for change in facts.changes:
                if change.path == CONFIG_FILE:
                    self._config_blob_ids.update((change.old, change.new))
        # (the settings' versions, and those in force before the first, read with the first
        # window's documents: one git process for a replay of a few commits, as after each write)
        before = commits[0].parents[0] if commits and commits[0].parents else None
        in_force = self.ledger.config_at.get(before, "") if before else ""
        self._prefetch(commits[:REPLAY_WINDOW], also=self._config_blob_ids | ({in_force} if in_force else set()))
        signatures = self._signatures(commits)
        for start in range(0, len(commits), REPLAY_WINDOW):
            window = commits[start : start + REPLAY_WINDOW]
            if start:
                self._prefetch(window)
            for facts in window:
                self._replay(facts, signatures.get(facts.id))
                self.ledger.replayed += 1
                if progress is not None:
                    progress(self.ledger.replayed, len(commits))
            self._forget_documents()

    def _forget_documents(self) -> None:
        """Drop the client records and approvals read so far (the settings' versions stay): a
        history's worth of them, all at once, held hundreds of megabytes at 10,000 clients."""
        settings = self._config_blob_ids
        self._blobs = {blob: raw for blob, raw in self._blobs.items() if blob in settings}
        self._parsed = {key: data for key, data in self._parsed.items() if key[0] in settings}

    def _prefetch(self, commits: list[CommitFacts], also: Iterable[str] = ()) -> None:
        """Every blob the rules read (and ``also``), in one ``cat-file --batch``."""
        wanted: set[str] = set(also)
        for facts in commits:
            for change in facts.changes:
                if change.path == CONFIG_FILE:
                    self._config_blob_ids.update((change.old, change.new))
                if change.path == CONFIG_FILE or APPROVALS.match(change.path) or CLIENT_RECORD.match(change.path):
                    wanted.update((change.old, change.new))
        wanted -= self._blobs.keys()
        self._blobs.update(replay.blobs(self.root, wanted))
        self._parse_ahead(commits)

    def _parse_ahead(self, commits: list[CommitFacts]) -> None:
        """Parse the client records and approvals these commits wrote on every core, before the
        rules ask for them one by one (a whole history at 10,000 clients: 52,000 versions, two
        thirds of its replay on one core). A few are parsed as they are asked for."""
        from caseflow.core.parallel import MIN_PARALLEL_ITEMS, chunked, map_chunks

        todo: set[tuple[str, str]] = set()
        for facts in commits:
            for change in facts.changes:
                name = "client.yaml" if CLIENT_RECORD.match(change.path) else None
                if name is None and APPROVALS.match(change.path):
                    name = "approvals.yaml"
                if name is not None:
                    todo.update((blob, name) for blob in (change.old, change.new) if blob and blob != ZERO)
        todo -= self._parsed.keys()
        if len(todo) < MIN_PARALLEL_ITEMS:
            return
        # (the workers are forked: they read the blobs this process holds, and send back plain data;
        # the collector's bookkeeping is frozen first, or a collection in a worker would write to,
        # and so copy, every page of the objects it inherited)
        gc.freeze()
        try:
            for parsed in map_chunks(
                lambda chunk: [(key, self._parse(*key)) for key in chunk],
                chunked(sorted(todo), _PARSE_CHUNK),
                items=len(todo),
            ):
                self._parsed.update(parsed)
        finally:
            gc.unfreeze()

    def _signatures(self, commits: list[CommitFacts]) -> dict[str, replay.Signature]:
        """Signatures of the commits that may need one: all those after the baseline, once any
        settings in play require signing (which commits do is decided in order, on replay)."""
        configs = [self._config(b) for b in self._config_blob_ids]
        if commits:
            configs.append(self._config_before(commits[0]))
        required = [c for c in configs if c is not None and c.signing_required]
        if not required:
            return {}
        # Only commits that every settings version requiring signing accepts unsigned can skip the check.
        baselines = [self._baseline_commits(c.signing_baseline) for c in required]
        baseline = set.intersection(*baselines) if baselines else set()
        needing = [c.id for c in commits if c.id not in baseline and c.parents]
        if not needing:
            return {}
        from caseflow.core import signature_cache, signing

        self.ledger.signed = True
        if any(c not in signature_cache.load(self.signature_dir) for c in needing):
            signing.require_ssh_keygen()
        return signature_cache.verdicts(self.root, needing, self._allowed_signers, self.signature_dir)

    def _signing_applies(self, facts: CommitFacts) -> bool:
        config = self._config_before(facts)
        if config is None or not config.signing_required:
            return False
        return facts.id not in self._baseline_commits(config.signing_baseline)

    def _baseline_commits(self, baseline: str | None) -> set[str]:
        if not baseline:
            return set()
        if baseline not in self._baselines:
            found = replay.resolve(self.root, baseline)
            self._baselines[baseline] = replay.reachable(self.root, baseline) if found else set()
        return self._baselines[baseline]

    def _allowed_signers(self) -> Path:
        """Every key any staff list in history registered, for git to check signatures against;
        whether the key was its author's at the time is judged here, on the history itself."""
        lines: set[str] = set()
        versions = set(self.ledger.config_at.values()) | self._config_blob_ids
        # (every version not read yet, in one git process)
        self._blobs.update(replay.blobs(self.root, versions - self._blobs.keys() - {"", ZERO}))
        for blob in versions:
            config = self._config(blob)
            for member in config.staff if config else ():
                lines.update(f'{member.email} namespaces="git" {key}' for key in member.keys)
        from caseflow.core import signature_cache

        return signature_cache.allowed_signers_file(lines, self.state_dir, Path(layout.ALLOWED_SIGNERS).name)

    def _replay(self, facts: CommitFacts, signature: replay.Signature | None) -> None:
        ledger = self.ledger
        verdict = Verdict(facts.id, facts.subject, facts.author_email)
        before = self._config_before(facts)
        if not facts.parents:
            if not ledger.config_at:  # the first commit creates the repository and its settings
                ledger.config_at[facts.id] = self._latest_config = self._changed_blob(facts, CONFIG_FILE) or ""
                return
            # Another first commit: an unrelated history, judged by the settings in force here.
            verdict.problems.append("it starts a second, unrelated history (a commit without a parent)")
            ledger.config_at[facts.id] = self._latest_config
            ledger.breaches[facts.id] = verdict
            return
        author = before.staff_by_email(facts.author_email) if before else None
        if author is not None and not author.active:
            verdict.problems.append(f"its author {author.id} is no longer active on the staff list")
            author = None
        elif before is not None and before.staff and author is None:
            verdict.problems.append(f"its author {facts.author_email} is not on the staff list")
        if self._signing_applies(facts):
            self._check_signature(verdict, signature or replay.Signature("N", ""), author)
        after = self._rules(facts, before, author, verdict)
        ledger.config_at[facts.id] = self._latest_config = after
        for change in facts.changes:
            if APPROVABLE.match(change.path):
                if change.new == ZERO:
                    ledger.writers.pop(change.path, None)
                else:
                    ledger.writers[change.path] = (change.new, facts.author_email)
        self._approvals(facts, before, author, verdict)
        self._stages(facts, author, before, verdict)
        self._names(facts, verdict)
        if verdict.problems:
            ledger.breaches[facts.id] = verdict

    def _check_signature(self, verdict: Verdict, signature: replay.Signature, author: Any) -> None:
        from caseflow.core import signing

        if signature.status == "N":
            verdict.problems.append("it is not signed, and this repository requires signed commits")
            return
        keys = {signing.fingerprint(k): k for k in (author.keys if author else ())}
        if signature.status not in ("G", "U") or signature.fingerprint not in keys:
            whose = "a key not registered to its author at the time"
            if signature.status == "B":
                whose = "a bad signature"
            verdict.problems.append(f"it is signed with {whose} ({signature.fingerprint or 'no key'})")

    def _rules(self, facts: CommitFacts, before: RepoConfig | None, author: Any, verdict: Verdict) -> str:
        """The caseflow.yaml in force after this commit (its blob id)."""
        previous = self.ledger.config_at.get(facts.parents[0], "")
        changed = [c for c in facts.changes if c.path == CONFIG_FILE or c.path.startswith("forms/")]
        if not changed:
            return previous
        new_config = next((c.new for c in changed if c.path == CONFIG_FILE), previous)
        if facts.is_merge and self._merged_settings(facts, new_config):
            return new_config  # the other side's settings, allowed there
        if new_config not in (ZERO, previous) and self._config(new_config) is None:
            verdict.problems.append("it leaves caseflow.yaml unreadable; it does not count")
            return previous  # fail closed: the last readable settings stay in force
        admins = before.admins if before else ()
        if admins and (author is None or not before or not before.is_admin(author)):
            names = ", ".join(m.id for m in admins)
            what = "caseflow.yaml (staff, roles, keys or rules)" if new_config != previous else "forms/"
            verdict.problems.append(f"it changes {what} without the admin right (admins: {names}); it does not count")
            return previous
        return new_config if new_config != ZERO else previous

    def _merged_settings(self, facts: CommitFacts, new_config: str) -> bool:
        """A merge takes the other side's settings: allowed when they are in force there and this
        side has not changed its own since the two sides parted (else both changed: an admin's call)."""
        first, others = facts.parents[0], facts.parents[1:]
        config_at = self.ledger.config_at
        for other in others:
            if config_at.get(other) != new_config:
                continue
            base = replay.merge_base(self.root, first, other)
            if base is not None and config_at.get(base) == config_at.get(first):
                return True
        return False

    def _from_a_parent(self, facts: CommitFacts, change: replay.Change) -> bool:
        """A merge's version of a file is one side's as it was (not edited in the merge itself)."""
        return any(replay.blob_id_at(self.root, parent, change.path) == change.new for parent in facts.parents[1:])

    def _approvals(self, facts: CommitFacts, before: RepoConfig | None, author: Any, verdict: Verdict) -> None:
        for change in facts.changes:
            match = APPROVALS.match(change.path)
            if not match:
                continue
            client = match.group(1) or match.group(2)
            self._append_only(facts, change, client, verdict)
            added = self._entries(change.new) - self._entries(change.old)
            for entry in sorted(added):
                decision = (client, *entry)
                if decision in self.ledger.approvals:
                    continue  # already made by its own commit (a merge bringing it in)
                by = entry[3]
                reason = None
                if facts.is_merge:
                    reason = "a merge adds it, but no commit of either side made it"
                elif author is None or author.id != by:
                    reason = f"it names {by} but the commit is by {facts.author_email}"
                elif before is not None and author.role not in before.approver_roles:
                    reason = f"{by} is a {author.role}, who may not approve"
                elif self._own_change(f"{_folder(client)}/{entry[0]}", entry[1], facts.author_email, before):
                    reason = f"{by} made the last change to {entry[0]}; another approver decides on it"
                if reason is None:
                    self.ledger.approvals.add(decision)
                    if decision[3] == "approved" and "_approved" in self.__dict__:  # (once made)
                        self._approved.add(decision[:3])
                else:
                    self.ledger.refused["\x1f".join(decision)] = reason
                    verdict.problems.append(
                        f"{change.path}: the {entry[2]} decision on {entry[0]} does not count: {reason}"
                    )

    def _append_only(self, facts: CommitFacts, change: replay.Change, client: str, verdict: Verdict) -> None:
        """Decisions are only ever added: editing, reordering or removing one does not count, and
        none of the client's decisions count until the file is put back (undoing it puts it right)."""
        ledger = self.ledger
        before, after = self._entry_list(change.old), self._entry_list(change.new)
        digest = history_digest(after)
        merged = facts.is_merge and self._from_a_parent(facts, change)
        if (
            change.old == ZERO
            or after[: len(before)] == before
            or merged
            or digest == ledger.good_approvals.get(client)
        ):
            ledger.good_approvals[client] = digest
            ledger.approvals_edits.pop(client, None)
            return
        verdict.problems.append(
            f"{change.path}: it edits or removes decisions made before; they are only ever added, "
            "so none of this client's decisions count until it is put back"
        )
        ledger.approvals_edits[client] = facts.id

    def _entry_list(self, blob: str) -> list[dict[str, Any]]:
        data = self._plain(blob, "approvals.yaml")
        listed = data.get("approvals") if isinstance(data, dict) else None
        return [dict(e) for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []

    def _own_change(self, path: str, blob: str, email: str, before: RepoConfig | None) -> bool:
        """Separation of duties: the version decided on was written by the one deciding."""
        writer = self.ledger.writers.get(path)
        allowed = before is not None and before.self_approval
        return not allowed and writer is not None and writer[0] == blob and writer[1].lower() == email.lower()

    def _entries(self, blob: str) -> set[tuple[str, str, str, str, str]]:
        data = self._plain(blob, "approvals.yaml")
        listed = data.get("approvals") if isinstance(data, dict) else None
        found = set()
        for entry in listed if isinstance(listed, list) else []:
            if isinstance(entry, dict):
                found.add(decision_of("", entry)[1:])
        return found

    def _stages(self, facts: CommitFacts, author: Any, before: RepoConfig | None, verdict: Verdict) -> None:
        for change in facts.changes:
            match = CLIENT_RECORD.match(change.path)
            if not match or change.new == ZERO:
                continue
            client = match.group(1)
            old = self._stage_in(change.old)
            new = self._stage_in(change.new)
            self._history(facts, change, client, (old, new), author, verdict)
            if old == new and change.old != ZERO:
                continue
            allowed, reason = True, ""
            if facts.is_merge:  # each side's own commits were judged: a merge may take one side's record
                if not self._from_a_parent(facts, change):
                    allowed, reason = False, f"the merge itself changes the stage {old} -> {new}"
            elif change.old == ZERO:
                admin = before is not None and author is not None and before.is_admin(author)
                if new != self.initial_stage and not admin and before is not None and before.admins:
                    allowed, reason = False, f"a new client starts in '{self.initial_stage}', not '{new}'"
            elif "advance" not in _values(facts.action) or f"{old} -> {new}" not in _values(facts.stage):
                allowed, reason = False, f"it changes the stage {old} -> {new} without `caseflow advance`"
            elif not self.allows(str(old), str(new)):
                allowed, reason = False, f"the workflow does not allow {old} -> {new}"
            elif unapproved := self._unapproved(client, str(old), str(new)):
                allowed, reason = False, f"it moves {old} -> {new} while {unapproved} is not approved as committed"
            if not allowed and new is not None and new == self.ledger.good_stages.get(client):
                allowed = True  # a hand edit undone: back where the history says the client is
            if not allowed:
                verdict.problems.append(f"{change.path}: {reason}; it does not count")
            else:
                self.ledger.good_stages[client] = str(new)
            self.ledger.stages[client] = (facts.id, str(new), allowed)

    def _unapproved(self, client: str, source: str, target: str) -> str | None:
        """The first document the move needs approved whose committed version no decision backs."""
        for gate in self.gates(source, target):
            inner = gate.path
            if gate.when is not None and not self._applies(client, gate.when):
                continue
            written = self.ledger.writers.get(f"clients/{client}/{inner}")
            if written is None:
                return inner
            if (client, inner, written[0]) not in self._approved:
                return inner
        return None

    def _applies(self, client: str, when: tuple[str, str, frozenset[str]]) -> bool:
        """Does the client's document ``when`` names, as committed, give one of its values?"""
        where, field, values = when
        written = self.ledger.writers.get(f"clients/{client}/{where}")
        data = self._plain(written[0], where) if written is not None else {}
        return isinstance(data, dict) and str(data.get(field)) in values

    def _history(
        self,
        facts: CommitFacts,
        change: replay.Change,
        client: str,
        stages: tuple[str | None, str | None],
        author: Any,
        verdict: Verdict,
    ) -> None:
        """The stage history may only grow by the one entry of the stage change the commit makes,
        naming its author; any other edit of it does not count (undoing the edit puts it right)."""
        ledger = self.ledger
        after = self._history_in(change.new)
        if change.old == ZERO or (facts.is_merge and self._from_a_parent(facts, change)):  # new, or one side's
            ledger.good_histories[client] = history_digest(after)
            ledger.history_edits.pop(client, None)
            return
        before = self._history_in(change.old)
        if before == after:
            return
        old, new = stages
        added = after[len(before) :] if after[: len(before)] == before else None
        why = None
        if added is None:
            why = "it rewrites the stage history"
        elif "advance" not in _values(facts.action):
            why = "it adds to the stage history outside `caseflow advance`"
        elif old == new:
            why = "it adds to the stage history without changing the stage"
        elif len(added) != 1 or (added[0].get("from"), added[0].get("to")) != (old, new):
            why = f"its stage history does not record the one change {old} -> {new}"
        elif author is not None and added[0].get("by") != author.id:
            why = f"its stage history says the change was by {added[0].get('by')}, but the commit is {author.id}'s"
        digest = history_digest(after)
        if why is not None and digest != ledger.good_histories.get(client):
            verdict.problems.append(f"{change.path}: {why}; only `caseflow advance` writes it, so it does not count")
            ledger.history_edits[client] = facts.id
        else:
            ledger.good_histories[client] = digest
            ledger.history_edits.pop(client, None)

    def _history_in(self, blob: str) -> list[dict[str, Any]]:
        data = self._plain(blob, "client.yaml")
        history = data.get("stage_history") if isinstance(data, dict) else None
        return [dict(h) for h in history if isinstance(h, dict)] if isinstance(history, list) else []

    def _names(self, facts: CommitFacts, verdict: Verdict) -> None:
        """No client's name in the commit's message or in a path it touches."""
        for change in facts.changes:
            match = CLIENT_RECORD.match(change.path)
            if match and change.new != ZERO:
                data = self._plain(change.new, "client.yaml")
                name = data.get("name") if isinstance(data, dict) else None
                words = re.findall(r"\w+", name) if isinstance(name, str) else []
                if len(words) >= 2:
                    self._finder.add(name_digest(str(name)), name_digest(words[0]))
        if not self._finder.full:
            return
        if self._finder.in_text(facts.message):
            verdict.problems.append("its message names a client (only ids belong in commit messages)")
            verdict.subject = "(subject withheld: it names a client)"  # never kept or printed
        if any(self._finder.in_text(re.sub(r"[-_./]", " ", c.path)) for c in facts.changes):
            verdict.problems.append("a path it touches names a client (client folders and files are named by id)")

    def _stage_in(self, blob: str) -> str | None:
        data = self._plain(blob, "client.yaml")
        stage = data.get("stage") if isinstance(data, dict) else None
        return stage if isinstance(stage, str) else None

    # -- reading ----------------------------------------------------------------------------------

    def _config_before(self, facts: CommitFacts) -> RepoConfig | None:
        if not facts.parents:
            return None
        return self._config(self.ledger.config_at.get(facts.parents[0], ""))

    def _config(self, blob: str) -> RepoConfig | None:
        if not blob or blob == ZERO:
            return None
        if blob not in self._configs:
            data = self._plain(blob, CONFIG_FILE)
            try:
                self._configs[blob] = RepoConfig.from_plain(data) if isinstance(data, dict) else None
            except (KeyError, TypeError, ValueError, AttributeError):  # a setting of the wrong shape
                self._configs[blob] = None
        return self._configs[blob]

    def _plain(self, blob: str, name: str) -> Any:
        """The blob's data as parsed (kept: each version is read by several rules; never change it)."""
        if not blob or blob == ZERO:
            return {}
        if (blob, name) in self._parsed:
            return self._parsed[blob, name]
        self._parsed[blob, name] = data = self._parse(blob, name)
        return data

    def _parse(self, blob: str, name: str) -> Any:
        raw = self._blobs.get(blob)
        if raw is None:
            raw = replay.blobs(self.root, [blob]).get(blob, b"")
            self._blobs[blob] = raw
        from caseflow.core.documents import load_plain

        try:
            data, _ = load_plain(name, raw)
        except CaseflowError:
            return {}
        return data

    def _changed_blob(self, facts: CommitFacts, path: str) -> str | None:
        return next((c.new for c in facts.changes if c.path == path), None)


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
