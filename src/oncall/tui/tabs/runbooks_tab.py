"""The Runbooks tab: the runbooks attached to this incident with their progress, the ones that fit
it (its asset, the asset's kind, the failure tags the IC gives it), and the broken files.

`enter` on an attached runbook opens it step by step (`screens/runbook_viewer.py`); on a
suggestion it attaches it and opens it. `t` sets the incident's failure tags.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static

from oncall.tui.widgets.plain_option import Option
from oncall.tui.tabs.base import ChosenMessage, ListTab

ATTACHED, SUGGESTED = "open:", "attach:"


class RunbookList(OptionList):
    """The tab's list; it is what takes the focus when the tab comes to the front."""


class RunbooksTab(ListTab, Vertical):
    TAB_KEY = "5"
    TAB_NAME = "Runbooks"
    BINDINGS = [
        Binding("enter", "choose", "Open / attach", id="runbooks.open", show=True),
        Binding("t", "screen.tags", "Tags", id="runbooks.tags",
                tooltip="The failure tags runbooks are suggested by (key: t)"),
    ]
    can_focus = True
    LIST = RunbookList

    class Chosen(ChosenMessage):
        pass

    def __init__(self) -> None:
        super().__init__(id="runbooks")
        self._key: object = None

    def compose(self) -> ComposeResult:
        yield Static("Reading the runbooks…", id="runbooks-tags", markup=False)
        yield RunbookList(id="runbook-list")

    def show(self, tags: list[str], attached: list[tuple[str, str]], suggested: list[tuple[str, str]],
             broken: list[str]) -> None:
        """attached: (runbook id, line); suggested: (runbook id, line); broken: lines."""
        key = (tuple(tags), tuple(attached), tuple(suggested), tuple(broken))
        if key == self._key:
            return
        self._key = key
        self.query_one("#runbooks-tags", Static).update(
            "tags: " + (", ".join(tags) if tags else "none yet (t): they make the suggestions sharper")
            + "  ·  enter opens or attaches the runbook under the cursor")
        items: list[Option] = []
        items.append(Option("Attached", disabled=True))
        items.extend(Option(line, id=ATTACHED + runbook_id) for runbook_id, line in attached)
        if not attached:
            items.append(Option("  none yet: choose one below and press enter", disabled=True))
        items.append(Option("Suggested for this incident", disabled=True))
        items.extend(Option(line, id=SUGGESTED + runbook_id) if runbook_id else Option(line, disabled=True)
                     for runbook_id, line in suggested)
        if not suggested:
            items.append(Option("  nothing fits: add runbooks to the workspace's runbooks/ folder", disabled=True))
        if broken:
            items.append(Option("Broken (oncall runbooks check says more)", disabled=True))
            items.extend(Option("  " + line, disabled=True) for line in broken)
        self.refill(items)
