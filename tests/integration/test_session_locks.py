"""PostgreSQL session locks (`persistence/locks.py`): one holder, and free once released."""

import psycopg
import pytest

from stafett.persistence.locks import lock_key, release_session_lock, try_session_lock
from stafett.settings import Settings

pytestmark = pytest.mark.postgres


def _held(env: dict[str, str], name: str) -> int:
    """How many sessions hold the advisory lock `name` now (`pg_locks`)."""
    key = lock_key(name)
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], user=env["POSTGRES_USER"]
    ) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype='advisory' AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = %s::bigint",
            (key,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_released_lock_is_free_when_the_release_returns(postgres_schema: str) -> None:
    env = Settings(database_url=postgres_schema).event_store_env()
    name = f"test.{postgres_schema}"
    for _ in range(20):
        conn = try_session_lock(env, name)
        assert conn is not None
        assert try_session_lock(env, name) is None  # one holder
        assert _held(env, name) == 1
        release_session_lock(conn, name)
        assert _held(env, name) == 0  # not a moment later: now
        assert conn.closed


def test_releasing_over_a_broken_connection_does_not_raise(postgres_schema: str) -> None:
    env = Settings(database_url=postgres_schema).event_store_env()
    name = f"test.broken.{postgres_schema}"
    conn = try_session_lock(env, name)
    assert conn is not None
    conn.pgconn.finish()  # the connection is gone under it; the server ends the session
    release_session_lock(conn, name)
    assert conn.closed
    again = try_session_lock(env, name)
    assert again is not None
    release_session_lock(again, name)
