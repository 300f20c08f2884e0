"""The notice outbox: one row per (event, recipient, channel), and the process's position.

Written by the notice process (`projections/notices.py`) and read by the sender
(`applications/notice_sender.py`), on the plan store's database (decision 0020):

- `notice_outbox`: a row per notice. Its id is derived from the event (plan and
  version), the participant and the channel (a UUID 5 of the four), and is the
  table's only key (one index less to write per row), so writing the
  same event's notices again (a rebuild, a second process) adds nothing. A row is
  `pending` until sent (`sent`, with the instant; recorded at most once) or given up
  after the last attempt (`dead`, until an organisation administrator retries it).
  A sender leases due rows for a while (`lease_until`, `lease_token`); a lease that
  runs out (the sender died) makes the row due again.
- `notice_tracking`: the last notification id of the plan application whose notices
  are written. It is written in the same transaction as the rows, so every event
  turns into notices exactly once.
- `notice_reminders` (`notice_reminders.py`): the reminders plans have coming, kept
  in the same transaction; a due one becomes outbox rows, ids derived from the
  reminder, in the transaction that marks it fired (decision 0022).

An e-mail to one who chose the hourly digest is `held`; once its hour is over the
sender merges a participant's held rows of one plan into one `digest` row (its id
derived from the plan, the participant and the hour, so at most one per hour) and
marks them `merged` with that row's id (`digest_id`), in one transaction.

No personal data beyond ids and the plan's short name is kept: addresses, names and
the language are looked up when a notice is sent, and content never enters it.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from stafett.aggregates.notices import Notice
from stafett.aggregates.plan import Plan
from stafett.aggregates.reminders import Reminder
from stafett.persistence.notice_ids import digest_id, hour_of, notice_int, reminder_notice_id
from stafett.persistence.notice_reminders import ReminderTable
from stafett.persistence.recorders import from_micros, to_micros
from stafett.persistence.sql import SqlTables, Table

OUTBOX_TABLE = "notice_outbox"
TRACKING_TABLE = "notice_tracking"
PROCESS_NAME = "notices"
PENDING, SENT, DEAD = "pending", "sent", "dead"
HELD, MERGED = "held", "merged"  # an e-mail for the digest: waiting, then in one
DIGEST_KIND = "digest"
HOUR = timedelta(hours=1)
MAX_ERROR_LENGTH = 200


def _hex(value: UUID) -> str:
    return value.hex


def _same(value: UUID) -> UUID:
    return value


def _int_hex(value: int) -> str:
    return f"{value:032x}"  # as UUID.hex


def _int_uuid(value: int) -> UUID:
    return UUID(int=value)


class OutboxNotice(msgspec.Struct, frozen=True, kw_only=True):
    """What a row is a notice of: the event (or the reminder's plan) it comes from, whom
    it is to, by which channel, and the plan it is about.

    These are msgspec Structs, made in C: the process makes a `NewNotice` for every row
    it writes, and a frozen dataclass sets each of its fields through `object.__setattr__`,
    tens of times slower (decision 0032)."""

    notification_id: int
    plan_id: UUID
    version: int
    participant_id: UUID
    person_id: UUID
    kind: str
    channel: str
    short_name: str
    owner_person_id: UUID


class NewNotice(OutboxNotice, frozen=True, kw_only=True):
    """A notice as the process writes it."""

    at: datetime
    held: bool = False  # an e-mail for the digest
    reminder_id: UUID | None = None  # a reminder's notice, not an event's

    @property
    def notice_id(self) -> UUID:
        if self.reminder_id is not None:
            return reminder_notice_id(self.reminder_id, self.participant_id, self.channel)
        return UUID(int=self._notice_int())

    def _notice_int(self) -> int:
        """An event's notice's id as its integer (the process's rows; not a reminder's)."""
        return notice_int(self.plan_id, self.version, self.participant_id, self.channel)


def new_notices(
    plan: Plan,
    notices: Iterable[Notice],
    *,
    notification_id: int,
    at: datetime,
    reminder_id: UUID | None = None,
) -> list[NewNotice]:
    """The rows the process writes for `notices` of `plan` (as it is just after the
    event, or on a reminder's day): to whom and how from each notice, the rest from the plan."""
    return [
        NewNotice(
            notification_id=notification_id,
            plan_id=plan.id,
            version=plan.version,
            participant_id=n.participant_id,
            person_id=n.person_id,
            kind=n.kind.value,
            channel=n.channel.value,
            short_name=plan.state.short_name,
            owner_person_id=plan.state.owner_person_id,
            at=at,
            held=n.held,
            reminder_id=reminder_id,
        )
        for n in notices
    ]


class OutboxRow(OutboxNotice, frozen=True, kw_only=True):
    """A notice as the sender and administrators see it."""

    notice_id: UUID
    created_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_token: str | None
    sent_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Backlog:
    pending: int
    dead: int
    sent: int
    oldest_pending: datetime | None
    position: int
    held: int = 0  # e-mails waiting for their hour's digest


COLUMNS = (
    "notice_id, notification_id, plan_id, version, participant_id, person_id, kind, channel, "
    "short_name, owner_person_id, created_at, status, attempts, next_attempt_at, "
    "lease_token, sent_at, last_error"
)


class NoticeOutbox(SqlTables):
    outbox = Table(OUTBOX_TABLE)
    tracking = Table(TRACKING_TABLE)

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        super().__init__(datastore)
        self.reminders = ReminderTable(self)
        t = self.outbox
        self._insert = self.sql(
            f"INSERT INTO {t} ({COLUMNS}) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING"
        )
        self._advance = self.sql(
            f"INSERT INTO {self.tracking} (name, notification_id) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET notification_id = excluded.notification_id "
            f"WHERE {self.tracking}.notification_id < excluded.notification_id"
        )
        skip_locked = "" if self.is_sqlite else " FOR UPDATE SKIP LOCKED"
        self._lease = self.sql(
            f"UPDATE {t} SET lease_token=%s, lease_until=%s WHERE notice_id IN ("
            f"SELECT notice_id FROM {t} WHERE status='{PENDING}' AND next_attempt_at<=%s "
            "AND (lease_until IS NULL OR lease_until<=%s) "
            f"ORDER BY next_attempt_at LIMIT %s{skip_locked}) RETURNING {COLUMNS}"
        )

    def create_tables(self) -> None:
        uuid_, t = self.uuid_type, self.outbox
        self.create(
            [
                f"CREATE TABLE IF NOT EXISTS {t} ("
                f"notice_id {uuid_} PRIMARY KEY, notification_id BIGINT NOT NULL, "
                f"plan_id {uuid_} NOT NULL, version BIGINT NOT NULL, "
                f"participant_id {uuid_} NOT NULL, person_id {uuid_} NOT NULL, "
                "kind TEXT NOT NULL, channel TEXT NOT NULL, short_name TEXT NOT NULL, "
                f"owner_person_id {uuid_} NOT NULL, "
                "created_at BIGINT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, "
                "next_attempt_at BIGINT NOT NULL, lease_until BIGINT, lease_token TEXT, "
                "sent_at BIGINT, last_error TEXT)",
                f"CREATE INDEX IF NOT EXISTS notice_outbox_due ON {t} (status, next_attempt_at)",
                f"CREATE TABLE IF NOT EXISTS {self.tracking} ("
                "name TEXT PRIMARY KEY, notification_id BIGINT NOT NULL)",
                *self.reminders.create_statements(),
            ]
        )
        self.add_missing_columns(OUTBOX_TABLE, {"digest_id": uuid_})

    # ------------------------------------------------------------ the process

    def record(
        self,
        notices: Sequence[NewNotice],
        position: int,
        schedules: Mapping[UUID, Sequence[Reminder]] | None = None,
    ) -> None:
        """The notices of events up to `position`, the reminders the plans those events
        changed now have coming (`schedules`), and that position, in one transaction."""
        self.record_rows([self._row(n) for n in notices], position, schedules)

    def record_rows(
        self,
        rows: Sequence[Sequence[Any]],
        position: int,
        schedules: Mapping[UUID, Sequence[Reminder]] | None = None,
        *,
        name: str = PROCESS_NAME,
    ) -> None:
        """`record` for rows of the outbox's columns (`COLUMNS`), as `_row` makes them or
        as they are read back (`bench.notifications` times this write alone); `name`:
        whose position (`position`) moves with them."""
        with self.cursor(commit=True) as c:
            if not self.is_sqlite:
                c.execute("SET LOCAL synchronous_commit = off")  # see decision 0007
            if rows:
                c.executemany(self._insert, rows)
            if schedules:
                self.reminders.schedule(c, schedules)
            c.execute(self._advance, [name, position])

    def settle(
        self,
        reminder: Reminder,
        status: str,
        *,
        at: datetime,
        notices: Sequence[NewNotice] = (),
    ) -> bool:
        """A pending reminder settled as `status` with `notices` written, in one
        transaction; False, writing nothing, when it was no longer pending."""
        with self.cursor(commit=True) as c:
            if not self.reminders.settle(c, reminder.reminder_id, status, at):
                return False
            if notices:
                c.executemany(self._insert, [self._row(n) for n in notices])
            return True

    def _row(self, n: NewNotice) -> list[Any]:
        """The insert's values. Ids adapted here rather than by `value` for each of the
        seventeen: this runs for every row the process writes (bench.notifications)."""
        at = to_micros(n.at)
        ident = _hex if self.is_sqlite else _same
        if n.reminder_id is None:  # an event's: the id straight from its integer
            key = (_int_hex if self.is_sqlite else _int_uuid)(n._notice_int())
        else:
            key = ident(n.notice_id)
        return [
            key,
            n.notification_id,
            ident(n.plan_id),
            n.version,
            ident(n.participant_id),
            ident(n.person_id),
            n.kind,
            n.channel,
            n.short_name.replace("\x00", "\ufffd"),
            ident(n.owner_person_id),
            at,
            HELD if n.held else PENDING,
            0,
            at,
            None,
            None,
            None,
        ]

    def position(self, name: str = PROCESS_NAME) -> int:
        """The notice process's position in the plan events (or, by `name`, another
        follower's, such as the reminder sweep's in the directory's change log); 0: none."""
        row = self.select_one(f"SELECT notification_id FROM {self.tracking} WHERE name=%s", name)
        return int(row["notification_id"]) if row else 0

    def reset(self) -> None:
        """Forget the position (a rebuild); the rows stay, so nothing is sent twice."""
        with self.cursor(commit=True) as c:
            c.execute(self.sql(f"DELETE FROM {self.tracking} WHERE name=%s"), [PROCESS_NAME])

    # -------------------------------------------------------------- the sender

    def lease(self, *, now: datetime, seconds: float, limit: int) -> list[OutboxRow]:
        """Up to `limit` due rows, leased to one new token for `seconds`."""
        token = uuid.uuid4().hex
        at = to_micros(now)
        until = to_micros(now + timedelta(seconds=seconds))
        with self.cursor(commit=True) as c:
            c.execute(self._lease, [token, until, at, at, limit])
            return [self._read(r) for r in c.fetchall()]

    def mark_sent(self, notice: UUID, *, at: datetime) -> bool:
        """Record the one successful send; False when one was already recorded."""
        return self.changed(
            f"UPDATE {self.outbox} SET status='{SENT}', sent_at=%s, lease_until=NULL, "
            f"lease_token=NULL, last_error=NULL WHERE notice_id=%s AND status<>'{SENT}' "
            "RETURNING notice_id",
            to_micros(at),
            notice,
        )

    def mark_failed(
        self, notice: UUID, token: str, *, error: str, retry_at: datetime | None
    ) -> None:
        """One more failed attempt: due again at `retry_at`, or dead without one."""
        status = PENDING if retry_at is not None else DEAD
        due = to_micros(retry_at) if retry_at is not None else 0  # a dead row is not due
        self.write(
            f"UPDATE {self.outbox} SET attempts=attempts+1, status=%s, next_attempt_at=%s, "
            "lease_until=NULL, lease_token=NULL, last_error=%s "
            f"WHERE notice_id=%s AND lease_token=%s AND status='{PENDING}'",
            status,
            due,
            error[:MAX_ERROR_LENGTH],
            notice,
            token,
        )

    # -------------------------------------------------------------- the digest

    def merge_digests(self, *, now: datetime) -> int:
        """Held e-mails of hours before this one, merged into one `digest` row per plan
        and participant, in one transaction; how many digests were made.

        A digest's id is derived from the plan, the participant and this hour, so a
        second merge in the same hour makes none (rows held since wait for the next
        hour's): at most one digest an hour per plan and participant.
        """
        hour = hour_of(now)
        lock = "" if self.is_sqlite else " FOR UPDATE"  # a second sender waits, then skips
        made = 0
        with self.cursor(commit=True) as c:
            self.execute(
                c,
                f"SELECT notice_id, notification_id, plan_id, participant_id, person_id, "
                f"short_name, owner_person_id FROM {self.outbox} "
                f"WHERE status='{HELD}' AND next_attempt_at<%s ORDER BY notification_id{lock}",
                to_micros(hour),
            )
            groups: dict[tuple[UUID, UUID], list[Any]] = {}
            for r in c.fetchall():
                key = (self.uuid(r["plan_id"]), self.uuid(r["participant_id"]))
                groups.setdefault(key, []).append(r)
            for (plan_id, participant_id), rows in groups.items():
                newest = rows[-1]
                digest = digest_id(plan_id, participant_id, hour)
                row = NewNotice(
                    notification_id=int(newest["notification_id"]),
                    plan_id=plan_id,
                    version=0,
                    participant_id=participant_id,
                    person_id=self.uuid(newest["person_id"]),
                    kind=DIGEST_KIND,
                    channel="email",
                    short_name=newest["short_name"],
                    owner_person_id=self.uuid(newest["owner_person_id"]),
                    at=now,
                )
                values = self._row(row)
                values[0] = self.value(digest)
                c.execute(self._insert + " RETURNING notice_id", values)
                if c.fetchone() is None:
                    continue  # this hour's digest is made: these wait for the next
                made += 1
                c.executemany(
                    self.sql(
                        f"UPDATE {self.outbox} SET status='{MERGED}', digest_id=%s "
                        f"WHERE notice_id=%s AND status='{HELD}'"
                    ),
                    [[self.value(digest), r["notice_id"]] for r in rows],
                )
        return made

    def digest_counts(self, digest: UUID) -> dict[str, int]:
        """What a digest lists: per kind, how many notices were merged into it."""
        rows = self.select(
            f"SELECT kind, COUNT(*) AS n FROM {self.outbox} WHERE digest_id=%s GROUP BY kind",
            digest,
        )
        return {r["kind"]: int(r["n"]) for r in rows}

    # ------------------------------------------------------- administrators

    def dead_letters(self, limit: int = 200) -> list[OutboxRow]:
        rows = self.select(
            f"SELECT {COLUMNS} FROM {self.outbox} WHERE status='{DEAD}' "
            "ORDER BY created_at DESC LIMIT %s",
            limit,
        )
        return [self._read(r) for r in rows]

    def retry(self, notice: UUID, *, now: datetime) -> bool:
        """A dead notice, due again with a fresh count of attempts; False if none such."""
        return self.changed(
            f"UPDATE {self.outbox} SET status='{PENDING}', attempts=0, "
            f"next_attempt_at=%s, last_error=NULL WHERE notice_id=%s AND status='{DEAD}' "
            "RETURNING notice_id",
            to_micros(now),
            notice,
        )

    def rows(self) -> list[OutboxRow]:
        """Every row, oldest first (tests, the benchmark)."""
        rows = self.select(f"SELECT {COLUMNS} FROM {self.outbox} ORDER BY notification_id")
        return [self._read(r) for r in rows]

    def backlog(self) -> Backlog:
        counts = {
            r["status"]: (int(r["n"]), r["oldest"])
            for r in self.select(
                f"SELECT status, COUNT(*) AS n, MIN(created_at) AS oldest FROM {self.outbox} "
                "GROUP BY status"
            )
        }
        oldest = counts.get(PENDING, (0, None))[1]
        return Backlog(
            pending=counts.get(PENDING, (0, None))[0],
            dead=counts.get(DEAD, (0, None))[0],
            sent=counts.get(SENT, (0, None))[0],
            oldest_pending=None if oldest is None else from_micros(int(oldest)),
            position=self.position(),
            held=counts.get(HELD, (0, None))[0],
        )

    def _read(self, r: Any) -> OutboxRow:
        sent = r["sent_at"]
        return OutboxRow(
            notice_id=self.uuid(r["notice_id"]),
            notification_id=int(r["notification_id"]),
            plan_id=self.uuid(r["plan_id"]),
            version=int(r["version"]),
            participant_id=self.uuid(r["participant_id"]),
            person_id=self.uuid(r["person_id"]),
            kind=r["kind"],
            channel=r["channel"],
            short_name=r["short_name"],
            owner_person_id=self.uuid(r["owner_person_id"]),
            created_at=from_micros(int(r["created_at"])),
            status=r["status"],
            attempts=int(r["attempts"]),
            next_attempt_at=from_micros(int(r["next_attempt_at"])),
            lease_token=r["lease_token"],
            sent_at=None if sent is None else from_micros(int(sent)),
            last_error=r["last_error"],
        )
