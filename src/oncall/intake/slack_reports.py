"""Reports people make in #data-incidents: which messages are reports, what they say, and
which asset they are about. Pure functions on the messages `conversations.history` returns.

A message is a report when a person (not a bot, not this app) wrote it at the top of the
channel (not in a thread) and either
- someone reacted to it with the report emoji (`[slack] report_emoji`, default `rotating_light`), or
- it starts with the report prefix (`[slack] report_prefix`, default `data issue:`, any case).

Its author is the reporter: they saw the problem, and they are answered in their message's
thread. The people who reacted flagged it; they are named on the item's timeline.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from oncall.domain.asset import Asset

# A message with one of these subtypes is still a person's message (a file shared with words).
PERSON_SUBTYPES = frozenset({"", "file_share"})
# What a report says when the person wrote nothing but the prefix (a screenshot, say).
NO_WORDS = "(reported in Slack without a description: see the message)"

_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_FORMATTING = "*_~> \t\r\n"


@dataclass(frozen=True)
class SlackReport:
    """A message that is a report. `how`: "reaction" or "prefix" (a message with both is a
    prefix report whose flaggers are named too)."""

    ts: str
    reporter: str  # the author's Slack user id
    text: str  # plain text, without the prefix
    how: str
    flagged_by: tuple[str, ...] = ()  # Slack ids of the people who reacted with the report emoji


def emoji_name(value: str) -> str:
    """`:rotating_light:` or `rotating_light` as Slack names it in `reactions` (no colons, lower case)."""
    return value.strip().strip(":").strip().lower()


def is_person_message(message: Mapping[str, Any], bot_user: str) -> bool:
    """Written by a person at the top of the channel: no bot (`bot_id`, or this app's own user),
    no event such as a join (`subtype`), not a reply in a thread (broadcast replies included)."""
    if message.get("type", "message") != "message" or message.get("bot_id"):
        return False
    user = str(message.get("user") or "")
    if not user or user == bot_user or str(message.get("subtype") or "") not in PERSON_SUBTYPES:
        return False
    thread = message.get("thread_ts")
    return not thread or thread == message.get("ts")


def reactors(message: Mapping[str, Any], emoji: str, bot_user: str = "") -> tuple[str, ...]:
    """Who reacted to the message with `emoji` (skin tones count as the emoji), this app aside."""
    wanted = emoji_name(emoji)
    if not wanted:
        return ()
    found: list[str] = []
    for reaction in message.get("reactions") or ():
        if not isinstance(reaction, Mapping):
            continue
        if emoji_name(str(reaction.get("name") or "")).split("::", 1)[0] != wanted:
            continue
        for user in reaction.get("users") or ():
            if isinstance(user, str) and user and user != bot_user and user not in found:
                found.append(user)
    return tuple(found)


def reacted_by(message: Mapping[str, Any], emoji: str, user: str) -> bool:
    """`user` (this app, for its claim on a report) reacted to the message with `emoji`."""
    wanted = emoji_name(emoji)
    return any(isinstance(reaction, Mapping) and emoji_name(str(reaction.get("name") or "")) == wanted
               and user in (reaction.get("users") or ()) for reaction in message.get("reactions") or ())


def plain_text(text: str) -> str:
    """Slack's message markup as a person reads it: `<https://x|label>` is `label (https://x)`,
    `<@U1>` is `@U1`, `<#C1|data>` is `#data`, `<!here>` is `@here`, and `&amp;` `&lt;` `&gt;`
    are the characters. (Whatever it becomes is escaped again before it is posted anywhere.)"""

    def spelled(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            name = target[1:].split("^", 1)[0]
            return label or ("@" + name)
        if label and label != target:
            return f"{label} ({target})"
        return target

    return html.unescape(_LINK.sub(spelled, text or ""))


def after_prefix(text: str, prefix: str) -> str | None:
    """The text after `prefix` when the message starts with it (in any case, however spaced,
    after any leading bold, italics or quote marks); None when it does not."""
    words = prefix.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(word) for word in words) + (r"(?!\w)" if words[-1][-1].isalnum() else "")
    start = text.lstrip(_FORMATTING)
    found = re.match(pattern, start, re.IGNORECASE)
    if found is None:
        return None
    return start[found.end():].lstrip(_FORMATTING).strip()


def report_in(message: Mapping[str, Any], *, emoji: str, prefix: str, bot_user: str) -> SlackReport | None:
    """The report a message makes, or None. `emoji` or `prefix` empty: that way of reporting is off."""
    if not is_person_message(message, bot_user):
        return None
    text = plain_text(str(message.get("text") or ""))
    flagged = reactors(message, emoji, bot_user)
    rest = after_prefix(text, prefix)
    if rest is None and not flagged:
        return None
    said = (rest if rest is not None else text).strip() or NO_WORDS
    return SlackReport(str(message["ts"]), str(message["user"]), said, "prefix" if rest is not None else "reaction",
                       flagged)


def is_report(message: Mapping[str, Any], emoji: str, prefix: str, bot_user: str) -> bool:
    return report_in(message, emoji=emoji, prefix=prefix, bot_user=bot_user) is not None


def report_key(channel: str, ts: str) -> str:
    """The intake key of a message: one item per message, however often it is read."""
    return f"slack:{channel}:{ts}"


def message_link(workspace_url: str, channel: str, ts: str) -> str:
    """The message's permalink, as Slack makes them (`https://acme.slack.com/archives/C1/p1700000000000100`)."""
    base = workspace_url if workspace_url.endswith("/") else workspace_url + "/"
    return f"{base}archives/{channel}/p{ts.replace('.', '')}"


# -- which asset --------------------------------------------------------------------------------


def asset_words(asset: Asset) -> set[str]:
    """How people may name an asset: its id (and with `_` for `-`), its table, and its name
    (and its name before any parenthesis: `stg_ad_spend (warehouse table)` is `stg_ad_spend`)."""
    words = {asset.id, asset.id.replace("-", "_"), asset.name, asset.name.split("(", 1)[0]}
    if asset.table:
        words.add(asset.table)
    return {" ".join(word.split()).casefold() for word in words if len(word.strip()) >= 3}


def guess_asset(text: str, assets: Iterable[Asset]) -> str:
    """The id of the one asset the text names (an id, a table or a name, as whole words, in any
    case), or "" when it names none or several (the IC chooses). A name inside a longer name of
    another asset counts as the longer one (`CAC pipeline` in `Weekly CAC pipeline`)."""
    squeezed = " ".join(plain_text(text).split()).casefold()
    spans: list[tuple[int, int, str]] = []
    for asset in assets:
        for word in asset_words(asset):
            pattern = r"(?<![\w-])" + re.escape(word).replace(r"\ ", r"\s+") + r"(?![\w-])"
            spans += [(m.start(), m.end(), asset.id) for m in re.finditer(pattern, squeezed)]
    kept = {asset_id for start, end, asset_id in spans
            if not any(s <= start and end <= e and (e - s) > (end - start) and other != asset_id
                       for s, e, other in spans)}
    return kept.pop() if len(kept) == 1 else ""
