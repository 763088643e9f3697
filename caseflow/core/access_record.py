"""The access record: every disclosure (a referral packet, an identified report, an export), chained.

Entries are appended to ``.caseflow/access.log``, one JSON object a line: who, when, what, which
clients, under which consent. Each entry carries the hash of the one before it and its own hash
over both, so editing, removing or reordering any entry breaks the chain at that point, and
``caseflow audit --verify`` says where. (Removing the newest entries leaves a shorter valid
chain; the entry count is reported so it can be compared with a copy kept elsewhere.) The log
lives beside the clone, like git's own reflog: it records what this clone disclosed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caseflow.core import layout
from caseflow.errors import CaseflowError

ACCESS_LOG = layout.ACCESS_LOG
GENESIS = "0" * 64


@dataclass(frozen=True)
class AccessEntry:
    seq: int
    at: str
    who: str
    action: str  # "referral packet", "report caseload", "export fhir"
    what: str  # a referral id, a report name and period, a file name
    clients: tuple[str, ...]
    consent: str | None
    prev: str
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "who": self.who,
            "action": self.action,
            "what": self.what,
            "clients": list(self.clients),
            "consent": self.consent,
            "prev": self.prev,
            "hash": self.hash,
        }


def _digest(body: dict[str, Any]) -> str:
    canonical = json.dumps({k: v for k, v in body.items() if k != "hash"}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(
    root: Path, *, who: str, action: str, what: str, clients: Sequence[str], consent: str | None = None
) -> AccessEntry:
    """Append one entry (under an exclusive lock, so two commands never interleave)."""
    target = root / ACCESS_LOG
    target.parent.mkdir(exist_ok=True)
    fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        lines = [line for line in handle.read().splitlines() if line.strip()]
        last = _parsed(lines[-1]) if lines else None
        if lines and last is None:  # no disclosure goes unrecorded, and none is recorded on a broken chain
            raise CaseflowError(
                f"{ACCESS_LOG} is damaged at its last line; nothing was disclosed (caseflow audit --verify)"
            )
        body: dict[str, Any] = {
            "seq": (last["seq"] + 1) if last else 1,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "who": who,
            "action": action,
            "what": what,
            "clients": sorted(clients),
            "consent": consent,
            "prev": last["hash"] if last else GENESIS,
        }
        body["hash"] = _digest(body)
        handle.write(json.dumps(body, separators=(",", ":"), ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return _entry(body)


def entries(root: Path) -> list[AccessEntry]:
    """The readable entries (``verify`` names the others)."""
    target = root / ACCESS_LOG
    if not target.is_file():
        return []
    parsed = (_parsed(line) for line in target.read_text(encoding="utf-8").splitlines() if line.strip())
    return [_entry(body) for body in parsed if body is not None]


def _parsed(line: str) -> dict[str, Any] | None:
    """One entry's fields, or None for a line that is not an entry (damaged, or not ours)."""
    try:
        body = json.loads(line)
    except ValueError:
        return None
    fields = ("seq", "at", "who", "action", "what", "prev", "hash")
    if not isinstance(body, dict) or not all(k in body for k in fields) or not isinstance(body["seq"], int):
        return None
    return body


def verify(root: Path) -> list[str]:
    """Where the chain breaks (an edited, removed or reordered entry), line by line; [] if intact."""
    target = root / ACCESS_LOG
    if not target.is_file():
        return []
    problems = []
    prev, expected_seq = GENESIS, 1
    for number, line in enumerate(target.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        body = _parsed(line)
        if body is None:
            problems.append(f"{ACCESS_LOG}:{number}: not a log entry")
            continue
        if body.get("hash") != _digest(body):
            problems.append(f"{ACCESS_LOG}:{number}: entry {body.get('seq')} was changed after it was written")
        if body.get("prev") != prev or body.get("seq") != expected_seq:
            problems.append(
                f"{ACCESS_LOG}:{number}: entry {body.get('seq')} does not follow entry {expected_seq - 1} "
                "(one was removed or the order changed)"
            )
        prev, expected_seq = str(body.get("hash")), int(body.get("seq") or 0) + 1
    return problems


def _entry(body: dict[str, Any]) -> AccessEntry:
    return AccessEntry(
        int(body["seq"]),
        str(body["at"]),
        str(body["who"]),
        str(body["action"]),
        str(body["what"]),
        tuple(body.get("clients") or ()),
        body.get("consent"),
        str(body["prev"]),
        str(body["hash"]),
    )
