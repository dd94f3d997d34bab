"""The line above the footer: where the data lives and whether Jira and Slack are in step."""

from __future__ import annotations

from textual.widgets import Static


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    StatusLine.-failing { color: $error; }
    StatusLine.-pending { color: $warning; }
    """

    def show(self, text: str, state: str = "") -> None:
        self.update(text)
        self.set_class(state == "failing", "-failing")
        self.set_class(state == "pending", "-pending")
