"""A demo workspace copied by an older oncall gets this version's files (its oncall.toml, the
runbooks) on the next start, and keeps its database."""

from __future__ import annotations

from oncall.demo.install import copy_demo_config, refresh_demo_files


def test_an_old_demo_copy_gets_the_new_files_and_keeps_its_database(tmp_path):
    root = tmp_path / "demo"
    assert copy_demo_config(root)
    assert (root / "runbooks" / "stale-warehouse-table.md").is_file()
    assert not refresh_demo_files(root), "up to date: nothing copied"
    # As an older oncall left it: no runbooks, an old oncall.toml, a database with incidents.
    for runbook in (root / "runbooks").iterdir():
        runbook.unlink()
    (root / "oncall.toml").write_text('[workspace]\nname = "old demo"\n')
    (root / ".demo-files").write_text("an older release")
    (root / "oncall.db").write_bytes(b"the team's incidents")
    assert refresh_demo_files(root)
    assert (root / "runbooks" / "stale-warehouse-table.md").is_file()
    assert "[[sources]]" in (root / "oncall.toml").read_text()
    assert (root / "oncall.db").read_bytes() == b"the team's incidents"
