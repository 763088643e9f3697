"""``caseflow serve``: the web app on this machine, for the person acting here."""

from __future__ import annotations

import os
import socket

import click

from caseflow.cli.context import Settings, emit_json, json_option, repo_options
from caseflow.errors import UsageError
from caseflow.hookspecs import hookimpl

HOST = "127.0.0.1"  # never another interface: the app is for this machine's person only


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(serve)


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port (0: any free one).")
@click.option("--open", "open_browser", is_flag=True, help="Open the app in the default web browser.")
@json_option
@repo_options
def serve(settings: Settings, port: int, open_browser: bool, as_json: bool) -> None:
    """Run caseflow in the browser: a local web app for case managers and supervisors.

    It listens on 127.0.0.1 only and prints a link that carries a secret made for this launch:
    open that link (other users of this machine and other web pages cannot use the app without
    it). You act as the person caseflow finds here (--as, $CASEFLOW_USER or git user.email);
    every change you make in the browser is one commit by you, as the same command would make.
    Stop it with Ctrl-C.

    With --json, one line describes the running server ({"url": ..., "port": ..., "acting": ...})
    before it starts answering.
    """
    from caseflow.web.startup import keep_snapshot
    from caseflow.web.state import WebState

    repo = settings.repo()
    actor = settings.actor()  # refuse now, in one line, if nobody acts here
    state = WebState(repo.root, repo.host, dict(os.environ), settings.acting)
    keep_snapshot(state)  # first, so the first page is computed while the rest of the server loads

    import uvicorn

    from caseflow.web.app import create_app
    from caseflow.web.security import Sessions

    sessions = Sessions()
    listener = _listen(port)
    bound = listener.getsockname()[1]
    url = f"http://{HOST}:{bound}/?token={sessions.secret}"
    label = f"{actor.name} ({actor.id}, {actor.role})"
    app = create_app(state, sessions, agency=repo.config.agency, acting_label=label)
    if as_json:
        emit_json({"url": url, "port": bound, "acting": actor.id, "repository": str(repo.root)})
    else:
        click.echo(f"caseflow is running for {actor.id} at:\n\n    {url}\n")
        click.echo("Open that link in your browser. Ctrl-C stops it.")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False)
    uvicorn.Server(config).run(sockets=[listener])


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((HOST, port))
    except OSError as exc:
        listener.close()
        raise UsageError(f"cannot listen on {HOST}:{port}: {exc.strerror} (try --port 0 for any free port)") from None
    listener.listen(64)
    listener.set_inheritable(True)
    return listener
