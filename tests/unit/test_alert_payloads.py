"""Reading alert payloads (`intake/alerts.py`): the documented Alertmanager and Grafana webhook
bodies (tests/fixtures/alerts, see its README for where each comes from), the generic alert, the
times Go writes, the severity words alerting rules use, and every malformed shape refused with
the JSON path of the problem."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from oncall.domain.severity import Severity
from oncall.intake.alerts import PayloadError, detect_format, label_fingerprint, parse_alert, webhook_severity

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"
UTC = timezone.utc


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# -- the documented payloads ----------------------------------------------------------------------


def test_alertmanager_firing() -> None:
    (signal,) = parse_alert(raw("alertmanager_firing.json"))
    assert signal.origin == "alertmanager"
    assert signal.intake_key == "alertmanager:1a30ba71cca2921f"
    assert signal.title == "ProbeFailure: BlackBox Probe Failure: https://server.example.org"
    assert signal.severity is Severity.SEV1  # severity="critical"
    assert signal.firing is True
    assert signal.started_at == datetime(2023, 2, 6, 13, 8, 45, 828000, tzinfo=UTC)
    assert signal.observed_at is None  # endsAt is Go's zero time: not set
    assert signal.link.startswith("http://prometheus.example.org:9090/graph?")
    assert signal.details == "Instance https://server.example.org has been down for over 5m. Job: http_checks"
    assert signal.asset == ""  # no asset label: the IC chooses


def test_alertmanager_resolved() -> None:
    (signal,) = parse_alert(raw("alertmanager_resolved.json"))
    assert signal.firing is False
    assert signal.intake_key == "alertmanager:1a30ba71cca2921f"  # the same key as its firing
    assert signal.observed_at == datetime(2023, 2, 6, 13, 23, 45, 828000, tzinfo=UTC)


def test_an_older_alertmanager_without_fingerprints_gets_one_from_the_labels() -> None:
    (signal,) = parse_alert(raw("alertmanager_without_fingerprint.json"))
    labels = load("alertmanager_without_fingerprint.json")["alerts"][0]["labels"]
    assert signal.key == label_fingerprint(labels)
    assert signal.key == label_fingerprint(dict(reversed(labels.items())))  # order does not matter
    assert signal.key != label_fingerprint({**labels, "dc": "us-east-1"})
    # Nanoseconds and a +02:00 offset, as Go's RFC3339Nano writes them.
    assert signal.started_at == datetime(2018, 8, 3, 7, 52, 26, 739266, tzinfo=UTC)
    assert signal.link.endswith("go_memstats_alloc_bytes+%3E+0&g0.tab=1")  # Go's \u0026 is "&"


def test_label_fingerprint_is_fnv1a_over_names_and_values() -> None:
    assert label_fingerprint({}) == "cbf29ce484222325"  # FNV-1a 64's offset basis: prometheus' empty label set
    assert label_fingerprint({"a": "b"}) != label_fingerprint({"ab": ""})  # the 0xff separators count


def test_grafana_firing() -> None:
    memory, cpu = parse_alert(raw("grafana_firing.json"))
    assert (memory.origin, memory.key, cpu.key) == ("grafana", "c6eadffa33fcdf37", "bc97ff14869b13e3")
    assert memory.title == "High memory usage: This alert was triggered for zone us-1"
    assert memory.started_at == datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)
    assert memory.link == "https://play.grafana.org/alerting/1afz29v7z/edit"  # no panel or dashboard URL given
    assert memory.details.splitlines() == ["The system has high memory usage",
                                           "runbook: https://myrunbook.com/runbook/1234", "values: B=44.2394, C=1"]
    assert memory.severity is Severity.SEV3 and memory.firing


def test_grafana_resolved() -> None:
    (signal,) = parse_alert(raw("grafana_resolved.json"))
    assert signal.intake_key == "grafana:c6eadffa33fcdf37" and signal.firing is False
    assert signal.observed_at == datetime(2021, 10, 12, 8, 6, 3, 157076, tzinfo=UTC)


def test_grafana_prefers_its_panel_link_and_reads_the_older_value_string() -> None:
    payload = load("grafana_firing.json")
    alert = payload["alerts"][0]
    del alert["values"]
    alert.update(panelURL="https://grafana.example.com/d/abc?viewPanel=2",
                 valueString="[ metric='' labels={} value=14151.33 ]")
    signal = parse_alert(payload)[0]
    assert signal.link == "https://grafana.example.com/d/abc?viewPanel=2"
    assert signal.details.endswith("values: [ metric='' labels={} value=14151.33 ]")


def test_generic() -> None:
    (signal,) = parse_alert(raw("generic.json"))
    assert signal.origin == "alert" and signal.intake_key == "alert:cac_pilot.daily_spend_load"
    assert signal.asset == "stg-ad-spend" and signal.severity is Severity.SEV2
    assert signal.started_at == datetime(2026, 11, 27, 5, 15, 0, 123456, tzinfo=UTC)
    assert signal.details == "from airflow\nThe load task finished without error but wrote no rows."
    assert signal.link == "https://airflow.example.com/dags/daily_spend_load/grid"


def test_generic_defaults_and_list() -> None:
    first, resolved, by_key = parse_alert([
        {"title": "spend rows missing", "asset": "stg-ad-spend"},
        {"key": "k1", "title": "x", "firing": False, "ended_at": "2026-11-27T10:00:00+00:00"},
        {"key": "cac.load", "status": "RESOLVED"},
    ])
    assert first.key == "stg-ad-spend/spend rows missing" and first.firing and first.severity is Severity.SEV3
    assert resolved.firing is False and resolved.observed_at == datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert by_key.title == "cac.load" and not by_key.firing  # a key alone resolves: the title is the key


def test_bytes_text_and_documents_read_alike() -> None:
    text = raw("alertmanager_firing.json").decode()
    assert parse_alert(text) == parse_alert(text.encode()) == parse_alert(json.loads(text))
    assert parse_alert(b"\xef\xbb\xbf" + text.encode())  # a byte-order mark is not content


def test_detect_format() -> None:
    assert detect_format(load("alertmanager_firing.json")) == "alertmanager"
    assert detect_format(load("grafana_firing.json")) == "grafana"
    assert detect_format(load("generic.json")) == "alert"
    assert detect_format([]) == "alert"
    # Grafana's alert fields tell it apart even without orgId; a hand-made post without a version is Alertmanager's.
    no_org = {k: v for k, v in load("grafana_firing.json").items() if k != "orgId"}
    assert detect_format(no_org) == "grafana"
    assert detect_format({"alerts": [{"status": "firing", "labels": {}}]}) == "alertmanager"


def test_expect_refuses_another_format() -> None:
    with pytest.raises(PayloadError, match="expected a Grafana alerting webhook, got an Alertmanager webhook"):
        parse_alert(raw("alertmanager_firing.json"), expect="grafana")
    assert parse_alert(raw("grafana_firing.json"), expect="grafana")


def test_an_empty_webhook_is_no_signals() -> None:
    assert parse_alert({**load("alertmanager_firing.json"), "alerts": []}) == []


def test_unknown_fields_are_fine() -> None:
    payload = load("alertmanager_firing.json")
    payload["somethingNew"] = {"x": [1, 2]}
    payload["alerts"][0]["extra"] = None
    assert len(parse_alert(payload)) == 1
    assert parse_alert({"title": "t", "priority_hint": 3})[0].title == "t"


# -- times -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("2023-02-06T13:08:45Z", datetime(2023, 2, 6, 13, 8, 45, tzinfo=UTC)),
    ("2023-02-06T13:08:45.123456789Z", datetime(2023, 2, 6, 13, 8, 45, 123456, tzinfo=UTC)),
    ("2023-02-06T15:08:45.1+02:00", datetime(2023, 2, 6, 13, 8, 45, 100000, tzinfo=UTC)),
    ("2023-02-06T08:38:45.000000001-04:30", datetime(2023, 2, 6, 13, 8, 45, tzinfo=UTC)),
    ("2023-02-06T18:38:45+05:30", datetime(2023, 2, 6, 13, 8, 45, tzinfo=UTC)),
    ("0001-01-01T00:00:00Z", None),
    ("", None),
])
def test_times_with_any_offset_and_fraction(text: str, expected: datetime | None) -> None:
    payload = load("alertmanager_firing.json")
    payload["alerts"][0]["startsAt"] = text
    assert parse_alert(payload)[0].started_at == expected


# -- severity --------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "severity"), [
    ("critical", Severity.SEV1), ("CRITICAL", Severity.SEV1), ("page", Severity.SEV1), ("P1", Severity.SEV1),
    ("high", Severity.SEV2), ("error", Severity.SEV2), ("major", Severity.SEV2), ("p2", Severity.SEV2),
    ("SEV-2", Severity.SEV2), ("sev2", Severity.SEV2), ("2", Severity.SEV2), ("sev_1", Severity.SEV1),
    ("warning", Severity.SEV3), ("info", Severity.SEV3), ("none", Severity.SEV3), ("9", Severity.SEV3),
    ("", Severity.SEV3),
])
def test_webhook_severity(label: str, severity: Severity) -> None:
    assert webhook_severity(label) is severity


def test_severity_label_or_priority_label_in_a_webhook() -> None:
    payload = load("alertmanager_firing.json")
    labels = payload["alerts"][0]["labels"]
    del labels["severity"]
    assert parse_alert(payload)[0].severity is Severity.SEV3
    labels["priority"] = "P2"
    assert parse_alert(payload)[0].severity is Severity.SEV2


def test_asset_label_names() -> None:
    payload = load("alertmanager_firing.json")
    labels = payload["alerts"][0]["labels"]
    labels["dataset"] = "stg_ad_spend"
    assert parse_alert(payload)[0].asset == "stg_ad_spend"
    labels["asset"] = "stg-ad-spend"
    assert parse_alert(payload)[0].asset == "stg-ad-spend"
    labels["oncall_asset"] = "fct-weekly-cac"  # the most specific name wins
    assert parse_alert(payload)[0].asset == "fct-weekly-cac"


def test_generic_severity_is_strict() -> None:
    assert parse_alert({"title": "t", "severity": "critical"})[0].severity is Severity.SEV1
    assert parse_alert({"title": "t", "severity": 2})[0].severity is Severity.SEV2
    with pytest.raises(PayloadError, match=r"^severity: unknown severity \"sev-4\""):
        parse_alert({"title": "t", "severity": "sev-4"})


# -- malformed payloads: the path of the problem ---------------------------------------------


def alertmanager(**alert) -> dict:
    payload = load("alertmanager_firing.json")
    payload["alerts"] = [payload["alerts"][0], {**payload["alerts"][0], **alert}]
    return payload


@pytest.mark.parametrize(("payload", "message"), [
    (b"", "empty: expected a JSON alert or a webhook payload"),
    (b"   \n", "empty: expected a JSON alert or a webhook payload"),
    (b"{\"title\": ", "not JSON: Expecting value at line 1 column 11"),
    (b"\xc3\x28", "not UTF-8 text (byte 0): JSON must be UTF-8"),
    (b"\"an alert\"", "expected a JSON object (an alert or a webhook payload) or a list of alerts, got a string"),
    (b"null", "expected a JSON object (an alert or a webhook payload) or a list of alerts, got null"),
    ({"version": "4", "alerts": None}, "alerts: expected a list of alerts, got null"),
    ({"version": "4", "alerts": [1]}, "alerts[0]: expected an object, got a number"),
    (alertmanager(labels=["a"]), "alerts[1].labels: expected an object, got a list"),
    (alertmanager(labels=None), "alerts[1].labels: expected an object, got null"),
    (alertmanager(labels={"severity": 1}), "alerts[1].labels.severity: expected a string, got a number"),
    (alertmanager(annotations="x"), "alerts[1].annotations: expected an object, got a string"),
    (alertmanager(status="ok"), "alerts[1].status: expected \"firing\" or \"resolved\", got \"ok\""),
    (alertmanager(startsAt="2023-02-06 13:08"), "alerts[1].startsAt: \"2023-02-06 13:08\" has no time zone"),
    (alertmanager(endsAt="soon"), "alerts[1].endsAt: cannot read \"soon\" as a time"),
    (alertmanager(startsAt=1675688925), "alerts[1].startsAt: expected a string, got a number"),
    (alertmanager(fingerprint=["x"]), "alerts[1].fingerprint: expected a string, got a list"),
    (alertmanager(fingerprint="f" * 501), "alerts[1].fingerprint: longer than 500 characters"),
    (alertmanager(generatorURL=False), "alerts[1].generatorURL: expected a string, got true/false"),
    ({"version": "5", "alerts": []}, "version: expected \"4\""),
    ({"evalMatches": [], "ruleName": "x", "state": "alerting", "title": "t"},
     "this is Grafana's legacy alerting webhook"),
    ({}, "title: missing"),
    ({"title": "   "}, "title: missing"),
    ({"title": 5}, "title: expected a string, got a number"),
    ({"title": "t", "status": "open"}, "status: expected \"firing\" or \"resolved\", got \"open\""),
    ({"title": "t", "firing": "yes"}, "firing: expected true or false, got a string"),
    ({"title": "t", "firing": True, "status": "resolved"}, "firing: says true but status says \"resolved\""),
    ({"title": "t", "severity": ["SEV-1"]}, "severity: expected a string, got a list"),
    ({"title": "t", "started_at": "tomorrow"}, "started_at: cannot read \"tomorrow\" as a time"),
    ([{"title": "ok"}, "x"], "[1]: expected an object, got a string"),
    ([{"title": "ok"}, {"title": "t", "asset": 3}], "[1].asset: expected a string, got a number"),
])
def test_malformed_payloads_name_the_path(payload, message: str) -> None:
    with pytest.raises(PayloadError) as raised:
        parse_alert(payload)
    assert str(raised.value).startswith(message)


def test_a_path_error_keeps_its_parts() -> None:
    with pytest.raises(PayloadError) as raised:
        parse_alert(alertmanager(labels=[]))
    assert (raised.value.path, raised.value.problem) == ("alerts[1].labels", "expected an object, got a list")
    assert isinstance(raised.value, ValueError)


def test_deeply_nested_json_is_refused_plainly() -> None:
    with pytest.raises(PayloadError, match="nested too deeply"):
        parse_alert(b"[" * 100_000 + b"]" * 100_000)


def test_a_long_description_is_cut_for_the_timeline() -> None:
    payload = load("alertmanager_firing.json")
    payload["alerts"][0]["annotations"]["description"] = "x" * 50_000
    details = parse_alert(payload)[0].details
    assert len(details) == 4000 and details.endswith("…")


def test_a_number_too_long_to_read_is_a_payload_error_not_a_crash() -> None:
    with pytest.raises(PayloadError, match="4300 digits"):
        parse_alert('{"title": "x", "x": ' + "9" * 5000 + "}")
