"""Names a person types that must be one of this repository's own (a stage, a staff member, a
form, an instrument): one check, one wording, with the nearest names offered.

``caseflow clients --stage planing`` used to list no clients and succeed; a misspelled name is
now a usage error (exit 2) that says what was meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from caseflow.errors import UnknownName

if TYPE_CHECKING:
    from caseflow.core.config import RepoConfig, Staff


def suggestion(value: str, known: Iterable[str]) -> str:
    """`` (did you mean 'planning'?)`` for the nearest known names, or nothing."""
    names = sorted(set(known))
    close = difflib.get_close_matches(value, names, n=2, cutoff=0.6)
    if not close:  # a different case or a prefix ('plan') is close too
        lowered = value.casefold()
        close = [n for n in names if n.casefold() == lowered or n.casefold().startswith(lowered)][:2]
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{name}'" for name in close) + "?)"


def unknown_name(what: str, value: str, known: Iterable[str], listed_by: str | None = None) -> UnknownName:
    """The error for ``value``, which is not one of the ``known`` names of ``what``.

    ``listed_by`` is where a person finds them all (`caseflow staff list`); without it, the
    names themselves are listed when there are few.
    """
    names = sorted(set(known))
    shown = value if len(value) <= 40 else value[:37] + "..."
    message = f"no {what} '{shown}'{suggestion(value, names)}"
    if listed_by:
        message += f"; `{listed_by}` lists them"
    elif names and len(names) <= 12:
        message += f"; the {what}s are: {', '.join(names)}"
    return UnknownName(message)


def require_name(what: str, value: str, known: Iterable[str], listed_by: str | None = None) -> str:
    """``value`` if it is one of ``known``, else :func:`unknown_name` raised."""
    names = set(known)
    if value not in names:
        raise unknown_name(what, value, names, listed_by)
    return value


def require_staff(config: RepoConfig, staff_id: str, what: str = "staff member") -> Staff:
    """The staff member ``staff_id`` names (staff ids are lower case: ``Casey`` is ``casey``)."""
    member = config.staff_member(staff_id.lower())
    if member is None:
        raise unknown_name(what, staff_id, (s.id for s in config.staff), listed_by="caseflow staff list")
    return member
