"""``approvals.yaml``: each supervisor decision, bound to the exact version (git blob) it judged."""

from __future__ import annotations

from caseflow import Form, hookimpl
from caseflow.core.formfields import choice, client_id, document, list_of, record, staff, text

DECISION = record(
    "Decision",
    {
        "document": text("Document", min_length=1),
        "blob": {"type": "string", "pattern": "^[0-9a-f]{40}$", "title": "Version (git blob id)"},
        "commit": {"type": "string", "pattern": "^[0-9a-f]{40}$", "title": "Commit when decided"},
        "decision": choice("Decision", ["approved", "rejected"]),
        "by": staff("By"),
        "at": text("When (ISO 8601)", min_length=1),
        "comment": text("Comment"),
    },
    ["document", "blob", "decision", "by", "at"],
)

APPROVALS_SCHEMA = document(
    "Approvals",
    "core.approvals",
    {"client": client_id(), "approvals": list_of("Decisions", DECISION)},
    ["client", "approvals"],
)


@hookimpl(trylast=True)
def register_forms() -> list[Form]:
    return [
        Form(
            id="core.approvals",
            title="Approvals",
            kind="yaml",
            path="approvals.yaml",
            schema=APPROVALS_SCHEMA,
            skeleton="forms/approvals.yaml.j2",
            description="Supervisor approvals and rejections, each bound to the git blob id it judged.",
        )
    ]
