"""Workflow commands: stages, advance, approve, reject, log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from caseflow.cli.context import Settings, done, emit_json, json_option, repo_options, table
from caseflow.cli.params import ID
from caseflow.hookspecs import hookimpl
from caseflow.records.discharge_form import REASON_TITLES

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from caseflow.workflow.model import Check, Requirement


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (stages, advance, discharge, approve, reject, log):
        cli.add_command(command)


def _requirement(requirement: Requirement, describe: Callable[[Requirement], str]) -> dict[str, Any]:
    """A requirement as data: its check's id and parameters (as caseflow.yaml's ``rules:`` names them)."""
    return {
        "check": requirement.check,
        "params": dict(requirement.params),
        "label": requirement.label,
        "description": describe(requirement),
        "when": dict(requirement.when) if requirement.when is not None else None,
    }


def _of_transitions(stage: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for t in stage["transitions"] for r in t["requirements"]]


def _checks(checks: Mapping[str, Check], used: set[str], owners: Mapping[str, str]) -> dict[str, Any]:
    """Each check the workflow uses: its plugin, what it tests, and its declared parameters."""
    return {
        check_id: {
            "plugin": owners.get(check_id),
            "doc": checks[check_id].doc,
            "needs": list(checks[check_id].needs),
            "parameters": [
                {
                    "name": p.name,
                    "type": p.type.__name__,
                    "meaning": p.meaning,
                    "default": p.default or None,
                    "required": p.required,
                    "identifies": p.identifies,
                }
                for p in checks[check_id].parameters
            ],
        }
        for check_id in sorted(used)
        if check_id in checks
    }


@click.command()
@click.argument("client_id", type=ID, metavar="[CLIENT]", required=False)
@json_option
@repo_options
def stages(settings: Settings, client_id: str | None, as_json: bool) -> None:
    """The workflow's stages; with CLIENT, where the client is and what is still needed to move on.

    With --json, each requirement as data (its check's id, its parameters, its words) and, under
    `checks`, every check the workflow uses with its declared parameters (name, type, meaning,
    default, required).
    """

    repo = settings.repo()
    workflow = repo.workflow_spec
    listing: list[dict[str, Any]] = [
        {
            "id": stage.id,
            "title": stage.title,
            "final": stage.final,
            "next": [t.target for t in workflow.transitions_from(stage.id)],
            "to_leave": [repo.workflow.describe(r) for r in stage.exit_requirements],
            "requirements": [_requirement(r, repo.workflow.describe) for r in stage.exit_requirements],
            "transitions": [
                {
                    "to": t.target,
                    "requirements": [_requirement(r, repo.workflow.describe) for r in t.requirements],
                    "with_exit_requirements": t.exit_requirements,
                }
                for t in workflow.transitions_from(stage.id)
            ],
        }
        for stage in workflow.stages
    ]
    if client_id is None:
        if as_json:
            used = {r["check"] for s in listing for r in [*s["requirements"], *_of_transitions(s)]}
            emit_json(
                {
                    "workflow": workflow.id,
                    "stages": listing,
                    "monitoring": dict(workflow.monitoring),
                    "checks": _checks(repo.host.checks(), used, repo.host.owners("checks")),
                }
            )
            return
        click.echo(click.style(f"{workflow.title} ({workflow.id})", bold=True))
        table(
            [(s["id"], s["title"], s["next"], "; ".join(s["to_leave"])) for s in listing],
            ["STAGE", "TITLE", "NEXT", "TO LEAVE"],
        )
        return
    current = repo.workflow.current_stage(client_id)
    evaluations = [repo.workflow.evaluate(client_id, t.target) for t in workflow.transitions_from(current)]
    if as_json:
        emit_json(
            {"workflow": workflow.id, "client": client_id, "stage": current, "next": [e.as_json() for e in evaluations]}
        )
        return
    click.echo(click.style(f"{client_id}", bold=True) + f" is in stage {current} ({workflow.id})")
    for evaluation in evaluations:
        mark = click.style("ready", fg="green") if evaluation.ok else click.style("not yet", fg="yellow")
        click.echo(f"\n→ {evaluation.target}: {mark}")
        for status in evaluation.requirements:
            if not status.applies:
                continue  # a discharge for another reason: what this one does not need
            symbol = click.style("✓", fg="green") if status.met else click.style("✗", fg="red")
            click.echo(f"  {symbol} {status.description}")
            for line in status.missing:
                click.echo(f"      {line}")
        for veto in evaluation.vetoes:
            click.echo(f"  {click.style('✗', fg='red')} refused by a plugin: {veto}")


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.option("--to", "target", metavar="STAGE", help="The stage to move to (needed where there is a choice).")
@click.option("--reason", help="Why (required for some moves, e.g. reopening a discharged case).")
@click.option("--dry-run", is_flag=True, help="Only say whether the move is possible and what is missing.")
@json_option
@repo_options
def advance(
    settings: Settings, client_id: str, target: str | None, reason: str | None, dry_run: bool, as_json: bool
) -> None:
    """Move a client to the next stage, or list every requirement that is not met yet (exit 1).

    The move is one commit: the stage and its history in client.yaml, plus any document the new
    stage starts with (entering planning creates plan.yaml from its skeleton).
    """
    from caseflow.workflow import engine

    repo = settings.repo()
    if dry_run:
        evaluation = repo.workflow.evaluate(client_id, target, reason)
        if as_json:
            emit_json({**evaluation.as_json(), "commit": None})
        elif evaluation.ok:
            done(f"{client_id} can move from {evaluation.source} to {evaluation.target}")
        if not evaluation.ok:
            if not as_json:
                for line in engine.RequirementsNotMet(evaluation).lines():
                    click.echo(line, err=True)
            raise SystemExit(1)
        return
    try:
        evaluation, change = repo.workflow.advance(settings.actor(), client_id, target, reason)
    except engine.RequirementsNotMet as refused:
        if as_json:
            emit_json({**refused.evaluation.as_json(), "commit": None})
        raise
    if as_json:
        emit_json({**evaluation.as_json(), "commit": change.commit})
        return
    done(f"{client_id}: {change.source} → {change.target} (commit {(change.commit or '')[:8]})")


@click.command()
@click.argument("client_id", metavar="CLIENT", type=ID)
@click.option("--reason", required=True, metavar="REASON", help=f"Why the case closes: {', '.join(REASON_TITLES)}.")
@click.option("--date", "on", metavar="YYYY-MM-DD", help="The discharge date (default: today; never in the future).")
@click.option("--note", help="The outcome, in your words (default: the reason's title).")
@click.option("--transferred-to", metavar="TEXT", help="Transferred: the agency or program taking over.")
@click.option(
    "--goal",
    "goals",
    multiple=True,
    metavar="GOAL_ID=STATUS",
    help="How a plan goal ended: met, partly-met or not-met. Repeatable.",
)
@json_option
@repo_options
def discharge(
    settings: Settings,
    client_id: str,
    reason: str,
    on: str | None,
    note: str | None,
    transferred_to: str | None,
    goals: tuple[str, ...],
    as_json: bool,
) -> None:
    """Close a case from any stage: the discharge summary and the move to discharged, one commit.

    What it needs depends on the reason: completed needs an outcome for every plan goal, no open
    referral and a supervisor's approval of the summary; lost-contact needs 2 attempts to reach the
    client in the last 30 days (caseflow visit CLIENT --type phone --not-reached); transferred needs
    --transferred-to; declined-services, moved and deceased need only the summary. Refused: every
    missing thing is listed and nothing is written.
    """
    from caseflow.workflow import engine
    from caseflow.workflow.discharge import Closing, parse_goals

    repo = settings.repo()
    closing = Closing(reason, on, note, transferred_to, parse_goals(goals))
    try:
        evaluation, change = repo.workflow.discharge(settings.actor(), client_id, closing)
    except engine.RequirementsNotMet as refused:
        if as_json:
            emit_json({**refused.evaluation.as_json(), "hints": list(refused.hints), "commit": None})
        raise
    if as_json:
        emit_json({**evaluation.as_json(), "commit": change.commit})
        return
    done(f"{client_id}: {change.source} → discharged (commit {(change.commit or '')[:8]})")


def _decide(settings: Settings, client_id: str, document: str, decision: str, comment: str | None) -> None:
    repo = settings.repo()
    if decision == "approved":
        saved = repo.workflow.approve(settings.actor(), client_id, document, comment)
    else:
        saved = repo.workflow.reject(settings.actor(), client_id, document, comment or "")
    done(f"{decision} {document} of {client_id} (commit {(saved.commit or '')[:8]})")


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("document", metavar="DOC")
@click.option("--comment", help="A note for the author.")
@repo_options
def approve(settings: Settings, client_id: str, document: str, comment: str | None) -> None:
    """Approve the current version of a document (supervisors; not one's own change).

    The approval is bound to this exact version: any later change makes it stale.
    """
    _decide(settings, client_id, document, "approved", comment)


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@click.argument("document", metavar="DOC")
@click.option("--comment", required=True, help="What the author should change.")
@repo_options
def reject(settings: Settings, client_id: str, document: str, comment: str) -> None:
    """Send a document back to its author with a comment."""
    _decide(settings, client_id, document, "rejected", comment)


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT")
@json_option
@repo_options
def log(settings: Settings, client_id: str, as_json: bool) -> None:
    """The client's timeline from git history: when, who, what, which documents."""

    entries = settings.repo().workflow.timeline(client_id)
    if as_json:
        emit_json([e.as_json() for e in entries])
        return
    table(
        [
            (
                e.date[:16].replace("T", " "),
                e.author,
                f"{e.action} {e.stage}" if e.stage else e.action,
                ", ".join(f"{p} ({c})" for p, c in e.documents),
            )
            for e in entries
        ],
        ["WHEN", "WHO", "ACTION", "DOCUMENTS"],
        empty="(no history)",
    )
