"""The notice process: plan events in, one outbox row per (event, recipient, channel) out.

It follows the plan application's notification log from its own tracking position
(`notice_tracking`), in batches: each batch's events are decoded, each is applied to
the plan it belongs to (kept in memory, so the state at each event's instant is at
hand), `notices_for` (`aggregates/notices.py`) names who is told and how, and the
batch's rows are written with the batch's last position in ONE transaction
(`NoticeOutbox.record`). So each event turns into notices exactly once: a crash
before the commit writes nothing and the batch is read again; the rows' keys are
derived from the event, so a rebuild (position forgotten, every event read again)
adds no row and sends nothing again (decision 0020). The same transaction keeps the
reminders each plan whose consent, activities, plan group or status an event of the
batch changed now has coming (`reminders_of`, decision 0022); `ReminderSweep`
(`reminders.py`) gives them when they are due.

Like the plan-list projection, it reads its application's notification log and
resumes from a position it writes with its effect; unlike it, it takes many events
per transaction (catch-up of a large store is bounded by reading, not by commits).
A batch that fails is retried after a growing pause (`Backoff`), never skipped.
"""

import time
from collections import OrderedDict
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import Application

from stafett.aggregates.notices import notices_for
from stafett.aggregates.plan import Plan
from stafett.aggregates.reminders import REMINDER_EVENT_TYPES, reminders_of
from stafett.persistence.background import BackgroundLoop, Backoff
from stafett.persistence.notice_outbox import NewNotice, NoticeOutbox, new_notices
from stafett.projections.reminders import OfAge, ReminderSweep

log = structlog.get_logger(__name__)

BATCH_SIZE = 500
PLANS_KEPT = 2_000  # plans whose state is kept between events (the rest are loaded again)
POLL_SECONDS = 0.5
SWEEP_SECONDS = 60.0
# The events that may change the reminders a plan has coming (decision 0022).
RESCHEDULING: tuple[type, ...] = (Plan.Created, *REMINDER_EVENT_TYPES)


class NoticeProcess:
    """Turns the plan events after its position into outbox rows, a batch at a time."""

    def __init__(
        self,
        app: Application[UUID],
        outbox: NoticeOutbox,
        *,
        of_age: OfAge,
        batch_size: int = BATCH_SIZE,
        plans_kept: int = PLANS_KEPT,
    ) -> None:
        self.app = app
        self.outbox = outbox
        self.of_age = of_age  # the owner's coming of age: the directory's (decision 0056)
        self.batch_size = batch_size
        self.plans_kept = plans_kept
        self._plans: OrderedDict[UUID, Plan] = OrderedDict()
        self.processed = 0
        self.written = 0

    def run_once(self) -> int:
        """One batch after the stored position; the number of events read (0: none new)."""
        start = self.outbox.position() + 1
        notifications = self.app.recorder.select_notifications(start, self.batch_size)
        if not notifications:
            return 0
        rows: list[NewNotice] = []
        rescheduled: dict[UUID, Plan] = {}
        try:
            for notification in notifications:
                event = self.app.mapper.to_domain_event(notification)
                plan = self._plan_after(event)
                if plan is None:
                    continue
                rows.extend(self._notices(plan, event, notification.id))
                if isinstance(event, RESCHEDULING):
                    rescheduled[plan.id] = plan
            owners = self.of_age({p.state.owner_person_id for p in rescheduled.values()})
            schedules = {
                pid: reminders_of(pid, plan.state, of_age=owners.get(plan.state.owner_person_id))
                for pid, plan in rescheduled.items()
            }
            self.outbox.record(rows, notifications[-1].id, schedules)
        except BaseException:
            self._plans.clear()  # states may be ahead of the stored position
            raise
        self.processed += len(notifications)
        self.written += len(rows)
        return len(notifications)

    def catch_up(self) -> int:
        """Every batch up to the log's end; the number of events read."""
        total = 0
        while True:
            read = self.run_once()
            if not read:
                return total
            total += read

    def _notices(self, plan: Plan, event: Any, notification_id: int) -> list[NewNotice]:
        if not isinstance(event, Plan.Event):
            return []
        notices = notices_for(plan.state, event)
        return new_notices(plan, notices, notification_id=notification_id, at=event.timestamp)

    def _plan_after(self, event: Any) -> Plan | None:
        """The plan just after `event`, from the one kept or loaded at that version."""
        plan_id: UUID = event.originator_id
        plan = self._plans.pop(plan_id, None)
        if isinstance(event, Plan.Created):
            plan = event.mutate(None)
        elif plan is not None and plan.version == event.originator_version - 1:
            event.mutate(plan)
        else:
            plan = self.app.repository.get(plan_id, version=event.originator_version)
        if not isinstance(plan, Plan):
            return None
        self._plans[plan_id] = plan
        while len(self._plans) > self.plans_kept:
            self._plans.popitem(last=False)
        return plan


class NoticeRunner(BackgroundLoop):
    """Runs a `NoticeProcess` in a thread until stopped: batches while there are events,
    a poll every `POLL_SECONDS` when there are none; a failing batch is logged
    (`notice_batch_failed`, never event data) and tried again after `backoff`.
    Between batches it sweeps due reminders (`sweep`) every `sweep_every` seconds."""

    def __init__(
        self,
        process: NoticeProcess,
        *,
        sweep: ReminderSweep | None = None,
        sweep_every: float = SWEEP_SECONDS,
        backoff: Backoff | None = None,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.process = process
        self.sweep = sweep
        self.sweep_every = sweep_every
        self._swept_at: float | None = None
        self.backoff = backoff or Backoff()
        self.poll = poll
        super().__init__("notices")

    def _loop(self) -> None:
        attempt = 0
        while not self.stopping.is_set():
            try:
                read = self.process.run_once()
                self._sweep_when_due()
            except Exception as error:
                attempt += 1
                pause = self.backoff.pause(attempt)
                log.error(
                    "notice_batch_failed",
                    attempt=attempt,
                    error=type(error).__name__,
                    retry_in=pause,
                )
                self.stopping.wait(pause)
                continue
            if attempt:
                log.info("notice_batch_recovered", attempts=attempt + 1)
                attempt = 0
            if not read:
                self.wake.wait(self.poll)
                self.wake.clear()

    def _sweep_when_due(self) -> None:
        now = time.monotonic()
        if self.sweep is None:
            return
        if self._swept_at is not None and now - self._swept_at < self.sweep_every:
            return
        self.sweep.sweep()
        self._swept_at = now
