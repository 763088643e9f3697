"""Settling a conflict over a whole document by keeping both documents.

Two people can each make a document of the same name offline (two phone contacts on one day are
both ``visits/2026-11-17-phone-2.md``), or change one note so differently that it cannot be merged
field by field. Taking one side would then throw the other person's document away, on every
laptop after the next sync. So ``caseflow resolve CLIENT DOC --take mine|theirs`` keeps both: the
side taken keeps the name, the other is written beside it under a name of its own that its form
accepts (:func:`sibling_name`: a short id made from its bytes where the form takes one, else the
next counter), and both are staged for the merge commit, which the person syncing makes (each
side's own commits keep their authors). A one-per-client document (``plan.yaml``) has no second
name: it is merged field by field, or edited by hand.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caseflow.core.casefiles import CLIENTS_DIR
from caseflow.core.documents import load_plain
from caseflow.core.git import listing, merging
from caseflow.core.safefiles import atomic_write, make_parents
from caseflow.errors import CaseflowError, UsageError

if TYPE_CHECKING:
    from caseflow.core.forms import Form
    from caseflow.session import Session

#: How many numbered names (``-2``, ``-3``...) to try before giving up.
_MAX_NUMBER = 999


@dataclass(frozen=True)
class KeptBoth:
    """A whole-document conflict settled by keeping both: ``path`` holds the side taken
    (``taken``: "mine" or "theirs"), ``sibling`` the other side's document."""

    path: str
    sibling: str
    taken: str
    #: who made the other side's document (its staff id), if known
    theirs_author: str | None

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "sibling": self.sibling, "taken": self.taken, "theirs_author": self.theirs_author}


def form_of(repo: Session, inner: str, versions: list[bytes]) -> Form | None:
    """The document's form: named in either version, else the one whose path pattern it matches."""
    for raw in versions:
        try:
            data, _ = load_plain(inner, raw)
        except Exception:  # a version that does not parse (why the conflict is whole) names nothing
            continue
        form = repo.forms.get(str(data.get("form")))
        if form is not None:
            return form
    return next((f for f in repo.forms.values() if f.matches_path(inner)), None)


def can_keep_both(repo: Session, path: str) -> bool:
    """Are both sides of this conflict documents of a form that has room for two (not one per client)?"""
    sides = merging.conflict_sides(repo.root, path)
    if 2 not in sides or 3 not in sides:
        return False
    form = form_of(repo, _inner(path), [sides[2], sides[3]])
    return form is not None and not form.singleton


def keep_both(repo: Session, path: str, take: str, theirs_author: str | None) -> KeptBoth:
    """Write the side taken at ``path`` and the other beside it, stage both (see the module)."""
    choice = take.strip().lower()
    if choice not in ("mine", "theirs"):
        raise UsageError(f"{path}: both documents are kept; say which keeps this name: --take mine or --take theirs")
    sides = merging.conflict_sides(repo.root, path)
    ours, other = (3, 2) if repo.store.rebasing() else (2, 3)  # a rebase's "ours" is the upstream
    if ours not in sides or other not in sides:
        raise CaseflowError(f"{path} is not on both sides any more; nothing was changed (caseflow resolve lists it)")
    mine, theirs = sides[ours], sides[other]
    kept, moved = (mine, theirs) if choice == "mine" else (theirs, mine)
    form = form_of(repo, _inner(path), [mine, theirs])
    sibling = sibling_name(repo, path, moved, form)
    target = repo.root / sibling
    if not target.is_file() or target.read_bytes() != moved:  # already there: a resolve killed halfway
        make_parents(target.parent, repo.root)
        atomic_write(target, moved)
    merging.mark_resolved(repo.root, sibling)  # the new name first: the conflict is settled last
    atomic_write(repo.root / path, kept)
    repo.store.mark_resolved(path)
    return KeptBoth(path, sibling, choice, theirs_author)


def sibling_name(repo: Session, path: str, data: bytes, form: Form | None) -> str:
    """A name beside ``path`` for the other side's document: the name its own fields give it ending
    in a short id made from its bytes (``visits/2026-11-17-phone-k3v9q.md``: the same document gets
    the same name on any laptop, another document another), where the form takes such a name; else
    the first free ``-<n>`` (``visits/2026-11-17-phone-3.md``); never a name in use, unless it
    already holds exactly these bytes (a resolve killed halfway, run again)."""
    folder, _, name = path.rpartition("/")
    stem, suffix = os.path.splitext(name)
    base = _expected_stem(form, data) or _ENDING.sub("", stem)
    candidates = [f"{base}-{_short_id(data)}"] + [f"{base}-{n}" for n in range(2, _MAX_NUMBER + 1)]
    for candidate in candidates:
        rel = f"{folder}/{candidate}{suffix}"
        if rel == path or not _accepted(form, _inner(rel), data):
            continue
        target = repo.root / rel
        if target.is_file() and target.read_bytes() == data:
            return rel
        if not target.exists() and not target.is_symlink() and not listing.tracked(repo.root, rel):
            return rel
    raise CaseflowError(f"{path}: no free name beside it for the other side's document; nothing was changed")


#: What ends a name after what the fields give: a counter (``-2``) or a short id (``-0k7mq``).
_ENDING = re.compile(r"-(?:\d+|[0-9a-hjkmnp-tv-z]{4,6})$")
#: Lower-case Crockford base 32: no i, l, o or u to misread.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _short_id(data: bytes) -> str:
    """Five characters from the bytes' digest, with a letter among them (never read as a counter)."""
    digest = hashlib.sha256(data).digest()
    short = "".join(_ALPHABET[b % 32] for b in digest[:5])
    return short if not short.isdigit() else short[:4] + _ALPHABET[10 + digest[5] % 22]


def _expected_stem(form: Form | None, data: bytes) -> str | None:
    """The file name the document's own fields give it, without folder and suffix."""
    if form is None:
        return None
    try:
        plain, _ = load_plain(form.path, data)
    except Exception:
        return None
    expected = form.path_for(plain)
    return os.path.splitext(expected.rpartition("/")[2])[0] if expected else None


def _accepted(form: Form | None, inner: str, data: bytes) -> bool:
    """Does the form take this name for this document (its pattern, and what its fields say)?"""
    if form is None:
        return True
    if not form.matches_path(inner):
        return False
    try:
        plain, _ = load_plain(inner, data)
    except Exception:
        return True  # a document that does not parse: its pattern is all that can be checked
    return form.path_agrees(inner, plain)


def _inner(path: str) -> str:
    """The path inside the client's folder (``visits/...``)."""
    parts = path.split("/")
    return "/".join(parts[2:]) if parts[0] == CLIENTS_DIR and len(parts) > 2 else path
