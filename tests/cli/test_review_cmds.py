"""oncall review --month: the monthly review as Markdown, and as one self-contained HTML page
with its chart as inline SVG; checked in a real headless browser where one is installed."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration


@pytest.fixture
def month_of_incidents(service, clock):
    """Two incidents this month (one resolved in 2 h), one the month before; and a drill."""
    from datetime import timedelta

    first = service.declare(Declaration(title="CAC <script>alert(1)</script> | wrong", severity=Severity.SEV1,
                                        asset="cac-dashboard", started_at=clock.now() - timedelta(hours=3)))
    clock.advance(timedelta(hours=2))
    service.change_status(first.id, Status.RESOLVED, "reloaded")
    service.declare(Declaration(title="Spend stale", severity=Severity.SEV2, asset="stg-ad-spend"))
    from oncall.domain.incident import DetectionSource

    service.declare(Declaration(title="Drill", severity=Severity.SEV1, asset="cac-dashboard",
                                source=DetectionSource.DRILL))
    return first


def test_the_review_in_markdown(oncall, month_of_incidents):
    said = oncall("review", "--month", "2026-11")
    assert said.code == 0, said.err
    text = said.out
    assert text.startswith("# Monthly incident review: November 2026\n")
    assert "| incidents | 2 | 0 |" in text, "the drill is not counted"
    assert "| TTR median / p90 | 2 h / 2 h (1 not resolved) |" in text
    assert "CAC \\<script\\>alert(1)\\</script\\> \\| wrong: resolved in 2 h" in text
    assert "| SEV-1/2 updates on time | 0 of 1 | 0 of 0 |" in text, "the SEV-1's update was due at 30 min: missed"
    assert "## What the incidents cost the team" in text and "| tom | 2.0 h | IC 2.0 h |" in text


def test_the_review_as_one_html_page(oncall, month_of_incidents, tmp_path):
    page_path = tmp_path / "review.html"
    assert oncall("review", "--month", "2026-11", "--html", page_path).code == 0
    page = page_path.read_text("utf-8")
    assert "<script" not in page.replace("&lt;script", ""), "what people typed is escaped"
    months, people = page.split("Person-hours this month</h2>")
    assert months.count("<rect ") == 12, "twelve months in the chart"
    assert people.count("<rect ") == 1 and ">tom</text>" in people, "the IC's hours, one bar a person"
    assert not re.search(r"(src|href)=\"https?://", page), "no external resources"
    browser = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)),
                   None)
    if browser is None:
        pytest.skip("no headless browser (chromium or google-chrome) on this machine to open the page in")
    dom = subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox", "--dump-dom", page_path.as_uri()],
                         capture_output=True, text=True, timeout=60).stdout
    assert "Monthly incident review: November 2026" in dom and "<svg" in dom


def test_bad_months_and_paths_are_named(oncall, tmp_path):
    bad = oncall("review", "--month", "2026-13")
    assert bad.code == 2 and "cannot read month '2026-13'" in bad.err
    folder = oncall("review", "--month", "2026-11", "--html", tmp_path)
    assert folder.code == 2 and "not a file in an existing folder" in folder.err
