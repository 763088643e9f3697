"""Importing existing records: ``caseflow import PATH --mapping MAP.yaml``.

An agency's own records come in two shapes: a CSV export (one row per person, or per contact of
a person) and folders of YAML/Markdown case files without ``form:`` lines (one folder per
person). A mapping file (:mod:`.mapping`, validated by its own JSON Schema) says which of their
fields go to which field of which caseflow form; :mod:`.csv_source` and :mod:`.folder_source`
turn the records into new clients and their documents (:mod:`.plan`), each checked as
``caseflow validate`` checks it, with what does not fit; :mod:`.service` commits one client per
commit, or nothing at all.

Service: ``repo.importing``. May import: the core, the index, ``records`` (its write actions),
``caseflow.cli`` (commands only).
"""
