"""The plan list: who may see which plan, and what changed, as rows (a projection).

`PlanListProjection` turns every plan event into one `PlanChange`; the view writes
it and the event's tracking position in ONE transaction, so each event takes effect
exactly once (a position already recorded raises `IntegrityError`) and a runner
that stopped resumes from the view's own position. Every plan event advances
tracking, including those that change no column but `last_event_at`.

Tables (docs/decisions/0007-plan-list-projection.md):

- `planlist_plans`: one row per plan: type, name, owner, dates, status, consent,
  coordinator, when it was created, last changed (any event), last given content,
  last archived, and its version.
- `planlist_members`: one row per participant of a plan: person, role, coordinator
  or not, active or removed, effective message access (the coordinator always
  writes) and the instant of the latest message sent to them.
- `planlist_visits`: when a person last opened a plan. It is written by the plan
  view, not derived from events, so a rebuild keeps it.

Every value written to these tables passes through `storable`: text no engine can
hold (NUL, lone surrogates) becomes U+FFFD, so an event already stored always fits.
Instants are stored as whole microseconds since the epoch (UTC) on both engines;
dates as ISO text on SQLite and `date` on PostgreSQL. Owner names and birth dates
are read from the person directory's `persons` table in the same database, never
copied into the view.
"""

import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import (
    InfrastructureFactory,
    Tracking,
    TrackingRecorder,
    WaitInterruptedError,
)
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.sql import SQL

from stafett.aggregates.plan import CONTENT_EVENT_TYPES, Plan
from stafett.aggregates.policy import RULES, Action, Need
from stafett.aggregates.values import Access, ConsentStatus, PlanStatus, Role, local_date
from stafett.persistence.recorders import to_micros
from stafett.persistence.sql import SqlTables
from stafett.projections.faults import Fault, FaultLog, FaultTable

APPLICATION_NAME = "plans"
PROJECTION_NAME = "planlist"
PLANS_TABLE = "planlist_plans"
MEMBERS_TABLE = "planlist_members"
VISITS_TABLE = "planlist_visits"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# What a view's text may not hold: NUL (PostgreSQL `text` cannot store it) and lone
# surrogates (neither psycopg nor sqlite3 can encode them as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(value: Any) -> Any:
    """A value as the view stores it: in text, each character no engine can hold
    becomes U+FFFD. Stored events are never refused, so text that reached the event
    store (older data, other writers) must still fit the view (decision 0013)."""
    if isinstance(value, str):
        return _UNSTORABLE.sub(REPLACEMENT, value)
    return value


def from_micros(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


def _standings_opening(consent: Need) -> tuple[str, ...]:
    return tuple(
        sorted(
            standing.value
            for rule in RULES
            if rule.action is Action.OPEN and rule.consent is consent
            for standing in rule.standings
        )
    )


OPEN_WITHOUT_CONSENT = _standings_opening(Need.ANY)
OPEN_WITH_CONSENT = _standings_opening(Need.VALID)


def _one_of(expression: str, values: tuple[str, ...]) -> str:
    """`expression IN (%s, …)`, or a false condition when there is nothing to match."""
    if not values:
        return "(1=0)"
    return f"{expression} IN ({', '.join(['%s'] * len(values))})"


# ------------------------------------------------------------------ values


@dataclass(frozen=True, slots=True)
class MemberRow:
    participant_id: UUID
    person_id: UUID
    role: Role
    is_coordinator: bool
    rights_messages: Access


@dataclass(frozen=True, slots=True)
class NewPlan:
    plan_type: str
    short_name: str
    owner_person_id: UUID
    start_date: date
    end_date: date | None
    consent_status: str
    consent_given_on: date
    consent_expires_on: date
    coordinator_person_id: UUID
    members: tuple[MemberRow, ...]


@dataclass(frozen=True, slots=True)
class PlanChange:
    """What one plan event changes in the view (every event moves `last_event_at`)."""

    plan_id: UUID
    version: int
    at: datetime
    new_plan: NewPlan | None = None
    plan_fields: tuple[tuple[str, object], ...] = ()
    content: bool = False
    new_members: tuple[MemberRow, ...] = ()
    removed_member: UUID | None = None
    rights_messages: tuple[UUID, Access] | None = None
    coordinator: UUID | None = None
    message_to: tuple[UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanListRow:
    """One plan in a person's list (api.md: GET /api/v1/plans), plus its owner's id."""

    id: UUID
    owner_person_id: UUID
    owner_name: str | None
    owner_birth_date: date | None
    short_name: str
    type: str
    changed_since_last_visit: bool
    new_message: bool
    consent_expires_on: date
    consent_expires_in_days: int
    start_date: date
    end_date: date | None
    last_archived_at: datetime | None
    can_manage: bool


@dataclass(frozen=True, slots=True)
class PlanCount:
    type: str
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class ReportItem:
    """A plan in an organisation report: no personal data, one relevant date."""

    plan_id: UUID
    short_name: str
    type: str
    status: str
    on: date | None


# -------------------------------------------------------------------- view


class PlanListView(TrackingRecorder, FaultLog, ABC):
    """The plan-list tables and their queries; written only through `apply`.

    It also keeps the runner's fault record (`projections/faults.py`)."""

    @abstractmethod
    def apply(self, change: PlanChange, tracking: Tracking) -> None:
        """Write the change and the tracking position in one transaction."""

    @abstractmethod
    def plans_for(
        self,
        person_id: UUID,
        *,
        today: date,
        first_name: str | None = None,
        last_name: str | None = None,
        include_closed: bool = False,
    ) -> list[PlanListRow]:
        """The plans this person is an active member of and may open today."""

    @abstractmethod
    def note_visit(self, person_id: UUID, plan_id: UUID, at: datetime) -> None:
        """Remember that the person opened the plan (the latest visit wins)."""

    @abstractmethod
    def report_counts(self) -> list[PlanCount]: ...

    @abstractmethod
    def consents_expiring(self, today: date, within_days: int = 30) -> list[ReportItem]: ...

    @abstractmethod
    def inactive_plans(self, now: datetime, days: int = 90) -> list[ReportItem]: ...

    @abstractmethod
    def never_archived(self) -> list[ReportItem]: ...

    @abstractmethod
    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table a rebuild makes, ordered (for checks and operators)."""

    @abstractmethod
    def reset(self, application_name: str = APPLICATION_NAME) -> None:
        """Drop the projected tables, the tracking position and any fault; make them anew."""


class _PlanListSQL(PlanListView):
    """The SQL shared by both engines, through `SqlTables` (placeholders, value types)."""

    _sql: SqlTables
    _faults: FaultTable
    datastore: Any

    def _table_statements(self) -> list[str]:
        t = self._sql
        uuid, boolean, day = t.uuid_type, t.bool_type, t.date_type
        plans, members, visits = (t.table(n) for n in (PLANS_TABLE, MEMBERS_TABLE, VISITS_TABLE))
        return [
            f"CREATE TABLE IF NOT EXISTS {plans} ("
            f"plan_id {uuid} PRIMARY KEY, plan_type TEXT NOT NULL, short_name TEXT NOT NULL, "
            f"owner_person_id {uuid} NOT NULL, start_date {day} NOT NULL, end_date {day}, "
            "status TEXT NOT NULL, consent_status TEXT NOT NULL, "
            f"consent_expires_on {day} NOT NULL, consent_given_on {day} NOT NULL, "
            f"coordinator_person_id {uuid} NOT NULL, created_at BIGINT NOT NULL, "
            "last_event_at BIGINT NOT NULL, last_content_at BIGINT, last_archived_at BIGINT, "
            "version BIGINT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {members} ("
            f"plan_id {uuid} NOT NULL, participant_id {uuid} NOT NULL, "
            f"person_id {uuid} NOT NULL, role TEXT NOT NULL, is_coordinator {boolean} NOT NULL, "
            f"active {boolean} NOT NULL, rights_messages TEXT NOT NULL, "
            "messages_access TEXT NOT NULL, last_message_to_me_at BIGINT, "
            "PRIMARY KEY (plan_id, participant_id))",
            f"CREATE INDEX IF NOT EXISTS planlist_members_by_person ON {members} (person_id)",
            f"CREATE TABLE IF NOT EXISTS {visits} ("
            f"person_id {uuid} NOT NULL, plan_id {uuid} NOT NULL, visited_at BIGINT NOT NULL, "
            "PRIMARY KEY (person_id, plan_id))",
            *self._faults.create_statements(),
        ]

    def _tracking_table(self) -> str:
        raise NotImplementedError

    def _begin(self, c: Any) -> None:
        """Called first in each projecting transaction."""

    @staticmethod
    def _write(c: Any, statement: str, values: Sequence[Any]) -> None:
        """Every write to the view's tables goes through here, each value made `storable`."""
        c.execute(statement, [storable(value) for value in values])

    def wait(
        self,
        application_name: str,
        notification_id: int | None,
        timeout: float = 1.0,
        interrupt: threading.Event | None = None,
    ) -> None:
        """The library's wait, polling from 2 ms up to 100 ms instead of from 100 ms.

        A web request waits here after each write (read-your-writes); the runner
        usually has the event within milliseconds.
        """
        deadline = time.monotonic() + timeout
        pause = 0.002
        while not self.has_tracking_id(application_name, notification_id):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                msg = f"Timed out waiting for notification {notification_id} of {application_name}"
                raise TimeoutError(msg)
            if interrupt is None:
                time.sleep(min(pause, remaining))
            elif interrupt.wait(min(pause, remaining)):
                raise WaitInterruptedError
            pause = min(pause * 2, 0.1)

    # -------------------------------------------------------------- faults

    def record_fault(self, projection: str, notification_id: int, error: str, at: datetime) -> None:
        self._faults.record(projection, notification_id, error, at)

    def clear_fault(self, projection: str) -> None:
        self._faults.clear(projection)

    def fault(self, application_name: str = APPLICATION_NAME) -> Fault | None:
        return self._faults.read(PROJECTION_NAME, self._tracking_table(), application_name)

    # ------------------------------------------------------------- writing

    def apply(self, change: PlanChange, tracking: Tracking) -> None:
        t = self._sql
        plans, members = t.table(PLANS_TABLE), t.table(MEMBERS_TABLE)
        plan = t.value(change.plan_id)
        at = to_micros(change.at)
        with self.datastore.transaction(commit=True) as c:
            self._begin(c)
            new = change.new_plan
            if new is not None:
                self._write(
                    c,
                    t.sql(
                        f"INSERT INTO {plans} (plan_id, plan_type, short_name, "
                        "owner_person_id, start_date, end_date, status, consent_status, "
                        "consent_expires_on, consent_given_on, coordinator_person_id, "
                        "created_at, last_event_at, last_content_at, last_archived_at, version) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    ),
                    [
                        plan,
                        new.plan_type,
                        new.short_name,
                        t.value(new.owner_person_id),
                        t.value(new.start_date),
                        t.value(new.end_date),
                        PlanStatus.OPEN.value,
                        new.consent_status,
                        t.value(new.consent_expires_on),
                        t.value(new.consent_given_on),
                        t.value(new.coordinator_person_id),
                        at,
                        at,
                        None,
                        None,
                        change.version,
                    ],
                )
            else:
                assignments = ["last_event_at=%s", "version=%s"]
                values: list[Any] = [at, change.version]
                if change.content:
                    assignments.append("last_content_at=%s")
                    values.append(at)
                for column, value in change.plan_fields:
                    assignments.append(f"{column}=%s")
                    values.append(t.value(value))
                self._write(
                    c,
                    t.sql(f"UPDATE {plans} SET {', '.join(assignments)} WHERE plan_id=%s"),
                    [*values, plan],
                )
            for member in (*(new.members if new else ()), *change.new_members):
                access = Access.WRITE if member.is_coordinator else member.rights_messages
                self._write(
                    c,
                    t.sql(
                        f"INSERT INTO {members} (plan_id, participant_id, person_id, role, "
                        "is_coordinator, active, rights_messages, messages_access, "
                        "last_message_to_me_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    ),
                    [
                        plan,
                        t.value(member.participant_id),
                        t.value(member.person_id),
                        member.role.value,
                        t.value(member.is_coordinator),
                        t.value(True),
                        member.rights_messages.value,
                        access.value,
                        None,
                    ],
                )
            if change.removed_member is not None:
                self._write(
                    c,
                    t.sql(f"UPDATE {members} SET active=%s WHERE plan_id=%s AND participant_id=%s"),
                    [t.value(False), plan, t.value(change.removed_member)],
                )
            if change.rights_messages is not None:
                participant, level = change.rights_messages
                self._write(
                    c,
                    t.sql(
                        f"UPDATE {members} SET rights_messages=%s, messages_access="
                        "CASE WHEN is_coordinator THEN 'write' ELSE %s END "
                        "WHERE plan_id=%s AND participant_id=%s"
                    ),
                    [level.value, level.value, plan, t.value(participant)],
                )
            if change.coordinator is not None:
                coordinator = t.value(change.coordinator)
                self._write(
                    c,
                    t.sql(
                        f"UPDATE {members} SET is_coordinator=(participant_id=%s), "
                        "messages_access=CASE WHEN participant_id=%s THEN 'write' "
                        "ELSE rights_messages END WHERE plan_id=%s"
                    ),
                    [coordinator, coordinator, plan],
                )
                self._write(
                    c,
                    t.sql(
                        f"UPDATE {plans} SET coordinator_person_id=(SELECT person_id "
                        f"FROM {members} WHERE plan_id=%s AND participant_id=%s) "
                        "WHERE plan_id=%s"
                    ),
                    [plan, coordinator, plan],
                )
            if change.message_to:
                marks = ", ".join(["%s"] * len(change.message_to))
                self._write(
                    c,
                    t.sql(
                        f"UPDATE {members} SET last_message_to_me_at=%s "
                        f"WHERE plan_id=%s AND participant_id IN ({marks})"
                    ),
                    [at, plan, *(t.value(p) for p in change.message_to)],
                )
            self._insert_tracking(c, tracking)  # type: ignore[attr-defined]

    def note_visit(self, person_id: UUID, plan_id: UUID, at: datetime) -> None:
        t = self._sql
        latest = "max" if t.is_sqlite else "GREATEST"
        visits = t.table(VISITS_TABLE)
        with self.datastore.transaction(commit=True) as c:
            self._write(
                c,
                t.sql(
                    f"INSERT INTO {visits} (person_id, plan_id, visited_at) VALUES (%s, %s, %s) "
                    "ON CONFLICT (person_id, plan_id) DO UPDATE SET visited_at="
                    f"{latest}({visits.split('.')[-1]}.visited_at, excluded.visited_at)"
                ),
                [t.value(person_id), t.value(plan_id), to_micros(at)],
            )

    def reset(self, application_name: str = APPLICATION_NAME) -> None:
        t = self._sql
        with self.datastore.transaction(commit=True) as c:
            for name in (PLANS_TABLE, MEMBERS_TABLE):
                c.execute(f"DROP TABLE IF EXISTS {t.table(name)}")
            c.execute(
                t.sql(f"DELETE FROM {self._tracking_table()} WHERE application_name=%s"),
                [application_name],
            )
            c.execute(
                t.sql(f"DELETE FROM {self._faults.table} WHERE projection=%s"), [PROJECTION_NAME]
            )
        self.create_table()  # type: ignore[attr-defined]

    # ------------------------------------------------------------- reading

    def plans_for(
        self,
        person_id: UUID,
        *,
        today: date,
        first_name: str | None = None,
        last_name: str | None = None,
        include_closed: bool = False,
    ) -> list[PlanListRow]:
        """Search: `first_name` is a prefix of the owner's first name, `last_name` a
        prefix of a later word of their full name; both case-insensitive."""
        t = self._sql
        day = t.value(today)
        # Who may open a plan comes from the policy table's `open` rows.
        standing = "(CASE WHEN m.is_coordinator THEN 'coordinator' ELSE m.role END)"
        where = [
            "m.person_id=%s",
            "m.active",
            f"({_one_of(standing, OPEN_WITHOUT_CONSENT)} OR "
            f"({_one_of(standing, OPEN_WITH_CONSENT)} AND p.consent_status='active' "
            "AND p.consent_given_on<=%s AND %s<=p.consent_expires_on))",
        ]
        values: list[Any] = [
            t.value(person_id),
            *OPEN_WITHOUT_CONSENT,
            *OPEN_WITH_CONSENT,
            day,
            day,
        ]
        if not include_closed:
            where.append("p.status='open'")
        if first_name:
            where.append("d.name_key LIKE %s ESCAPE '!'")
            values.append(_escape_like(first_name.strip().casefold()) + "%")
        if last_name:
            where.append("d.name_key LIKE %s ESCAPE '!'")
            values.append("% " + _escape_like(last_name.strip().casefold()) + "%")
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                t.sql(
                    "SELECT p.plan_id, p.owner_person_id, p.short_name, p.plan_type, p.status, "
                    "p.consent_expires_on, p.start_date, p.end_date, p.last_archived_at, "
                    "p.last_event_at, m.is_coordinator, m.messages_access, "
                    "m.last_message_to_me_at, v.visited_at, d.first_name, d.last_name, "
                    f"d.birth_date FROM {t.table(MEMBERS_TABLE)} m "
                    f"JOIN {t.table(PLANS_TABLE)} p ON p.plan_id=m.plan_id "
                    f"LEFT JOIN {t.table(VISITS_TABLE)} v "
                    "ON v.person_id=m.person_id AND v.plan_id=m.plan_id "
                    f"LEFT JOIN {t.table('persons')} d ON d.person_id=p.owner_person_id "
                    f"WHERE {' AND '.join(where)} "
                    "ORDER BY p.last_event_at DESC, p.plan_id"
                ),
                values,
            )
            rows = c.fetchall()
        return [self._list_row(row, today) for row in rows]

    def _list_row(self, row: Any, today: date) -> PlanListRow:
        visited = row["visited_at"]
        last_message = row["last_message_to_me_at"]
        expires_on = _date(row["consent_expires_on"])
        assert expires_on is not None
        start_date = _date(row["start_date"])
        assert start_date is not None
        name = None
        if row["first_name"] is not None:
            name = f"{row['first_name']} {row['last_name']}"
        return PlanListRow(
            id=self._sql.uuid(row["plan_id"]),
            owner_person_id=self._sql.uuid(row["owner_person_id"]),
            owner_name=name,
            owner_birth_date=_date(row["birth_date"]),
            short_name=row["short_name"],
            type=row["plan_type"],
            changed_since_last_visit=visited is None or row["last_event_at"] > visited,
            new_message=last_message is not None
            and (visited is None or last_message > visited)
            and row["messages_access"] != Access.NONE.value,
            consent_expires_on=expires_on,
            consent_expires_in_days=(expires_on - today).days,
            start_date=start_date,
            end_date=_date(row["end_date"]),
            last_archived_at=from_micros(row["last_archived_at"]),
            can_manage=bool(row["is_coordinator"]) and row["status"] == PlanStatus.OPEN.value,
        )

    def report_counts(self) -> list[PlanCount]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT plan_type, status, COUNT(*) AS n FROM {self._sql.table(PLANS_TABLE)} "
                "GROUP BY plan_type, status ORDER BY plan_type, status"
            )
            return [PlanCount(r["plan_type"], r["status"], int(r["n"])) for r in c.fetchall()]

    def consents_expiring(self, today: date, within_days: int = 30) -> list[ReportItem]:
        t = self._sql
        return self._report(
            "consent_expires_on",
            "status='open' AND consent_status='active' "
            "AND consent_expires_on>=%s AND consent_expires_on<=%s",
            [t.value(today), t.value(today + timedelta(days=within_days))],
            "consent_expires_on",
        )

    def inactive_plans(self, now: datetime, days: int = 90) -> list[ReportItem]:
        return self._report(
            "last_event_at",
            "status='open' AND last_event_at<%s",
            [to_micros(now - timedelta(days=days))],
            "last_event_at",
        )

    def never_archived(self) -> list[ReportItem]:
        return self._report("created_at", "last_archived_at IS NULL", [], "created_at")

    def _report(self, on: str, where: str, values: Sequence[Any], order: str) -> list[ReportItem]:
        t = self._sql
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                t.sql(
                    f"SELECT plan_id, short_name, plan_type, status, {on} AS on_value "
                    f"FROM {t.table(PLANS_TABLE)} WHERE {where} ORDER BY {order}, plan_id"
                ),
                list(values),
            )
            rows = c.fetchall()
        items = []
        for row in rows:
            value = row["on_value"]
            instant = from_micros(value) if isinstance(value, int) else None
            items.append(
                ReportItem(
                    plan_id=t.uuid(row["plan_id"]),
                    short_name=row["short_name"],
                    type=row["plan_type"],
                    status=row["status"],
                    on=local_date(instant) if instant is not None else _date(value),
                )
            )
        return items

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        t = self._sql
        keys = {PLANS_TABLE: "plan_id", MEMBERS_TABLE: "plan_id, participant_id"}
        found: dict[str, list[tuple[Any, ...]]] = {}
        with self.datastore.transaction(commit=False) as c:
            for name, key in keys.items():
                c.execute(f"SELECT * FROM {t.table(name)} ORDER BY {key}")
                found[name] = [tuple(dict(row).values()) for row in c.fetchall()]
        return found


class SQLitePlanListView(_PlanListSQL, SQLiteTrackingRecorder):
    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        self._sql = SqlTables(datastore)
        self._faults = FaultTable(self._sql)
        super().__init__(datastore, **kwargs)

    def construct_create_table_statements(self) -> list[str]:
        statements: list[str] = super().construct_create_table_statements()
        return [*statements, *self._table_statements()]

    def _tracking_table(self) -> str:
        return "tracking"


class PostgresPlanListView(_PlanListSQL, PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        self._sql = SqlTables(datastore)
        self._faults = FaultTable(self._sql)
        super().__init__(datastore, **kwargs)
        self.sql_create_statements.extend(SQL(s).format() for s in self._table_statements())

    def _tracking_table(self) -> str:
        return self._sql.table(self.tracking_table_name)

    def _begin(self, c: Any) -> None:
        """Commit without waiting for the WAL flush (visibility is unchanged).

        A crash may lose the last few projected transactions, each with its
        tracking row, so they are projected again on restart: still exactly once.
        """
        c.execute("SET LOCAL synchronous_commit = off")


def view_class(env: Mapping[str, str]) -> type[PlanListView]:
    """The view for the store the plan application's settings name."""
    if "sqlite" in env.get("PERSISTENCE_MODULE", ""):
        return SQLitePlanListView
    return PostgresPlanListView


# -------------------------------------------------------------- projection


class PlanListProjection(Projection[PlanListView]):
    name = PROJECTION_NAME
    topics: ClassVar[tuple[str, ...]] = (  # type: ignore[misc]
        Plan.Created.TOPIC,
        *(
            cls.TOPIC
            for cls in vars(Plan).values()
            if isinstance(cls, type) and issubclass(cls, Plan.Event) and cls is not Plan.Event
        ),
    )

    def __init__(self, view: PlanListView) -> None:
        super().__init__(view)
        self.processed = 0

    def _apply(self, change: PlanChange, tracking: Tracking) -> None:
        self.view.apply(change, tracking)
        self.processed += 1

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """An event the list does not know: only its position is recorded."""
        self.view.insert_tracking(tracking)
        self.processed += 1

    @process_event.register
    def _created(self, event: Plan.Created, tracking: Tracking) -> None:
        owner = MemberRow(
            event.owner_participant_id, event.owner_person_id, Role.OWNER, False, Access.WRITE
        )
        coordinator = MemberRow(
            event.coordinator_participant_id,
            event.coordinator_person_id,
            Role.PROVIDER,
            True,
            Access.WRITE,
        )
        new = NewPlan(
            plan_type=event.plan_type.value,
            short_name=event.short_name,
            owner_person_id=event.owner_person_id,
            start_date=event.start_date,
            end_date=event.end_date,
            consent_status=event.consent.status.value,
            consent_given_on=event.consent.given_on,
            consent_expires_on=event.consent.expires_on,
            coordinator_person_id=event.coordinator_person_id,
            members=(owner, coordinator),
        )
        self._apply(self._change(event, new_plan=new), tracking)

    @process_event.register
    def _other(self, event: Plan.Event, tracking: Tracking) -> None:
        self._apply(self._change(event, content=isinstance(event, CONTENT_EVENT_TYPES)), tracking)

    @process_event.register
    def _added(self, event: Plan.ParticipantAdded, tracking: Tracking) -> None:
        member = MemberRow(
            event.participant_id, event.person_id, event.role, False, event.rights.messages
        )
        self._apply(self._change(event, new_members=(member,)), tracking)

    @process_event.register
    def _rights(self, event: Plan.RightsChanged, tracking: Tracking) -> None:
        change = self._change(event, rights_messages=(event.participant_id, event.rights.messages))
        self._apply(change, tracking)

    @process_event.register
    def _removed(self, event: Plan.ParticipantRemoved, tracking: Tracking) -> None:
        self._apply(self._change(event, removed_member=event.participant_id), tracking)

    @process_event.register
    def _handed_over(self, event: Plan.CoordinatorHandedOver, tracking: Tracking) -> None:
        self._apply(self._change(event, coordinator=event.participant_id), tracking)

    @process_event.register
    def _renewed(self, event: Plan.ConsentRenewed, tracking: Tracking) -> None:
        fields = (
            ("consent_status", event.consent.status.value),
            ("consent_given_on", event.consent.given_on),
            ("consent_expires_on", event.consent.expires_on),
        )
        self._apply(self._change(event, plan_fields=fields), tracking)

    @process_event.register
    def _reset(self, event: Plan.ConsentReset, tracking: Tracking) -> None:
        fields = (("consent_status", ConsentStatus.RESET.value),)
        self._apply(self._change(event, plan_fields=fields), tracking)

    @process_event.register
    def _withdrawn(self, event: Plan.ConsentWithdrawn, tracking: Tracking) -> None:
        fields = (("consent_status", ConsentStatus.WITHDRAWN.value),)
        self._apply(self._change(event, plan_fields=fields), tracking)

    @process_event.register
    def _message(self, event: Plan.MessageSent, tracking: Tracking) -> None:
        change = self._change(event, content=True, message_to=event.message.recipient_ids)
        self._apply(change, tracking)

    @process_event.register
    def _closed(self, event: Plan.Closed, tracking: Tracking) -> None:
        fields = (("status", PlanStatus.CLOSED.value), ("end_date", event.ended_on))
        self._apply(self._change(event, plan_fields=fields), tracking)

    @process_event.register
    def _reopened(self, event: Plan.Reopened, tracking: Tracking) -> None:
        fields = (("status", PlanStatus.OPEN.value), ("end_date", event.end_date))
        self._apply(self._change(event, plan_fields=fields), tracking)

    @process_event.register
    def _archived(self, event: Plan.Archived, tracking: Tracking) -> None:
        fields = (("last_archived_at", to_micros(event.archive.archived_at)),)
        self._apply(self._change(event, plan_fields=fields), tracking)

    @staticmethod
    def _change(event: Plan.Event | Plan.Created, **fields: Any) -> PlanChange:
        return PlanChange(
            plan_id=event.originator_id,
            version=event.originator_version,
            at=event.timestamp,
            **fields,
        )


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _escape_like(word: str) -> str:
    return word.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def construct_view(env: Mapping[str, str]) -> tuple[PlanListView, InfrastructureFactory[Any]]:
    """The view on the plan application's store, and the factory to close it with.

    Its settings are the plan application's, read under the projection's name (so
    `PLANLIST_*` variables may override them); on PostgreSQL its tracking table is
    `planlist_tracking`.
    """
    factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(
        Environment(PlanListProjection.name, env)
    )
    view = factory.tracking_recorder(view_class(env))
    assert isinstance(view, PlanListView)
    return view, factory
