"""The queue's reads with text the word index cannot answer, and numbers past any id: the count,
the window and a row's position always agree, and nothing raises."""

from __future__ import annotations

import pytest

from oncall.domain.severity import Severity
from oncall.service.incidents import Declaration
from oncall.store.queue import ID_BITS, QueueFilter, QueueReader

TITLES = ["日本語のタイトルです", "CAC down 40%", "fire 🔥 in the loader", "orders late", "Ünïcödé & more #1"]


@pytest.fixture
def reader(service):
    for title in TITLES:
        service.declare(Declaration(title=title, severity=Severity.SEV3, asset="cac-dashboard"))
    return QueueReader(service.db)


@pytest.mark.parametrize(("text", "titles"), [
    ("タイトル", {"日本語のタイトルです"}),
    ("日本語 です", {"日本語のタイトルです"}),
    ("%", {"CAC down 40%"}),
    ("🔥", {"fire 🔥 in the loader"}),
    ("&", {"Ünïcödé & more #1"}),
    ("#", {"Ünïcödé & more #1"}),
    ("@", set()),
    ("   ", set(TITLES)),  # blank is no search at all
])
def test_count_window_and_position_agree(reader, text, titles):
    flt = QueueFilter(text=text)
    rows = reader.window(flt, 0, 100)
    assert {row.title for row in rows} == titles and reader.count(flt) == len(titles)
    for place, row in enumerate(rows):
        assert reader.position_of(flt, row.id) == place


@pytest.mark.parametrize("text", [str(ID_BITS + 1), str(2**63), "9" * 50, "INC-" + "9" * 20, "inc18446744073709551616"])
def test_a_number_past_every_id_matches_nothing_and_raises_nothing(reader, text):
    flt = QueueFilter(text=text)
    assert reader.window(flt, 0, 10) == [] and reader.count(flt) == 0
