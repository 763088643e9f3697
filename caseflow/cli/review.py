"""Team commands: diff and review (supervisors), merge-driver and resolve (merging), clone and sync."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from caseflow.cli.context import (
    DefaultCommandGroup,
    Settings,
    done,
    emit_json,
    json_option,
    refuse_inside,
    repo_options,
    table,
    write_private,
)
from caseflow.errors import NotFound, UsageError


def register(cli: click.Group) -> None:
    for command in (diff, review, merge_driver, resolve, clone_command, sync, audit, report, export_command):
        cli.add_command(command)


@click.command()
@click.argument("client_id", metavar="CLIENT")
@click.argument("document", metavar="[DOC]", required=False)
@click.option("--since", metavar="REV", help="Compare with the version at this git revision.")
@click.option("--since-approval", is_flag=True, help="Compare with the version a supervisor last approved.")
@json_option
@repo_options
def diff(
    settings: Settings, client_id: str, document: str | None, since: str | None, since_approval: bool, as_json: bool
) -> None:
    """What changed in a client's documents, field by field in the form's own words.

    Without --since, each document is compared with the version before its last change (or, if it
    has uncommitted edits, with HEAD). List items are matched by id, not position.
    """
    from caseflow.review import diff as compute

    found = compute(settings.repo(), client_id, document, since=since, since_approval=since_approval)
    if as_json:
        emit_json([d.as_json() for d in found])
        return
    if not found:
        click.echo("(no changes)")
    for item in found:
        _print_diff(item)


def _print_diff(item: Any) -> None:
    click.echo(click.style(f"{item.path}", bold=True) + f"  (since {item.since})")
    for line in item.lines:
        colour = "green" if " added" in line else "red" if " removed" in line else "yellow"
        click.echo("  " + click.style(line, fg=colour))
    for line in item.body:
        click.echo("  " + click.style(line, fg="green" if line.startswith("+") else "red"))


@click.command()
@click.argument("client_id", metavar="[CLIENT]", required=False)
@click.option("--worker", metavar="STAFF", help="Only this case manager's clients.")
@click.option("--approve", "decision", flag_value="approve", help="Approve every pending document of CLIENT.")
@click.option("--reject", "comment", metavar="COMMENT", help="Send every pending document of CLIENT back, saying why.")
@json_option
@repo_options
def review(
    settings: Settings,
    client_id: str | None,
    worker: str | None,
    decision: str | None,
    comment: str | None,
    as_json: bool,
) -> None:
    """Documents awaiting approval: changed since their last approval, or never approved.

    With CLIENT, all of that client's pending changes are shown together, with their semantic diffs
    since the approved versions; then --approve or --reject COMMENT decides them all (on a
    terminal, you are asked). Each decision is one commit, bound to the version reviewed.
    """
    from caseflow.review import diff as compute
    from caseflow.review import pending_reviews

    repo = settings.repo()
    if worker and repo.config.staff_member(worker) is None:
        raise NotFound(f"no staff member '{worker}' (caseflow staff list)")
    if client_id is None:
        if decision or comment:
            raise UsageError("--approve and --reject decide one client's changes: give CLIENT")
        pending = pending_reviews(repo, worker)
        if as_json:
            emit_json([p.as_json() for p in pending])
            return
        rows = [
            (p.client, p.path, p.author, f"{p.age_days} d" if p.age_days is not None else "-", p.summary)
            for p in pending
        ]
        table(rows, ["CLIENT", "DOCUMENT", "AUTHOR", "AGE", "WHAT CHANGED"], empty="(nothing awaits approval)")
        return
    if decision and comment:
        raise UsageError("give --approve or --reject, not both")
    pending = [p for p in pending_reviews(repo) if p.client == client_id]
    diffs = [d for p in pending for d in compute(repo, client_id, p.path, since_approval=True)]
    if as_json and not (decision or comment):
        emit_json(
            {"client": client_id, "pending": [p.as_json() for p in pending], "diffs": [d.as_json() for d in diffs]}
        )
        return
    if not pending:
        click.echo(f"nothing of {client_id} awaits approval")
        return
    for item in diffs:
        _print_diff(item)
    if not (decision or comment):
        if not sys.stdin.isatty():
            click.echo("\ndecide with --approve or --reject COMMENT")
            return
        answer = click.prompt("\napprove all [a], send back [r], or leave [l]", default="l")
        if answer.lower().startswith("a"):
            decision = "approve"
        elif answer.lower().startswith("r"):
            comment = click.prompt("why (the author sees this)")
        else:
            return
    actor = settings.actor()
    if decision == "approve":  # every document checked before the first commit: all or nothing
        from caseflow.approvals import check_decision

        for waiting in pending:
            check_decision(repo, actor, client_id, repo.resolve_document(client_id, waiting.path), "approved")
    for waiting in pending:
        if decision == "approve":
            saved = repo.approve(actor, client_id, waiting.path)
        else:
            saved = repo.reject(actor, client_id, waiting.path, comment or "")
        verb = "approved" if decision == "approve" else "sent back"
        done(f"{waiting.path} {verb} (commit {(saved.commit or '')[:8]})")


@click.command("merge-driver")
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("mine", type=click.Path(path_type=Path))
@click.argument("theirs", type=click.Path(path_type=Path))
@click.argument("path")
@repo_options
def merge_driver(settings: Settings, base: Path, mine: Path, theirs: Path, path: str) -> None:
    """git's merge driver for case documents (git calls it as %O %A %B %P): field by field.

    A field both sides changed differently is left unmerged (our value in the file, never conflict
    markers) and explained; `caseflow resolve` settles it.
    """
    from caseflow.merging import field_name, run_driver

    repo = settings.repo()
    conflicts = run_driver(repo, base, mine, theirs, path)
    if not conflicts:
        return
    for conflict in conflicts:  # field names only: the values (a name, a note) stay out of terminals and logs
        where = field_name(list(conflict.path))
        click.echo(f"conflict: {path}: {where} changed on both sides (caseflow resolve shows both)", err=True)
    raise SystemExit(1)


@click.command()
@click.argument("client_id", metavar="CLIENT", required=False)
@click.argument("document", metavar="[DOC]", required=False)
@click.argument("field", metavar="[FIELD]", required=False)
@click.option("--take", metavar="mine|theirs|VALUE", help="Which value the field keeps.")
@json_option
@repo_options
def resolve(
    settings: Settings, client_id: str | None, document: str | None, field: str | None, take: str | None, as_json: bool
) -> None:
    """Settle a merge conflict field by field; with no FIELD, list what is left to settle.

    Each conflict shows both values and who made each change. When the last field of a document is
    settled, the file is staged, and the merge can be committed (or `caseflow sync` goes on).
    """
    from caseflow.merging import field_name, unsettled
    from caseflow.merging import resolve as settle

    repo = settings.repo()
    if field is None or take is None:
        if field is not None:
            raise UsageError("say which value the field keeps: --take mine|theirs|VALUE")
        records = [u for u in unsettled(repo) if client_id is None or f"/{client_id}/" in f"/{u.path}"]
        if as_json:
            emit_json([u.as_json() for u in records])
            return
        rows = [
            (u.path, field_name(c["path"]), f"{c['mine']!r} ({u.mine_author})", f"{c['theirs']!r} ({u.theirs_author})")
            for u in records
            for c in u.conflicts
        ]
        table(rows, ["DOCUMENT", "FIELD", "MINE", "THEIRS"], empty="(no conflicts)")
        return
    if client_id is None or document is None:
        raise UsageError("give CLIENT DOC FIELD --take mine|theirs|VALUE")
    left = settle(repo, client_id, document, field, take)
    if left is None:
        done(f"{document}: every conflict settled; the file is staged (commit the merge, or caseflow sync)")
    else:
        done(f"{field} settled; {len(left.conflicts)} left in {document}")


@click.command("clone")
@click.argument("url")
@click.argument("path", type=click.Path(path_type=Path))
def clone_command(url: str, path: Path) -> None:
    """Clone a shared case repository (https://, ssh://, git@host:path or a local path)."""
    from caseflow.merging import registered
    from caseflow.repo import open_repo
    from caseflow.sync import clone

    target = clone(url, path)
    registered(open_repo(target))
    done(f"cloned into {target}; caseflow's merge driver is registered there")


@click.command()
@click.option("--remote", default="origin", show_default=True, help="The remote to sync with.")
@json_option
@repo_options
def sync(settings: Settings, remote: str, as_json: bool) -> None:
    """Fetch, merge field by field, validate, push (never forcing); report what came in and went out.

    A conflict stops the sync with the merge in progress: settle it with `caseflow resolve`, then
    sync again. A result that does not validate is not pushed.
    """
    from caseflow.sync import sync as run

    report = run(settings.repo(), settings.actor(), remote)
    if as_json:
        emit_json(report.as_json())
    else:
        for who, changes in report.came_in.items():
            click.echo(f"in  {who}: {', '.join(changes)}")
        if report.went_out:
            click.echo(f"out {report.went_out} commit{'s' if report.went_out != 1 else ''} to {remote}/{report.branch}")
        if not (report.came_in or report.went_out or report.conflicts or report.problems):
            click.echo(f"up to date with {remote}/{report.branch}")
    for path in report.conflicts:
        click.echo(click.style("conflict: ", fg="red") + f"{path} (caseflow resolve; then caseflow sync)", err=True)
    for problem in report.problems:
        click.echo(click.style("invalid: ", fg="red") + problem, err=True)
    if report.problems:
        click.echo("the merged result does not validate: nothing was pushed; fix it, commit, then sync", err=True)
    if report.conflicts or report.problems:
        raise SystemExit(1)


@click.command()
@click.option("--verify", is_flag=True, help="Check the chain: an edited, removed or reordered entry is named.")
@click.option("--client", "client_id", metavar="CLIENT", help="Only disclosures of this client.")
@json_option
@repo_options
def audit(settings: Settings, verify: bool, client_id: str | None, as_json: bool) -> None:
    """The access record: every referral packet, identified report and export, who and under which consent."""
    from caseflow.core import audit as access

    repo = settings.repo()
    entries = [e for e in access.entries(repo.root) if client_id is None or client_id in e.clients]
    problems = access.verify(repo.root) if verify else []
    if as_json:
        emit_json(
            {"entries": [e.as_json() for e in entries], "verified": verify and not problems, "problems": problems}
        )
    else:
        rows = [(e.seq, e.at[:16].replace("T", " "), e.who, e.action, e.what, e.clients, e.consent) for e in entries]
        table(rows, ["#", "WHEN (UTC)", "WHO", "ACTION", "WHAT", "CLIENTS", "UNDER"], empty="(no disclosures recorded)")
        if verify and not problems:
            done(f"the access record is intact: {len(access.entries(repo.root))} entries, each chained to the last")
    for problem in problems:
        click.echo(click.style("tampered: ", fg="red") + problem, err=True)
    if problems:
        raise SystemExit(1)


@click.group(cls=DefaultCommandGroup)
def report() -> None:
    """Run a report, or list them."""


@report.command("default")
@click.argument("name")
@click.option("--period", "month", metavar="YYYY-MM", help="One month.")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="From this day (default: the 1st of this month).")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="To this day (default: today).")
@click.option("--worker", metavar="STAFF", help="Only this case manager's clients.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "csv"]), default="md", show_default=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write it here (default: stdout).")
@repo_options
def report_run(
    settings: Settings,
    name: str,
    month: str | None,
    start: str | None,
    end: str | None,
    worker: str | None,
    fmt: str,
    out: Path | None,
) -> None:
    """Run a report (`caseflow report list` names them): de-identified unless it names clients.

    De-identified reports suppress every count below the small-cell threshold (default 11) and any
    count that would reveal one; reports that name clients need a role in reports.identified_roles
    and are written to the access record.
    """
    from caseflow.reports import run_report

    repo = settings.repo()
    if out is not None:
        refuse_inside(repo, out)
    rendered = run_report(
        repo, settings.actor(), name, fmt=fmt, month=month, start=start, end=end, worker=worker
    )  # fmt: skip
    if out is None:
        click.echo(rendered.text, nl=not rendered.text.endswith("\n"))
        return
    write_private(out, rendered.text)
    done(f"wrote {rendered.report.title} ({rendered.start} to {rendered.end}) to {out}")


@report.command("list")
@json_option
@repo_options
def report_list(settings: Settings, as_json: bool) -> None:
    """The reports plugins provide."""
    reports = settings.repo().host.reports()
    rows = [
        {
            "id": r.id,
            "title": r.title,
            "identified": r.identified,
            "formats": list(r.formats),
            "description": r.description,
        }
        for r in reports.values()
    ]
    if as_json:
        emit_json(rows)
        return
    table(
        [(r["id"], "names clients" if r["identified"] else "de-identified", r["description"]) for r in rows],
        ["REPORT", "KIND", "WHAT"],
    )


@click.command("export")
@click.argument("client_id", metavar="CLIENT")
@click.option("--format", "fmt", required=True, metavar="FORMAT", help="An export format a plugin provides (fhir).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write it here (default: stdout).")
@click.option("--to", metavar="PROVIDER_ID", help="An outside recipient: the consent gate applies.")
@click.option("--purpose", help="Why it goes to the recipient (a consent must cover it).")
@click.option("--information", multiple=True, help="What it carries (a consent must cover it). Repeatable.")
@repo_options
def export_command(
    settings: Settings,
    client_id: str,
    fmt: str,
    out: Path | None,
    to: str | None,
    purpose: str | None,
    information: tuple[str, ...],
) -> None:
    """Export one client's record in another system's format, such as a FHIR R4 Bundle.

    Exports name the client: they need a role in reports.identified_roles and are written to the
    access record; with --to, the consent gate applies as for a referral.
    """
    from caseflow.exports import export

    repo = settings.repo()
    if out is not None:
        refuse_inside(repo, out)
    data = export(repo, settings.actor(), client_id, fmt, to=to, purpose=purpose, information=information)
    if out is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    write_private(out, data)
    done(f"exported {client_id} as {fmt} to {out}")
