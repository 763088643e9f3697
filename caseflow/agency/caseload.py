"""The demo's caseload: a year of fictional clients behind its four storied ones.

A director opening the demo's funder summary should see an agency at work, not four cells of
"<11". So the demo adds :data:`CLIENTS` clients taken in over the twelve months before its
"today", shared between its case managers, each with the documents the work leaves: the record
and treatment consent, the intake interview, PHQ-9 and GAD-7 at intake and about monthly after,
a release, the plan (approved by the supervisor, again at each 90-day review), referrals to the
demo directory's services with their statuses, contact notes, and for some a discharge.

Everything is drawn from one :class:`random.Random` with a fixed seed, so the demo is the same
every time, byte for byte. Names are made from short lists of common given and family names;
nobody here is a real person. Each document is what caseflow's own commands would have written,
and each is one :class:`~caseflow.agency.demo.Step` (one commit), by its author, on its day: the
intake by the worker, stage changes as ``advance`` records them, approvals by the supervisor.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from caseflow.core.case import blob_id
from caseflow.core.ids import CROCKFORD

#: How many clients the demo adds, and the seed that makes them the same every time.
CLIENTS = 150
SEED = 20261117

GIVEN = (
    "Amara", "Bogdan", "Carmela", "Darnell", "Esperanza", "Fatima", "Gustavo", "Hiroshi", "Ingrid",
    "Jamal", "Keisha", "Lucinda", "Mateo", "Nadia", "Obinna", "Priya", "Rafael", "Svetlana", "Tamika",
    "Ulises", "Valentina", "Wendell", "Ximena", "Yusuf", "Zainab", "Anders", "Beatriz", "Cedric",
    "Dolores", "Emeka", "Fernando", "Graciela", "Hamid", "Imani", "Jerome", "Katarzyna", "Leonel",
    "Marisol", "Nikolai", "Odalys", "Patrice", "Rosalind", "Tobias", "Yolanda",
)  # fmt: skip
FAMILY = (
    "Abernathy", "Baptiste", "Castellanos", "Delgado", "Eriksen", "Fairbanks", "Gutierrez", "Haddad",
    "Ibarra", "Jankowski", "Kowalczyk", "Lindqvist", "Mwangi", "Nakamura", "Okonkwo", "Pacheco",
    "Quintero", "Rasmussen", "Sandoval", "Takahashi", "Villanueva", "Whitaker", "Yamamoto",
    "Zielinski", "Adeyemi", "Bergstrom", "Chavez", "Dombrowski", "Estrada", "Galloway", "Iqbal",
    "Jablonski", "Kaminski", "Lombardi", "Medina", "Novak", "Oyelaran", "Petrakis", "Soto", "Trujillo",
)  # fmt: skip
STREETS = ("Cedar", "Linden", "Sycamore", "Juniper", "Hawthorne", "Magnolia", "Chestnut", "Willow", "Aspen", "Laurel")
SOURCES = (
    "Lakeview Family Health Clinic (primary care)",
    "St. Brendan Regional Medical Center, emergency department",
    "Self-referred (walk-in)",
    "A family member",
    "County probation office",
    "Pinecrest Community Mental Health Center",
    "School social worker, Prairie Valley Community College",
)
CONTACT_KINDS = ("office", "office", "office", "home", "phone", "phone", "video")


@dataclass(frozen=True)
class Service:
    """A service of the demo's directories that clients are referred to, and the goal it serves."""

    category: str
    directory: str
    provider: str
    provider_name: str
    service_id: str
    service: str
    domain: str
    goal: str
    objective: str


SERVICES = (
    Service("counseling", "agency", "eastside-counseling", "Eastside Counseling Associates", "eastside-counseling-cbt",
            "Individual therapy for depression and anxiety (CBT)", "mental-health", "Feel less depressed and anxious",
            "Attend at least three of every four therapy sessions"),
    Service("counseling", "agency", "lakeside-clinic", "Lakeside Family Health Clinic (fictional)",
            "lakeside-counseling", "Counseling for adults", "mental-health", "Feel less depressed and anxious",
            "Attend at least three of every four counseling sessions"),
    Service("counseling", "springfield-211", "3288a65f-e44c-589b-a41d-7450cddc3770", "Casa Puente Family Services",
            "ec77a8f8-90af-57ec-ab18-52beddbf2f7a", "Casa Puente Family Counseling", "mental-health",
            "Feel less depressed and anxious", "Start family counseling"),
    Service("housing", "agency", "county-housing-authority", "County Housing Authority", "county-housing-vouchers",
            "Housing choice vouchers and rapid re-housing", "housing", "Stable housing",
            "Submit a complete housing application"),
    Service("housing", "springfield-211", "00ae9d19-37b8-54cd-97dc-48c2ebad149b", "Harborlight Shelter Network",
            "c8972051-dc1b-5c38-8f9c-ccc29862826b", "Harborlight Housing Navigation", "housing", "Stable housing",
            "Meet a housing navigator and view at least two units"),
    Service("psychiatry", "agency", "lakeside-clinic", "Lakeside Family Health Clinic (fictional)",
            "lakeside-psychiatry", "Psychiatric medication management", "mental-health",
            "Find the right medication", "Have a medication evaluation and take medication as prescribed"),
    Service("substance-use", "springfield-211", "56aef45d-b190-5eeb-bffe-2a57317b3ace", "Willowbend Recovery Center",
            "25dd2594-367e-56e2-881d-5924602f4a84", "Willowbend Outpatient Recovery Program", "substance-use",
            "Cut down on drinking", "Attend the outpatient recovery program twice a week"),
    Service("substance-use", "agency", "eastside-counseling", "Eastside Counseling Associates",
            "eastside-counseling-group", "Recovery support group", "substance-use", "Cut down on drinking",
            "Go to a recovery support group every week"),
    Service("education", "springfield-211", "3480ffe2-50c1-517d-8499-f4e021dd3649", "Second Chapter Adult Learning",
            "152d3c27-cfc6-5903-9a0b-4aa25aa9fb43", "Second Chapter GED Classes", "education",
            "Finish a high school equivalency", "Enroll in GED classes and attend weekly"),
)  # fmt: skip
#: How often each category is the first need (the rest follow at random).
CATEGORY_WEIGHTS = {"counseling": 5, "housing": 3, "psychiatry": 2, "substance-use": 2, "education": 1}


@dataclass(frozen=True)
class Event:
    """One action of one person for one client on one day: what the demo commits as one step."""

    day: dt.date
    author: str
    action: str
    client: str
    files: Mapping[str, bytes]
    details: Mapping[str, str] = field(default_factory=dict)


def generate(
    workers: Sequence[str], supervisor: str, last_day: dt.date, taken: set[str], count: int = CLIENTS
) -> list[Event]:
    """The caseload's events (every client's, in each client's order), for intakes in the twelve
    months up to ``last_day``; nothing is dated after it. ``taken``: client ids already in use."""
    rng = random.Random(SEED)
    first = last_day - dt.timedelta(days=365)
    events: list[Event] = []
    used = set(taken)
    for number in range(count):
        client_id = _client_id(rng, used)
        # Intakes spread over the year: evenly, with a little jitter, on weekdays.
        offset = int(number * 362 / count) + rng.randint(0, 2)
        intake = _weekday(first + dt.timedelta(days=offset))
        worker = workers[number % len(workers)]
        events.extend(_Client(rng, client_id, worker, supervisor, intake, last_day).events())
    return events


def _client_id(rng: random.Random, used: set[str]) -> str:
    while True:
        candidate = "C-" + "".join(rng.choice(CROCKFORD) for _ in range(6))
        if candidate not in used:
            used.add(candidate)
            return candidate


def _weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


class _Ended(Exception):
    """The client's story reached the demo's today."""


class _Client:
    """One generated client's story, told in events until the demo's today."""

    def __init__(
        self, rng: random.Random, client_id: str, worker: str, supervisor: str, intake: dt.date, last_day: dt.date
    ) -> None:
        self.rng, self.id, self.worker, self.supervisor = rng, client_id, worker, supervisor
        self.intake, self.last_day = intake, last_day
        self.given, self.family = rng.choice(GIVEN), rng.choice(FAMILY)
        self.dob = dt.date(rng.randint(1952, 2005), rng.randint(1, 12), rng.randint(1, 28))
        self.phone = f"(573) 555-{rng.randint(200, 999):04d}"
        self.address = f"{rng.randint(10, 990)} {rng.choice(STREETS)} Street"
        self.source = rng.choice(SOURCES)
        self.history: list[dict[str, str]] = []
        self.approvals: list[str] = []
        self.referrals: dict[str, dict[str, Any]] = {}
        self.out: list[Event] = []
        self.day = intake
        # Most get better; some do not (the outcome rows must show both).
        self.improves = rng.random() < 0.75
        self.phq_base, self.gad_base = rng.randint(9, 21), rng.randint(7, 17)
        self.phq_end = round(self.phq_base * (rng.uniform(0.15, 0.5) if self.improves else rng.uniform(0.85, 1.15)))
        self.gad_end = round(self.gad_base * (rng.uniform(0.15, 0.55) if self.improves else rng.uniform(0.85, 1.15)))
        self.baseline_day: dt.date | None = None
        self.last_screen = intake
        self.plan_day = self.plan_created = intake
        # Most leave after three to eight months; some stay on.
        stays = rng.randint(90, 240)
        self.discharge_on = intake + dt.timedelta(days=stays) if rng.random() < 0.85 else None
        first = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
        wanted = [first, *rng.sample([c for c in CATEGORY_WEIGHTS if c != first], rng.choice((0, 1, 1, 2)))]
        self.services = [rng.choice([s for s in SERVICES if s.category == c]) for c in wanted]
        self.plan_version = 0

    # -- the story --------------------------------------------------------------------------------

    def events(self) -> list[Event]:
        with contextlib.suppress(_Ended):  # the story stops at the demo's today, wherever it is
            self._tell()
        return self.out

    def _tell(self) -> None:
        rng, worker = self.rng, self.worker
        self._stage(self.intake, "intake", "New referral; treatment consent signed at the first meeting.", new=True)
        treatment = f"CN-{self._code()}"
        self._emit(self.intake, worker, "new", {self._path(f"consents/{treatment}.yaml"): self._treatment(treatment)})
        seen = self._later(1, 6)
        self._stage(seen, "evaluation", "Identity and treatment consent on file; assessment started.")
        self._emit(seen, worker, "new", {self._path(f"evaluation/{seen}-intake-interview.md"): self._interview(seen)})
        self._screen(seen)
        planned = self._later(4, 12)
        self._stage(planned, "planning", "Intake interview and screenings done.")
        release = f"CN-{self._code()}"
        self._emit(planned, worker, "new", {self._path(f"consents/{release}.yaml"): self._release(release, planned)})
        written = self._later(1, 6)
        self._write_plan(written)
        for number, service in enumerate(self.services):
            self._referral(f"R-{self._code()}", service, release, written, goal=f"g{number + 1}")
        self._approve(self._later(1, 4), "plan.yaml", self._plan_bytes())
        self._stage(self.day, "active", "Service plan signed by the client and approved in supervision.")
        review = self.day + dt.timedelta(days=rng.randint(84, 92))
        self._referral_progress()
        while True:
            upcoming = min(self._next_contact(), review, self.discharge_on or dt.date.max)
            if upcoming > self.last_day:
                raise _Ended
            if self.discharge_on is not None and upcoming == self.discharge_on:
                self._discharge(_weekday(upcoming))
                return
            if upcoming == review:
                self._review(_weekday(review))
                review = self.day + dt.timedelta(days=rng.randint(84, 92))
            else:
                self._contact(_weekday(upcoming))

    def _next_contact(self) -> dt.date:
        return self.day + dt.timedelta(days=self.rng.randint(10, 26))

    def _contact(self, day: dt.date) -> None:
        """A contact note, a rescreen about monthly, and the referrals' news since the last one."""
        self._at(day)
        kind = self.rng.choice(CONTACT_KINDS)
        goals = ", ".join(f"g{n + 1}" for n in range(len(self.services)))
        note = (
            f"---\nform: core.visit\nclient: {self.id}\ndate: {day}\ntype: {kind}\n"
            f"duration_minutes: {self.rng.choice((20, 30, 45, 50, 60))}\nauthor: {self.worker}\n"
            f"goals: [{goals}]\nclient_present: true\n---\n# Contact note\n\n"
            "Reviewed progress on the plan's goals and the referrals; no new safety concerns.\n"
        )
        self._emit(day, self.worker, "visit", {self._path(f"visits/{day}-{kind}.md"): note.encode()})
        if (day - self.last_screen).days >= 28:
            self._screen(day)
        self._referral_progress()

    def _review(self, day: dt.date) -> None:
        """The 90-day review: into review, a rescreen, the plan revised and approved again, back to active."""
        self._stage(day, "review", "90-day plan review.")
        rescreen = self._later(1, 5)
        self._screen(rescreen)
        self._write_plan(rescreen)
        self._approve(self._later(1, 3), "plan.yaml", self._plan_bytes())
        self._stage(self.day, "active", "Plan reviewed with the client and approved again.")

    def _discharge(self, day: dt.date) -> None:
        """Close what is open, write the discharge summary, have it approved, and discharge."""
        day = max(day, self.day)
        self._at(day)
        for referral_id, referral in self.referrals.items():
            if referral["status"] in ("draft", "requested", "accepted", "in-progress"):
                self._change(referral_id, day, "cancelled", "Closed at discharge.")
        reason = self.rng.choice(
            ("goals-met", "goals-met", "goals-met", "client-request", "moved", "unable-to-contact")
        )
        met = "met" if self.improves else "partly-met"
        goals = "".join(f"  - goal: g{n + 1}\n    status: {met}\n" for n in range(len(self.services)))
        outcome = "Goals of the plan met; feeling better." if self.improves else "Some progress; services ended."
        text = (
            f"form: core.discharge\nclient: {self.id}\ndate: {day}\nauthor: {self.worker}\nreason: {reason}\n"
            f"outcome: {outcome}\n"
            f"goals:\n{goals}aftercare: Can call Riverbend again at any time; the crisis line number was given.\n"
        ).encode()
        self._emit(day, self.worker, "new", {self._path("discharge.yaml"): text})
        self._approve(self._later(1, 3), "discharge.yaml", text)
        self._stage(self.day, "discharged", f"Discharged ({reason}).")
        raise _Ended

    # -- documents --------------------------------------------------------------------------------

    def _screen(self, day: dt.date) -> None:
        from caseflow.evaluation.mood import register_instruments

        self._at(day)
        if self.baseline_day is None:
            self.baseline_day = day
        share = min(1.0, (day - self.baseline_day).days / 150)
        for spec in register_instruments():
            base, end, asked = (
                (self.phq_base, self.phq_end, 8) if spec.id == "instruments.phq9" else (self.gad_base, self.gad_end, 7)
            )
            total = max(0, min(asked * 3, round(base + (end - base) * share + self.rng.randint(-2, 2))))
            answers = self._answers(total, [item.id for item in spec.items][: 9 if asked == 8 else 7], asked)
            result = spec.score(answers, {})
            lines = [
                f"# {spec.name} {spec.version}: scored by caseflow; the result is recomputed on every validation.",
                f"form: {spec.id}",
                f"client: {self.id}",
                f"date: {day}",
                f"administered_by: {self.worker}",
                f"instrument_version: '{spec.version}'",
                "answers:",
                *(f"  {key}: {value}" for key, value in answers.items()),
                "result:",
                f"  total: {result.total}",
                f"  band: {result.band}",
                f"  flags: [{', '.join(result.flags)}]",
            ]
            path = self._path(f"evaluation/{day}-{spec.short_id}.yaml")
            self._emit(day, self.worker, "screen", {path: ("\n".join(lines) + "\n").encode()})
        self.last_screen = day

    def _answers(self, total: int, items: list[str], asked: int) -> dict[str, int]:
        """Item answers adding up to ``total`` (PHQ-9 item 9, on thoughts of self-harm, stays 0 here)."""
        values = [0] * len(items)
        for _ in range(total):
            open_items = [i for i in range(asked) if values[i] < 3]
            values[self.rng.choice(open_items)] += 1
        return dict(zip(items, values, strict=True))

    def _write_plan(self, day: dt.date) -> None:
        self._at(day)
        self.plan_version += 1
        self.plan_day = day
        self._emit(day, self.worker, "new", {self._path("plan.yaml"): self._plan_bytes()})

    def _plan_bytes(self) -> bytes:
        created = self.plan_created if self.plan_version > 1 else self.plan_day
        self.plan_created = created
        review = self.plan_day + dt.timedelta(days=90)
        lines = [
            "form: core.plan",
            f"client: {self.id}",
            f"created: {created}",
            f"author: {self.worker}",
            f"review_date: {review}",
            "strengths:",
            "  - Keeps appointments",
            "  - Supportive family",
            "problems:",
        ]
        for number, service in enumerate(self.services, 1):
            lines += [
                f"  - id: p{number}",
                f"    statement: Needs help with {service.domain}",
                f"    domain: {service.domain}",
            ]
        lines.append("goals:")
        for number, service in enumerate(self.services, 1):
            status = "met" if self.plan_version > 2 and number == 1 else "open"
            lines += [
                f"  - id: g{number}",
                f"    title: {service.goal}",
                f"    problem: p{number}",
                f"    domain: {service.domain}",
                "    status: active",
                "    objectives:",
                f"      - id: g{number}-o1",
                f"        statement: {service.objective}",
                f"        target_date: {review}",
                f"        responsible: client, with {self.worker}",
                f"        status: {status}",
                "    interventions:",
                f"      - id: g{number}-i1",
                f"        action: Referral to {service.service}",
                f"        responsible: {self.worker}",
            ]
            if service.directory == "agency":  # the agency's own providers, by id (a plan names no HSDS id)
                lines.append(f"        provider: {service.provider}")
        return ("\n".join(lines) + "\n").encode()

    def _referral(self, referral_id: str, service: Service, consent: str, day: dt.date, goal: str) -> None:
        rng = self.rng
        self.referrals[referral_id] = {
            "service": service,
            "consent": consent,
            "goal": goal,
            "status": "draft",
            "history": [("draft", day, "")],
            "requested_on": None,
            # What will happen to it: a plan of dates, played out as the story reaches them.
            "fate": rng.choices(("completed", "in-progress", "rejected", "failed"), weights=(6, 2, 1, 1))[0],
            "waits": [rng.randint(1, 4), rng.randint(3, 14), rng.randint(4, 20), rng.randint(20, 75)],
        }
        self._emit(
            day, self.worker, "new", {self._path(f"referrals/{referral_id}.yaml"): self._referral_bytes(referral_id)}
        )

    def _referral_progress(self) -> None:
        """Each referral's next status changes that are due by now."""
        for referral_id, referral in self.referrals.items():
            while True:
                step = self._next_status(referral)
                if step is None:
                    break
                status, waited, note = step
                last = referral["history"][-1][1]
                when = _weekday(last + dt.timedelta(days=waited))
                if when > self.day:
                    break
                self._change(referral_id, when, status, note)

    def _next_status(self, referral: dict[str, Any]) -> tuple[str, int, str] | None:
        status, fate, waits = referral["status"], referral["fate"], referral["waits"]
        if status == "draft":
            return "requested", waits[0], "Referral packet sent under the client's release."
        if status == "requested":
            if fate == "rejected":
                return "rejected", waits[1], "Not accepting new clients for this service."
            return "accepted", waits[1], "Intake appointment offered."
        if status == "accepted":
            return "in-progress", waits[2], "Intake kept; services started."
        if status == "in-progress" and fate == "completed":
            return "completed", waits[3], "Provider reports the service completed."
        if status == "in-progress" and fate == "failed":
            return "failed", waits[3], "Stopped attending after a few sessions."
        return None

    def _change(self, referral_id: str, day: dt.date, status: str, note: str) -> None:
        referral = self.referrals[referral_id]
        day = max(day, referral["history"][-1][1])
        if day > self.last_day:
            return
        referral["status"] = status
        referral["history"].append((status, day, note))
        if status == "requested":
            referral["requested_on"] = day
        self._emit(
            day,
            self.worker,
            "referral",
            {self._path(f"referrals/{referral_id}.yaml"): self._referral_bytes(referral_id)},
        )

    def _referral_bytes(self, referral_id: str) -> bytes:
        referral = self.referrals[referral_id]
        service: Service = referral["service"]
        lines = [
            "form: core.referral",
            f"id: {referral_id}",
            f"client: {self.id}",
            f"directory: {service.directory}",
            f"provider: {service.provider}",
            f"provider_name: {service.provider_name}",
            f"service_id: {service.service_id}",
            f"service: {service.service}",
            f"category: {service.category}",
            f"goal: {referral['goal']}",
            f"purpose: Referral for {service.service.lower()}",
            "information:",
            "  - Contact information and language needs",
            "  - Reason for referral and screening results",
            "part2: false",
            f"consent: {referral['consent']}",
        ]
        if referral["requested_on"] is not None:
            lines += [f"requested_on: {referral['requested_on']}", f"requested_by: {self.worker}"]
        lines += [f"status: {referral['status']}", "history:"]
        for status, on, note in referral["history"]:
            lines += [f"  - status: {status}", f"    on: {on}", f"    by: {self.worker}"]
            if note:
                lines.append(f"    note: {note}")
        return ("\n".join(lines) + "\n").encode()

    def _treatment(self, consent_id: str) -> bytes:
        return (
            "form: core.consent\n"
            f"id: {consent_id}\n"
            f"client: {self.id}\n"
            "kind: treatment\n"
            "regulation: hipaa\n"
            f"patient_name: {self.given} {self.family}\n"
            "disclosing_party: Riverbend Community Services\n"
            "right_to_revoke: May withdraw consent to services at any time, in writing or out loud.\n"
            f"signed_by:\n  name: {self.given} {self.family}\n  relationship: self\n"
            f"signed_on: {self.intake}\n"
            f"recorded_by: {self.worker}\n"
            "status: active\n"
        ).encode()

    def _release(self, consent_id: str, day: dt.date) -> bytes:
        recipients = []
        for service in {s.provider: s for s in self.services}.values():
            recipients += [
                f"  - name: {service.provider_name}",
                f"    provider: {service.provider}",
                "    designation: named",
            ]
        purposes = "".join(f"  - Referral for {s.service.lower()}\n" for s in self.services)
        return (
            "form: core.consent\n"
            f"id: {consent_id}\n"
            f"client: {self.id}\n"
            "kind: release\n"
            "regulation: hipaa\n"
            f"patient_name: {self.given} {self.family}\n"
            "disclosing_party: Riverbend Community Services\n"
            "information_covered:\n"
            "  - Contact information and language needs\n"
            "  - Reason for referral and screening results\n"
            "recipients:\n" + "\n".join(recipients) + "\n"
            "purposes:\n" + purposes + "right_to_revoke: May revoke this release at any time by writing to the "
            "case manager, except for what was already shared.\n"
            f"expires_on: {day + dt.timedelta(days=365)}\n"
            f"signed_by:\n  name: {self.given} {self.family}\n  relationship: self\n"
            f"signed_on: {day}\n"
            "redisclosure_notice: true\n"
            "conditioning_statement: true\n"
            f"recorded_by: {self.worker}\n"
            "status: active\n"
        ).encode()

    def _interview(self, day: dt.date) -> bytes:
        concerns = "".join(f"  - Needs help with {s.domain}\n" for s in self.services)
        return (
            "---\nform: core.intake-interview\n"
            f"client: {self.id}\ndate: {day}\ninterviewer: {self.worker}\nsetting: office\n"
            f"referral_source: {self.source}\npresenting_concerns:\n{concerns}"
            f"duration_minutes: {self.rng.choice((60, 75, 90))}\n---\n# Intake interview\n\n"
            "Talked through what brought the client in, their supports and what they want to change.\n"
        ).encode()

    def _record(self) -> bytes:
        history = "".join(
            (f"  - from: {h['from']}\n" if "from" in h else "  - ")
            + ("    " if "from" in h else "")
            + f"to: {h['to']}\n    on: {h['on']}\n    by: {h['by']}\n    reason: {h['reason']}\n"
            for h in self.history
        )
        return (
            "form: core.client\n"
            f"id: {self.id}\n"
            f"name: {self.given} {self.family}\n"
            f"dob: {self.dob}\n"
            "language: English\n"
            "interpreter_needed: false\n"
            f"phone: {self.phone}\n"
            f'address:\n  line1: {self.address}\n  city: Riverbend\n  state: MO\n  postal_code: "63996"\n'
            f"referral_source: {self.source}\n"
            f"intake_date: {self.intake}\n"
            f"assigned_worker: {self.worker}\n"
            "part2: false\n"
            f"stage: {self.history[-1]['to']}\n"
            f"stage_history:\n{history}"
            "risk_flags: []\n"
        ).encode()

    # -- steps ------------------------------------------------------------------------------------

    def _stage(self, day: dt.date, stage: str, reason: str, new: bool = False) -> None:
        """The record as ``caseflow intake`` (``new``) or ``caseflow advance`` leaves it."""
        self._at(day)
        previous = self.history[-1]["to"] if self.history else None
        entry = {"to": stage, "on": day.isoformat(), "by": self.worker, "reason": reason}
        if previous is not None:
            entry["from"] = previous
        self.history.append(entry)
        details = {} if new else {"Stage": f"{previous} -> {stage}"}
        self._emit(
            day, self.worker, "intake" if new else "advance", {self._path("client.yaml"): self._record()}, details
        )

    def _approve(self, day: dt.date, document: str, data: bytes) -> None:
        """The supervisor's decision, bound to the version committed (as ``caseflow approve`` writes it)."""
        self._at(day)
        self.approvals.append(
            f"  - document: {document}\n    blob: {blob_id(data)}\n    decision: approved\n"
            f"    by: {self.supervisor}\n    at: '{day}T15:00:00+00:00'\n"
        )
        text = (
            "# Supervisor decisions, each bound to one version (git blob id) of one document.\n"
            f"form: core.approvals\nclient: {self.id}\napprovals:\n" + "".join(self.approvals)
        )
        self._emit(day, self.supervisor, "approve", {self._path("approvals.yaml"): text.encode()})

    def _emit(
        self,
        day: dt.date,
        author: str,
        action: str,
        files: Mapping[str, bytes],
        details: Mapping[str, str] | None = None,
    ) -> None:
        if day > self.last_day:
            raise _Ended
        self.out.append(Event(day, author, action, self.id, dict(files), dict(details or {})))

    def _at(self, day: dt.date) -> None:
        if day > self.last_day:
            raise _Ended
        self.day = max(self.day, day)

    def _later(self, low: int, high: int) -> dt.date:
        day = _weekday(self.day + dt.timedelta(days=self.rng.randint(low, high)))
        self._at(day)
        return day

    def _path(self, inner: str) -> str:
        return f"clients/{self.id}/{inner}"

    def _code(self) -> str:
        return "".join(self.rng.choice(CROCKFORD) for _ in range(6))


def documents_at_end(events: list[Event]) -> Iterator[tuple[str, bytes]]:
    """Each file as the last event leaves it."""
    final: dict[str, bytes] = {}
    for event in events:
        final.update(event.files)
    yield from sorted(final.items())
