"""Clients and their documents: intake, field edits (``set``), new documents from a form's
skeleton (``new``), what a client's folder holds (``listing``), ``caseflow validate``; the
built-in client, plan and discharge forms, the document checks and the default client id.

The write actions (``actions``) are what every other feature builds its writes on. Service:
``repo.records``. May import: the core, the index, ``caseflow.cli`` (commands only). It is the
lowest feature: it imports no other.
"""
