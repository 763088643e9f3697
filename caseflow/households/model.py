"""Reading households: the folders under ``households/``, each household's documents, its problems."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.core.case import blob_id
from caseflow.core.casefiles import DOCUMENT_SUFFIXES
from caseflow.core.documents import load_plain
from caseflow.core.textpolicy import read_document_bytes
from caseflow.core.validation import SchemaChecker, check_plain_data
from caseflow.errors import DocumentError, InvalidId, NotFound, Problem
from caseflow.households.forms import (
    FAMILY_CONTACT_FORM,
    FAMILY_PLAN_FORM,
    HOUSEHOLD_FORM,
    HOUSEHOLD_FORMS,
    HOUSEHOLD_ID_PATTERN,
)

if TYPE_CHECKING:
    from caseflow.session import Session

HOUSEHOLDS_DIR = "households"
_HOUSEHOLD_ID = re.compile(HOUSEHOLD_ID_PATTERN)
_CHECKER = SchemaChecker(HOUSEHOLD_FORMS)


def check_household_id(value: str) -> str:
    """Return ``value`` if it is a household id (``H-`` and Crockford characters), else raise."""
    if not isinstance(value, str) or not _HOUSEHOLD_ID.fullmatch(value):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "...'"
        raise InvalidId(f"{shown} is not a household id (expected something like H-4T8M2Q)")
    return value


def household_dir(household_id: str) -> str:
    return f"{HOUSEHOLDS_DIR}/{check_household_id(household_id)}"


def household_ids(root: Path) -> list[str]:
    """Household folders (never a link) whose names are household ids, sorted."""
    try:
        entries = list(os.scandir(root / HOUSEHOLDS_DIR))
    except FileNotFoundError:
        return []
    return sorted(e.name for e in entries if _HOUSEHOLD_ID.fullmatch(e.name) and e.is_dir(follow_symlinks=False))


@dataclass(frozen=True)
class Member:
    """One member: a client (``client``) or a person who is not a client (``name``: x-phi)."""

    id: str
    client: str | None
    name: str | None = None
    relationship: str | None = None
    birth_year: int | None = None

    def as_json(self, identified: bool = True) -> dict[str, Any]:
        """Ids and codes; a non-client's name and birth year only when ``identified``."""
        found: dict[str, Any] = {"id": self.id, "client": self.client, "relationship": self.relationship}
        if identified and self.client is None:
            found |= {"name": self.name, "birth_year": self.birth_year}
        return found


@dataclass(frozen=True)
class HouseholdDocument:
    path: str  # inside the household folder: household.yaml, contacts/2026-12-01-home-0k7mq.md
    form_id: str | None
    data: Mapping[str, Any]
    blob: str
    body: str = ""
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Household:
    """One household as its folder holds it now."""

    id: str
    documents: tuple[HouseholdDocument, ...] = field(default=())

    @property
    def folder(self) -> str:
        return f"{HOUSEHOLDS_DIR}/{self.id}"

    def document(self, form_id: str) -> HouseholdDocument | None:
        return next((d for d in self.documents if d.form_id == form_id), None)

    @property
    def record(self) -> Mapping[str, Any]:
        found = self.document(HOUSEHOLD_FORM)
        return found.data if found else {}

    @property
    def members(self) -> list[Member]:
        found = []
        for item in self.record.get("members") or []:
            if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
                continue
            year = item.get("birth_year")
            found.append(
                Member(
                    str(item["id"]),
                    item.get("client") if isinstance(item.get("client"), str) else None,
                    item.get("name") if isinstance(item.get("name"), str) else None,
                    item.get("relationship") if isinstance(item.get("relationship"), str) else None,
                    year if isinstance(year, int) and not isinstance(year, bool) else None,
                )
            )
        return found

    @property
    def clients(self) -> list[str]:
        return [m.client for m in self.members if m.client]

    @property
    def plan(self) -> HouseholdDocument | None:
        return self.document(FAMILY_PLAN_FORM)

    @property
    def contacts(self) -> list[HouseholdDocument]:
        found = [d for d in self.documents if d.form_id == FAMILY_CONTACT_FORM]
        return sorted(found, key=lambda d: (str(d.data.get("date")), d.path))

    @property
    def problems(self) -> list[Problem]:
        return [p for d in self.documents for p in d.problems]


def household_files(root: Path, household_id: str) -> list[str]:
    """Every document file in a household's folder, as paths inside it, sorted (links listed, not followed)."""
    base = root / household_dir(household_id)
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        relative = os.path.relpath(directory, base)
        for name in sorted(filenames):
            if not name.startswith(".") and name.endswith(DOCUMENT_SUFFIXES):
                found.append(name if relative == "." else f"{relative}/{name}")
    return found


def load(repo: Session, household_id: str) -> Household:
    """The household's documents, each with its problems (NotFound if there is no such household)."""
    folder = household_dir(household_id)
    if not (repo.root / folder / "household.yaml").is_file() or (repo.root / folder).is_symlink():
        raise NotFound(f"no household {household_id} (caseflow household list)")
    documents = [_read(repo, folder, inner) for inner in household_files(repo.root, household_id)]
    household = Household(household_id, tuple(documents))
    extra = _cross_checks(repo, household)
    if extra:
        documents = [
            HouseholdDocument(d.path, d.form_id, d.data, d.blob, d.body, d.problems + tuple(extra.get(d.path, ())))
            for d in documents
        ]
        household = Household(household_id, tuple(documents))
    return household


def _read(repo: Session, folder: str, inner: str) -> HouseholdDocument:
    path = f"{folder}/{inner}"
    if (repo.root / path).is_symlink():
        problem = Problem(path, 0, 0, "is a symbolic link; caseflow never follows links")
        return HouseholdDocument(inner, None, {}, "", problems=(problem,))
    try:
        raw = read_document_bytes(repo.root, path)
        data, body = load_plain(path, raw)
    except DocumentError as exc:
        return HouseholdDocument(inner, None, {}, "", problems=tuple(exc.problems))
    problems = check_household_document(repo, path, inner, raw, data, body)
    form_id = data.get("form") if isinstance(data.get("form"), str) else None
    return HouseholdDocument(inner, form_id, data, blob_id(raw), body, tuple(problems))


def check_household_document(
    repo: Session, path: str, inner: str, raw: bytes, data: dict[str, Any], body: str
) -> list[Problem]:
    """The form's schema and path (with the hooks' checks), as for a client's document."""
    form_id = data.get("form")
    if isinstance(form_id, str) and form_id not in HOUSEHOLD_FORMS:
        return [Problem(path, 0, 0, f"a household folder holds household forms only, not '{form_id}'")]
    return check_plain_data(path, raw, data, body, HOUSEHOLD_FORMS, _CHECKER, repo.host.validate_document, None, inner)


def _cross_checks(repo: Session, household: Household) -> dict[str, list[Problem]]:
    """What a schema cannot see: ids agree with the folder, members exist, references resolve."""
    found: dict[str, list[Problem]] = {}

    def add(inner: str, message: str) -> None:
        found.setdefault(inner, []).append(Problem(f"{household.folder}/{inner}", 0, 0, message))

    record = household.document(HOUSEHOLD_FORM)
    if record is None:
        return found
    if record.data.get("id") not in (None, household.id):
        add(record.path, f"its id {record.data.get('id')} is not its folder's, {household.id}")
    member_ids = [m.id for m in household.members]
    for duplicate in sorted({m for m in member_ids if member_ids.count(m) > 1}):
        add(record.path, f"member id {duplicate} is used twice")
    clients = household.clients
    for client in sorted({c for c in clients if clients.count(c) > 1}):
        add(record.path, f"client {client} is listed twice")
    for client in clients:
        if not (repo.root / "clients" / client / "client.yaml").is_file():
            add(record.path, f"member {client} is not a client here")
    known = set(member_ids)
    for document in household.documents:
        named = document.data.get("household")
        if document.form_id in (FAMILY_PLAN_FORM, FAMILY_CONTACT_FORM) and named not in (None, household.id):
            add(document.path, f"it names household {named}, not {household.id}")
        if document.form_id == FAMILY_PLAN_FORM:
            for goal in _mappings(document.data.get("goals")):
                for objective in _mappings(goal.get("objectives")):
                    member = objective.get("member")
                    if isinstance(member, str) and member not in known:
                        add(
                            document.path, f"objective {objective.get('id')}: {member} is not a member of the household"
                        )
        if document.form_id == FAMILY_CONTACT_FORM:
            for member in document.data.get("present") or []:
                if isinstance(member, str) and member not in known:
                    add(document.path, f"{member}, said to be present, is not a member of the household")
    return found


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value or [] if isinstance(item, Mapping)] if isinstance(value, list) else []


def households_of(repo: Session, client_id: str) -> list[str]:
    """The households a client is a member of (a small scan: household records are few)."""
    found = []
    for household_id in household_ids(repo.root):
        path = f"{HOUSEHOLDS_DIR}/{household_id}/household.yaml"
        try:
            data, _ = load_plain(path, read_document_bytes(repo.root, path))
        except (DocumentError, OSError):
            continue
        if any(isinstance(m, Mapping) and m.get("client") == client_id for m in data.get("members") or []):
            found.append(household_id)
    return found


def stray_entries(root: Path) -> list[Problem]:
    """Entries under ``households/`` that are not household folders (``validate`` reports them)."""
    try:
        entries = list(os.scandir(root / HOUSEHOLDS_DIR))
    except FileNotFoundError:
        return []
    stray = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = f"{HOUSEHOLDS_DIR}/{entry.name}"
        if entry.is_symlink():
            stray.append(Problem(path, 0, 0, "is a symbolic link; caseflow never follows links"))
        elif not entry.is_dir() or not _HOUSEHOLD_ID.fullmatch(entry.name):
            stray.append(Problem(path, 0, 0, "is not a household folder (names look like H-4T8M2Q)"))
        elif not (root / path / "household.yaml").is_file():
            stray.append(Problem(path, 0, 0, "has no household.yaml"))
    return sorted(stray, key=lambda p: p.path)


def validate_all(repo: Session, ids: Sequence[str] | None = None) -> tuple[int, list[Problem]]:
    """(documents checked, problems) of every household (or those given)."""
    problems = stray_entries(repo.root) if ids is None else []
    count = 0
    for household_id in ids if ids is not None else household_ids(repo.root):
        if not (repo.root / HOUSEHOLDS_DIR / household_id / "household.yaml").is_file():
            continue
        household = load(repo, household_id)
        count += len(household.documents)
        problems.extend(household.problems)
    return count, problems
