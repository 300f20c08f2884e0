"""Event recorders that also keep a time index of every event.

The stored event's timestamp lives inside its (possibly encrypted) state, so the
database cannot find "the version at instant T" by itself. These recorders write
one `(originator_id, originator_version, recorded_at)` row per event in the same
transaction as the event, which makes "as of T" one indexed query. The instant is
stored as whole microseconds since the epoch (UTC) on both engines.

On PostgreSQL a save of one event (a command's) is one round trip: a plpgsql
function (created with the tables) takes the event and its time row as scalar
parameters, and under the library's table lock (so notification ids stay in commit
order) sets the lock timeout, notifies the channel, inserts both and returns the
notification id; in autocommit mode the statement is its own transaction. The
library's path took seven statements and a sync; array parameters, which would take
several events, cost more to dump in psycopg than the rest of the save. A key
conflict still raises `IntegrityError`. A save of several events, or one that must
also write other rows in its transaction (`ALSO_WRITE`: an idempotency key's answer,
persistence/idempotency.py), takes the library's path on PostgreSQL; on SQLite they
are written after the events, on the same cursor.

Both recorders can be subscribed to (the library's `ProjectionRunner` needs it), and
their subscriptions hand out what they pulled a page at a time (`next_page`: the
batched catch-up of decision 0027).
The stock SQLite recorder cannot; ours returns a `ListenNotifySubscription` that
is woken right after any recorder in this process inserts events into the same
database file (a registry keyed by the file's path: the runner reads through an
application and a connection of its own), and every `POLL_SECONDS` to catch
writes from other processes. The PostgreSQL subscription listens for NOTIFY as
the library's does and also wakes every `POLL_SECONDS`: a lost NOTIFY (eventsourcing
issue #305) would otherwise stall a projection for good.
"""

import os
import threading
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    ListenNotifySubscription,
    Notification,
    OperationalError,
    StoredEvent,
    Subscription,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresSubscription,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier, Literal

from stafett.persistence.idempotency import ALSO_WRITE

EVENT_TIMES_KWARG = "event_times"


def _also_write(cursor: Any, kwargs: dict[str, Any]) -> None:
    """Other rows that must commit with the events, or not at all (`ALSO_WRITE`)."""
    for write in kwargs.get(ALSO_WRITE, ()):
        write(cursor)


@runtime_checkable
class TimeIndex(Protocol):
    """A recorder that can tell which version an aggregate had at an instant."""

    def version_at(self, originator_id: UUID, instant: datetime) -> int | None: ...


EventTime = tuple[UUID, int, datetime]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(instant: datetime) -> int:
    delta = instant.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """The UTC instant `to_micros` stored as `micros`."""
    return _EPOCH + timedelta(microseconds=micros)


POLL_SECONDS = 0.5


class _Ticker:
    """A thread that calls `tick` every `interval` seconds until stopped."""

    def __init__(self, interval: float, tick: Any) -> None:
        self._interval = interval
        self._tick = tick
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="subscription-poll", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self._tick()

    def stop(self) -> None:
        self._stopped.set()

    def join(self) -> None:
        if self._thread is not threading.current_thread():
            self._thread.join()


_registry_lock = threading.Lock()
_subscriptions: dict[str, "weakref.WeakSet[SQLiteSubscription]"] = {}


def _database_key(datastore: SQLiteDatastore) -> str:
    """The database file's absolute path; an in-memory database is private to its pool."""
    pool = datastore.pool
    if pool.is_sqlite_memory_mode:
        return f"memory:{id(pool)}"
    return os.path.abspath(pool.db_name)


def wake_subscriptions(database_key: str) -> None:
    """Wake every subscription in this process to the database of `database_key`."""
    with _registry_lock:
        subscriptions = list(_subscriptions.get(database_key, ()))
    for subscription in subscriptions:
        subscription.wake()


class _Polled:
    """A subscription with a poll ticker: stopped with it, and joined on exit. Its
    notifications can be taken a page at a time (`next_page`)."""

    _ticker: _Ticker
    _notifications: Sequence[Notification]
    _notifications_index: int

    def next_page(self) -> list[Notification]:
        """The next notification (waiting for it as `next()` does) and every one already
        pulled with it: at most one page of the library's pull (500)."""
        first: Notification = next(self)  # type: ignore[call-overload]
        rest = self._notifications[self._notifications_index :]
        self._notifications_index = len(self._notifications)
        return [first, *rest]

    def stop(self) -> None:
        ticker: _Ticker | None = getattr(self, "_ticker", None)
        if ticker is not None:
            ticker.stop()
        super().stop()  # type: ignore[misc]

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)  # type: ignore[misc]
        finally:
            self._ticker.join()


class SQLiteSubscription(_Polled, ListenNotifySubscription["TimeIndexedSQLiteRecorder"]):
    """Pulls new notifications when woken by a write in this process, or by the poll."""

    def __init__(
        self,
        recorder: "TimeIndexedSQLiteRecorder",
        gt: int | None = None,
        topics: Sequence[str] = (),
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._key = recorder.database_key
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        with _registry_lock:
            _subscriptions.setdefault(self._key, weakref.WeakSet()).add(self)
        self._ticker = _Ticker(poll_seconds, self.wake)

    def wake(self) -> None:
        self._has_been_notified.set()

    def stop(self) -> None:
        with _registry_lock:
            registered = _subscriptions.get(getattr(self, "_key", ""))
            if registered is not None:
                registered.discard(self)
                if not registered:
                    del _subscriptions[self._key]
        super().stop()


class PollingPostgresSubscription(_Polled, PostgresSubscription):
    """The library's LISTEN/NOTIFY subscription, also woken every `poll_seconds` (#305)."""

    def __init__(
        self,
        recorder: PostgresApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._ticker = _Ticker(poll_seconds, self._has_been_notified.set)


class TimeIndexedSQLiteRecorder(SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self.times_table_name = "event_times"
        # Found once: every insert wakes the subscriptions to this database.
        self.database_key = _database_key(datastore)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super().insert_events(stored_events, **kwargs)
        if stored_events:
            wake_subscriptions(self.database_key)
        return ids

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return SQLiteSubscription(recorder=self, gt=gt, topics=topics)

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements.append(
            "CREATE TABLE IF NOT EXISTS event_times ("
            "originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, "
            "recorded_at INTEGER NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID"
        )
        statements.append(
            "CREATE INDEX IF NOT EXISTS event_times_by_instant "
            "ON event_times (originator_id, recorded_at)"
        )
        return statements

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        times: Sequence[EventTime] = kwargs.get(EVENT_TIMES_KWARG, ())
        if times:
            c.executemany(
                "INSERT INTO event_times VALUES (?,?,?)",
                [(oid.hex, version, to_micros(at)) for oid, version, at in times],
            )
        _also_write(c, kwargs)
        return ids

    def version_at(self, originator_id: UUID, instant: datetime) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT MAX(originator_version) AS v FROM event_times "
                "WHERE originator_id=? AND recorded_at<=?",
                (originator_id.hex, to_micros(instant)),
            )
            row = c.fetchone()
        version: int | None = row["v"]
        return version


class TimeIndexedPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.times_table_name = events_table_name.removesuffix("_events") + "_event_times"
        self.save_function_name = events_table_name + "_save"
        self.check_identifier_length(self.save_function_name)
        names = {
            "schema": Identifier(self.datastore.schema),
            "table": Identifier(self.times_table_name),
            "index": Identifier(self.times_table_name + "_by_instant"),
            "function": Identifier(self.save_function_name),
            "id_type": Identifier(self.datastore.originator_id_type),
            "lock_timeout": Literal(f"{self.datastore.lock_timeout}s"),
            "events": Identifier(events_table_name),
            "channel": Identifier(self.channel_name),
        }

        def sql(statement: str) -> Composed:
            """`statement` with its `{name}`s filled in from `names`."""
            return SQL(statement).format(**names)

        self.sql_create_statements += [
            sql(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, "
                "recorded_at bigint NOT NULL, "
                "PRIMARY KEY (originator_id, originator_version))"
            ),
            sql(
                "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{table} "
                "(originator_id, recorded_at)"
            ),
            # A store made before also keeps the array-taking overload of this name:
            # not dropped here, since processes of the release before may still call it.
            sql(
                "CREATE OR REPLACE FUNCTION {schema}.{function}("
                "event_id {id_type}, event_version bigint, event_topic text, "
                "event_state bytea, event_micros bigint) "
                "RETURNS bigint LANGUAGE plpgsql AS $save$ "
                "DECLARE notification bigint; "
                "BEGIN "
                "SET LOCAL lock_timeout = {lock_timeout}; "
                "LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE; "
                "NOTIFY {channel}; "
                "INSERT INTO {schema}.{events} "
                "(originator_id, originator_version, topic, state) "
                "VALUES (event_id, event_version, event_topic, event_state) "
                "RETURNING notification_id INTO notification; "
                "IF event_micros IS NOT NULL THEN "
                "INSERT INTO {schema}.{table} VALUES (event_id, event_version, event_micros); "
                "END IF; "
                "RETURN notification; "
                "END $save$"
            ),
        ]
        self.insert_times_statement = sql("INSERT INTO {schema}.{table} VALUES (%s, %s, %s)")
        self.select_version_at_statement = sql(
            "SELECT MAX(originator_version) AS v FROM {schema}.{table} "
            "WHERE originator_id=%s AND recorded_at<=%s"
        )
        # Rendered once: psycopg would render a `Composed` again on every call.
        self.call_save_statement = sql(
            "SELECT {schema}.{function}("
            "%s::{id_type}, %s::bigint, %s::text, %s::bytea, %s::bigint) AS n"
        ).as_bytes(None)

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return PollingPostgresSubscription(recorder=self, gt=gt, topics=topics)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """One event and its time row in one call of the save function (one round trip).

        Its parameters are scalars: psycopg dumps array parameters in Python, which
        cost a command more than the rest of its save. Several events, a tracking
        record or other rows to write (`ALSO_WRITE`) take the library's statements.
        """
        params = self._save_params(stored_events, kwargs)
        if params is None:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.call_save_statement, params, prepare=True)
            row = curs.fetchone()
        assert row is not None
        return [int(row["n"])]

    @staticmethod
    def _save_params(
        stored_events: Sequence[StoredEvent], kwargs: dict[str, Any]
    ) -> tuple[Any, ...] | None:
        """The save function's parameters, for a save it does: one event, with its own
        time row or none, and nothing else to write. None for any other save."""
        if len(stored_events) != 1 or kwargs.get("tracking") is not None or kwargs.get(ALSO_WRITE):
            return None
        event = stored_events[0]
        times: Sequence[EventTime] = kwargs.get(EVENT_TIMES_KWARG, ())
        micros = None
        if times:
            (time_id, time_version, at), *others = times
            if others or (time_id, time_version) != (event.originator_id, event.originator_version):
                return None
            micros = to_micros(at)
        return (event.originator_id, event.originator_version, event.topic, event.state, micros)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """Before the events, in their transaction: the other rows that must commit with
        them or not at all (`ALSO_WRITE`).

        Here, not after the events: the library catches any exception raised while the
        events are inserted, lets its transaction block end (a commit, unless the
        database itself refused a statement) and only then raises it again. A writer
        that raised in Python there (a person erased meanwhile) would have its error
        raised with the events already committed. Raised here, before the events, the
        error ends the transaction block, which rolls it back.
        """
        super()._insert_events(curs, stored_events, **kwargs)
        _also_write(curs, kwargs)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """After the events: under the library's table lock and inside its error handling.

        A cursor of its own, because the library reads the events' notification ids
        from `curs` afterwards.
        """
        super()._insert_stored_events(curs, stored_events, **kwargs)
        times: Sequence[EventTime] = kwargs.get(EVENT_TIMES_KWARG, ())
        if times:
            with curs.connection.cursor() as times_cursor:
                times_cursor.executemany(
                    self.insert_times_statement,
                    [(oid, version, to_micros(at)) for oid, version, at in times],
                )

    def version_at(self, originator_id: UUID, instant: datetime) -> int | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.select_version_at_statement, (originator_id, to_micros(instant)))
            row = curs.fetchone()
        assert row is not None
        version: int | None = row["v"]
        return version
