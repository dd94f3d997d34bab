"""Run one runbook step's evidence: a command, or a read-only query against a data source.

Plain Python, no Textual: the console calls `run_evidence` from a worker thread and keeps
the `cancel` event for `esc`. What the person confirmed is what runs:

- a command is an argument list given to the program itself (never a shell); a placeholder
  filled from the incident's asset is one whole argument whatever it contains;
- a query binds those values as named parameters, never as SQL text; it opens its source
  read-only, runs one statement, and is refused anything that writes;
- both stop at a time limit (30 s unless the step or the caller says otherwise) or when
  `cancel` is set; a command's whole process group goes, children included.
"""

from __future__ import annotations

import os
import shlex
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from oncall.domain.text import clean_block, clean_line

if TYPE_CHECKING:
    from oncall.domain.runbook import Evidence
    from oncall.domain.sources import Source

DEFAULT_TIMEOUT = 30.0
POLL = 0.05  # how often a running command looks at its time limit and the cancel event
GRACE = 0.5  # between SIGTERM and SIGKILL
MAX_ROWS = 50  # rows shown of a query's result
MAX_COUNTED = 100_000  # rows counted past those shown before the count gives up
MAX_CELL = 80  # characters of one value in the table
MAX_LINES = 200  # lines of a command's output kept
MAX_CHARS = 8_000  # characters of a command's output kept
CAPTURE = 64 * 1024  # bytes read into memory per stream (the rest is counted, then dropped)


@dataclass(frozen=True)
class EvidenceResult:
    ran: str  # exactly what ran, as shown to the person
    ok: bool
    exit_status: int | None  # a command's exit status (negative: killed by that signal); 0/1 for a query
    duration: float  # seconds
    output: str  # a table for a query, stdout then stderr for a command; safe to show
    truncated: bool = False
    timed_out: bool = False
    cancelled: bool = False
    error: str = ""  # a plain sentence when it could not run or was stopped
    rows: int | None = None  # a query's row count


def resolve_timeout(evidence: Evidence, timeout: float | None = None) -> float:
    """The caller's limit if given, else the step's own, else 30 s."""
    if timeout is not None:
        return timeout
    own = getattr(evidence, "timeout", None)
    return float(own) if own and own > 0 else DEFAULT_TIMEOUT


def describe(evidence: Evidence, values: Mapping[str, str], sources: Mapping[str, Source], root: Path) -> str:
    """What will run, for the confirmation screen: every argument, or the source, file, query and values."""
    try:
        return _describe(evidence, values, sources, root)
    except ValueError as missing:
        return f"This evidence cannot run: {_sentence(str(missing))}"


def _describe(evidence: Evidence, values: Mapping[str, str], sources: Mapping[str, Source], root: Path) -> str:
    if evidence.kind == "command":
        argv = _argv(evidence, values)
        lines = [f"Run this command in {root}:", "", "  " + _display_argv(argv), "", "Arguments, one per line:"]
        lines += [f"  {i}. {_display_arg(arg)}" for i, arg in enumerate(argv, start=1)]
        return "\n".join(lines)
    source = sources.get(evidence.source)
    if source is None:
        return f"Query the data source {evidence.source!r}, which oncall.toml does not define:\n\n{evidence.sql.strip()}"
    kind = getattr(source.kind, "value", source.kind)
    lines = [f"Query {source.name} ({kind}, read-only): {_shown_path(source.resolve(root), root)}", "",
             evidence.sql.strip()]
    parameters = _parameters(evidence, values)
    if parameters:
        lines += ["", "With these values (bound as parameters, never pasted into the SQL):"]
        lines += [f"  :{name} = {_display_arg(value)}" for name, value in parameters.items()]
    return "\n".join(lines)


def run_evidence(evidence: Evidence, values: Mapping[str, str], sources: Mapping[str, Source], root: Path, *,
                 timeout: float | None = None, cancel: threading.Event | None = None,
                 clock: Callable[[], float] = time.monotonic) -> EvidenceResult:
    """Run the evidence once and say what happened; never raises for a failure of the thing run."""
    limit = resolve_timeout(evidence, timeout)
    cancel = cancel or threading.Event()
    try:
        if evidence.kind == "command":
            return _run_command(_argv(evidence, values), root, limit, cancel, clock)
        if evidence.kind == "sql":
            return _run_query(evidence, values, sources, root, limit, cancel, clock)
        error = f"evidence of kind {evidence.kind!r} cannot be run"
    except ValueError as missing:  # a placeholder with no value: an incident without an asset
        error = str(missing)
    return EvidenceResult(ran=evidence.describe() if hasattr(evidence, "describe") else "", ok=False,
                          exit_status=None, duration=0.0, output="", error=_sentence(error))


# ---- commands --------------------------------------------------------------------------------


def _argv(evidence: Evidence, values: Mapping[str, str]) -> list[str]:
    from oncall.domain.runbook import fill_command

    return [str(arg) for arg in fill_command(evidence, dict(values))]


def _run_command(argv: list[str], root: Path, limit: float, cancel: threading.Event,
                 clock: Callable[[], float]) -> EvidenceResult:
    ran = _display_argv(argv)
    started = clock()

    def failed(error: str) -> EvidenceResult:
        return EvidenceResult(ran=ran, ok=False, exit_status=None, duration=clock() - started, output="", error=error)

    if not argv or not argv[0]:
        return failed("The step's command is empty.")
    if not Path(root).is_dir():
        return failed(f"The workspace folder {root} does not exist, so the command has nowhere to run.")
    try:
        process = subprocess.Popen(argv, shell=False, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, cwd=root, start_new_session=True)
    except FileNotFoundError:
        return failed(f"There is no program called {_display_arg(argv[0])} on this machine (or on its PATH).")
    except PermissionError:
        return failed(f"{_display_arg(argv[0])} cannot be run: permission denied.")
    except OSError as error:
        return failed(f"{_display_arg(argv[0])} could not be started: {error.strerror or error}.")

    stdout, stderr = _Drain(process.stdout), _Drain(process.stderr)
    timed_out = cancelled = False
    try:
        deadline = started + limit
        while process.poll() is None or stdout.is_alive() or stderr.is_alive():
            if cancel.is_set():
                cancelled = True
                break
            if clock() >= deadline:
                timed_out = True
                break
            if process.poll() is None:
                try:
                    process.wait(POLL)
                except subprocess.TimeoutExpired:
                    pass
            else:  # exited, but something it started still holds the output open
                (stdout if stdout.is_alive() else stderr).join(POLL)
    finally:
        _stop_group(process)  # also on success: nothing it started outlives it
        stdout.join(1.0)
        stderr.join(1.0)
    duration = clock() - started

    output, truncated = _command_output(stdout, stderr)
    status = process.returncode
    error = ""
    if timed_out:
        error = f"Stopped at the time limit of {_seconds(limit)}; the command and everything it started were ended."
    elif cancelled:
        error = "Cancelled; the command and everything it started were ended."
    ok = not (timed_out or cancelled) and status == 0
    return EvidenceResult(ran=ran, ok=ok, exit_status=status, duration=duration, output=output,
                          truncated=truncated, timed_out=timed_out, cancelled=cancelled, error=error)


class _Drain(threading.Thread):
    """Reads one pipe to its end so the child never blocks on a full pipe; keeps the first CAPTURE bytes."""

    def __init__(self, pipe: Any) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.data = bytearray()
        self.total = 0
        self.start()

    def run(self) -> None:
        try:
            while chunk := self.pipe.read1(65536):
                self.total += len(chunk)
                if len(self.data) < CAPTURE:
                    self.data += chunk[: CAPTURE - len(self.data)]
        except (OSError, ValueError):
            pass
        finally:
            try:
                self.pipe.close()
            except OSError:
                pass


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the command's process group, SIGKILL whatever is left after a short grace."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(GRACE)
        except subprocess.TimeoutExpired:
            pass
    # The group outlives its leader while any child is in it; its id cannot be reused until then.
    _signal_group(process.pid, signal.SIGKILL)
    process.wait()


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _command_output(stdout: _Drain, stderr: _Drain) -> tuple[str, bool]:
    """stdout then stderr, decoded and made safe, cut to MAX_LINES lines and MAX_CHARS characters."""
    text = _decode(stdout.data)
    if stderr.data:
        text = (text.rstrip("\n") + "\n" if text else "") + "── stderr ──\n" + _decode(stderr.data)
    lines = text.rstrip("\n").split("\n") if text else []
    kept = lines[:MAX_LINES]
    while kept and len("\n".join(kept)) > MAX_CHARS:
        if len(kept) == 1:
            kept = [kept[0][:MAX_CHARS]]
            break
        kept.pop()
    dropped = stdout.total > len(stdout.data) or stderr.total > len(stderr.data)
    shown = "\n".join(kept)
    if not dropped and kept == lines:
        return shown, False
    written = stdout.total + stderr.total
    notice = (f"… truncated: {len(kept):,} of {len(lines):,}{'+' if dropped else ''} lines shown "
              f"(the command wrote {written:,} bytes)")
    return f"{shown}\n{notice}" if shown else notice, True


def _decode(data: bytes) -> str:
    return clean_block(data.decode("utf-8", "replace"))


# ---- queries ---------------------------------------------------------------------------------


class _Stop(Exception):
    """The query could not run; the message says why."""


class _Interrupted(Exception):
    """The time limit or the cancel event stopped the query between fetches."""


def _parameters(evidence: Evidence, values: Mapping[str, str]) -> dict[str, str]:
    from oncall.domain.runbook import sql_parameters

    return dict(sql_parameters(evidence, dict(values)))


def _run_query(evidence: Evidence, values: Mapping[str, str], sources: Mapping[str, Source], root: Path,
               limit: float, cancel: threading.Event, clock: Callable[[], float]) -> EvidenceResult:
    started = clock()
    sql = evidence.sql.strip()
    parameters = _parameters(evidence, values)
    ran = f"{evidence.source}: {sql}"
    if parameters:
        ran += "\n" + ", ".join(f":{name} = {_display_arg(value)}" for name, value in parameters.items())

    def result(ok: bool, output: str = "", error: str = "", rows: int | None = None, truncated: bool = False,
               timed_out: bool = False, cancelled: bool = False) -> EvidenceResult:
        return EvidenceResult(ran=ran, ok=ok, exit_status=0 if ok else 1, duration=clock() - started,
                              output=output, truncated=truncated, timed_out=timed_out, cancelled=cancelled,
                              error=error, rows=rows)

    source = sources.get(evidence.source)
    if source is None:
        known = ", ".join(sorted(sources)) or "none"
        return result(False, error=f"There is no data source called {evidence.source!r} in oncall.toml "
                                   f"(sources: {known}).")
    path = source.resolve(root)
    if not path.is_file():
        return result(False, error=f"The data source {source.name!r} has no file at {path}.")
    if not sql:
        return result(False, error="The step's query is empty.")

    stop: dict[str, bool] = {"timed_out": False, "cancelled": False}
    deadline = started + limit

    def should_stop() -> bool:
        if cancel.is_set():
            stop["cancelled"] = True
        elif clock() >= deadline:
            stop["timed_out"] = True
        return stop["cancelled"] or stop["timed_out"]

    kind = getattr(source.kind, "value", source.kind)
    try:
        if kind == "duckdb":
            columns, shown, count, more = _query_duckdb(path, sql, parameters, should_stop)
        else:
            columns, shown, count, more = _query_sqlite(path, sql, parameters, should_stop)
    except _Stop as stopped:
        return result(False, error=str(stopped))
    except Exception as error:  # noqa: BLE001 - any driver error is the query's failure, said plainly
        if stop["timed_out"]:
            return result(False, timed_out=True, error=f"Stopped at the time limit of {_seconds(limit)}.")
        if stop["cancelled"]:
            return result(False, cancelled=True, error="Cancelled.")
        return result(False, error=_sentence(f"The query failed: {clean_line(str(error)) or type(error).__name__}"))
    return result(True, output=_table(columns, shown, count, more), rows=count, truncated=count > len(shown))


# What a query may do on SQLite: read. (`mode=ro` and `query_only` already refuse writes to the
# file; this also refuses ATTACH, which could create another file, and pragmas that set things.)
_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
_READ_PRAGMAS = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
                 "foreign_key_list", "database_list", "collation_list", "function_list", "pragma_list",
                 "compile_options"}
_READ_PRAGMAS_NO_VALUE = {"user_version", "schema_version", "page_count", "page_size", "encoding"}
_ACTIONS = {getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ") for name in (
    "ALTER_TABLE", "ANALYZE", "ATTACH", "CREATE_INDEX", "CREATE_TABLE", "CREATE_TEMP_INDEX", "CREATE_TEMP_TABLE",
    "CREATE_TEMP_TRIGGER", "CREATE_TEMP_VIEW", "CREATE_TRIGGER", "CREATE_VIEW", "CREATE_VTABLE", "DELETE", "DETACH",
    "DROP_INDEX", "DROP_TABLE", "DROP_TEMP_INDEX", "DROP_TEMP_TABLE", "DROP_TEMP_TRIGGER", "DROP_TEMP_VIEW",
    "DROP_TRIGGER", "DROP_VIEW", "DROP_VTABLE", "INSERT", "PRAGMA", "REINDEX", "SAVEPOINT", "TRANSACTION", "UPDATE")}


class _ReadOnly:
    """An SQLite authorizer that allows reading only and remembers what it refused."""

    def __init__(self) -> None:
        self.refused = ""

    def __call__(self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
        pragma = (arg1 or "").lower() if action == sqlite3.SQLITE_PRAGMA else ""
        if action in _ALLOWED or pragma in _READ_PRAGMAS or (pragma in _READ_PRAGMAS_NO_VALUE and arg2 is None):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master" and _trigger is None:
            return sqlite3.SQLITE_OK  # asked (oddly) when a table-valued function such as json_each is set up

        self.refused = self.refused or (f"PRAGMA {pragma}" if pragma else _ACTIONS.get(action, f"action {action}"))
        return sqlite3.SQLITE_DENY


def _query_sqlite(path: Path, sql: str, parameters: dict[str, str],
                  should_stop: Callable[[], bool]) -> tuple[list[str], list[tuple[Any, ...]], int, bool]:
    # mode=ro: opening never creates the file and nothing can be written through this connection.
    uri = f"file:{quote(str(path.absolute()), safe='/')}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    authorizer = _ReadOnly()
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.set_authorizer(authorizer)
        conn.set_progress_handler(lambda: 1 if should_stop() else 0, 1000)
        try:
            cursor = conn.execute(sql, parameters)  # one statement: more raise ProgrammingError
            return _fetch(cursor, should_stop)
        except sqlite3.ProgrammingError as error:
            if "one statement" in str(error):
                raise _Stop("The query holds more than one statement; evidence runs exactly one.") from None
            raise
        except sqlite3.DatabaseError:
            if authorizer.refused:
                raise _Stop(f"The query was refused: evidence queries only read, and this one asks for "
                            f"{authorizer.refused}.") from None
            raise
    finally:
        conn.close()


def _query_duckdb(path: Path, sql: str, parameters: dict[str, str],
                  should_stop: Callable[[], bool]) -> tuple[list[str], list[tuple[Any, ...]], int, bool]:
    try:
        import duckdb  # type: ignore[import-not-found]  # optional: only workspaces with DuckDB sources need it
    except ImportError:
        raise _Stop("DuckDB sources need the duckdb package: pip install duckdb") from None
    conn = duckdb.connect(str(path), read_only=True)
    done = threading.Event()

    def watch() -> None:  # DuckDB has no progress handler: interrupt it from beside
        while not done.wait(POLL):
            if should_stop():
                conn.interrupt()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    try:
        # read_only keeps the file as it is; no external access keeps COPY TO, ATTACH and
        # extension installs from writing anywhere else, and the lock keeps the query from undoing it.
        conn.execute("SET enable_external_access = false")
        conn.execute("SET lock_configuration = true")
        sql = _dollar_parameters(sql, parameters)
        if hasattr(conn, "extract_statements") and len(conn.extract_statements(sql)) != 1:
            raise _Stop("The query holds more than one statement; evidence runs exactly one.")
        watcher.start()
        cursor = conn.execute(sql, parameters or None)
        return _fetch(cursor, should_stop)
    finally:
        done.set()
        conn.close()


def _dollar_parameters(sql: str, parameters: Mapping[str, str]) -> str:
    """`:asset` → `$asset` for DuckDB, outside strings, quoted names and comments, never `::cast`."""
    out, i, n = [], 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            end = i + 1
            while end < n and not (sql[end] == ch and sql[end + 1:end + 2] != ch):
                end += 2 if sql[end] == ch else 1
            out.append(sql[i:end + 1])
            i = end + 1
        elif sql.startswith("--", i) or sql.startswith("/*", i):
            end = sql.find("\n" if ch == "-" else "*/", i)
            end = n if end < 0 else end + (1 if ch == "-" else 2)
            out.append(sql[i:end])
            i = end
        elif ch == ":" and sql[i + 1:i + 2] != ":" and (i == 0 or not (sql[i - 1] == ":" or sql[i - 1].isalnum()
                                                                    or sql[i - 1] == "_")):
            end = i + 1
            while end < n and (sql[end].isalnum() or sql[end] == "_"):
                end += 1
            name = sql[i + 1:end]
            out.append(f"${name}" if name in parameters else sql[i:end])
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _fetch(cursor: Any, should_stop: Callable[[], bool]) -> tuple[list[str], list[tuple[Any, ...]], int, bool]:
    """Columns, the first MAX_ROWS rows, how many there are (counted up to MAX_COUNTED), and whether more."""
    if cursor.description is None:
        return [], [], 0, False
    columns = [str(d[0]) for d in cursor.description]
    shown = [tuple(row) for row in cursor.fetchmany(MAX_ROWS)]
    count = len(shown)
    while count < MAX_COUNTED:
        batch = cursor.fetchmany(1000)
        if not batch:
            return columns, shown, count, False
        count += len(batch)
        if should_stop():  # DuckDB has fetched already; SQLite's handler stops it inside fetchmany
            raise _Interrupted
    return columns, shown, count, cursor.fetchone() is not None


def _table(columns: list[str], rows: list[tuple[Any, ...]], count: int, more: bool) -> str:
    if not columns:
        return "(the statement returned no table)"
    cells = [[_cell(value) for value in row] for row in rows]
    headers = [_cell(name) for name in columns]
    numeric = [bool(rows) and all(isinstance(row[i], (int, float)) or row[i] is None for row in rows)
               for i in range(len(columns))]
    widths = [max([len(headers[i])] + [len(row[i]) for row in cells]) for i in range(len(columns))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    lines = [line(headers), "  ".join("─" * w for w in widths)] + [line(row) for row in cells]
    if not rows:
        lines.append("(no rows)")
    elif count > len(rows) or more:
        rest = count - len(rows)
        lines.append(f"… {rest:,}{'+' if more else ''} more row{'s' if rest != 1 or more else ''}")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        text = "NULL"
    elif isinstance(value, bytes):
        text = f"<{len(value)} bytes>"
    elif isinstance(value, float):
        text = format(value, ".10g")
    else:
        text = str(value)
    text = clean_line(text)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


# ---- showing what runs -----------------------------------------------------------------------


def _display_arg(arg: str) -> str:
    """One argument as a shell would need it quoted; unprintable characters as visible escapes."""
    if arg.isprintable():
        return shlex.quote(arg)
    escaped = "".join(
        ch if ch.isprintable() and ch not in "\\'" else
        "\\" + ch if ch in "\\'" else
        f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}"
        for ch in arg)
    return f"$'{escaped}'"


def _display_argv(argv: list[str]) -> str:
    return " ".join(_display_arg(arg) for arg in argv)


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    return text if not text or text[-1] in ".!?" else text + "."


def _seconds(limit: float) -> str:
    return f"{limit:g} s"


def _shown_path(path: Path, root: Path) -> str:
    """The source's file as a person reads it: relative to the workspace when it is inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except (ValueError, OSError):
        return str(path)
