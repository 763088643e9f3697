"""Watch mode: file-system events under ``clients/`` settled into saved documents (``settler``, the
one module that imports watchdog), each checked and optionally committed (``watcher``), and the
``caseflow watch`` command.

May import: the core, the index, ``caseflow.cli`` (commands only). No other feature.
"""
