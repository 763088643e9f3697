"""The typed host: the only way the core reaches plugins.

One :class:`~caseflow.plugins.registry.Registry` per kind of contribution (forms, instruments,
checks, workflows, due rules, reports, exporters), and one typed method per lifecycle hook, each
deciding what a failing plugin means: an error (registration, ids, commands), a veto (a stage
change), a problem (validation) or a warning (``after_*``: the event already happened).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from caseflow.errors import CaseflowError, PluginError
from caseflow.plugins.installed import installed_plugins
from caseflow.plugins.manager import COMMAND_PLUGINS, DEFAULT_PLUGINS, disable_hint
from caseflow.plugins.registry import Kind, PluginCalls, Registry, failure

if TYPE_CHECKING:
    import click

    from caseflow.core.case import CaseView
    from caseflow.core.events import SavedDocument, StageChange
    from caseflow.core.forms import DocumentView, Finding, Form
    from caseflow.evaluation.instruments import Instrument
    from caseflow.followup.due_rules import DueRule
    from caseflow.referrals.directory import Directory, DirectoryLoad
    from caseflow.reporting.model import Exporter, Report
    from caseflow.workflow.combining import Conflict
    from caseflow.workflow.model import Check, Workflow


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
    """The typed facade over pluggy that the core calls.

    Spec types are imported when their registry is first needed: building the command line
    (which needs only ``register_commands``) imports no forms, workflows or instruments.
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self.calls = PluginCalls(pm)
        #: failures of ``after_*`` hooks: the event happened, so they are reported, not raised
        self.warnings: list[str] = []
        self._conflicts: list[Conflict] = []

    # -- registries ------------------------------------------------------------------------------

    @functools.cached_property
    def _forms(self) -> Registry[Form]:
        from caseflow.core.forms import Form

        return Registry(self.calls, Kind("register_forms", Form, "form"))

    @functools.cached_property
    def _instruments(self) -> Registry[Instrument]:
        from caseflow.evaluation.instruments import Instrument

        return Registry(self.calls, Kind("register_instruments", Instrument, "instrument"))

    @functools.cached_property
    def _checks(self) -> Registry[Check]:
        from caseflow.workflow.model import Check

        return Registry(self.calls, Kind("register_checks", Check, "check"))

    @functools.cached_property
    def _workflows(self) -> Registry[Workflow]:
        from caseflow.workflow.model import Workflow, WorkflowExtension

        return Registry(self.calls, Kind("register_workflows", Workflow, "workflow", also=(WorkflowExtension,)))

    @functools.cached_property
    def _due_rules(self) -> Registry[DueRule]:
        from caseflow.followup.due_rules import BUILT_IN_RULES, DueRule

        built_in = {rule.id: "caseflow (built in)" for rule in BUILT_IN_RULES}
        return Registry(self.calls, Kind("register_due_rules", DueRule, "due rule", reserved=built_in))

    @functools.cached_property
    def _reports(self) -> Registry[Report]:
        from caseflow.reporting.model import Report

        return Registry(self.calls, Kind("register_reports", Report, "report"))

    @functools.cached_property
    def _exporters(self) -> Registry[Exporter]:
        from caseflow.reporting.model import Exporter

        return Registry(self.calls, Kind("register_exporters", Exporter, "exporter"))

    def forms(self) -> Mapping[str, Form]:
        """Every form by id, including the one each instrument brings."""
        return self._all_forms

    @functools.cached_property
    def _all_forms(self) -> Mapping[str, Form]:
        forms, instruments = self._forms, self._instruments
        merged = dict(forms.items())
        for instrument_id, instrument in instruments.items().items():
            if instrument_id in merged:
                raise PluginError(
                    f"form '{instrument_id}' is registered by both '{forms.owners[instrument_id]}' and "
                    f"'{instruments.owners[instrument_id]}' (as an instrument)"
                )
            merged[instrument_id] = instrument.form()
        return merged

    def form_owner(self, form_id: str) -> str:
        """The plugin that registered a form (an instrument's, for an instrument's form)."""
        self.forms()
        owners = self._forms.owners
        return owners[form_id] if form_id in owners else self._instruments.owners[form_id]

    def instruments(self) -> Mapping[str, Instrument]:
        """Every screening instrument by id."""
        return self._instruments.items()

    def checks(self) -> Mapping[str, Check]:
        """Every requirement check by id."""
        return self._checks.items()

    def owners(self, kind: str) -> Mapping[str, str]:
        """The plugin that registered each id of a kind: ``forms``, ``instruments``, ``checks``,
        ``workflows``, ``reports`` or ``exporters``."""
        registries: dict[str, Registry[Any]] = {
            "forms": self._forms,
            "instruments": self._instruments,
            "checks": self._checks,
            "workflows": self._workflows,
            "reports": self._reports,
            "exporters": self._exporters,
        }
        if kind not in registries:
            raise ValueError(f"no registry of {kind} (one of {', '.join(registries)})")
        return registries[kind].owners

    def due_rules(self) -> list[tuple[str, DueRule]]:
        """(plugin, rule) for every rule plugins add to the built-in ones; ids are unique."""
        return self._due_rules.owned()

    def reports(self) -> Mapping[str, Report]:
        """Every report plugins register, by id (unique)."""
        return self._reports.items()

    def exporters(self) -> Mapping[str, Exporter]:
        """Every export format plugins register, by id (unique)."""
        return self._exporters.items()

    def workflows(self) -> Mapping[str, Workflow]:
        """Every workflow with the extensions plugins made to it, each checked for soundness.

        Extensions combine in a documented order (:mod:`caseflow.workflow.combining`): the
        ``register_workflows`` implementation's ``tryfirst``, unmarked, ``trylast``; then plugin
        name; where two plugins set the same thing (a ``monitoring`` key, a stage requirement), the
        first in that order wins and :meth:`workflow_conflicts` reports it.
        """
        return self._extended_workflows[0]

    def workflow_conflicts(self) -> list[Conflict]:
        """Where plugins' workflow extensions set the same thing to different values, and who wins
        (what ``caseflow plugins --check`` reports)."""
        self.workflows()
        return self._conflicts

    def _hook_ranks(self, hook_name: str) -> dict[str, int]:
        """Each implementing plugin's rank by its pluggy marker: tryfirst 0, unmarked 1, trylast 2."""
        from caseflow.workflow.combining import PLAIN, TRYFIRST, TRYLAST

        ranks = {}
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            ranks[impl.plugin_name] = TRYFIRST if impl.tryfirst else TRYLAST if impl.trylast else PLAIN
        return ranks

    @functools.cached_property
    def _extended_workflows(self) -> tuple[Mapping[str, Workflow], Mapping[str, list[str]]]:
        """(workflows, the plugins that extended each, in the order their extensions combine in)."""
        from caseflow.workflow.combining import Contribution, combine, ordered
        from caseflow.workflow.model import workflow_problems

        registry = self._workflows
        workflows = dict(registry.items())
        ranks = self._hook_ranks("register_workflows")
        contributions: dict[str, list[Contribution]] = {}
        for name, extension in registry.extras:
            if extension.workflow not in workflows:
                raise PluginError(f"plugin '{name}' extends unknown workflow '{extension.workflow}'")
            contributions.setdefault(extension.workflow, []).append(Contribution(name, extension, ranks.get(name, 1)))
        extenders: dict[str, list[str]] = {}
        self._conflicts = []
        for workflow_id, extensions in contributions.items():
            workflows[workflow_id], conflicts = combine(workflows[workflow_id], extensions, self.checks())
            self._conflicts.extend(conflicts)
            extenders[workflow_id] = list(dict.fromkeys(c.plugin for c in ordered(extensions)))
        for workflow_id, workflow in workflows.items():
            problems = workflow_problems(workflow, self.checks(), set(self.forms()))
            if problems:
                blamed = [registry.owners[workflow_id], *extenders.get(workflow_id, [])]
                raise PluginError(
                    f"workflow '{workflow_id}' (from {', '.join(repr(b) for b in blamed)}) cannot be used: "
                    f"{'; '.join(problems)}; " + disable_hint(blamed[-1])
                )
        return workflows, extenders

    def provider_directories(self, root: Path, config: Mapping[str, Any]) -> list[Directory]:
        """The directories plugins load for this repository (not cached: they depend on ``config``)."""
        from caseflow.referrals.directory import Directory

        kind = Kind("register_provider_directories", Directory, "directory")
        return [directory for _, directory in self.calls.collect(kind, root=root, config=config)]

    # -- hooks called at a moment -----------------------------------------------------------------

    def _command_owners(self) -> dict[str, str]:
        """Each command name and the plugin that adds it (each plugin asked into a scratch group)."""
        import click

        owners: dict[str, str] = {}
        probe = click.Group("probe")
        for name, call in self.calls.each("register_commands", cli=probe):
            before = set(probe.commands)
            try:
                call()
            except Exception as exc:
                raise PluginError(failure(name, "register_commands", exc)) from exc
            owners.update({command: name for command in set(probe.commands) - before})
        return owners

    def register_commands(self, cli: click.Group) -> None:
        """Let every plugin add its commands to ``cli``; a plugin that raises is an error naming it."""
        for name, call in self.calls.each("register_commands", cli=cli):
            try:
                call()
            except Exception as exc:
                raise PluginError(failure(name, "register_commands", exc)) from exc

    def read_provider_directory(self, source: Path, directory_id: str) -> tuple[str, DirectoryLoad] | None:
        """(plugin, what it read) from the first plugin that reads ``source``'s format, else None.

        A CaseflowError is the source's fault (a broken file) and passes through as it is; any
        other exception is the plugin's and names it.
        """
        from caseflow.referrals.directory import DirectoryLoad

        for name, call in self.calls.each("read_provider_directory", source=source, directory_id=directory_id):
            try:
                result = call()
            except CaseflowError:
                raise
            except Exception as exc:
                raise PluginError(failure(name, "read_provider_directory", exc)) from exc
            if result:
                if not isinstance(result[0], DirectoryLoad):
                    raise PluginError(f"plugin '{name}' returned {result[0]!r} from read_provider_directory")
                return name, result[0]
        return None

    def validate_document(self, document: DocumentView) -> list[tuple[str, Finding]]:
        """Every implementation's findings, with the plugin that found each; one that raises is a finding."""
        from caseflow.core.forms import Finding

        findings: list[tuple[str, Finding]] = []
        for name, call in self.calls.each("validate_document", document=document):
            try:
                result = [finding for found in call() for finding in found or ()]
            except Exception as exc:
                findings.append((name, Finding(failure(name, "validate_document", exc))))
                continue
            findings.extend((name, f if isinstance(f, Finding) else Finding(str(f))) for f in result)
        return findings

    def before_stage_change(self, case: CaseView, source: str, target: str) -> list[str]:
        """Every veto, each naming its plugin; a plugin that raises vetoes too."""
        vetoes: list[str] = []
        for name, call in self.calls.each("before_stage_change", case=case, source=source, target=target):
            try:
                vetoes.extend(f"{reason} [{name}]" for reason in call() if reason)
            except Exception as exc:
                vetoes.append(failure(name, "before_stage_change", exc))
        return vetoes

    def after_stage_change(self, change: StageChange) -> None:
        """Tell every plugin about a committed stage change; failures become :attr:`warnings`."""
        self._notify("after_stage_change", change=change)

    def after_document_saved(self, saved: SavedDocument) -> None:
        """Tell every plugin about a committed document; failures become :attr:`warnings`."""
        self._notify("after_document_saved", saved=saved)

    def _notify(self, hook: str, **kwargs: Any) -> None:
        for name, call in self.calls.each(hook, **kwargs):
            try:
                call()
            except Exception as exc:
                self.warnings.append(failure(name, hook, exc))

    def new_client_id(self, taken: Callable[[str], bool]) -> str:
        """The id the first plugin chooses (the built-in one is ``trylast``)."""
        for name, call in self.calls.each("new_client_id", taken=taken):
            try:
                result = call()
            except Exception as exc:
                raise PluginError(failure(name, "new_client_id", exc)) from exc
            if result:
                return str(result[0])
        raise PluginError("no plugin chose a client id (the default plugin is missing)")

    # -- introspection ---------------------------------------------------------------------------

    def implementers(self, hook_name: str) -> list[str]:
        """The plugins implementing a hook, by name."""
        return [name for name, _ in self.calls.each(hook_name)]

    @functools.cached_property
    def _fingerprint(self) -> str:
        versions = {p.name: p.version for p in installed_plugins() if p.version}
        names = sorted(name for name, _ in self.pm.list_name_plugin())
        return ";".join([_caseflow_version(), *(f"{name}={versions.get(name, '')}" for name in names)])

    def configure(self, settings: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Hand each plugin its own settings (``plugins.config.<name>``) through its ``configure``
        hook; (plugin name, problem) for each setting refused, and for settings naming no plugin."""
        problems: list[tuple[str, str]] = []
        for impl in self.pm.hook.configure.get_hookimpls():
            own = settings.get(impl.plugin_name) or {}
            try:
                said: Any = impl.function(settings=own)
            except Exception as exc:
                said = [f"plugin '{impl.plugin_name}' failed to read its settings ({type(exc).__name__}: {exc})"]
            problems.extend((impl.plugin_name, str(problem)) for problem in said or ())
        if settings:  # (a blocked plugin may keep its settings: it is installed)
            installed = {name for name, _ in self.pm.list_name_plugin()}
            installed |= {plugin.name for plugin in installed_plugins()}
            unknown = [name for name in settings if name not in installed]
            problems.extend((name, f"no plugin named '{name}' is installed") for name in unknown)
        return problems

    def fingerprint(self) -> str:
        """caseflow's version and every loaded plugin's: a cache made under others is stale."""
        return self._fingerprint

    def describe(self) -> list[PluginInfo]:
        """Every loaded plugin with its hooks and what it contributes, agency plugins first."""
        _, extenders = self._extended_workflows  # loads forms, instruments and checks too
        contributions: dict[str, dict[str, list[str]]] = {}
        owners = (
            ("forms", self._forms.owners),
            ("instruments", self._instruments.owners),
            ("checks", self._checks.owners),
            ("workflows", self._workflows.owners),
            *(("workflow extensions", {w: name}) for w, names in extenders.items() for name in names),
            ("due rules", {rule.id: name for name, rule in self.due_rules()}),
            ("reports", self._reports.owners),
            ("exporters", self._exporters.owners),
            ("directory readers", {name: name for name in self.implementers("read_provider_directory")}),
            ("commands", self._command_owners()),
        )
        for kind, owned in owners:
            for item_id, owner in owned.items():
                contributions.setdefault(owner, {}).setdefault(kind, []).append(item_id)
        versions = {p.name: p.version for p in installed_plugins() if p.version}
        packages = _Packages()
        infos = []
        for name, plugin in self.pm.list_name_plugin():
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or ()))
            default = name in DEFAULT_PLUGINS or name in COMMAND_PLUGINS
            version = _caseflow_version() if default else versions.get(name) or _distribution_version(plugin, packages)
            contributes = {kind: tuple(sorted(ids)) for kind, ids in contributions.get(name, {}).items()}
            infos.append(PluginInfo(name, version, default, hooks, contributes))
        return sorted(infos, key=lambda info: (info.default, info.name))


class _Packages:
    """Which installed distributions hold each top-level package, looked up once when first asked
    (it reads every distribution's file list)."""

    @functools.cached_property
    def distributions(self) -> Mapping[str, list[str]]:
        from importlib.metadata import packages_distributions

        return packages_distributions()


def _distribution_version(plugin: object, packages: _Packages) -> str | None:
    """The version of the installed distribution whose code ``plugin`` is (a plugin registered
    as an object rather than through its entry point): the one whose ``caseflow`` entry point
    names its module, else the one that holds its top-level package (by its file list, or by
    the ``caseflow-NAME`` / ``caseflow_NAME`` convention for an editable install); None for code
    that no distribution holds."""
    from importlib.metadata import PackageNotFoundError, version

    module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__module__
    top = module.partition(".")[0]
    if top == "caseflow":
        return _caseflow_version()
    for installed in installed_plugins():
        if installed.version and installed.value.partition(":")[0].strip() in (module, top):
            return installed.version
    for distribution in (*packages.distributions.get(top, ()), top.replace("_", "-")):
        try:
            return version(distribution)
        except PackageNotFoundError:
            continue
    return None


def _caseflow_version() -> str:
    from caseflow import __version__

    return __version__
