"""Every command keeps the command line's conventions: walked through the real ``caseflow`` group.

Each command and sub-command (caseflow's and the installed plugins') is found by walking the
group as ``--help`` does; each is checked for what PRODUCT.md promises: a help text, ``--json``
on every read command, the same option for the same thing, ISO dates, ids in any case, and exit
code 2 for a bad option.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from caseflow.cli import make_cli
from caseflow.cli.params import ID, STAFF

#: Commands without ``--json``, and why: they write (printing only what they did) or they stream a
#: format of their own. Every other command is a read command and must take ``--json``.
NO_JSON = {
    # writes
    "ack": "writes",
    "approve": "writes",
    "reject": "writes",
    "set": "writes",
    "new": "writes",
    "appt": "writes (an outcome)",
    "meds log": "writes",
    "meds stop": "writes",
    "consent revoke": "writes",
    "referral": "writes (a status)",
    "report-in": "writes",
    "household approve": "writes",
    "household reject": "writes",
    "household plan": "writes",
    "staff add": "writes",
    "staff deactivate": "writes",
    "staff reactivate": "writes",
    "flag": "writes (a risk flag set or cleared)",
    "merge-clients": "writes",
    "staff key add": "writes",
    "staff key revoke": "writes",
    "staff key rotate": "writes",
    "signing require": "writes",
    "daemon start": "starts a process (its state: daemon status --json)",
    "daemon run": "a long-running service",
    "daemon stop": "stops a process",
    "init": "writes a new repository",
    "demo": "writes a new repository",
    "clone": "writes a new clone",
    "plugin new": "writes a new plugin package",
    "server install": "writes a hook",
    "merge-driver": "git's merge driver (git's protocol)",
    # streams a format of its own
    "calendar": "iCalendar",
    "report": "the report itself (md, html, csv)",
    "referral packet": "the packet itself (Markdown)",
    "forms example": "a form file",
}

#: Options for one thing, spelled one way: the wrong spelling -> the right one.
SPELLINGS = {
    "--output": "--out",
    "-o": "--out",
    "--staff": "--worker",
    "--case-manager": "--worker",
    "--assigned": "--worker",
    "--user": "--as",
    "--actor": "--as",
    "--client-id": "CLIENT (an argument)",
    "--med": "MED_ID after CLIENT (an argument)",
    "--medication": "MED_ID after CLIENT (an argument)",
    "--appointment": "APPT_ID after CLIENT (an argument)",
    "--referral-id": "REF_ID after CLIENT (an argument)",
    "--consent-id": "CONSENT_ID after CLIENT (an argument)",
}
#: Parameters naming a client, a household or an item of a client: typed in any case.
ID_PARAMETERS = {
    "client_id",
    "client",
    "clients",
    "client_ids",
    "household_id",
    "referral_id",
    "consent_id",
    "appointment_id",
    "medication_id",
}
#: Parameters naming a member of staff: typed in any case.
STAFF_PARAMETERS = {"staff_id", "worker", "acting", "supervisor"}
#: Options that take a day, and the ISO 8601 forms their metavar may show.
ISO = ("YYYY-MM-DD", "YYYY-MM-DDTHH:MM", "YYYY-MM")
DATE_OPTIONS = {"--date", "--dob", "--start", "--expires", "--signed-on", "--admitted", "--discharged", "--at"}


def _commands() -> Iterator[tuple[str, click.Command]]:
    cli = make_cli(argv=[])
    root = click.Context(cli, info_name="caseflow")

    def walk(command: click.Command, path: list[str], ctx: click.Context) -> Iterator[tuple[str, click.Command]]:
        yield " ".join(path), command
        if isinstance(command, click.Group):
            default = getattr(command, "default_command", None)  # `caseflow consent CLIENT ...`
            for name in command.list_commands(ctx):
                sub = command.commands[name] if name == default else command.get_command(ctx, name)
                assert sub is not None
                yield from walk(sub, path if name == default else [*path, name], click.Context(sub, parent=ctx))

    for path, command in walk(cli, [], root):
        if path:
            yield path, command


COMMANDS = sorted(
    {(path, command) for path, command in _commands() if not command.hidden}, key=lambda pair: (pair[0], id(pair[1]))
)
#: the commands that run (not the groups that only hold others)
LEAVES = [(path, command) for path, command in COMMANDS if not isinstance(command, click.Group)]


def test_the_walk_finds_every_command_of_the_command_map() -> None:
    names = {path for path, _ in COMMANDS}
    assert {"intake", "clients", "meds log", "meds stop", "providers search", "staff key add", "consent"} <= names
    assert len(LEAVES) > 60
    assert set(NO_JSON) <= {path for path, _ in LEAVES}  # no excuse outlives its command


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_each_command_says_what_it_does(path: str, command: click.Command) -> None:
    assert (command.help or command.short_help or "").strip(), f"caseflow {path} has no help text"
    bare = [p.opts for p in command.params if isinstance(p, click.Option) and not p.hidden and not p.help]
    assert bare == [], f"caseflow {path}: options without help"


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[path for path, _ in LEAVES])
def test_options_keep_the_conventions(path: str, command: click.Command) -> None:
    options = [p for p in command.params if isinstance(p, click.Option)]
    shown = {opt for p in options if not p.hidden for opt in p.opts}
    if path not in NO_JSON:
        assert "--json" in shown, f"caseflow {path} reads, so it takes --json (else list it in NO_JSON, and why)"
    wrong = {opt: SPELLINGS[opt] for opt in shown if opt in SPELLINGS}
    assert wrong == {}, f"caseflow {path}: spelled differently from every other command"
    assert {"--repo", "--as"} <= shown or path in (
        "init",
        "demo",
        "clone",
        "server install",
        "forms example",
        "plugin new",
    )
    for param in command.params:
        if param.name in ID_PARAMETERS:
            assert param.type is ID, f"caseflow {path}: {param.name} is an id, typed in any case (type=ID)"
        if param.name in STAFF_PARAMETERS:
            assert param.type is STAFF, f"caseflow {path}: {param.name} is a staff id (type=STAFF)"
    for option in options:
        if set(option.opts) & DATE_OPTIONS:
            assert option.metavar in ISO, f"caseflow {path} {option.opts[0]}: say the ISO form ({option.metavar})"


def _run(args: list[str], tmp_path: Path) -> click.testing.Result:
    env = {"CASEFLOW_CACHE_DIR": str(tmp_path / "cache"), "CASEFLOW_REPO": str(tmp_path / "none")}
    return CliRunner().invoke(make_cli(argv=[]), args, env=env, catch_exceptions=False)


def test_every_help_and_every_bad_option(tmp_path: Path) -> None:
    """``--help`` works everywhere (exit 0), and a bad option is a usage error everywhere (exit 2):
    said before any repository is looked for."""
    wrong = []
    for path, _ in LEAVES:
        words = path.split()
        helped = _run([*words, "--help"], tmp_path)
        if helped.exit_code != 0 or "Usage:" not in helped.output:
            wrong.append(f"caseflow {path} --help: exit {helped.exit_code}")
        bad = _run([*words, "--no-such-option"], tmp_path)
        if bad.exit_code != 2 or "No such option" not in bad.output:
            wrong.append(f"caseflow {path} --no-such-option: exit {bad.exit_code}")
    assert wrong == []
