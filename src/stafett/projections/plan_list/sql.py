"""The plan list's tables and writes, the same on both engines (through `SqlTables`).

Each event's statements are fixed text per intent, made once when the view is built:
only values travel as parameters, and every value written passes through `storable`
(text no engine can hold, NUL or lone surrogates, becomes U+FFFD), so an event
already stored always fits. Instants are whole microseconds since the epoch (UTC) on
both engines; dates ISO text on SQLite and `date` on PostgreSQL. The columns are in
`schema.py`, the queries in `queries.py`; what differs by engine is in `sqlite.py` and
`postgres.py`.
"""

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date, datetime
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking, WaitInterruptedError

from stafett.aggregates.values import Consent, ConsentStatus, PlanStatus, Rights, Role, Section
from stafett.persistence.recorders import to_micros
from stafett.persistence.sql import SqlTables
from stafett.projections.faults import Fault, FaultTable
from stafett.projections.heads import Addressed
from stafett.projections.plan_list.batches import ADVANCES, Batch, Write
from stafett.projections.plan_list.queries import PlanListQueries
from stafett.projections.plan_list.schema import (
    CONTENT_COLUMN,
    FIELD_COLUMNS,
    MESSAGE_COLUMN,
    OWN_COLUMN,
    SCHEMA_TABLE,
    SECTION_COLUMNS,
    SHARED_COLUMN,
    STAMP_COLUMNS,
    Tables,
    given_column,
)
from stafett.projections.plan_list.view import (
    APPLICATION_NAME,
    MEMBERS_TABLE,
    PLANS_TABLE,
    PROJECTION_NAME,
    VISITS_TABLE,
    ListedDetails,
    MemberRow,
    NewPlan,
    Stamp,
    storable,
)

FIRST_PAUSE, LONGEST_PAUSE = 0.002, 0.1  # seconds between looks while nothing commits here
# What an event dates besides when its plan last changed (`Batch.keep`).
SHARED = (SHARED_COLUMN,)
CONTENT = (CONTENT_COLUMN,)
CONTENT_IN: dict[Section, tuple[str, ...]] = {
    s: (CONTENT_COLUMN, column) for s, column in SECTION_COLUMNS.items()
}
RIGHTS = (FIELD_COLUMNS["participants", "rights"],)
NOTICES = (FIELD_COLUMNS["participants", "notifications"],)


class PlanListSQL(Tables, PlanListQueries):
    """Both engines' view; an engine's class adds its tracking recorder and its few words."""

    latest: str  # the engine's function for the larger of two values
    lock_row = ""  # what locks a selected row until the transaction ends, where needed

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        self._sql = t = SqlTables(datastore)
        self._faults = FaultTable(t)
        self._batches = threading.local()  # the batch open in this thread, if any
        plans, members = t.table(PLANS_TABLE), t.table(MEMBERS_TABLE)
        self._plans, self._members, self._visits = plans, members, t.table(VISITS_TABLE)
        self._schema = t.table(SCHEMA_TABLE)

        def plan_update(assignments: str = "") -> str:
            return t.sql(
                f"UPDATE {plans} SET last_event_at=%s, version=%s{assignments} WHERE plan_id=%s"
            )

        # Every kept stamp, whatever it dates: a column it does not date keeps its value.
        self._stamp_update = plan_update("".join(f", {c}=COALESCE(%s, {c})" for c in STAMP_COLUMNS))
        shared = f", {SHARED_COLUMN}=%s"  # the events below change what everyone reads
        self._consent = plan_update(
            f"{shared}, consent_status=%s, consent_given_on=%s, consent_expires_on=%s"
        )
        self._consent_status = plan_update(f"{shared}, consent_status=%s")
        self._status = plan_update(f"{shared}, status=%s, end_date=%s")
        self._archived = plan_update(f"{shared}, last_archived_at=%s")
        self._details = plan_update(
            f"{shared}, short_name=COALESCE(%s, short_name), "
            "start_date=COALESCE(%s, start_date), "
            "end_date=CASE WHEN %s THEN %s ELSE end_date END"
        )
        self._insert_plan = t.sql(
            f"INSERT INTO {plans} (plan_id, plan_type, short_name, owner_person_id, "
            "start_date, end_date, status, consent_status, consent_expires_on, "
            "consent_given_on, coordinator_person_id, created_at, last_event_at, "
            f"{CONTENT_COLUMN}, last_archived_at, {SHARED_COLUMN}, version) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        rights = [given_column(s) for s in Section]
        self._insert_member = t.sql(
            f"INSERT INTO {members} (plan_id, participant_id, person_id, role, "
            f"is_coordinator, active, {', '.join(rights)}, last_message_to_me_at, "
            f"{MESSAGE_COLUMN}, {OWN_COLUMN}) VALUES ({', '.join(['%s'] * (9 + len(rights)))})"
        )
        one_member = "WHERE plan_id=%s AND participant_id=%s"
        self._deactivate = t.sql(f"UPDATE {members} SET active=%s {one_member}")
        self._role_update = t.sql(f"UPDATE {members} SET role=%s {one_member}")
        given = "".join(f"{given_column(s)}=%s, " for s in Section)
        self._rights_update = t.sql(f"UPDATE {members} SET {given}{OWN_COLUMN}=%s {one_member}")
        # The rights in force follow the baton where they are read (`access.right_in_force`).
        self._baton_update = t.sql(
            f"UPDATE {members} SET is_coordinator=(participant_id=%s) WHERE plan_id=%s"
        )
        self._coordinator_update = t.sql(
            f"UPDATE {plans} SET coordinator_person_id=(SELECT person_id "
            f"FROM {members} WHERE plan_id=%s AND participant_id=%s) WHERE plan_id=%s"
        )
        # Its sender and each recipient: one statement, so a burst of messages is one run.
        self._message = t.sql(
            f"UPDATE {members} SET {MESSAGE_COLUMN}=%s, "
            f"last_message_to_me_at=COALESCE(%s, last_message_to_me_at) {one_member}"
        )
        self._own = t.sql(f"UPDATE {members} SET {OWN_COLUMN}=%s {one_member}")
        super().__init__(datastore, **kwargs)  # type: ignore[call-arg]  # the engine's recorder

    def _begin(self, c: Any) -> None:
        """Called first in each projecting transaction."""

    def _pipeline(self, c: Any) -> AbstractContextManager[Any]:
        """Around a transaction's writes: the engine may send them without waiting."""
        return nullcontext()

    def wait(
        self,
        application_name: str,
        notification_id: int | None,
        timeout: float = 1.0,
        interrupt: threading.Event | None = None,
    ) -> None:
        """The library's wait, looking again at each commit of a plan-list view in this
        process, and otherwise polling from 2 ms up to 100 ms (the library's from 100 ms).

        A web request waits here after each write (read-your-writes); the runner
        usually has the event within milliseconds. `interrupt` is looked at between
        looks (within 100 ms).
        """
        deadline = time.monotonic() + timeout
        pause = FIRST_PAUSE
        while True:
            seen = ADVANCES.count  # before the look: a commit after it wakes the wait
            if self.has_tracking_id(application_name, notification_id):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                msg = f"Timed out waiting for notification {notification_id} of {application_name}"
                raise TimeoutError(msg)
            if interrupt is not None and interrupt.is_set():
                raise WaitInterruptedError
            ADVANCES.wait_past(seen, min(pause, remaining))
            pause = min(pause * 2, LONGEST_PAUSE)

    # -------------------------------------------------------------- faults

    def record_fault(self, projection: str, notification_id: int, error: str, at: datetime) -> None:
        self._faults.record(projection, notification_id, error, at)

    def clear_fault(self, projection: str) -> None:
        self._faults.clear(projection)

    def fault(self, application_name: str = APPLICATION_NAME) -> Fault | None:
        return self._faults.read(PROJECTION_NAME, self._tracking_table(), application_name)

    # ------------------------------------------------------- what happened

    @contextmanager
    def batch(self) -> Iterator[None]:
        t = self._batches
        if getattr(t, "open", None) is not None:
            raise RuntimeError("a batch is already open in this thread")
        batch = t.open = Batch()
        try:
            yield
        finally:
            t.open = None
        if batch.tracking is not None:
            batch.writes.extend(self._stamp(k.stamp, k.dated) for k in batch.stamps.values())
            self._commit(batch.tracking, batch.writes, first=batch.first)

    def _project(self, tracking: Tracking, stamp: Stamp, *writes: Write) -> None:
        """An event's writes: with its tracking position in a transaction of their own,
        or added to the open batch (after the plan's kept stamp)."""
        batch: Batch | None = getattr(self._batches, "open", None)
        if batch is None:
            self._commit(tracking, writes)
            return
        kept = batch.stamps.pop(stamp.plan_id, None)
        if kept is not None:
            batch.writes.append(self._stamp(kept.stamp, kept.dated))
        batch.writes.extend(writes)
        batch.told(tracking)

    def _stamped(
        self, tracking: Tracking, stamp: Stamp, *writes: Write, dates: Sequence[str] = ()
    ) -> None:
        """An event that changes when its plan last changed, and `dates` (the stamp's
        columns it dates at its instant), and `writes` to other columns or tables."""
        batch: Batch | None = getattr(self._batches, "open", None)
        if batch is None:
            self._commit(tracking, [self._stamp(stamp, dict.fromkeys(dates, stamp.at)), *writes])
            return
        batch.keep(stamp, dates)
        batch.writes.extend(writes)
        batch.told(tracking)

    def _stamp(self, stamp: Stamp, dated: dict[str, datetime]) -> Write:
        """The plan's one stamp write: when, version, and the columns `dated` dates."""
        values = [None if (at := dated.get(c)) is None else to_micros(at) for c in STAMP_COLUMNS]
        return self._plan(self._stamp_update, stamp, *values)

    def _commit(
        self, tracking: Tracking, writes: Sequence[Write], *, first: Tracking | None = None
    ) -> None:
        """The writes, in order, and the tracking position in one transaction; each
        value `storable`. A run of one statement goes as one `executemany`.

        The position written is `tracking`'s; with `first` (a batch's first event),
        the view's position must also be before `first`, or `IntegrityError` refuses
        the batch whole: a batch reaching back into what the view already has would
        apply those events twice."""
        with self.datastore.transaction(commit=True) as c:
            self._begin(c)
            self._write(c, writes)
            if first is not None:  # after writing: on SQLite a read first could go stale
                self._check_position(c, first)
            self._insert_tracking(c, tracking)  # type: ignore[attr-defined]
        ADVANCES.advanced()

    def insert_tracking(self, tracking: Tracking) -> None:
        """The library's (an event the list does not know: its position only), then
        the waiters woken as after any commit."""
        super().insert_tracking(tracking)  # type: ignore[safe-super]
        ADVANCES.advanced()

    def _write(self, c: Any, writes: Sequence[Write]) -> None:
        """The writes in order, on the open cursor: a run of one statement as one
        `executemany` (the engine may send them all at once)."""
        with self._pipeline(c):
            for statement, run in groupby(writes, key=itemgetter(0)):
                rows = [[storable(value) for value in values] for _, values in run]
                if len(rows) == 1:
                    c.execute(statement, rows[0])
                else:
                    c.executemany(statement, rows)

    def _check_position(self, c: Any, first: Tracking) -> None:
        t = self._sql
        c.execute(
            t.sql(
                f"SELECT notification_id FROM {self._tracking_table()} "
                f"WHERE application_name=%s{self.lock_row}"
            ),
            [first.application_name],
        )
        row = c.fetchone()
        if row is not None and row["notification_id"] >= first.notification_id:
            msg = (
                f"notification {first.notification_id} of {first.application_name} is "
                f"already in the view (at {row['notification_id']})"
            )
            raise IntegrityError(msg)

    def _plan(self, statement: str, stamp: Stamp, *values: Any) -> Write:
        """One of the fixed plan updates: when, version, then `values`, then which plan."""
        t = self._sql
        changed = [t.value(value) for value in values]
        return statement, [to_micros(stamp.at), stamp.version, *changed, t.value(stamp.plan_id)]

    def _shared(self, statement: str, stamp: Stamp, *values: Any) -> Write:
        """A plan update of an event that changes what everyone reads, at its instant."""
        return self._plan(statement, stamp, to_micros(stamp.at), *values)

    def _member(self, plan_id: UUID, member: MemberRow) -> Write:
        t = self._sql
        return self._insert_member, [
            t.value(plan_id),
            t.value(member.participant_id),
            t.value(member.person_id),
            member.role.value,
            t.value(member.is_coordinator),
            t.value(True),
            *_levels(member.rights),
            None,
            None,
            None,
        ]

    def _one_member(
        self, statement: str, stamp: Stamp, participant_id: UUID, *values: Any
    ) -> Write:
        """An update of one member row: `values`, then which plan and participant."""
        t = self._sql
        return statement, [*values, t.value(stamp.plan_id), t.value(participant_id)]

    def plan_created(self, stamp: Stamp, plan: NewPlan, *, tracking: Tracking) -> None:
        t = self._sql
        at = to_micros(stamp.at)
        consent = plan.consent
        new = (
            self._insert_plan,
            [
                t.value(stamp.plan_id),
                plan.plan_type.value,
                plan.short_name,
                t.value(plan.owner.person_id),
                t.value(plan.start_date),
                t.value(plan.end_date),
                PlanStatus.OPEN.value,
                consent.status.value,
                t.value(consent.expires_on),
                t.value(consent.given_on),
                t.value(plan.coordinator.person_id),
                at,
                at,
                None,
                None,
                at,
                stamp.version,
            ],
        )
        members = (self._member(stamp.plan_id, m) for m in (plan.owner, plan.coordinator))
        self._project(tracking, stamp, new, *members)

    def plan_touched(self, stamp: Stamp, *, tracking: Tracking) -> None:
        self._stamped(tracking, stamp)

    def shared_changed(self, stamp: Stamp, *, tracking: Tracking) -> None:
        self._stamped(tracking, stamp, dates=SHARED)

    def content_changed(self, stamp: Stamp, section: Section, *, tracking: Tracking) -> None:
        self._stamped(tracking, stamp, dates=CONTENT_IN.get(section, CONTENT))

    def participant_added(self, stamp: Stamp, member: MemberRow, *, tracking: Tracking) -> None:
        self._stamped(tracking, stamp, self._member(stamp.plan_id, member), dates=SHARED)

    def participant_removed(
        self, stamp: Stamp, participant_id: UUID, *, tracking: Tracking
    ) -> None:
        t = self._sql
        removed = self._one_member(self._deactivate, stamp, participant_id, t.value(False))
        self._stamped(tracking, stamp, removed, dates=SHARED)

    def role_changed(
        self, stamp: Stamp, participant_id: UUID, role: Role, *, tracking: Tracking
    ) -> None:
        changed = self._one_member(self._role_update, stamp, participant_id, role.value)
        self._stamped(tracking, stamp, changed, dates=SHARED)

    def rights_changed(
        self, stamp: Stamp, participant_id: UUID, rights: Rights, *, tracking: Tracking
    ) -> None:
        values = (*_levels(rights), to_micros(stamp.at))
        changed = self._one_member(self._rights_update, stamp, participant_id, *values)
        self._stamped(tracking, stamp, changed, dates=RIGHTS)

    def notices_chosen(self, stamp: Stamp, participant_id: UUID, *, tracking: Tracking) -> None:
        own = self._one_member(self._own, stamp, participant_id, to_micros(stamp.at))
        self._stamped(tracking, stamp, own, dates=NOTICES)

    def coordinator_handed_over(
        self, stamp: Stamp, participant_id: UUID, *, tracking: Tracking
    ) -> None:
        t = self._sql
        plan, holder = t.value(stamp.plan_id), t.value(participant_id)
        self._stamped(
            tracking,
            stamp,
            (self._baton_update, [holder, plan]),
            (self._coordinator_update, [plan, holder, plan]),
            dates=SHARED,
        )

    def consent_renewed(self, stamp: Stamp, consent: Consent, *, tracking: Tracking) -> None:
        values = (consent.status.value, consent.given_on, consent.expires_on)
        self._project(tracking, stamp, self._shared(self._consent, stamp, *values))

    def consent_ended(self, stamp: Stamp, status: ConsentStatus, *, tracking: Tracking) -> None:
        self._project(tracking, stamp, self._shared(self._consent_status, stamp, status.value))

    def message_sent(self, stamp: Stamp, addressed: Addressed, *, tracking: Tracking) -> None:
        at = to_micros(stamp.at)
        to = (self._one_member(self._message, stamp, r, at, at) for r in addressed.recipients)
        sent = self._one_member(self._message, stamp, addressed.sender, at, None)
        self._stamped(tracking, stamp, *to, sent, dates=CONTENT)

    def plan_closed(self, stamp: Stamp, ended_on: date, *, tracking: Tracking) -> None:
        status = PlanStatus.CLOSED.value
        self._project(tracking, stamp, self._shared(self._status, stamp, status, ended_on))

    def plan_reopened(self, stamp: Stamp, end_date: date | None, *, tracking: Tracking) -> None:
        status = PlanStatus.OPEN.value
        self._project(tracking, stamp, self._shared(self._status, stamp, status, end_date))

    def details_changed(self, stamp: Stamp, details: ListedDetails, *, tracking: Tracking) -> None:
        d = details
        values = (d.short_name, d.start_date, d.ends, d.end_date)
        self._project(tracking, stamp, self._shared(self._details, stamp, *values))

    def archive_recorded(self, stamp: Stamp, archived_at: datetime, *, tracking: Tracking) -> None:
        archived = to_micros(archived_at)
        self._project(tracking, stamp, self._shared(self._archived, stamp, archived))

    # ------------------------------------------------------------- visits

    def note_visits(self, visits: Sequence[tuple[UUID, UUID, datetime]]) -> None:
        t = self._sql
        table = self._visits
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                t.sql(
                    f"INSERT INTO {table} (person_id, plan_id, visited_at) VALUES (%s, %s, %s) "
                    "ON CONFLICT (person_id, plan_id) DO UPDATE SET visited_at="
                    f"{self.latest}({table.split('.')[-1]}.visited_at, excluded.visited_at)"
                ),
                # In key order: web processes noting visits to the same plans at once
                # then wait for each other's rows in one order instead of deadlocking.
                [
                    [storable(t.value(v)) for v in (person, plan, to_micros(at))]
                    for person, plan, at in sorted(visits, key=lambda v: (v[0], v[1]))
                ],
            )


@cache
def _levels(rights: Rights) -> tuple[str, ...]:
    """A member's rights per section as given, in the order of the row's columns."""
    return tuple(rights.level(s).value for s in Section)
