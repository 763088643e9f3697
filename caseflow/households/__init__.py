"""Households: several people served together, with a family plan and family contacts.

A household lives beside the clients, in its own folder, ``households/<HOUSEHOLD-ID>/``:

- ``household.yaml`` (``core.household``): the members, each a client (by id) or a person who is
  not a client (name, relationship, birth year: ``x-phi``), and the case manager responsible;
- ``family-plan.yaml`` (``core.family-plan``): goals owned by the household, in the shape of a
  client's plan, each objective naming the member responsible; reviewed and approved by a
  supervisor like a client's plan (``approvals.yaml`` beside it, judged by the same ledger);
- ``contacts/<date>-<type>-<short id>.md`` (``core.family-contact``): a contact with the family,
  written once; each client present also gets a contact note in their own folder
  (``visits/...``) that names the household and the family note but holds none of its text, so
  their last contact and due list count it, and nothing of anyone else enters their record.

Owns: the household forms (not registered as client forms: a client folder never holds them),
the household service, its commands and its due items. May import the core, the session, and
the features below it (records, referrals, workflow, followup).
"""
