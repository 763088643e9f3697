"""The core: what every feature needs, and nothing that knows a feature.

Owns documents (the ruamel round trip, ``documents/``), forms and validation (``forms``,
``validation``, ``formfields``), the store (``store``: one writer, atomic files, one commit per
action), the one door to git (``git/``), the local ``.caseflow/`` layout (``layout``),
``caseflow.yaml`` (``config``, ``configfile``), ids, dates, the read-only case view (``case``),
what hooks receive (``events``), the sandboxed renderers (``skeletons``, ``render``) and the
access record (``access_record``).

May import: the standard library, the libraries named in ARCHITECTURE §2 (each from its one
module), ``caseflow.errors`` and ``caseflow.__version__``. Never a feature, the session, click,
or the plugin host.
"""
