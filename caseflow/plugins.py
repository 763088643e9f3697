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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from caseflow import hookspecs
from caseflow.errors import CaseflowError, PluginError

if TYPE_CHECKING:
    import click

    from caseflow.core.forms import DocumentView, Finding, Form
    from caseflow.evaluation.instruments import Instrument
    from caseflow.followup.due_rules import DueRule
    from caseflow.referrals.directory import Directory, DirectoryLoad
    from caseflow.repo import CaseRepo, SavedDocument, StageChange
    from caseflow.reporting.model import Exporter, Report
    from caseflow.workflow.model import Check, Workflow

ENTRY_POINT_GROUP = "caseflow"

#: Each feature's commands, added to the ``caseflow`` command through ``register_commands`` as any
#: plugin's are.
COMMAND_PLUGINS = (
    "caseflow.agency.commands",
    "caseflow.records.commands",
    "caseflow.workflow.commands",
    "caseflow.evaluation.commands",
    "caseflow.referrals.commands",
    "caseflow.referrals.provider_commands",
    "caseflow.followup.commands",
    "caseflow.review.commands",
    "caseflow.sharing.commands",
    "caseflow.reporting.commands",
    "caseflow.index.commands",
    "caseflow.watch.commands",
)
PLUGINS_ENV = "CASEFLOW_PLUGINS"

#: caseflow's own behaviour, registered through the same hooks as everyone else's.
DEFAULT_PLUGINS = (
    "caseflow.records.client_ids",
    "caseflow.reporting.builtin",
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


def get_plugin_manager(
    policy: PluginPolicy | None = None, extra: Iterable[object] = (), *, defaults: bool = True
) -> pluggy.PluginManager:
    """A new plugin manager with the default plugins, permitted entry points and ``extra``.

    ``defaults=False`` leaves out caseflow's own plugins: what building the command line needs
    (they add no commands), without importing the forms, workflows and instruments they define.
    """
    policy = policy or PluginPolicy()
    pm = pluggy.PluginManager("caseflow")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS if defaults else ():
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
        self._checks: dict[str, Check] | None = None
        self._instruments: dict[str, Instrument] | None = None
        self._instrument_owners: dict[str, str] = {}
        self._check_owners: dict[str, str] = {}
        self._workflows: dict[str, Workflow] | None = None
        self._workflow_owners: dict[str, str] = {}
        self._reports: dict[str, Report] | None = None
        self._exporters: dict[str, Exporter] | None = None
        self._exporter_owners: dict[str, str] = {}
        self._report_owners: dict[str, str] = {}
        self._extensions: dict[str, list[str]] = {}
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

    def _collect(self, hook: str, kinds: tuple[type, ...], label: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """(plugin, spec) for everything a registration hook returns, checked for type."""
        collected: list[tuple[str, Any]] = []
        for name, call in self._each(hook, **kwargs):
            try:
                contributed = [item for result in call() for item in result or ()]
            except Exception as exc:
                raise PluginError(self._failure(name, hook, exc)) from exc
            for item in contributed:
                if not isinstance(item, kinds):
                    raise PluginError(f"plugin '{name}' returned {item!r} from {hook}, not a {label}")
                collected.append((name, item))
        return collected

    def _unique(self, hook: str, kinds: tuple[type, ...], label: str, owners: dict[str, str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, item in self._collect(hook, kinds, label):
            if item.id in found:
                raise PluginError(
                    f"{label.lower()} '{item.id}' is registered by both '{owners[item.id]}' and '{name}'; "
                    f"rename one or block a plugin in caseflow.yaml"
                )
            found[item.id] = item
            owners[item.id] = name
        return found

    def forms(self) -> Mapping[str, Form]:
        from caseflow.core.forms import Form

        """Every form, including the one each instrument brings."""
        if self._forms is None:
            forms = self._unique("register_forms", (Form,), "Form", self._form_owners)
            for instrument_id, instrument in self.instruments().items():
                if instrument_id in forms:
                    raise PluginError(
                        f"form '{instrument_id}' is registered by both '{self._form_owners[instrument_id]}' and "
                        f"'{self._instrument_owners[instrument_id]}' (as an instrument)"
                    )
                forms[instrument_id] = instrument.form()
                self._form_owners[instrument_id] = self._instrument_owners[instrument_id]
            self._forms = forms
        return self._forms

    def instruments(self) -> Mapping[str, Instrument]:
        from caseflow.evaluation.instruments import Instrument

        if self._instruments is None:
            self._instruments = self._unique(
                "register_instruments", (Instrument,), "Instrument", self._instrument_owners
            )
        return self._instruments

    def form_owner(self, form_id: str) -> str:
        self.forms()
        return self._form_owners[form_id]

    def provider_directories(self, root: Path, config: Mapping[str, Any]) -> list[Directory]:
        from caseflow.referrals.directory import Directory

        return [
            d
            for _, d in self._collect(
                "register_provider_directories", (Directory,), "Directory", root=root, config=config
            )
        ]

    @functools.cached_property
    def _due_rules(self) -> list[tuple[str, DueRule]]:
        from caseflow.followup.due_rules import BUILT_IN_RULES, DueRule

        taken = {rule.id: "caseflow (built in)" for rule in BUILT_IN_RULES}
        found = []
        for name, rule in self._collect("register_due_rules", (DueRule,), "DueRule"):
            if rule.id in taken:
                raise PluginError(f"due rule '{rule.id}' is registered by both '{taken[rule.id]}' and '{name}'")
            taken[rule.id] = name
            found.append((name, rule))
        return found

    def due_rules(self) -> list[tuple[str, DueRule]]:
        """(plugin, rule) for every rule plugins add to the built-in ones; ids are unique."""
        return self._due_rules

    def reports(self) -> Mapping[str, Report]:
        from caseflow.reporting.model import Report

        """Every report plugins register, by id (unique)."""
        if self._reports is None:
            self._reports = self._unique("register_reports", (Report,), "Report", self._report_owners)
        return self._reports

    def exporters(self) -> Mapping[str, Exporter]:
        from caseflow.reporting.model import Exporter

        """Every export format plugins register, by id (unique)."""
        if self._exporters is None:
            self._exporters = self._unique("register_exporters", (Exporter,), "Exporter", self._exporter_owners)
        return self._exporters

    def implementers(self, hook_name: str) -> list[str]:
        """The plugins implementing a hook, by name."""
        return [name for name, _ in self._each(hook_name)]

    @functools.cached_property
    def _fingerprint(self) -> str:
        versions = {ep.name: ep.dist.version for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.dist}
        names = sorted(name for name, _ in self.pm.list_name_plugin())
        return ";".join([_caseflow_version(), *(f"{name}={versions.get(name, '')}" for name in names)])

    def fingerprint(self) -> str:
        """caseflow's version and every loaded plugin's: a cache made under others is stale."""
        return self._fingerprint

    def read_provider_directory(self, source: Path, directory_id: str) -> tuple[str, DirectoryLoad] | None:
        from caseflow.referrals.directory import DirectoryLoad

        """(plugin, what it read) from the first plugin that reads ``source``'s format, else None.

        A CaseflowError is the source's fault (a broken file) and passes through as it is; any
        other exception is the plugin's and names it.
        """
        for name, call in self._each("read_provider_directory", source=source, directory_id=directory_id):
            try:
                result = call()
            except CaseflowError:
                raise
            except Exception as exc:
                raise PluginError(self._failure(name, "read_provider_directory", exc)) from exc
            if result:
                loaded = result[0]
                if not isinstance(loaded, DirectoryLoad):
                    raise PluginError(f"plugin '{name}' returned {loaded!r} from read_provider_directory")
                return name, loaded
        return None

    def checks(self) -> Mapping[str, Check]:
        from caseflow.workflow.model import Check

        if self._checks is None:
            self._checks = self._unique("register_checks", (Check,), "Check", self._check_owners)
        return self._checks

    def workflows(self) -> Mapping[str, Workflow]:
        from caseflow.workflow.model import Workflow, WorkflowExtension, workflow_problems

        """Every workflow with the extensions plugins made to it, each checked for soundness."""
        if self._workflows is None:
            items = self._collect("register_workflows", (Workflow, WorkflowExtension), "Workflow")
            workflows: dict[str, Workflow] = {}
            for name, item in items:
                if isinstance(item, Workflow):
                    if item.id in workflows:
                        raise PluginError(
                            f"workflow '{item.id}' is registered by both "
                            f"'{self._workflow_owners[item.id]}' and '{name}'"
                        )
                    workflows[item.id] = item
                    self._workflow_owners[item.id] = name
            for name, item in items:
                if isinstance(item, WorkflowExtension):
                    if item.workflow not in workflows:
                        raise PluginError(f"plugin '{name}' extends unknown workflow '{item.workflow}'")
                    workflows[item.workflow] = item.apply(workflows[item.workflow])
                    self._extensions.setdefault(item.workflow, []).append(name)
            checks = self.checks()
            for workflow_id, workflow in workflows.items():
                problems = workflow_problems(workflow, checks, set(self.forms()))
                if problems:
                    blamed = [self._workflow_owners[workflow_id], *self._extensions.get(workflow_id, [])]
                    raise PluginError(
                        f"workflow '{workflow_id}' (from {', '.join(repr(b) for b in blamed)}) cannot be used: "
                        f"{'; '.join(problems)}; " + _disable_hint(blamed[-1])
                    )
            self._workflows = workflows
        return self._workflows

    def register_commands(self, cli: click.Group) -> None:
        for name, call in self._each("register_commands", cli=cli):
            try:
                call()
            except Exception as exc:
                raise PluginError(self._failure(name, "register_commands", exc)) from exc

    # -- lifecycle -----------------------------------------------------------------------------

    def validate_document(self, document: DocumentView) -> list[tuple[str, Finding]]:
        from caseflow.core.forms import Finding

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

    def before_stage_change(self, repo: CaseRepo, client_id: str, source: str, target: str) -> list[str]:
        """Every veto, each naming its plugin."""
        vetoes: list[str] = []
        for name, call in self._each(
            "before_stage_change", repo=repo, client_id=client_id, source=source, target=target
        ):
            try:
                vetoes.extend(f"{reason} [{name}]" for reason in call() if reason)
            except Exception as exc:
                vetoes.append(self._failure(name, "before_stage_change", exc))
        return vetoes

    def after_stage_change(self, repo: CaseRepo, change: StageChange) -> None:
        for name, call in self._each("after_stage_change", repo=repo, change=change):
            try:
                call()
            except Exception as exc:
                self.warnings.append(self._failure(name, "after_stage_change", exc))

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
        self.workflows()  # loads forms' and checks' owners too, and workflows' own
        self.forms()
        contributions: dict[str, dict[str, list[str]]] = {}
        registries = (
            ("forms", {k: v for k, v in self._form_owners.items() if k not in self._instrument_owners}),
            ("instruments", self._instrument_owners),
            ("checks", self._check_owners),
            ("workflows", self._workflow_owners),
        )
        for kind, owners in registries:
            for item_id, owner in owners.items():
                contributions.setdefault(owner, {}).setdefault(kind, []).append(item_id)
        for workflow_id, extenders in self._extensions.items():
            for extender in extenders:
                contributions.setdefault(extender, {}).setdefault("workflow extensions", []).append(workflow_id)
        versions = {ep.name: ep.dist.version for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.dist}
        infos = []
        for name, plugin in self.pm.list_name_plugin():
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or ()))
            default = name in DEFAULT_PLUGINS
            version = _caseflow_version() if default else versions.get(name)
            contributes = {kind: tuple(sorted(ids)) for kind, ids in contributions.get(name, {}).items()}
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
