"""Which Slack messages are reports, what they say, which asset they name (`intake/slack_reports.py`),
and the `[slack]` keys that set how people report (`report_emoji`, `report_prefix`) and where the
known-issues list is pinned."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.domain.asset import Asset, AssetKind
from oncall.intake.slack_reports import (
    NO_WORDS,
    after_prefix,
    guess_asset,
    is_report,
    message_link,
    plain_text,
    reacted_by,
    report_in,
    report_key,
)
from oncall.workspace.config import load_config

BOT = "UBOT"
SOFIA, LUKAS, OMAR = "U07SOFI07", "U07LUKA04", "U07OMAR06"


def message(text: str = "the CAC dashboard shows 0 for last week", user: str = SOFIA, **fields) -> dict:
    return {"type": "message", "user": user, "text": text, "ts": "1795773600.000100", **fields}


def reaction(name: str, *users: str) -> dict:
    return {"name": name, "users": list(users), "count": len(users)}


def report(found: dict, emoji: str = "rotating_light", prefix: str = "data issue:"):
    return report_in(found, emoji=emoji, prefix=prefix, bot_user=BOT)


# -- which messages are reports ------------------------------------------------------------------


def test_a_persons_message_with_the_report_emoji_is_a_report_by_its_author_flagged_by_the_reactors():
    found = report(message(reactions=[reaction("rotating_light", LUKAS, OMAR), reaction("eyes", SOFIA)]))
    assert found is not None
    assert (found.reporter, found.how, found.flagged_by) == (SOFIA, "reaction", (LUKAS, OMAR))
    assert found.text == "the CAC dashboard shows 0 for last week"


def test_a_skin_tone_or_colons_in_the_emoji_name_are_the_same_emoji():
    assert report(message(reactions=[reaction("raised_hand::skin-tone-3", LUKAS)]), emoji=":raised_hand:")


def test_a_message_starting_with_the_prefix_in_any_case_is_a_report_without_the_prefix():
    found = report(message("*Data  Issue:* spend for Meta is missing since Monday"))
    assert found is not None and found.how == "prefix" and found.flagged_by == ()
    assert found.text == "spend for Meta is missing since Monday"


@pytest.mark.parametrize("text", ["data issues: none today", "about a data issue: the CAC", "dataissue: x"])
def test_the_prefix_must_start_the_message(text: str):
    assert report(message(text)) is None


def test_a_prefix_without_a_colon_ends_at_a_word():
    assert after_prefix("Data issue the CAC", "data issue") == "the CAC"
    assert after_prefix("data issues everywhere", "data issue") is None


def test_only_the_prefix_says_so_for_the_ic():
    found = report(message("data issue:", files=[{"id": "F1"}], subtype="file_share"))
    assert found is not None and found.text == NO_WORDS


def test_a_message_with_neither_is_not_a_report():
    assert report(message(reactions=[reaction("eyes", LUKAS)])) is None


@pytest.mark.parametrize("odd", [
    {"bot_id": "B0ALERTSBOT", "user": "U0ALERTBOT"},  # another integration's message
    {"user": BOT},  # this app's own message (an incident's, the pinned list)
    {"subtype": "channel_join"},  # an event, not words
    {"subtype": "thread_broadcast", "thread_ts": "1795773000.000001"},  # a reply, shown in the channel too
    {"thread_ts": "1795773000.000001"},  # a reply in someone's thread
    {"user": ""},
])
def test_bots_this_app_events_and_thread_replies_are_never_reports(odd: dict):
    flagged = message("data issue: the CAC is wrong", reactions=[reaction("rotating_light", LUKAS)])
    assert report({**flagged, **odd}) is None


def test_the_message_that_starts_a_thread_is_still_a_report():
    assert report(message("data issue: x", thread_ts="1795773600.000100", reply_count=2))


def test_this_apps_own_reaction_flags_nothing():
    assert report(message(reactions=[reaction("rotating_light", BOT)])) is None


def test_a_way_of_reporting_left_empty_is_off():
    flagged = message("data issue: x", reactions=[reaction("rotating_light", LUKAS)])
    assert report(flagged, emoji="").how == "prefix"
    assert report(flagged, prefix="").how == "reaction"
    assert not is_report(flagged, "", "", BOT)


def test_this_apps_claim_is_its_own_reaction_only():
    claimed = message(reactions=[reaction("eyes", LUKAS, BOT)])
    assert reacted_by(claimed, "eyes", BOT) and not reacted_by(claimed, "eyes", SOFIA)
    assert not reacted_by(message(reactions=[reaction("eyes", LUKAS)]), "eyes", BOT)


# -- what a report says, and where it is --------------------------------------------------------


def test_slack_markup_reads_as_a_person_wrote_it():
    said = plain_text("<!here> <@U07LUKA04> see <https://bi.example/cac|the dashboard> in <#C0INCIDENTS|data> "
                      "&amp; <https://x.example> &lt;3")
    assert said == "@here @U07LUKA04 see the dashboard (https://bi.example/cac) in #data & https://x.example <3"


def test_the_key_and_link_of_a_message():
    assert report_key("C0INCIDENTS", "1795773600.000100") == "slack:C0INCIDENTS:1795773600.000100"
    assert message_link("https://acme.slack.com/", "C0INCIDENTS", "1795773600.000100") \
        == "https://acme.slack.com/archives/C0INCIDENTS/p1795773600000100"
    assert message_link("https://acme.slack.com", "C1", "1.000002") == "https://acme.slack.com/archives/C1/p1000002"


# -- which asset -----------------------------------------------------------------------------------

ASSETS = [
    Asset(id="stg-ad-spend", name="stg_ad_spend (warehouse table)", kind=AssetKind.TABLE, table="ad_spend"),
    Asset(id="cac-pipeline", name="Weekly CAC pipeline", kind=AssetKind.PIPELINE),
    Asset(id="cac-dashboard", name="Weekly CAC dashboard", kind=AssetKind.DASHBOARD),
    Asset(id="fct-weekly-cac", name="fct_weekly_cac (warehouse table)", kind=AssetKind.TABLE),
    Asset(id="bi", name="BI", kind=AssetKind.DASHBOARD),
]


@pytest.mark.parametrize(("text", "asset"), [
    ("The weekly CAC dashboard shows 0", "cac-dashboard"),  # its name, any case
    ("WEEKLY   CAC\nDASHBOARD is blank", "cac-dashboard"),  # however spaced
    ("cac-dashboard is blank", "cac-dashboard"),  # its id
    ("rows missing in stg_ad_spend", "stg-ad-spend"),  # its id as dbt writes it, and its name's first word
    ("ad_spend has no rows for Monday", "stg-ad-spend"),  # its table
    ("numbers in fct_weekly_cac look doubled", "fct-weekly-cac"),
    ("the Weekly CAC pipeline did not run", "cac-pipeline"),
])
def test_one_asset_named_is_the_guess(text: str, asset: str):
    assert guess_asset(text, ASSETS) == asset


@pytest.mark.parametrize("text", [
    "the CAC dashboard looks off",  # not its name: the IC chooses
    "the weekly CAC dashboard and fct_weekly_cac disagree",  # two assets
    "my_ad_spend_backup is empty",  # a word inside another word
    "stg-ad-spend-v2 is empty",
    "the BI numbers are off",  # a name under three letters is too common a word to go by
    "",
])
def test_no_asset_or_several_is_left_for_the_ic(text: str):
    assert guess_asset(text, ASSETS) == ""


def test_a_name_inside_a_longer_name_of_another_asset_counts_as_the_longer():
    assets = [*ASSETS, Asset(id="cac", name="CAC pipeline", kind=AssetKind.PIPELINE)]
    assert guess_asset("the weekly CAC pipeline failed", assets) == "cac-pipeline"
    assert guess_asset("the CAC pipeline failed", assets) == "cac"


# -- the [slack] keys ------------------------------------------------------------------------------

SLACK = '[slack]\nchannel = "#data-incidents"\n'


def slack_section(tmp_path: Path, lines: str):
    path = tmp_path / "oncall.toml"
    text = SLACK + lines
    path.write_text(text, "utf-8")
    return load_config(path), text


def test_reports_and_the_pinned_list_are_on_by_default(tmp_path: Path):
    (config, problems), _ = slack_section(tmp_path, "")
    assert problems == []
    assert (config.slack.report_emoji, config.slack.report_prefix) == ("rotating_light", "data issue:")
    assert config.slack.known_issues_pin and config.slack.known_issues_channel == ""
    assert config.slack.known_issues_channel_name == "data-incidents" and config.slack.takes_reports


def test_the_keys_are_read_as_slack_names_them(tmp_path: Path):
    (config, problems), _ = slack_section(
        tmp_path, 'report_emoji = ":Warning:"\nreport_prefix = "  Broken   data: "\nknown_issues_channel = "#data-status"\n'
                  'known_issues_pin = true\n')
    assert problems == []
    assert (config.slack.report_emoji, config.slack.report_prefix) == ("warning", "Broken data:")
    assert config.slack.known_issues_channel_name == "data-status"


def test_both_ways_of_reporting_can_be_turned_off(tmp_path: Path):
    (config, problems), _ = slack_section(tmp_path, 'report_emoji = ""\nreport_prefix = ""\nknown_issues_pin = false\n')
    assert problems == [] and not config.slack.takes_reports and not config.slack.known_issues_pin


@pytest.mark.parametrize(("line", "key", "says"), [
    ('report_emoji = "rotating light"', "report_emoji", "an emoji's name"),
    ('report_emoji = "🚨"', "report_emoji", "an emoji's name"),
    ('report_prefix = "' + "x" * 51 + '"', "report_prefix", "one short line"),
    ('report_prefix = "data\\nissue:"', "report_prefix", "one short line"),
    ('known_issues_channel = "data status"', "known_issues_channel", "a channel's id"),
    ("known_issues_pin = \"sometimes\"", "known_issues_pin", "boolean"),
])
def test_a_bad_key_is_named_with_its_line_and_the_rest_loads(tmp_path: Path, line: str, key: str, says: str):
    (config, problems), text = slack_section(tmp_path, f'concurrency = 3\n{line}\n')
    [problem] = problems
    assert problem.key == f"slack.{key}" and problem.line == text.splitlines().index(line) + 1
    assert says in problem.message
    assert config.slack is not None and config.slack.concurrency == 3, "the rest of [slack] still loads"
