"""The agency's repository as a whole: ``caseflow init`` (``init``), its staff (``service``:
``repo.agency``), the plugins and forms listings, and ``caseflow demo`` (``demo``).

The top feature: it may import any feature below it.
"""
