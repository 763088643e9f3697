"""Loading plugins, and the typed host through which caseflow calls them.

No plugin manager exists at import time: :func:`get_plugin_manager` builds a fresh one per
session (a CLI run, a test, an API user), with caseflow's default plugins plus the installed
distributions that declare an entry point in the ``caseflow`` group, filtered by the allow and
block lists of ``caseflow.yaml`` and ``CASEFLOW_PLUGINS``.

The core never touches ``pm.hook``; it calls :class:`PluginHost`, which types every call and
attributes every failure to the plugin that caused it.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import pluggy

from caseflow import hookspecs
from caseflow.core.forms import DocumentView, Finding, Form
from caseflow.errors import PluginError

if TYPE_CHECKING:
    import click

    from caseflow.repo import CaseRepo, SavedDocument

ENTRY_POINT_GROUP = "caseflow"
PLUGINS_ENV = "CASEFLOW_PLUGINS"

#: caseflow's own behaviour, registered through the same hooks as everyone else's.
DEFAULT_PLUGINS = (
    "caseflow.default_plugins.client_ids",
    "caseflow.default_plugins.client_forms",
    "caseflow.default_plugins.consent_forms",
    "caseflow.default_plugins.note_forms",
    "caseflow.default_plugins.plan_forms",
    "caseflow.default_plugins.referral_forms",
    "caseflow.default_plugins.monitoring_forms",
    "caseflow.default_plugins.discharge_forms",
    "caseflow.default_plugins.document_checks",
)


def _disable_hint(name: str) -> str:
    return f"disable it with 'plugins: {{block: [{name}]}}' in caseflow.yaml or {PLUGINS_ENV}=<the plugins to load>"


@dataclass(frozen=True)
class PluginPolicy:
    """Which installed plugins to load: ``allow`` (None = all) minus ``block``."""

    allow: frozenset[str] | None = None
    block: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, plugins: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None) -> PluginPolicy:
        plugins = plugins or {}
        environ = os.environ if environ is None else environ
        allow = plugins.get("allow")
        allowed = None if allow is None else frozenset(allow)
        if PLUGINS_ENV in environ:
            allowed = frozenset(n.strip() for n in environ[PLUGINS_ENV].split(",") if n.strip())
        return cls(allowed, frozenset(plugins.get("block") or ()))

    def permits(self, name: str) -> bool:
        return name not in self.block and (self.allow is None or name in self.allow)


def not_installed(policy: PluginPolicy) -> list[str]:
    """Plugins an allow-list names that no installed distribution provides (likely typos)."""
    installed = {entry_point.name for entry_point in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(set(policy.allow or ()) - installed)


def get_plugin_manager(policy: PluginPolicy | None = None, extra: Iterable[object] = ()) -> pluggy.PluginManager:
    """A new plugin manager with the default plugins, permitted entry points and ``extra``."""
    policy = policy or PluginPolicy()
    pm = pluggy.PluginManager("caseflow")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if not policy.permits(entry_point.name) or pm.has_plugin(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:
            raise PluginError(
                f"plugin '{entry_point.name}' failed to load ({type(exc).__name__}: {exc}); "
                + _disable_hint(entry_point.name)
            ) from exc
        _register(pm, plugin, entry_point.name)
    for plugin in extra:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        _register(pm, plugin, name if not pm.has_plugin(name) else f"{name}-{id(plugin)}")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(f"plugin '{name}' implements an unknown hook ({exc}); " + _disable_hint(name)) from exc
    return pm


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:  # e.g. a hook implementation with a misnamed argument
        raise PluginError(
            f"plugin '{name}' does not fit the hook specification ({exc}); " + _disable_hint(name)
        ) from exc


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin as ``caseflow plugins`` shows it."""

    name: str
    version: str | None
    default: bool
    hooks: tuple[str, ...]
    contributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "default": self.default,
            "hooks": list(self.hooks),
            "contributes": {kind: list(ids) for kind, ids in self.contributes.items()},
        }


class PluginHost:
    """The typed facade over pluggy that the core calls."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._forms: dict[str, Form] | None = None
        self._form_owners: dict[str, str] = {}
        self._callers: dict[str, list[tuple[str, Any]]] = {}
        self.warnings: list[str] = []

    # -- calling plugins one by one --------------------------------------------------------------
    # pluggy stops at the first exception and does not say which plugin returned what. The host
    # calls each plugin through its own pluggy subset caller (in pluggy's order, wrappers and all),
    # so that it can attribute every result and failure, and one failure does not stop the rest.

    def _each(self, hook_name: str, **kwargs: Any) -> Iterable[tuple[str, Callable[[], list[Any]]]]:
        """(plugin name, call) per implementing plugin; a call returns that plugin's results."""
        if hook_name not in self._callers:
            hook = getattr(self.pm.hook, hook_name)
            plugins: list[object] = []
            for impl in reversed(hook.get_hookimpls()):
                if not any(impl.plugin is seen for seen in plugins):  # plugins need not be hashable
                    plugins.append(impl.plugin)
            self._callers[hook_name] = [
                (
                    self.pm.get_name(plugin) or repr(plugin),
                    self.pm.subset_hook_caller(hook_name, [p for p in plugins if p is not plugin]),
                )
                for plugin in plugins
            ]
        firstresult = bool(getattr(self.pm.hook, hook_name).spec.opts.get("firstresult"))
        for name, caller in self._callers[hook_name]:
            yield name, functools.partial(_as_list, caller, firstresult, kwargs)

    def _failure(self, name: str, hook: str, exc: Exception) -> str:
        return f"plugin '{name}' raised {type(exc).__name__} in {hook}: {exc}; " + _disable_hint(name)

    # -- registration --------------------------------------------------------------------------

    def forms(self) -> Mapping[str, Form]:
        if self._forms is None:
            forms: dict[str, Form] = {}
            for name, call in self._each("register_forms"):
                try:
                    contributed = [form for result in call() for form in result or ()]
                except Exception as exc:
                    raise PluginError(self._failure(name, "register_forms", exc)) from exc
                for form in contributed:
                    if not isinstance(form, Form):
                        raise PluginError(f"plugin '{name}' returned {form!r} from register_forms, not a Form")
                    if form.id in forms:
                        raise PluginError(
                            f"form '{form.id}' is registered by both '{self._form_owners[form.id]}' and '{name}'; "
                            f"rename one or block a plugin in caseflow.yaml"
                        )
                    forms[form.id] = form
                    self._form_owners[form.id] = name
            self._forms = forms
        return self._forms

    def form_owner(self, form_id: str) -> str:
        self.forms()
        return self._form_owners[form_id]

    def register_commands(self, cli: click.Group) -> None:
        for name, call in self._each("register_commands", cli=cli):
            try:
                call()
            except Exception as exc:
                raise PluginError(self._failure(name, "register_commands", exc)) from exc

    # -- lifecycle -----------------------------------------------------------------------------

    def validate_document(self, document: DocumentView) -> list[tuple[str, Finding]]:
        """Every implementation's findings, with the plugin that found each."""
        findings: list[tuple[str, Finding]] = []
        for name, call in self._each("validate_document", document=document):
            try:
                result = [finding for found in call() for finding in found or ()]
            except Exception as exc:
                findings.append((name, Finding(self._failure(name, "validate_document", exc))))
                continue
            for finding in result:
                findings.append((name, finding if isinstance(finding, Finding) else Finding(str(finding))))
        return findings

    def after_document_saved(self, repo: CaseRepo, saved: SavedDocument) -> None:
        for name, call in self._each("after_document_saved", repo=repo, saved=saved):
            try:
                call()
            except Exception as exc:
                self.warnings.append(self._failure(name, "after_document_saved", exc))

    def new_client_id(self, taken: Callable[[str], bool]) -> str:
        for name, call in self._each("new_client_id", taken=taken):
            try:
                result = call()
            except Exception as exc:
                raise PluginError(self._failure(name, "new_client_id", exc)) from exc
            if result:
                return str(result[0])
        raise PluginError("no plugin chose a client id (the default plugin is missing)")

    # -- introspection -------------------------------------------------------------------------

    def describe(self) -> list[PluginInfo]:
        forms = self.forms()
        by_plugin: dict[str, list[str]] = {}
        for form_id in forms:
            by_plugin.setdefault(self._form_owners[form_id], []).append(form_id)
        versions = {ep.name: ep.dist.version for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.dist}
        infos = []
        for name, plugin in self.pm.list_name_plugin():
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or ()))
            default = name in DEFAULT_PLUGINS
            version = _caseflow_version() if default else versions.get(name)
            contributes = {"forms": tuple(sorted(by_plugin.get(name, ())))} if name in by_plugin else {}
            infos.append(PluginInfo(name, version, default, hooks, contributes))
        return sorted(infos, key=lambda info: (info.default, info.name))


def _as_list(caller: Any, firstresult: bool, kwargs: dict[str, Any]) -> list[Any]:
    result = caller(**kwargs)
    if firstresult:
        return [] if result is None else [result]
    return list(result)


def _caseflow_version() -> str:
    from caseflow import __version__

    return __version__
