"""The case index: ``.caseflow/index.sqlite``, what read commands need, kept by git blob id.

A document's parsed data depends only on its bytes, and the git blob id names exactly those bytes;
so the index keeps parsed documents by blob id, and git itself says which blob each path holds
(:mod:`caseflow.index.snapshot`). A command reparses only what changed since any process last saw it.

Besides parsed documents, the index keeps what was derived from them under a *fingerprint* of
everything else the answer depends on (caseflow's and the plugins' versions, the forms, the
settings): each document's problems, and per-client results (the due list, pending reviews,
validation) keyed by a digest of the client's documents. Another fingerprint drops those.

The file is local, never committed, readable by its owner only (it holds the same client data as
the working tree). Deleting it loses nothing. A damaged or foreign file is set aside and rebuilt,
with a warning. Several processes may use it at once: SQLite's WAL locking keeps it whole, and a
write that cannot get the lock in time is skipped, as a cache write may be.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import sqlite3
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from caseflow.core import layout
from caseflow.core.case import blob_id
from caseflow.core.documents import is_markdown, load_plain
from caseflow.errors import Problem

INDEX_FILE = layout.INDEX
#: Marks the file as caseflow's index (``PRAGMA application_id``), so a foreign database is not read.
APPLICATION_ID = 0x63666978  # "cfix"
#: The table layout; another one starts the index afresh.
FORMAT_VERSION = 3
#: Bump when what load_plain returns for the same bytes changes (the parsing policy).
POLICY_VERSION = "plain-3"
#: The note naming the last listing whose every document was parsed (or tried: a bad one is not kept).
PARSED_NOTE = "parsed-listing"
#: The note naming the last kept staged listing whose every document was parsed: a read after
#: writes since need look only at the written clients' documents.
PARSED_KEPT_NOTE = "parsed-kept-listing"
#: Whole sets of results kept per kind (see ``bundles``).
_BUNDLES_KEPT = 4

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # parsed documents: kind ("md:"/"yaml:") + blob id -> [data, body]; the form for summaries
    "CREATE TABLE IF NOT EXISTS docs (key TEXT PRIMARY KEY, form TEXT, data TEXT NOT NULL)",
    # working-tree files git has no blob for yet (changed, untracked): what their bytes hashed to
    "CREATE TABLE IF NOT EXISTS stats (path TEXT PRIMARY KEY, stamp TEXT NOT NULL, blob TEXT NOT NULL)",
    # under the fingerprint: a document's problems, by path and blob
    "CREATE TABLE IF NOT EXISTS checks (key TEXT PRIMARY KEY, problems TEXT NOT NULL)",
    # under the fingerprint: per-client results, by kind, with the digest they were made from
    "CREATE TABLE IF NOT EXISTS memos (kind TEXT NOT NULL, client TEXT NOT NULL, digest TEXT NOT NULL, "
    "data TEXT NOT NULL, PRIMARY KEY (kind, client))",
    # under the fingerprint: the last few whole sets of one kind's per-client results (marshal),
    # each by a key naming its clients' documents: a warm read of a caseload loads it in one go
    "CREATE TABLE IF NOT EXISTS bundles (kind TEXT NOT NULL, key TEXT NOT NULL, data BLOB NOT NULL, "
    "PRIMARY KEY (kind, key))",
)

Parsed = tuple[dict[str, Any], str]


def document_key(path: str, blob: str) -> str:
    """The same bytes read as Markdown (front matter and body) or as YAML give different data."""
    return ("md:" if is_markdown(path) else "yaml:") + blob


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


#: Every index of this process. A forked child must never close a connection it inherited (SQLite's
#: rule: that can drop the parent's locks and its write-ahead log, which damages the file), not even
#: by collecting an index it no longer uses (a long-running process has one per request served);
#: so the child takes them all away from their indexes and keeps them referenced until it exits.
_INDEXES: weakref.WeakSet[CaseIndex] = weakref.WeakSet()
_INHERITED: list[sqlite3.Connection] = []


def _keep_inherited() -> None:
    for index in list(_INDEXES):
        if index._db is not None:
            _INHERITED.append(index._db)
            index._db, index._opened_in = None, None


os.register_at_fork(after_in_child=_keep_inherited)


class CaseIndex:
    """The index file of one repository, opened on first use.

    ``warn`` hears about a damaged or foreign file being replaced (the CLI prints it).
    """

    def __init__(self, root: Path, warn: Callable[[str], None] | None = None) -> None:
        self.root = root
        self._warn = warn
        self._memory: dict[str, Parsed] = {}
        self._db: sqlite3.Connection | None = None
        self._opened_in: int | None = None  # the process that opened _db (never used across fork)
        self._pending: dict[str, tuple[str | None, str]] = {}
        self.read_only = False  # worker processes compute; the parent writes
        _INDEXES.add(self)

    # -- parsed documents ----------------------------------------------------------------------

    def parse(self, path: str, raw: bytes) -> Parsed:
        """``load_plain(path, raw)``, remembered by blob id (a DocumentError for a bad document)."""
        key = document_key(path, blob_id(raw))
        found = self._memory.get(key)
        if found is None:
            found = self.stored([key]).get(key)
        if found is None:
            found = load_plain(path, raw)  # raises for a bad document: those are never kept
            self.remember(key, found)
        self._memory[key] = found
        # callers may change what they get: each gets its own copy
        return json.loads(_dumps(found[0])), found[1]

    def remember(self, key: str, parsed: Parsed) -> None:
        form = parsed[0].get("form")
        self._pending[key] = (form if isinstance(form, str) else None, _dumps(parsed))

    def remember_json(self, key: str, form: str | None, text: str) -> None:
        """A document parsed elsewhere (a worker process), already as stored."""
        self._pending[key] = (form, text)

    def stored(self, keys: Iterable[str]) -> dict[str, Parsed]:
        """The parsed documents the index holds among ``keys`` (parsed here, or by any process)."""
        found: dict[str, Parsed] = {}
        wanted = []
        for key in keys:
            if key in self._pending:
                data, body = json.loads(self._pending[key][1])
                found[key] = (data, body)
            else:
                wanted.append(key)
        for key, text in self._select("SELECT key, data FROM docs WHERE key IN ({})", wanted):
            data, body = json.loads(text)
            found[key] = (data, body)
        return found

    def known_of(self, keys: Iterable[str]) -> set[str]:
        """Which of these keys the index holds a parsed document for (a few: no whole listing)."""
        wanted = list(keys)
        found = {key for key in wanted if key in self._pending}
        rest = [key for key in wanted if key not in found]
        found.update(key for (key,) in self._select("SELECT key FROM docs WHERE key IN ({})", rest))
        return found

    def put_parsed(self, documents: Sequence[tuple[str, str | None, str]], checks: Sequence[tuple[str, Any]]) -> None:
        """Documents parsed elsewhere (a worker process), already as stored (``key, form, JSON``),
        and their problems, written at once in one transaction (the bulk path of a cold index)."""
        db = self._connect()
        if db is None or self.read_only or not (documents or checks):
            return
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO docs (key, form, data) VALUES (?, ?, ?)", documents)
                db.executemany(
                    "INSERT OR REPLACE INTO checks (key, problems) VALUES (?, ?)", [(k, _dumps(v)) for k, v in checks]
                )
        except sqlite3.Error:
            pass  # locked by another process for too long, or the disk is full: parsed again next time
        for key, _, _ in documents:
            self._pending.pop(key, None)  # (what this process parsed itself is now written too)

    def known(self) -> set[str]:
        """Every key the index holds a parsed document for."""
        return {row[0] for row in self._query("SELECT key FROM docs")} | set(self._pending)

    def forms(self, keys: Iterable[str]) -> dict[str, str | None]:
        """The form each of ``keys`` names (without decoding the documents)."""
        return dict(self._select("SELECT key, form FROM docs WHERE key IN ({})", list(keys)))

    def prune(self, live: Callable[[], set[str]], about: int) -> int:
        """Forget parsed documents no path holds any more, once they are a good share of the file.
        ``live()``: the keys paths hold (asked for only then); ``about``: how many there are, at most."""
        db = self._connect()
        if db is None or self.read_only:
            return 0
        try:
            (count,) = db.execute("SELECT COUNT(*) FROM docs").fetchone()
            if count - about <= max(about // 4, 20):
                return 0  # a few old versions cost nothing, and may come back (a branch, an undo)
            live_keys = live()
            stale = [(key,) for (key,) in db.execute("SELECT key FROM docs") if key not in live_keys]
            with db:
                db.executemany("DELETE FROM docs WHERE key = ?", stale)
            return len(stale)
        except sqlite3.Error:
            return 0

    def note(self, key: str) -> str | None:
        """A value the index keeps about itself (what it last saw)."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_note(self, key: str, value: str) -> None:
        self._write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [(key, value)])

    def prune_derived(self, live_checks: set[str], clients: set[str]) -> None:
        """Forget problems of documents no path holds, and results of clients no longer here."""
        db = self._connect()
        if db is None or self.read_only:
            return
        try:
            stale = [(key,) for (key,) in db.execute("SELECT key FROM checks") if key not in live_checks]
            gone = [(c,) for (c,) in db.execute("SELECT DISTINCT client FROM memos") if c not in clients]
            with db:
                db.executemany("DELETE FROM checks WHERE key = ?", stale)
                db.executemany("DELETE FROM memos WHERE client = ?", gone)
        except sqlite3.Error:
            pass

    # -- derived results, valid under one fingerprint ------------------------------------------

    def bind(self, fingerprint: str) -> None:
        """Drop problems and per-client results made under another fingerprint."""
        db = self._connect()
        if db is None or self.read_only:
            return
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
            if row is None or row[0] != fingerprint:
                with db:
                    db.execute("DELETE FROM checks")
                    db.execute("DELETE FROM memos")
                    db.execute("DELETE FROM bundles")
                    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('fingerprint', ?)", (fingerprint,))
        except sqlite3.Error:
            pass

    def checks(self, keys: Iterable[str]) -> dict[str, list[Any]]:
        return {
            key: json.loads(text)
            for key, text in self._select("SELECT key, problems FROM checks WHERE key IN ({})", list(keys))
        }

    def put_checks(self, rows: Iterable[tuple[str, list[Any]]]) -> None:
        self._write("INSERT OR REPLACE INTO checks (key, problems) VALUES (?, ?)", [(k, _dumps(v)) for k, v in rows])

    def memos(self, kind: str) -> dict[str, tuple[str, Any]]:
        """Every stored result of one kind: ``{client: (digest, data)}``."""
        # One JSON text for all of them, built by SQLite: a single decode is several times faster
        # than one per client (a caseload has tens of thousands).
        rows = self._query(
            "SELECT json_group_object(client, json_array(digest, json(data))) FROM memos WHERE kind = ?", (kind,)
        )
        if rows and rows[0][0]:
            return {client: (digest, data) for client, (digest, data) in json.loads(rows[0][0]).items()}
        rows = self._query("SELECT client, digest, data FROM memos WHERE kind = ?", (kind,))  # no JSON in SQLite
        return {client: (digest, json.loads(data)) for client, digest, data in rows}

    def memos_of(self, kind: str, clients: Sequence[str]) -> dict[str, tuple[str, Any]]:
        """The stored results of one kind for these clients (a few): ``{client: (digest, data)}``."""
        found = {}
        for start in range(0, len(clients), 500):
            batch = list(clients[start : start + 500])
            rows = self._query(
                f"SELECT client, digest, data FROM memos WHERE kind = ? AND client IN ({','.join('?' * len(batch))})",
                [kind, *batch],
            )
            found.update({client: (digest, json.loads(data)) for client, digest, data in rows})
        return found

    def put_memos(self, kind: str, rows: Iterable[tuple[str, str, Any]]) -> None:
        """Store ``(client, digest, data)`` results of one kind."""
        self._write(
            "INSERT OR REPLACE INTO memos (kind, client, digest, data) VALUES (?, ?, ?, ?)",
            [(kind, client, digest, _dumps(data)) for client, digest, data in rows],
        )

    def bundle(self, kind: str, key: str) -> dict[str, Any] | None:
        """The whole set of one kind's results kept under ``key``, if it is the one kept."""
        rows = self._query("SELECT data FROM bundles WHERE kind = ? AND key = ?", (kind, key))
        found = _bundle(rows[0][0], None) if rows else None
        return found[1] if found is not None else None

    def latest_bundle(self, kind: str, mark: str = "") -> tuple[dict[str, str], dict[str, Any]] | None:
        """The whole set of one kind's results kept last, with each client's digest: after a
        change, all but the changed clients' results are still good (``{client: digest}``, results)."""
        return next(self.recent_bundles(kind, mark), None)

    def recent_bundles(self, kind: str, mark: str = "") -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
        """The whole sets of one kind kept with ``mark``, newest first (each decoded only when reached)."""
        for (rowid,) in self._query("SELECT rowid FROM bundles WHERE kind = ? ORDER BY rowid DESC", (kind,)):
            rows = self._query("SELECT data FROM bundles WHERE rowid = ?", (rowid,))
            found = _bundle(rows[0][0], mark) if rows else None
            if found is not None:
                yield found

    def put_bundle(
        self,
        kind: str,
        key: str,
        digests: Mapping[str, str],
        results: Mapping[str, Any],
        family: str = "",
        mark: str = "",
    ) -> None:
        """Keep a whole set of one kind's results under ``key`` (with each client's digest), with
        the few kept last (whole caseloads and a few workers' ones). ``family``: a prefix that
        kinds made per day or per argument share (``due-list/``): only the few newest of all of
        them are kept, so that they do not pile up day after day. ``mark``: what else the results
        depend on (such as today's date), where the digests do not say it: a set is mended from
        an earlier one only of the same mark."""
        try:
            data = marshal.dumps((_BUNDLE_LAYOUT, mark, dict(digests), dict(results)))
        except ValueError:  # not plain data: nothing to keep
            return
        self._write("DELETE FROM bundles WHERE kind = ? AND key = ?", [(kind, key)])  # (last: the newest rowid)
        self._write("INSERT INTO bundles (kind, key, data) VALUES (?, ?, ?)", [(kind, key, data)])
        if family:
            self._write(
                "DELETE FROM bundles WHERE substr(kind, 1, ?) = ? AND rowid NOT IN "
                "(SELECT rowid FROM bundles WHERE substr(kind, 1, ?) = ? ORDER BY rowid DESC LIMIT ?)",
                [(len(family), family, len(family), family, _BUNDLES_KEPT * 2)],
            )
        self._write(
            "DELETE FROM bundles WHERE kind = ? AND rowid NOT IN "
            "(SELECT rowid FROM bundles WHERE kind = ? ORDER BY rowid DESC LIMIT ?)",
            [(kind, kind, _BUNDLES_KEPT)],
        )

    def update_memos(self, kind: str, rows: Iterable[tuple[str, Any]]) -> None:
        """Replace the data of stored results, keeping the digests they were made from."""
        self._write(
            "UPDATE memos SET data = ? WHERE kind = ? AND client = ?",
            [(_dumps(data), kind, client) for client, data in rows],
        )
        self._write("DELETE FROM bundles WHERE kind = ?", [(kind,)])  # (it holds the old data)

    # -- the working tree's hashes of files git has no blob for --------------------------------

    def stats(self) -> dict[str, tuple[str, str]]:
        return {path: (stamp, blob) for path, stamp, blob in self._query("SELECT path, stamp, blob FROM stats")}

    def put_stats(self, rows: Mapping[str, tuple[str, str]]) -> None:
        """Replace the remembered hashes with ``{path: (stat stamp, blob)}``."""
        db = self._connect()
        if db is None or self.read_only:
            return
        try:
            with db:
                db.execute("DELETE FROM stats")
                db.executemany(
                    "INSERT INTO stats (path, stamp, blob) VALUES (?, ?, ?)", [(p, s, b) for p, (s, b) in rows.items()]
                )
        except sqlite3.Error:
            pass

    # -- the file ------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the documents parsed since the last flush (one transaction; skipped if busy)."""
        if not self._pending:
            return
        rows = [(key, form, text) for key, (form, text) in self._pending.items()]
        self._pending.clear()
        self._write("INSERT OR REPLACE INTO docs (key, form, data) VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        self.flush()
        if self._db is not None and self._opened_in == os.getpid():
            self._db.close()
        self._db = None
        self._opened_in = None

    def reset(self) -> None:
        """Delete the file (``caseflow index --rebuild``); the next use starts an empty one."""
        self.close()
        self._memory.clear()
        _remove(self.root / INDEX_FILE)

    def _select(self, sql: str, keys: list[str]) -> Iterator[tuple[Any, ...]]:
        """Rows for a query with ``IN ({})`` over many keys, a bounded batch at a time."""
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            yield from self._query(sql.format(",".join("?" * len(batch))), batch)

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        db = self._connect()
        if db is None:
            return []
        try:
            return db.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error:
            return []

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        db = self._connect()
        if not rows or db is None or self.read_only:
            return
        try:
            with db:
                db.executemany(sql, rows)
        except sqlite3.Error:
            pass  # locked by another process for too long, or the disk is full: recomputed next time

    def _connect(self) -> sqlite3.Connection | None:
        if self._opened_in == os.getpid():
            return self._db
        # A connection inherited across fork must never be used (SQLite's rule): open our own.
        self._opened_in = os.getpid()
        self._db = None
        target = self.root / INDEX_FILE
        try:
            self._db = _open(target)
        except _Foreign as exc:
            self._replace(target, str(exc))
        except sqlite3.OperationalError:
            self._db = None  # busy (another process holds it) or unusable now: compute, leave it be
        except sqlite3.DatabaseError:
            self._replace(target, "is damaged")
        except OSError:
            self._db = None  # no index today (a read-only folder, say): compute everything
        return self._db

    def _replace(self, target: Path, why: str) -> None:
        if self._warn is not None:
            self._warn(f"{INDEX_FILE} {why}; rebuilding it (nothing is lost: it only repeats the documents)")
        try:
            _remove(target)
            self._db = _open(target)
        except (OSError, sqlite3.Error, _Foreign):
            self._db = None


class _Foreign(Exception):
    """The file is a database, but not caseflow's index."""


#: What a bundle holds: (this, mark, {client: digest}, {client: result}); anything else is not used.
_BUNDLE_LAYOUT = 3


def _bundle(data: bytes, mark: str | None) -> tuple[dict[str, str], dict[str, Any]] | None:
    """A bundle's digests and results (None: not one, or ``mark`` is not its own; None: any)."""
    try:
        found = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    if not (isinstance(found, tuple) and len(found) == 4 and found[0] == _BUNDLE_LAYOUT):
        return None
    _, kept_mark, digests, results = found
    if mark is not None and kept_mark != mark:
        return None
    return (digests, results) if isinstance(digests, dict) and isinstance(results, dict) else None


def _remove(target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)


def _open(target: Path) -> sqlite3.Connection:
    target.parent.mkdir(exist_ok=True)
    if not target.exists():
        # Private from the first byte. Never open and close the file once it exists: closing any
        # descriptor of it drops every POSIX lock this process holds on it, those of a connection
        # another index opened here included; another process's connection, finding no lock, then
        # takes itself for the last one and removes the write-ahead log under the first.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(target, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    db = sqlite3.connect(target, timeout=5)
    try:
        (application_id,) = db.execute("PRAGMA application_id").fetchone()
        (version,) = db.execute("PRAGMA user_version").fetchone()
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if application_id not in (0, APPLICATION_ID) or (application_id == 0 and tables - {"meta", "docs"}):
            raise _Foreign("is not caseflow's index (another program's database)")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")  # an index: losing the last writes costs a recomputation
        if application_id != APPLICATION_ID or version != FORMAT_VERSION:
            with db:  # an older caseflow's layout (or a new file): start afresh
                for table in tables:
                    db.execute(f'DROP TABLE IF EXISTS "{table}"')
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
        if "bundles" not in tables:  # (added to layout 3 later: a table more, nothing to rebuild)
            with db:
                db.execute(_SCHEMA[-1])
        row = db.execute("SELECT value FROM meta WHERE key = 'policy'").fetchone()
        if row is None or row[0] != POLICY_VERSION:
            with db:
                db.execute("DELETE FROM docs")
                db.execute("DELETE FROM meta WHERE key IN (?, ?)", (PARSED_NOTE, PARSED_KEPT_NOTE))
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('policy', ?)", (POLICY_VERSION,))
    except BaseException:
        db.close()
        raise
    return db


def as_rows(problems: Sequence[Problem]) -> list[list[Any]]:
    """Problems as the index stores them: ``[path, line, col, message]`` each."""
    return [[p.path, p.line, p.col, p.message] for p in problems]


def check_key(path: str, blob: str | None) -> str:
    """Where a document's problems are kept: they depend on its path (the form it must be) and bytes."""
    return hashlib.sha1(f"{path}\0{blob}".encode(), usedforsecurity=False).hexdigest()
