"""``caseflow household new|show|list|contact|plan|approve|reject``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from caseflow.cli.context import Settings, done, emit_json, json_option, read_text_file, repo_options, table
from caseflow.cli.params import ID, STAFF
from caseflow.errors import UsageError
from caseflow.hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(household)


@click.group()
def household() -> None:
    """Households: members, the family plan, family contacts."""


@household.command("new")
@click.option("--member", "members", multiple=True, metavar="CLIENT[:RELATIONSHIP]", help="A client member.")
@click.option(
    "--person", "persons", multiple=True, metavar="NAME:RELATIONSHIP[:BIRTH_YEAR]", help="A member who is not a client."
)
@click.option("--worker", type=STAFF, metavar="STAFF_ID", help="The responsible case manager (default: you).")
@json_option
@repo_options
def household_new(
    settings: Settings, members: tuple[str, ...], persons: tuple[str, ...], worker: str | None, as_json: bool
) -> None:
    """Make a household (households/<H-ID>/household.yaml), one commit; prints its id."""
    household_id, saved = settings.repo().households.create(settings.actor(), members, persons, worker)
    if as_json:
        emit_json({"id": household_id, "path": saved.path, "commit": saved.commit})
        return
    click.echo(household_id)
    done(f"recorded {saved.path} (commit {(saved.commit or '')[:8]})")


@household.command("show")
@click.argument("household_id", type=ID, metavar="HOUSEHOLD")
@json_option
@repo_options
def household_show(settings: Settings, household_id: str, as_json: bool) -> None:
    """Members, the family plan, family contacts and what is due (--json: ids and codes only)."""
    repo = settings.repo()
    summary = repo.households.summary(household_id, identified=not as_json)
    if as_json:
        emit_json(summary)
        return
    from caseflow.core import access_record  # the text names people: who saw them is recorded

    clients = [m["client"] for m in summary["members"] if m.get("client")]
    access_record.record(repo.root, who=settings.actor().id, action="show", what="household record", clients=clients)
    click.echo(f"Household {summary['id']} (case manager {summary['worker']}, since {summary['created']})")
    click.echo("\nMembers:")
    rows = [
        [m["id"], m.get("client") or f"{m.get('name')} (not a client)", m.get("relationship"), m.get("birth_year")]
        for m in summary["members"]
    ]
    table([[cell or "" for cell in row] for row in rows], ["member", "who", "relationship", "born"])
    plan = summary["family_plan"]
    click.echo("\nFamily plan:" if plan else "\nFamily plan: none (caseflow household plan)")
    if plan:
        click.echo(f"  {plan['status']}; review {plan['review_date']}")
        for goal in plan["goals"]:
            click.echo(f"  {goal['id']}: {goal['title']} ({goal['status']})")
            for o in goal["objectives"]:
                click.echo(f"    {o['id']}: {o['statement']} — {o['member']}, by {o['target_date']}")
    click.echo("\nFamily contacts:")
    table([[c["date"], c["type"], " ".join(c["present"]), c["path"]] for c in summary["contacts"]],
          ["date", "type", "present", "note"])  # fmt: skip
    click.echo("\nDue:")
    table([[d["due"], d["reason"]] for d in summary["due"]], ["due", "what"])
    for problem in summary["problems"]:
        click.echo(click.style(problem, fg="red"))


@household.command("list")
@json_option
@repo_options
def household_list(settings: Settings, as_json: bool) -> None:
    """Every household: id, case manager, members (clients and others), family plan status."""
    repo = settings.repo()
    rows: list[dict[str, Any]] = []
    for household_id in repo.households.ids():
        summary = repo.households.summary(household_id, identified=False)
        plan = summary["family_plan"]
        rows.append(
            {
                "id": household_id,
                "worker": summary["worker"],
                "clients": [m["client"] for m in summary["members"] if m.get("client")],
                "other_members": sum(1 for m in summary["members"] if not m.get("client")),
                "family_plan": plan["status"] if plan else "none",
                "contacts": len(summary["contacts"]),
                "due": summary["due"],
            }
        )
    if as_json:
        emit_json(rows)
        return
    table(
        [
            [r["id"], r["worker"], " ".join(r["clients"]), r["other_members"], r["family_plan"], r["contacts"],
             f"{r['due'][0]['due']} {r['due'][0]['rule']}" if r["due"] else ""]
            for r in rows
        ],
        ["household", "worker", "clients", "others", "family plan", "contacts", "next due"],
    )  # fmt: skip


@household.command("contact")
@click.argument("household_id", type=ID, metavar="HOUSEHOLD")
@click.option("--present", "present", multiple=True, required=True, metavar="CLIENT|MEMBER_ID", help="Who took part.")
@click.option(
    "--type", "kind", default="home", show_default=True,
    type=click.Choice(["office", "home", "hospital", "phone", "video"]), help="Where or how.",
)  # fmt: skip
@click.option("--date", "on", metavar="YYYY-MM-DD", help="When (default: today; never in the future).")
@click.option("--duration", type=int, metavar="MIN", help="Length in minutes.")
@click.option("--note", help="The note's text.")
@click.option(
    "--note-file", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="The note, from a file."
)
@json_option
@repo_options
def household_contact(
    settings: Settings,
    household_id: str,
    present: tuple[str, ...],
    kind: str,
    on: str | None,
    duration: int | None,
    note: str | None,
    note_file: Path | None,
    as_json: bool,
) -> None:
    """Record a family contact once, linked to each client present (their due lists count it)."""
    if note is not None and note_file is not None:
        raise UsageError("give --note or --note-file, not both")
    text = read_text_file(note_file, "--note-file") if note_file is not None else note
    saved, links = settings.repo().households.record_contact(
        settings.actor(), household_id, present, kind, on=on, duration_minutes=duration, note=text
    )
    if as_json:
        emit_json({"path": saved.path, "linked": [s.path for s in links], "commit": saved.commit})
        return
    done(f"recorded {saved.path}, linked from {len(links)} client folder(s) (commit {(saved.commit or '')[:8]})")


@household.command("plan")
@click.argument("household_id", type=ID, metavar="HOUSEHOLD")
@click.argument("assignments", nargs=-1, metavar="[FIELD=VALUE]...")
@repo_options
def household_plan(settings: Settings, household_id: str, assignments: tuple[str, ...]) -> None:
    """Start the family plan (family-plan.yaml) or set its fields, as `caseflow set` does.

    e.g. 'goals[g1].title=Stable housing' 'goals[g1].status=active'
    'goals[g1].objectives[o1].statement=Apply for housing' 'goals[g1].objectives[o1].member=m2'
    """
    saved = settings.repo().households.set_plan(settings.actor(), household_id, assignments)
    done(f"recorded {saved.path} (commit {(saved.commit or '')[:8]}); it awaits a supervisor's approval")


@household.command("approve")
@click.argument("household_id", type=ID, metavar="HOUSEHOLD")
@click.option("--comment", help="A note with the decision.")
@repo_options
def household_approve(settings: Settings, household_id: str, comment: str | None) -> None:
    """Approve the family plan as committed (supervisors; bound to this version)."""
    saved = settings.repo().households.decide(settings.actor(), household_id, "approved", comment)
    done(f"approved family-plan.yaml of {household_id} (commit {(saved.commit or '')[:8]})")


@household.command("reject")
@click.argument("household_id", type=ID, metavar="HOUSEHOLD")
@click.option("--comment", required=True, help="What to change.")
@repo_options
def household_reject(settings: Settings, household_id: str, comment: str) -> None:
    """Send the family plan back with what to change."""
    saved = settings.repo().households.decide(settings.actor(), household_id, "rejected", comment)
    done(f"sent back family-plan.yaml of {household_id} (commit {(saved.commit or '')[:8]})")
