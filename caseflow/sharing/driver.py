"""caseflow as git's merge driver for case documents, and settling what it could not merge.

git calls ``caseflow merge-driver %O %A %B %P`` (registered in the clone's config by every caseflow
command; ``.gitattributes`` names the documents). The driver merges field by field
(:mod:`caseflow.sharing.merge`) and writes the result over %A. A field both sides changed differently
is a true conflict: the file keeps our value (valid YAML, never conflict markers), git marks the
path unmerged, and the conflict is kept in ``.caseflow/conflicts/`` with both values and both
authors until ``caseflow resolve`` settles it, field by field.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core import layout, sync_journal
from caseflow.core.documents import load_plain
from caseflow.core.git.listing import unmerged_paths
from caseflow.core.safefiles import atomic_write
from caseflow.errors import CaseflowError, DocumentError, NotFound, UsageError
from caseflow.sharing.merge import MISSING, Conflict, merge, put

if TYPE_CHECKING:
    from caseflow.session import Session
    from caseflow.sharing.keepboth import KeptBoth

CONFLICTS_DIR = layout.CONFLICTS
#: The note of a conflict over a document made on both sides under one name.
BOTH_ADDED = "made on both sides: two different documents under one name; --take mine or theirs keeps both"


def driver_command() -> str:
    """How git should call caseflow: this interpreter, so the command never depends on PATH."""
    return f"{shlex.quote(sys.executable)} -m caseflow merge-driver %O %A %B %P"


def run_driver(repo: Session, base: Path, mine: Path, theirs: Path, path: str) -> list[Conflict]:
    """Merge theirs into mine (the file at ``mine`` is the result); the conflicts left, if any.

    Whatever goes wrong, the file keeps our version and the conflict is recorded: the driver never
    drops a change silently and never writes conflict markers.
    """
    sync_journal.crash_whole_sync("sync-merge-driver")  # tests: the sync killed while git merges
    old, ours, other = (p.read_bytes() for p in (base, mine, theirs))
    rebasing = repo.store.rebasing()
    try:
        form_id = next((d.get("form") for d in (_plain(path, raw) for raw in (ours, other)) if d.get("form")), None)
        form = repo.forms.get(str(form_id))
        if not old and ours != other and form is not None and not form.singleton:
            # Both sides made a document of this name (two notes of one day): two documents, not
            # two versions of one, so never merged field by field into one; resolve keeps both.
            conflict = Conflict((), "the whole document", None, None, None)
            _record(repo, path, [conflict], BOTH_ADDED, rebasing)
            return [conflict]
        merged = merge(path, old, ours, other, form.schema if form else {}, repo.store.merge_text)
    except Exception as exc:  # a side that does not parse, or a merge caseflow cannot make
        reason = str(exc.problems[0]) if isinstance(exc, DocumentError) else f"{type(exc).__name__}"
        conflict = Conflict((), "the whole document", None, None, None)
        _record(repo, path, [conflict], f"cannot merge field by field ({reason}); edit it by hand", rebasing)
        return [conflict]
    atomic_write(mine, merged.data)
    if merged.conflicts:
        _record(repo, path, merged.conflicts, None, rebasing)
    else:
        _record_file(repo, path).unlink(missing_ok=True)
    return merged.conflicts


def _plain(path: str, raw: bytes) -> dict[str, Any]:
    data, _ = load_plain(path, raw)
    return data


# -- the record of what is left to settle ----------------------------------------------------------


def _record_file(repo: Session, path: str) -> Path:
    return repo.root / CONFLICTS_DIR / (path.replace("/", "__") + ".json")


def _record(repo: Session, path: str, conflicts: list[Conflict], note: str | None, rebasing: bool) -> None:
    found = [c.as_json() for c in conflicts]
    if rebasing:  # git's "ours" is the upstream during a rebase: keep "mine" meaning the person's own
        found = [c | {"mine": c["theirs"], "theirs": c["mine"], "kept": "theirs"} for c in found]
    record = {"path": path, "note": note, "conflicts": found}
    target = _record_file(repo, path)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(target, json.dumps(record, indent=2, ensure_ascii=False).encode("utf-8"))


@dataclass(frozen=True)
class Unsettled:
    path: str
    mine_author: str | None
    theirs_author: str | None
    note: str | None
    conflicts: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "mine_author": self.mine_author,
            "theirs_author": self.theirs_author,
            "note": self.note,
            "conflicts": [c | {"field": field_name(c["path"])} for c in self.conflicts],
        }


def unsettled(repo: Session) -> list[Unsettled]:
    """Conflicts left to settle, each with who made each side's change (ours: HEAD; theirs: what
    is being merged in, which git names only once the driver has run)."""
    folder = repo.root / CONFLICTS_DIR
    unmerged = set(unmerged_paths(repo.root))
    found = []
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(file.read_text(encoding="utf-8"))
        if data["path"] not in unmerged:  # the merge was aborted, or settled by hand and staged
            file.unlink(missing_ok=True)
            continue
        mine, theirs = _author(repo, "HEAD", data["path"]), _author(repo, repo.store.merge_head(), data["path"])
        found.append(Unsettled(data["path"], mine, theirs, data.get("note"), data["conflicts"]))
    return found


def _author(repo: Session, rev: str | None, path: str) -> str | None:
    """The staff id (else the email) of whoever last changed ``path`` as of ``rev``."""
    if rev is None:
        return None
    email = repo.store.last_author_email(path, rev) or ""
    staff = {m.email.lower(): m.id for m in repo.config.staff}
    return staff.get(email.lower(), email) or None


def field_name(path: list[Any]) -> str:
    """``goals[g1].objectives[g1-o1].target_date``: the way ``caseflow set`` names a field."""
    text = ""
    for step in path:
        if isinstance(step, str) and step.startswith("["):
            text += step
        else:
            text += ("." if text else "") + str(step)
    return text or "(the whole document)"


def resolve(repo: Session, client_id: str, document: str, field: str | None, take: str) -> Unsettled | KeptBoth | None:
    """Settle one conflicting field with mine, theirs or a value; the last one stages the file.

    A conflict over the whole document (``field`` None names it, or the document's only conflict)
    keeps both documents where its form has room for two (:mod:`caseflow.sharing.keepboth`):
    taking one side never throws the other person's document away."""
    from caseflow.sharing.keepboth import can_keep_both, keep_both

    path = repo.resolve_document(client_id, document)
    record = next((u for u in unsettled(repo) if u.path == path), None)
    if record is None:
        raise NotFound(f"{path} has no conflict to resolve")
    fields = ", ".join(field_name(c["path"]) for c in record.conflicts)
    if field is None:
        whole = [c for c in record.conflicts if not c["path"]]
        conflict = whole[0] if whole else record.conflicts[0] if len(record.conflicts) == 1 else None
        if conflict is None:
            raise UsageError(f"{path} has more than one conflict: name the field ({fields})")
    else:
        conflict = next((c for c in record.conflicts if field_name(c["path"]) == field), None)
    if conflict is None:
        raise NotFound(f"{path} has no conflict in {field!r} (it has: {fields})")
    if not conflict["path"]:
        if can_keep_both(repo, path):
            both = keep_both(repo, path, take, record.theirs_author)
            _record_file(repo, path).unlink(missing_ok=True)
            return both
        raise UsageError(f"{path} could not be merged field by field: edit it by hand, then `git add {path}`")
    choice = take.strip().lower()
    value: Any = conflict[choice] if choice in ("mine", "theirs") else _typed(take, conflict)
    edited = repo.read_document(path)
    if conflict["path"] == ["body"]:
        edited.body = str(value)
    else:
        try:
            put(edited.data, tuple(conflict["path"]), MISSING if value is None else value)
        except KeyError:
            raise CaseflowError(
                f"{path}: what holds {field} is gone (removed on one side); edit the file by hand, then git add it"
            ) from None
    problems = repo.check_document(client_id, path, edited.to_bytes())
    if problems:
        raise DocumentError(problems, "nothing was changed; take another value")
    atomic_write(repo.root / path, edited.to_bytes())
    left = [c for c in record.conflicts if c is not conflict]
    if left:
        settled = Unsettled(record.path, record.mine_author, record.theirs_author, record.note, left)
        kept = {"path": path, "note": record.note, "conflicts": left}
        atomic_write(_record_file(repo, path), json.dumps(kept, indent=2, ensure_ascii=False).encode("utf-8"))
        return settled
    repo.store.mark_resolved(path)  # staged first: killed before the record goes, unsettled() drops it
    _record_file(repo, path).unlink(missing_ok=True)
    return None


def _typed(text: str, conflict: Mapping[str, Any]) -> Any:
    """A value typed on the command line, as the type both sides used (a number stays a number)."""
    sample = conflict["mine"] if conflict["mine"] is not None else conflict["theirs"]
    if isinstance(sample, bool):
        words = {"true": True, "yes": True, "false": False, "no": False}
        if text.strip().lower() not in words:
            raise CaseflowError(f"{text!r} is not true or false, as both sides' values are")
        return words[text.strip().lower()]
    if isinstance(sample, int):
        try:
            return int(text)
        except ValueError:
            raise CaseflowError(f"{text!r} is not a whole number, as both sides' values are") from None
    return text


def registered(repo: Session) -> None:
    """Every command's first step in a clone: make sure git calls caseflow to merge case documents."""
    if os.environ.get("CASEFLOW_NO_MERGE_DRIVER"):
        return
    repo.store.ensure_merge_driver(driver_command())
