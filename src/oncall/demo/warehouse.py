"""The demo's warehouse: a small SQLite file with the CAC pilot's tables in the state the demo
incidents describe, so a runbook's evidence queries find what the story says, on any day.

Everything is relative to `now`:

- `new_customers`: ~30 days of signups by channel, and none for yesterday (the CRM export
  delivered a partial file: INC-1, "new-customer count dropped 78%");
- `ad_spend`: last loaded 26 hours before `now` (the dbt freshness alert), and no TikTok rows
  for the last days ("Ad spend for TikTok campaigns missing": the new channel is not mapped);
- `fct_weekly_cac`: 8 weeks by channel; blended CAC ~$95, and $412 for the latest week (the week
  with the missing day: the exec dashboard's "CAC for week 47 shows $412 instead of ~$95");
- `load_audit`: a daily load of each table, the latest `new_customers` one a "success"
  that loaded 0 rows (the silent failure behind INC-1).
"""

from __future__ import annotations

import os
import random
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

DAYS = 30
WEEKS = 8
# Paid signups a day and ad spend a day (USD) by channel: a blended CAC of about $95.
SIGNUPS = {"google": 95, "meta": 68, "tiktok": 30, "organic": 45}
SPEND = {"google": 8_850.0, "meta": 6_430.0, "tiktok": 3_000.0}
LATEST_CAC = 412.0
SEED = 47  # the same rows every time (the week of INC-1)

SCHEMA = """
CREATE TABLE new_customers (customer_id INTEGER PRIMARY KEY, signup_date TEXT NOT NULL, channel TEXT NOT NULL);
CREATE INDEX new_customers_by_date ON new_customers (signup_date);
CREATE TABLE ad_spend (spend_date TEXT NOT NULL, channel TEXT NOT NULL, spend_usd REAL NOT NULL,
                       loaded_at TEXT NOT NULL);
CREATE TABLE fct_weekly_cac (week_start TEXT NOT NULL, channel TEXT NOT NULL, spend_usd REAL NOT NULL,
                             new_customers INTEGER NOT NULL, cac_usd REAL NOT NULL);
CREATE TABLE load_audit (table_name TEXT NOT NULL, loaded_at TEXT NOT NULL, rows_loaded INTEGER NOT NULL,
                         status TEXT NOT NULL);
"""


def ensure_warehouse(path: Path, now: datetime) -> bool:
    """Build the warehouse at `path` unless it is there already; whether it was built."""
    if path.exists():
        return False
    build_warehouse(path, now)
    return True


def build_warehouse(path: Path, now: datetime) -> None:
    """Write the warehouse to `path`, replacing any file there (atomically: a reader never sees half)."""
    now = now.astimezone(timezone.utc) if now.tzinfo else now.replace(tzinfo=timezone.utc)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.unlink(missing_ok=True)
    conn = sqlite3.connect(partial)
    try:
        with conn:
            conn.executescript(SCHEMA)
            rng = random.Random(SEED)
            signups = _new_customers(conn, rng, now.date())
            spend_rows = _ad_spend(conn, rng, now)
            cac_rows = _weekly_cac(conn, rng, now.date())
            _load_audit(conn, now, signups, spend_rows, cac_rows)
    finally:
        conn.close()
    os.replace(partial, path)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _new_customers(conn: sqlite3.Connection, rng: random.Random, today: date) -> dict[date, int]:
    """Signups for the 30 days before today, except yesterday; the count by day."""
    rows, by_day = [], {}
    for back in range(DAYS, 1, -1):  # yesterday (back == 1) never arrived; today is not loaded yet
        day = today - timedelta(days=back)
        weekend = day.weekday() >= 5
        by_day[day] = 0
        for channel, usual in SIGNUPS.items():
            count = max(5, round(usual * rng.uniform(0.8, 1.2) * (0.85 if weekend else 1.0)))
            rows += [(day.isoformat(), channel)] * count
            by_day[day] += count
    conn.executemany("INSERT INTO new_customers (signup_date, channel) VALUES (?, ?)", rows)
    return by_day


def _ad_spend(conn: sqlite3.Connection, rng: random.Random, now: datetime) -> dict[datetime, int]:
    """Each day's spend, loaded the next day; the last load 26 hours ago; rows by load time."""
    last_load = now - timedelta(hours=26)
    loads: dict[datetime, int] = {}
    rows = []
    for back in range(DAYS - 1, -1, -1):
        loaded = last_load - timedelta(days=back)
        day = loaded.date() - timedelta(days=1)
        channels = [c for c in SPEND if not (c == "tiktok" and back <= 1)]  # TikTok not mapped any more
        for channel in channels:
            rows.append((day.isoformat(), channel, round(SPEND[channel] * rng.uniform(0.85, 1.15), 2), _iso(loaded)))
        loads[loaded] = len(channels)
    conn.executemany("INSERT INTO ad_spend VALUES (?, ?, ?, ?)", rows)
    return loads


def _weekly_cac(conn: sqlite3.Connection, rng: random.Random, today: date) -> int:
    """8 weeks by channel, the latest the week with yesterday in it; blended CAC ~$95, then $412."""
    yesterday = today - timedelta(days=1)
    latest = yesterday - timedelta(days=yesterday.weekday())
    rows = []
    for back in range(WEEKS - 1, -1, -1):
        week = latest - timedelta(weeks=back)
        spend = {c: round(7 * SPEND[c] * rng.uniform(0.95, 1.05), 2) for c in SPEND}
        if back:
            customers = {c: round(7 * SIGNUPS[c] * rng.uniform(0.96, 1.04)) for c in SPEND}
        else:  # the partial CRM file: 77% of the week's new customers missing, so CAC ×4.3
            total = sum(spend.values())
            wanted = round(total / LATEST_CAC)
            customers = {c: round(wanted * SIGNUPS[c] / sum(SIGNUPS[k] for k in SPEND)) for c in SPEND}
            customers["google"] += wanted - sum(customers.values())
            spend["google"] = round(spend["google"] + LATEST_CAC * wanted - total, 2)  # exactly $412 blended
        rows += [(week.isoformat(), c, spend[c], customers[c], round(spend[c] / customers[c], 2)) for c in SPEND]
    conn.executemany("INSERT INTO fct_weekly_cac VALUES (?, ?, ?, ?, ?)", rows)
    return len(rows)


def _load_audit(conn: sqlite3.Connection, now: datetime, signups: dict[date, int],
                spend_loads: dict[datetime, int], cac_rows: int) -> None:
    """A daily load of each table; the latest new_customers load succeeded with 0 rows."""
    rows = [("ad_spend", _iso(loaded), count, "success") for loaded, count in spend_loads.items()]
    for back in range(DAYS - 1, -1, -1):
        loaded = now - timedelta(days=back, hours=3)  # loads the day before `now - back days`
        day = (now - timedelta(days=back)).date() - timedelta(days=1)
        rows.append(("new_customers", _iso(loaded), signups.get(day, 0), "success"))
        rows.append(("fct_weekly_cac", _iso(loaded + timedelta(hours=1)), cac_rows, "success"))
    rows.sort(key=lambda row: row[1])
    conn.executemany("INSERT INTO load_audit VALUES (?, ?, ?, ?)", rows)
