"""The monthly review (`oncall review --month YYYY-MM`): the month's figures beside the month
before, the trend of the last 12 months, the slowest incidents, the recurring ones with how their
earlier incident's action items went, what the month's incidents cost the team (person-hours on
roles), and the open action items — as Markdown, and as one self-contained HTML page whose charts
are inline SVG (no scripts, no external resources).

Every figure comes from `MetricsService` (SQL aggregation); drills are never counted.
"""

from __future__ import annotations

import html
from datetime import date, timedelta

from oncall.domain.action_items import ActionStatus
from oncall.domain.metrics import ROLE_ORDER, Bucket, Cost, format_duration, format_hours, next_month
from oncall.service.metrics import MetricsService

SLOWEST = 5


def parse_month(text: str) -> date:
    """`2026-11` → its first day; ValueError naming the text."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise ValueError(f"cannot read month {text!r}: use YYYY-MM, e.g. 2026-11") from None


ROLE_NAMES = {"ic": "IC", "sme": "SME", "lead": "Lead", "pm": "PM"}


def review_markdown(service: MetricsService, incidents, postmortems, month: date, time_zone: str | None = None) -> str:
    """`incidents`: an IncidentService (titles, the earlier incident of a repeat); `postmortems`: a
    PostmortemService (action items). `time_zone`: the workspace's ([metrics]) unless given."""
    time_zone = time_zone or service.time_zone
    last_day = next_month(month) - timedelta(days=1)
    this = service.report(month, last_day, by="month", time_zone=time_zone).total
    before_start = (month - timedelta(days=1)).replace(day=1)
    before = service.report(before_start, month - timedelta(days=1), by="month", time_zone=time_zone).total
    lines = [f"# Monthly incident review: {month:%B %Y}", "",
             f"Incidents detected {month:%Y-%m-%d} to {last_day:%Y-%m-%d} ({time_zone}); drills are never counted.",
             "", "## The figures", "", f"| figure | {month:%B} | {before_start:%B} |", "|---|---|---|"]
    for label, now_text, then_text in _figures(this, before):
        lines.append(f"| {label} | {now_text} | {then_text} |")
    slowest = service.incidents_behind(None, "month", "ttr", month, last_day, time_zone)[:SLOWEST]
    lines += ["", "## The slowest to resolve", ""]
    lines += [f"- {_incident_line(incidents, incident_id)}" for incident_id in slowest] or ["- none resolved"]
    lines += ["", "## Recurring", ""]
    recurring = service.incidents_behind(None, "month", "recurring", month, last_day, time_zone)
    for incident_id in recurring:
        incident = incidents.get(incident_id)
        earlier = incidents.get(incident.recurring_of) if incident.recurring_of else None
        items = postmortems.actions_of(earlier.id) if earlier is not None else []
        done = sum(item.status is ActionStatus.DONE for item in items)
        lines.append(f"- {incident.ref} {_md(incident.title)}: repeats {earlier.ref if earlier else '?'} "
                     f"({incident.root_cause}); its action items: {done} of {len(items)} done")
    if not recurring:
        lines.append("- none")
    lines += ["", "## What the incidents cost the team", ""]
    lines += _cost_lines(service.cost(month, last_day, by="month", time_zone=time_zone),
                         service.cost(month, last_day, by="asset", time_zone=time_zone),
                         service.cost(month, last_day, by="cause", time_zone=time_zone))
    lines += ["", "## Open action items", ""]
    open_items = [item for item in postmortems.actions() if item.status is ActionStatus.OPEN]
    today = service.clock.now().date()
    for item in open_items:
        due = f"due {item.due.isoformat()}" + (" (OVERDUE)" if item.overdue(today) else "") if item.due else "no due date"
        lines.append(f"- {item.ref} (INC-{item.incident_id}) {_md(item.title)} · {item.owner or 'no owner'} · {due}")
    if not open_items:
        lines.append("- none")
    lines += ["", "_TTD = declared − the data went bad; TTR = resolved − declared (to the last resolution); "
                  "a missing time is counted as missing, never as zero. Updates on time: of the stakeholder "
                  "updates the cadence asked for while SEV-1/2 incidents were open, those sent by when they "
                  "were due (a missed one counts as late). Person-hours: the hours each person held a role "
                  "while the incident was open._", ""]
    return "\n".join(lines)


def _cost_lines(by_person: Cost, by_asset: Cost, by_cause: Cost) -> list[str]:
    """Hours per person (and per role), then the assets and causes that took them."""
    people = by_person.people()
    if not people:
        return ["- no hours on roles (no incident, or nobody held a role)"]
    lines = [f"{format_hours(by_person.total_seconds)} held on roles in all.", "",
             "| person | hours | as |", "|---|---|---|"]
    for person, seconds in people:
        roles = ", ".join(f"{ROLE_NAMES.get(role, role)} {format_hours(by_person.seconds(person, role=role))}"
                          for role in ROLE_ORDER if by_person.seconds(person, role=role))
        lines.append(f"| {_md(person)} | {format_hours(seconds)} | {roles} |")
    for label, cost in (("By asset", by_asset), ("By root cause", by_cause)):
        spent = sorted(((sum(h.seconds for h in cost.hours if h.bucket == b), b) for b in cost.buckets), reverse=True)
        lines += ["", f"{label}: " + ", ".join(f"{_md(b)} {format_hours(seconds)}" for seconds, b in spent if seconds)]
    return lines


def review_html(service: MetricsService, incidents, postmortems, month: date, time_zone: str | None = None) -> str:
    """The review as one page: the Markdown rendered (raw HTML in it escaped), a bar chart of
    incidents a month for the 12 months to `month` and one of the month's person-hours, inline SVG."""
    from markdown_it import MarkdownIt

    time_zone = time_zone or service.time_zone
    text = review_markdown(service, incidents, postmortems, month, time_zone)
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(text)
    first = month
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    trend = service.report(first, next_month(month) - timedelta(days=1), by="month", time_zone=time_zone)
    chart = bar_chart([(bucket.key, bucket.incidents) for bucket in trend.buckets], "Incidents a month")
    cost = service.cost(month, next_month(month) - timedelta(days=1), by="month", time_zone=time_zone)
    hours = bar_chart([(person, round(seconds / 3600, 1)) for person, seconds in cost.people()],
                      "Person-hours on roles this month") if cost.hours else "<p>No hours on roles.</p>"
    title = html.escape(f"Monthly incident review: {month:%B %Y}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}}"
            "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .6em}</style></head><body>\n"
            f"{body}\n<h2>The last 12 months</h2>\n{chart}\n<h2>Person-hours this month</h2>\n{hours}\n"
            "</body></html>\n")


def bar_chart(points: list[tuple[str, int]], label: str, width: int = 720, height: int = 200) -> str:
    """A bar chart as inline SVG: one bar a point, its value above it, its key below."""
    top = max((value for _, value in points), default=0) or 1
    step = width / max(1, len(points))
    bars = []
    for n, (key, value) in enumerate(points):
        h = (height - 40) * value / top
        x, y = n * step + 4, height - 20 - h
        bars.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step - 8:.1f}" height="{h:.1f}" fill="#4a78b5"/>'
                    f'<text x="{x + (step - 8) / 2:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle">'
                    f'{value}</text><text x="{x + (step - 8) / 2:.1f}" y="{height - 5}" font-size="10" '
                    f'text-anchor="middle">{html.escape(key)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{html.escape(label)}">{"".join(bars)}</svg>')


def _figures(this: Bucket, before: Bucket) -> list[tuple[str, str, str]]:
    def share(bucket: Bucket) -> str:
        return "–" if bucket.internal_share is None else f"{100 * bucket.internal_share:.0f}%"

    def severity(bucket: Bucket) -> str:
        return ", ".join(f"{sev} {n}" for sev, n in sorted(bucket.by_severity.items()) if n) or "none"

    rows = [("incidents", lambda b: str(b.incidents)), ("by severity", severity),
            ("TTD median / p90", lambda b: f"{format_duration(b.ttd.median_s)} / {format_duration(b.ttd.p90_s)}"
             + (f" ({b.ttd.missing} missing)" if b.ttd.missing else "")),
            ("TTR median / p90", lambda b: f"{format_duration(b.ttr.median_s)} / {format_duration(b.ttr.p90_s)}"
             + (f" ({b.ttr.missing} not resolved)" if b.ttr.missing else "")),
            ("recurring", lambda b: str(b.recurring)), ("found by alerts", share),
            ("post-mortems of SEV-1/2 complete", lambda b: f"{b.postmortems_complete} of {b.postmortems_due}"),
            ("SEV-1/2 updates on time", lambda b: f"{b.updates_on_time} of {b.updates_owed}"),
            ("closed with an override", lambda b: str(b.overrides))]
    return [(label, show(this), show(before)) for label, show in rows]


def _incident_line(incidents, incident_id: int) -> str:
    incident = incidents.get(incident_id)
    ttr = (incident.resolved_at - incident.declared_at).total_seconds() \
        if incident.resolved_at and incident.declared_at else None
    return f"{incident.ref} {incident.severity.value} {_md(incident.title)}: resolved in {format_duration(ttr)}"


def _md(text: str) -> str:
    """People's words in the review's Markdown: table pipes and emphasis shown as typed."""
    return "".join("\\" + ch if ch in "\\`*_[]|<>#" else ch for ch in " ".join(text.split()))
