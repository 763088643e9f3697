"""``caseflow calendar``: appointments and due items as iCalendar (RFC 5545), through `icalendar`.

Calendar programs show event titles on lock screens and share them with whoever the calendar is
shared with, so events carry client ids, never names. Each event's UID is stable (the client, the
item and its date), so importing a newer file updates the events instead of doubling them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import icalendar

from caseflow import __version__
from caseflow.due import due_list

if TYPE_CHECKING:
    from caseflow.repo import CaseRepo

APPOINTMENT_LENGTH = dt.timedelta(hours=1)
PAST_APPOINTMENTS = dt.timedelta(days=30)  # recent ones stay visible, with how they went


def build_calendar(repo: CaseRepo, *, worker: str | None, within_days: int) -> bytes:
    """The calendar of ``worker``'s clients (or everyone's): appointments and due items."""
    from caseflow.monitoring import appointments

    zone = ZoneInfo(repo.config.timezone)
    today = repo.today()
    horizon = today + dt.timedelta(days=within_days)
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//caseflow//caseflow {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"caseflow: {worker or 'all clients'}")
    stamp = dt.datetime.now(dt.UTC)
    for row in repo.clients(worker=worker):
        if row["problem"] is not None:
            continue
        for item in appointments(repo, row["id"]):
            event = _appointment_event(row["id"], item, zone, today - PAST_APPOINTMENTS, horizon)
            if event is not None:
                event.add("dtstamp", stamp)
                calendar.add_component(event)
    for entry in due_list(repo, worker=worker, within_days=within_days):
        if entry.item.rule in ("appointment", "appointment-outcome"):
            continue  # the appointment itself is on the calendar
        day = max(dt.date.fromisoformat(entry.item.due), today)  # overdue: today, when it can still be done
        event = icalendar.Event()
        event.add("uid", _uid(entry.client, entry.item.rule, entry.item.due))
        event.add("summary", f"{entry.client}: {entry.item.reason}")
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("description", f"{entry.when} (due {entry.item.due}); rule {entry.item.rule}")
        event.add("categories", ["caseflow", entry.item.rule])
        event.add("transp", "TRANSPARENT")
        event.add("dtstamp", stamp)
        calendar.add_component(event)
    calendar.add_missing_timezones()  # a VTIMEZONE for the agency's zone: importers need it to place events
    return bytes(calendar.to_ical())


def _appointment_event(
    client_id: str, item: Mapping[str, Any], zone: ZoneInfo, since: dt.date, until: dt.date
) -> icalendar.Event | None:
    try:
        day = dt.date.fromisoformat(str(item.get("date")))
    except ValueError:
        return None
    if not since <= day <= until or item.get("status") == "cancelled":
        return None
    event = icalendar.Event()
    event.add("uid", _uid(client_id, "appointment", str(item.get("id"))))
    what = item.get("purpose") or "appointment"
    event.add("summary", f"{client_id}: {what} with {item.get('with')}")
    time = item.get("time")
    if isinstance(time, str):
        start = dt.datetime.combine(day, dt.time.fromisoformat(time), tzinfo=zone)
        event.add("dtstart", start)
        event.add("dtend", start + APPOINTMENT_LENGTH)
    else:
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
    event.add("status", "CONFIRMED")
    event.add("description", f"appointment {item.get('id')}: {item.get('status')}")
    event.add("categories", ["caseflow", "appointment"])
    return event


def _uid(client_id: str, kind: str, key: str) -> str:
    digest = hashlib.sha256(f"{client_id}\0{kind}\0{key}".encode()).hexdigest()[:24]
    return f"{digest}@caseflow"
