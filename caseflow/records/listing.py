"""What a client's folder holds, as ``caseflow show`` lists it: each document with its form and summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caseflow.core import casefiles
from caseflow.core.textpolicy import read_document_bytes
from caseflow.errors import DocumentError, Problem

if TYPE_CHECKING:
    from caseflow.session import Session


@dataclass(frozen=True)
class ClientDocument:
    """A document as ``caseflow show`` lists it; ``problems`` when it could not even be read."""

    path: str
    form_id: str | None
    title: str
    summary: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "form": self.form_id,
            "title": self.title,
            "summary": dict(self.summary),
            "readable": not self.problems,
        }


def documents(repo: Session, client_id: str) -> list[ClientDocument]:
    """A client's documents with their forms and summaries (``validate`` checks them in full)."""
    repo.client_dir(client_id)
    found = []
    for doc in casefiles.client_documents(repo.root, client_id):
        try:
            data, _ = repo.index.parse(doc.path, read_document_bytes(repo.root, doc.path))
        except DocumentError as exc:
            found.append(ClientDocument(doc.path, None, "(unreadable)", {}, tuple(exc.problems)))
            continue
        form = repo.forms.get(str(data.get("form")))
        summary = dict(form.summarize(data)) if form and form.summarize else {}
        title = form.title if form else "(unknown form)"
        found.append(ClientDocument(doc.path, data.get("form"), title, summary))
    repo.index.flush()
    return found
