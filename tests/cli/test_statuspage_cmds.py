"""oncall statuspage: the known data issues as text, JSON, and one self-contained HTML page written
whole; bad paths and time zones named with exit 2."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from oncall.domain.incident import DetectionSource
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration


@pytest.fixture
def open_incidents(service, clock):
    """A SEV-1 on the CAC dashboard declared 48 minutes ago with a hostile title, a SEV-2 on
    stg_ad_spend (upstream of the dashboard), a triage item, a drill, and a resolved incident."""
    first = service.declare(Declaration(title="CAC <script>alert(1)</script> @channel & up 340%",
                                        severity=Severity.SEV1, asset="cac-dashboard"))
    clock.advance(timedelta(minutes=18))
    service.declare(Declaration(title="Spend stale", severity=Severity.SEV2, asset="stg-ad-spend"))
    service.declare(Declaration(title="Brazil blank?", severity=Severity.SEV3, asset="crm-signups",
                                status=Status.TRIAGE))
    service.declare(Declaration(title="Drill: CAC wrong", severity=Severity.SEV1, asset="cac-pipeline",
                                source=DetectionSource.DRILL))
    done = service.declare(Declaration(title="Old one", severity=Severity.SEV1, asset="crm-signups"))
    service.change_status(done.id, Status.RESOLVED, "fixed")
    clock.advance(timedelta(minutes=30))
    return first


def test_with_nothing_wrong_it_says_so(oncall):
    said = oncall("statuspage")
    assert said.code == 0, said.err
    assert said.out == "No known data issues. Last checked 27 Nov 2026 10:00 UTC.\n"


def test_the_list_as_text(oncall, open_incidents):
    said = oncall("statuspage")
    assert said.code == 0, said.err
    lines = said.out.splitlines()
    assert lines[0] == "Known data issues at 27 Nov 2026 10:48 UTC: 2 incidents, 3 more assets affected downstream"
    assert lines[2] == "SEV-1  Weekly CAC dashboard [cac-dashboard] · investigating"
    assert lines[3] == "       INC-1 CAC <script>alert(1)</script> @channel & up 340%"
    assert lines[4] == "       since 10:00 UTC (48 min ago) · next update due 10:00 UTC (overdue by 48 min)"
    assert "       upstream: INC-2 SEV-2 on stg_ad_spend (warehouse table)" in lines
    assert "SEV-2  Weekly CAC pipeline [cac-pipeline]: upstream INC-2 SEV-2 on stg_ad_spend (warehouse table)" in lines
    assert "Drill" not in said.out and "Old one" not in said.out and "Brazil" not in said.out
    assert lines[-1] == "1 possible issue is being checked (not yet confirmed as an incident)."


def test_the_list_as_json(oncall, open_incidents):
    document = oncall("statuspage", "--json").json()
    assert document["checked_at"] == "2026-11-27T10:48:00Z" and document["in_triage"] == 1
    assert [(r["incident"]["ref"], r["asset"]["id"], r["severity"]) for r in document["incidents"]] == [
        ("INC-1", "cac-dashboard", "SEV-1"), ("INC-2", "stg-ad-spend", "SEV-2")]
    assert document["incidents"][0]["since"] == "2026-11-27T10:00:00Z"
    assert document["incidents"][0]["next_update"] == "2026-11-27T10:00:00Z"
    assert {r["asset"]["id"] for r in document["affected"]} == {"cac-pipeline", "fct-weekly-cac",
                                                                "marketing-roi-dashboard"}


def test_the_page_is_written_whole_and_loads_nothing(oncall, open_incidents, tmp_path):
    target = tmp_path / "site" / "known-issues.html"
    target.parent.mkdir()
    target.write_text("the old page", "utf-8")
    said = oncall("statuspage", "--html", target)
    assert said.code == 0, said.err
    assert said.out == "" and f"wrote {target}" in said.err
    page = target.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; @channel &amp; up 340%" in page
    assert not re.search(r"\b(src|href)\s*=|<link|<img|<iframe|url\(|@import", page), "nothing loaded"
    assert not re.search(r"https?://", page), "no addresses at all"
    assert "default-src 'none'" in page, "and the browser is told so"
    assert 'name="viewport"' in page, "sized for a phone"
    assert "Made by oncall at <time datetime=\"2026-11-27T10:48:00Z\">2026-11-27 10:48 UTC</time>" in page
    assert "Weekly CAC dashboard" in page and "Drill" not in page
    assert [p.name for p in target.parent.iterdir()] == ["known-issues.html"], "no partial file left behind"
    assert 'http-equiv="refresh"' not in page
    refreshed = oncall("statuspage", "--html", target, "--refresh", "300")
    assert refreshed.code == 0 and '<meta http-equiv="refresh" content="300">' in target.read_text("utf-8")


def test_the_page_opens_in_a_browser(oncall, open_incidents, tmp_path):
    target = tmp_path / "known-issues.html"
    assert oncall("statuspage", "--html", target).code == 0
    browser = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(name)), None)
    if browser is None:
        pytest.skip("no headless browser (chromium or google-chrome) on this machine to open the page in")
    dom = subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox", "--dump-dom", target.as_uri()],
                         capture_output=True, text=True, timeout=60).stdout
    assert "Known data issues" in dom and "Weekly CAC dashboard" in dom
    assert "<script" not in dom, "the hostile title stayed text"


def test_json_and_html_together(oncall, open_incidents, tmp_path):
    target = tmp_path / "page.html"
    said = oncall("statuspage", "--html", target, "--json")
    assert said.json()["in_triage"] == 1 and target.exists()


def test_a_folder_or_a_missing_folder_is_bad_input(oncall, tmp_path):
    folder = oncall("statuspage", "--html", tmp_path)
    assert folder.code == 2 and "is a folder" in folder.err and "known-issues.html" in folder.err
    missing = oncall("statuspage", "--html", tmp_path / "nowhere" / "page.html")
    assert missing.code == 2 and "no folder" in missing.err
    assert folder.out == missing.out == ""


def test_a_page_that_cannot_be_written_is_bad_input(oncall, tmp_path):
    too_long = tmp_path / ("p" * 300 + ".html")  # no file system takes a name of 305 bytes
    said = oncall("statuspage", "--html", too_long)
    assert said.code == 2 and "cannot write it" in said.err and "Traceback" not in said.err


def test_a_failed_write_leaves_the_old_page(oncall, open_incidents, tmp_path, monkeypatch):
    target = tmp_path / "known-issues.html"
    target.write_text("the old page", "utf-8")

    def refuse(self, other):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "replace", refuse)
    said = oncall("statuspage", "--html", target)
    assert said.code == 2 and "cannot write it (Permission denied)" in said.err
    assert target.read_text("utf-8") == "the old page"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "its partial copy is gone"


def test_bad_time_zone_and_refresh_are_named(oncall):
    zone = oncall("statuspage", "--time-zone", "Mars/Olympus")
    assert zone.code == 2 and "Mars/Olympus" in zone.err
    refresh = oncall("statuspage", "--refresh", "0")
    assert refresh.code == 2 and "seconds from 1 to 86400" in refresh.err


def test_times_in_another_zone(oncall, open_incidents):
    said = oncall("statuspage", "--time-zone", "Europe/Berlin")
    assert "since 11:00 CET (48 min ago)" in said.out


def test_html_writes_through_a_symlink_keeps_the_mode_and_refuses_devices(oncall, tmp_path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    page = real / "status.html"
    page.write_text("old")
    page.chmod(0o600)
    link = tmp_path / "status.html"
    link.symlink_to(page)
    assert oncall("statuspage", "--html", str(link)).code == 0
    assert link.is_symlink() and "<html" in page.read_text().lower()
    assert page.stat().st_mode & 0o777 == 0o600
    device = oncall("statuspage", "--html", "/dev/null")
    assert device.code == 2 and "not a regular file" in device.err
    trailing = oncall("statuspage", "--html", str(tmp_path / "missing") + "/")
    assert trailing.code == 2 and not (tmp_path / "missing").exists()
