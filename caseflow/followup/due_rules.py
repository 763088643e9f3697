"""What is overdue and what is coming, derived from a client's documents every time (never stored).

Each rule reads one client's :class:`~caseflow.CaseView` and the workflow's ``monitoring`` settings
and returns :class:`Due` items: why, and by when. The built-in rules below cover contact cadence by
risk level, follow-up after a missed appointment or a hospital discharge, appointments to record,
rescreens, plan reviews, referrals waiting without a change, expiring consents and unread provider
reports. Plugins add rules through ``register_due_rules``; a workflow (or an extension of it)
changes the numbers through ``monitoring``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from caseflow.core.case import CaseView
from caseflow.core.consent_rules import ending, facts_of
from caseflow.core.dates import is_iso_date as _is_date
from caseflow.core.dates import plus_days as plus
from caseflow.referrals.status import WAITING_STATUSES, last_change, referral_stale_days
from caseflow.workflow.monitoring import contact_days


@dataclass(frozen=True, slots=True)
class Due:
    """Something to do for a client by a date. ``notice`` is when it starts to show, if earlier.

    (Slotted: a caseload's due list holds hundreds of thousands at 50,000 clients.)"""

    rule: str
    reason: str
    due: str  # ISO date
    notice: str | None = None
    #: What it is about, stable while it stays due (an appointment's id, a report's path): with the
    #: client and the rule, it names the item wherever it shows (a calendar event's UID).
    key: str = ""

    def shows(self, today: dt.date, within_days: int) -> bool:
        horizon = (today + dt.timedelta(days=within_days)).isoformat()
        return self.due <= horizon or (self.notice is not None and self.notice <= today.isoformat())


@dataclass(frozen=True)
class DueRule:
    """A rule of the due list: ``evaluate(case, monitoring)`` lists what it finds for one client."""

    id: str
    title: str
    evaluate: Callable[[CaseView, Mapping[str, Any]], list[Due]]


# -- reading the documents ------------------------------------------------------------------------


def contacts(case: CaseView) -> list[Mapping[str, Any]]:
    """Contact notes of this episode up to today, oldest first (a note dated ahead counts for nothing,
    and neither does an attempt that did not reach the client: client_present false)."""
    today = case.today.isoformat()
    # A note still blank (its skeleton) records no contact: nothing about one is written in it.
    found = [
        d.data
        for d in case.filled("core.visit")
        if _is_date(d.data.get("date")) and d.data["date"] <= today and d.data.get("client_present") is not False
    ]
    return sorted(found, key=lambda data: str(data["date"]))


def last_contact(case: CaseView) -> tuple[str, str] | None:
    """(date, type) of the latest contact: a contact note, or the intake interview."""
    today = case.today.isoformat()
    seen = [(str(c["date"]), str(c.get("type"))) for c in contacts(case)]
    seen += [
        (str(d.data["date"]), "intake interview")
        for d in case.filled("core.intake-interview")
        if _is_date(d.data.get("date")) and d.data["date"] <= today
    ]
    return max(seen, default=None)


def items_of(case: CaseView, form_id: str, key: str) -> list[Mapping[str, Any]]:
    documents = case.by_form(form_id)
    items = documents[0].data.get(key) if documents else None
    return [item for item in items or [] if isinstance(item, Mapping)]


def _days(monitoring: Mapping[str, Any], key: str, default: int) -> int:
    value = monitoring.get(key, default)
    return value if isinstance(value, int) and value >= 0 else default


# -- the built-in rules ---------------------------------------------------------------------------


def contact_cadence(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    level, days = contact_days(case.record, monitoring)
    if days is None:
        return []
    last = last_contact(case)
    since = last[0] if last else case.record.get("intake_date")
    if not _is_date(since):
        return []
    seen = f"last contact {since}" if last else f"no contact since intake on {since}"
    return [Due("contact", f"contact ({level} risk: every {days} days; {seen})", plus(str(since), days), key="contact")]


def missed_appointment_followup(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    days = _days(monitoring, "missed_appointment_followup_days", 2)
    seen = [str(c["date"]) for c in contacts(case)]
    found = []
    for item in items_of(case, "core.appointments", "appointments"):
        day = item.get("date")
        if item.get("status") != "missed" or not _is_date(day) or any(d >= str(day) for d in seen):
            continue
        reason = f"follow up the missed appointment {item.get('id')} with {item.get('with')} on {day}"
        found.append(Due("missed-appointment", reason, plus(str(day), days), key=str(item.get("id"))))
    return found


def appointments_to_record(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    """Upcoming appointments, and past ones nobody has marked kept, missed or cancelled."""
    today = case.today.isoformat()
    found = []
    for item in items_of(case, "core.appointments", "appointments"):
        day = item.get("date")
        if item.get("status") != "scheduled" or not _is_date(day):
            continue
        at = f"{day} {item.get('time', '')}".strip()
        if str(day) < today:
            reason = f"record whether appointment {item.get('id')} with {item.get('with')} ({at}) was kept"
            found.append(Due("appointment-outcome", reason, str(day), key=str(item.get("id"))))
        else:
            reason = f"appointment {item.get('id')} with {item.get('with')} at {at}"
            found.append(Due("appointment", reason, str(day), key=str(item.get("id"))))
    return found


def rescreens(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    found = []
    for instrument, days in (monitoring.get("rescreen_days") or {}).items():
        given = [str(d.data["date"]) for d in case.current(instrument) if _is_date(d.data.get("date"))]
        if given and isinstance(days, int):
            name = instrument.removeprefix("instruments.").upper()
            reason = f"rescreen {name} (last {max(given)}, every {days} days)"
            found.append(Due("rescreen", reason, plus(max(given), days), key=instrument))
    return found


def plan_review(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    """The plan's review date (else ``plan_review_days`` after its approval), once it is in effect."""
    plans = case.current("core.plan")
    approved = case.latest_decision(plans[0].path) if plans else None
    if approved is None or approved.decision != "approved":
        return []
    review = plans[0].data.get("review_date")
    if not _is_date(review):
        review = (
            plus(approved.at[:10], _days(monitoring, "plan_review_days", 90)) if _is_date(approved.at[:10]) else None
        )
    return [Due("plan-review", "plan review", str(review), key="plan")] if review else []


def referrals_waiting(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    days = referral_stale_days(monitoring)
    found = []
    for document in case.current("core.referral"):
        data = document.data
        changed = last_change(data)
        if data.get("status") in WAITING_STATUSES and _is_date(changed):
            # named as a person reads it: the service and its provider, not their directory ids
            to = " of ".join(str(data[k]) for k in ("service", "provider_name") if data.get(k))
            to = f" to {to}" if to else ""
            reason = f"referral {data.get('id')}{to} ({data.get('category')}) is {data.get('status')} since {changed}"
            found.append(Due("referral", reason, plus(str(changed), days), key=str(data.get("id"))))
    return found


def consents_expiring(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    """Releases expiring soon, and expired ones that an open referral still relies on.

    The end is the one rule's (:mod:`caseflow.core.consent_rules`): a date, a duration after
    signing ("1 year"), or an event once it has happened; an event still to come has no date yet.
    """
    warning = _days(monitoring, "consent_expiry_warning_days", 30)
    today = case.today.isoformat()
    open_statuses = WAITING_STATUSES | {"in-progress"}
    relied_on = {
        str(d.data.get("consent")) for d in case.current("core.referral") if d.data.get("status") in open_statuses
    }
    facts = facts_of(case)
    found = []
    for document in case.by_form("core.consent"):
        data = document.data
        end = ending(data, facts) if data.get("kind") == "release" and data.get("status") == "active" else None
        if end is None or not _is_date(end.on):
            continue
        expires = str(end.on)
        if expires >= today or str(data.get("id")) in relied_on:
            verb = "expires" if expires >= today else "expired"
            why = f" ({end.why})" if end.why else ""
            reason = f"consent {data.get('id')} {verb} on {expires}{why}: renew it or close what relies on it"
            found.append(Due("consent", reason, expires, notice=plus(expires, -warning), key=str(data.get("id"))))
    return found


def unread_reports(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    found = []
    for document in case.by_form("core.provider-report"):
        data = document.data
        if not data.get("acknowledged_on") and _is_date(data.get("date")):
            who = data.get("provider_name") or data.get("provider")  # the name a person reads, else the id
            reason = f"read the report from {who} ({document.path}; then caseflow ack)"
            found.append(Due("report", reason, str(data["date"]), key=document.path))
    return found


def hospital_followup(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    """A contact within 7 days after a hospital discharge (the follow-up-after-hospitalization measure).

    As in that measure, a contact on the day of discharge does not count: it must come after it.
    """
    days = _days(monitoring, "post_discharge_followup_days", 7)
    notes = contacts(case)
    # A follow-up is a contact outside the hospital after the day of discharge; the note that
    # records the stay (even one written later) is not one.
    after = [str(c["date"]) for c in notes if c.get("type") != "hospital"]
    found = []
    for note in notes:
        stay = note.get("hospital")
        discharged = stay.get("discharged_on") if isinstance(stay, Mapping) else None
        if not _is_date(discharged) or any(day > str(discharged) for day in after):
            continue
        reason = f"follow-up contact after the hospital discharge on {discharged} (within {days} days)"
        found.append(Due("hospital-followup", reason, plus(str(discharged), days), key=str(discharged)))
    return found


def unreadable_documents(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    """A document nobody can read hides what it holds from every other rule: fixing it is due now."""
    return [
        Due("unreadable", f"fix {d.path}: {d.problems[0].message}", case.today.isoformat(), key=d.path)
        for d in case.documents
        if d.problems
    ]


def sent_back(case: CaseView, monitoring: Mapping[str, Any]) -> list[Due]:
    """A document a supervisor sent back, not changed since: the author has it to do."""
    found = []
    for document in case.documents:
        decisions = [a for a in case.approvals if a.document == document.path and case.decided_in_episode(a)]
        last = decisions[-1] if decisions else None
        if last is not None and last.decision == "rejected" and last.blob == document.blob:
            comment = f": {last.comment}" if last.comment else ""
            reason = f"{document.path} was sent back by {last.by}{comment}"
            found.append(Due("sent-back", reason, last.at[:10], key=document.path))
    return found


BUILT_IN_RULES = (
    DueRule("contact", "contact cadence by risk level", contact_cadence),
    DueRule("missed-appointment", "a contact after a missed appointment", missed_appointment_followup),
    DueRule("appointment", "appointments coming, or to be recorded", appointments_to_record),
    DueRule("rescreen", "rescreens", rescreens),
    DueRule("plan-review", "plan review date", plan_review),
    DueRule("referral", "referrals waiting without a change", referrals_waiting),
    DueRule("consent", "consents expiring", consents_expiring),
    DueRule("report", "provider reports not read", unread_reports),
    DueRule("hospital-followup", "a contact within 7 days after a hospital discharge", hospital_followup),
    DueRule("unreadable", "documents that cannot be read", unreadable_documents),
    DueRule("sent-back", "documents a supervisor sent back", sent_back),
)
