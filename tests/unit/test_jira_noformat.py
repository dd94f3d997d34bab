"""Text put in a Jira comment's {noformat} block: escaped, then cut, so it never passes Jira's
32,767-character limit, whatever it holds."""

from oncall.sync.messages import JIRA_POSTMORTEM_CHARS, noformat


def test_a_block_full_of_noformat_markers_stays_under_jiras_limit():
    block = noformat("{noformat}" * 10_000, JIRA_POSTMORTEM_CHARS, "the whole is in oncall")
    assert len(block) < 32_767
    inner = block.removeprefix("\n{noformat}").removesuffix("{noformat}")
    assert "{noformat}" not in inner, "a marker inside would end the block early"
    assert inner.endswith("… cut for Jira (the whole is in oncall)")


def test_a_short_block_is_whole():
    assert noformat("rows: 0", 100, "x") == "\n{noformat}rows: 0{noformat}"
