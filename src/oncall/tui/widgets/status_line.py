"""The line above the footer: where the data lives and whether Jira and Slack are in step."""

from __future__ import annotations

from textual.widgets import Static


class StatusLine(Static):
    """Shows its text as given: sync messages name config sections like `[jira]`."""

    DEFAULT_CSS = """
    StatusLine { height: 1; width: 1fr; padding: 0 1; background: $panel; color: $text-muted; }
    StatusLine.-failing { color: $error; }
    StatusLine.-pending { color: $warning; }
    StatusLine.-drill { background: $accent; color: $text; text-style: bold; }
    """

    _shown: tuple[str, str] | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, markup=False, **kwargs)

    def show(self, text: str, state: str = "") -> None:
        if self._shown == (text, state):
            return  # polled twice a second: repaint only when something changed
        self._shown = (text, state)
        self.update(text, layout=False)
        self.set_class(state == "failing", "-failing")
        self.set_class(state == "pending", "-pending")
        self.set_class(state == "drill", "-drill")
