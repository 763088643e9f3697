"""Consents, provider directories and closed-loop referrals.

Consents (``consents``; whether one covers a disclosure: ``coverage``), the provider directories
(the model and search: ``directory``; files kept in the repository: ``directory_files``; the
agency's own YAML directory: ``provider_directory``), referrals through their status lifecycle
and packets (``lifecycle``, ``status``), their forms and commands. Service: ``repo.referrals``.

May import: the core, the index, ``records``. Never a feature above it.
"""
