"""Which bytes every client document holds now, asking git rather than reading the files.

``git ls-files -s`` gives the blob id of every tracked file as staged, and ``git status`` the few
paths whose working-tree bytes differ (changed, untracked). Only those few are read and hashed,
and their hashes are remembered in the index by a stat stamp (size, mtime, inode), as git's own
index does. A large caseload thus costs two git calls and a dictionary, not a read of every file.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import time
from collections import defaultdict
from collections.abc import Sequence

from caseflow.core import write_notes
from caseflow.core.case import blob_id
from caseflow.core.casefiles import CLIENTS_DIR, DOCUMENT_SUFFIXES, MERGED_DIR, client_documents, client_ids
from caseflow.core.ids import CLIENT_ID_PATTERN
from caseflow.core.store import Store
from caseflow.core.textpolicy import MAX_DOCUMENT_BYTES
from caseflow.errors import StoreError
from caseflow.index import staged_listing
from caseflow.index.database import CaseIndex
from caseflow.index.snapshot_model import Snapshot, TreeFile
from caseflow.index.staged_listing import Entry, StagedListing

__all__ = ["Snapshot", "TreeFile", "take_snapshot"]  # (the snapshot as data: snapshot_model.py)

_CLIENT_ID = re.compile(CLIENT_ID_PATTERN)
_PREFIX = f"{CLIENTS_DIR}/"
#: A file changed this recently may change again within the clock's granularity: never trust
#: its stat stamp (git's "racy" rule).
_RACY_SECONDS = 2.0


def take_snapshot(
    store: Store, index: CaseIndex, client_ids_only: Sequence[str] = (), *, ahead: bool = False
) -> Snapshot:
    """The documents under ``clients/`` as they are now (the index remembers what it hashed).

    ``client_ids_only``: of those clients' folders alone (what changed since a kept snapshot);
    the remembered hashes of other files are left as they are. ``ahead``: right after caseflow's
    own write, the snapshot may be taken before git's status answers (see ``_ahead_of_status``;
    its ``unconfirmed`` then says whether it agrees)."""
    if client_ids_only:
        return _of_clients(store, index, client_ids_only)
    stamp = store.index_stamp()
    kept = staged_listing.load(store.root, stamp) if stamp else None
    try:
        if kept is not None:
            snapshot = _from_kept(store, index, kept, ahead)
            if snapshot is not None:
                return snapshot
        staged, changed = store.worktree_listing(CLIENTS_DIR)
    except StoreError:  # not a git repository (an unpacked copy): every file is as good as untracked
        staged, changed = {}, {d.path: "??" for c in client_ids(store.root) for d in client_documents(store.root, c)}
    remembered = index.stats() if changed else {}
    snapshot, stamps = _entries(store, staged, changed, remembered)
    if stamps != remembered:
        index.put_stats(stamps)
    if stamp is not None and stamp == store.index_stamp():  # git's index stayed as it was listed
        _keep(store, snapshot, staged, changed, stamp, any(p.endswith("/.gitignore") for p in staged))
    return snapshot


#: More clients than this with working-tree changes: list the whole tree rather than each of them.
_MOST_CHANGED_CLIENTS = 200


def _from_kept(store: Store, index: CaseIndex, kept: StagedListing, ahead: bool = False) -> Snapshot | None:
    """The snapshot from the kept staged entries and the working tree's status. None where that
    cannot be trusted or would not be faster: git's index moved meanwhile (someone staged or
    committed while this ran), or too many clients' folders changed to take them one by one.

    Where git's index has moved on since the listing was kept, the clients whose staged files
    differ from the listing's base commit are taken again too."""
    stamp = store.index_stamp()
    if stamp is not None and stamp != kept.stamp:  # (caseflow's own writes since: they say what changed)
        notes = write_notes.since(store.root, kept.base, stamp)
        after_writes = _after_writes(store, index, kept, stamp, notes, ahead) if notes is not None else None
        if after_writes is not None:
            return after_writes
    changed = store.status_under(CLIENTS_DIR, kept.inner_rules)
    # (Read after the status: git status may have refreshed the file stamps in git's index.)
    stamp = store.index_stamp()
    staged_since: list[str] = []
    if stamp is None:
        return None
    if stamp != kept.stamp:
        if not kept.base:
            return None
        try:
            staged_since = store.staged_since(CLIENTS_DIR, kept.base)
        except StoreError:
            return None  # the base commit is gone (a history rewritten, then pruned): list everything
        if any(p.endswith("/.gitignore") for p in staged_since):
            return None  # an ignore rule staged since: what the kept listing says of the rules is stale
    touched = sorted({c for c in map(_client_of, [*changed, *staged_since]) if c and _is_client_id(c)})
    if len(touched) > _MOST_CHANGED_CLIENTS:
        return None
    part = Snapshot()
    staged: dict[str, tuple[str, str]] = {}
    if touched:
        staged, _ = store.staged_under([f"{_PREFIX}{c}" for c in touched])
        remembered = index.stats()
        part, stamps = _entries(store, staged, changed, remembered)
        if stamps != remembered:
            index.put_stats(stamps)
    if store.index_stamp() != stamp:
        return None
    if not touched:
        snapshot = Snapshot(
            entries=kept.entries, _digests=dict(kept.digests), _listing_key=kept.listing_key, _counts=kept.counts
        )
    else:
        snapshot = _with_taken_again(kept, part, touched)
    if stamp != kept.stamp:  # kept again for the next command, which then asks git for the status alone
        _keep(store, snapshot, staged, changed, stamp, kept.inner_rules, only_as_committed=True)
    return snapshot


#: Writes noted since the kept listing from which it is kept again (before that, each read takes
#: the written clients' folders again from the notes: cheaper than keeping every client's entries).
_NOTES_KEPT_AGAIN_FROM = 8


def _after_writes(
    store: Store,
    index: CaseIndex,
    kept: StagedListing,
    stamp: bytes,
    notes: list[write_notes.WriteNote],
    ahead: bool = False,
) -> Snapshot | None:
    """The snapshot after caseflow's own writes since the kept listing's commit (``notes``). Where
    HEAD is a write's commit and git's index stages it (one ``git status`` says both), the written
    clients' files are that commit's and the others' are the kept listing's: git's index is read
    once, by the status. Git may not refresh its index where it is as a write left it (the write
    left its stat data fresh, and rewriting the 10 MB file of a large caseload is most of what a
    ``git status`` right after a commit costs). None where the notes do not serve."""
    written = _clients_written(notes)
    if written is None:
        return None
    started = ahead and len(notes) < _NOTES_KEPT_AGAIN_FROM and store.status_started_after_a_write()
    if started and index.note(AHEAD_MISSED) != "yes":  # (see AHEAD_MISSED)
        return _ahead_of_status(store, index, kept, notes[-1].commit, written)
    as_written = stamp == notes[-1].stamp
    try:
        status, staged = store.status_and_files_at(
            CLIENTS_DIR, kept.inner_rules, notes[-1].commit, _folders(written), refresh=not as_written
        )
        if status.head != notes[-1].commit:  # (HEAD moved back along the writes: a soft reset)
            notes = notes[: next((i + 1 for i, n in enumerate(notes) if n.commit == status.head), 0)]
            written = _clients_written(notes)
            if not notes or written is None:
                return None
            staged = store.files_at_commit(status.head, _folders(written))
        if status.staged_apart:
            return None  # something staged by hand (or a merge under way): as git's index lists it
        changed = status.changed
        if not changed and index.note(AHEAD_MISSED) == "yes":  # (the working tree is as committed again)
            index.set_note(AHEAD_MISSED, "")
        edited = sorted({c for c in map(_client_of, changed) if c and _is_client_id(c)} - written)
        if len(written) + len(edited) > _MOST_CHANGED_CLIENTS:
            return None
        if edited:  # (their staged files are HEAD's too: git's index stages it, under clients/)
            staged.update(store.files_at_commit(status.head, _folders(edited)))
    except StoreError:
        return None
    remembered = index.stats() if changed else {}
    part, stamps = _entries(store, staged, changed, remembered)
    if stamps != remembered:
        index.put_stats(stamps)
    snapshot = _with_taken_again(kept, part, sorted(written.union(edited)))
    if len(notes) >= _NOTES_KEPT_AGAIN_FROM:
        now = store.index_stamp()  # (git may have refreshed its index: the same files, staged)
        if now is not None:
            _keep(store, snapshot, staged, changed, now, kept.inner_rules, base=status.head)
    return snapshot


#: The index's note that the last read made ahead of git's status was made again (the status said
#: otherwise): while the working tree has changes of its own, each read after a write would be
#: made twice, so it waits for git until a read finds the working tree as committed again.
AHEAD_MISSED = "ahead-missed"


def _ahead_of_status(
    store: Store, index: CaseIndex, kept: StagedListing, commit: str, written: set[str]
) -> Snapshot | None:
    """The snapshot as caseflow's own writes left the working tree: the written clients' files as
    the last write's ``commit`` holds them, the others' as the kept listing has them. Taken while
    the status the ``caseflow`` command started as it began still lists the working tree (at
    50,000 clients, a second or more), so that the read works on a second core meanwhile.

    Its ``unconfirmed`` takes that status once the read is made, and says whether it agrees: HEAD
    is still ``commit``, git's index stages it, and no file under ``clients/`` differs from what
    git's index has. Where it does not (someone edited a file, committed or staged by hand), the
    status is left for the read to be made again from it, as without this."""
    try:
        staged = store.files_at_commit(commit, _folders(written))
    except StoreError:
        return None
    part, _ = _entries(store, staged, {}, {})
    snapshot = _with_taken_again(kept, part, sorted(written))

    def agrees() -> bool:
        try:
            status = store.started_head_status(CLIENTS_DIR, kept.inner_rules)
        except StoreError:
            return False
        if status is None:
            return False  # (git failed: the read made again runs its own status, and says why)
        if status.head == commit and not status.staged_apart and not status.changed:
            return True
        store.leave_head_status(status)
        index.set_note(AHEAD_MISSED, "yes")
        return False

    snapshot.unconfirmed = agrees
    return snapshot


def _clients_written(notes: list[write_notes.WriteNote]) -> set[str] | None:
    """The clients whose folders these writes changed (None: too many, or an ignore rule among
    what they wrote, which makes what the kept listing says of the rules stale)."""
    written = {c for note in notes for path in note.paths if (c := _client_of(path)) and _is_client_id(c)}
    if len(written) > _MOST_CHANGED_CLIENTS or any(p.endswith("/.gitignore") for n in notes for p in n.paths):
        return None
    return written


def _folders(client_ids: set[str] | list[str]) -> list[str]:
    return [f"{_PREFIX}{c}" for c in sorted(client_ids)]


def _with_taken_again(kept: StagedListing, part: Snapshot, touched: list[str]) -> Snapshot:
    """The kept listing with the ``touched`` clients' entries as ``part`` has them (their
    digests made again; the others' entries read from the kept listing only if asked for)."""
    left_out = set(touched)
    if kept.counts is None:
        entries = {c: e for c, e in kept.entries.items() if c not in left_out}
        entries.update(part.entries)  # (a client whose files were all deleted has none: gone)
        part.entries = {c: entries[c] for c in sorted(entries)}  # in git's order, as a whole listing gives
    else:
        overlaid = staged_listing.Overlaid(kept.entries, kept.counts, dict(part.entries), left_out)
        part.entries, part._counts = overlaid, overlaid.counts
    part._digests = {c: d for c, d in kept.digests.items() if c not in left_out}
    part.changed_since, part._kept_entries = (kept.listing_key, touched), kept.entries
    return part


def _keep(
    store: Store,
    snapshot: Snapshot,
    staged: dict[str, tuple[str, str]],
    changed: dict[str, str],
    stamp: bytes,
    inner_rules: bool,
    only_as_committed: bool = False,
    base: str | None = None,
) -> None:
    """Save ``snapshot`` as the staged listing of git's index at ``stamp`` (``staged``: the staged
    entries of at least every client with a working-tree change), if git's index is still there.

    ``only_as_committed``: only where git's index stages what HEAD holds. A listing of something
    staged and not committed serves only while git's index stays so; the one it would replace
    names a commit, from which the next listing can still be told by what changed since.
    ``base``: the commit git's index stages, where that is known (else git is asked)."""
    if base is None:
        base = store.head_if_staged_as_committed(CLIENTS_DIR) or ""
    if only_as_committed and not base:
        return
    if stamp == store.index_stamp():  # (and still was while HEAD was compared with it)
        staged_listing.save(store.root, _as_staged(store, snapshot, staged, changed, stamp, base, inner_rules))


def _as_staged(
    store: Store,
    snapshot: Snapshot,
    staged: dict[str, tuple[str, str]],
    changed: dict[str, str],
    stamp: bytes,
    base: str,
    inner_rules: bool,
) -> StagedListing:
    """What to keep of a listing: every client's entries as staged, without the working tree's
    changes (those are asked for again each time)."""
    touched = {c for c in map(_client_of, changed) if c}
    entries = {c: e for c, e in snapshot.entries.items() if c not in touched}
    if touched:
        clean, _ = _entries(store, {p: v for p, v in staged.items() if _client_of(p) in touched}, {}, {})
        entries.update(clean.entries)
        entries = {c: entries[c] for c in sorted(entries)}
    clean = snapshot if not touched else Snapshot(entries=entries, _digests=snapshot.digests_of_others(sorted(touched)))
    digests = {c: clean.client_digest(c) for c in entries}
    return StagedListing(stamp, entries, inner_rules, digests, clean.listing_key(), base)


_MERGED = MERGED_DIR + "/"


def _client_of(path: str) -> str | None:
    """The client folder a path under ``clients/`` is in (None for anything else)."""
    parts = path.split("/", 2)
    return parts[1] if len(parts) == 3 and parts[0] == CLIENTS_DIR else None


def _entries(
    store: Store,
    staged: dict[str, tuple[str, str]],
    changed: dict[str, str],
    remembered: dict[str, tuple[str, str]],
) -> tuple[Snapshot, dict[str, tuple[str, str]]]:
    """The snapshot of what git listed, and the stat stamps worth remembering of files hashed."""
    stamps: dict[str, tuple[str, str]] = {}
    snapshot = Snapshot()
    found: dict[str, list[Entry]] = defaultdict(list)
    now = time.time()
    root = os.fspath(store.root)
    paths = sorted({*staged, *changed}) if changed else staged  # git lists in path order
    last_client, client_ok = "", False
    for path in paths:
        # Inlined rather than a helper per path: this loop runs once per document of the caseload.
        parts = path.split("/", 2)
        if len(parts) < 3 or parts[0] != CLIENTS_DIR or "/." in path:
            continue
        _, client_id, inner = parts
        if inner.startswith(_MERGED):
            continue  # a merged client's record, kept as it was: not a live document
        if client_id != last_client:  # git lists a client's files together
            last_client, client_ok = client_id, _is_client_id(client_id)
        if not client_ok:
            continue
        mode, staged_blob = staged.get(path, ("", ""))
        if mode == "160000":
            continue  # a submodule is not a document
        state = changed.get(path, "") if changed else ""
        if not path.endswith(DOCUMENT_SUFFIXES):
            # A link to a folder is listed, as reading the folders lists it, so that it is refused.
            if (mode == "120000" or state) and _links_to_folder(f"{root}/{path}"):
                found[client_id].append((inner, "", state))
            continue
        if not state:
            blob = "" if mode == "120000" else staged_blob
        else:
            try:
                st = os.lstat(f"{root}/{path}")
            except (FileNotFoundError, NotADirectoryError):
                continue  # deleted in the working tree
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_DOCUMENT_BYTES:
                blob = ""
            else:
                stamp = f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_ctime_ns}"
                known = remembered.get(path)
                if known is not None and known[0] == stamp:
                    blob = known[1]
                else:
                    hashed = _hash_file(f"{root}/{path}")
                    snapshot.hashed += 1
                    if hashed is None:
                        continue  # gone between the listing and the read
                    blob = hashed
                if blob and now - st.st_mtime > _RACY_SECONDS:
                    stamps[path] = (stamp, blob)
        found[client_id].append((inner, blob, state))
    snapshot.entries = dict(found)
    return snapshot, stamps


def _of_clients(store: Store, index: CaseIndex, wanted: Sequence[str]) -> Snapshot:
    """The snapshot of a few clients' folders (one listing of each)."""
    merged = Snapshot()
    entries: dict[str, list[Entry]] = {}
    remembered = index.stats()
    wanted = sorted(c for c in set(wanted) if _is_client_id(c))
    as_written = _as_a_write_left_them(store, wanted, remembered)
    for client_id in wanted:
        listed = as_written.get(client_id) if as_written is not None else None
        if listed is None:
            listed = store.worktree_listing(f"{CLIENTS_DIR}/{client_id}", whole_tree=False)
        staged, changed = listed
        part, _ = _entries(store, staged, changed, remembered)
        entries.update(part.entries)
        merged.hashed += part.hashed
    merged.entries = entries
    return merged


def _as_a_write_left_them(
    store: Store, wanted: list[str], remembered: dict[str, tuple[str, str]]
) -> dict[str, tuple[dict[str, tuple[str, str]], dict[str, str]]] | None:
    """``{client: (staged, changed)}`` of these clients' folders, as :func:`listing` gives them,
    without asking git's index where a caseflow write left it (its checksum is the one the last
    write noted, and HEAD that write's commit): git's index then stages that commit, so each file is
    staged as the commit holds it (``git ls-tree``), and what differs in the working tree is found
    by comparing the files with it (hashed, or known by their stat stamps). A client whose folder
    holds anything but plain files (links, ignore or attribute rules) is left out (git is asked).

    None where the notes do not say so, or git's rules could make a file read otherwise (an ignore
    or attributes file): git is asked, as for any folder. (``git status`` of one folder reads and
    refreshes git's whole index: at 10,000 clients, 40 ms.)"""
    stamp = store.index_stamp()
    last = write_notes.last(store.root)
    if stamp is None or last is None or last.stamp != stamp or not wanted or store.rules_may_apply():
        return None
    try:
        head, tree = store.head_and_entries(last.commit, [f"{_PREFIX}{c}" for c in wanted])
    except StoreError:
        return None
    if head != last.commit:
        return None
    root = os.fspath(store.root)
    found: dict[str, tuple[dict[str, tuple[str, str]], dict[str, str]]] = {}
    for client_id in wanted:
        prefix = f"{_PREFIX}{client_id}/"
        staged = {path: entry for path, entry in tree.items() if path.startswith(prefix)}
        if any(mode not in ("100644", "100755") or path.endswith("/.gitignore") for path, (mode, _) in staged.items()):
            continue
        on_disk = _plain_files_below(root, f"{_PREFIX}{client_id}")
        if on_disk is None:
            continue
        changed = {path: "??" for path in on_disk if path not in staged}
        changed.update((path, " D") for path in staged if path not in on_disk)
        for path, (mode, blob) in staged.items():
            info = on_disk.get(path)
            if info is None:
                continue
            executable = bool(info.st_mode & stat.S_IXUSR)
            if executable != (mode == "100755") or _blob_now(root, path, info, remembered) != blob:
                changed[path] = " M"
        found[client_id] = (staged, changed)
    return found


def _plain_files_below(root: str, folder: str) -> dict[str, os.stat_result] | None:
    """``{path: stat}`` of every file below a folder, or None if it holds anything else than
    plain files and folders (a link, a fifo) or is not a folder: git is asked then."""
    found: dict[str, os.stat_result] = {}
    if os.path.islink(f"{root}/{folder}"):
        return None
    for directory, dirnames, filenames in os.walk(f"{root}/{folder}"):
        relative = directory[len(root) + 1 :]
        for name in dirnames:
            if os.path.islink(os.path.join(directory, name)):
                return None
        for name in filenames:
            try:
                info = os.lstat(os.path.join(directory, name))
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(info.st_mode):
                return None
            found[f"{relative}/{name}"] = info
    return found


def _blob_now(root: str, path: str, info: os.stat_result, remembered: dict[str, tuple[str, str]]) -> str | None:
    """The blob id of a file's bytes now (from its stat stamp where the index remembers it)."""
    stamp = f"{info.st_size}:{info.st_mtime_ns}:{info.st_ino}:{info.st_ctime_ns}"
    known = remembered.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    return _hash_file(f"{root}/{path}")


def _hash_file(path: str) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError:
        return ""  # a link put there since, or unreadable: reading it says why
    with os.fdopen(fd, "rb") as handle:
        return blob_id(handle.read())


def _links_to_folder(path: str) -> bool:
    return os.path.islink(path) and os.path.isdir(path)


@functools.cache
def _is_client_id(name: str) -> bool:
    """(Cached: a caseload has few client folders and many files.)"""
    return _CLIENT_ID.fullmatch(name) is not None
