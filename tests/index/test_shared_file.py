"""Several indexes of one repository open in one process (a server, a resident index) while other
processes use the file too: nobody's write-ahead log is removed from under them."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from caseflow.index import database


def test_opening_the_index_again_in_a_process_keeps_the_first_connections_locks(tmp_path: Path) -> None:
    target = tmp_path / database.INDEX_FILE
    first = database._open(target)
    with first:
        first.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('probe', 'one')")
    assert Path(f"{target}-wal").exists()
    second = database._open(target)  # another request's index, in the same process
    # Another process comes and goes: if it found no lock of ours, it would take itself for the
    # last connection and remove the log (and the shared memory) from under ours.
    code = (
        f"import sqlite3; c = sqlite3.connect({str(target)!r}); "
        "c.execute('SELECT count(*) FROM meta').fetchone(); c.close()"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert Path(f"{target}-wal").exists() and Path(f"{target}-shm").exists()
    assert first.execute("SELECT value FROM meta WHERE key = 'probe'").fetchone() == ("one",)
    with first:
        first.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('probe', 'two')")
    second.close()
    first.close()
    check = sqlite3.connect(target)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert check.execute("SELECT value FROM meta WHERE key = 'probe'").fetchone() == ("two",)
    check.close()


def test_a_new_index_file_is_private_from_the_first_byte(tmp_path: Path) -> None:
    target = tmp_path / database.INDEX_FILE
    database._open(target).close()
    assert target.stat().st_mode & 0o777 == 0o600
