"""Event recorders that also keep a time index of every event.

The stored event's timestamp lives inside its (possibly encrypted) state, so the
database cannot find "the version at instant T" by itself. These recorders write
one `(originator_id, originator_version, recorded_at)` row per event in the same
transaction as the event, which makes "as of T" one indexed query. The instant is
stored as whole microseconds since the epoch (UTC) on both engines.

On PostgreSQL a save is one round trip: a plpgsql function (created with the
tables) takes the events and their time rows as arrays (binary parameters), and
under the library's table lock (so notification ids stay in commit order) sets the
lock timeout, notifies the channel, inserts both and returns the notification ids;
in autocommit mode the statement is its own transaction. The library's path took
seven statements and a sync. A key conflict still raises `IntegrityError`.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal

EVENT_TIMES_KWARG = "event_times"
EventTime = tuple[UUID, int, datetime]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(instant: datetime) -> int:
    delta = instant.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class TimeIndexedSQLiteRecorder(SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self.times_table_name = "event_times"

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
        schema = Identifier(self.datastore.schema)
        table = Identifier(self.times_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, "
                "recorded_at bigint NOT NULL, "
                "PRIMARY KEY (originator_id, originator_version))"
            ).format(schema=schema, table=table)
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{table} "
                "(originator_id, recorded_at)"
            ).format(
                index=Identifier(self.times_table_name + "_by_instant"),
                schema=schema,
                table=table,
            )
        )
        self.insert_times_statement = SQL(
            "INSERT INTO {schema}.{table} VALUES (%s, %s, %s)"
        ).format(schema=schema, table=table)
        self.select_version_at_statement = SQL(
            "SELECT MAX(originator_version) AS v FROM {schema}.{table} "
            "WHERE originator_id=%s AND recorded_at<=%s"
        ).format(schema=schema, table=table)
        self.save_function_name = events_table_name + "_save"
        self.check_identifier_length(self.save_function_name)
        id_type = Identifier(self.datastore.originator_id_type)
        function = Identifier(self.save_function_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}("
                "ids {id_type}[], versions bigint[], topics text[], states bytea[], "
                "time_ids {id_type}[], time_versions bigint[], time_micros bigint[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $save$ "
                "BEGIN "
                "SET LOCAL lock_timeout = {lock_timeout}; "
                "LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE; "
                "NOTIFY {channel}; "
                "RETURN QUERY INSERT INTO {schema}.{events} "
                "(originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(ids, versions, topics, states) "
                "RETURNING notification_id; "
                "INSERT INTO {schema}.{table} "
                "SELECT * FROM unnest(time_ids, time_versions, time_micros); "
                "END $save$"
            ).format(
                schema=schema,
                function=function,
                id_type=id_type,
                lock_timeout=Literal(f"{self.datastore.lock_timeout}s"),
                events=Identifier(events_table_name),
                channel=Identifier(self.channel_name),
                table=table,
            )
        )
        self.call_save_statement = SQL(
            "SELECT n FROM {schema}.{function}("
            "%s::{id_type}[], %s::bigint[], %s::text[], %s::bytea[], "
            "%s::{id_type}[], %s::bigint[], %s::bigint[]) AS n"
        ).format(schema=schema, function=function, id_type=id_type)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Events and time rows in one call of the save function (one round trip)."""
        if not stored_events or kwargs.get("tracking") is not None:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        times: Sequence[EventTime] = kwargs.get(EVENT_TIMES_KWARG, ())
        params = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
            [oid for oid, _, _ in times],
            [version for _, version, _ in times],
            [to_micros(at) for _, _, at in times],
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.call_save_statement, params, prepare=True)
            return [int(row["n"]) for row in curs.fetchall()]

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
