"""Open Referral HSDS 3.0 provider directories for caseflow.

Reads an HSDS directory in either serialization — canonical JSON (organizations with nested
services, services with their organization, lists or API pages of either, or the tabular JSON
form) or a CSV Tabular Data Package — validates every record against the HSDS JSON Schemas shipped
in ``schema/``, and returns a caseflow :class:`~caseflow.Directory` of the valid services, with a
line for each record it skipped. The work happens in three steps, one module each:
:mod:`~caseflow_hsds.reading` (both serializations -> the same flat tables),
:mod:`~caseflow_hsds.validation` and :mod:`~caseflow_hsds.building`.
"""

from __future__ import annotations

from pathlib import Path

from caseflow import DirectoryLoad, hookimpl

__all__ = ["load", "read_provider_directory"]


def load(source: Path, directory_id: str) -> DirectoryLoad | None:
    """Read ``source`` (a .json file, a package folder or its datapackage.json); None if not HSDS."""
    # Imported here: caseflow loads every plugin on each command, and jsonschema alone costs about
    # 80 ms, while a directory is read only when its files changed (otherwise it comes from the cache).
    from caseflow_hsds import building, reading, validation

    read = reading.read(source)
    if read is None:
        return None
    valid, invalid = validation.validate(read.tables)
    directory, notes = building.build(valid, directory_id, read.title or f"HSDS directory {directory_id}")
    return DirectoryLoad(directory=directory, skipped=(*read.tables.problems, *invalid, *notes), files=read.files)


@hookimpl
def read_provider_directory(source: Path, directory_id: str) -> DirectoryLoad | None:
    """caseflow's hook: an HSDS source becomes a directory; anything else is left to other plugins."""
    return load(source, directory_id)
