"""The outbox worker: drains pending entries to Jira and Slack, in order per incident.

Incidents are independent, so up to `concurrency` incidents per system are delivered at once
(`pipeline.py`: lanes that only send, one thread that keeps the books); the entries of one
incident go one after another. A failed try is retried with backoff (`retry.py`); an error no
retry can fix marks the entry failed, and if it concerns the whole system (credentials,
project, channel) the worker stops sending to it until a person asks for a retry.

Each pass also reads what comes in (teammates' incidents from Jira every minute, reports in the
Slack incident channel every half minute: `pull.py`) before it delivers, so a report's
acknowledgement goes out in the pass that found it, and after delivering keeps the pinned
known-issues list current (`known_issues_pin.py`). Neither ever holds the deliveries back.

    worker = SyncWorker.for_workspace(workspace)   # offline when neither [jira] nor [slack]
    worker.drain()                                  # `oncall sync`
    worker.watch(stop_event)                        # `oncall sync --watch`, or a console worker thread
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from oncall.store.db import Database, open_database
from oncall.store.intake import SyncState
from oncall.store.outbox import OutboxStore, configured_targets
from oncall.store.remote_ids import RemoteIds, RemoteIncident
from oncall.sync.deliver import Delivery, EmailDelivery, JiraDelivery, SlackDelivery
from oncall.sync.email_adapter import EmailAdapter
from oncall.sync.errors import Permanent, SyncError
from oncall.sync.jira_adapter import JiraAdapter
from oncall.sync.known_issues_pin import KnownIssuesPin
from oncall.sync.pipeline import DeliveryPass
from oncall.sync.pull import PullReport, ReportPull, pull_from_jira, pull_slack_reports
from oncall.sync.retry import BackoffPolicy, RateGate, SystemTimer, Timer
from oncall.sync.slack_adapter import SlackAdapter
from oncall.sync.thread_link import ThreadLinker, linked_thread
from oncall.workspace.config import Config
from oncall.workspace.secrets import MissingSecret, jira_token, slack_token, smtp_password

log = logging.getLogger(__name__)
POLL_SECONDS = 2.0
PULL_EVERY_SECONDS = 60.0
REPORTS_EVERY_SECONDS = 30.0  # how often the Slack incident channel is read for reports
REPORTS_PROBLEM = "slack_reports_problem"  # sync_state: why reports were last not read ('' when they were)


@dataclass
class TargetReport:
    target: str
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    problem: str = ""  # why the whole system is stopped, if it is

    def add(self, other: "TargetReport") -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed
        self.problem = other.problem or self.problem


@dataclass
class SyncReport:
    targets: dict[str, TargetReport] = field(default_factory=dict)
    pulled: PullReport | None = None
    reports: ReportPull | None = None  # reports read from the Slack incident channel, when it was read
    pending: int = 0
    failed: int = 0

    @property
    def complete(self) -> bool:
        return self.pending == 0 and self.failed == 0 and not any(t.problem for t in self.targets.values())

    def lines(self) -> list[str]:
        out = []
        for report in self.targets.values():
            line = f"{report.target}: {report.delivered} delivered, {report.retrying} to retry, {report.failed} failed"
            out.append(line + (f" — {report.problem}" if report.problem else ""))
        if self.pulled:
            out.append(f"jira pull: {self.pulled.created} new, {self.pulled.updated} updated"
                       + (f", {len(self.pulled.skipped)} not imported" if self.pulled.skipped else ""))
            out += [f"  not imported: {line}" for line in self.pulled.skipped]
        if self.reports and (self.reports.opened or self.reports.refused):
            out.append(f"slack reports: {len(self.reports.opened)} new triage item"
                       f"{'s' if len(self.reports.opened) != 1 else ''}"
                       + (f", {len(self.reports.refused)} not taken" if self.reports.refused else ""))
            out += [f"  not taken: {line}" for line in self.reports.refused]
        return out


class _SerializedWrites(Database):
    """A connection whose write transactions take turns with the worker's other threads in
    Python, rather than in SQLite's busy handler, which backs off in sleeps of up to 100 ms."""

    def __init__(self, conn, path, lock: threading.Lock) -> None:
        super().__init__(conn, path)
        self._lock = lock

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        if self.conn.in_transaction:
            with super().write() as conn:
                yield conn
            return
        with self._lock, super().write() as conn:
            yield conn


class SyncWorker:
    def __init__(
        self,
        database_path: Path,
        config: Config,
        *,
        jira: JiraAdapter | None = None,
        slack: SlackAdapter | None = None,
        email: EmailAdapter | None = None,
        timer: Timer | None = None,
        backoff: BackoffPolicy | None = None,
        problems: dict[str, str] | None = None,
        root: Path | None = None,
    ) -> None:
        self.database_path = database_path
        self.config = config
        self.root = root  # the workspace folder: its templates/ answer a reporter (None: the built-ins)
        self.timer = timer or SystemTimer()
        self.backoff = backoff or BackoffPolicy()
        self.adapters: dict[str, JiraAdapter | SlackAdapter | EmailAdapter] = {}
        for target, adapter in (("jira", jira), ("slack", slack), ("email", email)):
            if adapter is not None:
                self.adapters[target] = adapter
        # Systems that are configured but cannot be used (no token, bad credentials, no channel).
        self.blocked: dict[str, str] = dict(problems or {})
        self.stop = threading.Event()  # set: the pass in progress marks nothing more and ends soon
        # (outbox id, target) a person discarded while this worker runs: not sent even if queued.
        self.discarded: set[tuple[int, str]] = set()
        self._local = threading.local()
        self._opened: list[Database] = []
        self._opened_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._last_pull = float("-inf")
        self._last_reports = float("-inf")
        slack_adapter = self.adapters.get("slack")
        self._pin = KnownIssuesPin(slack_adapter, self.timer.time) if isinstance(slack_adapter, SlackAdapter) else None
        self._linker: ThreadLinker | None = None
        self._more_links = False  # the last pass left links to add

    # -- building ----------------------------------------------------------------------------

    @classmethod
    def for_workspace(cls, workspace, *, timer: Timer | None = None, database_path: Path | None = None) -> "SyncWorker":
        """A worker for a loaded `Workspace`: adapters for what is configured, tokens from the env;
        on the workspace's database unless `database_path` names another."""
        timer = timer or SystemTimer()
        config: Config = workspace.config
        adapters: dict[str, object] = {}
        problems: dict[str, str] = {}
        if config.jira is not None:
            try:
                adapters["jira"] = JiraAdapter(config.jira, jira_token(), RateGate(timer))
            except MissingSecret as error:
                problems["jira"] = str(error)
        if config.slack is not None:
            try:
                adapters["slack"] = SlackAdapter(config.slack, slack_token(), RateGate(timer))
            except MissingSecret as error:
                problems["slack"] = str(error)
        if config.email is not None:
            adapters["email"] = EmailAdapter(config.email, smtp_password())
        return cls(database_path or workspace.database_path, config, timer=timer, problems=problems,
                   root=workspace.root, **adapters)  # type: ignore[arg-type]

    @property
    def configured(self) -> tuple[str, ...]:
        return configured_targets(self.config)

    @property
    def offline(self) -> bool:
        return not self.configured

    # -- running -----------------------------------------------------------------------------

    def run_pass(self) -> SyncReport:
        """Deliver everything that is due now; pull teammates' incidents from Jira when it is time."""
        report = SyncReport(targets={t: TargetReport(t) for t in self.configured})
        self._maybe_pull(report)
        self._maybe_read_reports(report)
        DeliveryPass(self, report).run()
        self._refresh_stale_parents()
        self._keep_known_issues()
        self._link_threads()
        self._finish_pass(report)
        return report

    def drain(self, max_wait: float = 120.0) -> SyncReport:
        """Run passes until nothing is due within `max_wait` seconds (`oncall sync`)."""
        started = self.timer.time()
        total = SyncReport(targets={t: TargetReport(t) for t in self.configured})
        while True:
            report = self.run_pass()
            for target, part in report.targets.items():
                total.targets[target].add(part)
            total.pulled = total.pulled or report.pulled
            if report.reports is not None:
                if total.reports is None:
                    total.reports = ReportPull()
                total.reports.read += report.reports.read
                total.reports.opened += report.reports.opened
                total.reports.refused += report.reports.refused
            total.pending, total.failed = report.pending, report.failed
            if self._more_links:  # the linker stopped at its bound for one pass: go on right away
                continue
            due = self._next_due()
            if due is None or due - started > max_wait:
                return total
            self.timer.sleep(max(0.0, due - self.timer.time()))

    def watch(self, stop: threading.Event, on_pass: Callable[[SyncReport], None] | None = None) -> None:
        """Keep draining until `stop` is set (`oncall sync --watch`, or the console's worker thread);
        a pass in progress then sends only what is already on its way."""
        self.stop = stop
        while not stop.is_set():
            report = self.run_pass()
            if on_pass is not None:
                on_pass(report)
            due = self._next_due()
            wait_for = POLL_SECONDS if due is None else min(POLL_SECONDS, max(0.0, due - self.timer.time()))
            stop.wait(wait_for)

    def unblock(self, target: str | None = None) -> None:
        """A person fixed something and asked to retry: try the system(s) again."""
        for name in [target] if target else list(self.blocked):
            if name in self.adapters:
                self.blocked.pop(name, None)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True)
        with self._opened_lock:
            for database in self._opened:
                database.close()
            self._opened.clear()

    # -- helpers -----------------------------------------------------------------------------

    def _active_targets(self) -> list[str]:
        return [t for t in self.adapters if t not in self.blocked]

    def _maybe_pull(self, report: SyncReport) -> None:
        jira = self.adapters.get("jira")
        if not isinstance(jira, JiraAdapter) or "jira" in self.blocked or not self.config.jira or not self.config.jira.pull:
            return
        now = self.timer.time()
        if now - self._last_pull < PULL_EVERY_SECONDS:
            return
        try:
            report.pulled = pull_from_jira(self._db(), self.config, jira, now)
            self._last_pull = now
        except Permanent as error:
            log.warning("jira pull: %s", error.message)
            if error.whole_target:
                self.blocked["jira"] = error.message
        except SyncError as error:
            log.info("jira pull will be tried again: %s", error.message)
        except sqlite3.OperationalError as error:  # the database is busy: the pull waits for the next pass
            log.info("jira pull will be tried again: %s", error)
        except Exception:  # a fault of our own in the pull must not stop our incidents going out
            log.exception("jira pull failed; it is tried again in %.0f s", PULL_EVERY_SECONDS)
            self._last_pull = now

    def _slack_usable(self) -> SlackAdapter | None:
        slack = self.adapters.get("slack")
        if not isinstance(slack, SlackAdapter) or "slack" in self.blocked or self.stop.is_set():
            return None
        return slack

    def _maybe_read_reports(self, report: SyncReport) -> None:
        """Every half minute, reports in the Slack incident channel become triage items (`pull.py`).
        A problem with it is noted (`slack_reports_problem`) and stops nothing else."""
        slack = self._slack_usable()
        if slack is None or self.config.slack is None or not self.config.slack.takes_reports:
            return
        now = self.timer.time()
        if now - self._last_reports < REPORTS_EVERY_SECONDS:
            return
        self._last_reports = now
        database = self._db()
        try:
            report.reports = pull_slack_reports(database, self.config, slack, now, self.root)
            problem = report.reports.notice
        except SyncError as error:
            log.warning("slack reports not read: %s", error.message)
            problem = f"reports in Slack not read: {error.message}"
        except sqlite3.OperationalError as error:  # the database is busy: read again next pass
            log.info("slack reports will be read again: %s", error)
            self._last_reports = float("-inf")
            return
        except Exception:  # a fault of our own in reading reports must not stop our incidents going out
            log.exception("slack reports failed; read again in %.0f s", REPORTS_EVERY_SECONDS)
            problem = "reports in Slack not read: an error in oncall (see the log)"
        state = SyncState(database)
        if (state.get(REPORTS_PROBLEM) or "") != problem:
            state.put(REPORTS_PROBLEM, problem[:500])

    def _keep_known_issues(self) -> None:
        """The pinned known-issues list, edited when it says something new (`known_issues_pin.py`)."""
        if self._pin is None or self._slack_usable() is None or self.config.slack is None \
                or not self.config.slack.known_issues_pin:
            return
        try:
            self._pin.run(self._db(), self.config)
        except sqlite3.OperationalError as error:
            log.info("slack: the known-issues list waits for the database: %s", error)
        except Exception:  # never stops the sync: the list is tried again next pass
            log.exception("slack: the known-issues list failed")

    def _refresh_stale_parents(self) -> None:
        """Parents posted before the Jira issue existed get their Jira link once it does."""
        slack = self.adapters.get("slack")
        if not isinstance(slack, SlackAdapter) or "slack" in self.blocked or "jira" not in self.adapters:
            return
        database = self._db()
        rows = database.conn.execute(  # only messages this laptop keeps: `RemoteIds.keeps_message`, in SQL
            "SELECT incident_id FROM remote_incidents WHERE slack_ts IS NOT NULL AND jira_key IS NOT NULL "
            "AND instr(slack_text, jira_key) = 0 AND (slack_text != '' OR label LIKE ?) LIMIT 50",
            (f"oncall-{RemoteIds(database).origin()}-%",),
        ).fetchall()
        delivery = self._delivery("slack", database)
        assert isinstance(delivery, SlackDelivery)
        for (incident_id,) in rows:
            try:
                delivery.refresh_parent(delivery.incidents.get(incident_id))
            except SyncError as error:
                log.info("slack: incident message not refreshed yet: %s", error.message)
                return

    def _link_threads(self) -> None:
        """Jira issues get their link to the Slack thread once both exist (`thread_link.py`)."""
        self._more_links = False
        jira, slack = self.adapters.get("jira"), self.adapters.get("slack")
        if not isinstance(jira, JiraAdapter) or not isinstance(slack, SlackAdapter) or self.blocked:
            return
        if self._linker is None:
            self._linker = ThreadLinker(jira, slack, self.timer)
        self._more_links = self._linker.run(self._db(), self.stop)

    def _linked_thread(self, remote: RemoteIncident) -> tuple[str, str] | None:
        jira = self.adapters.get("jira")
        if not isinstance(jira, JiraAdapter) or "jira" in self.blocked:
            return None
        return linked_thread(jira, remote)

    def _finish_pass(self, report: SyncReport) -> None:
        database = self._db()
        database.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        store = OutboxStore(database)
        ids = RemoteIds(database)
        for target in self.configured:
            store.advance_cursor(target)
            counts = store.counts(target)
            report.pending += counts.pending
            report.failed += counts.failed
            problem = self.blocked.get(target, "")
            report.targets[target].problem = problem
            ids.set_state(f"health:{target}", problem)

    def _next_due(self) -> float | None:
        store = OutboxStore(self._db())
        due = [h.next_attempt_at for t in self._active_targets() for h in store.heads(t) if h.state == "pending"]
        return min(due) if due else None

    def _db(self) -> Database:
        database = getattr(self._local, "database", None)
        if database is None:
            opened = open_database(self.database_path)
            # No checkpoint inside a delivery's transaction (it can take tens of ms, with fsync);
            # `_finish_pass` checkpoints once per pass instead.
            opened.conn.execute("PRAGMA wal_autocheckpoint = 0")
            database = _SerializedWrites(opened.conn, opened.path, self._write_lock)
            self._local.database = database
            self._local.deliveries = {}
            with self._opened_lock:
                self._opened.append(database)
        return database

    def _delivery(self, target: str, database: Database) -> Delivery:
        deliveries = self._local.deliveries
        if target not in deliveries:
            adapter = self.adapters[target]
            if isinstance(adapter, JiraAdapter):
                deliveries[target] = JiraDelivery(database, self.config, adapter, self.timer.time)
            elif isinstance(adapter, EmailAdapter):
                deliveries[target] = EmailDelivery(database, self.config, adapter, self.timer.time)
            else:
                deliveries[target] = SlackDelivery(database, self.config, adapter, self._linked_thread)
        return deliveries[target]

    def _pool(self, target: str) -> ThreadPoolExecutor:
        if target not in self._pools:
            section = getattr(self.config, target)
            self._pools[target] = ThreadPoolExecutor(max_workers=section.concurrency, thread_name_prefix=f"sync-{target}")
        return self._pools[target]
