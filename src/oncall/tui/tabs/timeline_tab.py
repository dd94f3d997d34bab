"""The Timeline tab: the whole timeline, full height, newest last, scrolled to the end."""

from __future__ import annotations

from textual.binding import Binding

from oncall.tui.tabs.base import IncidentTab
from oncall.tui.widgets.timeline import TimelineView


class TimelineTab(IncidentTab, TimelineView):
    TAB_KEY = "2"
    TAB_NAME = "Timeline"
    BINDINGS = [
        Binding("home", "scroll_home", "Oldest", id="timeline.oldest"),
        Binding("end", "scroll_end", "Newest", id="timeline.newest"),
    ]

    def __init__(self) -> None:
        super().__init__(placeholder="Reading the timeline…", id="timeline")
