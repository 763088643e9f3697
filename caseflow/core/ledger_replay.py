"""The replay of commits, parents first, onto a ledger: each commit judged by the rules of
:mod:`caseflow.core.ledger`'s docstring against the state its parents left (who could approve,
which transitions the workflow allows, which keys were registered), and its breaches kept."""

from __future__ import annotations

import functools
import gc
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from caseflow.core import layout
from caseflow.core.config import CONFIG_FILE, RepoConfig
from caseflow.core.git import replay
from caseflow.core.git.replay import ZERO, CommitFacts
from caseflow.core.ledger_rules import (
    APPROVABLE,
    APPROVALS,
    CLIENT_RECORD,
    Gates,
    NameFinder,
    TransitionCheck,
    history_digest,
    name_digest,
)
from caseflow.core.ledger_state import Ledger, Verdict, decision_of
from caseflow.errors import CaseflowError


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
