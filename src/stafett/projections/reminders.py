"""The reminder sweep: reminders whose day has come, into outbox rows (decision 0022).

The notice process keeps, per plan, the reminders it has coming (`notice_reminders`,
written with its outbox rows and position). The sweep takes the pending ones due on
the municipal date (`local_date` of the clock), loads each one's plan as it now is,
and asks the pure rule (`reminder_notices`) who is told: the plan may have changed
since the process last read it, and rights and consent count on the day it is sent.
The notices (ids derived from the reminder, recipient and channel) are written in the
transaction that marks the reminder `fired`, so a crash before it commits sends
nothing and the next sweep does it once; a reminder the plan no longer has is
`void`, and one due only after its last day (a consent's 30-day reminder when 7 days
are left) is `lapsed`. It runs in the notice runner's thread: in `stafett worker`
on PostgreSQL, in the web process on SQLite.
"""

import contextlib
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application

from stafett.aggregates.plan import Plan
from stafett.aggregates.reminders import Reminder, reminder_notices, reminders_of
from stafett.aggregates.values import local_date
from stafett.persistence.notice_outbox import NoticeOutbox, new_notices
from stafett.persistence.notice_reminders import FIRED, LAPSED, VOID

log = structlog.get_logger(__name__)

SWEEP_BATCH = 200
OfAge = Callable[[Iterable[UUID]], Mapping[UUID, date | None]]
"""The day each plan owner (by person id) reaches the consent age, as the directory says
now, read together; None or absent when it is not known (the plan application's
`owners_of_age_on`)."""


class ReminderSweep:
    def __init__(
        self,
        app: Application[UUID],
        outbox: NoticeOutbox,
        *,
        clock: Callable[[], datetime],
        of_age: OfAge,
        batch: int = SWEEP_BATCH,
    ) -> None:
        self.app = app
        self.outbox = outbox
        self.clock = clock
        self.of_age = of_age
        self.batch = batch

    def sweep(self) -> int:
        """Settle every reminder due today or before; how many notices were written."""
        written = 0
        while True:
            now = self.clock()
            due = self.outbox.reminders.due(local_date(now), self.batch)
            for reminder in due:
                written += self._settle(reminder, now)
            if len(due) < self.batch:
                return written

    def _settle(self, reminder: Reminder, now: datetime) -> int:
        today = local_date(now)
        plan: object = None
        with contextlib.suppress(AggregateNotFoundError):
            plan = self.app.repository.get(reminder.plan_id)
        if not isinstance(plan, Plan):
            self.outbox.settle(reminder, VOID, at=now)
            return 0
        owner = plan.state.owner_person_id
        of_age = self.of_age([owner]).get(owner)
        if reminder not in reminders_of(plan.id, plan.state, of_age=of_age):
            self.outbox.settle(reminder, VOID, at=now)
            return 0
        if reminder.last_on is not None and today > reminder.last_on:
            self.outbox.settle(reminder, LAPSED, at=now)
            return 0
        notices = new_notices(
            plan,
            reminder_notices(plan.state, reminder, today, of_age=of_age),
            notification_id=0,
            at=now,
            reminder_id=reminder.reminder_id,
        )
        if self.outbox.settle(reminder, FIRED, at=now, notices=notices):
            log.info("reminder_fired", kind=reminder.kind.value, notices=len(notices))
            return len(notices)
        return 0
