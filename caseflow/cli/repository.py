"""Repository commands: init, staff, plugins, forms, validate, index, demo."""

from __future__ import annotations

from pathlib import Path

import click

from caseflow.cli.context import Settings, done, emit_json, json_option, progress_bar, repo_options, table, warn
from caseflow.core.config import ROLES
from caseflow.errors import AlreadyExists


def register(cli: click.Group) -> None:
    for command in (init, staff, plugins, forms, validate, index, demo):
        cli.add_command(command)


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--agency", required=True, help="The agency's name, as reports should show it.")
@click.option(
    "--timezone", default="UTC", show_default=True, help="IANA time zone of the agency, e.g. America/Chicago."
)
def init(path: Path, agency: str, timezone: str) -> None:
    """Create a new, empty case repository at PATH (a git repository with caseflow.yaml)."""
    from caseflow.bootstrap import init_repository

    init_repository(path, agency=agency, timezone=timezone)
    done(f"created a case repository in {path}")
    click.echo(f"Next: cd {path} && caseflow staff add ID --name NAME --email EMAIL --role supervisor")


@click.group()
def staff() -> None:
    """The people who use this repository, and their roles."""


@staff.command("add")
@click.argument("staff_id", metavar="ID")
@click.option("--name", required=True, help="Full name (appears as the author of their commits).")
@click.option("--email", required=True, help="Email; matched against git user.email to know who is acting.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--supervisor", metavar="STAFF_ID", help="Who supervises this person.")
@repo_options
def staff_add(settings: Settings, staff_id: str, name: str, email: str, role: str, supervisor: str | None) -> None:
    """Add a member of staff. Once anyone is on the list, only a supervisor or director can add more."""
    repo = settings.repo()
    actor = settings.actor() if repo.config.staff else None
    member = repo.add_staff(actor, staff_id=staff_id, name=name, email=email, role=role, supervisor=supervisor)
    done(f"added {member.id} ({member.role})")


@staff.command("list")
@json_option
@repo_options
def staff_list(settings: Settings, as_json: bool) -> None:
    """List staff and roles."""
    members = settings.repo().config.staff
    if as_json:
        emit_json([m.as_json() for m in members])
        return
    table([(m.id, m.name, m.role, m.email) for m in members], ["ID", "NAME", "ROLE", "EMAIL"])


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Include caseflow's built-in default plugins.")
@json_option
@repo_options
def plugins(settings: Settings, show_all: bool, as_json: bool) -> None:
    """List loaded plugins: version, hooks implemented and what each contributes."""
    from caseflow.plugins import PluginPolicy, not_installed

    repo = settings.repo()
    for name in not_installed(PluginPolicy.from_config(repo.config.plugins)):
        warn(f"plugin '{name}' is allowed (caseflow.yaml or $CASEFLOW_PLUGINS) but not installed")
    infos = [i for i in repo.host.describe() if show_all or not i.default]
    if as_json:
        emit_json([i.as_json() for i in infos])
        return
    rows = [
        (i.name, i.version, ", ".join(i.hooks), "; ".join(f"{k}: {', '.join(v)}" for k, v in i.contributes.items()))
        for i in infos
    ]
    table(
        rows,
        ["PLUGIN", "VERSION", "HOOKS", "CONTRIBUTES"],
        empty="(no plugins loaded; --all shows the built-in ones)",
    )


@click.command()
@json_option
@repo_options
def forms(settings: Settings, as_json: bool) -> None:
    """List the forms documents can use (built-in and from plugins)."""
    repo = settings.repo()
    rows = [
        {
            "id": f.id,
            "title": f.title,
            "kind": f.kind,
            "path": f.path,
            "plugin": repo.host.form_owner(f.id),
            "description": f.description,
        }
        for f in sorted(repo.forms.values(), key=lambda f: f.id)
    ]
    if as_json:
        emit_json(rows)
        return
    table([(r["id"], r["title"], r["kind"], r["path"]) for r in rows], ["FORM", "TITLE", "KIND", "PATH"])


@click.command()
@click.argument("clients", nargs=-1, metavar="[CLIENT]...")
@json_option
@repo_options
def validate(settings: Settings, clients: tuple[str, ...], as_json: bool) -> None:
    """Check every document (or those of the given clients) against its form.

    Each problem is printed as path:line:col: message. Exits 1 if there is any.
    """
    with progress_bar("validating", err_terminal=not as_json) as progress:
        report = settings.repo().validate(list(clients) or None, progress=progress)
    if as_json:
        emit_json({"ok": report.ok, "documents": report.documents, "problems": [p.as_json() for p in report.problems]})
    else:
        for problem in report.problems:
            click.echo(str(problem))
        summary = f"{_count(report.documents, 'document')} checked, {_count(len(report.problems), 'problem')}"
        click.echo(click.style(summary, fg="green" if report.ok else "red"), err=True)
    if not report.ok:
        raise SystemExit(1)


@click.command()
@click.option("--rebuild", is_flag=True, help="Delete the index and build it again from every document.")
@click.option(
    "--verify", is_flag=True, help="Compare the index with a full reparse of every document; exit 1 if they differ."
)
@json_option
@repo_options
def index(settings: Settings, rebuild: bool, verify: bool, as_json: bool) -> None:
    """Bring the local index (.caseflow/index.sqlite) up to date and say what it holds.

    The index keeps every document as parsed, and what was worked out from it, by git blob id, so
    that read commands only reparse what changed. It is local and never committed; deleting it
    loses nothing. --rebuild starts it afresh (on every core, with a progress bar); --verify checks
    it against the documents themselves.
    """
    from caseflow import indexing

    if rebuild and verify:
        raise click.UsageError("give --rebuild or --verify, not both")
    label = "rebuilding the index" if rebuild else "verifying the index" if verify else "indexing"
    with progress_bar(label, err_terminal=not as_json) as progress:
        repo = settings.repo()
        action = indexing.rebuild if rebuild else indexing.verify if verify else indexing.status
        state = action(repo, progress)
    if as_json:
        emit_json(state.as_json())
    else:
        for line in state.mismatches:
            click.echo(line)
        summary = (
            f"{_count(state.documents, 'document')} of {_count(state.clients, 'client')} indexed"
            f" ({_count(state.unreadable, 'unreadable document')}, {_count(state.changed, 'uncommitted file')};"
            f" {state.size_bytes / 1e6:.1f} MB) in {state.seconds:.2f} s"
        )
        if state.verified:
            verdict = (
                "matches a full reparse" if not state.mismatches else f"{_count(len(state.mismatches), 'difference')}"
            )
            summary += f"; {verdict}"
        click.echo(click.style(summary, fg="red" if state.mismatches else "green"), err=True)
    if state.mismatches:
        raise SystemExit(1)


@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path), default=Path("caseflow-demo"))
@click.option("--force", is_flag=True, help="Replace PATH if it already holds an earlier demo.")
def demo(path: Path, force: bool) -> None:
    """Build a demo agency repository at PATH (default ./caseflow-demo) with weeks of history, and tour it."""
    from caseflow.demo import build_demo, tour, write_report

    if path.exists() and any(path.iterdir()) and not force:
        raise AlreadyExists(f"{path} is not empty; choose another PATH or pass --force to rebuild the demo there")
    build_demo(path, replace=force)
    write_report(path)
    click.echo(tour(path))


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
