"""The known-issues list read from the database, and said three ways: Slack mrkdwn for the pinned
message in #data-incidents, plain text for the terminal, and one self-contained HTML page a team
can publish anywhere (`oncall statuspage --html`). What is listed is decided in
`domain/known_issues.py`.

Everything people typed (titles, workarounds, ETAs, impact) is cleaned of control characters,
cut to a readable length, and escaped for where it goes: Slack's `&`, `<`, `>` and broadcast
words (`sync/escape.py`), HTML by `html.escape`. The page has no scripts and loads nothing: its
Content-Security-Policy forbids it even if something slipped in.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from oncall.domain.clock import Clock, to_text
from oncall.domain.incident import EventKind
from oncall.domain.known_issues import KnownIssue, KnownIssues, known_issues
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.domain.text import clean_block, clean_line
from oncall.store.cadence import CadenceRepository
from oncall.store.db import Database
from oncall.store.incidents import INCIDENT_COLUMNS, incident_from_row
from oncall.sync.escape import slack_escape
from oncall.workspace.config import Config

# Slack cuts a message's text at 40,000 characters and a section block's at 3,000; 3,000 keeps the
# pinned message readable and fits either way. Past it, rows give way to "…and N more".
SLACK_TEXT_MAX = 3000
TITLE_MAX = 150  # characters of a title shown; a title is read in one line
NOTE_MAX = 300  # characters of a workaround, ETA or impact
NAME_MAX = 80  # characters of an asset's name

# Updates whose typed workaround stands for everyone (a note to one reporter may be theirs alone).
_WORKAROUND_AUDIENCES = ("technical", "stakeholders")
_SEVERITY_EMOJI = {Severity.SEV1: ":red_circle:", Severity.SEV2: ":large_orange_circle:",
                   Severity.SEV3: ":large_yellow_circle:"}
_FENCE = re.compile(r"`(?=`)")


# -- reading ------------------------------------------------------------------------------------

# What may be listed or counted (`domain/known_issues.py` decides which): the `incidents_status` index.
_READ = (Status.TRIAGE, Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)


def known_issues_now(db: Database, config: Config, clock: Clock) -> KnownIssues:
    """The list as the database has it now. `config` should come from `Workspace.open_database()`
    (its assets carry dbt's lineage), so assets downstream in dbt show as affected too."""
    placeholders = ", ".join("?" for _ in _READ)
    rows = db.conn.execute(
        f"SELECT {INCIDENT_COLUMNS} FROM incidents WHERE status IN ({placeholders}) AND NOT is_drill",
        [status.value for status in _READ]).fetchall()
    incidents = [incident_from_row(row) for row in rows]
    cadence = CadenceRepository(db)
    next_updates: dict[int, datetime | None] = {}
    workarounds: dict[int, str] = {}
    for incident in incidents:
        if incident.status is Status.TRIAGE or incident.id is None:
            continue  # counted, not listed: nothing more to read
        next_updates[incident.id] = cadence.get(incident.id)[0]
        workarounds[incident.id] = latest_workaround(db, incident.id)
    return known_issues(incidents, list(config.assets), next_updates, workarounds, clock.now())


def latest_workaround(db: Database, incident_id: int) -> str:
    """The workaround the latest technical or stakeholder update said, "" when none did.

    Read defensively: an update records what was typed in its `fields` (or a top-level
    `workaround`); an update that recorded no workaround at all (its template does not ask for
    one) leaves the one before it standing. An empty one recorded says there is none any more."""
    for (data,) in db.conn.execute(
            "SELECT data FROM timeline WHERE incident_id = ? AND kind = ? ORDER BY id DESC",
            (incident_id, EventKind.UPDATE_SENT.value)):
        try:
            said = json.loads(data)
        except (TypeError, ValueError):
            continue
        if not isinstance(said, dict) or said.get("audience") not in _WORKAROUND_AUDIENCES:
            continue
        fields = said.get("fields")
        for source in (fields if isinstance(fields, dict) else {}, said):
            if "workaround" in source:
                value = source["workaround"]
                return clean_block(value).strip() if isinstance(value, str) else ""
    return ""


# -- times, as people read them -----------------------------------------------------------------


def _zone(time_zone: str) -> tzinfo:
    from oncall.domain.metrics import zone

    return timezone.utc if time_zone.upper() == "UTC" else zone(time_zone)


def _moment(at: datetime, reference: datetime, tz: tzinfo) -> str:
    """`09:12 UTC` on the reference's day, `26 Nov 09:12 UTC` in its year, else with the year."""
    local, ref = at.astimezone(tz), reference.astimezone(tz)
    label = local.tzname() or "UTC"
    if local.date() == ref.date():
        return f"{local:%H:%M} {label}"
    if local.year == ref.year:
        return f"{local.day} {local:%b %H:%M} {label}"
    return f"{local.day} {local:%b %Y %H:%M} {label}"


def _full(at: datetime, tz: tzinfo) -> str:
    """`27 Nov 2026 09:12 UTC`: a moment that reads the same whenever it is read."""
    local = at.astimezone(tz)
    return f"{local.day} {local:%b %Y %H:%M} {local.tzname() or 'UTC'}"


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds())) // 60
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def _ago(at: datetime, now: datetime) -> str:
    return "just now" if now - at < timedelta(minutes=1) else f"{_span(now - at)} ago"


def _until(at: datetime, now: datetime) -> str:
    if abs(at - now) < timedelta(minutes=1):
        return "now"
    return f"in {_span(at - now)}" if at > now else f"overdue by {_span(now - at)}"


def _since_text(row: KnownIssue, now: datetime, tz: tzinfo) -> str:
    return f"since {_moment(row.since, now, tz)} ({_ago(row.since, now)})"


def _next_text(row: KnownIssue, now: datetime, tz: tzinfo) -> str:
    if row.next_update is None:
        return ""
    return f"next update due {_moment(row.next_update, now, tz)} ({_until(row.next_update, now)})"


# -- words shared by every form -----------------------------------------------------------------


def _cut(text: str, limit: int) -> str:
    """One line of someone's text, at most `limit` characters (cut with an ellipsis)."""
    text = " ".join(clean_line(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _summary(issues: KnownIssues) -> str:
    incidents, affected = len(issues.incidents), len(issues.affected)
    said = [f"{incidents} incident{'s' if incidents != 1 else ''}"]
    if affected:
        said.append(f"{affected} more asset{'s' if affected != 1 else ''} affected downstream")
    return ", ".join(said)


def _triage_text(count: int) -> str:
    if count == 1:
        return "1 possible issue is being checked (not yet confirmed as an incident)."
    return f"{count} possible issues are being checked (not yet confirmed as incidents)."


def _upstream_text(row: KnownIssue, between: str = "; ") -> str:
    """`INC-3 SEV-2 on stg_ad_spend; INC-2 SEV-2 on Meta Marketing API`: the incidents upstream."""
    return between.join(f"{cause.ref} {cause.severity.value} on {_cut(cause.asset_name, NAME_MAX)}"
                     for cause in row.affected_by)


# -- Slack --------------------------------------------------------------------------------------


def _slack(text: str, limit: int = NOTE_MAX) -> str:
    """Someone's text for mrkdwn: one line, cut, `&<>` escaped, no broadcast, no code fence."""
    return _FENCE.sub("`\u200b", slack_escape(_cut(text, limit)))


def _slack_date(at: datetime, tz: tzinfo, token: str) -> str:
    """A date each reader sees in their own time zone; the fallback (notifications, old clients)
    is absolute, so the text does not change as time passes and the message is not edited for it."""
    return f"<!date^{int(at.timestamp())}^{token}|{_full(at, tz)}>"


def _slack_row(row: KnownIssue, tz: tzinfo) -> str:
    lines = [f"{_SEVERITY_EMOJI[row.severity]} *{row.severity.value} · {_slack(row.asset_name, NAME_MAX)}* "
             f"· {row.status.value}",
             f"{row.ref}: {_slack(row.title, TITLE_MAX)}"]
    when = f"Since {_slack_date(row.since, tz, '{date_short_pretty} at {time} ({ago})')}"
    if row.next_update is not None:
        when += f" · next update due {_slack_date(row.next_update, tz, '{date_short_pretty} at {time}')}"
    lines.append(when)
    if row.eta:
        lines.append(f"ETA: {_slack(row.eta)}")
    if row.workaround:
        lines.append(f"Workaround: {_slack(row.workaround)}")
    if row.affected_by:  # by reference only: those incidents are in the list too
        lines.append(f"Also affected by {_refs(row)} upstream")
    return "\n".join(lines)


def _refs(row: KnownIssue) -> str:
    return ", ".join(cause.ref for cause in row.affected_by)


def _slack_affected(row: KnownIssue) -> str:
    return f"• *{_slack(row.asset_name, NAME_MAX)}*: affected by {_refs(row)} upstream"


def known_issues_slack(issues: KnownIssues, clock: Clock, time_zone: str = "UTC") -> str:
    """The pinned message's text (mrkdwn), at most `SLACK_TEXT_MAX` characters. Times are Slack
    dates (each reader's own zone; `time_zone` is for the fallback text), so the text changes only
    when the list does, apart from the last line: compare `KnownIssues.same_as` to skip an edit."""
    tz = _zone(time_zone)
    head = "*Known data issues*"
    foot = []
    if issues.in_triage:
        foot.append(f"_{_triage_text(issues.in_triage)}_")
    checked = _slack_date(clock.now(), tz, "{date_short_pretty} at {time}")
    if issues.empty:
        body = [f":white_check_mark: No known data issues. Last checked {checked}."]
        return "\n\n".join([head, *body, *foot])
    foot.append(f"_Updated {checked} by oncall._")
    blocks = [_slack_row(row, tz) for row in issues.incidents]
    affected = [_slack_affected(row) for row in issues.affected]
    return _fit(f"{head} · {_summary(issues)}", blocks, affected, foot)


def _fit(head: str, blocks: list[str], affected: list[str], foot: list[str]) -> str:
    """As many rows as fit: incidents first (each whole), then affected assets; the rest counted."""
    def total(parts: list[str]) -> int:
        return len("\n\n".join(parts))

    room = SLACK_TEXT_MAX - total(foot) - 2 - len("\n\n…and 99999 more not shown here")
    shown = [head]
    left = len(blocks) + len(affected)
    for block in blocks:
        if total([*shown, block]) > room:
            break
        shown.append(block)
        left -= 1
    if affected and left == len(affected):
        bullets = ["*Affected downstream* (they read data from an asset above)"]
        for line in affected:
            if total([*shown, "\n".join([*bullets, line])]) > room:
                break
            bullets.append(line)
            left -= 1
        if len(bullets) > 1:
            shown.append("\n".join(bullets))
    if left:
        shown.append(f"…and {left} more not shown here")
    return "\n\n".join([*shown, *foot])


# -- plain text (the terminal) ------------------------------------------------------------------


def known_issues_text(issues: KnownIssues, time_zone: str = "UTC") -> str:
    """For `oncall statuspage`: every row, each piece of text one clean line."""
    tz = _zone(time_zone)
    now = issues.checked_at
    made = _full(now, tz)
    if issues.empty:
        lines = [f"No known data issues. Last checked {made}."]
    else:
        lines = [f"Known data issues at {made}: {_summary(issues)}", ""]
        for row in issues.incidents:
            lines.append(f"{row.severity.value}  {_cut(row.asset_name, NAME_MAX)} [{row.asset_id}] · {row.status.value}")
            lines.append(f"       {row.ref} {_cut(row.title, TITLE_MAX)}")
            lines.append("       " + " · ".join(filter(None, [_since_text(row, now, tz), _next_text(row, now, tz)])))
            for label, value in (("ETA", row.eta), ("workaround", row.workaround)):
                if value:
                    lines.append(f"       {label}: {_cut(value, NOTE_MAX)}")
            if row.affected_by:
                lines.append(f"       upstream: {_upstream_text(row)}")
            lines.append("")
        if issues.affected:
            lines.append("Affected downstream (they read data from an asset above):")
            for row in issues.affected:
                lines.append(f"{row.severity.value}  {_cut(row.asset_name, NAME_MAX)} [{row.asset_id}]: "
                             f"upstream {_upstream_text(row)}")
            lines.append("")
    if issues.in_triage:
        lines.append(_triage_text(issues.in_triage))
    return "\n".join(lines).rstrip("\n") + "\n"


# -- JSON (scripts) -----------------------------------------------------------------------------


def known_issues_json(issues: KnownIssues) -> dict[str, Any]:
    def row_json(row: KnownIssue) -> dict[str, Any]:
        return {"asset": {"id": row.asset_id, "name": clean_line(row.asset_name)},
                "incident": {"id": row.incident_id, "ref": row.ref, "title": clean_line(row.title)},
                "severity": row.severity.value, "status": row.status.value, "since": to_text(row.since),
                "next_update": to_text(row.next_update) if row.next_update else None,
                "workaround": clean_block(row.workaround), "eta": clean_line(row.eta),
                **({"impact": clean_block(row.impact)} if row.direct else {}),
                "affected_by": [{"id": c.incident_id, "ref": c.ref, "severity": c.severity.value,
                                 "status": c.status.value, "asset": c.asset_id} for c in row.affected_by]}

    return {"checked_at": to_text(issues.checked_at), "in_triage": issues.in_triage,
            "incidents": [row_json(row) for row in issues.incidents],
            "affected": [row_json(row) for row in issues.affected]}


# -- HTML (a page to publish) -------------------------------------------------------------------

_CSS = """
:root{color-scheme:light dark;--fg:#1d1f23;--muted:#5b616b;--bg:#fff;--card:#f5f6f8;--line:#d5d9df;
--s1:#c0262d;--s2:#c25a00;--s3:#8a6d00;--ok:#1f7a3a}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--muted:#a3a9b2;--bg:#15171a;--card:#1e2125;
--line:#393e45;--s1:#ff6b6b;--s2:#ffa24d;--s3:#e3c45a;--ok:#5cc97f}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Noto Sans","Noto Sans CJK JP",sans-serif}
main{max-width:48rem;margin:0 auto;padding:1rem 1rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0 .25rem}
h2{font-size:1.15rem;margin:1.75rem 0 .5rem}
.muted{color:var(--muted);font-size:.92rem;margin:.25rem 0}
.issue{background:var(--card);border:1px solid var(--line);border-left:.45rem solid var(--sev);
border-radius:.4rem;padding:.75rem 1rem;margin:.9rem 0}
.sev-1{--sev:var(--s1)}.sev-2{--sev:var(--s2)}.sev-3{--sev:var(--s3)}
.issue h3{font-size:1.1rem;margin:0;overflow-wrap:anywhere}
.badge{color:var(--sev);font-weight:700;white-space:nowrap;margin-right:.4rem}
.id{color:var(--muted);font-weight:400;font-size:.9rem}
.what{margin:.3rem 0 .5rem;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:6.5rem 1fr;gap:.15rem .9rem;margin:0}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere;white-space:pre-line}
ul.affected{list-style:none;padding:0;margin:0}
ul.affected li{border-left:.3rem solid var(--sev);padding:.35rem .75rem;margin:.4rem 0;background:var(--card);
border-radius:.3rem;overflow-wrap:anywhere}
.by{white-space:pre-line}
.ok{border-left:.45rem solid var(--ok);background:var(--card);padding:.9rem 1rem;border-radius:.4rem;
font-size:1.1rem;margin:1rem 0}
@media (max-width:22rem){dl{grid-template-columns:1fr}dt{margin-top:.35rem}}
@media (max-width:32rem){main{padding:.75rem}}
""".replace("\n", "")


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _time(at: datetime, now: datetime, tz: tzinfo) -> str:
    return f'<time datetime="{to_text(at)}">{_h(_moment(at, now, tz))}</time>'


def _html_row(row: KnownIssue, now: datetime, tz: tzinfo) -> str:
    facts = [("Status", _h(row.status.value)),
             ("Since", f"{_time(row.since, now, tz)} ({_h(_ago(row.since, now))})")]
    if row.next_update is not None:
        facts.append(("Next update", f"{_time(row.next_update, now, tz)} ({_h(_until(row.next_update, now))})"))
    if row.workaround:
        facts.append(("Workaround", _h(_cut(row.workaround, NOTE_MAX))))
    if row.eta:
        facts.append(("ETA", _h(_cut(row.eta, NOTE_MAX))))
    if row.impact:
        facts.append(("Impact", _h(clean_block(row.impact).strip()[:1000])))
    if row.affected_by:  # one line each (the page keeps the line breaks)
        facts.append(("Upstream", _h(_upstream_text(row, "\n"))))
    facts_html = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in facts)
    return (f'<section class="issue sev-{row.severity.rank}">'
            f'<h3><span class="badge">{_h(row.severity.value)}</span>{_h(_cut(row.asset_name, NAME_MAX))} '
            f'<span class="id">{_h(row.asset_id)}</span></h3>'
            f'<p class="what">{_h(row.ref)}: {_h(_cut(row.title, TITLE_MAX))}</p><dl>{facts_html}</dl></section>')


def _html_affected(row: KnownIssue, now: datetime, tz: tzinfo) -> str:
    causes = _h(_upstream_text(row, "\n"))
    return (f'<li class="sev-{row.severity.rank}"><span class="badge">{_h(row.severity.value)}</span>'
            f'<strong>{_h(_cut(row.asset_name, NAME_MAX))}</strong> <span class="id">{_h(row.asset_id)}</span>'
            f'<div class="by">Affected by {causes}\nsince {_time(row.since, now, tz)} ({_h(_ago(row.since, now))})'
            "</div></li>")


def known_issues_html(issues: KnownIssues, time_zone: str = "UTC", refresh_seconds: int | None = None,
                      title: str = "Known data issues") -> str:
    """One page, nothing loaded from elsewhere: inline CSS (light and dark, phone-sized), no
    scripts, no fonts or images, every piece of text escaped. It says when it was made, in UTC;
    `refresh_seconds` adds a `<meta http-equiv="refresh">` for a page regenerated on a schedule."""
    tz = _zone(time_zone)
    now = issues.checked_at
    made_utc = f'<time datetime="{to_text(now)}">{now.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC</time>'
    refresh = (f'<meta http-equiv="refresh" content="{int(refresh_seconds)}">'
               if refresh_seconds and refresh_seconds > 0 else "")
    parts = [f"<h1>{_h(title)}</h1>"]
    if issues.empty:
        parts.append(f'<p class="ok">No known data issues. Last checked {made_utc}.</p>')
    else:
        parts.append(f'<p class="muted">{_h(_summary(issues))}. Made {made_utc}.</p>')
        parts.append("<h2>Incidents</h2>")
        parts += [_html_row(row, now, tz) for row in issues.incidents]
        if issues.affected:
            parts.append("<h2>Affected downstream</h2>")
            parts.append('<p class="muted">These assets read data from an asset above, so their numbers may be '
                         "wrong too.</p>")
            parts.append('<ul class="affected">' + "".join(_html_affected(row, now, tz) for row in issues.affected)
                         + "</ul>")
    if issues.in_triage:
        parts.append(f'<p class="muted">{_h(_triage_text(issues.in_triage))}</p>')
    parts.append(f'<p class="muted">Made by oncall at {made_utc}, and as current as that; times are '
                 f"{_h(_zone_label(tz, now))}.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<meta name=\"generator\" content=\"oncall\">{refresh}<title>{_h(title)}</title>"
            f"<style>{_CSS}</style></head><body><main>\n" + "\n".join(parts) + "\n</main></body></html>\n")


def _zone_label(tz: tzinfo, now: datetime) -> str:
    name = str(getattr(tz, "key", "") or now.astimezone(tz).tzname() or "UTC")
    return "UTC" if name.upper() == "UTC" else name
