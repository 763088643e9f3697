"""Screening: giving an instrument, and reading scores over time.

Reached as ``repo.evaluation``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from caseflow.core.config import Staff
    from caseflow.core.events import SavedDocument
    from caseflow.evaluation.instruments import Instrument, Result
    from caseflow.evaluation.screening import Administration
    from caseflow.session import Session


class Evaluation:
    """Screening: giving an instrument, and reading scores over time."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def instrument(self, instrument_id: str) -> Instrument:
        """The instrument with this id (`caseflow instruments` lists them)."""
        from caseflow.evaluation import screening

        return screening.instrument(self._session, instrument_id)

    def screen(
        self,
        actor: Staff,
        client_id: str,
        instrument_id: str,
        answers: Mapping[str, int],
        date: str | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> tuple[SavedDocument, Result]:
        """Save one administration (and, if it shows suicide risk, the client's risk flag) in one commit."""
        from caseflow.evaluation import screening

        return screening.screen(self._session, actor, client_id, instrument_id, answers, date, parameters)

    def scores(self, client_id: str, instrument_id: str | None = None) -> list[Administration]:
        """Every administration, oldest first, with change from baseline and response/remission."""
        from caseflow.evaluation import screening

        return screening.scores(self._session, client_id, instrument_id)
