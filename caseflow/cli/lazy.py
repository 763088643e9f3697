"""A command group whose commands load on first use, and whose ``--help`` can list them unloaded.

Every command, caseflow's own included, comes through the ``register_commands`` hook, which means
importing each feature's commands module and every permitted plugin. That is work ``caseflow
--help`` need not do twice: once ``--help`` has loaded the commands, their names and help texts
are kept in a small catalog in the user's cache folder, under a fingerprint of everything they
came from (caseflow's version, the plugin settings in force, the commands modules' and the
plugins' files). While the fingerprint holds, ``--help`` prints the catalog; any other use of
the group loads the commands for real.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from caseflow import __version__
from caseflow.cli.context import CaseflowGroup
from caseflow.plugins.installed import CACHE_ENV

CATALOG_ENV = CACHE_ENV


class LazyGroup(CaseflowGroup):
    """A :class:`CaseflowGroup` that calls ``load(self)`` before anything needs its commands."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load: Callable[[click.Group], None] | None = None
        self._catalog: Catalog | None = None
        #: What the command found at start (``caseflow.cli.context.StartupPlugins``): the plugins
        #: its commands came through, which a resident index keeps.
        self.startup: Any = None

    def defer(self, load: Callable[[click.Group], None], catalog: Catalog | None) -> None:
        self._load, self._catalog = load, catalog

    def load(self) -> None:
        """Add every command now (once); then remember them for the next ``--help``."""
        if self._load is None:
            return
        load, self._load = self._load, None
        load(self)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self.load()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load()
        return super().list_commands(ctx)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        kept = self._catalog.read() if self._load is not None and self._catalog is not None else None
        if kept is None:
            super().format_commands(ctx, formatter)  # loads the commands
            if self._catalog is not None and not self._catalog.holds():
                self._catalog.save(self.commands.values())  # for the next --help
            return
        # what click's own format_commands prints, from the catalog's stand-ins
        shown = [(name, command) for name, command in sorted(kept.items()) if not command.hidden]
        if shown:
            limit = formatter.width - 6 - max(len(name) for name, _ in shown)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in shown])


class Catalog:
    """The names and help texts of the commands, kept under a fingerprint of where they came from."""

    def __init__(self, folder: Path, fingerprint: str | Callable[[], str]) -> None:
        self.path = folder / "commands.json"
        self._fingerprint = fingerprint

    @property
    def fingerprint(self) -> str:
        """Worked out when first needed: only ``--help`` reads or writes the catalog."""
        if callable(self._fingerprint):
            self._fingerprint = self._fingerprint()
        return self._fingerprint

    def holds(self) -> bool:
        """Whether the catalog on disk was made under this fingerprint (nothing to write again)."""
        try:
            with self.path.open("rb") as kept:
                return f'{{"fingerprint": "{self.fingerprint}"'.encode() == kept.read(len(self.fingerprint) + 18)
        except OSError:
            return False

    def read(self) -> dict[str, click.Command] | None:
        """Stand-in commands (names and help only), or None if the catalog is missing or stale."""
        try:
            kept = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(kept, dict) or kept.get("fingerprint") != self.fingerprint:
            return None
        commands = kept.get("commands")
        if not isinstance(commands, list):
            return None
        try:
            return {
                entry["name"]: click.Command(
                    entry["name"],
                    help=entry["help"],
                    short_help=entry["short_help"],
                    hidden=bool(entry["hidden"]),
                    deprecated=bool(entry["deprecated"]),
                )
                for entry in commands
            }
        except (KeyError, TypeError):
            return None

    def save(self, commands: Iterable[click.Command]) -> None:
        entries = [
            {
                "name": command.name,
                "help": command.help,
                "short_help": command.short_help,
                "hidden": command.hidden,
                "deprecated": bool(command.deprecated),
            }
            for command in commands
        ]
        with contextlib.suppress(OSError):  # no cache folder: --help just loads the commands each time
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            temporary.write_text(json.dumps({"fingerprint": self.fingerprint, "commands": entries}), encoding="utf-8")
            os.replace(temporary, self.path)


def fingerprint(modules: Iterable[str], plugins: Iterable[tuple[str, str, str | None]], policy: str) -> str:
    """What the commands depend on: caseflow's version, the plugin settings, and the files of the
    commands modules and of each permitted plugin's package (a plugin being developed changes
    without a new version). ``plugins`` are (name, entry point value, distribution version)."""
    h = hashlib.sha256(f"{__version__}\n{policy}\n".encode())
    here = Path(__file__).resolve().parent.parent  # the caseflow package
    for module in modules:
        h.update(_stamp(here.joinpath(*module.split(".")[1:]).with_suffix(".py")).encode())
    for name, value, version in sorted(plugins):
        h.update(f"{name}={value}@{version}\n".encode())
        h.update(_package_stamps(value.partition(":")[0].partition(".")[0]).encode())
    return h.hexdigest()


def _stamp(path: Path | str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}:-\n"
    return f"{path}:{st.st_mtime_ns}:{st.st_size}\n"


def _package_stamps(top: str) -> str:
    """Every source file of the top-level module or package ``top``, found without importing it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return f"{top}:?\n"
    if spec is None:
        return f"{top}:?\n"
    folders = list(spec.submodule_search_locations or [])
    if not folders:
        return _stamp(spec.origin or top)
    stamps: list[str] = []
    for folder in folders:
        for directory, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
            stamps.extend(_stamp(os.path.join(directory, f)) for f in sorted(filenames) if f.endswith(".py"))
    return "".join(stamps)
