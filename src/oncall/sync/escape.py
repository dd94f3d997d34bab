"""Text that people typed, made safe for Slack: no `@channel`/`@here` pings, no links, no
mentions. Our own mentions (the IC) are added after escaping, by `mention()`."""

from __future__ import annotations

import re

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"


def slack_escape(text: str) -> str:
    """Escape Slack's control characters (&, <, >) so `<!channel>`, `<@U123>` and `<url|label>`
    show as typed, and break bare `@channel`-style words so they never notify anyone."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@" + _ZERO_WIDTH_SPACE + m.group(1), text)


_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def mention(slack_id: str, fallback: str) -> str:
    """A real mention for a roster Slack id; the escaped name when the id does not look like one."""
    if _SLACK_ID.match(slack_id or ""):
        return f"<@{slack_id}>"
    return slack_escape(fallback)
