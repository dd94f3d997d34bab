"""The countdown to the next stakeholder update as a person reads it. Pure and import-light: the
queue paints it on every row from the first frame, before pydantic is loaded."""

from __future__ import annotations

from datetime import datetime


def next_update_text(due: datetime | None, now: datetime) -> str:
    """`due in 12m`, `overdue 5m`, or '' when none is owed."""
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    span = f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    return f"overdue {span}" if seconds < 0 else ("due now" if seconds < 60 else f"due in {span}")
