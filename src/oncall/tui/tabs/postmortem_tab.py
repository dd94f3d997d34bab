"""The Post-mortem tab: the post-mortem's status and sections, the incident's action items
(overdue ones flagged), its root cause, and whether it repeats an earlier incident.

`enter` on a section opens the editor there (or drafts the post-mortem from the timeline when
there is none); on an action item, what to do with it. `a` adds an action item, `m` moves the
post-mortem on (draft → in review → complete), `c` records the root cause.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static

from oncall.tui.tabs.base import IncidentTab
from rich.text import Text
from textual.widgets.option_list import Option as _Option

from oncall.tui.widgets.plain_option import Option

DRAFT, SECTION, ITEM = "draft", "section:", "item:"


class PostmortemList(OptionList):
    """The tab's list; it takes the focus when the tab comes to the front."""


class PostmortemTab(IncidentTab, Vertical):
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

    class Chosen(Message):
        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    def __init__(self) -> None:
        super().__init__(id="postmortem")
        self._key: object = None

    def compose(self) -> ComposeResult:
        yield Static("", id="postmortem-status", markup=False)
        yield PostmortemList(id="postmortem-list")

    def on_focus(self) -> None:
        self.query_one(PostmortemList).focus()

    def show(self, status: str, sections: list[tuple[str, str]], items: list[tuple[int, str, bool]],
             cause: list[str]) -> None:
        """status: one line; sections: (slug, line), empty when there is no post-mortem; items:
        (id, line, overdue); cause: lines about the root cause and recurrence."""
        key = (status, tuple(sections), tuple(items), tuple(cause))
        if key == self._key:
            return
        self._key = key
        self.query_one("#postmortem-status", Static).update(status)
        options = self.query_one(PostmortemList)
        highlighted = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
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
        options.add_options(entries)
        # After the list has taken its new options in (it highlights the first, a heading, itself).
        self.call_after_refresh(self._highlight, highlighted)

    def _highlight(self, wanted: str | None) -> None:
        options = self.query_one(PostmortemList)
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        index = ids.index(wanted) if wanted is not None and wanted in ids else next((i for i, value in enumerate(ids) if value), None)
        if index is not None:
            options.highlighted = index

    def action_choose(self) -> None:
        option = self.query_one(PostmortemList).highlighted_option
        if option is not None and option.id:
            self.post_message(self.Chosen(option.id))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Chosen(event.option.id))


def _item(item_id: int, line: str, overdue: bool) -> _Option:
    """An action item's line; an overdue one says so first, in red (colour means overdue here)."""
    text = Text(line)
    if overdue:
        text = Text.assemble(line[:2], ("OVERDUE ", "bold red"), line[2:])
    return _Option(text, id=f"{ITEM}{item_id}")
