"""The workflow: stages, transitions and requirements as data (``model``, the contract), the
engine that says what is missing and moves a client on (``engine``), the built-in checks
(``checks``) and default workflow, supervisors' approvals bound to blob ids (``approvals``),
risk cadence (``monitoring``) and the timeline from git history (``timeline``). Service:
``repo.workflow``; the definition itself is ``repo.workflow_spec``.

May import: the core, the index, ``records``, ``referrals``.
"""
