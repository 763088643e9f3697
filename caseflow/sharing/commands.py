"""Sharing commands: clone and sync through a shared remote, git's merge driver, and resolve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from caseflow.cli.context import (
    Settings,
    counted,
    done,
    emit_json,
    json_option,
    repo_options,
    table,
)
from caseflow.cli.params import ID
from caseflow.errors import UsageError
from caseflow.hookspecs import hookimpl


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
    from caseflow.sharing.driver import field_name

    repo = settings.repo()
    conflicts = repo.sharing.merge_driver(base, mine, theirs, path)
    if not conflicts:
        return
    for conflict in conflicts:  # field names only: the values (a name, a note) stay out of terminals and logs
        where = field_name(list(conflict.path))
        click.echo(f"conflict: {path}: {where} changed on both sides (caseflow resolve shows both)", err=True)
    raise SystemExit(1)


@click.command()
@click.argument("client_id", type=ID, metavar="CLIENT", required=False)
@click.argument("document", metavar="[DOC]", required=False)
@click.argument("field", metavar="[FIELD]", required=False)
@click.option("--take", metavar="mine|theirs|VALUE", help="Which value the field keeps.")
@json_option
@repo_options
def resolve(
    settings: Settings, client_id: str | None, document: str | None, field: str | None, take: str | None, as_json: bool
) -> None:
    """Settle a merge conflict field by field; with no --take, list what is left to settle.

    Each conflict shows both values and who made each change. When the last field of a document is
    settled, the file is staged, and `caseflow sync` commits the merge and goes on. A conflict over
    a whole document (two notes made under one name) is settled with `CLIENT DOC --take mine` (or
    theirs): both documents are kept, the one taken under the name, the other beside it.
    """
    from caseflow.sharing.driver import field_name
    from caseflow.sharing.keepboth import KeptBoth

    repo = settings.repo()
    if take is None:
        if field is not None:
            raise UsageError("say which value the field keeps: --take mine|theirs|VALUE")
        records = [u for u in repo.sharing.unsettled() if client_id is None or f"/{client_id}/" in f"/{u.path}"]
        if as_json:
            emit_json([u.as_json() for u in records])
            return
        rows = [
            (u.path, field_name(c["path"]), _side(c, "mine", u.mine_author), _side(c, "theirs", u.theirs_author))
            for u in records
            for c in u.conflicts
        ]
        table(rows, ["DOCUMENT", "FIELD", "MINE", "THEIRS"], empty="(no conflicts)")
        return
    if client_id is None or document is None:
        raise UsageError("give CLIENT DOC [FIELD] --take mine|theirs|VALUE")
    left = repo.sharing.resolve(client_id, document, field, take)
    if isinstance(left, KeptBoth):
        other = left.sibling.split("/", 2)[-1]  # its name in the client folder
        theirs = f"{left.theirs_author}'s" if left.theirs_author else "theirs"
        kept, beside = ("yours", theirs) if left.taken == "mine" else (theirs, "yours")
        done(f"{document}: two documents, both kept: {kept} under this name, {beside} as {other}; now caseflow sync")
    elif left is None:
        done(f"{document}: every conflict settled; the file is staged (caseflow sync commits the merge)")
    else:
        done(f"{field} settled; {len(left.conflicts)} left in {document}")


def _side(conflict: dict[str, Any], side: str, author: str | None) -> str:
    value = "(its own document)" if not conflict["path"] else repr(conflict[side])
    return f"{value} ({author})"


@click.command("clone")
@click.argument("url")
@click.argument("path", type=click.Path(path_type=Path))
def clone_command(url: str, path: Path) -> None:
    """Clone a shared case repository (https://, ssh://, git@host:path or a local path)."""
    from caseflow.repo import open_repo
    from caseflow.sharing.sync import clone

    target = clone(url, path)
    open_repo(target).sharing.ensure_driver()
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

    report = settings.repo().sharing.sync(settings.actor(), remote)
    if report.recovered:
        click.echo(f"warning: {report.recovered}", err=True)
    if as_json:
        emit_json(report.as_json())
    else:
        where = f"{remote}/{report.branch}"
        said = [f"sent {counted(report.went_out, 'commit')}"] if report.went_out else []
        said += [f"received {counted(report.received, 'commit')}"] if report.received or report.came_in else []
        if said:  # "sent 2 commits, received 1 commit (origin/main)"
            click.echo(f"{', '.join(said)} ({where})")
        for who, changes in report.came_in.items():
            click.echo(f"  received for {who}: {', '.join(changes)}")
        if not (report.came_in or report.went_out or report.conflicts or report.problems):
            click.echo(f"up to date with {remote}/{report.branch}")
    for path in report.conflicts:
        click.echo(click.style("conflict: ", fg="red") + f"{path} (caseflow resolve; then caseflow sync)", err=True)
    for problem in report.problems:
        click.echo(click.style("invalid: ", fg="red") + problem, err=True)
    if report.problems:
        click.echo("the merged result does not validate: nothing was pushed; fix it, commit, then sync", err=True)
    for problem in report.access_problems:  # the case files synced; the record of who saw them did not
        click.echo(click.style("access record: ", fg="red") + problem, err=True)
    if report.conflicts or report.problems or report.access_problems:
        raise SystemExit(1)


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (
        merge_driver,
        resolve,
        clone_command,
        sync,
    ):
        cli.add_command(command)
