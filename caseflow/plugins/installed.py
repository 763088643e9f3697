"""Which plugins are installed: the ``caseflow`` entry points, remembered between commands.

Finding entry points means importing :mod:`importlib.metadata` (with the email and zip modules
it needs) and reading every distribution's metadata: a tenth of what a small command costs to
start. What it finds changes only when a distribution is installed, upgraded or removed, and
each of those changes a folder on ``sys.path`` (pip adds or replaces a ``*.dist-info`` folder,
which changes its parent's modification time: the rule :mod:`importlib.metadata` itself caches
by within a process). So the list is kept in the user's cache folder under the path and the
modification time of every folder on ``sys.path``, and read again whenever one of them moves.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import marshal
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caseflow.core.safefiles import replace_cache_file

ENTRY_POINT_GROUP = "caseflow"
#: The folder for caches of this user's (also the command catalog's: :mod:`caseflow.cli.lazy`).
CACHE_ENV = "CASEFLOW_CACHE_DIR"
_FILE = "entry-points.marshal"
#: Keys kept at once (one per set of folders on ``sys.path``: ``python -m`` adds the working folder;
#: each virtual environment of the same user has its own). Eight were too few on a machine with a
#: few checkouts: they pushed each other's lists out, and a command paid for the scan again.
_KEPT = 32


@dataclass(frozen=True)
class InstalledPlugin:
    """One entry point in the ``caseflow`` group: its name, what it names, its distribution's version."""

    name: str
    value: str  #: ``module`` or ``module:attribute`` (as in ``pyproject.toml``)
    version: str | None
    #: The plugin object itself, for one that stands in for an installed one (see :func:`standing_in`).
    plugin: Any = field(default=None, compare=False)

    def load(self) -> Any:
        """The object the entry point names (importing its module), as ``EntryPoint.load`` does."""
        if self.plugin is not None:
            return self.plugin
        module, _, attribute = self.value.split("[", 1)[0].partition(":")  # (extras, if any, are no part of it)
        found = importlib.import_module(module.strip())
        return functools.reduce(getattr, filter(None, attribute.strip().split(".")), found)


def cache_folder(environ: Mapping[str, str] | None = None) -> Path:
    """``$CASEFLOW_CACHE_DIR``, else ``$XDG_CACHE_HOME/caseflow``, else ``~/.cache/caseflow``."""
    environ = os.environ if environ is None else environ
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV])
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "caseflow"


#: What :func:`standing_in` puts in place of the installed plugins, while it does.
_standing_in: list[tuple[InstalledPlugin, ...]] = []


def installed_plugins() -> tuple[InstalledPlugin, ...]:
    """Every entry point of the ``caseflow`` group, from the kept list while ``sys.path`` is as it was."""
    if _standing_in:
        return _standing_in[-1]
    return _remembered(_path_key())


@contextlib.contextmanager
def standing_in(plugins: Iterable[InstalledPlugin]) -> Iterator[None]:
    """Within the block, ``plugins`` are the installed plugins (how :func:`caseflow.testing.installed_plugins`
    makes a plugin that is not pip-installed count as one)."""
    _standing_in.append(tuple(plugins))
    try:
        yield
    finally:
        _standing_in.pop()


@functools.lru_cache(maxsize=_KEPT)
def _remembered(key: tuple[Any, ...]) -> tuple[InstalledPlugin, ...]:
    target = cache_folder() / _FILE
    kept = _read(target)
    rows = kept.get(key)
    if not isinstance(rows, tuple):
        rows = _scan()
        kept = {k: v for k, v in list(kept.items())[-(_KEPT - 1) :] if k != key}
        kept[key] = rows
        _write(target, kept)
    return tuple(InstalledPlugin(*row) for row in rows)


def _path_key() -> tuple[Any, ...]:
    stamps: list[tuple[str, int]] = []
    for entry in sys.path:
        try:
            stamps.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            stamps.append((entry, -1))  # (not there now: if it appears, the key changes)
    return (sys.version, os.getcwd() if "" in sys.path else "", tuple(stamps))


def _scan() -> tuple[tuple[str, str, str | None], ...]:
    from importlib.metadata import entry_points

    return tuple(
        (ep.name, ep.value, ep.dist.version if ep.dist is not None else None)
        for ep in entry_points(group=ENTRY_POINT_GROUP)
    )


def _read(target: Path) -> dict[Any, Any]:
    try:
        found = marshal.loads(target.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return found if isinstance(found, dict) else {}


def _write(target: Path, kept: dict[Any, Any]) -> None:
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    replace_cache_file(target, marshal.dumps(kept))
