"""Gathering evidence: a step's command or query runs within its time limit, stops on cancel,
never goes through a shell, cannot write to a source, and shows its output safely.

Commands are this Python (`-I -S`: no site, so no clock-moving sitecustomize and a fast start)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from oncall.domain.runbook import Evidence
from oncall.domain.sources import Source
from oncall.evidence import EvidenceResult, describe, resolve_timeout, run_evidence

PY = (sys.executable, "-I", "-S", "-c")
PRINT_ARGV = "import json, sys; print(json.dumps(sys.argv[1:]))"
FOREVER = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
HOSTILE = "orders'; DROP TABLE t; -- $(touch pwned) `touch pwned` a b\n\x1b[2J"


def command(*argv: str, timeout: float = 5.0) -> Evidence:
    return Evidence(kind="command", sql="", command=tuple(argv), source="", timeout=timeout, line=1)


def query(sql: str, source: str = "wh", timeout: float = 5.0) -> Evidence:
    return Evidence(kind="sql", sql=sql, command=(), source=source, timeout=timeout, line=1)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    conn = sqlite3.connect(folder / "wh.sqlite")
    with conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, amount REAL)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, f"row-{i}", i * 1.5) for i in range(1, 61)])
    conn.close()
    return folder


@pytest.fixture
def sources() -> dict[str, Source]:
    return {"wh": Source(name="wh", kind="sqlite", path="wh.sqlite"),
            "gone": Source(name="gone", kind="sqlite", path="missing/nothing.sqlite"),
            "duck": Source(name="duck", kind="duckdb", path="wh.duckdb")}


def run(evidence: Evidence, root: Path, sources: dict[str, Source] | None = None,
        values: dict[str, str] | None = None, **kwargs) -> EvidenceResult:
    return run_evidence(evidence, values or {}, sources or {}, root, **kwargs)


def gone(pid: int) -> bool:
    """Whether the process has ended (a zombie waiting for a reaper counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return state in ("Z", "X")


def wait_for(condition, within: float = 1.0) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# ---- the time limit --------------------------------------------------------------------------


def test_a_command_that_runs_too_long_is_stopped_with_everything_it_started(root: Path) -> None:
    pid_file = root / "grandchild.pid"
    script = (f"import subprocess, sys, time\n"
              f"g = subprocess.Popen([sys.executable, '-I', '-S', '-c', 'import time; time.sleep(10)'])\n"
              f"open({str(pid_file)!r}, 'w').write(str(g.pid))\n"
              f"print('started', flush=True)\n"
              f"time.sleep(10)\n")
    result = run(command(*PY, script), root, timeout=0.6)

    assert result.timed_out and not result.ok and not result.cancelled
    assert 0.6 <= result.duration < 1.5
    assert "time limit of 0.6 s" in result.error
    assert "started" in result.output  # what it printed before the limit is kept
    grandchild = int(pid_file.read_text())
    assert wait_for(lambda: gone(grandchild)), "the grandchild outlived the time limit"


def test_a_query_that_runs_forever_is_stopped_at_the_limit(root: Path, sources: dict[str, Source]) -> None:
    started = time.monotonic()
    result = run(query(FOREVER), root, sources, timeout=0.3)

    assert result.timed_out and not result.ok
    assert time.monotonic() - started < 1.0
    assert "time limit of 0.3 s" in result.error


def test_the_step_sets_the_limit_unless_the_caller_does() -> None:
    assert resolve_timeout(command("x", timeout=5.0)) == 5.0
    assert resolve_timeout(command("x", timeout=5.0), timeout=0.5) == 0.5
    assert resolve_timeout(command("x", timeout=0)) == 30.0


def test_the_steps_own_limit_applies(root: Path) -> None:
    result = run(command(*PY, "import time; time.sleep(10)", timeout=0.3), root)
    assert result.timed_out and result.duration < 1.5


# ---- cancel (esc) ----------------------------------------------------------------------------


def _cancel_during(evidence: Evidence, root: Path, sources: dict[str, Source]) -> tuple[EvidenceResult, float]:
    cancel = threading.Event()
    results: list[EvidenceResult] = []
    worker = threading.Thread(target=lambda: results.append(run(evidence, root, sources, cancel=cancel)))
    worker.start()
    time.sleep(0.15)  # let it get going
    assert not results, "finished before it could be cancelled"
    pressed = time.monotonic()
    cancel.set()
    worker.join(2.0)
    return results[0], time.monotonic() - pressed


def test_cancel_stops_a_command_at_once(root: Path, sources: dict[str, Source]) -> None:
    result, after = _cancel_during(command(*PY, "import time; time.sleep(10)"), root, sources)
    assert result.cancelled and not result.ok and not result.timed_out
    assert after < 0.3
    assert result.error.startswith("Cancelled")


def test_cancel_stops_a_query_at_once(root: Path, sources: dict[str, Source]) -> None:
    result, after = _cancel_during(query(FOREVER), root, sources)
    assert result.cancelled and not result.ok
    assert after < 0.2


# ---- never a shell ---------------------------------------------------------------------------


def test_shell_syntax_reaches_the_program_as_literal_arguments(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict] = []
    real_popen = subprocess.Popen

    def spy(args, *rest, **kwargs):
        calls.append({"args": args, **kwargs})
        assert not kwargs.get("shell"), "evidence must never use a shell"
        return real_popen(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", spy)
    tricky = ["$(touch pwned); echo hi", "; rm -rf x", "`touch pwned`", "a b", "*", "> pwned", "&& touch pwned"]
    result = run(command(*PY, PRINT_ARGV, *tricky), root)

    assert result.ok and result.exit_status == 0
    assert json.loads(result.output) == tricky
    assert not (root / "pwned").exists()
    assert len(calls) == 1 and isinstance(calls[0]["args"], list)
    assert calls[0]["start_new_session"] is True


def test_a_hostile_asset_name_stays_one_argument(root: Path) -> None:
    evidence = command(*PY, PRINT_ARGV, "--select", "{asset}", "{table}")
    values = {"asset": HOSTILE, "table": "a b; c", "incident": "INC-1", "today": "2026-11-27"}
    result = run(evidence, root, values=values)

    assert json.loads(result.output) == ["--select", HOSTILE, "a b; c"]
    assert not (root / "pwned").exists()
    shown = describe(evidence, values, {}, root)
    # The confirmation shows it as one argument, with the escape visible rather than acted on.
    assert "\x1b" not in shown and "\\x1b[2J" in shown
    assert "  7. $'orders\\'; DROP TABLE t;" in shown
    assert "  8. 'a b; c'" in shown


def test_a_placeholder_with_no_value_is_refused_before_anything_runs(root: Path) -> None:
    evidence = command(*PY, PRINT_ARGV, "{asset}")
    result = run(evidence, root, values={"incident": "INC-3"})
    assert not result.ok and result.exit_status is None
    assert "{asset}" in result.error and "no asset" in result.error
    assert describe(evidence, {"incident": "INC-3"}, {}, root).startswith("This evidence cannot run:")


def test_a_missing_program_is_said_plainly(root: Path) -> None:
    result = run(command("oncall-no-such-program-here", "--help"), root)
    assert not result.ok and result.exit_status is None
    assert result.error == "There is no program called oncall-no-such-program-here on this machine (or on its PATH)."


def test_the_exit_status_and_stderr_are_kept(root: Path) -> None:
    result = run(command(*PY, "import sys; print('out'); print('bad input', file=sys.stderr); sys.exit(3)"), root)
    assert not result.ok and result.exit_status == 3 and not result.timed_out
    assert result.output == "out\n── stderr ──\nbad input"


# ---- cannot write --------------------------------------------------------------------------


@pytest.mark.parametrize("sql", [
    "DELETE FROM t",
    "INSERT INTO t (name) VALUES ('x')",
    "UPDATE t SET name = 'x'",
    "CREATE TABLE u (x)",
    "DROP TABLE t",
    "ATTACH DATABASE 'other.sqlite' AS other",
    "SELECT 1; DELETE FROM t",
    "PRAGMA journal_mode = WAL",
    "PRAGMA user_version = 7",
    "VACUUM",
    "WITH x AS (SELECT 1) DELETE FROM t",
])
def test_a_query_cannot_change_its_source(sql: str, root: Path, sources: dict[str, Source]) -> None:
    before = (root / "wh.sqlite").read_bytes()
    result = run(query(sql), root, sources)

    assert not result.ok and result.exit_status == 1
    assert result.error
    assert (root / "wh.sqlite").read_bytes() == before
    assert not (root / "other.sqlite").exists()
    assert sorted(p.name for p in root.iterdir()) == ["wh.sqlite"]


def test_a_write_is_refused_in_words(root: Path, sources: dict[str, Source]) -> None:
    result = run(query("DELETE FROM t"), root, sources)
    assert result.error == "The query was refused: evidence queries only read, and this one asks for DELETE."


def test_a_missing_source_file_is_reported_and_not_created(root: Path, sources: dict[str, Source]) -> None:
    result = run(query("SELECT 1", source="gone"), root, sources)
    assert not result.ok
    assert str(root / "missing" / "nothing.sqlite") in result.error
    assert not (root / "missing").exists()


def test_an_unknown_source_is_named(root: Path, sources: dict[str, Source]) -> None:
    result = run(query("SELECT 1", source="lake"), root, sources)
    assert not result.ok and "'lake'" in result.error and "wh" in result.error


def test_duckdb_sources_without_the_package_say_what_to_install(root: Path, sources: dict[str, Source],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (root / "wh.duckdb").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import fails as if not installed
    result = run(query("SELECT 1", source="duck"), root, sources)
    assert not result.ok
    assert result.error == "DuckDB sources need the duckdb package: pip install duckdb"


def test_values_are_bound_never_spliced_into_the_sql(root: Path, sources: dict[str, Source]) -> None:
    evidence = query("SELECT :asset AS asked, count(*) AS matching FROM t WHERE name = :asset")
    values = {"asset": "x' OR '1'='1", "incident": "INC-1"}
    result = run(evidence, root, sources, values=values)

    assert result.ok and result.rows == 1
    assert result.output.splitlines()[2].split() == ["x'", "OR", "'1'='1", "0"]  # the value, and nothing matched
    assert result.ran.endswith(":asset = 'x'\"'\"' OR '\"'\"'1'\"'\"'='\"'\"'1'")
    shown = describe(evidence, values, sources, root)
    assert "(sqlite, read-only): wh.sqlite" in shown  # the file, relative to the workspace
    assert "WHERE name = :asset" in shown and ":incident" not in shown


# ---- output ----------------------------------------------------------------------------------


def test_a_query_result_is_a_table_with_the_rest_counted(root: Path, sources: dict[str, Source]) -> None:
    result = run(query("SELECT id, name, amount FROM t ORDER BY id"), root, sources)

    assert result.ok and result.exit_status == 0 and result.rows == 60 and result.truncated
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "name", "amount"]
    assert set(lines[1].replace(" ", "")) == {"─"}
    assert lines[2].split() == ["1", "row-1", "1.5"]
    assert len(lines) == 2 + 50 + 1 and lines[-1] == "… 10 more rows"
    assert lines[0].index("name") == lines[2].index("row-1")  # columns line up


def test_an_empty_result_says_so(root: Path, sources: dict[str, Source]) -> None:
    result = run(query("SELECT name FROM t WHERE id < 0"), root, sources)
    assert result.ok and result.rows == 0 and result.output.splitlines() == ["name", "────", "(no rows)"]


def test_a_failing_query_says_why(root: Path, sources: dict[str, Source]) -> None:
    result = run(query("SELECT nope FROM t"), root, sources)
    assert not result.ok and result.exit_status == 1
    assert result.error == "The query failed: no such column: nope."


def test_long_command_output_is_cut_with_a_notice(root: Path) -> None:
    result = run(command(*PY, "for i in range(1000): print('line', i)"), root)
    assert result.ok and result.truncated
    lines = result.output.splitlines()
    assert lines[0] == "line 0" and lines[199] == "line 199" and len(lines) == 201
    assert lines[-1].startswith("… truncated: 200 of 1,000 lines shown")


def test_a_flood_of_output_does_not_hang_and_is_cut(root: Path) -> None:
    script = "import sys; sys.stdout.write('x' * 3_000_000); sys.stderr.write('y' * 3_000_000)"
    result = run(command(*PY, script), root, timeout=1.5)
    assert result.ok and result.truncated and not result.timed_out
    assert len(result.output) < 9_000
    assert "(the command wrote 6,000,000 bytes)" in result.output


def test_bytes_and_escapes_from_a_command_are_made_safe(root: Path) -> None:
    script = ("import sys; sys.stdout.buffer.write("
              "b'caf\\xe9 \\xff \\x1b[31mred\\x1b[0m \\x1b]0;owned\\x07 bell\\x07 done\\r\\nnext\\n')")
    result = run(command(*PY, script), root)
    assert result.ok
    assert result.output == "caf\ufffd \ufffd red  bell done\nnext"


def test_control_characters_in_query_results_are_made_safe(root: Path, sources: dict[str, Source]) -> None:
    result = run(query("SELECT char(27) || '[2Jwiped' || char(10) || 'x' AS v"), root, sources)
    assert result.ok and "\x1b" not in result.output and "wiped x" in result.output


# ---- DuckDB, where it is installed -----------------------------------------------------------


def test_duckdb_reads_but_never_writes(root: Path, sources: dict[str, Source]) -> None:
    duckdb = pytest.importorskip("duckdb")
    path = root / "wh.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE t AS SELECT range AS id, 'row-' || range AS name FROM range(60)")
    conn.close()
    before = path.read_bytes()

    result = run(query("SELECT name, ':asset' AS s, 1::INT AS i FROM t WHERE name = :asset", source="duck"),
                 root, sources, values={"asset": "row-7"})
    assert result.ok and result.rows == 1 and result.output.splitlines()[2].split() == ["row-7", ":asset", "1"]
    for sql in ("DELETE FROM t", "CREATE TABLE u (x INT)", "COPY t TO 'out.csv'", "SELECT 1; SELECT 2",
                "ATTACH 'other.duckdb' AS o"):
        assert not run(query(sql, source="duck"), root, sources).ok, sql
    assert path.read_bytes() == before
    assert not (root / "out.csv").exists() and not (root / "other.duckdb").exists()
    stopped = run(query(FOREVER.replace("count(*)", "max(x)"), source="duck"), root, sources, timeout=0.3)
    assert stopped.timed_out and stopped.duration < 1.5
