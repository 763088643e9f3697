"""Who did what, provably: ``caseflow verify`` replays the history against the rules, staff keys
and ``signing: required`` make every commit's author provable, and a pre-receive hook makes a
shared remote refuse a push that breaks a rule. Service: ``repo.authority``.

The replay itself (which approvals, stage changes and rule changes count) is the core's
:mod:`caseflow.core.ledger`: every feature's checks read it; this package owns the commands.

May import: the core (ledger, signing, the git package), the index, and the records feature.
"""
