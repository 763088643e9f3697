"""The built-in export formats: ``hmis``, the HUD HMIS CSV (FY2026) of every client with an
enrollment in a period (:mod:`caseflow.reporting.hmis`, loaded on the first export)."""

from __future__ import annotations

from caseflow import AgencyExport, AgencyExportInputs, Exporter, hookimpl


def hmis_export(inputs: AgencyExportInputs) -> AgencyExport:
    """The HMIS CSV files for the period (see :mod:`caseflow.reporting.hmis`)."""
    from caseflow.reporting.hmis import export

    return export(inputs)


@hookimpl(trylast=True)
def register_exporters() -> list[Exporter]:
    return [
        Exporter(
            "hmis",
            "HUD HMIS CSV (FY2026)",
            "application/zip",
            ".zip",
            export_agency=hmis_export,
            information=("Universal data elements", "Enrollments and exits"),
        )
    ]
