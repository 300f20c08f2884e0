"""One holder per key in a whole deployment: a PostgreSQL session-level advisory lock,
or, beside a SQLite file, an exclusive lock on a file (all its processes share a host)."""

import fcntl
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg.conninfo import make_conninfo

from stafett.settings import postgres_tls


def lock_key(name: str) -> int:
    """A stable 32-bit key for a lock name (advisory lock keys are integers)."""
    return zlib.crc32(name.encode())


LockConnection = psycopg.Connection[tuple[object, ...]]

# Making tables. PostgreSQL gives each table a row type, unique in its catalogue, so two
# processes running the same `CREATE TABLE IF NOT EXISTS` at once (a web process and the
# worker starting together on a new database) can fail one of them with a duplicate key
# in `pg_type`. Every start-up creation of a table on PostgreSQL holds one of these
# locks: the library's recorders the first (a session lock around the recorder's own
# transactions), Stafett's own tables the second (inside their one transaction); two
# keys, so a process holding the first never waits for itself on the second.
RECORDER_TABLES_LOCK = lock_key("stafett: recorder tables")
OWN_TABLES_LOCK = lock_key("stafett: own tables")


@contextmanager
def making_recorder_tables(datastore: PostgresDatastore) -> Iterator[None]:
    """Hold the deployment-wide lock for creating the library's recorder tables."""
    with datastore.get_connection() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (RECORDER_TABLES_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (RECORDER_TABLES_LOCK,))


def lock_own_tables(cursor: Any) -> None:
    """Inside the open transaction of `cursor`: wait for the lock on making own tables."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (OWN_TABLES_LOCK,))


def try_session_lock(env: Mapping[str, str], name: str) -> LockConnection | None:
    """A connection holding the lock `name`, or None if another session holds it.

    The lock lasts as long as the connection: close it to release it (a crashed
    holder's lock is released by the server when its session ends).
    """
    conninfo = make_conninfo(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env.get("POSTGRES_PASSWORD") or None,
        connect_timeout=env.get("POSTGRES_CONNECT_TIMEOUT", "5"),
        application_name=f"stafett {name}",
        **postgres_tls(env),
    )
    conn: LockConnection = psycopg.connect(conninfo, autocommit=True)
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(name),)).fetchone()
    if row is not None and row[0] is True:
        return conn
    conn.close()
    return None


def release_session_lock(conn: LockConnection, name: str) -> None:
    """Release the lock `name` that `conn` holds, and close it.

    Closing alone releases the lock only when the server has ended the session, a
    moment after `close` returns, so whoever tries next could still find it held. The
    unlock is answered once the lock is free. On a broken connection the server ends
    the session, and with it the lock, by itself.
    """
    try:
        conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(name),))
    except psycopg.Error:
        pass
    finally:
        conn.close()


def try_file_lock(path: Path) -> TextIO | None:
    """An open file holding an exclusive lock on `path`, or None if another holder has it.

    The lock lasts as long as the file is open: close it to release it (the operating
    system releases a crashed holder's lock with its process).
    """
    handle = path.open("a", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
