"""The plugin contract: every hook caseflow calls, with when, what it gets and what it returns.

Plugins implement these with ``@caseflow.hookimpl``; caseflow reaches them only through the typed
host, :class:`caseflow.plugins.PluginHost`. Built-in behaviour registers through the same hooks
(``caseflow.plugins.DEFAULT_PLUGINS``), marked ``trylast`` where an agency plugin should win.
Lifecycle hooks get plain data (a :class:`~caseflow.SavedDocument`, a :class:`~caseflow.StageChange`,
a read-only :class:`~caseflow.CaseView`), never the repository object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from caseflow.core.case import CaseView
    from caseflow.core.events import SavedDocument, StageChange
    from caseflow.core.forms import DocumentView, Finding, Form
    from caseflow.evaluation.instruments import Instrument
    from caseflow.followup.due_rules import DueRule
    from caseflow.referrals.directory import Directory, DirectoryLoad
    from caseflow.reporting.model import Exporter, Report
    from caseflow.workflow.model import Check, Workflow, WorkflowExtension

hookspec = pluggy.HookspecMarker("caseflow")
hookimpl = pluggy.HookimplMarker("caseflow")


@hookspec
def register_forms() -> list[Form]:
    """Called once per session when forms are first needed.

    Return the :class:`~caseflow.Form` specs this plugin contributes. Ids are namespaced
    (``agency.form-name``); an id registered by two plugins is an error naming both.
    """


@hookspec
def register_instruments() -> list[Instrument]:
    """Called once per session; return the screening :class:`~caseflow.Instrument` specs.

    Each instrument becomes a form too (``evaluation/<date>-<short id>.yaml``, id as the form id),
    so its documents validate like any other and their stored results are recomputed.
    """


@hookspec
def register_provider_directories(root: Path, config: Mapping[str, Any]) -> list[Directory]:
    """Called when provider directories are first needed (``caseflow providers ...``, referrals).

    ``root`` is the case repository; ``config`` is the ``directories:`` section of caseflow.yaml.
    Return loaded :class:`~caseflow.Directory` objects (services, organizations, categories,
    languages, locations). The built-in one reads the repository's ``providers/*.yaml``.
    """


@hookspec(firstresult=True)
def read_provider_directory(source: Path, directory_id: str) -> DirectoryLoad | None:
    """Called for each directory source: every entry of the repository's ``directories/`` folder,
    each ``directories.sources`` path in caseflow.yaml, and the PATH of ``caseflow providers import``.

    ``source`` is a file or a folder. If it is in this plugin's format, return a
    :class:`~caseflow.DirectoryLoad` whose :class:`~caseflow.Directory` has id ``directory_id``,
    keeping every valid record and naming each skipped one; raise a :class:`~caseflow.CaseflowError`
    (one line, ``file:line:col`` where it applies) when the source is this format but unreadable as
    a whole. Return None when the format is not yours. Results are cached by caseflow under
    ``.caseflow/`` keyed by the source's content, so a reader is called again only when it changed.
    """


@hookspec
def register_workflows() -> list[Workflow | WorkflowExtension]:
    """Called once per session when workflows are first needed.

    Return whole :class:`~caseflow.Workflow` specs (namespaced ids, e.g. ``riverbend.housing-first``)
    and/or :class:`~caseflow.WorkflowExtension` objects that add stages, transitions or exit
    requirements to another plugin's workflow. A repository picks its workflow in caseflow.yaml.
    Every workflow is checked when loaded (unknown checks or stages, unreachable stages, cycles
    with no way out to a final stage): a broken one is an error naming the plugin.

    Several plugins' extensions of one workflow combine in a fixed order: this hook
    implementation's ``tryfirst=True`` first, unmarked next, ``trylast=True`` last; then by plugin
    name; a plugin's own extensions in the order returned. Where two plugins set the same thing to
    different values (a ``monitoring`` key, the same check with the same identifying parameters on
    the same stage, the same stage or transition), the first in that order wins and ``caseflow
    plugins --check`` reports the conflict (see :mod:`caseflow.workflow.combining`). The agency's
    ``rules:`` in caseflow.yaml apply after every plugin.
    """


@hookspec
def register_checks() -> list[Check]:
    """Called once per session; return the :class:`~caseflow.Check` objects this plugin provides.

    A check's ``evaluate(case, params)`` gets a read-only :class:`~caseflow.CaseView` and the
    requirement's parameters, and returns what is missing in plain words (an empty list: met).
    Ids are unique across plugins (``document_valid``, ``riverbend.housing_assessed``).
    """


@hookspec
def before_stage_change(case: CaseView, source: str, target: str) -> str | None:
    """Called after every requirement of a transition is met, before anything is written.

    ``case`` is the read-only :class:`~caseflow.CaseView` of the client (``case.client_id``) the
    requirements were checked against; ``source`` and ``target`` are stage ids. Return a reason
    (plain words) to veto the change, or None to let it happen. Every implementation is asked;
    all vetoes are reported. A plugin that raises vetoes too.
    """


@hookspec
def after_stage_change(change: StageChange) -> None:
    """Called after a stage change was committed: a :class:`~caseflow.StageChange` (client, from,
    to, by whom, reason, ``change.commit``). The change has happened; an exception here is
    reported as a warning naming the plugin. Do not print client data.
    """


@hookspec
def register_due_rules() -> list[DueRule]:
    """Called once per session; return the :class:`~caseflow.DueRule` objects this plugin adds.

    A rule's ``evaluate(case, monitoring)`` gets a read-only :class:`~caseflow.CaseView` and the
    workflow's ``monitoring`` settings and returns :class:`~caseflow.Due` items (why, and by when).
    Ids are unique, and must not be a built-in rule's (``contact``, ``referral``, ...); to change a
    built-in rule's numbers, extend the workflow's ``monitoring`` instead.
    """


@hookspec
def register_reports() -> list[Report]:
    """Called once per session; return the :class:`~caseflow.Report` objects this plugin provides.

    A report's builder gets :class:`~caseflow.ReportInputs` and returns plain data (a mapping:
    ``title``, ``notes``, ``tables`` of :class:`~caseflow.Table`; see :class:`~caseflow.Report`);
    caseflow de-identifies it (small-cell suppression) unless the report is ``identified``, then
    renders it as Markdown, HTML or CSV: through the report's own template for a format when it
    ships one, else caseflow's shared standard template. Ids are unique (``core.outcomes``,
    ``riverbend.monthly-housing``); ``caseflow report NAME`` also takes the part after the
    namespace (``monthly-housing``) when only one report has it.
    """


@hookspec
def register_exporters() -> list[Exporter]:
    """Called once per session; return the :class:`~caseflow.Exporter` objects this plugin provides.

    ``caseflow export CLIENT --format ID`` runs the exporter with that id on the client's
    :class:`~caseflow.ExportInputs`; an agency-wide exporter (``export_agency``) instead gets
    :class:`~caseflow.AgencyExportInputs` for ``caseflow export --format ID --from D --to D --out
    DIR`` and returns an :class:`~caseflow.AgencyExport`; ids are unique.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Called while the ``caseflow`` command is built; add click commands or groups to ``cli``.

    Commands should be thin: parse options, call :class:`~caseflow.CaseRepo`, print.
    """


@hookspec
def validate_document(document: DocumentView) -> list[Finding] | None:
    """Called for every document being validated, after its form's JSON Schema passed or failed.

    Gets a read-only copy of the document. Return the extra problems this plugin finds (each a
    :class:`~caseflow.Finding` with a field path so it can be located by line), or nothing. Every
    implementation runs: one that raises is reported as a problem naming the plugin and does not
    stop the others.
    """


@hookspec
def after_document_saved(saved: SavedDocument) -> None:
    """Called after a document was written and committed: a :class:`~caseflow.SavedDocument`
    (client, path in the repository, form, action; ``saved.commit`` is the new commit).

    The write has already succeeded; an exception here is reported as a warning naming the plugin
    and does not undo it. Do not print client data.
    """


@hookspec(firstresult=True)
def new_client_id(taken: Callable[[str], bool]) -> str | None:
    """Called on intake to choose the new client's id; the first non-None answer wins.

    ``taken(id)`` tells whether an id is already used in this clone. Ids must be opaque (never a
    name, never sequential) and safe as a folder name: letters, digits, ``-`` and ``_``. The
    built-in implementation (``C-`` and six random Crockford base32 characters) is ``trylast``.
    """


@hookspec
def configure(settings: Mapping[str, Any]) -> list[str] | None:
    """Called when a repository is opened, before any other hook, with this plugin's own settings:
    ``plugins.config.<plugin name>`` in caseflow.yaml (``{}`` when it gives none).

    Keep what you need (an interval, a program name) for your other hooks. Return what is wrong
    with the settings, each problem a sentence (``"housing_reassessment_days must be a whole number
    of days"``): the repository is then refused, each problem located in caseflow.yaml. Each
    plugin receives only its own settings.
    """
