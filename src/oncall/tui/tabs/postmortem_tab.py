"""The Post-mortem tab: the post-mortem's status and sections, the incident's action items
(overdue ones flagged), its root cause, and whether it repeats an earlier incident.

`enter` on a section opens the editor there (or drafts the post-mortem from the timeline when
there is none); on an action item, what to do with it. `a` adds an action item, `m` moves the
post-mortem on (draft → in review → complete), `c` records the root cause.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option as _Option

from oncall.tui.tabs.base import ChosenMessage, ListTab
from oncall.tui.widgets.plain_option import Option

DRAFT, SECTION, ITEM = "draft", "section:", "item:"


class PostmortemList(OptionList):
    """The tab's list; it takes the focus when the tab comes to the front."""


class PostmortemTab(ListTab, Vertical):
    TAB_KEY = "6"
    TAB_NAME = "Post-mortem"
    BINDINGS = [
        Binding("enter", "choose", "Edit / act", id="postmortem.open", show=True),
        Binding("a", "screen.add_action", "Action item", id="postmortem.add_action"),
        Binding("m", "screen.postmortem_status", "Move on", id="postmortem.status",
                tooltip="Draft → in review → complete (key: m)"),
        Binding("c", "screen.root_cause", "Root cause", id="postmortem.cause"),
    ]
    can_focus = True
    LIST = PostmortemList

    class Chosen(ChosenMessage):
        pass

    def __init__(self) -> None:
        super().__init__(id="postmortem")
        self._key: object = None

    def compose(self) -> ComposeResult:
        yield Static("", id="postmortem-status", markup=False)
        yield PostmortemList(id="postmortem-list")

    def show(self, status: str, sections: list[tuple[str, str]], items: list[tuple[int, str, bool]],
             cause: list[str]) -> None:
        """status: one line; sections: (slug, line), empty when there is no post-mortem; items:
        (id, line, overdue); cause: lines about the root cause and recurrence."""
        key = (status, tuple(sections), tuple(items), tuple(cause))
        if key == self._key:
            return
        self._key = key
        self.query_one("#postmortem-status", Static).update(status)
        entries: list[Option] = [Option("Post-mortem", disabled=True)]
        if sections:
            entries.extend(Option(line, id=SECTION + slug) for slug, line in sections)
        else:
            entries.append(Option("  none yet: enter drafts it from the timeline", id=DRAFT))
        entries.append(Option("Action items (a adds one)", disabled=True))
        entries.extend(_item(item_id, line, overdue) for item_id, line, overdue in items)
        if not items:
            entries.append(Option("  none yet", disabled=True))
        entries.append(Option("Root cause (c)", disabled=True))
        entries.extend(_Option(Text(line, style="bold red" if "RECURRING" in line else ""), disabled=True)
                       for line in cause)
        self.refill(entries)


def _item(item_id: int, line: str, overdue: bool) -> _Option:
    """An action item's line; an overdue one says so first, in red (colour means overdue here)."""
    text = Text(line)
    if overdue:
        text = Text.assemble(line[:2], ("OVERDUE ", "bold red"), line[2:])
    return _Option(text, id=f"{ITEM}{item_id}")
