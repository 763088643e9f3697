"""Parsed documents kept by git blob id, so reading a caseload parses only what changed.

A document's plain data depends only on its bytes (and the parsing policy), and the git blob id
names exactly those bytes. The cache lives in ``.caseflow/index.sqlite``: local, never committed,
readable by its owner only (it holds the same client data as the working tree). Deleting it loses
nothing; a caseflow version with another parsing policy starts it afresh; two processes may use it
at once (SQLite locks it; a write that cannot get the lock is skipped, as a cache write may be).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from caseflow.core.case import blob_id
from caseflow.core.documents import is_markdown, load_plain
from caseflow.core.store import LOCAL_DIR

CACHE_FILE = f"{LOCAL_DIR}/index.sqlite"
#: Bump when what load_plain returns for the same bytes changes (the parsing policy).
POLICY_VERSION = "plain-2"


class DocumentCache:
    """``parse(path, raw)`` = ``load_plain(path, raw)``, remembered by blob id in memory and on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._memory: dict[str, tuple[dict[str, Any], str]] = {}
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._pending: list[tuple[str, str]] = []

    def parse(self, path: str, raw: bytes) -> tuple[dict[str, Any], str]:
        """The document's plain data and Markdown body (a DocumentError for a bad document, as ever)."""
        # The same bytes read as Markdown (front matter and body) or as YAML give different data.
        key = ("md:" if is_markdown(path) else "yaml:") + blob_id(raw)
        found = self._memory.get(key)
        if found is None:
            found = self._stored(key)
        if found is None:
            found = load_plain(path, raw)  # raises for a bad document: those are never cached
            self._pending.append((key, json.dumps(found, separators=(",", ":"), ensure_ascii=False)))
        self._memory[key] = found
        # callers may change what they get: each gets its own copy
        return json.loads(json.dumps(found[0])), found[1]

    def flush(self) -> None:
        """Write what was parsed since the last flush (one transaction; skipped if the file is busy)."""
        if not self._pending or self._connect() is None:
            self._pending.clear()
            return
        assert self._db is not None
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO docs (blob, data) VALUES (?, ?)", self._pending)
        except sqlite3.Error:
            pass  # locked by another process, or the disk is full: the next run parses again
        self._pending.clear()

    def _stored(self, key: str) -> tuple[dict[str, Any], str] | None:
        db = self._connect()
        if db is None:
            return None
        try:
            row = db.execute("SELECT data FROM docs WHERE blob = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        data, body = json.loads(row[0])
        return data, body

    def _connect(self) -> sqlite3.Connection | None:
        if self._opened:
            return self._db
        self._opened = True
        target = self.root / CACHE_FILE
        try:
            self._db = self._open(target)
        except sqlite3.OperationalError:
            self._db = None  # busy (another process holds it) or unusable now: parse, and leave it be
        except sqlite3.DatabaseError:  # not a database any more (damaged): it is only a cache
            try:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{target}{suffix}").unlink(missing_ok=True)
                self._db = self._open(target)
            except (OSError, sqlite3.Error):
                self._db = None
        except (OSError, sqlite3.Error):
            self._db = None  # no cache today (a read-only folder, say): parse everything
        return self._db

    @staticmethod
    def _open(target: Path) -> sqlite3.Connection:
        target.parent.mkdir(exist_ok=True)
        fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o600)  # private from the first byte
        os.close(fd)
        db = sqlite3.connect(target, timeout=2)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # a cache: losing the last writes costs a reparse
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS docs (blob TEXT PRIMARY KEY, data TEXT NOT NULL)")
            stored = db.execute("SELECT value FROM meta WHERE key = 'policy'").fetchone()
            if stored is None or stored[0] != POLICY_VERSION:
                with db:
                    db.execute("DELETE FROM docs")
                    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('policy', ?)", (POLICY_VERSION,))
        except sqlite3.Error:
            db.close()
            raise
        return db

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None
