"""The library's application-recorder conformance tests, run against our time-indexed recorders.

`eventsourcing.tests.persistence` ships the test cases every application recorder must
pass; the library's own SQLite and PostgreSQL test modules are not shipped, so the
subclasses here follow their pattern (a file database for SQLite, a fresh schema for
PostgreSQL). The base classes are reached through their module so that pytest does not
collect them on their own.

Inherited tests and how they apply:

- `test_insert_select`, `test_concurrent_no_conflicts`, `test_concurrent_throughput`,
  `test_performance` (prints a figure, asserts that inserting works) run unchanged on both.
- `optional_test_insert_subscribe` is not collected by name (the library keeps it
  optional); it runs as `test_insert_subscribe` on both stores: the library's SQLite
  recorder cannot subscribe, ours can (tests/integration/test_subscriptions.py).
- `NonInterleavingNotificationIDsBaseCase.test` runs on both.

The stock tests insert events without time rows, so each case runs a second time with a
recorder that passes a time row for every event (`...WithTimeRows`): the conformance
then also covers the path the plan application takes. Our own tests at the bottom check
that time rows and events are written, or refused, together.
"""

import functools
import importlib
import importlib.util
import os
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.sql import SQL, Identifier

from stafett.persistence.recorders import (
    EVENT_TIMES_KWARG,
    TimeIndexedPostgresRecorder,
    TimeIndexedSQLiteRecorder,
    to_micros,
)
from tests.conftest import POSTGRES_URL, postgres_available


def _import_conformance() -> ModuleType:
    """`eventsourcing.tests.persistence`, even without pycryptodome installed.

    That module imports `eventsourcing.cipher`, which needs pycryptodome (the library's
    `crypto` extra, not a Stafett dependency). Only the cipher and mapper test cases use
    it, and none of those run here; so when it is missing, inert stand-ins for the three
    names imported from it are put in place for the import and taken away afterwards.
    """
    if importlib.util.find_spec("Crypto") is not None:
        return importlib.import_module("eventsourcing.tests.persistence")
    names = ("Crypto", "Crypto.Cipher", "Crypto.Cipher._mode_gcm", "Crypto.Cipher.AES")
    stand_ins = {name: ModuleType(name) for name in names}
    stand_ins["Crypto.Cipher"].AES = stand_ins["Crypto.Cipher.AES"]  # type: ignore[attr-defined]
    stand_ins["Crypto.Cipher._mode_gcm"].GcmMode = object  # type: ignore[attr-defined]
    stand_ins["Crypto.Cipher.AES"].key_size = (16, 24, 32)  # type: ignore[attr-defined]
    sys.modules.update(stand_ins)
    try:
        return importlib.import_module("eventsourcing.tests.persistence")
    finally:
        for name in (*names, "eventsourcing.cipher"):
            sys.modules.pop(name, None)


if TYPE_CHECKING:  # the type checker reads the module's types; it needs no stand-ins
    from eventsourcing.tests import persistence as conformance
else:
    conformance = _import_conformance()


@functools.cache
def postgres_unavailable_because() -> str | None:
    """conftest's check, asked once per run (as its session-scoped fixture does)."""
    return postgres_available()


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONTESTS_PER_CASE = 2


def time_rows(stored_events: Sequence[StoredEvent]) -> list[tuple[UUID, int, datetime]]:
    """One time row per event, a second apart by version, as the application passes them."""
    return [
        (
            UUID(str(e.originator_id)),
            e.originator_version,
            T0 + timedelta(seconds=e.originator_version),
        )
        for e in stored_events
    ]


class SQLiteWithTimeRows(TimeIndexedSQLiteRecorder):
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        kwargs.setdefault(EVENT_TIMES_KWARG, time_rows(stored_events))
        return super().insert_events(stored_events, **kwargs)


class PostgresWithTimeRows(TimeIndexedPostgresRecorder):
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        kwargs.setdefault(EVENT_TIMES_KWARG, time_rows(stored_events))
        # The library's `retry` decorator types the method it wraps as returning Any.
        ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        return ids


# ---------------------------------------------------------------- the stores


class JoinsStrayThreads:
    """Waits for threads a test left running before its datastores are closed.

    `test_concurrent_no_conflicts` tells its reader threads to stop but does not join
    them; closing a SQLite connection a reader is still using crashes the interpreter.
    """

    def setUp(self) -> None:
        self.threads_before = set(threading.enumerate())

    def join_stray_threads(self) -> None:
        for thread in set(threading.enumerate()) - self.threads_before:
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join(timeout=10)


class SQLiteStore(JoinsStrayThreads):
    """Each test gets a new database file; every datastore opened is closed after it."""

    recorder_class: type[TimeIndexedSQLiteRecorder] = TimeIndexedSQLiteRecorder

    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory()
        self.db_name = os.path.join(self.tmp.name, "events.sqlite")
        self.datastores: list[SQLiteDatastore] = []

    def tearDown(self) -> None:
        self.join_stray_threads()
        for datastore in self.datastores:
            datastore.close()
        self.tmp.cleanup()

    def create_recorder(self, pool_size: int = 12) -> TimeIndexedSQLiteRecorder:
        datastore = SQLiteDatastore(self.db_name, pool_size=pool_size, lock_timeout=10)
        self.datastores.append(datastore)
        recorder = self.recorder_class(datastore)
        recorder.create_table()
        return recorder

    def count_time_rows(self, recorder: Any, originator_id: UUID) -> int:
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT COUNT(*) AS n FROM event_times WHERE originator_id=?",
                (originator_id.hex,),
            )
            return int(c.fetchone()["n"])

    def hold_time_row(self, originator_id: UUID, version: int) -> Any:
        """Another writer's open transaction that has written a time row."""
        conn = sqlite3.connect(self.db_name, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO event_times VALUES (?,?,?)",
            (originator_id.hex, version, to_micros(T0)),
        )
        return conn

    def commit_once_waited_for(self, held: Any) -> None:
        """SQLite cannot tell who waits for its lock; give the writer time to start waiting."""
        time.sleep(0.05)
        held.commit()


class PostgresStore(JoinsStrayThreads):
    """Each test gets a new schema, dropped afterwards; no server means skip (or fail in CI)."""

    recorder_class: type[TimeIndexedPostgresRecorder] = TimeIndexedPostgresRecorder
    base_url = POSTGRES_URL.split("?", maxsplit=1)[0]

    def setUp(self) -> None:
        super().setUp()
        reason = postgres_unavailable_because()
        if reason is not None:
            if os.environ.get("STAFETT_REQUIRE_POSTGRES") == "1":
                self.fail(reason + " (STAFETT_REQUIRE_POSTGRES=1)")  # type: ignore[attr-defined]
            self.skipTest(reason)  # type: ignore[attr-defined]
        self.schema = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.base_url, autocommit=True) as conn:
            conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(self.schema)))
        self.datastores: list[PostgresDatastore] = []

    def tearDown(self) -> None:
        self.join_stray_threads()
        for datastore in self.datastores:
            datastore.close()
        with psycopg.connect(self.base_url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(self.schema)))

    def create_recorder(self, pool_size: int = 12) -> TimeIndexedPostgresRecorder:
        url = urlsplit(self.base_url)
        datastore = PostgresDatastore(
            dbname=unquote(url.path.removeprefix("/")),
            host=url.hostname or "127.0.0.1",
            port=url.port or 5432,
            user=unquote(url.username or "postgres"),
            password=unquote(url.password or ""),
            schema=self.schema,
            pool_size=pool_size,
            max_overflow=0,
            lock_timeout=5,
        )
        self.datastores.append(datastore)
        recorder = self.recorder_class(datastore, events_table_name="plans_events")
        recorder.create_table()
        return recorder

    def count_time_rows(self, recorder: Any, originator_id: UUID) -> int:
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT COUNT(*) AS n FROM {}.{} WHERE originator_id=%s").format(
                    Identifier(self.schema), Identifier(recorder.times_table_name)
                ),
                (originator_id,),
            )
            return int(curs.fetchone()["n"])

    def hold_time_row(self, originator_id: UUID, version: int) -> Any:
        """Another writer's open transaction that has written a time row."""
        conn = psycopg.connect(self.base_url)
        conn.execute(
            SQL("INSERT INTO {}.{} VALUES (%s, %s, %s)").format(
                Identifier(self.schema), Identifier("plans_event_times")
            ),
            (originator_id, version, to_micros(T0)),
        )
        return conn

    def commit_once_waited_for(self, held: Any) -> None:
        """Commit the held transaction a while after another session started waiting for it.

        The while lets the waiting writer send the rest of its pipeline, as a writer does
        that waits for a slower transaction.
        """
        deadline = time.monotonic() + 5
        with psycopg.connect(self.base_url, autocommit=True) as watcher:
            while time.monotonic() < deadline:
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> %s",
                    (held.info.backend_pid,),
                ).fetchone()
                if waiting is not None and waiting[0] > 0:
                    break
                time.sleep(0.005)
        time.sleep(0.08)
        held.commit()


# ---------------------------------------------------------- our own checks


class TimeIndexChecks:
    """Time rows are written, and refused, in the same transaction as their events."""

    def create_recorder(self, pool_size: int = 12) -> Any: ...
    def count_time_rows(self, recorder: Any, originator_id: UUID) -> int:
        raise NotImplementedError  # each store's own (SQLiteStore, PostgresStore)

    def hold_time_row(self, originator_id: UUID, version: int) -> Any: ...
    def commit_once_waited_for(self, held: Any) -> None: ...

    def event(self, originator_id: UUID, version: int) -> StoredEvent:
        return StoredEvent(originator_id, version, "topic", b"{}")

    def test_a_time_row_is_written_with_each_event(self) -> None:
        recorder = self.create_recorder()
        oid = uuid.uuid4()

        recorder.insert_events(
            [self.event(oid, 1), self.event(oid, 2)],
            **{EVENT_TIMES_KWARG: [(oid, 1, T0), (oid, 2, T0 + timedelta(hours=1))]},
        )

        assert self.count_time_rows(recorder, oid) == 2
        assert recorder.version_at(oid, T0 - timedelta(microseconds=1)) is None
        assert recorder.version_at(oid, T0) == 1
        assert recorder.version_at(oid, T0 + timedelta(minutes=59)) == 1
        assert recorder.version_at(oid, T0 + timedelta(hours=1)) == 2
        assert recorder.version_at(uuid.uuid4(), T0 + timedelta(days=1)) is None

    def test_a_conflicting_event_leaves_no_extra_time_row(self) -> None:
        recorder = self.create_recorder()
        oid = uuid.uuid4()
        recorder.insert_events([self.event(oid, 1)], **{EVENT_TIMES_KWARG: [(oid, 1, T0)]})
        later = T0 + timedelta(hours=1)

        try:
            recorder.insert_events(
                [self.event(oid, 2), self.event(oid, 1)],
                **{EVENT_TIMES_KWARG: [(oid, 2, later)]},
            )
        except IntegrityError:
            pass
        else:
            raise AssertionError("a second event at version 1 was accepted")

        assert self.count_time_rows(recorder, oid) == 1
        assert recorder.version_at(oid, later) == 1
        assert [e.originator_version for e in recorder.select_events(oid)] == [1]

    def test_a_conflicting_time_row_leaves_no_event(self) -> None:
        recorder = self.create_recorder()
        oid = uuid.uuid4()
        head = recorder.max_notification_id()

        try:
            recorder.insert_events(
                [self.event(oid, 1)], **{EVENT_TIMES_KWARG: [(oid, 1, T0), (oid, 1, T0)]}
            )
        except IntegrityError:
            pass
        else:
            raise AssertionError("two time rows for one version were accepted")

        assert recorder.select_events(oid) == []
        assert recorder.max_notification_id() == head
        assert self.count_time_rows(recorder, oid) == 0

    def test_a_writer_that_waited_for_a_conflicting_time_row_can_still_write(self) -> None:
        """The race the plan application retries: another writer took the version first.

        The losing insert waits for the other writer's transaction, then fails. The retry
        and the next write must go through on the same connection (a pool of one), whatever
        number of writes that connection has made before (psycopg prepares a statement on
        its sixth use). When the time rows were written before the events, a failure here
        left a prepared statement the server never saw ("prepared statement _pg3_3 does
        not exist" on every later write); it showed in about half the runs, timing
        decides, so every case is tried twice.
        """
        for earlier_writes in range(7):
            for attempt in range(CONTESTS_PER_CASE):
                recorder = self.create_recorder(pool_size=1)
                oid = uuid.uuid4()
                for version in range(1, earlier_writes + 1):
                    self.write(recorder, oid, version)
                contested = earlier_writes + 1
                other = self.hold_time_row(oid, contested)
                committer = threading.Thread(target=self.commit_once_waited_for, args=(other,))
                committer.start()
                try:
                    self.write(recorder, oid, contested)
                except IntegrityError:
                    pass
                else:
                    raise AssertionError("a second time row for one version was accepted")
                finally:
                    committer.join()
                    other.close()
                self.delete_time_row(recorder, oid, contested)

                try:
                    self.write(recorder, oid, contested)  # the retry, on fresh state
                    self.write(recorder, oid, contested + 1)
                except Exception as error:
                    case = f"after {earlier_writes} earlier writes (try {attempt + 1})"
                    raise AssertionError(f"{case}: {error!r}") from error

                versions = [e.originator_version for e in recorder.select_events(oid)]
                assert versions == list(range(1, contested + 2))
                assert self.count_time_rows(recorder, oid) == contested + 1
                recorder.datastore.close()

    def write(self, recorder: Any, originator_id: UUID, version: int) -> None:
        recorder.insert_events(
            [self.event(originator_id, version)],
            **{EVENT_TIMES_KWARG: [(originator_id, version, T0)]},
        )

    def delete_time_row(self, recorder: Any, originator_id: UUID, version: int) -> None:
        """Take back the other writer's row, as if its transaction had carried no event."""
        with recorder.datastore.transaction(commit=True) as c:
            if isinstance(recorder, TimeIndexedSQLiteRecorder):
                c.execute(
                    "DELETE FROM event_times WHERE originator_id=? AND originator_version=?",
                    (originator_id.hex, version),
                )
            else:
                c.execute(
                    SQL(
                        "DELETE FROM {}.{} WHERE originator_id=%s AND originator_version=%s"
                    ).format(
                        Identifier(recorder.datastore.schema),
                        Identifier(recorder.times_table_name),
                    ),
                    (originator_id, version),
                )


# ---------------------------------------------------------------- the cases


class TestTimeIndexedSQLiteRecorder(
    SQLiteStore,
    TimeIndexChecks,
    conformance.ApplicationRecorderTestCase[TimeIndexedSQLiteRecorder],
):
    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestTimeIndexedSQLiteRecorderWithTimeRows(
    SQLiteStore, conformance.ApplicationRecorderTestCase[TimeIndexedSQLiteRecorder]
):
    recorder_class = SQLiteWithTimeRows


class TestTimeIndexedSQLiteNonInterleaving(
    SQLiteStore, conformance.NonInterleavingNotificationIDsBaseCase
):
    insert_num = 1000


@pytest.mark.postgres
class TestTimeIndexedPostgresRecorder(
    PostgresStore,
    TimeIndexChecks,
    conformance.ApplicationRecorderTestCase[TimeIndexedPostgresRecorder],
):
    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


@pytest.mark.postgres
class TestTimeIndexedPostgresRecorderWithTimeRows(
    PostgresStore, conformance.ApplicationRecorderTestCase[TimeIndexedPostgresRecorder]
):
    recorder_class = PostgresWithTimeRows

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


@pytest.mark.postgres
class TestTimeIndexedPostgresNonInterleaving(
    PostgresStore, conformance.NonInterleavingNotificationIDsBaseCase
):
    insert_num = 1000
