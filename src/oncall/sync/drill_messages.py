"""What a fire drill's Slack messages look like in the drill channel. Pure functions: no I/O.

`messages.py` already names people instead of mentioning them for a drill; this is the last
word before a drill's text leaves: whatever a workspace's own template wrote, nobody is pinged.
"""

from __future__ import annotations

import re

from oncall.domain.incident import TimelineEvent
from oncall.sync.escape import slack_escape

# Slack's mentions and special mentions (`<@U123>`, `<@U123|maya>`, `<!here>`, `<!subteam^S1>`):
# each notifies someone. Links (`<https://…|DATA-1>`) and channel names (`<#C1>`) notify nobody.
_PING = re.compile(r"<([@!][^<>]*)>")

NO_CHANNEL_NOTE = "a drill: never sent to Slack (no [drills] slack_channel)"
JIRA_SKIPPED_NOTE = "a drill: not sent to Jira"


def unping(text: str) -> str:
    """`text` with every mention shown as written instead of notifying (`<@U1>` reads as text)."""
    return _PING.sub(lambda match: "&lt;" + match.group(1) + "&gt;", text)


def stakeholder_reply(event: TimelineEvent, text: str) -> str:
    """A stakeholder update as a reply in the drill's thread: said to be what stakeholders would
    have read (a real incident posts it in the stakeholder channel and emails it)."""
    return f"*Stakeholder update* ({slack_escape(event.actor)}):\n{text}"
