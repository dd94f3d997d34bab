"""One pass of deliveries: lanes that only talk to Jira and Slack, and one thread that keeps
the books.

The thread running the pass (the coordinator) reads what is due (`jobs.py`), marks a few
entries as attempted, hands them to the lanes, and records what comes back. Up to
`concurrency` lanes per system each take a job, send it, and hand back the outcome; they
never touch the outbox, so a request is never held up by another lane's bookkeeping.

The guarantees are those of one entry at a time:
- an attempt is marked (outcome unknown) and committed before its job reaches a lane, so a
  crash after sending leads to a look-up, never a repeat;
- an incident has at most one entry in flight per system, and its next entry is marked only
  after the previous outcome is recorded, so its updates arrive in order;
- outcomes are recorded together with the next attempts, in one transaction per batch.

The books are kept in batches: a few attempts are marked ahead of the lanes, so the
coordinator can wait for several outcomes before it writes, rather than waking (and
committing) once per request.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from oncall.store.outbox import OutboxStore
from oncall.sync.deliver import Delivery
from oncall.sync.errors import MaybeSent, Permanent, SyncError, Transient
from oncall.sync.jobs import Job, TargetPlan

if TYPE_CHECKING:
    from oncall.sync.worker import SyncReport, SyncWorker

log = logging.getLogger(__name__)
QUEUED_PER_LANE = 3  # attempts marked per lane: one in flight, the rest waiting for it


@dataclass
class Outcome:
    target: str
    job: Job | None
    state: str  # done, retry, failed, unsent (the system was stopped before it went), crash
    message: str = ""  # the note when done, else the error
    uncertain: bool = False
    retry_at: float = 0.0
    steps: list[tuple[int, str, str, str]] = field(default_factory=list)
    crash: BaseException | None = None


class DeliveryPass:
    def __init__(self, worker: "SyncWorker", report: "SyncReport") -> None:
        self.worker = worker
        self.report = report
        self.database = worker._db()
        self.store = OutboxStore(self.database)
        now = worker.timer.time()
        self.plans = {t: TargetPlan.load(self.database, t, now) for t in worker._active_targets()}
        self.lanes = {t: min(plan.incident_count, getattr(worker.config, t).concurrency)
                      for t, plan in self.plans.items()}
        self.ready: dict[str, queue.SimpleQueue[Job | None]] = {t: queue.SimpleQueue() for t in self.plans}
        self.outstanding = dict.fromkeys(self.plans, 0)  # marked as attempted, outcome not yet recorded
        self.finished: list[Outcome] = []  # handed back by the lanes, not yet recorded (under `wake`)
        self.wake = threading.Condition()
        self.stopping = threading.Event()

    def run(self) -> None:
        futures: list[Future] = [self.worker._pool(t).submit(self._lane, t)
                                 for t, count in self.lanes.items() for _ in range(count)]
        try:
            self._hand_out(self._settle([]))
            while any(self.outstanding.values()):
                self._hand_out(self._settle(self._collect()))
        finally:
            self.stopping.set()
            for target, count in self.lanes.items():
                for _ in range(count):
                    self.ready[target].put(None)
            wait(futures)
            self._record_leftovers()

    # -- the books (the coordinator's thread) ------------------------------------------------

    def _collect(self) -> list[Outcome]:
        """Wait until it is time to write outcomes down and mark more attempts."""
        with self.wake:
            self.wake.wait_for(self._time_to_settle)
            batch, self.finished = self.finished, []
        return batch

    def _time_to_settle(self) -> bool:
        """(Under `wake`'s lock.) A lane crashed, every outcome is in, or a lane could soon run
        out of marked jobs. Waiting for several outcomes means one wake-up and one commit for
        the lot, instead of one per request."""
        if not self.finished:
            return False
        if len(self.finished) == sum(self.outstanding.values()) or any(o.crash for o in self.finished):
            return True
        counted = Counter(outcome.target for outcome in self.finished)
        for target, plan in self.plans.items():
            queued = self.outstanding[target] - counted[target] - self.lanes[target]  # at most
            if queued < self.lanes[target] and target not in self.worker.blocked and (
                    plan.waiting or self._has_next(target)):
                return True
        return False

    def _has_next(self, target: str) -> bool:
        """An outcome in hand would let one of the target's incidents go on (so its lanes need
        not wait for the other system's outcomes)."""
        plan = self.plans[target]
        return any(o.target == target and o.state == "done" and o.job and plan.sequences.get(o.job.entry.incident_id)
                   for o in self.finished)

    def _settle(self, batch: list[Outcome]) -> list[Job]:
        """Record `batch` and mark the next attempts, in one transaction; return the marked jobs.
        A lane's crash is raised after the other outcomes are recorded."""
        crash = next((outcome.crash for outcome in batch if outcome.crash is not None), None)
        at = self.worker.timer.time()
        marked: list[Job] = []
        with self.database.write():
            for outcome in batch:
                if outcome.crash is None:
                    self._record(outcome, at)
            for target, plan in self.plans.items():
                while crash is None and target not in self.worker.blocked and not self.worker.stop.is_set() \
                        and self.outstanding[target] < self._depth(target):
                    entry = plan.next_entry()
                    if entry is None:
                        break
                    if not self.store.begin_attempt(entry, at):
                        plan.stop(entry.incident_id)  # discarded, or begun elsewhere, meanwhile
                        continue
                    marked.append(plan.job(entry))
                    self.outstanding[target] += 1
        if crash is not None:
            raise crash
        return marked

    def _record_leftovers(self) -> None:
        """After the lanes stopped early: record what they finished, and put back what never went."""
        with self.wake:
            leftovers, self.finished = [o for o in self.finished if o.crash is None], []
        for target, ready in self.ready.items():  # a lane that crashed left its queue behind
            while True:
                try:
                    job = ready.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    leftovers.append(Outcome(target, job, "unsent"))
        if not leftovers:
            return
        try:
            with self.database.write():
                for outcome in leftovers:
                    self._record(outcome, self.worker.timer.time())
        except Exception:  # already failing: say so, and let the first error be the one raised
            log.exception("could not record %d sync outcomes; they will be looked up next time", len(leftovers))

    def _hand_out(self, jobs: list[Job]) -> None:
        """After the commit: only now may the requests go."""
        for job in jobs:
            self.ready[job.entry.target].put(job)

    def _record(self, outcome: Outcome, at: float) -> None:
        assert outcome.job is not None
        target, entry, plan = outcome.target, outcome.job.entry, self.plans[outcome.target]
        tally = self.report.targets[target]
        self.outstanding[target] -= 1
        self.worker.discarded.discard((entry.outbox_id, target))
        if outcome.state == "done":
            self.store.mark_done(entry.outbox_id, target, at, outcome.message, outcome.steps)
            tally.delivered += 1
            plan.again(entry.incident_id)
            return
        plan.stop(entry.incident_id)
        if outcome.state == "unsent":  # as it was, due as soon as the system is usable again
            self.store.mark_retry(entry.outbox_id, target, at, 0, entry.last_error, entry.uncertain)
        elif outcome.state == "retry":
            self.store.mark_retry(entry.outbox_id, target, at, outcome.retry_at, outcome.message, outcome.uncertain,
                                  outcome.steps)
            tally.retrying += 1
            log.info("%s: will retry outbox entry %s in %.1f s: %s", target, entry.outbox_id,
                     outcome.retry_at - at, outcome.message)
        else:
            self.store.mark_failed(entry.outbox_id, target, at, outcome.message, outcome.uncertain, outcome.steps)
            tally.failed += 1
            log.warning("%s: gave up on outbox entry %s: %s", target, entry.outbox_id, outcome.message)

    def _depth(self, target: str) -> int:
        return self.lanes[target] * QUEUED_PER_LANE

    # -- the lanes (one thread each) ---------------------------------------------------------

    def _lane(self, target: str) -> None:
        job: Job | None = None
        try:
            delivery = self.worker._delivery(target, self.worker._db())
            while (job := self.ready[target].get()) is not None:
                if self.stopping.is_set():  # the pass is ending early: this one never went
                    self._hand_back(Outcome(target, job, "unsent"))
                else:
                    self._hand_back(self._attempt(target, delivery, job))
                job = None
        except BaseException as crash:  # the coordinator raises it; nothing else here may
            self._hand_back(Outcome(target, job, "crash", crash=crash))

    def _hand_back(self, outcome: Outcome) -> None:
        with self.wake:
            self.finished.append(outcome)
            if self._time_to_settle():
                self.wake.notify()

    def _attempt(self, target: str, delivery: Delivery, job: Job) -> Outcome:
        if target in self.worker.blocked or self.worker.stop.is_set() \
                or (job.entry.outbox_id, target) in self.worker.discarded:
            return Outcome(target, job, "unsent")  # recording it leaves a discard as it is
        entry = job.entry
        try:
            note = delivery.deliver(job)
        except MaybeSent as error:  # never repeated silently: a person decides
            return Outcome(target, job, "failed", error.message, True, steps=delivery.completed)
        except Permanent as error:
            if error.whole_target:
                self.worker.blocked[target] = error.message  # the other lanes stop at once
            return Outcome(target, job, "failed", error.message, entry.uncertain, steps=delivery.completed)
        except SyncError as error:
            uncertain = entry.uncertain or (isinstance(error, Transient) and error.uncertain)
            delay = self.worker.backoff.delay(entry.attempts + 1, getattr(error, "retry_after", None))
            return Outcome(target, job, "retry", error.message, uncertain, self.worker.timer.time() + delay,
                           delivery.completed)
        return Outcome(target, job, "done", note, steps=delivery.completed)
