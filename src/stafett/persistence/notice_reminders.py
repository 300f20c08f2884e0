"""The reminders plans have coming (`notice_reminders`), kept by the notice process.

Decision 0022. A row per reminder (`aggregates/reminders.py`), keyed by its derived
id. The notice process writes a plan's rows in the same transaction as its outbox
rows and position (`NoticeOutbox.record`): the plan's pending rows that it no longer
has coming are voided (a new consent expiry or due date, a completed activity, a
removed participant, a closed plan), those it has are added, and a voided one it has
again is pending again. A row the sweep has settled as `fired` or `lapsed` (due
only after its last day) stays so: a reminder is given once, however often the
process reads its plan's events again.

Nothing here is kept only in memory: a restart finds the same pending rows, and the
sweep marks a row fired in the transaction that writes its outbox rows.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from stafett.aggregates.reminders import Reminder
from stafett.aggregates.values import ReminderKind
from stafett.persistence.recorders import to_micros
from stafett.persistence.sql import SqlTables

REMINDERS_TABLE = "notice_reminders"
PENDING, FIRED, VOID, LAPSED = "pending", "fired", "void", "lapsed"
_COLUMNS = "reminder_id, plan_id, kind, subject_id, about_on, fire_on, last_on, status, settled_at"


@dataclass(frozen=True, slots=True)
class StoredReminder:
    reminder: Reminder
    status: str


class ReminderTable:
    """The statements on `notice_reminders`, run on a cursor of the outbox's transactions."""

    def __init__(self, tables: SqlTables) -> None:
        self.tables = tables
        self.name = tables.table(REMINDERS_TABLE)

    def create_statements(self) -> list[str]:
        uuid_, date_ = self.tables.uuid_type, self.tables.date_type
        return [
            f"CREATE TABLE IF NOT EXISTS {self.name} ("
            f"reminder_id {uuid_} PRIMARY KEY, plan_id {uuid_} NOT NULL, kind TEXT NOT NULL, "
            f"subject_id {uuid_} NOT NULL, about_on {date_} NOT NULL, "
            f"fire_on {date_} NOT NULL, last_on {date_}, status TEXT NOT NULL, "
            "settled_at BIGINT)",
            f"CREATE INDEX IF NOT EXISTS notice_reminders_due ON {self.name} (status, fire_on)",
            f"CREATE INDEX IF NOT EXISTS notice_reminders_plan ON {self.name} (plan_id)",
        ]

    def schedule(self, c: Any, schedules: Mapping[UUID, Sequence[Reminder]]) -> None:
        """Each plan's pending reminders become those it has coming (on cursor `c`)."""
        t = self.tables
        void = t.sql(
            f"UPDATE {self.name} SET status='{VOID}' WHERE plan_id=%s AND status='{PENDING}'"
        )
        upsert = t.sql(
            f"INSERT INTO {self.name} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT (reminder_id) DO UPDATE SET status='{PENDING}' "
            f"WHERE {self.name}.status='{VOID}'"
        )
        for plan_id in schedules:
            c.execute(void, [t.value(plan_id)])
        rows = [self._row(r) for reminders in schedules.values() for r in reminders]
        if rows:
            c.executemany(upsert, rows)

    def _row(self, r: Reminder) -> list[Any]:
        values = (
            r.reminder_id,
            r.plan_id,
            r.kind.value,
            r.subject_id,
            r.about_on,
            r.fire_on,
            r.last_on,
            PENDING,
            None,
        )
        return [self.tables.value(v) for v in values]

    def due(self, today: date, limit: int) -> list[Reminder]:
        """Pending reminders due on or before `today`, oldest first."""
        rows = self.tables.select(
            f"SELECT {_COLUMNS} FROM {self.name} WHERE status='{PENDING}' AND fire_on<=%s "
            "ORDER BY fire_on LIMIT %s",
            today,
            limit,
        )
        return [self._read(r).reminder for r in rows]

    def settle(self, c: Any, reminder_id: UUID, status: str, at: datetime) -> bool:
        """A pending reminder fired, void or lapsed (on cursor `c`); False if not pending."""
        self.tables.execute(
            c,
            f"UPDATE {self.name} SET status=%s, settled_at=%s "
            f"WHERE reminder_id=%s AND status='{PENDING}' RETURNING reminder_id",
            status,
            to_micros(at),
            reminder_id,
        )
        return c.fetchone() is not None

    def stored(self, plan_ids: Iterable[UUID] | None = None) -> list[StoredReminder]:
        """Every row (of `plan_ids`), by due date: tests and operators."""
        rows = self.tables.select(f"SELECT {_COLUMNS} FROM {self.name} ORDER BY fire_on, kind")
        wanted = None if plan_ids is None else set(plan_ids)
        found = [self._read(r) for r in rows]
        return [s for s in found if wanted is None or s.reminder.plan_id in wanted]

    def _read(self, r: Any) -> StoredReminder:
        t = self.tables
        last = r["last_on"]
        reminder = Reminder(
            plan_id=t.uuid(r["plan_id"]),
            kind=ReminderKind(r["kind"]),
            subject_id=t.uuid(r["subject_id"]),
            about_on=_date(r["about_on"]),
            fire_on=_date(r["fire_on"]),
            last_on=None if last is None else _date(last),
        )
        return StoredReminder(reminder, r["status"])


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
