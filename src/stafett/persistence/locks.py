"""A PostgreSQL session-level advisory lock: one holder per key in the whole deployment."""

import zlib
from collections.abc import Mapping

import psycopg
from psycopg.conninfo import make_conninfo


def lock_key(name: str) -> int:
    """A stable 32-bit key for a lock name (advisory lock keys are integers)."""
    return zlib.crc32(name.encode())


LockConnection = psycopg.Connection[tuple[object, ...]]


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
    )
    conn: LockConnection = psycopg.connect(conninfo, autocommit=True)
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(name),)).fetchone()
    if row is not None and row[0] is True:
        return conn
    conn.close()
    return None
