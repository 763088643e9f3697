"""Loading plugins: which ones (allow and block lists), and the plugin manager that holds them.

No plugin manager exists at import time: :func:`get_plugin_manager` builds a fresh one per
session (a CLI run, a test, an API user), with caseflow's default plugins plus the installed
distributions that declare an entry point in the ``caseflow`` group, filtered by the allow and
block lists of ``caseflow.yaml`` and ``CASEFLOW_PLUGINS``.
"""

from __future__ import annotations

import importlib
import inspect
import os
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pluggy

from caseflow import hookspecs
from caseflow.errors import PluginError
from caseflow.plugins.installed import installed_plugins

PLUGINS_ENV = "CASEFLOW_PLUGINS"

#: Each feature's commands, added to the ``caseflow`` command through ``register_commands`` as any
#: plugin's are.
COMMAND_PLUGINS = (
    "caseflow.agency.commands",
    "caseflow.records.commands",
    "caseflow.importing.commands",
    "caseflow.workflow.commands",
    "caseflow.authority.commands",
    "caseflow.evaluation.commands",
    "caseflow.referrals.commands",
    "caseflow.referrals.provider_commands",
    "caseflow.followup.commands",
    "caseflow.followup.show_command",
    "caseflow.households.commands",
    "caseflow.review.commands",
    "caseflow.scaffold.commands",
    "caseflow.sharing.commands",
    "caseflow.reporting.commands",
    "caseflow.index.commands",
    "caseflow.watch.commands",
    "caseflow.doctor.commands",
    "caseflow.web.commands",
    "caseflow.resident.commands",
)

#: caseflow's own behaviour, registered through the same hooks as everyone else's.
DEFAULT_PLUGINS = (
    "caseflow.records.client_ids",
    "caseflow.reporting.builtin",
    "caseflow.reporting.builtin_exporters",
    "caseflow.records.client_form",
    "caseflow.referrals.consent_forms",
    "caseflow.followup.note_forms",
    "caseflow.records.plan_form",
    "caseflow.referrals.referral_forms",
    "caseflow.followup.forms",
    "caseflow.records.discharge_form",
    "caseflow.records.document_checks",
    "caseflow.workflow.approval_form",
    "caseflow.workflow.checks",
    "caseflow.workflow.default_workflow",
    "caseflow.evaluation.mood",
    "caseflow.evaluation.substance",
    "caseflow.evaluation.cssrs",
    "caseflow.referrals.provider_directory",
)


def disable_hint(name: str) -> str:
    """How to switch off the plugin ``name``: the end of every message that blames a plugin."""
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
    installed = {plugin.name for plugin in installed_plugins()}
    return sorted(set(policy.allow or ()) - installed)


class PluginManager(pluggy.PluginManager):
    """pluggy's, with a quicker look through a module's names for hook implementations.

    pluggy looks up each name a plugin lists with :func:`inspect.getattr_static`, so that a
    class's properties never run. A module's names are plain entries of its ``__dict__``: read there,
    a function's marker says the same at a fraction of the cost (a manager registers some forty
    modules of caseflow's own, each listing a hundred names or more; tests make thousands of
    managers). Anything but a plain function goes to pluggy's own look-up."""

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        if type(plugin) is types.ModuleType:
            value = plugin.__dict__.get(name, _ABSENT)
            if inspect.isfunction(value):
                opts = getattr(value, f"{self.project_name}_impl", None)
                return opts if isinstance(opts, dict) else None  # type: ignore[return-value]
            if value is not _ABSENT and not isinstance(value, (staticmethod, classmethod, types.MethodType)):
                return None  # (data, a class, a module: never a hook implementation)
        return super().parse_hookimpl_opts(plugin, name)


_ABSENT = object()


def get_plugin_manager(
    policy: PluginPolicy | None = None, extra: Iterable[object] = (), *, defaults: bool = True
) -> pluggy.PluginManager:
    """A new plugin manager with the default plugins, permitted entry points and ``extra``.

    ``defaults=False`` leaves out caseflow's own plugins: what building the command line needs
    (they add no commands), without importing the forms, workflows and instruments they define.
    """
    policy = policy or PluginPolicy()
    pm = PluginManager("caseflow")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS if defaults else ():
        pm.register(importlib.import_module(module_name), name=module_name)
    for entry_point in installed_plugins():
        if not policy.permits(entry_point.name) or pm.has_plugin(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:
            raise PluginError(
                f"plugin '{entry_point.name}' failed to load ({type(exc).__name__}: {exc}); "
                + disable_hint(entry_point.name)
            ) from exc
        _register(pm, plugin, entry_point.name)
    for plugin in extra:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        _register(pm, plugin, name if not pm.has_plugin(name) else f"{name}-{id(plugin)}")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(f"plugin '{name}' implements an unknown hook ({exc}); " + disable_hint(name)) from exc
    return pm


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:  # e.g. a hook implementation with a misnamed argument
        raise PluginError(
            f"plugin '{name}' does not fit the hook specification ({exc}); " + disable_hint(name)
        ) from exc
