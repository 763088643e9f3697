"""The plugin machinery: which plugins load, and the typed host through which caseflow calls them.

- :mod:`~caseflow.plugins.manager` builds a fresh pluggy manager per session (defaults, installed
  entry points filtered by allow and block lists, extra plugin objects) and names a plugin that
  fails to load, with how to disable it;
- :mod:`~caseflow.plugins.registry` calls plugins one at a time and collects each kind of
  contribution into a typed registry (types checked, ids unique, owners remembered);
- :mod:`~caseflow.plugins.host` is :class:`PluginHost`, the facade the core calls: one registry
  per contribution kind and one typed method per lifecycle hook.

The core never touches ``pm.hook``. This package imports a feature's spec types (``Form``,
``Workflow``, ...) only inside the host's methods, when that kind is first needed.
"""

from __future__ import annotations

from caseflow.plugins.host import PluginHost, PluginInfo
from caseflow.plugins.installed import ENTRY_POINT_GROUP, InstalledPlugin, installed_plugins
from caseflow.plugins.manager import (
    COMMAND_PLUGINS,
    DEFAULT_PLUGINS,
    PLUGINS_ENV,
    PluginPolicy,
    get_plugin_manager,
    not_installed,
)
from caseflow.plugins.registry import Kind, PluginCalls, Registry

__all__ = [
    "COMMAND_PLUGINS",
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "PLUGINS_ENV",
    "InstalledPlugin",
    "Kind",
    "PluginCalls",
    "PluginHost",
    "PluginInfo",
    "PluginPolicy",
    "Registry",
    "get_plugin_manager",
    "installed_plugins",
    "not_installed",
]
