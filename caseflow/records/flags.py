"""Risk flags in client.yaml: raised by a person or a screening, cleared with a date and who
cleared it. A cleared flag stays in the record as history; only flags in force count."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from caseflow.core.dates import parse_past_date
from caseflow.core.documents import new_mapping, new_sequence
from caseflow.core.documents.edits import insert_item
from caseflow.errors import AlreadyExists, NotFound, UsageError

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.core.events import SavedDocument
    from caseflow.session import Session


def _words(text: str) -> str:
    """A flag as a person may type it: "Suicide risk", "suicide-risk" and "SUICIDE_RISK" are one."""
    return " ".join(re.split(r"[\s_-]+", text.strip().casefold()))


def _in_force(flags: Any, flag: str) -> Any:
    """The flag in force that ``flag`` names, by its words or by its id (rf1)."""
    wanted, as_id = _words(flag), flag.strip().casefold()
    for entry in _flags_in_force(flags):
        if _words(str(entry.get("flag", ""))) == wanted or str(entry.get("id", "")).casefold() == as_id:
            return entry
    return None


def _flags_in_force(flags: Any) -> list[Mapping[str, Any]]:
    return [e for e in flags or [] if isinstance(e, Mapping) and not e.get("cleared_on")]


def set_flag(
    repo: Session, actor: Staff, client_id: str, flag: str, since: str | None = None, note: str | None = None
) -> SavedDocument:
    """Raise ``flag`` (one commit); refused if it is already in force."""
    from caseflow.records import actions

    if not flag.strip():
        raise UsageError("say which flag, e.g. 'Suicide risk'")
    form = repo.form("core.client")
    with repo.store.transaction(repo.author(actor), action="flag-set", client=client_id) as tx:
        record = repo.read_document(f"{repo.client_dir(client_id)}/client.yaml")
        flags = record.data.get("risk_flags")
        if flags is None:
            flags = record.data["risk_flags"] = new_sequence()
        if _in_force(flags, flag) is not None:
            raise AlreadyExists(f"{client_id} is already flagged '{flag.strip()}' (clear it first to raise it anew)")
        if flags.fa.flow_style():
            flags.fa.set_block_style()  # `risk_flags: []` grows into a readable block list
        day = parse_past_date(since, "--since", repo.today()).isoformat()
        taken = {str(f.get("id")) for f in flags if isinstance(f, Mapping)}
        number = 1 + len(flags)
        while f"flag-{number}" in taken:
            number += 1
        entry = new_mapping({"id": f"flag-{number}", "flag": flag.strip(), "since": day})
        entry["set_by"] = actor.id
        if note:
            entry["note"] = note
        insert_item(flags, len(flags), entry)
        actions.commit_document(repo, tx, record, form, client_id)
    return actions.saved(repo, tx, client_id, record.path, form, "flag-set")


def clear_flag(
    repo: Session, actor: Staff, client_id: str, flag: str, on: str | None = None, note: str | None = None
) -> SavedDocument:
    """Clear ``flag`` (one commit): it stays in client.yaml with cleared_on and cleared_by."""
    from caseflow.records import actions

    form = repo.form("core.client")
    with repo.store.transaction(repo.author(actor), action="flag-clear", client=client_id) as tx:
        record = repo.read_document(f"{repo.client_dir(client_id)}/client.yaml")
        entry = _in_force(record.data.get("risk_flags"), flag)
        if entry is None:
            named = [f"'{e.get('flag')}' ({e.get('id')})" for e in _flags_in_force(record.data.get("risk_flags"))]
            in_force = f"in force: {', '.join(named)}" if named else "none is in force"
            listed = f"{in_force}; the flags: caseflow show {client_id}"
            raise NotFound(f"{client_id} has no risk flag '{flag.strip()}' in force ({listed})")
        day = parse_past_date(on, "--on", repo.today())
        if str(entry.get("since") or "") > day.isoformat():
            raise UsageError(f"--on {day.isoformat()} is before the flag was raised ({entry.get('since')})")
        entry["cleared_on"] = day.isoformat()
        entry["cleared_by"] = actor.id
        if note:
            entry["cleared_note"] = note
        actions.commit_document(repo, tx, record, form, client_id)
    return actions.saved(repo, tx, client_id, record.path, form, "flag-clear")
