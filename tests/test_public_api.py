"""The public API plugin authors use is pinned, and every hook is documented and tested."""

from __future__ import annotations

import inspect
from pathlib import Path

import caseflow
from caseflow import hookspecs

TESTS = Path(__file__).parent


def test_public_names_are_pinned() -> None:
    assert sorted(caseflow.__all__) == [
        "AgencyExport",
        "AgencyExportInputs",
        "AlreadyExists",
        "Approval",
        "CLIENT_ID_PATTERN",
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
        "STAFF_ID_PATTERN",
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
        "YES_NO",
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
    for name in caseflow.__all__:
        assert getattr(caseflow, name) is not None


def hook_names() -> list[str]:
    return [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "caseflow_spec")]


def test_every_hook_has_a_docstring_and_full_annotations() -> None:
    assert len(hook_names()) >= 5
    for name in hook_names():
        fn = getattr(hookspecs, name)
        assert fn.__doc__ and len(fn.__doc__.split()) > 10, name
        assert "return" in fn.__annotations__, name


def test_every_hook_is_exercised_by_a_test() -> None:
    sources = "".join(p.read_text() for p in TESTS.rglob("test_*.py") if p.name != Path(__file__).name)
    for name in hook_names():
        assert f"def {name}(" in sources, f"no test implements the {name} hook"
