"""The agency's repository as a whole: ``caseflow init`` (``init``), its staff (``service``:
``repo.agency``), the plugins and forms listings, and ``caseflow demo`` (``demo``, with the
year of generated clients behind its storied ones: ``caseload``).

The top feature: it may import any feature below it.
"""
