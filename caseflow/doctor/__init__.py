"""``caseflow doctor``: what crashes and other tools left in a clone, reported, and put right on request.

A stale git lock, a half-staged index, stray temporary files, an interrupted write's journal, dead
tickets in the writers' queue, a merge left in the middle, missing durable git settings; who holds
the writers' lock. ``findings`` is the model, ``gitstate`` and ``leftovers`` the checks (each
finding carries its own repair), ``service`` runs them (``Doctor``), ``commands`` prints them.

Works on the folder alone, never through a :class:`~caseflow.session.Session`: opening one heals
an interrupted write and writes missing settings by itself, which a report must not do, and a
clone too damaged to open is where ``doctor`` is needed most. So it uses the core only.
"""
