"""Where a referral stands in time: when its status last changed, and whether it has waited too long."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from caseflow.core.dates import is_iso_date, plus_days

#: A referral waits on someone in these statuses; once in progress, the client is being served.
WAITING_STATUSES = frozenset({"draft", "requested", "received", "accepted"})


def last_change(referral: Mapping[str, Any]) -> str | None:
    history = [h for h in referral.get("history") or [] if isinstance(h, Mapping) and is_iso_date(h.get("on"))]
    return str(history[-1]["on"]) if history else referral.get("requested_on")


def stale_since(referral: Mapping[str, Any], today: dt.date, days: int) -> str | None:
    """The date a waiting referral became stale (no status change for ``days``), or None."""
    changed = last_change(referral)
    if referral.get("status") not in WAITING_STATUSES or not is_iso_date(changed):
        return None
    due = plus_days(str(changed), days)
    return due if due <= today.isoformat() else None


def referral_stale_days(monitoring: Mapping[str, Any]) -> int:
    """Days a referral may wait without a status change (``referral_stale_days``, else 14)."""
    value = monitoring.get("referral_stale_days", 14)
    return value if isinstance(value, int) and value >= 0 else 14
