"""When a service is open: weekly opening hours, and the moment a person asks about (``--open``).

A directory gives opening hours per day of the week in the place's own time, with the place's
offset from UTC when it says so. A question ("open on Saturday", "open Monday at 18:00") is asked
in the agency's own time. Both are turned into minutes of a UTC week, so a service two time zones
away is open exactly when it is open for the person calling it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from caseflow.errors import UsageError
from caseflow.referrals.directory import DAY_MINUTES, DAYS, Hours, clock, time_of_day

__all__ = ["Hours", "OpenAt", "is_open", "parse_open", "time_of_day"]

WEEK_MINUTES = 7 * DAY_MINUTES
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class OpenAt:
    """A moment asked about: a day, and a minute of it (None: at any time that day)."""

    day: int
    minute: int | None = None

    def describe(self) -> str:
        return DAYS[self.day] + ("" if self.minute is None else f" {clock(self.minute)}")


def parse_open(text: str) -> OpenAt:
    """``sat``, ``saturday``, ``mon 18:00``: a moment in the agency's time; a usage error otherwise."""
    parts = text.strip().lower().split()
    day = _day(parts[0]) if parts else None
    if day is None or len(parts) > 2:
        raise UsageError(
            f"--open: {text[:30]!r} is not a day and time "
            f"(e.g. --open sat, --open 'mon 18:00'; days: {', '.join(DAYS)})"
        )
    if len(parts) == 1:
        return OpenAt(day)
    minute = time_of_day(parts[1])
    if minute is None:
        raise UsageError(f"--open: {parts[1][:20]!r} is not a time of day (HH:MM, 24-hour, e.g. 18:00)")
    return OpenAt(day, minute)


def _day(word: str) -> int | None:
    for index, (short, full) in enumerate(zip(DAYS, DAY_NAMES, strict=True)):
        if word == short or (len(word) >= 3 and full.startswith(word)):
            return index
    return None


def is_open(hours: Iterable[Hours], at: OpenAt, agency_offset_minutes: int) -> bool:
    """Whether any of ``hours`` is open at the moment ``at`` (asked in the agency's time)."""
    start = at.day * DAY_MINUTES + (at.minute or 0) - agency_offset_minutes
    end = start + (DAY_MINUTES if at.minute is None else 1)
    for entry in hours:
        offset = agency_offset_minutes if entry.utc_offset is None else round(entry.utc_offset * 60)
        opens = entry.opens or 0
        closes = DAY_MINUTES if entry.closes is None else entry.closes
        length = closes - opens if closes > opens else closes + DAY_MINUTES - opens
        for day in entry.days:
            begins = day * DAY_MINUTES + opens - offset
            if _overlap(start, end, begins, begins + length):
                return True
    return False


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Whether two spans of the (circular) week share a minute."""
    return any(a_start < b_end + shift and b_start + shift < a_end for shift in (-WEEK_MINUTES, 0, WEEK_MINUTES))
