"""When a consent ends, and who may sign it: the one rule every validity check uses.

A consent's expiry (standards §4.2 item 7, §4.3 (c)(1)(v)) is written in one of two fields, each
read as a person would say it:

``expires_on: 2027-08-12``
    a date: the consent is no longer valid from that day.
``expiry_event: <event>``
    an event caseflow can tell has happened:

    - ``discharge``: the client is discharged (the stage history reaches a final stage, or a
      discharge document is dated) on or after the day it was signed;
    - ``end of referral``: the referral it covers is closed (rejected, completed, cancelled or
      failed). The referral is the one named in ``referral: R-...``, else the first one sent under
      the consent (its ``consent:`` field);
    - a duration after signing, a number and a unit: ``90 days``, ``6 weeks``, ``6 months``,
      ``1 year`` (``... after signing`` may follow). Months and years clamp to the month's last
      day (signed 2026-01-31, ``1 month``: 2026-02-28);
    - for a 42 CFR Part 2 consent for treatment, payment and health care operations only (the
      open-ended form §2.31(a)(7) allows): ``none`` or ``end of treatment``; shown as "until
      treatment ends", and it ends at discharge all the same.

The duration lives in ``expiry_event`` rather than a field of its own so that every consent keeps
one expiry event, as the form the client signed has one line for it, and so that consents already
written "1 year" read as they always meant. Both fields may be given: the consent ends at the
earlier. Anything else (``one year after signing``, ``when services end``) cannot be evaluated:
such a consent is not valid, ``caseflow validate`` points at the line, and recording one is refused.

A consent for a client younger than the age of majority (``age_of_majority`` in caseflow.yaml,
default 18) on the day signed must be signed by a parent, guardian or personal representative,
unless it records ``minor_consent_basis`` (the state law or rule under which the minor consents).
Without a date of birth there is no such check.

Pure: it reads plain data and a :class:`~caseflow.core.case.CaseView`, so the due list (a plugin
contract model), validation and the referral gate all share it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from caseflow.core.case import CaseView
from caseflow.core.dates import is_iso_date

DEFAULT_AGE_OF_MAJORITY = 18
#: A consent may name these as its signer instead of the client.
REPRESENTATIVES = ("parent", "guardian", "personal-representative")
#: Referral statuses from which nothing follows: the referral is closed.
CLOSED_REFERRAL_STATUSES = frozenset({"rejected", "completed", "cancelled", "failed"})
#: The accepted expiry events, as refusals list them.
ACCEPTED_EVENTS = (
    "discharge, end of referral, or a duration after signing such as 90 days, 6 months or 1 year "
    "(none or end of treatment only for a Part 2 consent for treatment, payment and health care operations)"
)
#: Open-ended words (§4.2 item 7: "none", "end of treatment"), allowed only for a Part 2 TPO consent.
OPEN_ENDED = frozenset(
    {
        "none",
        "never",
        "no expiration",
        "no expiry",
        "does not expire",
        "indefinite",
        "indefinitely",
        "n a",
        "end of treatment",
        "end of the treatment",
    }
)
_DURATION = re.compile(r"(\d{1,4}) (day|days|week|weeks|month|months|year|years)( after signing)?")
TPO_WORDS = ["treatment", "payment", "healthcare", "operations"]


@dataclass(frozen=True)
class Expiry:
    """What ``expiry_event`` says, understood."""

    kind: str  # discharge | end-of-referral | duration | open-ended | unevaluable | none (no event)
    text: str = ""
    amount: int = 0
    unit: str = ""  # days, weeks, months, years

    @property
    def canonical(self) -> str:
        """How caseflow writes it (``1 year``, ``end of referral``)."""
        if self.kind == "duration":
            return f"{self.amount} {self.unit if self.amount != 1 else self.unit[:-1]}"
        return {"discharge": "discharge", "end-of-referral": "end of referral"}.get(self.kind, self.text)


def words(text: Any) -> str:
    """Lower-case words only, so punctuation and spacing never decide whether two phrases match."""
    return " ".join(re.findall(r"[a-z0-9]+", str(text or "").lower()))


def parse_expiry_event(text: Any) -> Expiry:
    if text is None or (isinstance(text, str) and not text.strip()):
        return Expiry("none")
    said = words(text)
    if said == "discharge":
        return Expiry("discharge", str(text))
    if said == "end of referral":
        return Expiry("end-of-referral", str(text))
    if said in OPEN_ENDED:
        return Expiry("open-ended", str(text))
    duration = _DURATION.fullmatch(str(text).strip().lower())
    if duration and int(duration.group(1)) > 0:
        unit = duration.group(2) if duration.group(2).endswith("s") else duration.group(2) + "s"
        return Expiry("duration", str(text), int(duration.group(1)), unit)
    return Expiry("unevaluable", str(text))


def after(start: dt.date, amount: int, unit: str) -> dt.date:
    """``start`` plus a duration; a month or year that lacks the day clamps to its last day."""
    if unit == "days":
        return start + dt.timedelta(days=amount)
    if unit == "weeks":
        return start + dt.timedelta(weeks=amount)
    months = amount * (12 if unit == "years" else 1)
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(start.day, last))


def is_tpo(purpose: Any) -> bool:
    """ "Treatment, payment, and health-care operations" is the TPO purpose however it is written."""
    return [w for w in words(purpose).replace("health care", "healthcare").split() if w != "and"] == TPO_WORDS


def open_ended_allowed(consent: Mapping[str, Any]) -> bool:
    """Only a Part 2 consent for treatment, payment and operations may leave its expiry open (§4.2 item 7)."""
    return consent.get("regulation") == "part2" and any(is_tpo(p) for p in consent.get("purposes") or [])


def expiry_problem(consent: Mapping[str, Any], event: str = "expiry_event", date: str = "expires_on") -> str | None:
    """Why the consent's ``expiry_event`` cannot be used (one line, naming the accepted forms), or None.

    ``event`` and ``date`` name the two fields as the reader knows them (``--expiry-event``, ``--expires``).
    """
    expiry = parse_expiry_event(consent.get("expiry_event"))
    accepted = f"use {date} (a date) or an {event} of: {ACCEPTED_EVENTS}"
    if expiry.kind == "unevaluable":
        return f"{event} '{expiry.text}' cannot be evaluated; {accepted}"
    if expiry.kind == "open-ended" and not open_ended_allowed(consent):
        return (
            f"{event} '{expiry.text}' leaves the consent open-ended, which only a Part 2 consent for "
            f"treatment, payment and health care operations may do; {accepted}"
        )
    return None


# -- what the rule needs to know about the client ----------------------------------------------------


@dataclass(frozen=True)
class ConsentFacts:
    """What decides a consent's end and signer besides the consent itself."""

    #: Days the client was discharged (entered a final stage, or a discharge document's date), sorted.
    discharges: tuple[str, ...] = ()
    #: Each referral by id: (status, the day it closed or None, the consent it was sent under).
    referrals: Mapping[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    dob: str | None = None
    age_of_majority: int = DEFAULT_AGE_OF_MAJORITY
    client_id: str = ""


def facts_of(case: CaseView) -> ConsentFacts:
    """The facts of one client, from the case as checks see it."""
    history = [h for h in case.record.get("stage_history") or [] if isinstance(h, Mapping)]
    days = {str(h["on"]) for h in history if h.get("to") in case.final_stages and is_iso_date(h.get("on"))}
    days |= {str(d.data["date"]) for d in case.by_form("core.discharge") if is_iso_date(d.data.get("date"))}
    referrals: dict[str, tuple[str, str | None, str | None]] = {}
    for document in case.by_form("core.referral"):
        data = document.data
        status = str(data.get("status"))
        entries = [h for h in data.get("history") or [] if isinstance(h, Mapping)]
        closed = next((str(h["on"]) for h in reversed(entries) if h.get("status") == status), None)
        consent = data.get("consent")
        referrals[str(data.get("id"))] = (
            status,
            closed if status in CLOSED_REFERRAL_STATUSES and is_iso_date(closed) else None,
            str(consent) if consent else None,
        )
    dob = case.record.get("dob")
    return ConsentFacts(
        tuple(sorted(days)),
        referrals,
        str(dob) if is_iso_date(dob) else None,
        case.age_of_majority,
        case.client_id,
    )


# -- the end of a consent ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ending:
    """When a consent ends (``on``: None while the event has not happened) and how to say it."""

    on: str | None
    why: str  # "1 year after signing", "at discharge", "": the words after the date
    open_ended: bool = False

    def describe(self) -> str:
        """The expiry as a person reads it in a list: "2027-08-12 (1 year after signing)", "at discharge"."""
        if self.on:
            return f"{self.on} ({self.why})" if self.why else self.on
        return self.why


def ending(consent: Mapping[str, Any], facts: ConsentFacts) -> Ending | None:
    """The consent's end as far as it is known today; None when it has no usable expiry."""
    signed = consent.get("signed_on") if is_iso_date(consent.get("signed_on")) else None
    expiry = parse_expiry_event(consent.get("expiry_event"))
    candidates: list[Ending] = []
    if is_iso_date(consent.get("expires_on")):
        candidates.append(Ending(str(consent["expires_on"]), ""))
    if expiry.kind == "duration" and signed:
        end = after(dt.date.fromisoformat(str(signed)), expiry.amount, expiry.unit)
        candidates.append(Ending(end.isoformat(), f"{expiry.canonical} after signing"))
    elif expiry.kind == "discharge":
        candidates.append(Ending(_discharge_after(signed, facts), "at discharge"))
    elif expiry.kind == "open-ended" and open_ended_allowed(consent):
        on = _discharge_after(signed, facts)
        candidates.append(Ending(on, "treatment ended" if on else "until treatment ends", open_ended=True))
    elif expiry.kind == "end-of-referral":
        referral, closed = _referral_closed(consent, facts)
        named = f" {referral}" if referral else ""
        candidates.append(
            Ending(closed, f"when referral{named} closed" if closed else f"at the end of referral{named}")
        )
    if not candidates:
        return None
    dated = sorted((c for c in candidates if c.on), key=lambda c: str(c.on))
    return dated[0] if dated else candidates[0]


def _discharge_after(signed: Any, facts: ConsentFacts) -> str | None:
    return next((day for day in facts.discharges if not signed or day >= str(signed)), None)


def _referral_closed(consent: Mapping[str, Any], facts: ConsentFacts) -> tuple[str | None, str | None]:
    named = consent.get("referral")
    if isinstance(named, str) and named:
        found = facts.referrals.get(named)
        return named, found[1] if found else None
    sent_under = [(rid, found) for rid, found in facts.referrals.items() if found[2] == consent.get("id")]
    closed = sorted((found[1], rid) for rid, found in sent_under if found[1])
    if closed:
        return closed[0][1], closed[0][0]
    return None, None


def expiry_reasons(consent: Mapping[str, Any], facts: ConsentFacts, on: str) -> list[str]:
    """Why, as far as its expiry goes, the consent does not hold on ``on`` ([] means it does)."""
    problem = expiry_problem(consent)
    if problem:
        return [f"has an expiry caseflow cannot evaluate ({problem})"]
    end = ending(consent, facts)
    if end is None or not end.on or not on or on < end.on:
        return []
    return [f"expired on {end.on}" + (f" ({end.why})" if end.why else "")]


# -- minors ------------------------------------------------------------------------------------------


def age_on(dob: str, day: str) -> int | None:
    """Whole years of age on ``day`` (a 29 February birthday comes on 1 March in other years)."""
    if not (is_iso_date(dob) and is_iso_date(day)):
        return None
    born, then = dt.date.fromisoformat(dob), dt.date.fromisoformat(day)
    return then.year - born.year - ((then.month, then.day) < (born.month, born.day))


def minor_problem(consent: Mapping[str, Any], facts: ConsentFacts) -> str | None:
    """Why a minor's consent lacks the right signer (one line, as refusals print it), or None."""
    signed = consent.get("signed_on")
    age = age_on(facts.dob, str(signed)) if facts.dob and isinstance(signed, str) else None
    if age is None or age >= facts.age_of_majority:
        return None
    signer = consent.get("signed_by")
    relationship = signer.get("relationship") if isinstance(signer, Mapping) else None
    basis = consent.get("minor_consent_basis")
    if relationship in REPRESENTATIVES or (isinstance(basis, str) and basis.strip()):
        return None
    who = facts.client_id or str(consent.get("client") or "the client")
    return (
        f"{who} is {age} on {signed} (under {facts.age_of_majority}): a parent, guardian or personal "
        "representative signs, or record minor_consent_basis"
    )
