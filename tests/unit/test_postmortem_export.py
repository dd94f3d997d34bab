"""The finished post-mortem as a document: Markdown with every section in order and the live
action items, and one self-contained HTML page where nothing people typed becomes markup."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from oncall.domain.incident import Incident
from oncall.domain.postmortem import PostmortemStatus, Section
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.postmortem.draft import ACTION_ITEMS_PLACEHOLDER, ActionItemSummary, action_items_markdown
from oncall.postmortem.export import document_html, document_markdown

AT = datetime(2026, 11, 28, 14, 30, tzinfo=timezone.utc)
ITEMS = [
    ActionItemSummary("Add a row-count check on stg_new_customers", "Priya Raman", date(2026, 12, 4), "high",
                      number=7),
    ActionItemSummary("Alert when | the CRM export | is short", None, None, "medium", number=8),
    ActionItemSummary("Page the vendor", "Lukas Meyer", date(2026, 12, 1), "low", "wont-do", "they have no pager",
                      number=9),
]


def incident(**changes) -> Incident:
    fields = dict(id=42, title="Weekly CAC doubled overnight", severity=Severity.SEV1, status=Status.RESOLVED,
                  asset="cac-pipeline", detected_at=AT, declared_at=AT, resolved_at=AT, updated_at=AT)
    fields.update(changes)
    return Incident(**fields)


def sections(changes: dict[Section, str] | None = None) -> dict[Section, str]:
    written = {section: f"What the team wrote about {section.title.lower()}." for section in Section}
    written[Section.ACTION_ITEMS] = f"_To be written: action items._\n\n{ACTION_ITEMS_PLACEHOLDER}"
    written.update(changes or {})
    return written


def markdown(the_incident=None, written=None, **kwargs) -> str:
    options = dict(status=PostmortemStatus.IN_REVIEW, status_by="Maya Okafor", status_at=AT, action_items=ITEMS)
    options.update(kwargs)
    return document_markdown(the_incident or incident(), written or sections(), **options)


def html(the_incident=None, written=None, **kwargs) -> str:
    options = dict(status=PostmortemStatus.COMPLETE, status_by="Maya Okafor", status_at=AT, action_items=ITEMS)
    options.update(kwargs)
    return document_html(the_incident or incident(), written or sections(), **options)


def test_markdown_has_a_title_a_status_line_and_every_section_in_order():
    document = markdown()
    lines = document.splitlines()
    assert lines[0] == "# Post-mortem: INC-42 — Weekly CAC doubled overnight"
    assert lines[2] == "**Status:** in review (by Maya Okafor, 2026-11-28 14:30 UTC) · SEV-1 · cac-pipeline"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == [f"## {section.title}" for section in Section]
    assert headings[4] == "## Root cause and contributing factors"
    for section in Section:
        if section is not Section.ACTION_ITEMS:
            heading = document.index(f"## {section.title}\n\nWhat the team wrote about {section.title.lower()}.")
            assert heading > 0


def test_the_action_items_replace_the_placeholder_as_a_table():
    document = markdown(today=date(2026, 12, 2))
    assert ACTION_ITEMS_PLACEHOLDER not in document
    table = document[document.index("## Action items"):]
    assert "| # | Action | Owner | Due | Priority | Status |" in table
    assert "| 7 | Add a row-count check on stg_new_customers | Priya Raman | 2026-12-04 | high | open |" in table
    assert "| 8 | Alert when \\| the CRM export \\| is short | **no owner** | **no due date** | medium | open |" in table
    assert "| 9 | Page the vendor | Lukas Meyer | 2026-12-01 | low | won't do: they have no pager |" in table


def test_an_open_item_past_its_due_date_is_overdue():
    listed = action_items_markdown([ActionItemSummary("Fix it", "Tom Brandt", date(2026, 12, 1))],
                                   today=date(2026, 12, 2))
    assert "2026-12-01 (overdue)" in listed
    done = action_items_markdown([ActionItemSummary("Fix it", "Tom Brandt", date(2026, 12, 1), status="done")],
                                 today=date(2026, 12, 2))
    assert "overdue" not in done and "| done |" in done
    assert action_items_markdown([]) == "_No action items yet._"


def test_rewritten_action_items_text_keeps_the_list_after_it_and_empty_sections_say_so():
    written = sections({Section.ACTION_ITEMS: "Agreed in the review on Friday.", Section.TIMELINE: " "})
    document = markdown(written=written)
    items = document[document.index("## Action items"):]
    assert items.index("Agreed in the review on Friday.") < items.index("| 7 | Add a row-count check")
    assert "## Timeline\n\n_Not written yet._" in document
    del written[Section.IMPACT]
    assert "## Impact\n\n_Not written yet._" in markdown(written=written)


def test_a_drill_is_marked_in_the_status_line():
    assert "**DRILL**" in markdown(incident(is_drill=True))
    assert "class=\"drill\"" in html(incident(is_drill=True))
    assert "DRILL" not in markdown()


def test_control_characters_typed_in_a_section_do_not_reach_the_document():
    document = markdown(written=sections({Section.SUMMARY: "CAC \x1b[31mwas\x1b[0m wrong\x07"}))
    assert "CAC was wrong" in document and "\x1b" not in document and "\x07" not in document


# -- HTML ------------------------------------------------------------------------------------------------


def test_html_escapes_a_script_typed_in_a_section_and_in_the_title():
    page = html(incident(title="CAC <script>alert('title')</script> doubled"),
                sections({Section.IMPACT: "Numbers were <script>alert('impact')</script> wrong.\n\n"
                                          "<img src=x onerror=alert(1)>"}))
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert('impact')&lt;/script&gt;" in page.replace("&#x27;", "'")
    assert "<title>Post-mortem: INC-42 — CAC &lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; doubled</title>" \
           in page
    assert "<h1>Post-mortem: INC-42 — CAC &lt;script&gt;" in page


def test_html_is_one_page_that_fetches_nothing():
    page = html(written=sections({Section.DETECTION: "See ![graph](https://example.com/graph.png) and "
                                                     "[the log](https://example.com/log)."}))
    assert page.startswith("<!DOCTYPE html>") and page.count("<html") == 1 and page.rstrip().endswith("</html>")
    assert "<style>" in page
    for fetching in ("<link", "<script", "<img", "<iframe", "@import", "url(", " src="):
        assert fetching not in page.lower(), fetching
    assert "default-src 'none'" in page, "and the page forbids fetching anything, should anything slip through"
    assert '<a href="https://example.com/log">the log</a>' in page, "a link stays a link to click"


def test_html_renders_the_sections_and_the_action_items_table():
    page = html()
    assert [m.group(1) for m in re.finditer(r"<h2>(.*?)</h2>", page)] == [s.title for s in Section]
    assert "<table>" in page and "<td>Add a row-count check on stg_new_customers</td>" in page
    assert "<td>Alert when | the CRM export | is short</td>" in page, "a pipe in a title stays in its cell"
    assert "<strong>Status:</strong> complete (by Maya Okafor, 2026-11-28 14:30 UTC)" in page


@pytest.mark.parametrize("status, said", [("in_review", "in review"), (PostmortemStatus.DRAFT, "draft"),
                                          ("something odd", "something odd")])
def test_the_status_is_said_in_words(status, said):
    assert f"**Status:** {said}" in markdown(status=status, status_by=None, status_at=None)
