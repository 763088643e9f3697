"""Commands: verify, signing, server, upgrade."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from caseflow.cli.context import Settings, done, emit_json, json_option, repo_options, warn
from caseflow.hookspecs import hookimpl


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (verify, signing, server, upgrade):
        cli.add_command(command)


@click.command()
@click.option("--since", metavar="REV", help="Only the commits after REV (a tag, a commit, origin/main).")
@json_option
@repo_options
def verify(settings: Settings, since: str | None, as_json: bool) -> None:
    """Replay the history and check every rule.

    Signatures and authors against the staff list of the time, approvals made by an approver in
    their own commit, stage changes made by `caseflow advance` along the workflow, staff, role
    and rule changes by an admin, and no client name in any commit message or path. Each
    commit's verdict is kept, so a second run checks only new commits. Exit 1 lists each commit
    and the rule it breaks.
    """
    repo = settings.repo()
    report = repo.authority.verify(since)
    if as_json:
        emit_json(report.as_json())
    else:
        for breach in report.breaches:
            for problem in breach.problems:
                click.echo(f"commit {breach.commit[:12]} ({breach.author}, {breach.subject}): {problem}")
        if not report.signing_required:
            warn(
                "commits are not signed here: authors are checked as git recorded them, which proves nothing "
                "(turn on signing with `caseflow signing require`)"
            )
        if report.ok and report.signing_required:
            after = f"after {report.signing_baseline[:12]} " if report.signing_baseline else ""
            done(f"{report.commits} commits keep every rule; every one {after}is signed by its author's key")
        elif report.ok:
            done(f"{report.commits} commits keep every rule")
    if not report.ok:
        click.echo(f"{len(report.breaches)} of {report.commits} commits break a rule", err=True)
        raise SystemExit(1)


@click.group()
def signing() -> None:
    """Signed commits: every commit signed with its author's registered SSH key."""


@signing.command("require")
@repo_options
def signing_require(settings: Settings) -> None:
    """Require signed commits from now on (admins only; register your own key first).

    History made before is accepted as it is, up to today's last commit (the baseline).
    """
    repo = settings.repo()
    baseline = repo.authority.require_signing(settings.actor())
    done(f"signed commits are required from now on (history up to {baseline[:12]} is the baseline)")


@click.command()
@json_option
@repo_options
def upgrade(settings: Settings, as_json: bool) -> None:
    """Move this repository to the format this caseflow writes, in one commit (admins only).

    `format:` in caseflow.yaml says which format a repository is in; a caseflow that knows only
    older formats reads a newer repository but refuses to write to it.
    """
    from caseflow.core.config import FORMAT_VERSION

    repo = settings.repo()
    if repo.config.format == FORMAT_VERSION:  # nothing to do, whoever asks
        from caseflow.authority.upgrade import Upgrade

        result = Upgrade(FORMAT_VERSION, FORMAT_VERSION)
    else:
        result = repo.authority.upgrade(settings.actor())
    if as_json:
        emit_json(result.as_json())
        return
    if not result.upgraded:
        done(f"already format {result.target}: nothing to upgrade")
        return
    for change in result.changes:
        click.echo(f"  {change}")
    if result.without_admin:
        warn(
            "nobody on the staff list has the admin right yet, so anyone on it may upgrade; add a director "
            "(caseflow staff add ID ... --role director) so that changes to the settings need an admin"
        )
    done(f"upgraded from format {result.source} to {result.target} in commit {(result.commit or '')[:12]}")


@click.group()
def server() -> None:
    """The shared remote: a hook that refuses pushes breaking caseflow's rules."""


@server.command("install")
@click.argument("path", type=click.Path(file_okay=False, exists=True, path_type=Path))
def server_install(path: Path) -> None:
    """Install the pre-receive hook in the bare repository PATH (e.g. /srv/git/agency.git).

    Every push is then replayed against the rules; a push that breaks one, rewrites history or
    deletes a branch is refused, and the reason shown to the person pushing.
    """
    from caseflow.authority.server import install

    hook = install(path.resolve())
    done(f"installed {hook}; pushes to {path} are checked")


@server.command("check", hidden=True)
def server_check() -> None:
    """Run by the pre-receive hook: read OLD NEW REF lines, exit 1 to refuse the push."""
    from caseflow.authority.server import check

    refusals = check(Path.cwd(), sys.stdin.read().splitlines())
    for refusal in refusals:
        click.echo(f"caseflow: {refusal.ref}: {refusal.reason}", err=True)
    if refusals:
        click.echo("caseflow: push refused; nothing was changed on the server", err=True)
        raise SystemExit(1)
