"""The SQLite infrastructure factory: time-indexed events, snapshots in a rowid table.

eventsourcing creates its snapshots table `WITHOUT ROWID`, which keeps each row in
the primary key's b-tree; with rows of megabytes, finding the latest snapshot of a
plan (or finding that it has none) reads through other plans' large rows, so a miss
cost milliseconds. Here the snapshots live in an ordinary rowid table with the same
key as a UNIQUE index: a lookup walks the small index and reads only the row found.

A database made before keeps its snapshots: a `WITHOUT ROWID` snapshots table found
at start is rebuilt as a rowid table once, in one transaction.

Every connection also keeps a larger page cache (32 MiB instead of 2 MiB): a
snapshot of a long plan is bigger than the default cache, so each load read it
again from the file, page by page, at ten times the cost of reading it from the
cache. (Mapping the file with `mmap_size` was slower still on this machine.)

A transaction that will commit begins `IMMEDIATE`, taking the file's write lock at
its start (waiting the busy timeout for it), where the library begins every
transaction deferred. In WAL mode a deferred transaction that reads and then writes
is refused at once ("database is locked", whatever the timeout) when another
connection wrote in between, and several pools write to one file (the plan
application's, each projection's). Every read-then-write transaction (a login
ending a fourth session, a person's details read again under the write lock, a
rate-limited count) is safe so, not only those whose first statement writes
(decision 0041).

`settings.Settings.event_store_env` names `StafettSQLiteFactory` as the library's
PERSISTENCE_MODULE (a topic naming the class, since this module also holds the
library's factory class it subclasses).
"""

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import AggregateRecorder, ConnectionUnavailableError
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteFactory,
    SQLiteTransaction,
)
from eventsourcing.utils import Environment, EnvType

from stafett.persistence.memory import keep_large_buffers_in_heap
from stafett.persistence.recorders import TimeIndexedSQLiteRecorder


class SQLiteSnapshotRecorder(SQLiteAggregateRecorder):
    """The library's aggregate recorder, in a rowid table with a UNIQUE key index."""

    def construct_create_table_statements(self) -> list[str]:
        table = self.events_table_name
        return [
            f"CREATE TABLE IF NOT EXISTS {table} ("
            "originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, "
            "topic TEXT, "
            "state BLOB)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_key "
            f"ON {table} (originator_id, originator_version)",
        ]

    def _create_table(self, c: SQLiteCursor) -> None:
        c.execute(
            "SELECT sql FROM sqlite_master WHERE type='table' AND name=?",
            (self.events_table_name,),
        )
        row = c.fetchone()
        if row is not None and "WITHOUT ROWID" in str(row["sql"]).upper():
            self._rebuild_as_rowid_table(c)
        super()._create_table(c)

    def _rebuild_as_rowid_table(self, c: SQLiteCursor) -> None:
        table = self.events_table_name
        old = f"{table}_without_rowid"
        c.execute(f"ALTER TABLE {table} RENAME TO {old}")
        super()._create_table(c)
        c.execute(
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
            f"SELECT originator_id, originator_version, topic, state FROM {old} "
            "ORDER BY originator_id, originator_version"
        )
        c.execute(f"DROP TABLE {old}")


PAGE_CACHE_KIB = 32 * 1024
# Durability of commits on this factory's connections. The event store keeps FULL
# (each commit is on disk before it returns). A read model may use NORMAL: in WAL
# mode a power loss can then undo its last commits, each with its own tracking
# position, so the runner projects them again: still exactly once.
SYNCHRONOUS_KEY = "SQLITE_SYNCHRONOUS"
SYNCHRONOUS_LEVELS = ("FULL", "NORMAL")


_WRITER_TURNS: dict[str, threading.Lock] = {}
_WRITER_TURNS_LOCK = threading.Lock()


def writer_turn(db_name: str) -> threading.Lock:
    """The one writer's turn of every pool in this process on the database file `db_name`:
    a writer of one pool waits for a writer of another here, woken when the turn is given
    back, rather than in SQLite's busy handler, which sleeps between its tries (0042)."""
    key = os.path.realpath(db_name.removeprefix("file:").split("?", 1)[0])
    with _WRITER_TURNS_LOCK:
        return _WRITER_TURNS.setdefault(key, threading.Lock())


class WriteFirstTransaction(SQLiteTransaction):
    """The library's transaction, begun `IMMEDIATE` when it will commit."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE" if self.commit else "BEGIN")
        return cursor


class WriteFirstSQLiteConnection(SQLiteConnection):
    """The library's connection, whose transactions that will commit take the write
    lock when they begin."""

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        with WriteFirstTransaction(self, commit=commit) as curs, curs:
            yield curs


class TunedSQLiteConnectionPool(SQLiteConnectionPool):
    """The library's pool; each new connection has a larger page cache, and a writer
    waits for its turn without holding up the readers (decision 0035). The turn is the
    one of every pool of this process on the same file (`writer_turn`, decision 0042)."""

    def __init__(self, *, synchronous: str = "FULL", **kwargs: Any) -> None:
        self.synchronous = synchronous  # checked by the factory: one of SYNCHRONOUS_LEVELS
        super().__init__(**kwargs)
        if not self.is_sqlite_memory_mode:
            self._writer_lock = writer_turn(self.db_name)

    def get_connection(
        self, timeout: float | None = None, *, is_writer: bool | None = None
    ) -> SQLiteConnection:
        """As the library's, except that a writer takes the one writer's turn before it
        joins the queue for a connection. The library's writer waits for that turn inside
        the queue, so while one writer commits, a second one waiting held up every reader
        behind it — the session lookups and the plan-list polls of other requests — though
        in a file database (WAL) readers never wait for a writer."""
        if is_writer is not True or self.is_sqlite_memory_mode:
            return super().get_connection(timeout, is_writer=is_writer)
        timeout = self.pool_timeout if timeout is None else timeout
        started = time.monotonic()
        if not self._writer_lock.acquire(timeout=timeout):
            msg = "Timed out waiting for return of writer"
            raise ConnectionUnavailableError(msg)
        try:
            remaining = max(timeout - (time.monotonic() - started), 0.0)
            connection = super().get_connection(remaining, is_writer=None)
        except BaseException:
            self._writer_lock.release()
            raise
        # As the library's writer: put_connection releases the turn.
        connection.is_writer = True
        self._num_writers += 1
        return connection

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        # The library's connection, made by the library's code, with the transactions
        # above: the subclass adds no state, only how a transaction begins.
        connection.__class__ = WriteFirstSQLiteConnection
        if not self.is_sqlite_memory_mode:
            cursor = connection.cursor()
            cursor.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
            cursor.execute(f"PRAGMA synchronous = {self.synchronous}")
            cursor.sqlite_cursor.close()
        return connection


class StafettSQLiteFactory(SQLiteFactory):
    """Events in the time-indexed application recorder; snapshots in a rowid table."""

    application_recorder_class = TimeIndexedSQLiteRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        keep_large_buffers_in_heap()
        super().__init__(env)
        library_pool = self.datastore.pool  # made by the datastore; no connection yet
        library_pool.close()
        synchronous = (self.env.get(SYNCHRONOUS_KEY) or "FULL").upper()
        if synchronous not in SYNCHRONOUS_LEVELS:
            msg = f"{SYNCHRONOUS_KEY} must be one of {', '.join(SYNCHRONOUS_LEVELS)}"
            raise ValueError(msg)
        self.datastore.pool = TunedSQLiteConnectionPool(
            db_name=library_pool.db_name,
            lock_timeout=library_pool.lock_timeout,
            synchronous=synchronous,
        )

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        if purpose != "snapshots":
            return super().aggregate_recorder(purpose)
        recorder = SQLiteSnapshotRecorder(
            datastore=self.datastore, events_table_name="stored_" + purpose
        )
        if self.env_create_table():
            recorder.create_table()
        return recorder
