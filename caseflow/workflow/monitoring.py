"""How closely a client is followed: their risk level from their flags, and the contact cadence it sets.

Read from the workflow's ``monitoring`` settings (``risk_by_flag``, ``contact_days_by_risk``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caseflow.core.case import active_risk_flags

RISK_ORDER = ("low", "moderate", "high")


def risk_level(record: Mapping[str, Any], monitoring: Mapping[str, Any]) -> str:
    """The client's risk level from their flags (an unknown flag counts as moderate: err careful)."""
    by_flag = monitoring.get("risk_by_flag", {})
    levels = [by_flag.get(f.get("flag"), "moderate") for f in active_risk_flags(record)]
    known = [level if level in RISK_ORDER else "moderate" for level in levels]
    return max(known, key=RISK_ORDER.index, default="low")


def contact_days(record: Mapping[str, Any], monitoring: Mapping[str, Any]) -> tuple[str, int | None]:
    level = risk_level(record, monitoring)
    days = monitoring.get("contact_days_by_risk", {}).get(level)
    return level, days if isinstance(days, int) and days > 0 else None
