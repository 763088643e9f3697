"""Parameter types for what people type on the command line: ids in any case.

Ids are written in one case and typed in any: ``caseflow show c-7k2m9q`` is ``C-7K2M9Q``, and
``--worker Casey`` is ``casey``. The type only normalises; whether the id is safe and exists is
the service's to say (:func:`caseflow.core.ids.check_client_id`), the same for the web app.
A test (tests/cli/test_conventions.py) checks that every parameter naming a client, household,
item or staff member uses one of these.
"""

from __future__ import annotations

from typing import Any

import click

from caseflow.core.ids import normalize_id


class IdType(click.ParamType):
    """A client, household or document id (referral, consent, appointment, medication): upper case."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return normalize_id(value) if isinstance(value, str) else value


class StaffIdType(click.ParamType):
    """A staff id: lower case (``Casey`` is ``casey``)."""

    name = "staff id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


#: a client id (``C-7K2M9Q``), a household id (``H-...``), an id of an item in a client's folder
ID = IdType()
#: a staff member's id
STAFF = StaffIdType()
