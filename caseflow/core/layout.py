"""The local ``.caseflow/`` folder: every path caseflow keeps there, named once.

Local only and never committed (``caseflow init`` writes ``.caseflow/`` into ``.gitignore``):
each clone rebuilds what it needs, and deleting the folder loses nothing but time (and the
access log's entries not yet committed to ``refs/caseflow/access``: this clone's record of who read
what).

Paths are relative to the repository root, as ``/``-joined strings (how git names paths, and
what a :class:`~pathlib.Path` takes with ``root / ...``). Standard library only: the CLI reads
:data:`CONFIG_CHECKED` before anything else is imported.
"""

from __future__ import annotations

from pathlib import Path

#: The folder itself.
LOCAL_DIR = ".caseflow"

#: ``flock``-ed by the one writer at a time (:meth:`caseflow.core.store.Store.lock`).
LOCK = f"{LOCAL_DIR}/lock"
#: The case index, a cache keyed by git blob id (SQLite adds ``-wal`` and ``-shm`` beside it).
INDEX = f"{LOCAL_DIR}/index.sqlite"
#: What git's index stages for every client document, kept by the index's checksum (a cache).
STAGED_LISTING = f"{LOCAL_DIR}/staged-listing.bin"
#: What caseflow's own last writes left in git's index (:mod:`caseflow.core.write_notes`; a cache).
WRITE_NOTES = f"{LOCAL_DIR}/write-notes.bin"
#: The entries of the clients' folder as last read (a cache, by the folder's time of change).
CLIENT_FOLDERS = f"{LOCAL_DIR}/client-folders.bin"
#: Who read which identified data, one JSON object a line (``caseflow audit``): this clone's
#: chain, committed to ``refs/caseflow/access`` at the next write or sync.
ACCESS_LOG = f"{LOCAL_DIR}/access.log"
#: This clone's own name for its chain in ``refs/caseflow/access`` (``<id>.log`` there).
ACCESS_ID = f"{LOCAL_DIR}/access-id"
#: How many bytes of the access log are committed already (a write with nothing new starts no git).
ACCESS_FLUSHED = f"{LOCAL_DIR}/access-flushed"
#: The digest of the ``caseflow.yaml`` that last passed its full check, with its ``plugins:``
#: settings as JSON (start-up reads them before any YAML library is loaded).
CONFIG_CHECKED = f"{LOCAL_DIR}/config-checked.json"
#: Digests of the form files (``forms/``) that passed their checks (:mod:`caseflow.core.form_files`).
FORMS_CHECKED = f"{LOCAL_DIR}/forms-checked.json"
#: Loaded provider directories, by a hash of their files' bytes.
DIRECTORY_CACHE = f"{LOCAL_DIR}/cache/directories"
#: Private files a person types a new document into (``caseflow new --edit``), readable by them only.
DRAFTS = f"{LOCAL_DIR}/drafts"
#: The resident index's socket (``caseflow daemon``), its log, and the cookies it writes to know
#: its watcher has seen every earlier change (``resident-cookie-<pid>-<n>``).
DAEMON_SOCKET = f"{LOCAL_DIR}/daemon.sock"
DAEMON_LOG = f"{LOCAL_DIR}/daemon.log"
RESIDENT_COOKIE = f"{LOCAL_DIR}/resident-cookie-"
#: Merge conflicts left to settle (``caseflow resolve``), one JSON file per document.
CONFLICTS = f"{LOCAL_DIR}/conflicts"
#: Private signing keys kept in the clone, one file per staff id (the demo's fictional staff).
KEYS = f"{LOCAL_DIR}/keys"
#: Each commit's verdict under the rules (``caseflow verify``), by commit id, and the
#: allowed-signers files generated from the staff list's history (each named so, then a dash
#: and a digest of its contents).
VERDICTS = f"{LOCAL_DIR}/verified.bin"
ALLOWED_SIGNERS = f"{LOCAL_DIR}/allowed_signers"
#: Marks a repository built by ``caseflow demo``.
DEMO_MARKER = f"{LOCAL_DIR}/demo"
#: Where ``caseflow demo`` writes its example report.
DEMO_REPORT = f"{LOCAL_DIR}/reports/funder-summary.html"
#: The write in progress: its intent, steps and old files, so that the next command can finish or
#: undo it if it was interrupted (:mod:`caseflow.core.journal`).
JOURNAL = f"{LOCAL_DIR}/journal"
#: The sync in progress: the step it reached and the merge it is making, so that the next command
#: can put right a sync that was interrupted (:mod:`caseflow.core.sync_journal`).
SYNC_JOURNAL = f"{LOCAL_DIR}/sync.json"
#: Scratch git indexes of commits made without touching the working tree (``caseflow watch``):
#: temporary folders directly under the local folder, on the repository's own file system.
SCRATCH = LOCAL_DIR


def local_dir(root: Path) -> Path:
    """The ``.caseflow/`` folder of the repository at ``root``."""
    return root / LOCAL_DIR


def is_local(path: str) -> bool:
    """Is the repository path ``path`` inside ``.caseflow/`` (never a case file)?"""
    return path == LOCAL_DIR or path.startswith(LOCAL_DIR + "/")


#: The writers' queue (:mod:`caseflow.core.writelock`): one ticket file per process waiting for or
#: holding the writers' lock (:data:`LOCK`), the ticket counter, and a link to the holder's ticket.
LOCK_QUEUE = f"{LOCAL_DIR}/lock-queue"
