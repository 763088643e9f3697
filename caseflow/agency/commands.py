"""Repository commands: init, staff, plugins, forms, validate, index, demo."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from caseflow.cli.context import Settings, done, emit_json, json_option, repo_options, table, warn
from caseflow.cli.params import ID, STAFF
from caseflow.core.config import ROLES
from caseflow.errors import AlreadyExists, UsageError
from caseflow.hookspecs import hookimpl

if TYPE_CHECKING:
    from caseflow.workflow.combining import Conflict


@hookimpl
def register_commands(cli: click.Group) -> None:
    for command in (init, staff, reassign, plugins, forms, demo):
        cli.add_command(command)


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--agency", required=True, help="The agency's name, as reports should show it.")
@click.option(
    "--timezone", default="UTC", show_default=True, help="IANA time zone of the agency, e.g. America/Chicago."
)
@click.option("--admin", "admin_id", metavar="ID", help="The first member of staff: a director, with the admin right.")
@click.option("--name", help="The admin's full name (with --admin).")
@click.option("--email", help="The admin's email (with --admin).")
@click.option(
    "--key",
    "public_key",
    metavar="KEY.pub",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The admin's SSH public key, to sign commits with (with --admin).",
)
@click.option(
    "--require-signing", is_flag=True, help="Every commit after the first must be signed (needs --admin and --key)."
)
def init(
    path: Path,
    agency: str,
    timezone: str,
    admin_id: str | None,
    name: str | None,
    email: str | None,
    public_key: Path | None,
    require_signing: bool,
) -> None:
    """Create a new, empty case repository at PATH (a git repository with caseflow.yaml).

    With --admin ID --name NAME --email EMAIL the first member of staff is a director, who has
    the admin right (changes to staff, roles, keys and rules) and makes the first commit.
    """
    from caseflow.agency.init import first_admin, init_repository

    if admin_id is None:
        given = [flag for flag, value in (("--name", name), ("--email", email), ("--key", public_key)) if value]
        if given:
            raise UsageError(f"{given[0]} is the admin's: give it with --admin ID")
    elif not name or not email:
        raise UsageError("--admin needs --name and --email (the admin's, as their commits will show)")
    if require_signing and public_key is None:
        raise UsageError("--require-signing needs --admin ID ... --key KEY.pub: nobody could sign the next commit")
    admin = first_admin(admin_id, name or "", email or "", public_key) if admin_id else None
    init_repository(path, agency=agency, timezone=timezone, admin=admin, require_signing=require_signing)
    done(f"created a case repository in {path}")
    if admin is None:
        click.echo(
            f"Next: cd {path} && caseflow staff add ID --name NAME --email EMAIL --role director "
            "(the first director is the admin; `caseflow init PATH --admin ID --name NAME --email EMAIL` "
            "does this in one step)"
        )
        return
    signs = f", signing with {_fingerprint(admin.keys[0])}" if admin.keys else ""
    done(f"{admin.id} (director) is the admin{signs}")
    if require_signing:
        done("every commit after this first one must be signed by its author's registered key")
    click.echo(f"Next: cd {path} && caseflow --as {admin.id} staff add ID --name NAME --email EMAIL --role supervisor")
    if admin.keys:
        click.echo(
            f"{admin.id} signs with the private key of {public_key}: git config user.signingKey PATH "
            "in each clone, or $CASEFLOW_SIGNING_KEY"
        )
    else:
        click.echo(
            f"Then, for signed commits: caseflow --as {admin.id} staff key add {admin.id} KEY.pub "
            "&& caseflow signing require"
        )


def _fingerprint(public_key: str) -> str:
    from caseflow.core.signing import fingerprint

    return fingerprint(public_key)


@click.group()
def staff() -> None:
    """The people who use this repository, and their roles."""


@staff.command("add")
@click.argument("staff_id", type=STAFF, metavar="ID")
@click.option("--name", required=True, help="Full name (appears as the author of their commits).")
@click.option("--email", required=True, help="Email; matched against git user.email to know who is acting.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What they do (it decides what they may do).")
@click.option("--supervisor", type=STAFF, metavar="STAFF_ID", help="Who supervises this person.")
@repo_options
def staff_add(settings: Settings, staff_id: str, name: str, email: str, role: str, supervisor: str | None) -> None:
    """Add a member of staff. Once anyone is on the list, only a supervisor or director can add more."""
    repo = settings.repo()
    actor = settings.actor() if repo.config.staff else None
    member = repo.agency.add_staff(actor, staff_id=staff_id, name=name, email=email, role=role, supervisor=supervisor)
    done(f"added {member.id} ({member.role})")


@staff.group("key")
def staff_key() -> None:
    """SSH public keys staff sign their commits with (admins change them)."""


@staff_key.command("add")
@click.argument("staff_id", type=STAFF, metavar="STAFF")
@click.argument("public_key", metavar="KEY.pub", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@repo_options
def staff_key_add(settings: Settings, staff_id: str, public_key: Path) -> None:
    """Register STAFF's public key (a .pub file, made with ssh-keygen -t ed25519)."""
    fingerprint = settings.repo().authority.add_key(settings.actor(), staff_id, public_key)
    done(f"{staff_id} signs with {fingerprint} from now on")


@staff_key.command("rotate")
@click.argument("staff_id", type=STAFF, metavar="STAFF")
@click.argument("public_key", metavar="KEY.pub", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@repo_options
def staff_key_rotate(settings: Settings, staff_id: str, public_key: Path) -> None:
    """Replace every key of STAFF with this one (a lost or retired laptop)."""
    fingerprint = settings.repo().authority.rotate_key(settings.actor(), staff_id, public_key)
    done(f"{staff_id} signs with {fingerprint} only, from now on")


@staff_key.command("revoke")
@click.argument("staff_id", type=STAFF, metavar="STAFF")
@click.option("--fingerprint", metavar="SHA256:...", help="The key to revoke (default: all of STAFF's keys).")
@repo_options
def staff_key_revoke(settings: Settings, staff_id: str, fingerprint: str | None) -> None:
    """Revoke a key: commits it signs from now on are refused; earlier ones still verify."""
    gone = settings.repo().authority.revoke_key(settings.actor(), staff_id, fingerprint)
    done(f"revoked {', '.join(gone)}")


@staff.command("list")
@json_option
@repo_options
def staff_list(settings: Settings, as_json: bool) -> None:
    """List staff and roles."""
    members = settings.repo().config.staff
    if as_json:
        emit_json([m.as_json() for m in members])
        return
    table(
        [(m.id, m.name, m.role, m.email, "yes" if m.active else "no (left)") for m in members],
        ["ID", "NAME", "ROLE", "EMAIL", "ACTIVE"],
    )


@staff.command("deactivate")
@click.argument("staff_id", metavar="STAFF", type=STAFF)
@click.option("--reason", help="Why (kept in the commit: left the agency, long leave).")
@repo_options
def staff_deactivate(settings: Settings, staff_id: str, reason: str | None) -> None:
    """Someone left: they can no longer act, and no client is assigned to them (admins).

    They stay on the staff list, so every commit and document they wrote keeps its author. Their
    open clients stay theirs until reassigned: caseflow reassign --from STAFF --to OTHER.
    """
    repo = settings.repo()
    commit = repo.agency.deactivate(settings.actor(), staff_id, reason)
    done(f"{staff_id} is inactive (commit {(commit or '')[:8]})")
    remaining = repo.agency.open_clients(staff_id)
    if remaining:
        warn(f"{staff_id} still has {len(remaining)} open client(s): caseflow reassign --from {staff_id} --to STAFF_ID")


@staff.command("reactivate")
@click.argument("staff_id", metavar="STAFF", type=STAFF)
@repo_options
def staff_reactivate(settings: Settings, staff_id: str) -> None:
    """Someone is back: they can act and be given clients again (admins)."""
    commit = settings.repo().agency.reactivate(settings.actor(), staff_id)
    done(f"{staff_id} is active again (commit {(commit or '')[:8]})")


@click.command()
@click.argument("clients", nargs=-1, metavar="[CLIENT]...", type=ID)
@click.option("--from", "source", required=True, type=STAFF, metavar="STAFF", help="Whose clients move.")
@click.option(
    "--to", "target", required=True, type=STAFF, metavar="STAFF", help="Who takes them (an active member of staff)."
)
@json_option
@repo_options
def reassign(settings: Settings, clients: tuple[str, ...], source: str, target: str, as_json: bool) -> None:
    """Move clients from one worker to another in one commit (supervisors, directors, admins).

    Without CLIENT, every open client of --from moves; --from's households move with them when
    all their members do. Due lists and caseloads follow at once.
    """
    moved = settings.repo().agency.reassign(settings.actor(), source, target, clients)
    if as_json:
        emit_json(moved.as_json())
        return
    households = f" and {len(moved.households)} household(s)" if moved.households else ""
    done(
        f"{len(moved.clients)} client(s){households} moved from {source} to {target} "
        f"(commit {(moved.commit or '')[:8]})"
    )


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Include caseflow's built-in default plugins.")
@click.option(
    "--check",
    is_flag=True,
    help="Report where plugins' workflow extensions set the same thing (exit 1 when any do) instead of listing.",
)
@json_option
@repo_options
def plugins(settings: Settings, show_all: bool, check: bool, as_json: bool) -> None:
    """List loaded plugins: version, hooks implemented and everything each contributes.

    A plugin's version is its distribution's (caseflow's own for the built-in ones). What it
    contributes: forms, instruments, checks, workflows, workflow extensions, due rules, reports,
    exporters, directory readers and commands.

    With --check, every conflict between plugins instead: two plugins whose workflow extensions
    set the same monitoring key, stage requirement, stage or transition to different values. They
    combine in a fixed order (the hook's tryfirst, unmarked, trylast; then plugin name) and the
    first in that order wins; exit 1 when there is a conflict, 0 when there is none.
    """
    from caseflow.plugins import PluginPolicy, not_installed

    repo = settings.repo()
    for name in not_installed(PluginPolicy.from_config(repo.config.plugins)):
        warn(f"plugin '{name}' is allowed (caseflow.yaml or $CASEFLOW_PLUGINS) but not installed")
    if check:
        _check_plugins(repo.host.workflow_conflicts(), as_json)
        return
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


def _check_plugins(conflicts: list[Conflict], as_json: bool) -> None:
    if as_json:
        emit_json({"ok": not conflicts, "conflicts": [c.as_json() for c in conflicts]})
    else:
        for conflict in conflicts:
            click.echo(f"conflict: {conflict.describe()}")
    if conflicts:
        count = f"{len(conflicts)} conflict{'s' if len(conflicts) > 1 else ''}"
        click.echo(f"{count} between plugins (the first plugin in the documented order wins)", err=True)
        raise SystemExit(1)
    if not as_json:
        done("no conflicts between plugins")


@click.group(invoke_without_command=True)
@json_option
@repo_options
@click.pass_context
def forms(ctx: click.Context, settings: Settings, as_json: bool) -> None:
    """List the forms documents can use: caseflow's, the plugins' and the agency's own.

    An agency defines a form without Python as a file in the repository, forms/agency.NAME.yaml
    (id, title, kind, path, schema, and optionally description, skeleton and changes: see the
    README). `caseflow forms check` says what a changed form file would make invalid.
    """
    if ctx.invoked_subcommand is not None:
        return
    repo = settings.repo()
    rows = [
        {
            "id": f.id,
            "title": f.title,
            "kind": f.kind,
            "path": f.path,
            "plugin": repo.form_owner(f.id),
            "description": f.description,
        }
        for f in sorted(repo.forms.values(), key=lambda f: f.id)
    ]
    if as_json:
        emit_json(rows)
        return
    table([(r["id"], r["title"], r["kind"], r["path"]) for r in rows], ["FORM", "TITLE", "KIND", "PATH"])


#: Agency forms caseflow ships as data, to copy into a repository's forms/ (NAME -> the file).
SHIPPED_FORMS = {"hmis-ude": ("caseflow.reporting", "hmis_ude_form.yaml")}


@forms.command("example")
@click.argument("name", type=click.Choice(sorted(SHIPPED_FORMS)))
def forms_example(name: str) -> None:
    """Print a form file caseflow ships, to start an agency form from.

    hmis-ude: the HUD universal data elements the HMIS export reads (hmis.yaml in a client's
    folder). Save it as forms/agency.hmis-ude.yaml and commit it as someone with the admin right:

        caseflow forms example hmis-ude > forms/agency.hmis-ude.yaml
    """
    from importlib.resources import files

    package, filename = SHIPPED_FORMS[name]
    click.echo(files(package).joinpath(filename).read_text(encoding="utf-8"), nl=False)


@forms.command("check")
@click.argument("form_ids", nargs=-1, metavar="[FORM_ID]...")
@json_option
@repo_options
def forms_check(settings: Settings, form_ids: tuple[str, ...], as_json: bool) -> None:
    """Say which documents a changed form would make invalid, before the change is committed.

    Checks every document of the given forms (by default: the forms whose file in forms/ differs
    from the last commit) against the forms as they are now in the working tree, and the form
    files themselves. Prints path:line:col: message for each problem; exits 1 if there is any.
    """
    repo = settings.repo()
    changed = repo.changed_form_files()  # (a form whose file was just deleted is no form any more)
    chosen = list(form_ids) or changed
    unknown = [f for f in form_ids if f not in repo.forms and f not in changed]
    if unknown:
        raise UsageError(f"unknown form '{unknown[0]}' (`caseflow forms` lists the forms)")
    report = repo.check_forms(chosen)
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "forms": chosen,
                "documents": report.documents,
                "problems": [p.as_json() for p in report.problems],
            }
        )
    else:
        for problem in report.problems:
            click.echo(str(problem))
        if not chosen:
            click.echo("no form file changed since the last commit (name forms to check them anyway)", err=True)
        else:
            summary = f"{', '.join(chosen)}: {report.documents} document(s) checked, {len(report.problems)} problem(s)"
            click.echo(click.style(summary, fg="green" if report.ok else "red"), err=True)
    if not report.ok:
        raise SystemExit(1)


@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path), default=Path("caseflow-demo"))
@click.option("--force", is_flag=True, help="Replace PATH if it already holds an earlier demo.")
@click.option(
    "--storied-only",
    is_flag=True,
    help="Only the four storied clients, without the year of caseload behind them (quicker: for tests).",
)
def demo(path: Path, force: bool, storied_only: bool) -> None:
    """Build a demo agency repository at PATH (default ./caseflow-demo) with a year of history, and tour it."""
    from caseflow.agency.demo import build_demo, tour, warm_caches, write_report
    from caseflow.cli.context import StartupPlugins
    from caseflow.core.configfile import plugin_settings
    from caseflow.plugins import PluginPolicy

    if path.exists() and any(path.iterdir()) and not force:
        raise AlreadyExists(f"{path} is not empty; choose another PATH or pass --force to rebuild the demo there")
    build_demo(path, replace=force, caseload=not storied_only)
    # The plugins every later command in the demo loads (caseflow's commands among them): what the
    # report and the check of every document leave in the index is then theirs too.
    startup = StartupPlugins(path, PluginPolicy.from_config(plugin_settings(path), os.environ))
    startup.load_commands(click.Group())
    write_report(path, startup.host)
    warm_caches(path, startup.host)
    click.echo(tour(path))
