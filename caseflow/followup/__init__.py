"""Follow-through after the plan: contacts, appointments, medications and provider reports
(``actions``, ``forms``, ``note_forms``), the due list (``due_rules`` is the contract and the
built-in rules, ``due`` computes it), the calendar, and what a person sees first about a client
(``summary``, ``caseflow show``). Service: ``repo.followup``.

May import: the core, the index, and the features below it (records, referrals, workflow,
evaluation).
"""
