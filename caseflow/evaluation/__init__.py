"""Screening: instruments with exact scoring (``instruments``, the contract), the built-in
PHQ-9 / GAD-7 (``mood``), AUDIT / AUDIT-C / DAST-10 (``substance``) and C-SSRS (``cssrs``),
giving one and reading scores over time (``screening``), and their commands. Service:
``repo.evaluation``.

May import: the core, the index, ``records``, ``referrals``, ``workflow``.
"""
