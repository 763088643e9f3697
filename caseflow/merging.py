"""caseflow as git's merge driver for case documents, and settling what it could not merge.

git calls ``caseflow merge-driver %O %A %B %P`` (registered in the clone's config by every caseflow
command; ``.gitattributes`` names the documents). The driver merges field by field
(:mod:`caseflow.core.merge`) and writes the result over %A. A field both sides changed differently
is a true conflict: the file keeps our value (valid YAML, never conflict markers), git marks the
path unmerged, and the conflict is kept in ``.caseflow/conflicts/`` with both values and both
authors until ``caseflow resolve`` settles it, field by field.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core.documents import load_plain
from caseflow.core.merge import MISSING, Conflict, merge, put
from caseflow.core.store import LOCAL_DIR, atomic_write
from caseflow.errors import CaseflowError, DocumentError, NotFound, UsageError

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.repo import CaseRepo

CONFLICTS_DIR = f"{LOCAL_DIR}/conflicts"


def driver_command() -> str:
    """How git should call this caseflow (the one running now), for the clone's config."""
    script = shutil.which("caseflow")
    here = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if here is not None and here.name == "caseflow" and here.is_file():
        script = str(here)
    call = shlex.quote(script) if script else f"{shlex.quote(sys.executable)} -m caseflow"
    return f"{call} merge-driver %O %A %B %P"


def run_driver(repo: CaseRepo, base: Path, mine: Path, theirs: Path, path: str) -> list[Conflict]:
    """Merge theirs into mine (the file at ``mine`` is the result); the conflicts left, if any."""
    old, ours, other = (p.read_bytes() for p in (base, mine, theirs))
    try:
        form_id = next((d.get("form") for d in (_plain(path, raw) for raw in (ours, other)) if d.get("form")), None)
    except DocumentError:
        form_id = None
    form = repo.forms.get(str(form_id))
    try:
        merged = merge(path, old, ours, other, form.schema if form else {}, repo.store.merge_text)
    except DocumentError as exc:
        # a side git cannot parse for us: keep ours, unmerged, and say why (never conflict markers)
        conflict = Conflict((), "the whole document", None, None, None)
        _record(repo, path, [conflict], f"cannot merge field by field: {exc.problems[0]}")
        return [conflict]
    atomic_write(mine, merged.text.encode("utf-8"))
    if merged.conflicts:
        _record(repo, path, merged.conflicts, None)
    else:
        _record_file(repo, path).unlink(missing_ok=True)
    return merged.conflicts


def _plain(path: str, raw: bytes) -> dict[str, Any]:
    data, _ = load_plain(path, raw)
    return data


# -- the record of what is left to settle ----------------------------------------------------------


def _record_file(repo: CaseRepo, path: str) -> Path:
    return repo.root / CONFLICTS_DIR / (path.replace("/", "__") + ".json")


def _record(repo: CaseRepo, path: str, conflicts: list[Conflict], note: str | None) -> None:
    record = {"path": path, "note": note, "conflicts": [c.as_json() for c in conflicts]}
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


def unsettled(repo: CaseRepo) -> list[Unsettled]:
    """Conflicts left to settle, each with who made each side's change (ours: HEAD; theirs: what
    is being merged in, which git names only once the driver has run)."""
    folder = repo.root / CONFLICTS_DIR
    found = []
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(file.read_text(encoding="utf-8"))
        mine, theirs = _author(repo, "HEAD", data["path"]), _author(repo, repo.store.merge_head(), data["path"])
        found.append(Unsettled(data["path"], mine, theirs, data.get("note"), data["conflicts"]))
    return found


def _author(repo: CaseRepo, rev: str | None, path: str) -> str | None:
    """The staff id (else the email) of whoever last changed ``path`` as of ``rev``."""
    if rev is None:
        return None
    email = repo.store.git_output("log", "-1", "--format=%ae", rev, "--", path).strip()
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


def resolve(repo: CaseRepo, actor: Staff, client_id: str, document: str, field: str, take: str) -> Unsettled | None:
    """Settle one conflicting field with mine, theirs or a value; the last one stages the file."""
    path = repo.resolve_document(client_id, document)
    record = next((u for u in unsettled(repo) if u.path == path), None)
    if record is None:
        raise NotFound(f"{path} has no conflict to resolve")
    conflict = next((c for c in record.conflicts if field_name(c["path"]) == field), None)
    if conflict is None:
        fields = ", ".join(field_name(c["path"]) for c in record.conflicts)
        raise NotFound(f"{path} has no conflict in {field!r} (it has: {fields})")
    if not conflict["path"]:
        raise UsageError(f"{path} could not be merged field by field: edit it by hand, then `git add {path}`")
    value: Any = {"mine": conflict["mine"], "theirs": conflict["theirs"]}.get(take, take)
    if take not in ("mine", "theirs"):
        value = _typed(take, conflict)
    edited = repo.read_document(path)
    if conflict["path"] == ["body"]:
        edited.body = str(value)
    else:
        put(edited.data, tuple(conflict["path"]), MISSING if value is None else value)
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
    _record_file(repo, path).unlink(missing_ok=True)
    repo.store.mark_resolved(path)
    return None


def _typed(text: str, conflict: Mapping[str, Any]) -> Any:
    """A value typed on the command line, as the type both sides used (a number stays a number)."""
    sample = conflict["mine"] if conflict["mine"] is not None else conflict["theirs"]
    if isinstance(sample, bool):
        return text.lower() in ("true", "yes", "1")
    if isinstance(sample, int):
        try:
            return int(text)
        except ValueError:
            raise CaseflowError(f"{text!r} is not a whole number, as both sides' values are") from None
    return text


def registered(repo: CaseRepo) -> None:
    """Every command's first step in a clone: make sure git calls caseflow to merge case documents."""
    if os.environ.get("CASEFLOW_NO_MERGE_DRIVER"):
        return
    repo.store.ensure_merge_driver(driver_command())
