"""The case index: ``.caseflow/index.sqlite``, every document parsed once by git blob id, and the
per-client results read commands reuse (``database``, ``snapshot``, ``caseload``, ``problems``
for ``caseflow validate``); its upkeep (``maintenance``, ``service``: ``repo.index_maintenance``)
and the ``caseflow index`` command.

It sits beneath the session (which holds one :class:`~caseflow.index.database.CaseIndex`), so
it may import only the core, the plugin host's contract and ``caseflow.errors``; its commands
module also uses ``caseflow.cli``.
"""
