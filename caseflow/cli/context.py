"""What every command shares: finding the repository and the acting person, output, errors."""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from caseflow.cli.params import STAFF
from caseflow.core.names import require_staff
from caseflow.errors import CaseflowError, UsageError
from caseflow.plugins import PluginPolicy

if TYPE_CHECKING:
    from caseflow.core.config import Staff
    from caseflow.plugins import PluginHost
    from caseflow.repo import CaseRepo

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class StartupPlugins:
    """The repository found when the command started, the plugins its settings allow, and (once
    the commands are loaded) the plugin host they came through: the one of this process, which
    the repository reuses when it is opened under the same settings."""

    root: Path | None
    policy: PluginPolicy
    entry_points: bool = True
    host: PluginHost | None = None

    def load_commands(self, group: click.Group) -> None:
        """Every command, caseflow's and the permitted plugins', through ``register_commands``."""
        import importlib

        from caseflow.plugins import COMMAND_PLUGINS, PluginHost, get_plugin_manager

        if not self.entry_points:
            self.policy = PluginPolicy(allow=frozenset())
        pm = get_plugin_manager(self.policy)
        for module in COMMAND_PLUGINS:  # registered last, so a plugin's command of the same name wins
            pm.register(importlib.import_module(module), name=module)
        self.host = PluginHost(pm)
        self.host.register_commands(group)

    def host_for(self, root: Path) -> PluginHost | None:
        """The loaded host, if ``root`` is the repository it was loaded for, under the same settings."""
        from caseflow.core.configfile import plugin_settings

        if self.host is None or self.root is None or root.resolve() != self.root.resolve():
            return None
        if PluginPolicy.from_config(plugin_settings(root), os.environ) != self.policy:
            return None
        return self.host


#: Set in a resident index (``caseflow daemon``): the repository it keeps for a root, opened for
#: the command it runs (None: not kept there, so opened as usual).
resident_repo: Callable[[Path], CaseRepo | None] | None = None


@dataclass
class Settings:
    """Options given to the group (``caseflow --repo X --as casey ...``) or to a command."""

    repo_path: str | None = None
    acting: str | None = None
    traceback: bool = False
    startup: StartupPlugins | None = None
    _repo: CaseRepo | None = None

    def repo(self) -> CaseRepo:
        if self._repo is None:
            from caseflow.core.config import find_root
            from caseflow.repo import open_repo

            # one plugin manager per process: the one the commands came through, where it fits
            root = find_root(self.repo_path)
            kept = resident_repo(root) if resident_repo is not None else None
            if kept is not None:
                self._repo = kept
            else:
                host = self.startup.host_for(root) if self.startup is not None else None
                self._repo = open_repo(root, host=host)
                self._repo.sharing.ensure_driver()  # git does not clone config: every command checks the merge driver
            if os.environ.get("CASEFLOW_TODAY"):  # it changes what gets written too: never silently
                warn(f"CASEFLOW_TODAY is set: today is {self._repo.today().isoformat()} for this command")
        return self._repo

    def clients_of(self, worker: str | None, everyone: bool) -> str | None:
        """Whose clients a listing covers: --worker, else --all, else the acting case manager's
        (staff who are not case managers see everyone's). None means every client."""
        if worker and everyone:
            raise UsageError("give --worker or --all, not both")
        repo = self.repo()
        if worker:
            return require_staff(repo.config, worker).id
        if everyone:
            return None
        actor = self.actor()
        return actor.id if actor.role == "case_manager" else None

    def actor(self) -> Staff:
        return self.repo().actor(self.acting)


def repo_options(func: F) -> F:
    """``--repo`` and ``--as`` on a command, overriding the group's."""

    @click.option(
        "--repo",
        "repo_path",
        metavar="PATH",
        help="Case repository (default: $CASEFLOW_REPO or the nearest caseflow.yaml up).",
    )
    @click.option(
        "--as",
        "acting",
        type=STAFF,
        metavar="STAFF_ID",
        help="Act as this staff member (default: $CASEFLOW_USER or git user.email).",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, repo_path: str | None, acting: str | None, **kwargs: Any) -> Any:
        settings = click.get_current_context().find_object(Settings) or Settings()
        if repo_path is not None:
            settings.repo_path, settings._repo = repo_path, None
        if acting is not None:
            settings.acting = acting
        return func(settings, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys, ISO dates, ids not names).")(
        func
    )


def write_private(path: Path, text: str | bytes) -> None:
    """Client information in a file only its owner can read (it leaves the repository's protection)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT
    except OSError as exc:
        raise CaseflowError(f"could not write {path}: {exc.strerror or exc}") from None


def write_private_folder(path: Path, files: Mapping[str, bytes]) -> None:
    """Files of client information in a new (or empty) folder only its owner can open: written
    beside it first and moved into place at once, so a failure leaves no half of them."""
    import shutil
    import tempfile

    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))  # mode 0700
    except OSError as exc:
        raise CaseflowError(f"could not write {path}: {exc.strerror or exc}") from None
    try:
        for name, data in files.items():
            write_private(staging / name, data)
        os.replace(staging, path)  # an empty folder there is replaced
    except (OSError, CaseflowError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise CaseflowError(f"could not write {path}: {reason or exc}") from None


def refuse_inside(repo: CaseRepo, out: Path) -> None:
    """Exports go outside the case repository: a stray file there could be committed, and shared."""
    if out.resolve().parent.is_relative_to(repo.root.resolve()):
        raise UsageError(f"--out {out} is inside the case repository; write it elsewhere, never into git")
    if not out.resolve().parent.is_dir():  # said before anything is rendered, disclosed or recorded
        raise UsageError(f"--out {out}: the folder {out.parent} does not exist")


def read_text_file(path: Path, option: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CaseflowError(f"{option} {path}: not UTF-8 text (byte {exc.start})") from None


#: Rows written at once: output goes out as it is made, a bounded batch at a time, never held whole.
BATCH_ROWS = 2000


def emit_json(value: Any) -> None:
    """Indented for a person at a terminal; compact for a program (the C encoder, many times
    faster), where a long list goes out a batch of items at a time."""
    if sys.stdout.isatty():
        click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False))
        return
    if not isinstance(value, list) or len(value) <= BATCH_ROWS:
        click.echo(json.dumps(value, ensure_ascii=False, sort_keys=False))
        return
    for start in range(0, len(value), BATCH_ROWS):  # (as one dumps would write them: ", " between items)
        batch = json.dumps(value[start : start + BATCH_ROWS], ensure_ascii=False, sort_keys=False)
        click.echo(("[" if start == 0 else ", ") + batch[1:-1], nl=False)
    click.echo("]")


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], empty: str = "(none)") -> None:
    """Columns aligned for people; bold headers on a terminal (click strips colour otherwise)."""
    lines = table_lines(rows, headers, empty, bold=True)
    # a batch of lines per write: a caseload's due list runs to tens of thousands of them
    for batch in iter(lambda: list(itertools.islice(lines, BATCH_ROWS)), []):
        click.echo("\n".join(batch))


def table_text(rows: Sequence[Sequence[Any]], headers: Sequence[str], empty: str = "(none)") -> str:
    """What :func:`table` prints, as one text (to keep): the headers bold only where colour shows."""
    return "".join(line + "\n" for line in table_lines(rows, headers, empty, bold=colour_on()))


def echo_text(text: str) -> None:
    """Write out a text made for this output (:func:`table_text`): as it is, in one go."""
    if "\x1b" in text and not colour_on():  # (made for a terminal, shown elsewhere)
        text = click.unstyle(text)
    sys.stdout.write(text)
    sys.stdout.flush()


def table_lines(rows: Sequence[Sequence[Any]], headers: Sequence[str], empty: str, bold: bool) -> Iterator[str]:
    """The lines of :func:`table`, made as they are read."""
    if not rows:
        yield empty
        return
    # (at C speed where it can be: a caseload's table has tens of thousands of rows)
    cells = [[v if type(v) is str else _cell(v) for v in row] for row in rows]
    if "\x1b" in "\0".join(itertools.chain.from_iterable(cells)):
        # widths of what shows: a coloured cell's escape codes take no room on the screen
        shown = [[click.unstyle(c) if "\x1b" in c else c for c in row] for row in cells]
    else:
        shown = cells
    columns = list(zip(*shown, strict=False))
    widths = [max(len(h), *map(len, column)) for h, column in zip(headers, columns, strict=False)]
    header = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    yield click.style(header, bold=True) if bold else header
    if shown is cells:  # plain text (not a terminal): one format string, at C speed
        line = "  ".join([*(f"{{:<{w}}}" for w in widths[:-1]), "{}"])
        yield from (line.format(*row).rstrip() for row in cells)
    else:
        yield from (
            "  ".join(c + " " * (w - len(v)) for c, v, w in zip(row, visible, widths, strict=True)).rstrip()
            for row, visible in zip(cells, shown, strict=True)
        )


def _cell(value: Any) -> str:
    if type(value) is str:  # the usual case, first: a table may have tens of thousands of rows
        return value
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


@contextlib.contextmanager
def progress_bar(
    label: str, err_terminal: bool = True, minimum: int = 200
) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for long work, only when a person is watching a terminal (and
    there are at least ``minimum`` steps: fewer quick ones would only flicker)."""
    if not (err_terminal and sys.stderr.isatty()):
        yield None
        return
    bar: Any = None
    shown = 0
    length = 0

    def update(done_count: int, total: int) -> None:
        nonlocal bar, shown, length
        if bar is not None and total != length:  # the next stage of the work (parse, then check)
            bar.__exit__(None, None, None)
            bar, shown = None, 0
        if bar is None:
            if total < minimum:
                return
            bar, length = click.progressbar(length=total, label=label, file=sys.stderr).__enter__(), total
        bar.update(done_count - shown)
        shown = done_count

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def colour_wanted(environ: Mapping[str, str] | None = None) -> bool | None:
    """False where colour is turned off (``NO_COLOR`` set to anything, https://no-color.org);
    else None: click decides (colour on a terminal only). ``--no-color`` sets the same."""
    return False if (os.environ if environ is None else environ).get("NO_COLOR") else None


def no_color_option(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--no-color``: every ``click.echo`` of this command strips styles (sub-commands inherit it)."""
    if value:
        ctx.color = False


def colour_on(err: bool = False) -> bool:
    """Whether styled text shows (a terminal, and colour not turned off): for output that is
    only worth styling when it shows (styling tens of thousands of cells to strip them costs seconds)."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.color is not None:
        return ctx.color
    if colour_wanted() is False:
        return False
    return (sys.stderr if err else sys.stdout).isatty()


def counted(number: int, noun: str) -> str:
    """``1 document``, ``1,204 documents``."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def print_error(exc: CaseflowError) -> None:
    """One line per reason, on stderr: the only way caseflow reports a refusal."""
    for line in exc.lines():
        click.echo(click.style("error: ", fg="red", bold=True) + line, err=True)


def warn(message: str) -> None:
    click.echo(click.style("warning: ", fg="yellow", bold=True) + message, err=True)


def done(message: str) -> None:
    click.echo(click.style("✓ ", fg="green") + message, err=True)


class CaseflowGroup(click.Group):
    """Turns every :class:`CaseflowError` into one line per reason and its exit code, and turns
    colour off for the whole command where ``NO_COLOR`` says so (usage errors included)."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        if parent is None and colour_wanted() is False:
            extra.setdefault("color", False)
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            _print_plugin_warnings(ctx)
            return result
        except CaseflowError as exc:
            settings = ctx.find_object(Settings)
            if settings is not None and settings.traceback:
                raise
            print_error(exc)
            ctx.exit(exc.exit_code)


def _print_plugin_warnings(ctx: click.Context) -> None:
    settings = ctx.find_object(Settings)
    if settings is not None and settings._repo is not None:
        for message in settings._repo.host.warnings:
            warn(message)


class _UnnamedContext(click.Context):
    """The context of a group's default command: its path is the group's ("caseflow consent")."""

    @property
    def command_path(self) -> str:
        return super().command_path.rstrip()


class DefaultCommandGroup(click.Group):
    """A group whose main use needs no sub-command name: ``caseflow consent CLIENT --to ...`` runs
    the ``default`` command, while ``caseflow consent revoke ...`` runs ``revoke``.
    """

    default_command = "default"

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and (args[0] == self.default_command or args[0] not in self.commands) and not args[0].startswith("-"):
            # no name of its own: its usage and errors read "caseflow consent CLIENT ..."
            command = self.commands[self.default_command]
            command.context_class = _UnnamedContext
            return "", command, args[1:] if args[0] == self.default_command else args
        return super().resolve_command(ctx, args)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # `caseflow consent --to X CLIENT` (options first) also means the default command.
        if args and args[0].startswith("-") and args[0] not in ("-h", "--help"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return None if cmd_name == self.default_command else super().get_command(ctx, cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The main command's own help (usage, options), then the other commands."""
        default = self.commands[self.default_command]
        default.format_help(click.Context(default, info_name=ctx.info_name, parent=ctx.parent), formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (name, command.get_short_help_str(limit=80))
            for name, command in self.commands.items()
            if name != self.default_command and not command.hidden
        ]
        if rows:
            with formatter.section("Other commands"):
                formatter.write_dl(rows)
