"""The action items as the post-mortem lists them: a table the export fills in from the incident's
live list, so the document always shows where each item stands (and what is missing: an owner,
a due date)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from oncall.postmortem.writing import md


@dataclass(frozen=True)
class ActionItemSummary:
    """One action item as the document lists it. `owner` is a name (None: nobody yet)."""

    title: str
    owner: str | None = None
    due: date | None = None
    priority: str = ""
    status: str = "open"  # open, done, won't do
    reason: str = ""  # why it won't be done
    number: int | None = None  # as the command line names it (`oncall action done N`); None: its place


def action_items_markdown(items: Sequence[ActionItemSummary], *, today: date | None = None) -> str:
    """The action items as a Markdown table. A missing owner or due date is said in bold (a SEV-1/2
    incident cannot close without them); with `today`, an open item past its due date is overdue."""
    if not items:
        return "_No action items yet._"
    today = today.date() if isinstance(today, datetime) else today
    rows = ["| # | Action | Owner | Due | Priority | Status |", "|---|---|---|---|---|---|"]
    for index, item in enumerate(items, 1):
        due = item.due.date() if isinstance(item.due, datetime) else item.due
        status = status_word(item.status)
        due_text = due.isoformat() if isinstance(due, date) else "**no due date**"
        if isinstance(due, date) and today and status == "open" and due < today:
            due_text += " (overdue)"
        if status == "won't do" and md(item.reason):
            status += f": {md(item.reason)}"
        owner = md(item.owner) or "**no owner**"
        number = item.number if item.number is not None else index
        rows.append(f"| {number} | {md(item.title)} | {owner} | {due_text} | {md(item.priority)} | {status} |")
    return "\n".join(rows)


def status_word(status: object) -> str:
    """`wont-do`, `won't do`, `WONTDO` all read "won't do"; an unknown status is shown as it is."""
    word = re.sub(r"[^a-z]", "", str(status or "open").lower())
    return {"wontdo": "won't do", "done": "done", "open": "open"}.get(word, md(status))
