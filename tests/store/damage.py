"""Ways a database file gets hurt, done to a real file: cut short, pages blanked, overwritten.
And a small history to hurt: real incidents with notes (so an outbox) and synthetic history (so
the file spans many pages)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from oncall.demo.generate import generate_incidents
from oncall.domain.severity import Severity
from oncall.service.incidents import Declaration, IncidentService

PAGE = 4096


def fill(service: IncidentService, real: int = 6, synthetic: int = 150) -> None:
    """`real` incidents declared with notes (each queued in the outbox), then synthetic history."""
    for n in range(1, real + 1):
        incident = service.declare(Declaration(title=f"orders late {n}", severity=Severity.SEV2, asset="cac-pipeline"))
        service.add_note(incident.id, f"checked the export, take {n}")
    if synthetic:
        generate_incidents(service.db, service.config, synthetic, service.clock.now(), seed=3)


def cut_short(path: Path, keep_bytes: int) -> None:
    with open(path, "r+b") as file:
        file.truncate(keep_bytes)


def blank_pages(path: Path, *pages: int) -> None:
    """Overwrite whole pages (numbered from 1, as SQLite does) with zeros."""
    with open(path, "r+b") as file:
        for page in pages:
            file.seek((page - 1) * PAGE)
            file.write(b"\x00" * PAGE)


def pages_of(path: Path, table: str, kind: str = "leaf") -> list[int]:
    """The pages of a table (`leaf` or `internal`) in key order, from SQLite's dbstat table."""
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? ORDER BY path", (table, kind))]
    finally:
        conn.close()


def root_page(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    finally:
        conn.close()


def page_count(path: Path) -> int:
    return path.stat().st_size // PAGE


def table_rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [tuple(row) for row in conn.execute(sql)]
    finally:
        conn.close()
