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

A plan owner's coming of age (decision 0056) is the directory's birth date, which no
plan event carries: before settling, each sweep works out again the reminders of every
plan whose owner's birth date was written since its last look (`BirthDates`: the
directory's change log names the fields, the plan list the owners), and stores its
position in that log beside the notice process's, in the same transaction. A birth
date added or corrected after the plan's last event is so reminded of within a sweep,
not only at the plan's next change.
"""

import contextlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, Application

from stafett.aggregates.plan import Plan
from stafett.aggregates.reminders import Reminder, reminder_notices, reminders_of
from stafett.aggregates.values import local_date
from stafett.persistence.notice_outbox import NoticeOutbox, new_notices
from stafett.persistence.notice_reminders import FIRED, LAPSED, VOID
from stafett.persistence.recorders import from_micros, to_micros

log = structlog.get_logger(__name__)

SWEEP_BATCH = 200
OfAge = Callable[[Iterable[UUID]], Mapping[UUID, date | None]]
"""The day each plan owner (by person id) reaches the consent age, as the directory says
now, read together; None or absent when it is not known (the plan application's
`owners_of_age_on`)."""

BIRTH_DATES = "owner_birth_dates"  # the sweep's position in the directory's change log
# A change stamped up to this long before the last look is read again: its transaction
# may not have committed when the log was last read (a write takes milliseconds).
BIRTH_DATES_OVERLAP = timedelta(minutes=10)
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class BirthDates:
    """Where the sweep learns whose birth date was written, and which plans they own."""

    changed_since: Callable[[datetime], Collection[UUID]]  # the directory's change log
    plans_owned_by: Callable[[Collection[UUID]], Sequence[UUID]]  # the plan list


class ReminderSweep:
    def __init__(
        self,
        app: Application[UUID],
        outbox: NoticeOutbox,
        *,
        clock: Callable[[], datetime],
        of_age: OfAge,
        birth_dates: BirthDates | None = None,
        batch: int = SWEEP_BATCH,
    ) -> None:
        self.app = app
        self.outbox = outbox
        self.clock = clock
        self.of_age = of_age
        self.birth_dates = birth_dates
        self.batch = batch

    def sweep(self) -> int:
        """Settle every reminder due today or before, after working out again those of
        the plans whose owner's birth date changed; how many notices were written."""
        self.reschedule_for_birth_dates()
        written = 0
        while True:
            now = self.clock()
            due = self.outbox.reminders.due(local_date(now), self.batch)
            for reminder in due:
                written += self._settle(reminder, now)
            if len(due) < self.batch:
                return written

    def reschedule_for_birth_dates(self) -> int:
        """The reminders of each plan whose owner's birth date was written since the
        last look (less `BIRTH_DATES_OVERLAP`), as the plan now is, stored with this
        look's instant as the position; how many plans. The notice process may be
        behind the plan: it works them out again at each later event, so the plan's
        last event and the directory's birth date decide, whichever came last."""
        if self.birth_dates is None:
            return 0
        now = self.clock()
        looked = self.outbox.position(BIRTH_DATES)
        since = from_micros(looked) - BIRTH_DATES_OVERLAP if looked else _NEVER
        persons = self.birth_dates.changed_since(since)
        owned = self.birth_dates.plans_owned_by(persons) if persons else ()
        plans = [plan for plan in map(self._plan, owned) if plan is not None]
        ages = self.of_age({plan.state.owner_person_id for plan in plans})
        schedules = {
            plan.id: reminders_of(plan.id, plan.state, of_age=ages.get(plan.state.owner_person_id))
            for plan in plans
        }
        self.outbox.record_rows((), to_micros(now), schedules, name=BIRTH_DATES)
        if schedules:
            log.info("reminders_rescheduled", plans=len(schedules), cause="birth_date")
        return len(schedules)

    def _plan(self, plan_id: UUID) -> Plan | None:
        plan: object = None
        with contextlib.suppress(AggregateNotFoundError):
            plan = self.app.repository.get(plan_id)
        return plan if isinstance(plan, Plan) else None

    def _settle(self, reminder: Reminder, now: datetime) -> int:
        today = local_date(now)
        plan = self._plan(reminder.plan_id)
        if plan is None:
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
