"""Working together through a shared remote: git's merge driver for case documents
(``merge`` is the field-by-field three-way merge; ``driver`` runs it for git and settles what it
left with ``caseflow resolve``),
``caseflow clone`` and ``caseflow sync``. Service: ``repo.sharing``.

May import: the core, the index, and the features below it.
"""
