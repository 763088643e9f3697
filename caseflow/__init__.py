"""caseflow: behavioral-health case management as git-versioned folders of YAML and Markdown.

The public API for scripts and plugin authors. Plugins import from here, never from
``caseflow.core``::

    from caseflow import Form, hookimpl

    @hookimpl
    def register_forms():
        return [Form(id="riverbend.housing-intake", ...)]

Heavy parts (the repository facade, which pulls in YAML, git and JSON Schema) load on first use,
so that ``caseflow --help`` and plugin imports stay fast.
"""

from __future__ import annotations

import importlib

#: (Not ``typing.TYPE_CHECKING``: the ``caseflow`` command imports this package before asking a
#: resident index, and importing ``typing`` alone costs it a tenth of its time. Checkers treat
#: any ``TYPE_CHECKING`` as true.)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from caseflow.core.case import Approval, CaseDocument, CaseView
    from caseflow.core.documents.files import read_yaml_file
    from caseflow.core.events import SavedDocument, StageChange
    from caseflow.core.forms import DocumentView, Finding, Form
    from caseflow.core.ids import CLIENT_ID_PATTERN, STAFF_ID_PATTERN, random_client_id
    from caseflow.errors import (
        AlreadyExists,
        CaseflowError,
        DocumentError,
        InvalidId,
        LockTimeout,
        NotAllowed,
        NotFound,
        PluginError,
        Problem,
        RepoNotFound,
        StoreError,
        UnknownPerson,
        UsageError,
    )
    from caseflow.evaluation.instruments import YES_NO, Instrument, Item, Option, Parameter, Result, band_of, sum_of
    from caseflow.followup.due_rules import Due, DueRule
    from caseflow.hookspecs import hookimpl, hookspec
    from caseflow.referrals.directory import Directory, DirectoryLoad, Hours, Location, Service, time_of_day
    from caseflow.repo import CaseRepo, Staff, open_repo
    from caseflow.reporting.model import (
        AgencyExport,
        AgencyExportInputs,
        Exporter,
        ExportInputs,
        Report,
        ReportInputs,
        Table,
    )
    from caseflow.workflow.model import (
        Check,
        CheckParameter,
        Requirement,
        Stage,
        Transition,
        Workflow,
        WorkflowExtension,
    )

__version__ = "0.1.0"

__all__ = [
    "CLIENT_ID_PATTERN",
    "STAFF_ID_PATTERN",
    "YES_NO",
    "AgencyExport",
    "AgencyExportInputs",
    "AlreadyExists",
    "Approval",
    "CaseDocument",
    "CaseRepo",
    "CaseView",
    "CaseflowError",
    "Check",
    "CheckParameter",
    "Directory",
    "DirectoryLoad",
    "DocumentError",
    "DocumentView",
    "Due",
    "DueRule",
    "ExportInputs",
    "Exporter",
    "Finding",
    "Form",
    "Hours",
    "Instrument",
    "InvalidId",
    "Item",
    "Location",
    "LockTimeout",
    "NotAllowed",
    "NotFound",
    "Option",
    "Parameter",
    "PluginError",
    "Problem",
    "RepoNotFound",
    "Report",
    "ReportInputs",
    "Requirement",
    "Result",
    "SavedDocument",
    "Service",
    "Staff",
    "Stage",
    "StageChange",
    "StoreError",
    "Table",
    "Transition",
    "UnknownPerson",
    "UsageError",
    "Workflow",
    "WorkflowExtension",
    "__version__",
    "band_of",
    "hookimpl",
    "hookspec",
    "open_repo",
    "random_client_id",
    "read_yaml_file",
    "sum_of",
    "time_of_day",
]

#: Where each public name lives: loaded on first use, so that ``caseflow --help`` (and a plugin
#: that needs one class) does not pay for YAML, pathlib and dataclasses it never touches.
_LAZY = {
    "caseflow.errors": (
        "AlreadyExists",
        "CaseflowError",
        "DocumentError",
        "InvalidId",
        "LockTimeout",
        "NotAllowed",
        "NotFound",
        "PluginError",
        "Problem",
        "RepoNotFound",
        "StoreError",
        "UnknownPerson",
        "UsageError",
    ),
    "caseflow.core.case": ("Approval", "CaseDocument", "CaseView"),
    "caseflow.referrals.directory": ("Directory", "DirectoryLoad", "Hours", "Location", "Service", "time_of_day"),
    "caseflow.core.documents.files": ("read_yaml_file",),
    "caseflow.followup.due_rules": ("Due", "DueRule"),
    "caseflow.core.forms": ("DocumentView", "Finding", "Form"),
    "caseflow.core.ids": ("CLIENT_ID_PATTERN", "STAFF_ID_PATTERN", "random_client_id"),
    "caseflow.evaluation.instruments": (
        "YES_NO",
        "Instrument",
        "Item",
        "Option",
        "Parameter",
        "Result",
        "band_of",
        "sum_of",
    ),
    "caseflow.reporting.model": (
        "AgencyExport",
        "AgencyExportInputs",
        "Exporter",
        "ExportInputs",
        "Report",
        "ReportInputs",
        "Table",
    ),
    "caseflow.workflow.model": (
        "Check",
        "CheckParameter",
        "Requirement",
        "Stage",
        "Transition",
        "Workflow",
        "WorkflowExtension",
    ),
    "caseflow.hookspecs": ("hookimpl", "hookspec"),
    "caseflow.core.events": ("SavedDocument", "StageChange"),
    "caseflow.repo": ("CaseRepo", "Staff", "open_repo"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'caseflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found once; later lookups are ordinary
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
