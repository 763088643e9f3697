"""``caseflow daemon``: start, run, stop and ask after the resident index of a repository."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click

from caseflow.cli.context import Settings, done, emit_json, json_option, repo_options
from caseflow.core.layout import DAEMON_LOG
from caseflow.errors import CaseflowError
from caseflow.hookspecs import hookimpl
from caseflow.resident import wire

#: How long ``daemon start`` waits for the resident index to answer (it watches every folder and
#: takes the snapshot first: seconds at 10,000 clients).
START_SECONDS = 120.0


@click.group()
def daemon() -> None:
    """A resident index: keeps this repository read, so that `clients`, `due`, `review` and
    `validate` answer in a fraction of their time.

    While it runs, those commands ask it over a socket in .caseflow/ (yours only) and print its
    answer, which is the one they would compute themselves: it runs the same code over what it
    keeps, and takes again whatever a watcher saw change in the working tree or in git. When none
    runs, or it cannot answer (another version, busy, stopped), the command computes its answer
    itself, as always; `caseflow --verbose due` says which happened.
    """


@daemon.command()
@repo_options
def start(settings: Settings) -> None:
    """Start the resident index in the background (its log: .caseflow/daemon.log)."""
    from caseflow.resident.client import ask
    from caseflow.resident.wire import STATUS

    root = _root(settings)
    running = ask(root, STATUS)
    if running is not None:
        done(f"a resident index runs already for this repository (pid {running.get('pid')})")
        return
    log_path = root / DAEMON_LOG
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "ab") as log:
        os.chmod(log_path, 0o600)
        child = subprocess.Popen(
            [sys.executable, "-m", "caseflow", "--repo", str(root), "daemon", "run"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # not stopped with this terminal's session
            env={**os.environ, wire.RESIDENT_ENV: "0"},
        )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise CaseflowError(f"the resident index stopped at start (exit {child.returncode}); see {log_path}")
        status = ask(root, STATUS, timeout=0.5)
        if status is not None:
            done(f"resident index started (pid {status.get('pid')}); `caseflow daemon stop` stops it")
            return
        time.sleep(0.1)
    child.terminate()
    raise CaseflowError(f"the resident index did not answer within {START_SECONDS:.0f} s; see {log_path}")


@daemon.command()
@repo_options
def run(settings: Settings) -> None:
    """Run the resident index here, in the foreground, until Ctrl-C (or `caseflow daemon stop`)."""
    from caseflow.resident.server import ResidentIndex

    root = _root(settings)
    resident = ResidentIndex(root)
    began = time.perf_counter()
    resident.start()

    def stop(_signal: int, _frame: Any) -> None:
        resident.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(
        f"resident index ready in {time.perf_counter() - began:.1f} s on {wire.socket_path(root)} (pid {os.getpid()})",
        err=True,
    )
    try:
        resident.serve()
    finally:
        resident.close()
    click.echo("resident index stopped", err=True)


@daemon.command()
@repo_options
def stop(settings: Settings) -> None:
    """Stop the resident index of this repository (nothing to do if none runs)."""
    from caseflow.resident.client import ask
    from caseflow.resident.wire import STOP

    root = _root(settings)
    if ask(root, STOP) is None:
        done("no resident index runs for this repository")
        return
    deadline = time.monotonic() + 10
    while wire.socket_path(root).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    done("resident index stopped")


@daemon.command()
@json_option
@repo_options
def status(settings: Settings, as_json: bool) -> None:
    """Whether a resident index runs for this repository: its pid, since when, questions answered."""
    from caseflow.resident.client import ask
    from caseflow.resident.wire import STATUS

    found = ask(_root(settings), STATUS) or {"running": False}
    if as_json:
        emit_json(found)
    elif found.get("running"):
        click.echo(
            f"running: pid {found['pid']}, since {found['since']}, caseflow {found['version']}, "
            f"{found['answered']} answered"
        )
    else:
        click.echo("not running (`caseflow daemon start` starts one)")


def _root(settings: Settings) -> Path:
    from caseflow.core.config import find_root

    return find_root(settings.repo_path)


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(daemon)
