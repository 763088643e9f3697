"""caseflow-fhir: ``caseflow export CLIENT --format fhir`` writes a FHIR R4 Bundle.

caseflow loads every plugin when any command starts, so this module only registers the
exporter; the mapping and ``fhir.resources`` (pydantic models, slow to import) load on the
first export.
"""

from __future__ import annotations

from caseflow import Exporter, ExportInputs, hookimpl

__all__ = ["export_bundle", "register_exporters"]


def export_bundle(inputs: ExportInputs) -> bytes:
    """The client's record as FHIR R4 Bundle JSON (see :mod:`caseflow_fhir.bundle`)."""
    from caseflow_fhir.bundle import export_bundle as build

    return build(inputs)


@hookimpl
def register_exporters() -> list[Exporter]:
    return [Exporter("fhir", "FHIR R4 Bundle (collection)", "application/fhir+json", ".json", export_bundle)]
