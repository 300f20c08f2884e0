"""The SQLite pool lets readers through while writers queue (decision 0035): in a file
database (WAL) a reader never waits for a writer, and the event loop reads sessions and
plans while requests in worker threads commit."""

import sqlite3
import threading
from pathlib import Path

import pytest
from eventsourcing.persistence import ConnectionUnavailableError

from stafett.persistence.sqlite_store import TunedSQLiteConnectionPool


@pytest.fixture
def pool(tmp_path: Path) -> TunedSQLiteConnectionPool:
    made = TunedSQLiteConnectionPool(db_name=str(tmp_path / "pool.sqlite"), pool_timeout=5)
    connection = made.get_connection(is_writer=True)
    connection.cursor().execute("PRAGMA journal_mode=WAL")
    made.put_connection(connection)
    return made


def writer_in_a_thread(pool: TunedSQLiteConnectionPool) -> tuple[threading.Thread, threading.Event]:
    """A thread that takes a writer's connection of `pool`, says so, and gives it back."""
    got = threading.Event()

    def writer() -> None:
        connection = pool.get_connection(is_writer=True)
        got.set()
        pool.put_connection(connection)

    thread = threading.Thread(target=writer)
    thread.start()
    return thread, got


def test_a_reader_is_not_held_up_by_a_writer_waiting_for_another(
    pool: TunedSQLiteConnectionPool,
) -> None:
    first = pool.get_connection(is_writer=True)  # committing, say
    waiting, second_got = writer_in_a_thread(pool)
    assert not second_got.wait(0.2)  # one writer at a time: the second waits its turn

    reader = pool.get_connection(timeout=1, is_writer=False)  # the library's pool: timed out
    pool.put_connection(reader)

    assert not second_got.is_set()
    pool.put_connection(first)
    waiting.join(timeout=5)
    assert second_got.is_set()


def test_a_writer_that_cannot_have_its_turn_in_time_is_refused_and_leaves_the_pool_usable(
    pool: TunedSQLiteConnectionPool,
) -> None:
    first = pool.get_connection(is_writer=True)
    with pytest.raises(ConnectionUnavailableError):
        pool.get_connection(timeout=0.1, is_writer=True)
    pool.put_connection(first)
    again = pool.get_connection(timeout=1, is_writer=True)  # the turn was given back
    pool.put_connection(again)


def test_a_transaction_that_will_commit_holds_the_write_lock_from_its_start(
    pool: TunedSQLiteConnectionPool, tmp_path: Path
) -> None:
    """Decision 0041: begun IMMEDIATE, a transaction that reads and then writes cannot be
    refused because another connection wrote between its read and its write; the other
    writer waits its turn instead (here it does not wait, so it is refused)."""
    connection = pool.get_connection(is_writer=True)
    with connection.transaction(commit=True) as c:
        c.execute("CREATE TABLE counted (n INTEGER)")
    other = sqlite3.connect(tmp_path / "pool.sqlite", timeout=0, isolation_level=None)
    try:
        with connection.transaction(commit=True) as c:
            c.execute("SELECT COUNT(*) FROM counted")
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO counted VALUES (1)")
            c.execute("INSERT INTO counted VALUES (2)")
        other.execute("INSERT INTO counted VALUES (3)")  # its turn now
        with connection.transaction(commit=False) as c:
            c.execute("SELECT n FROM counted ORDER BY n")
            assert [row["n"] for row in c.fetchall()] == [2, 3]
    finally:
        other.close()
        pool.put_connection(connection)


def test_pools_on_one_file_in_one_process_take_turns_in_the_process(tmp_path: Path) -> None:
    """The plan application's pool and each projection's write one file: a writer of one
    waits for a writer of another on a lock of this process, woken the moment the turn
    is given back, not in SQLite's busy handler, which sleeps up to tens of milliseconds
    between its tries (and starved a projection's writer, whose commit every answered
    write waits for). A pool on another file keeps its own turn."""
    name = str(tmp_path / "one.sqlite")
    events = TunedSQLiteConnectionPool(db_name=name, pool_timeout=5)
    projection = TunedSQLiteConnectionPool(db_name=f"file:{name}?mode=rwc", pool_timeout=5)
    elsewhere = TunedSQLiteConnectionPool(db_name=str(tmp_path / "other.sqlite"), pool_timeout=5)
    writing = events.get_connection(is_writer=True)
    with pytest.raises(ConnectionUnavailableError):
        projection.get_connection(timeout=0.1, is_writer=True)
    other = elsewhere.get_connection(timeout=0.1, is_writer=True)
    elsewhere.put_connection(other)
    reading = projection.get_connection(timeout=0.1, is_writer=False)  # readers never wait
    projection.put_connection(reading)

    waiting, got = writer_in_a_thread(projection)
    assert not got.wait(0.1)
    events.put_connection(writing)
    assert got.wait(1)
    waiting.join(timeout=5)
