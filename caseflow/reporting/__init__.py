"""Reports and exports: what a report or exporter plugin registers (``model``, the contract), the
built-in reports (``builtin``), running one for a period, de-identified unless a role allows
otherwise (``run``), one client's record in another format or the whole agency's for a period
(``exports``), the built-in HUD HMIS CSV export (``hmis``, its columns and codes in ``hmis_spec``,
the form of the ``hmis.yaml`` it reads in ``hmis_ude_form.yaml``), and ``caseflow report``,
``export`` and ``audit``. Service: ``repo.reporting``.

May import: the core, the index, and the features below it.
"""
