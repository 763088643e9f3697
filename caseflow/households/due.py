"""The household's own due items, derived every time as a client's are (never stored).

- ``family-plan-review``: the family plan's review date once it is approved (else
  ``plan_review_days`` after the approval: the client plan's interval, from the workflow's
  ``monitoring``), as the client plan review is;
- ``family-plan-sent-back``: a supervisor sent the family plan back; change it;
- ``family-contact``: no family contact for ``family_contact_days`` (``monitoring``, default 30)
  since the last one (or since the household was made).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from caseflow.core.dates import is_iso_date, plus_days
from caseflow.followup.due_rules import Due
from caseflow.households import actions, model

if TYPE_CHECKING:
    from caseflow.session import Session

FAMILY_CONTACT_DAYS = 30


def _days(monitoring: Mapping[str, Any], key: str, default: int) -> int:
    value = monitoring.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def household_due(repo: Session, household: model.Household, monitoring: Mapping[str, Any]) -> list[Due]:
    found: list[Due] = []
    status = actions.plan_status(repo, household)
    plan = household.plan
    if plan is not None and status["status"] == "approved":
        review = plan.data.get("review_date")
        if not is_iso_date(review):
            at = str(status.get("at", ""))[:10]
            review = plus_days(at, _days(monitoring, "plan_review_days", 90)) if is_iso_date(at) else None
        if review:
            found.append(Due("family-plan-review", "family plan review", str(review), key="family-plan"))
    if status["status"] == "sent back":
        reason = f"family plan sent back: {status['sent_back']}"
        found.append(Due("family-plan-sent-back", reason, repo.today().isoformat(), key="family-plan"))
    today = repo.today().isoformat()
    dates = [
        str(d.data["date"]) for d in household.contacts if is_iso_date(d.data.get("date")) and d.data["date"] <= today
    ]
    since = max(dates, default=None) or household.record.get("created")
    if is_iso_date(since):
        days = _days(monitoring, "family_contact_days", FAMILY_CONTACT_DAYS)
        seen = f"last family contact {since}" if dates else f"no family contact since {since}"
        found.append(
            Due(
                "family-contact",
                f"family contact (every {days} days; {seen})",
                plus_days(str(since), days),
                key="family-contact",
            )
        )
    return sorted(found, key=lambda d: d.due)
