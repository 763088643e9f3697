"""``caseflow watch``: check documents as they are saved, and optionally commit the valid ones."""

from __future__ import annotations

import json
import signal
import threading
from typing import TYPE_CHECKING, Any

import click

from caseflow.cli.context import Settings, done, json_option, repo_options, warn
from caseflow.hookspecs import hookimpl

if TYPE_CHECKING:
    from caseflow.watch.watcher import Tally, WatchEvent


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(watch)


@click.command()
@click.option(
    "--autocommit",
    is_flag=True,
    help="Commit valid changes, one commit per client once its folder has been quiet for --quiet-ms "
    "(by the acting staff member: --as, $CASEFLOW_USER or git user.email).",
)
@click.option(
    "--quiet-ms",
    type=click.IntRange(min=50, max=600_000),
    default=2000,
    show_default=True,
    metavar="N",
    help="How long a client's folder must be quiet before its valid changes are committed.",
)
@click.option(
    "--allow-delete",
    is_flag=True,
    help="With --autocommit, also commit the deletion of a document that stays deleted "
    "(without it, a deletion is reported and left for you).",
)
@click.option("--polling", is_flag=True, help="Poll for changes instead of using inotify (network file systems).")
@json_option
@repo_options
def watch(
    settings: Settings, autocommit: bool, quiet_ms: int, allow_delete: bool, polling: bool, as_json: bool
) -> None:
    """Check each document under clients/ as soon as it is saved; Ctrl-C stops.

    A document is checked once the editor has finished saving (temp files, backups and swap files
    are ignored); each problem is printed as path:line:col: message, as `caseflow validate` does,
    and once it is fixed a line says it is valid again. Files changed while nothing watched (as
    git status lists them) are checked at start, and again every 30 seconds.

    With --autocommit, valid changes are committed once the client's folder has been quiet for
    --quiet-ms: exactly the bytes that were checked, never a half-written or invalid file. What you
    staged for other files stays staged.

    A document that disappears is a deletion only if it is still gone once the folder has been
    quiet, and again at a second look one --quiet-ms later, with no editor's backup or temporary
    file beside it (editors save by renaming the file away, or removing and rewriting it, and a
    slow save can take longer than --quiet-ms). A deletion is then reported in one line and left
    uncommitted (`git rm` commits it, `git restore` brings the file back); with --allow-delete,
    --autocommit commits it.

    Ctrl-C (or SIGTERM) lets a commit under way finish, then stops with exit code 0. With --json,
    each event is one JSON object on its own line, with the keys event (ready, checked, removed:
    found missing, deleted: a deletion left uncommitted, committed, stopped), path, client, valid,
    problems, commit and deleted.
    """
    from caseflow.watch.watcher import Watcher

    if allow_delete and not autocommit:
        raise click.UsageError("--allow-delete goes with --autocommit (without it nothing is committed)")
    repo = settings.repo()
    author = repo.author(settings.actor()) if autocommit else None
    repo.schemas  # noqa: B018 -- load the form schemas now, so that the first result is prompt

    def report(event: WatchEvent) -> None:
        if as_json:
            _json_line(event.as_json())
        else:
            _print_event(event, committing=author is not None)

    watcher = Watcher(repo, report, warn, author=author, allow_delete=allow_delete, quiet=quiet_ms / 1000)
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        observing = watcher.start(polling=polling)
        try:
            mode = "polling" if observing.polling else "inotify"
            if as_json:
                _json_line(
                    {
                        "event": "ready",
                        "autocommit": autocommit,
                        "allow_delete": allow_delete,
                        "quiet_ms": quiet_ms,
                        "polling": observing.polling,
                    }
                )
            else:
                committing = f"committing valid changes after {quiet_ms} ms of quiet" if autocommit else "checking only"
                committing += ", deletions too" if allow_delete else ""
                done(f"watching clients/ ({mode}; {committing}); Ctrl-C stops")
            tally = watcher.run(stop)
        finally:
            watcher.stop_observing()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    _summary(tally, as_json)


def _json_line(value: dict[str, Any]) -> None:
    click.echo(json.dumps(value, ensure_ascii=False))  # click.echo flushes: tools read it at once


def _print_event(event: WatchEvent, *, committing: bool) -> None:
    # "removed" (found missing, perhaps for the middle of a save) prints nothing: a deletion is
    # said once, when it is one ("deleted").
    if event.kind == "checked" and not event.valid:
        for problem in event.problems:
            click.echo(click.style(str(problem), fg="red"))
    elif event.kind == "checked":
        click.echo(click.style(f"{event.path}: {'valid again' if event.fixed else 'valid'}", fg="green"))
    elif event.kind == "deleted" and committing:
        click.echo(
            click.style(
                f"{event.path}: deleted (client {event.client}); not committed: watch commits a deletion "
                "only with --allow-delete (git rm commits it, git restore brings it back)",
                fg="yellow",
            )
        )
    elif event.kind == "deleted":
        click.echo(f"{event.path}: deleted (client {event.client})")
    elif event.kind == "committed":
        what = "removal committed" if event.deleted else "committed"
        click.echo(click.style(f"{event.path}: {what} in {(event.commit or '')[:12]}", fg="cyan"))


def _summary(tally: Tally, as_json: bool) -> None:
    if as_json:
        _json_line(
            {
                "event": "stopped",
                "checked": tally.checked,
                "invalid": tally.invalid,
                "commits": tally.commits,
                "uncommitted": tally.uncommitted,
            }
        )
        return
    line = f"stopped: {tally.checked} checked, {tally.invalid} invalid, {tally.commits} commits"
    if tally.uncommitted:
        line += f"; {len(tally.uncommitted)} valid changes not yet committed (committed when watch next starts)"
    done(line)
