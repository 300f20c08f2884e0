"""The plan list's tables and writes, the same on both engines (through `SqlTables`).

Each event's statements are fixed text per intent, made once when the view is built:
only values travel as parameters, and every value written passes through `storable`
(text no engine can hold, NUL or lone surrogates, becomes U+FFFD), so an event
already stored always fits. Instants are whole microseconds since the epoch (UTC) on
both engines; dates ISO text on SQLite and `date` on PostgreSQL. The queries are in
`queries.py`; what differs by engine is in `sqlite.py` and `postgres.py`.
"""

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking, WaitInterruptedError

from stafett.aggregates.values import Access, Consent, ConsentStatus, PlanStatus
from stafett.persistence.recorders import to_micros
from stafett.persistence.sql import SqlTables
from stafett.projections.faults import Fault, FaultTable
from stafett.projections.plan_list import access
from stafett.projections.plan_list.access import Condition
from stafett.projections.plan_list.queries import PlanListQueries
from stafett.projections.plan_list.view import (
    APPLICATION_NAME,
    MEMBERS_TABLE,
    PLANS_TABLE,
    PROJECTION_NAME,
    VISITS_TABLE,
    MemberRow,
    NewPlan,
    Stamp,
    storable,
)

Write = tuple[str, Sequence[Any]]
FIRST_PAUSE, LONGEST_PAUSE = 0.002, 0.1  # seconds between looks while nothing commits here


@dataclass
class _Batch:
    """What the events told inside one `batch()` write, kept until it ends.

    An event that changes only when its plan last changed (and last got content) is
    kept as that plan's `stamps` entry, its newest, instead of a write: a burst of
    comments on one plan is one update. Any other write to the plan writes the kept
    stamp first, so each row sees the same changes in the same order as one event at
    a time would give it.
    """

    writes: list[Write] = field(default_factory=list)
    stamps: dict[UUID, tuple[Stamp, datetime | None]] = field(default_factory=dict)
    first: Tracking | None = None
    tracking: Tracking | None = None

    def told(self, tracking: Tracking) -> None:
        if self.first is None:
            self.first = tracking
        self.tracking = tracking


class _Advances:
    """The plan-list views' commits in this process, counted, for `PlanListSQL.wait`.

    A web request waiting to read its own write is woken by the commit that may have
    brought its event rather than at its next poll: on SQLite the runner projects in
    the web process, so this is the commit it waits for. A view in another process
    (`stafett worker` on PostgreSQL) wakes nobody here; its waiters poll as before.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.count = 0

    def advanced(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait_past(self, seen: int, timeout: float) -> None:
        """Until a commit after the one `seen` counted, or `timeout` seconds."""
        with self._changed:
            if self.count == seen:
                self._changed.wait(timeout)


_ADVANCES = _Advances()


class PlanListSQL(PlanListQueries):
    """Both engines' view; an engine's class adds its tracking recorder and its few words."""

    latest: str  # the engine's function for the larger of two values
    lock_row = ""  # what locks a selected row until the transaction ends, where needed

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        self._sql = t = SqlTables(datastore)
        self._faults = FaultTable(t)
        self._batches = threading.local()  # the batch open in this thread, if any
        plans, members = t.table(PLANS_TABLE), t.table(MEMBERS_TABLE)
        self._plans, self._members, self._visits = plans, members, t.table(VISITS_TABLE)

        def plan_update(assignments: str = "") -> str:
            return t.sql(
                f"UPDATE {plans} SET last_event_at=%s, version=%s{assignments} WHERE plan_id=%s"
            )

        self._touch = plan_update()
        self._content = plan_update(", last_content_at=%s")
        self._consent = plan_update(
            ", consent_status=%s, consent_given_on=%s, consent_expires_on=%s"
        )
        self._consent_status = plan_update(", consent_status=%s")
        self._status = plan_update(", status=%s, end_date=%s")
        self._archived = plan_update(", last_archived_at=%s")
        self._insert_plan = t.sql(
            f"INSERT INTO {plans} (plan_id, plan_type, short_name, owner_person_id, "
            "start_date, end_date, status, consent_status, consent_expires_on, "
            "consent_given_on, coordinator_person_id, created_at, last_event_at, "
            "last_content_at, last_archived_at, version) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self._insert_member = t.sql(
            f"INSERT INTO {members} (plan_id, participant_id, person_id, role, "
            "is_coordinator, active, rights_messages, messages_access, "
            "last_message_to_me_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        self._deactivate = t.sql(
            f"UPDATE {members} SET active=%s WHERE plan_id=%s AND participant_id=%s"
        )
        self._rights_update = t.sql(
            f"UPDATE {members} SET rights_messages=%s, messages_access={_given(None).sql} "
            "WHERE plan_id=%s AND participant_id=%s"
        )
        holds, in_force = _handed_to(None)
        self._baton_update = t.sql(
            f"UPDATE {members} SET is_coordinator=({holds.sql}), "
            f"messages_access={in_force.sql} WHERE plan_id=%s"
        )
        self._coordinator_update = t.sql(
            f"UPDATE {plans} SET coordinator_person_id=(SELECT person_id "
            f"FROM {members} WHERE plan_id=%s AND participant_id=%s) WHERE plan_id=%s"
        )
        self._message_to = t.sql(
            f"UPDATE {members} SET last_message_to_me_at=%s WHERE plan_id=%s AND participant_id=%s"
        )
        super().__init__(datastore, **kwargs)  # type: ignore[call-arg]  # the engine's recorder

    def _table_statements(self) -> list[str]:
        t = self._sql
        uuid, boolean, day = t.uuid_type, t.bool_type, t.date_type
        return [
            f"CREATE TABLE IF NOT EXISTS {self._plans} ("
            f"plan_id {uuid} PRIMARY KEY, plan_type TEXT NOT NULL, short_name TEXT NOT NULL, "
            f"owner_person_id {uuid} NOT NULL, start_date {day} NOT NULL, end_date {day}, "
            "status TEXT NOT NULL, consent_status TEXT NOT NULL, "
            f"consent_expires_on {day} NOT NULL, consent_given_on {day} NOT NULL, "
            f"coordinator_person_id {uuid} NOT NULL, created_at BIGINT NOT NULL, "
            "last_event_at BIGINT NOT NULL, last_content_at BIGINT, last_archived_at BIGINT, "
            "version BIGINT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self._members} ("
            f"plan_id {uuid} NOT NULL, participant_id {uuid} NOT NULL, "
            f"person_id {uuid} NOT NULL, role TEXT NOT NULL, is_coordinator {boolean} NOT NULL, "
            f"active {boolean} NOT NULL, rights_messages TEXT NOT NULL, "
            "messages_access TEXT NOT NULL, last_message_to_me_at BIGINT, "
            "PRIMARY KEY (plan_id, participant_id))",
            f"CREATE INDEX IF NOT EXISTS planlist_members_by_person ON {self._members} (person_id)",
            f"CREATE TABLE IF NOT EXISTS {self._visits} ("
            f"person_id {uuid} NOT NULL, plan_id {uuid} NOT NULL, visited_at BIGINT NOT NULL, "
            "PRIMARY KEY (person_id, plan_id))",
            *self._faults.create_statements(),
        ]

    def _tracking_table(self) -> str:
        raise NotImplementedError

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
            seen = _ADVANCES.count  # before the look: a commit after it wakes the wait
            if self.has_tracking_id(application_name, notification_id):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                msg = f"Timed out waiting for notification {notification_id} of {application_name}"
                raise TimeoutError(msg)
            if interrupt is not None and interrupt.is_set():
                raise WaitInterruptedError
            _ADVANCES.wait_past(seen, min(pause, remaining))
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
        batch = t.open = _Batch()
        try:
            yield
        finally:
            t.open = None
        if batch.tracking is not None:
            batch.writes.extend(self._stamp(*kept) for kept in batch.stamps.values())
            self._commit(batch.tracking, batch.writes, first=batch.first)

    def _project(self, tracking: Tracking, stamp: Stamp, *writes: Write) -> None:
        """An event's writes: with its tracking position in a transaction of their own,
        or added to the open batch (after the plan's kept stamp)."""
        batch: _Batch | None = getattr(self._batches, "open", None)
        if batch is None:
            self._commit(tracking, writes)
            return
        kept = batch.stamps.pop(stamp.plan_id, None)
        if kept is not None:
            batch.writes.append(self._stamp(*kept))
        batch.writes.extend(writes)
        batch.told(tracking)

    def _stamped(self, tracking: Tracking, stamp: Stamp, *writes: Write, content: bool) -> None:
        """An event that changes when its plan last changed (and got content), and
        `writes` to other columns or tables than those."""
        batch: _Batch | None = getattr(self._batches, "open", None)
        if batch is None:
            self._commit(tracking, [self._stamp(stamp, stamp.at if content else None), *writes])
            return
        kept = batch.stamps.pop(stamp.plan_id, None)
        content_at = stamp.at if content else (kept[1] if kept else None)
        batch.stamps[stamp.plan_id] = (stamp, content_at)
        batch.writes.extend(writes)
        batch.told(tracking)

    def _stamp(self, stamp: Stamp, content_at: datetime | None) -> Write:
        if content_at is None:
            return self._plan(self._touch, stamp)
        return self._plan(self._content, stamp, to_micros(content_at))

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
        _ADVANCES.advanced()

    def insert_tracking(self, tracking: Tracking) -> None:
        """The library's (an event the list does not know: its position only), then
        the waiters woken as after any commit."""
        super().insert_tracking(tracking)  # type: ignore[safe-super]
        _ADVANCES.advanced()

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

    def _member(self, plan_id: UUID, member: MemberRow) -> Write:
        t = self._sql
        return self._insert_member, [
            t.value(plan_id),
            t.value(member.participant_id),
            t.value(member.person_id),
            member.role.value,
            t.value(member.is_coordinator),
            t.value(True),
            member.rights_messages.value,
            access.messages_of(member.is_coordinator, member.rights_messages).value,
            None,
        ]

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
                stamp.version,
            ],
        )
        members = (self._member(stamp.plan_id, m) for m in (plan.owner, plan.coordinator))
        self._project(tracking, stamp, new, *members)

    def plan_touched(self, stamp: Stamp, *, tracking: Tracking) -> None:
        self._stamped(tracking, stamp, content=False)

    def content_changed(self, stamp: Stamp, *, tracking: Tracking) -> None:
        self._stamped(tracking, stamp, content=True)

    def participant_added(self, stamp: Stamp, member: MemberRow, *, tracking: Tracking) -> None:
        self._stamped(tracking, stamp, self._member(stamp.plan_id, member), content=False)

    def participant_removed(
        self, stamp: Stamp, participant_id: UUID, *, tracking: Tracking
    ) -> None:
        t = self._sql
        values = [t.value(False), t.value(stamp.plan_id), t.value(participant_id)]
        self._stamped(tracking, stamp, (self._deactivate, values), content=False)

    def rights_changed(
        self, stamp: Stamp, participant_id: UUID, messages: Access, *, tracking: Tracking
    ) -> None:
        t = self._sql
        level = messages.value
        values = [level, *_given(level).values, t.value(stamp.plan_id), t.value(participant_id)]
        self._stamped(tracking, stamp, (self._rights_update, values), content=False)

    def coordinator_handed_over(
        self, stamp: Stamp, participant_id: UUID, *, tracking: Tracking
    ) -> None:
        t = self._sql
        plan, holder = t.value(stamp.plan_id), t.value(participant_id)
        holds, in_force = _handed_to(holder)
        self._stamped(
            tracking,
            stamp,
            (self._baton_update, [*holds.values, *in_force.values, plan]),
            (self._coordinator_update, [plan, holder, plan]),
            content=False,
        )

    def consent_renewed(self, stamp: Stamp, consent: Consent, *, tracking: Tracking) -> None:
        values = (consent.status.value, consent.given_on, consent.expires_on)
        self._project(tracking, stamp, self._plan(self._consent, stamp, *values))

    def consent_ended(self, stamp: Stamp, status: ConsentStatus, *, tracking: Tracking) -> None:
        self._project(tracking, stamp, self._plan(self._consent_status, stamp, status.value))

    def message_sent(
        self, stamp: Stamp, recipient_ids: Sequence[UUID], *, tracking: Tracking
    ) -> None:
        t = self._sql
        at, plan = to_micros(stamp.at), t.value(stamp.plan_id)
        self._stamped(
            tracking,
            stamp,
            *((self._message_to, [at, plan, t.value(to)]) for to in recipient_ids),
            content=True,
        )

    def plan_closed(self, stamp: Stamp, ended_on: date, *, tracking: Tracking) -> None:
        status = PlanStatus.CLOSED.value
        self._project(tracking, stamp, self._plan(self._status, stamp, status, ended_on))

    def plan_reopened(self, stamp: Stamp, end_date: date | None, *, tracking: Tracking) -> None:
        status = PlanStatus.OPEN.value
        self._project(tracking, stamp, self._plan(self._status, stamp, status, end_date))

    def archive_recorded(self, stamp: Stamp, archived_at: datetime, *, tracking: Tracking) -> None:
        archived = to_micros(archived_at)
        self._project(tracking, stamp, self._plan(self._archived, stamp, archived))

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

    def reset(self, application_name: str = APPLICATION_NAME) -> None:
        t = self._sql
        with self.datastore.transaction(commit=True) as c:
            for table in (self._plans, self._members):
                c.execute(f"DROP TABLE IF EXISTS {table}")
            c.execute(
                t.sql(f"DELETE FROM {self._tracking_table()} WHERE application_name=%s"),
                [application_name],
            )
            c.execute(
                t.sql(f"DELETE FROM {self._faults.table} WHERE projection=%s"), [PROJECTION_NAME]
            )
        self.create_table()  # type: ignore[attr-defined]


def _given(level: str | None) -> Condition:
    """A member's right on messages in force once its given right is `level`."""
    return access.messages_in_force(Condition("is_coordinator"), Condition("%s", (level,)))


def _handed_to(holder: Any) -> tuple[Condition, Condition]:
    """Who holds the baton once it is handed to `holder`, and each member's right in force."""
    holds = Condition("participant_id=%s", (holder,))
    return holds, access.messages_in_force(holds, Condition("rights_messages"))
