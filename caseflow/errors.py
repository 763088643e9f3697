"""Every error caseflow raises on purpose.

The CLI turns these into one line per problem and an exit code; anything that is not a
``CaseflowError`` is a bug and keeps its traceback.

    CaseflowError                 exit 1: refused or invalid; nothing was written
     ├── RepoNotFound             no case repository here (no caseflow.yaml up the tree)
     ├── UnknownPerson            --as / CASEFLOW_USER / git user.email is not on the staff list
     ├── NotAllowed               the acting person's role does not allow this
     ├── InvalidId                a client id or document name that is unsafe or malformed
     ├── NotFound                 a client, document or form that does not exist
     │    └── UnknownName         exit 2: a stage, staff member, form or instrument name this
     │                            repository does not have (also a UsageError; says "did you mean")
     ├── AlreadyExists            a document or staff member that is already there
     ├── DocumentError            one or more document problems (file:line:col: message)
     ├── PluginError              a plugin failed to load or raised in a hook
     ├── StoreError               git or the file system refused a write (rolled back)
     │    └── LockTimeout         another caseflow command holds the repository lock
     └── UsageError               exit 2: the command line itself is wrong
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one document, located as precisely as caseflow can."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col}: {self.message}"
        return f"{self.path}: {self.message}"

    def as_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "col": self.col, "message": self.message}


class CaseflowError(Exception):
    """Base class: a refusal with a reason a person can act on."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The message as printed at the CLI boundary, one line per reason."""
        return [str(self)]


class RepoNotFound(CaseflowError):
    """No case repository here: no ``caseflow.yaml`` up the tree (or at ``--repo``)."""


class UnknownPerson(CaseflowError):
    """The acting person (``--as``, ``$CASEFLOW_USER`` or git's ``user.email``) is not on the staff list."""


class NotAllowed(CaseflowError):
    """The acting person's role (or the admin right) does not allow this."""


class InvalidId(CaseflowError):
    """A client id or document name that is unsafe or malformed."""


class NotFound(CaseflowError):
    """A client, document or form that does not exist."""


class AlreadyExists(CaseflowError):
    """A document or staff member that is already there."""


class PluginError(CaseflowError):
    """A plugin failed to load, gave a contribution caseflow refuses, or raised in a hook."""


class StoreError(CaseflowError):
    """git or the file system refused a write; what was begun is rolled back."""


class LockTimeout(StoreError):
    """Another caseflow command holds the repository's writers' lock."""


class UsageError(CaseflowError):
    """The command line itself is wrong (exit 2): a bad option, a bad choice, a malformed date."""

    exit_code = 2


class UnknownName(NotFound, UsageError):
    """A name typed on the command line (or in a form) that is not in this repository's
    vocabulary: its workflow's stages, its staff, its forms, its instruments. Usage, not a refusal:
    exit 2, as a bad option; still a :class:`NotFound` for whoever looks a name up."""


class DocumentError(CaseflowError):
    """One or more problems with documents; ``problems`` holds each one located."""

    def __init__(self, problems: list[Problem] | Problem, note: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.note = note
        super().__init__("; ".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        out = [str(p) for p in self.problems]
        if self.note:
            out.append(self.note)
        return out
