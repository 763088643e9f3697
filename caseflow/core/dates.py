"""Dates typed on the command line: parsed strictly (ISO), and checked against the agency's today.

A refused date is bad input, not a usage error: exit 1, with the option and the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from caseflow.errors import CaseflowError, UsageError

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def parse_date(value: str, what: str) -> dt.date:
    """``value`` as a date written YYYY-MM-DD, or a one-line refusal naming ``what`` it was for."""
    try:
        if not ISO_DATE.fullmatch(value.strip()):  # fromisoformat would also take 20261101
            raise ValueError(value)
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise _malformed(what, f"{what} {value!r} is not a date written YYYY-MM-DD") from None


def parse_past_date(value: str | None, what: str, today: dt.date) -> dt.date:
    """A date that has already come (default: today): what happened cannot happen tomorrow."""
    if value is None:
        return today
    day = parse_date(value, what)
    if day > today:
        raise CaseflowError(f"{what} {day} is in the future; record it once it has happened")
    return day


def parse_datetime(value: str, what: str) -> dt.datetime:
    """``YYYY-MM-DDTHH:MM`` (or a space instead of the T): a local time in the agency's time zone."""
    try:
        if not ISO_MOMENT.fullmatch(value.strip()):  # a date alone would silently mean midnight
            raise ValueError(value)
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise _malformed(what, f"{what} {value!r} is not a date and time written YYYY-MM-DDTHH:MM") from None
    if moment.tzinfo is not None:
        raise _malformed(what, f"{what} {value!r}: give the agency's local time, without a time zone")
    return moment


def plus_days(day: str, days: int) -> str:
    """The ISO date ``days`` after the ISO date ``day``."""
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def is_iso_date(value: Any) -> bool:
    """Whether ``value`` is a string holding an ISO date, YYYY-MM-DD (documents keep dates as text;
    ``fromisoformat`` alone would also take 20260812)."""
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _malformed(what: str, message: str) -> CaseflowError:
    """A date an option was given in the wrong form is a usage error (exit 2); a date in a
    document written wrong is a problem with the document (exit 1)."""
    return UsageError(message) if what.startswith("-") else CaseflowError(message)
