"""``caseflow calendar``: appointments and due items as iCalendar (RFC 5545), through `icalendar`.

Calendar programs show event titles on lock screens and share them with whoever the calendar is
shared with, so titles say only the client id and what kind of item it is ("C-7K2M9Q:
appointment", "C-7K2M9Q: rescreen"); the details are in caseflow. Each event's UID names the
client, the rule and the item, so importing a newer file moves an event instead of doubling it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import icalendar

from caseflow import __version__
from caseflow.followup.due import DueEntry, due_list

if TYPE_CHECKING:
    from caseflow.session import Session

APPOINTMENT_LENGTH = dt.timedelta(hours=1)
#: Event titles by due rule: the kind of task, nothing about the person's health.
LABELS = {
    "contact": "contact due",
    "missed-appointment": "follow up a missed appointment",
    "rescreen": "rescreen due",
    "plan-review": "plan review",
    "referral": "referral follow-up",
    "consent": "consent expiring",
    "report": "provider report to read",
    "hospital-followup": "follow-up contact",
    "unreadable": "document to fix",
    "sent-back": "document sent back",
    "family-plan-review": "family plan review",
    "family-plan-sent-back": "family plan sent back",
    "family-contact": "family contact due",
}
PAST_APPOINTMENTS = dt.timedelta(days=30)  # recent ones stay visible, with how they went


def build_calendar(
    repo: Session, *, worker: str | None, within_days: int, households: Sequence[DueEntry] = ()
) -> bytes:
    """The calendar of ``worker``'s clients (or everyone's): appointments and due items; and the
    due items of their households, if given (a household's id where a client's would be)."""
    from caseflow.followup.actions import appointments

    zone = ZoneInfo(repo.config.timezone)
    today = repo.today()
    horizon = today + dt.timedelta(days=within_days)
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//caseflow//caseflow {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"caseflow: {worker or 'all clients'}")
    stamp = dt.datetime.now(dt.UTC)
    final = {stage.id for stage in repo.workflow_spec.stages if stage.final}
    for row in repo.clients(worker=worker):
        if row["problem"] is not None or row["stage"] in final:
            continue
        for item in appointments(repo, row["id"]):
            event = _appointment_event(row["id"], item, zone, today - PAST_APPOINTMENTS, horizon)
            if event is not None:
                event.add("dtstamp", stamp)
                calendar.add_component(event)
    household_ids = {entry.client for entry in households}
    for entry in [*due_list(repo, worker=worker, within_days=within_days), *households]:
        if entry.item.rule in ("appointment", "appointment-outcome"):
            continue  # the appointment itself is on the calendar
        show = "household show" if entry.client in household_ids else "show"
        day = max(dt.date.fromisoformat(entry.item.due), today)  # overdue: today, when it can still be done
        event = icalendar.Event()
        event.add("uid", _uid(entry.client, entry.item.rule, entry.item.key or entry.item.reason))
        event.add("summary", f"{entry.client}: {LABELS.get(entry.item.rule, entry.item.rule)}")
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("description", f"{entry.when} (due {entry.item.due}): caseflow {show} {entry.client}")
        event.add("categories", ["caseflow", entry.item.rule])
        event.add("transp", "TRANSPARENT")
        event.add("dtstamp", stamp)
        calendar.add_component(event)
    calendar.add_missing_timezones()  # a VTIMEZONE for the agency's zone: importers need it to place events
    return bytes(calendar.to_ical())


#: An appointment's status as a VEVENT's (RFC 5545 3.8.1.11: TENTATIVE, CONFIRMED, CANCELLED).
#: Booked and kept appointments were confirmed; a cancelled one is CANCELLED, so that a calendar
#: which imported it before drops it (leaving it out would leave it there, still confirmed). A
#: missed appointment was neither: the booking stood and the client did not come. No VEVENT status
#: says that, so it has none; the summary and description say "missed".
EVENT_STATUS = {"scheduled": "CONFIRMED", "kept": "CONFIRMED", "cancelled": "CANCELLED"}


def _appointment_event(
    client_id: str, item: Mapping[str, Any], zone: ZoneInfo, since: dt.date, until: dt.date
) -> icalendar.Event | None:
    try:
        day = dt.date.fromisoformat(str(item.get("date")))
    except ValueError:
        return None
    if not since <= day <= until:
        return None
    status = str(item.get("status") or "scheduled")
    event = icalendar.Event()
    event.add("uid", _uid(client_id, "appointment", str(item.get("id"))))
    outcome = "" if status == "scheduled" else f" ({status})"
    event.add("summary", f"{client_id}: appointment{outcome}")
    time = _time(item.get("time"))
    if time is not None:
        start = dt.datetime.combine(day, time, tzinfo=zone)
        event.add("dtstart", start)
        event.add("dtend", start + APPOINTMENT_LENGTH)
    else:
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
    if status in EVENT_STATUS:
        event.add("status", EVENT_STATUS[status])
    if status in ("missed", "cancelled"):  # nobody's time was taken: it does not show the slot as busy
        event.add("transp", "TRANSPARENT")
    event.add("description", f"appointment {item.get('id')} with {item.get('with')}: {item.get('status')}")
    event.add("categories", ["caseflow", "appointment"])
    return event


def _time(value: Any) -> dt.time | None:
    """An appointment's HH:MM; a hand-typed "2pm" makes it an all-day event rather than an error."""
    try:
        return dt.time.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _uid(client_id: str, kind: str, key: str) -> str:
    digest = hashlib.sha256(f"{client_id}\0{kind}\0{key}".encode()).hexdigest()[:24]
    return f"{digest}@caseflow"
