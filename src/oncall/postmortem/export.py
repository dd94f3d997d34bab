"""The finished post-mortem as one document: Markdown (for Jira, git, a wiki), or one HTML page
that opens anywhere offline.

The HTML page is self-contained (inline CSS, nothing fetched: no fonts, scripts or images, and a
Content-Security-Policy that forbids loading any), and what people typed cannot become markup:
the Markdown is rendered with raw HTML off, so a `<script>` in a section shows as text, and
anything put into the page outside the renderer (the title) is HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from oncall.domain.incident import Incident
from oncall.domain.postmortem import PostmortemStatus, Section
from oncall.postmortem.action_items import ActionItemSummary, action_items_markdown
from oncall.postmortem.draft import ACTION_ITEMS_PLACEHOLDER
from oncall.postmortem.record import when
from oncall.postmortem.writing import md
from oncall.domain.text import clean_block


def document_markdown(incident: Incident, sections: Mapping[Section, str], *, status: PostmortemStatus | str,
                      status_by: str | None, status_at: datetime | None,
                      action_items: Sequence[ActionItemSummary], today: date | None = None) -> str:
    """The whole document: a title, a status line, then every section in order. The action items
    section gets the incident's live list where the draft left its placeholder (or after the
    text, if people rewrote it). A section nobody wrote yet is said to be empty, never left out."""
    parts = [f"# {title_of(incident, markdown=True)}", status_line(incident, status, status_by, status_at)]
    for section in Section:
        text = clean_block(str(sections.get(section) or "")).strip()
        if section is Section.ACTION_ITEMS:
            listed = action_items_markdown(action_items, today=today)
            text = text.replace(ACTION_ITEMS_PLACEHOLDER, listed) if ACTION_ITEMS_PLACEHOLDER in text else (
                f"{text}\n\n{listed}" if text else listed)
        parts.append(f"## {section.title}\n\n{text or '_Not written yet._'}")
    return "\n\n".join(parts) + "\n"


def document_html(incident: Incident, sections: Mapping[Section, str], *, status: PostmortemStatus | str,
                  status_by: str | None, status_at: datetime | None,
                  action_items: Sequence[ActionItemSummary], today: date | None = None) -> str:
    """The same document as one HTML page."""
    from markdown_it import MarkdownIt  # only an export needs it

    renderer = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")
    body = renderer.render(document_markdown(incident, sections, status=status, status_by=status_by,
                                             status_at=status_at, action_items=action_items, today=today))
    drill = ' class="drill"' if incident.is_drill else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        # Nothing may be fetched: the page stands alone, and a link someone typed stays a link.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title_of(incident, markdown=False))}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body{drill}>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )


def title_of(incident: Incident, *, markdown: bool) -> str:
    title = md(incident.title) if markdown else " ".join(incident.title.split())
    return f"Post-mortem: {incident.ref} — {title}"


def status_line(incident: Incident, status: PostmortemStatus | str, by: str | None, at: datetime | None) -> str:
    try:
        label = PostmortemStatus.parse(status.value if isinstance(status, PostmortemStatus) else str(status)).label
    except ValueError:
        label = md(status)
    said = f"**Status:** {label}"
    if by or at:
        said += " (" + ", ".join(part for part in (f"by {md(by)}" if by else "", when(at) if at else "") if part) + ")"
    said += f" · {incident.severity.value} · {md(incident.asset)}"
    return said + (" · **DRILL**: a rehearsal, not a real incident" if incident.is_drill else "")


# Plain and printable; colour only where it means something (the drill banner).
STYLE = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #fff;
       margin: 0; }
main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .5rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-top: 1.25rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border: 1px solid #d0d7de; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em;
       background: #f6f8fa; padding: .1em .3em; border-radius: 4px; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; }
pre code { padding: 0; }
li { margin: .15rem 0; overflow-wrap: anywhere; }
p { overflow-wrap: anywhere; }
em { color: #57606a; }
body.drill main > p:first-of-type { background: #fff8c5; border-left: 4px solid #bf8700; padding: .5rem .75rem; }
@media print { main { max-width: none; padding: 0; } }
"""
