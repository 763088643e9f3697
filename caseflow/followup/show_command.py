"""``caseflow show``: what a person wants to see first about a client, with their documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from caseflow.cli.context import (
    Settings,
    emit_json,
    json_option,
    repo_options,
    table,
)
from caseflow.cli.params import ID
from caseflow.hookspecs import hookimpl


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@json_option
@repo_options
def show(settings: Settings, client_id: str, as_json: bool) -> None:
    """Show one client: stage, assigned worker, risk flags, history and documents."""
    repo = settings.repo()
    record = repo.client_record(client_id)
    documents = repo.records.documents(client_id)
    flags = [f for f in record.get("risk_flags") or [] if isinstance(f, dict)]
    from caseflow.workflow.monitoring import contact_days

    risk, every = contact_days(record, repo.workflow_spec.monitoring)
    sent_back = repo.workflow.sent_back(client_id)
    summary = repo.followup.summary(client_id)
    if as_json:
        emit_json(
            {
                "id": client_id,
                "stage": record.get("stage"),
                "assigned_worker": record.get("assigned_worker"),
                "intake_date": record.get("intake_date"),
                "risk_level": risk,
                "sent_back": [{"document": d.document, "by": d.by, "at": d.at} for d in sent_back],
                "contact_every_days": every,
                # Free text (a reason, a note) can hold anything, names included: ids and codes only.
                "risk_flags": [_without(f, "note") for f in flags],
                "stage_history": [
                    _without(h, "reason") for h in record.get("stage_history") or [] if isinstance(h, dict)
                ],
                "documents": [d.as_json() for d in documents],
                **summary,
            }
        )
        return
    # The text names the client: an identified read, recorded (on this clone, at once) before it is shown.
    # The JSON above carries ids and codes only, so it is no disclosure.
    from caseflow.core import access_record

    access_record.record(repo.root, who=settings.actor().id, action="show", what="client record", clients=[client_id])
    click.echo(click.style(f"{client_id}", bold=True) + f"  {record.get('name', '')}")
    click.echo(
        f"stage: {record.get('stage')}   worker: {record.get('assigned_worker')}   intake: {record.get('intake_date')}"
    )
    for flag in flags:
        click.echo(click.style(f"⚠ {flag.get('flag')}", fg="red", bold=True) + f" since {flag.get('since')}")
    if every:
        click.echo(f"contact at least every {every} days (risk: {risk})")
    for decision in sent_back:
        comment = f": {decision.comment}" if decision.comment else ""
        click.echo(
            click.style(f"↩ {decision.document} sent back by {decision.by} on {decision.at[:10]}{comment}", fg="yellow")
        )
    _print_summary(summary)
    click.echo()
    table([(d.path.split("/", 2)[2], d.title, _summary(d.summary)) for d in documents], ["DOCUMENT", "FORM", "SUMMARY"])
    for document in documents:
        for problem in document.problems:
            click.echo(click.style("  " + str(problem), fg="red"))
    click.echo(f"\nCheck every document with: caseflow validate {client_id}")


def _print_summary(summary: Mapping[str, Any]) -> None:
    last, upcoming = summary["last_contact"], summary["next_appointment"]
    click.echo("last contact: " + (f"{last['date']} ({last['type']})" if last else "none yet"))
    if upcoming:
        when = f"{upcoming['date']} {upcoming.get('time') or ''}".strip()
        click.echo(f"next appointment: {when} with {upcoming['with']} ({upcoming['id']})")
    for referral in summary["open_referrals"]:
        click.echo(f"referral {referral['id']}: {referral['category']}, {referral['status']} since {referral['since']}")
    scores = [
        " ".join(str(part) for part in (key.removeprefix("instruments.").upper(), s["total"]) if part is not None)
        + f" ({s['band']}, {s['date']})"
        for key, s in summary["latest_scores"].items()
    ]
    if scores:
        click.echo("latest scores: " + "; ".join(scores))
    for item in summary["due"]:
        colour = "red" if item["overdue"] else None
        when = f"overdue {item['days_overdue']}d" if item["overdue"] else f"due {item['due']}"
        click.echo(click.style(f"• {when}: {item['reason']}", fg=colour))


def _without(entry: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != key}


def _summary(summary: Mapping[str, Any]) -> str:
    def text(value: Any) -> str:
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)

    return "  ".join(f"{key}: {text(value)}" for key, value in summary.items() if value not in (None, "", []))


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(show)
