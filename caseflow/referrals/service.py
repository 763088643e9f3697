"""Consents, provider directories and closed-loop referrals.

Reached as ``repo.referrals``; a disclosure happens only under a consent that covers it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path
    from typing import Any

    from caseflow.core.config import Staff
    from caseflow.core.consent_rules import ConsentFacts
    from caseflow.core.events import SavedDocument
    from caseflow.referrals.consents import ConsentTerms
    from caseflow.referrals.directory import (
        Directory,
    )
    from caseflow.referrals.directory_files import ImportReport, LoadedSource
    from caseflow.referrals.lifecycle import Packet
    from caseflow.referrals.provider_search import Match
    from caseflow.session import Session


class Referrals:
    """Consents, provider directories and closed-loop referrals."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def record_consent(self, actor: Staff, client_id: str, terms: ConsentTerms) -> SavedDocument:
        """Write ``consents/<id>.yaml`` for the client in one commit; refuse incomplete or impossible terms."""
        from caseflow.referrals import consents

        return consents.record_consent(self._session, actor, client_id, terms)

    def revoke_consent(
        self, actor: Staff, client_id: str, consent_id: str, on: str | None, note: str | None
    ) -> SavedDocument:
        """Mark a consent revoked from a date (earlier disclosures stay lawful), one commit."""
        from caseflow.referrals import consents

        return consents.revoke_consent(self._session, actor, client_id, consent_id, on, note)

    def consents_on_file(self, client_id: str) -> list[Mapping[str, Any]]:
        """The client's consents as committed: a disclosure never rests on an edit nobody committed."""
        from caseflow.referrals import lifecycle

        return lifecycle.consents_on_file(self._session, client_id)

    def consent_statuses(self, client_id: str) -> list[dict[str, Any]]:
        """Each consent of the client: to whom, for what, until when (a computed end included), and
        whether it is valid today with every reason it is not."""
        from caseflow.referrals import consent_status

        return consent_status.consent_statuses(self._session, client_id)

    def consent_facts(self, client_id: str) -> ConsentFacts:
        """What decides when the client's consents end and who may sign them."""
        from caseflow.referrals import lifecycle

        return lifecycle.consent_facts(self._session, client_id)

    def refer(
        self,
        actor: Staff,
        client_id: str,
        service_id: str,
        *,
        purpose: str,
        information: Sequence[str],
        reason: str | None = None,
        goal: str | None = None,
        part2: bool | None = None,
    ) -> SavedDocument:
        """A draft referral to a directory service, linked to a plan goal; one commit. Nothing is sent yet.

        It says what it will disclose (purpose, information, Part 2 or not) so that the consent gate
        can check it when it is sent. A Part 2 client's referral carries Part 2 records, always.
        """
        from caseflow.referrals import lifecycle

        return lifecycle.refer(
            self._session,
            actor,
            client_id,
            service_id,
            purpose=purpose,
            information=information,
            reason=reason,
            goal=goal,
            part2=part2,
        )

    def change_status(
        self,
        actor: Staff,
        client_id: str,
        referral_id: str,
        status: str,
        note: str | None = None,
        reason: str | None = None,
        emergency: str | None = None,
    ) -> SavedDocument:
        """Move a referral on, one commit; sending it (``requested``) needs a covering consent."""
        from caseflow.referrals import lifecycle

        return lifecycle.change_status(self._session, actor, client_id, referral_id, status, note, reason, emergency)

    def packet(self, actor: Staff, client_id: str, referral_id: str) -> Packet:
        """The minimum-necessary summary for the recipient of a sent referral, under the consent that covers it.

        Besides who the client is, it shows only what the referral's ``information`` lists: the reason
        for referral, the plan goal and contact details each appear only when an item names them. A
        referral sent under the emergency override carries that override (and its reason) instead.
        """
        from caseflow.referrals import lifecycle

        return lifecycle.packet(self._session, actor, client_id, referral_id)

    def stale_after_days(self) -> int:
        """Days a referral may wait without a status change (the workflow's ``referral_stale_days``)."""
        from caseflow.referrals import lifecycle

        return lifecycle.stale_after_days(
            self._session,
        )

    def locate(self, near: str) -> tuple[float, float]:
        """A place to measure distance from: ``latitude,longitude``, or a postal code the settings
        (``directories.postal_codes``) or a listed location know (else NotFound saying so)."""
        import re

        from caseflow.errors import NotFound
        from caseflow.referrals.directory import resolve_postal_code

        coordinates = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*", near)
        if coordinates:
            return float(coordinates.group(1)), float(coordinates.group(2))
        postal = self._session.config.directories.get("postal_codes") or {}
        point = resolve_postal_code(near.strip(), self.directories(), postal)
        if point is None:
            raise NotFound(f"postal code {near[:20]!r} is not in directories.postal_codes nor at any listed location")
        return point

    def search_providers(
        self,
        *,
        categories: Sequence[str] = (),
        text: str = "",
        language: str = "",
        near: str = "",
        within_km: float | None = None,
        town: str = "",
        postal_code: str = "",
        open_at: str = "",
        age: str = "",
        statuses: Sequence[str] = (),
        accepting: bool = False,
    ) -> tuple[str, list[Match]]:
        """Search every directory as a person asks (the CLI and the web page both come here).

        Returns the ranking's heading and the matches, one per service at a location. A category,
        language or status no directory knows, an ``open_at`` or ``age`` that does not parse are
        usage errors; a postal code with no known position is NotFound.
        """
        import datetime as dt
        from zoneinfo import ZoneInfo

        from caseflow.referrals.opening_hours import parse_open
        from caseflow.referrals.provider_search import Query, check_query, parse_age, ranking, search

        offset = dt.datetime.now(ZoneInfo(self._session.config.timezone)).utcoffset() or dt.timedelta()
        query = Query(
            categories=tuple(dict.fromkeys(c.strip() for c in categories if c.strip())),
            text=text.strip(),
            language=language.strip(),
            within_km=within_km,
            town=town.strip(),
            postal_code=postal_code.strip(),
            open_at=parse_open(open_at) if open_at.strip() else None,
            age=parse_age(age) if age.strip() else None,
            statuses=tuple(dict.fromkeys(s.strip().lower() for s in statuses if s.strip())),
            accepting=accepting,
            agency_offset_minutes=round(offset.total_seconds() / 60),
        )
        directories = self.directories()
        if near.strip():
            query = dataclasses.replace(query, near=self.locate(near), near_label=near.strip())
        check_query(directories, query)
        return ranking(query), search(directories, query)

    def directories(self) -> list[Directory]:
        """Every provider directory: those plugins register, then every readable directory source."""
        from caseflow.referrals import directory_files

        return directory_files.directories(
            self._session,
        )

    def directory_sources(self) -> list[LoadedSource]:
        """The directory files and folders (``directories/``, ``directories.sources``), read once a session."""
        from caseflow.referrals import directory_files

        return directory_files.loaded_sources(
            self._session,
        )

    def import_directory(
        self, actor: Staff, path: Path, directory_id: str | None = None, replace: bool = False
    ) -> ImportReport:
        """Read and validate a directory, then record its files under ``directories/`` in one commit."""
        from caseflow.referrals import directory_files

        return directory_files.import_directory(self._session, actor, path, directory_id, replace)
