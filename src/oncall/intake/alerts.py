"""Alert payloads read into `Signal`s: one generic JSON alert (or a list of them), and the webhooks
of Prometheus Alertmanager (payload version 4) and Grafana alerting, exactly as they post them.

Pure: no database, no network. `parse_alert` says which format it found by the origin of the
signals ("alert", "alertmanager", "grafana"); anything it cannot read raises `PayloadError`, whose
message names the JSON path (`alerts[2].labels: expected an object, got a list`), before a single
signal is returned, so a malformed payload changes nothing.

Where things come from in a webhook alert (docs/alerts.md has the table):
key ← `fingerprint` (else the same FNV-1a hash of the labels Alertmanager uses); title ←
label `alertname` and annotation `summary` (`alertname: summary`, or either alone); asset ←
label `oncall_asset`, `asset` or `dataset`; severity ← label `severity` (or `priority`) through
`webhook_severity`; details ← annotation `description` (or `message`), the runbook URL and
Grafana's values; link ← Grafana's panel or dashboard URL, else `generatorURL`. A zero `endsAt`
(`0001-01-01T00:00:00Z`, Go's zero time) is none.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from oncall.domain.intake import KEY_MAX, Signal
from oncall.domain.severity import Severity

FORMATS = {"alert": "a generic alert", "alertmanager": "an Alertmanager webhook (version 4)",
           "grafana": "a Grafana alerting webhook"}
DETAILS_MAX = 4000  # characters of description kept for the timeline; a runaway template stays short

ASSET_LABELS = ("oncall_asset", "asset", "dataset")  # the first one present wins
SEVERITY_LABELS = ("severity", "priority")
GRAFANA_FIELDS = frozenset({"silenceURL", "dashboardURL", "panelURL", "values", "valueString", "imageURL"})
# Words alerting rules use for severity. Anything not listed (warning, info, none, ...) is SEV-3
# in a webhook; in a generic alert, which a person or a script wrote for oncall, it is an error.
SEVERITY_WORDS = {
    **dict.fromkeys(("critical", "crit", "page", "p1", "fatal", "emergency", "disaster"), Severity.SEV1),
    **dict.fromkeys(("high", "error", "major", "p2"), Severity.SEV2),
    **dict.fromkeys(("medium", "moderate", "warning", "warn", "minor", "low", "info", "p3", "p4", "p5"),
                    Severity.SEV3),
}


class PayloadError(ValueError):
    """A payload oncall cannot read; the message starts with the JSON path of the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


def parse_alert(body: bytes | str | dict | list, *, expect: str | None = None) -> list[Signal]:
    """Read a payload in any of the three formats; with `expect` ("alertmanager", "grafana",
    "alert"), a payload of another format is refused. Raises `PayloadError`."""
    document = _load(body)
    found = detect_format(document)
    if expect is not None and found != expect:
        raise PayloadError("", f"expected {FORMATS[expect]}, got {FORMATS[found]}")
    if found == "alert":
        if isinstance(document, list):
            return [_generic(_object(item, f"[{i}]"), f"[{i}].") for i, item in enumerate(document)]
        return [_generic(document, "")]
    return _webhook(document, found)


def detect_format(document: Any) -> str:
    """"alertmanager", "grafana" or "alert" (the generic form); raises `PayloadError` for JSON
    that is none of them."""
    if isinstance(document, list):
        return "alert"
    if not isinstance(document, dict):
        raise PayloadError("", f"expected a JSON object (an alert or a webhook payload) or a list of alerts, "
                               f"got {_kind(document)}")
    if "alerts" not in document:
        if "evalMatches" in document or "ruleId" in document:
            raise PayloadError("", "this is Grafana's legacy alerting webhook (before Grafana 8), which oncall "
                                   "does not read: send from a contact point of Grafana alerting instead")
        return "alert"
    if "orgId" in document or _grafana_alerts(document.get("alerts")):
        return "grafana"
    version = document.get("version")
    if version is None or version == "4":  # hand-made test posts often leave the version out
        return "alertmanager"
    raise PayloadError("version", f"expected \"4\" (Alertmanager's webhook payload; Grafana's also has orgId), "
                                  f"got {json.dumps(version)[:40]}")


def webhook_severity(text: str) -> Severity:
    """A `severity` label as alerting rules write it: critical/page → SEV-1, high/error/major →
    SEV-2, SEV-2 / sev2 / 2 as written; anything else (warning, info, ...) → SEV-3."""
    try:
        return _severity_word(text)
    except ValueError:
        return Severity.SEV3


def label_fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager's fingerprint of a label set (prometheus/common `LabelSet.Fingerprint`: FNV-1a
    64 over the sorted names and values, each followed by 0xff), for payloads that lack one."""
    digest = 0xCBF29CE484222325
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in part.encode("utf-8") + b"\xff":
                digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


# -- the formats ------------------------------------------------------------------------------


def _webhook(document: dict, origin: str) -> list[Signal]:
    alerts = document.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts", f"expected a list of alerts, got {_kind(alerts)}")
    group_status = document.get("status")
    return [_webhook_alert(_object(raw, f"alerts[{i}]"), f"alerts[{i}].", origin, group_status)
            for i, raw in enumerate(alerts)]


def _webhook_alert(alert: dict, at: str, origin: str, group_status: Any) -> Signal:
    labels = _strings(alert, "labels", at, required=True)
    annotations = _strings(alert, "annotations", at)
    status = alert.get("status", group_status)
    if status not in ("firing", "resolved"):
        shown = "missing" if status is None else f"got {json.dumps(status)[:40]}"
        raise PayloadError(f"{at}status", f"expected \"firing\" or \"resolved\", {shown}")
    fingerprint = _text(alert, "fingerprint", at) or label_fingerprint(labels)
    summary, alertname = annotations.get("summary", "").strip(), labels.get("alertname", "").strip()
    if summary and alertname and alertname.lower() not in summary.lower():
        summary = f"{alertname}: {summary}"  # "High memory usage: triggered for zone us-1": what and where
    title = summary or alertname or f"alert {fingerprint}"
    severity_label = next((name for name in SEVERITY_LABELS if labels.get(name, "").strip()), None)
    ends_at = _time(alert, "endsAt", at)
    link = ""
    if origin == "grafana":
        link = _text(alert, "panelURL", at) or _text(alert, "dashboardURL", at)
    details = [annotations.get("description") or annotations.get("message") or ""]
    if annotations.get("runbook_url"):
        details.append(f"runbook: {annotations['runbook_url']}")
    if origin == "grafana":
        details.append(_grafana_values(alert))
    return _signal(at, {
        "origin": origin,
        "key": (fingerprint, "fingerprint"),
        "title": (title, "annotations.summary"),
        "asset": (next((labels[name].strip() for name in ASSET_LABELS if labels.get(name, "").strip()), ""),
                  "labels.asset"),
        "severity": (webhook_severity(labels[severity_label]) if severity_label else Severity.SEV3, "labels.severity"),
        "firing": status == "firing",
        "started_at": (_time(alert, "startsAt", at), "startsAt"),
        "observed_at": (ends_at if status == "resolved" else None, "endsAt"),
        "link": (link or _text(alert, "generatorURL", at), "generatorURL"),
        "details": ("\n".join(part for part in details if part), "annotations.description"),
    })


def _generic(alert: dict, at: str) -> Signal:
    """{"source", "key", "title", "asset", "severity", "status" (firing|resolved) or "firing"
    (true|false), "started_at", and optionally "observed_at"/"ended_at", "link"/"url",
    "details"/"description"}. A title or a key is required: the key defaults to `asset/title`, the
    title to the key (`oncall alert --key K --resolved` resolves without repeating the title)."""
    title, key = _text(alert, "title", at).strip(), _text(alert, "key", at).strip()
    if not title and not key:
        raise PayloadError(f"{at}title", "missing: an alert needs a title (or at least a key)")
    asset = _text(alert, "asset", at).strip()
    key = key or (f"{asset}/{title}" if asset else title)
    title = title or key
    severity = alert.get("severity")
    if severity is None or severity == "":
        level = Severity.SEV3
    elif isinstance(severity, (str, int)) and not isinstance(severity, bool):
        try:
            level = _severity_word(str(severity))
        except ValueError:
            raise PayloadError(f"{at}severity", f"unknown severity {json.dumps(severity)[:40]}: use SEV-1, SEV-2, "
                                                "SEV-3, or critical, high, warning") from None
    else:
        raise PayloadError(f"{at}severity", f"expected a string, got {_kind(severity)}")
    source = _text(alert, "source", at).strip()
    details = _text(alert, "details", at) or _text(alert, "description", at)
    field = "observed_at" if "observed_at" in alert else "ended_at"
    return _signal(at, {
        "origin": "alert",
        "key": (key, "key"),
        "title": (title, "title"),
        "asset": (asset, "asset"),
        "severity": (level, "severity"),
        "firing": _generic_firing(alert, at),
        "started_at": (_time(alert, "started_at", at), "started_at"),
        "observed_at": (_time(alert, field, at), field),
        "link": (_text(alert, "link", at) or _text(alert, "url", at), "link"),
        "details": ("\n".join(part for part in (f"from {source}" if source else "", details) if part), "details"),
    })


def _generic_firing(alert: dict, at: str) -> bool:
    status, firing = alert.get("status"), alert.get("firing")
    if firing is not None and not isinstance(firing, bool):
        raise PayloadError(f"{at}firing", f"expected true or false, got {_kind(firing)}")
    if status is None:
        return True if firing is None else firing
    if not isinstance(status, str) or status.strip().lower() not in ("firing", "resolved"):
        raise PayloadError(f"{at}status", f"expected \"firing\" or \"resolved\", got {json.dumps(status)[:40]}")
    said = status.strip().lower() == "firing"
    if firing is not None and firing != said:
        raise PayloadError(f"{at}firing", f"says {json.dumps(firing)} but status says {json.dumps(status)}")
    return said


# -- reading JSON, with the path of every problem ---------------------------------------------


def _load(body: bytes | str | dict | list) -> Any:
    if isinstance(body, (dict, list)):
        return body
    if isinstance(body, (bytes, bytearray, memoryview)):
        try:
            body = bytes(body).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise PayloadError("", f"not UTF-8 text (byte {error.start}): JSON must be UTF-8") from None
    if not body.strip():
        raise PayloadError("", "empty: expected a JSON alert or a webhook payload")
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise PayloadError("", f"not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise PayloadError("", "not JSON oncall can read: nested too deeply") from None
    except ValueError as error:  # a number of more than 4,300 digits (Python's guard against slow parsing)
        raise PayloadError("", f"not JSON oncall can read: {str(error).split(';')[0]}") from None


def _signal(at: str, fields: dict[str, Any]) -> Signal:
    """Build the Signal; a field it refuses is reported at the JSON path it came from."""
    values = {name: value[0] if isinstance(value, tuple) else value for name, value in fields.items()}
    if len(values["details"]) > DETAILS_MAX:
        values["details"] = values["details"][: DETAILS_MAX - 1] + "…"
    key_field = fields["key"][1]
    if len(values["key"]) > KEY_MAX:
        raise PayloadError(f"{at}{key_field}", f"longer than {KEY_MAX} characters")
    try:
        return Signal(**values)
    except ValidationError as error:
        detail = error.errors()[0]
        name = str(detail["loc"][0]) if detail["loc"] else ""
        source = fields.get(name)
        where = f"{at}{source[1]}" if isinstance(source, tuple) else at.rstrip(".")
        raise PayloadError(where, detail["msg"].removeprefix("Value error, ")) from None


def _object(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(path, f"expected an object, got {_kind(value)}")
    return value


def _text(owner: dict, name: str, at: str) -> str:
    value = owner.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{at}{name}", f"expected a string, got {_kind(value)}")
    return value


def _strings(owner: dict, name: str, at: str, *, required: bool = False) -> dict[str, str]:
    """Labels or annotations: an object of strings (missing or null is none, unless required)."""
    value = owner.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{at}{name}", f"expected an object, got {_kind(value)}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise PayloadError(f"{at}{name}.{key}", f"expected a string, got {_kind(item)}")
    return value


def _time(owner: dict, name: str, at: str) -> datetime | None:
    """RFC 3339 with any offset and any fraction (Go writes nanoseconds); Go's zero time, null or
    "" is none. A time without an offset is refused: nobody can know which zone it meant."""
    text = _text(owner, name, at).strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(f"{at}{name}", f"cannot read {json.dumps(text)[:60]} as a time: "
                                          "use RFC 3339, such as 2026-11-27T09:30:00Z") from None
    if moment.year == 1:  # Go's zero time.Time: "not set"
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise PayloadError(f"{at}{name}", f"{json.dumps(text)[:60]} has no time zone: add Z or an offset "
                                          "such as +01:00")
    return moment.astimezone(timezone.utc)


def _severity_word(text: str) -> Severity:
    word = text.strip().lower()
    if word in SEVERITY_WORDS:
        return SEVERITY_WORDS[word]
    return Severity.parse(word)


def _grafana_alerts(alerts: Any) -> bool:
    """Grafana's alerts carry fields Alertmanager's never do."""
    first = alerts[0] if isinstance(alerts, list) and alerts else None
    return isinstance(first, dict) and not GRAFANA_FIELDS.isdisjoint(first)


def _grafana_values(alert: dict) -> str:
    values = alert.get("values")
    if isinstance(values, dict) and values:
        shown = ", ".join(f"{name}={_number(value)}" for name, value in values.items())
        return f"values: {shown}"
    value_string = alert.get("valueString")
    return f"values: {value_string}" if isinstance(value_string, str) and value_string.strip() else ""


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return json.dumps(value)[:40]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
