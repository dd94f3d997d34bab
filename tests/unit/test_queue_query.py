"""Search text typed into the queue becomes an FTS5 query that can never be a syntax error."""

from __future__ import annotations

import sqlite3

import pytest

from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.store.queue import QueueFilter, fts_query

HOSTILE = ['"', '*', 'AND', 'OR NOT', '(', ')', 'cac AND', 'NEAR(a b)', '"cac', 'title:cac', '^cac', 'a-b',
           "o'brien", '-', '+', '{title}', '½', 'é', '😀', 'cac   *dash', 'x' * 300]


@pytest.fixture(scope="module")
def search_table() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE queue_search USING fts5 (title, impact, asset, ic, status, severity,"
                 " content='', prefix='1 2 3', tokenize='unicode61 remove_diacritics 2')")
    conn.execute("INSERT INTO queue_search (rowid, title, impact, asset, ic, status, severity) "
                 "VALUES (1, 'Weekly CAC up', 'exec dashboard', 'cac-dashboard', 'maya', 'triage', 'sev1')")
    return conn


@pytest.mark.parametrize("typed", HOSTILE)
@pytest.mark.parametrize("filters", [{}, {"statuses": frozenset({Status.TRIAGE, Status.RESOLVED}),
                                          "severities": frozenset({Severity.SEV1})}])
def test_anything_typed_is_a_valid_query(search_table: sqlite3.Connection, typed: str, filters: dict) -> None:
    query = fts_query(QueueFilter(text=typed, **filters))
    if query is not None:
        search_table.execute("SELECT count(*) FROM queue_search WHERE queue_search MATCH ?", (query,)).fetchone()


def test_punctuation_alone_is_no_search() -> None:
    for typed in ['"', '*', '(', '  ', '-']:
        assert fts_query(QueueFilter(text=typed)) is None


@pytest.mark.parametrize(("typed", "matches"), [
    ("cac", True), ("CA", True), ("weekly dash", True), ("dashboard weekly", True), ("exec", True),
    ("cac-dash", True), ("AND", False), ("wee", True), ("eekly", False), ("weekly tom", False),
])
def test_every_word_must_match_the_last_as_a_prefix(search_table: sqlite3.Connection, typed: str, matches: bool) -> None:
    query = fts_query(QueueFilter(text=typed))
    found = search_table.execute("SELECT count(*) FROM queue_search WHERE queue_search MATCH ?", (query,)).fetchone()[0]
    assert bool(found) is matches


def test_status_and_severity_filters_narrow_the_text_search(search_table: sqlite3.Connection) -> None:
    def hits(**filters) -> int:
        query = fts_query(QueueFilter(text="cac", **filters))
        return search_table.execute("SELECT count(*) FROM queue_search WHERE queue_search MATCH ?", (query,)).fetchone()[0]

    assert hits(statuses=frozenset({Status.TRIAGE})) == 1
    assert hits(statuses=frozenset({Status.CLOSED})) == 0
    assert hits(severities=frozenset({Severity.SEV1, Severity.SEV3})) == 1
    assert hits(severities=frozenset({Severity.SEV2})) == 0
