"""The PostgreSQL infrastructure factory: time-indexed events, snapshots as plain bytea.

eventsourcing inserts every stored event, snapshots included, as one array of a
composite type passed in text format: a multi-megabyte snapshot is hex-encoded and
then escaped again as an element of the array literal, which took hundreds of
milliseconds. Snapshots are written here with an ordinary INSERT whose state is a
binary parameter, and read back with binary results (no hex either way). The table
is the library's, so snapshots written before are still read; its `state` column is
switched to lz4 compression where the server has it (PostgreSQL 14 and later, built
with lz4): the default pglz took twice as long to store a 2.5 MB snapshot, for the
same size.

`settings.Settings.event_store_env` names `StafettPostgresFactory` as the library's
PERSISTENCE_MODULE.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    PersistenceError,
    ProcessRecorder,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresDatastore,
    PostgresFactory,
    TPostgresTrackingRecorder,
)
from eventsourcing.utils import Environment, EnvType
from psycopg.sql import SQL, Identifier

from stafett.persistence.locks import making_recorder_tables
from stafett.persistence.memory import keep_large_buffers_in_heap
from stafett.persistence.recorders import TimeIndexedPostgresRecorder
from stafett.settings import postgres_tls


class PostgresSnapshotRecorder(PostgresAggregateRecorder):
    """The library's aggregate recorder, writing and reading `state` as binary bytea."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_binary_statement = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "VALUES (%b, %b, %b, %b)"
        ).format(schema=Identifier(datastore.schema), table=Identifier(events_table_name))

    def create_table(self) -> None:
        super().create_table()
        self._compress_state_with_lz4()

    def _compress_state_with_lz4(self) -> None:
        """Compress new snapshots with lz4 when the server can; else keep pglz."""
        table = f"{self.datastore.schema}.{self.events_table_name}"
        try:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(
                    "SELECT attcompression AS c FROM pg_attribute "
                    "WHERE attrelid = %s::regclass AND attname = 'state'",
                    (table,),
                )
                row = curs.fetchone()
                if row is None or row["c"] == "l":
                    return
                curs.execute(
                    SQL(
                        "ALTER TABLE {schema}.{table} ALTER COLUMN state SET COMPRESSION lz4"
                    ).format(
                        schema=Identifier(self.datastore.schema),
                        table=Identifier(self.events_table_name),
                    )
                )
        except PersistenceError:  # no attcompression before 14, or no lz4 in the build
            return

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if stored_events:
            rows = [
                (e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events
            ]
            with (
                self.datastore.get_connection() as conn,
                conn.transaction(),
                conn.cursor() as curs,
            ):
                curs.executemany(self.insert_binary_statement, rows)
        return None

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        statement = self.select_events_statement
        params: list[Any] = [originator_id]
        if gt is not None:
            params.append(gt)
            statement += SQL(" AND originator_version > %s")
        if lte is not None:
            params.append(lte)
            statement += SQL(" AND originator_version <= %s")
        statement += SQL(
            " ORDER BY originator_version DESC" if desc else " ORDER BY originator_version"
        )
        if limit is not None:
            params.append(limit)
            statement += SQL(" LIMIT %s")
        with self.datastore.get_connection() as conn, conn.cursor(binary=True) as curs:
            curs.execute(statement, params, prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]


class StafettPostgresFactory(PostgresFactory):
    """Events in the time-indexed application recorder; snapshots as binary bytea."""

    application_recorder_class = TimeIndexedPostgresRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        keep_large_buffers_in_heap()
        super().__init__(env)
        # The library's pool connects with the URL's host, user and database only; the
        # TLS parameters go with them (the pool is opened on first use).
        kwargs = self.datastore.pool.kwargs
        assert isinstance(kwargs, dict)  # the library gives its pool a dict
        kwargs.update(postgres_tls(self.env))

    # Each recorder's tables are made under the deployment's lock (persistence/locks.py).

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        with making_recorder_tables(self.datastore):
            if purpose != "snapshots":
                return super().aggregate_recorder(purpose)
            prefix = self.env.name.lower() or "stored"
            recorder = PostgresSnapshotRecorder(
                datastore=self.datastore, events_table_name=f"{prefix}_{purpose}"
            )
            if self.env_create_table():
                recorder.create_table()
            return recorder

    def application_recorder(self) -> ApplicationRecorder:
        with making_recorder_tables(self.datastore):
            return super().application_recorder()

    def tracking_recorder(
        self, tracking_recorder_class: type[TPostgresTrackingRecorder] | None = None
    ) -> TPostgresTrackingRecorder:
        with making_recorder_tables(self.datastore):
            return super().tracking_recorder(tracking_recorder_class)

    def process_recorder(self) -> ProcessRecorder:
        with making_recorder_tables(self.datastore):
            return super().process_recorder()
