"""Runbook files: what parses, and every mistake reported as `file:line: message` a person can act
on. The shipped library must pass its own checks against the demo's sources.

In the broken runbooks below, the line a message must point at ends with `<- here`.
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest

from oncall.domain.asset import Asset
from oncall.domain.runbook import (
    FAILURE_TAGS, PLACEHOLDERS, Evidence, RunbookProblem, fill_command, placeholder_values, sql_parameters,
)
from oncall.domain.sources import Source
from oncall.workspace.config import load_config
from oncall.workspace.runbooks import folder_signature, load_library, parse_runbook

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "runbooks"
DEMO_CONFIG = REPO / "src" / "oncall" / "demo" / "workspace" / "oncall.toml"

GOOD = """---
id: stale-table
title: Stale Data Warehouse Table
applies_to: [stale-table, infrastructure]
asset_kinds: [table]
assets: [stg-ad-spend]
severity_hint: sev2
owner: Data Engineering
last_reviewed: 2026-11-02
---
When a table stops getting new rows.

## Check when the table last loaded

Look at the newest load.

```evidence
sql: |
  SELECT loaded_at FROM load_audit
  WHERE table_name = :table AND loaded_at < :today
source: warehouse
timeout: 20
```

Note the last good load.

## Check the sources' freshness

```evidence
command: ["dbt", "source", "freshness", "--select", "{asset}"]
```

Late sources show `warn` or `error`.

## Tell the owners downstream

Who reads this table?
"""

FRONT = "---\nid: x\ntitle: X\napplies_to: [stale-table]\n---\n"


def write(tmp_path: Path, text: str | bytes, name: str = "runbook.md") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text.replace("  # <- here", "").replace(" <- here", ""), "utf-8")
    return path


def marked(text: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if line.endswith("<- here"))


def problems_of(tmp_path: Path, text: str | bytes, sources: set[str] | None = None) -> list[str]:
    path = write(tmp_path, text)
    runbook, problems = parse_runbook(path, source_names=sources)
    assert runbook is None  # a runbook with any problem is not used
    return [str(problem) for problem in problems]


def the_problem(tmp_path: Path, text: str, sources: set[str] | None = None) -> str:
    """The one problem in `text`: `file:line: message`, on the marked line."""
    found = problems_of(tmp_path, text, sources)
    assert len(found) == 1, found
    prefix = f"{tmp_path / 'runbook.md'}:{marked(text)}: "
    assert found[0].startswith(prefix), found[0]
    return found[0].removeprefix(prefix)


# -- what parses -------------------------------------------------------------------------------


def test_a_good_runbook_parses_into_steps_with_their_evidence(tmp_path):
    path = write(tmp_path, GOOD)
    runbook, problems = parse_runbook(path, source_names={"warehouse"})
    assert problems == []
    assert (runbook.id, runbook.title, runbook.applies_to) == ("stale-table", "Stale Data Warehouse Table",
                                                               ("stale-table", "infrastructure"))
    assert (runbook.assets, runbook.asset_kinds, runbook.severity_hint) == (("stg-ad-spend",), ("table",), "SEV-2")
    assert (runbook.owner, runbook.last_reviewed, runbook.always) == ("Data Engineering", date(2026, 11, 2), False)
    assert runbook.summary == "When a table stops getting new rows." and runbook.path == path
    assert [(s.number, s.title, s.line) for s in runbook.steps] == [
        (1, "Check when the table last loaded", 13), (2, "Check the sources' freshness", 27),
        (3, "Tell the owners downstream", 35)]
    first, second, third = runbook.steps
    assert first.body == "Look at the newest load.\n\nNote the last good load."  # the evidence block is not text
    assert first.evidence == Evidence(kind="sql", sql="SELECT loaded_at FROM load_audit\n"
                                      "WHERE table_name = :table AND loaded_at < :today",
                                      command=(), source="warehouse", timeout=20.0, line=17)
    assert second.evidence.command == ("dbt", "source", "freshness", "--select", "{asset}")
    assert (second.evidence.kind, second.evidence.timeout, second.evidence.line) == ("command", 30.0, 29)
    assert third.evidence is None


def test_windows_line_endings_and_a_byte_order_mark_are_fine(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    runbook, problems = parse_runbook(path)
    assert problems == [] and [s.line for s in runbook.steps] == [13, 27, 35]


def test_headings_inside_code_blocks_and_lists_are_not_steps(tmp_path):
    text = FRONT + "## Look at the log\n\n```sh\n## not a step\n```\n\n- a list\n\n  ## nor this\n\n## Fix it\n\nDo.\n"
    runbook, problems = parse_runbook(write(tmp_path, text))
    assert problems == [] and [s.title for s in runbook.steps] == ["Look at the log", "Fix it"]


# -- the mistakes the issue names ---------------------------------------------------------------


def test_an_empty_file(tmp_path):
    found = problems_of(tmp_path, "  \n\n")
    assert found == [f"{tmp_path / 'runbook.md'}:1: the file is empty: a runbook starts with front matter (a line "
                     "`---`, then id, title and applies_to in YAML, then `---`) and has a `## ` heading for each step"]


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    found = problems_of(tmp_path, FRONT.encode() + "## Caf\u00e9\n\nDo it.\n".encode("latin-1"))
    assert found == [f"{tmp_path / 'runbook.md'}:6: not UTF-8 text (byte 0xe9 on this line): save the file as UTF-8"]


def test_malformed_yaml_in_the_front_matter(tmp_path):
    text = "---\nid: x\ntitle: [Stale\napplies_to: [stale-table]  # <- here\n---\n## Step\n\nText.\n"
    message = the_problem(tmp_path, text)
    assert message.startswith("the front matter is not valid YAML: ")
    assert "that starts on line 3" in message  # where the unclosed [ began


def test_a_step_without_a_heading_body(tmp_path):
    text = FRONT + "## Check the load  <- here\n## Fix it\n\nDo.\n"
    assert the_problem(tmp_path, text) == ("step 1 (Check the load) has no text under its heading: say what to do "
                                           "and what to look for")


def test_a_step_whose_only_content_is_evidence_still_needs_text(tmp_path):
    text = FRONT + "## Check the load  <- here\n\n```evidence\ncommand: [ls]\n```\n"
    assert "step 1 (Check the load) has no text under its heading" in the_problem(tmp_path, text)


def test_a_heading_with_no_title(tmp_path):
    text = FRONT + "##  <- here\n\nText.\n"
    assert the_problem(tmp_path, text).startswith("step 1 has a `## ` heading with no title")


@pytest.mark.parametrize("text, message", [
    ("# Runbook\n\n## Step\n\nText.\n",
     "no front matter: a runbook starts with a line `---`, then id, title and applies_to in YAML, then a line `---`"),
    ("---\nid: x\ntitle: X\n## Step\n\nText.\n", "the front matter that starts here is never closed"),
    ("---\n---\n## Step\n\nText.\n", "the front matter is empty: it needs id, title and applies_to"),
    ("---\n- a\n- b\n---\n## Step\n\nText.\n", "the front matter is a list, not key: value lines"),
])
def test_front_matter_that_is_missing_or_not_a_mapping(tmp_path, text, message):
    found = problems_of(tmp_path, text)
    assert len(found) == 1 and found[0].startswith(f"{tmp_path / 'runbook.md'}:1: {message}")


@pytest.mark.parametrize("text, message", [
    ("---\ntitle: X\napplies_to: [stale-table]\n---\n## S\n\nT.\n", (1, "the front matter has no id")),
    ("---\nid: x\ntitle: ''\napplies_to: [stale-table]\n---\n## S\n\nT.\n", (3, "the front matter has no title")),
    ("---\nid: 12\ntitle: X\napplies_to: [stale-table]\n---\n## S\n\nT.\n", (2, "id must be text (got 12)")),
    ("---\nid: Stale Table\ntitle: X\napplies_to: [stale-table]\n---\n## S\n\nT.\n",
     (2, "id 'Stale Table' must be lowercase letters, digits")),
])
def test_id_and_title_are_required(tmp_path, text, message):
    found = problems_of(tmp_path, text)
    line, words = message
    assert len(found) == 1 and found[0].startswith(f"{tmp_path / 'runbook.md'}:{line}: {words}"), found


def test_an_unknown_tag_lists_the_known_ones(tmp_path):
    text = "---\nid: x\ntitle: X\napplies_to: [stale-tabel]  # <- here\n---\n## Step\n\nText.\n"
    message = the_problem(tmp_path, text)
    assert message == ("unknown tag 'stale-tabel' in applies_to (did you mean 'stale-table'?); known tags: "
                       + ", ".join(FAILURE_TAGS))


@pytest.mark.parametrize("line, message", [
    ("asset_kinds: [dashboards]", "unknown asset kind 'dashboards' in asset_kinds (did you mean 'dashboard'?)"),
    ("severity_hint: urgent", "severity_hint must be one of SEV-1, SEV-2, SEV-3 (got 'urgent')"),
    ("last_reviewed: last week", "last_reviewed must be a date such as 2026-01-31 (got 'last week')"),
    ("always: sometimes", "always must be true or false (got 'sometimes')"),
    ("ower: data team", "unknown key 'ower' in the front matter (did you mean 'owner'?)"),
])
def test_other_front_matter_mistakes(tmp_path, line, message):
    text = f"---\nid: x\ntitle: X\napplies_to: [stale-table]\n{line}  # <- here\n---\n## Step\n\nText.\n"
    assert the_problem(tmp_path, text).startswith(message)


def test_a_runbook_that_fits_nothing_would_never_be_suggested(tmp_path):
    text = "---\nid: x\ntitle: X  # <- here\n---\n## Step\n\nText.\n"
    found = problems_of(tmp_path, text)
    assert found == [f"{tmp_path / 'runbook.md'}:1: the runbook says nothing it fits, so it would never be "
                     f"suggested: give applies_to failure tags ({', '.join(FAILURE_TAGS)}), or assets, asset_kinds, "
                     "or always: true"]


def test_no_steps(tmp_path):
    text = FRONT + "Some advice but no headings.  <- here\n"
    assert the_problem(tmp_path, text) == ("no steps: each step is a `## ` heading followed by what to do and what "
                                           "to look for")


# -- evidence ------------------------------------------------------------------------------------


def with_evidence(block: str) -> str:
    return FRONT + "## Check it\n\nLook.\n\n```evidence\n" + block + "```\n"


EVIDENCE_LINE = 10  # the ```evidence fence in with_evidence(); its first key is on 11


@pytest.mark.parametrize("block, line, message", [
    ('command: ["dbt", "source", "freshness", "--select={asset}"]\n', 11,
     "placeholder {asset} inside the argument '--select={asset}': a placeholder must be a whole argument "
     "(write '--select', '{asset}' as two arguments)"),
    ('command: ["dbt", "run", "{model}"]\n', 11,
     "unknown placeholder {model} in the command; known: {asset}, {table}, {incident}, {today}"),
    ("command:\n  - dbt\n  - ls\n  - --select\n  - prefix-{table}\n", 15,
     "placeholder {table} inside the argument 'prefix-{table}': a placeholder must be a whole argument"),
    ("sql: SELECT * FROM t WHERE d = :day\nsource: warehouse\n", 11,
     "unknown placeholder :day in the query; known: :asset, :table, :incident, :today"),
    ("sql: SELECT * FROM t WHERE a = '{asset}'\nsource: warehouse\n", 11,
     "{asset} in the query: in SQL write :asset, a bound parameter"),
])
def test_placeholders(tmp_path, block, line, message):
    found = problems_of(tmp_path, with_evidence(block), {"warehouse"})
    assert found == [f"{tmp_path / 'runbook.md'}:{line}: {message}"]


def test_braces_that_are_not_placeholders_stay_as_written(tmp_path):
    block = 'command: ["curl", "-w", "%{http_code}\\n", "https://example.com"]\n'
    runbook, problems = parse_runbook(write(tmp_path, with_evidence(block)))
    assert problems == [] and runbook.steps[0].evidence.command[2] == "%{http_code}\n"


@pytest.mark.parametrize("block, line, message", [
    ("command: dbt source freshness\n", 11,
     'command must be an argument list, never a shell string: write ["dbt", "source", "freshness"]'),
    ('command: ["dbt source freshness"]\n', 11, "the program 'dbt source freshness' has spaces in it"),
    ("command: [dbt, {a: 1}]\n", 11, "every command argument must be text (got {'a': 1})"),
    ("sql: SELECT 1\n", EVIDENCE_LINE, "sql evidence needs source: the name of a [[sources]] entry in oncall.toml"),
    ("sql: SELECT 1\ncommand: [ls]\nsource: warehouse\n", EVIDENCE_LINE, "the evidence block has both sql: and command:"),
    ("timeout: 5\n", EVIDENCE_LINE, "an evidence block has exactly one of sql: (with source:) or command: [...]"),
    ("sql: DELETE FROM ad_spend\nsource: warehouse\n", 11, "the query starts with DELETE: evidence only reads"),
    ("sql: WITH x AS (SELECT 1) UPDATE t SET a = 1\nsource: warehouse\n", 11,
     "the query writes (UPDATE after WITH): evidence only reads"),
    ("sql: SELECT 1; SELECT 2\nsource: warehouse\n", 11,
     "the query holds 2 statements; evidence runs one statement"),
    ("sql: SELECT 1\nsource: warehouse\ntimeout: -3\n", 13,
     "timeout must be a number of seconds, more than 0 and at most 3600 (got -3)"),
    ("sql: SELECT 1\nsource: warehouse\nexpect: 1 row\n", 13, "unknown key 'expect' in the evidence block"),
    ("sql: [SELECT 1\nsource: warehouse\n", 12, "the evidence block is not valid YAML"),
    ("sql: SELECT 1\nsource: wharehouse\n", 12,
     "evidence names source 'wharehouse', which is not a [[sources]] entry in oncall.toml (did you mean "
     "'warehouse'?) (known: warehouse)"),
])
def test_bad_evidence(tmp_path, block, line, message):
    found = problems_of(tmp_path, with_evidence(block), {"warehouse"})
    assert len(found) == 1 and found[0].startswith(f"{tmp_path / 'runbook.md'}:{line}: {message}"), found


def test_semicolons_and_keywords_inside_strings_and_comments_do_not_count(tmp_path):
    block = ("sql: |\n  -- DELETE; nothing here\n  SELECT 'a;b', \"delete;\" FROM t WHERE x = ':nope' /* ; */\n"
             "source: warehouse\n")
    runbook, problems = parse_runbook(write(tmp_path, with_evidence(block)), source_names={"warehouse"})
    assert problems == [] and runbook.steps[0].evidence.placeholders == ()


def test_one_evidence_block_per_step_and_only_inside_steps(tmp_path):
    text = (FRONT + "Intro.\n\n```evidence  <- here\ncommand: [ls]\n```\n\n## Check\n\nText.\n\n"
            "```evidence\ncommand: [ls]\n```\n\n```evidence\ncommand: [pwd]\n```\n")
    found = problems_of(tmp_path, text)
    assert found == [
        f"{tmp_path / 'runbook.md'}:8: an evidence block before the first step: put it under the `## ` heading "
        "of the step it belongs to",
        f"{tmp_path / 'runbook.md'}:20: step 1 has 2 evidence blocks: a step gathers at most one (split it into "
        "two steps)"]


def test_an_evidence_block_never_closed(tmp_path):
    text = FRONT + "## Check\n\nText.\n\n```evidence  <- here\ncommand: [ls]\n\n## Fix\n\nDo.\n"
    found = problems_of(tmp_path, text)
    assert f"{tmp_path / 'runbook.md'}:{marked(text)}: the evidence block that starts here is never closed " \
           "with a line ```" in found


def test_sources_are_not_checked_without_the_workspace_names(tmp_path):
    runbook, problems = parse_runbook(write(tmp_path, with_evidence("sql: SELECT 1\nsource: anything\n")))
    assert problems == [] and runbook.steps[0].evidence.source == "anything"


# -- filling placeholders -------------------------------------------------------------------------


def test_placeholders_are_filled_whole_and_bound_never_spliced():
    asset = Asset(id="stg-ad-spend", name="stg_ad_spend", kind="table")
    values = placeholder_values("INC-16", asset, date(2026, 11, 27))
    assert values == {"incident": "INC-16", "today": "2026-11-27", "asset": "stg-ad-spend", "table": "stg_ad_spend"}
    assert set(values) == set(PLACEHOLDERS)
    assert placeholder_values("INC-1", asset.model_copy(update={"table": "ad_spend"}), date(2026, 1, 1))["table"] \
        == "ad_spend"
    command = Evidence("command", "", ("dbt", "ls", "--select", "{asset}", "{incident}"), "", 30, 1)
    assert fill_command(command, {**values, "asset": "x; rm -rf /"}) == ["dbt", "ls", "--select", "x; rm -rf /",
                                                                         "INC-16"]
    query = Evidence("sql", "SELECT * FROM t WHERE a = :table AND d < :today AND c = ':asset'", (), "w", 30, 1)
    assert sql_parameters(query, values) == {"table": "stg_ad_spend", "today": "2026-11-27"}
    with pytest.raises(ValueError, match=r"needs \{asset\} .*the incident has no asset"):
        fill_command(command, placeholder_values("INC-2", None, date(2026, 1, 1)))


# -- the library ----------------------------------------------------------------------------------


def test_a_duplicate_id_keeps_the_first_file_and_breaks_the_later(tmp_path):
    write(tmp_path, GOOD, "a-stale.md")
    write(tmp_path, GOOD.replace("title: Stale Data", "title: Also Stale"), "b-stale.md")
    library = load_library(tmp_path, {"warehouse"})
    assert library.get("stale-table").title == "Stale Data Warehouse Table"
    assert [str(p) for p in library.problems] == [
        f"{tmp_path / 'b-stale.md'}:2: duplicate id 'stale-table' (also in a-stale.md)"]
    assert [path.name for path, _ in library.broken] == ["b-stale.md"]


def test_broken_runbooks_are_listed_and_the_rest_used(tmp_path):
    write(tmp_path, GOOD, "good.md")
    write(tmp_path, "", "empty.md")
    write(tmp_path, with_evidence("sql: SELECT 1\nsource: nowhere\n").replace("id: x", "id: y"), "bad-source.md")
    write(tmp_path, "# notes for the team", "README.md")  # not a runbook
    (tmp_path / "drafts").mkdir()
    write(tmp_path / "drafts", "", "ignored.md")  # subfolders are not read
    library = load_library(tmp_path, {"warehouse"})
    assert list(library.runbooks) == ["stale-table"]
    assert [(path.name, [p.line for p in problems]) for path, problems in library.broken] == [
        ("bad-source.md", [12]), ("empty.md", [1])]
    assert len(library.problems) == 2 and all(isinstance(p, RunbookProblem) for p in library.problems)


def test_a_missing_folder_is_an_empty_library(tmp_path):
    library = load_library(tmp_path / "runbooks")
    assert (library.runbooks, library.broken, library.signature()) == ({}, [], ())


def test_an_edit_is_noticed_and_reloaded(tmp_path):
    path = write(tmp_path, GOOD, "stale.md")
    library = load_library(tmp_path)
    assert not library.changed() and library.signature() == folder_signature(tmp_path)
    path.write_text(GOOD.replace("title: Stale Data Warehouse Table", "title: Stale Table, edited"), "utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    assert library.changed() and library.signature() != folder_signature(tmp_path)
    assert load_library(tmp_path).get("stale-table").title == "Stale Table, edited"


def runbook_text(runbook_id: str, **front: str) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in front.items())
    return f"---\nid: {runbook_id}\ntitle: {runbook_id.title()}\n{extra}---\n## Do it\n\nText.\n"


def test_suggestions_fit_the_asset_then_tags_then_lineage_then_kind_with_the_checklist_last(tmp_path):
    write(tmp_path, runbook_text("checklist", always="true"), "a.md")
    write(tmp_path, runbook_text("for-tables", asset_kinds="[table]"), "b.md")
    write(tmp_path, runbook_text("stale", applies_to="[stale-table]"), "c.md")
    write(tmp_path, runbook_text("for-this-table", assets="[stg-ad-spend]"), "d.md")
    write(tmp_path, runbook_text("for-the-api", assets="[google-ads-api]"), "e.md")
    write(tmp_path, runbook_text("unrelated", applies_to="[bad-file]"), "f.md")
    config, _ = load_config(DEMO_CONFIG)
    library = load_library(tmp_path)
    found = [(r.id, why) for r, why in library.suggest(config.asset("stg-ad-spend"), {"stale-table"}, config.assets)]
    assert found == [("for-this-table", "fits stg-ad-spend"), ("stale", "tag stale-table"),
                     ("for-the-api", "fits google-ads-api upstream"), ("for-tables", "for tables"),
                     ("checklist", "for every incident")]
    assert [r.id for r, _ in library.suggest(None, set(), [])] == ["checklist"]


def test_suggestions_among_500_runbooks_take_well_under_50ms(tmp_path):
    for n in range(500):
        tag = FAILURE_TAGS[n % len(FAILURE_TAGS)]
        write(tmp_path, runbook_text(f"rb-{n:03d}", applies_to=f"[{tag}]", asset_kinds="[table]"), f"{n:03d}.md")
    config, _ = load_config(DEMO_CONFIG)
    library = load_library(tmp_path)
    assert len(library.runbooks) == 500
    started = time.perf_counter()
    found = library.suggest(config.asset("stg-ad-spend"), {"stale-table", "bad-file"}, config.assets)
    assert time.perf_counter() - started < 0.05
    assert len(found) == 500 and found[0][1] == "tag stale-table; for tables"


# -- sources in oncall.toml --------------------------------------------------------------------------


def test_sources_load_from_oncall_toml_and_mistakes_point_at_the_line(tmp_path):
    path = tmp_path / "oncall.toml"
    path.write_text('[[sources]]\nname = "warehouse"\nkind = "sqlite"\npath = "data/wh.sqlite"\n\n'
                    '[[sources]]\nname = "lake"\nkind = "parquet"\npath = "lake.parquet"\n\n'
                    '[[sources]]\nname = "warehouse"\nkind = "duckdb"\npath = "other.duckdb"\n', "utf-8")
    config, problems = load_config(path)
    assert [(s.name, s.kind.value) for s in config.sources] == [("warehouse", "sqlite"), ("warehouse", "duckdb")]
    assert config.source("warehouse").resolve(tmp_path) == tmp_path / "data" / "wh.sqlite"
    assert [str(p) for p in problems] == [
        f"{path}:8: [sources[1].kind] Input should be 'sqlite' or 'duckdb' (got 'parquet')",
        f"{path}:12: [sources] name 'warehouse' appears twice; the first entry is used"]


def test_an_absolute_source_path_stays_as_it_is(tmp_path):
    assert Source(name="w", kind="duckdb", path=str(tmp_path / "w.duckdb")).resolve(Path("/elsewhere")) \
        == tmp_path / "w.duckdb"


# -- the shipped library ------------------------------------------------------------------------------


def test_the_shipped_library_is_clean_against_the_demo_sources():
    config, config_problems = load_config(DEMO_CONFIG)
    assert config_problems == []
    library = load_library(SHIPPED, {source.name for source in config.sources})
    assert [str(p) for p in library.problems] == []
    assert sorted(library.runbooks) == [
        "corrupted-upstream-file", "incident-commander-checklist", "metric-logic-regression",
        "pipeline-succeeded-no-data", "stale-warehouse-table", "third-party-api-failure", "upstream-schema-change"]
    for runbook in library.runbooks.values():
        assert 4 <= len(runbook.steps) <= 9, runbook.id
    assert [r.id for r in library.runbooks.values() if r.always] == ["incident-commander-checklist"]
    assert {tag for r in library.runbooks.values() for tag in r.applies_to} >= set(FAILURE_TAGS[:7])
    # The demo's tables that are not named after their asset id say their table.
    assert config.asset("stg-ad-spend").table == "ad_spend" and config.asset("stg-new-customers").table == "new_customers"


def test_the_demo_workspace_carries_the_library():
    demo_runbooks = DEMO_CONFIG.parent / "runbooks"
    assert demo_runbooks.is_symlink() and demo_runbooks.resolve() == SHIPPED.resolve()


def test_hostile_yaml_is_a_problem_not_a_crash(tmp_path):
    """Deep nesting (PyYAML's C loader crashes the process), an alias bomb (gigabytes from a few
    hundred bytes) and a huge file are each reported; nothing hangs, nothing crashes."""
    from oncall.workspace.runbooks import MAX_BYTES, parse_runbook

    deep = tmp_path / "deep.md"
    deep.write_text("---\nid: deep\ntitle: Deep\napplies_to: " + "[" * 50_000 + "]" * 50_000 + "\n---\n\n## A\n\nx\n")
    bomb = tmp_path / "bomb.md"
    bomb.write_text("---\nid: bomb\ntitle: Bomb\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a]\n"
                    "c: &c [*b, *b, *b, *b, *b, *b]\napplies_to: *c\n---\n\n## A\n\nx\n")
    huge = tmp_path / "huge.md"
    huge.write_text("---\nid: huge\ntitle: Huge\napplies_to: [stale-table]\n---\n\n## A\n\n" + "x" * (MAX_BYTES + 1))
    messages = {}
    for path in (deep, bomb, huge):
        parsed, problems = parse_runbook(path)
        assert parsed is None and problems
        messages[path.name] = str(problems[0])
    assert "nested more than 20 levels deep" in messages["deep.md"] and len(messages["deep.md"]) < 300
    assert "aliases (*name) are not allowed" in messages["bomb.md"]
    assert f"a runbook is at most {MAX_BYTES:,}" in messages["huge.md"]
