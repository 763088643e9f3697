"""Plugins in tests: registered though not pip-installed, a repository opened with them at a fixed
date, and a spy on every lifecycle hook (re-exported by :mod:`caseflow.testing`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseflow.hookspecs import hookimpl

if TYPE_CHECKING:
    from caseflow.core.case import CaseView
    from caseflow.core.events import SavedDocument, StageChange
    from caseflow.core.forms import DocumentView

#: An environment that loads only caseflow's built-in plugins (no installed agency plugins).
ONLY_BUILTIN_PLUGINS = {"CASEFLOW_PLUGINS": ""}


def _today_env(today: str | None) -> dict[str, str]:
    """The fixed date for a command or repository: ``today``, else ``$CASEFLOW_TODAY`` (which, in a
    test, only the test itself can have set: the developer's own is removed before each test)."""
    fixed = today or os.environ.get("CASEFLOW_TODAY")
    return {"CASEFLOW_TODAY": fixed} if fixed else {}


@dataclass(eq=False)  # plugins are registered by identity, so they must stay hashable
class Recorder:
    """A spy plugin: register it and read ``calls`` to see which lifecycle hooks fired, in order.

    It implements every hook of :mod:`caseflow.hookspecs` that is not a ``register_*`` hook (a
    test compares the two lists, so a new hook cannot be missed) and never changes an outcome: each
    method returns None, so ``firstresult`` hooks go on to the real implementation.
    """

    calls: list[tuple[str, Any]] = field(default_factory=list)

    def named(self, hook: str) -> list[Any]:
        """What each call of ``hook`` received, in order."""
        return [seen for name, seen in self.calls if name == hook]

    @hookimpl
    def configure(self, settings: Mapping[str, Any]) -> None:
        self.calls.append(("configure", dict(settings)))

    @hookimpl
    def validate_document(self, document: DocumentView) -> None:
        self.calls.append(("validate_document", document.path))

    @hookimpl
    def after_document_saved(self, saved: SavedDocument) -> None:
        self.calls.append(("after_document_saved", saved))

    @hookimpl
    def before_stage_change(self, case: CaseView, source: str, target: str) -> None:
        self.calls.append(("before_stage_change", (case.client_id, source, target)))

    @hookimpl
    def after_stage_change(self, change: StageChange) -> None:
        self.calls.append(("after_stage_change", change))

    @hookimpl
    def new_client_id(self, taken: Callable[[str], bool]) -> None:
        self.calls.append(("new_client_id", None))

    @hookimpl
    def read_provider_directory(self, source: Path, directory_id: str) -> None:
        self.calls.append(("read_provider_directory", (source, directory_id)))


@contextlib.contextmanager
def installed_plugins(plugins: Mapping[str, object], *, keep_installed: bool = False) -> Iterator[None]:
    """Within the block, caseflow sees ``plugins`` (name to module or object) as installed plugins of
    those names: the allow and block lists, ``plugins.config.<name>`` settings, ``caseflow plugins``
    and the CLI's commands treat them as pip-installed ones. The really installed plugins are hidden
    unless ``keep_installed``.
    """
    from caseflow.plugins import installed

    real = installed.installed_plugins() if keep_installed else ()
    stand_ins = (
        installed.InstalledPlugin(name, "caseflow.testing:installed_plugins", None, plugin)
        for name, plugin in plugins.items()
    )
    with installed.standing_in([*(p for p in real if p.name not in plugins), *stand_ins]):
        yield


def registered_plugin(
    path: Path,
    *plugins: object,
    installed_as: Mapping[str, object] | None = None,
    today: str | None = None,
    installed: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """Open the repository at ``path`` (a ``CaseRepo``) with extra plugin objects or modules registered.

    ``plugins`` are registered under their ``__name__`` (else their class name);
    ``installed_as={"acme": module}`` registers modules as if pip-installed under those names (what
    caseflow.yaml's ``plugins.config.acme`` settings and allow lists need: see
    :func:`installed_plugins`). Only caseflow's own plugins and these are loaded; ``installed=True``
    loads the installed ones the repository permits as well. ``today`` (else ``$CASEFLOW_TODAY``)
    fixes the date.
    """
    from caseflow.repo import open_repo

    env: dict[str, str] = {} if installed or installed_as else dict(ONLY_BUILTIN_PLUGINS)
    env.update(_today_env(today))
    env.update(environ or {})
    with contextlib.ExitStack() as stack:
        if installed_as:
            stack.enter_context(installed_plugins(installed_as, keep_installed=installed))
        return open_repo(path, environ=env, plugins=plugins)
