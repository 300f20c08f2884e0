"""The TLS parameters of a PostgreSQL STAFETT_DATABASE_URL reach every connection the
service makes (SEC-CRY-03): the event store's pool, the session locks and the backups.
Before, they were dropped in silence and every connection went without TLS.

The suite's server may or may not offer TLS: with `sslmode=require` each connection is
encrypted where it does, and refused where it does not (libpq's "server does not
support SSL"), which shows the parameter arrived either way.
"""

from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import OperationalError
from eventsourcing.utils import Environment

from stafett.applications.plans import PlanApplication
from stafett.backup import PostgresTarget
from stafett.persistence.locks import try_session_lock
from stafett.persistence.postgres_store import StafettPostgresFactory
from stafett.settings import Settings


def server_offers_tls(url: str) -> bool:
    with psycopg.connect(url.split("?", maxsplit=1)[0]) as conn:
        row = conn.execute("SHOW ssl").fetchone()
    return row is not None and row[0] == "on"


def encrypted(conn: Any) -> bool:
    row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    return bool(row[0] if isinstance(row, tuple) else row["ssl"])


def test_sslmode_in_the_url_reaches_the_pool_the_locks_and_the_backups(
    postgres_schema: str,
) -> None:
    settings = Settings(database_url=f"{postgres_schema}&sslmode=require")
    env = settings.event_store_env()
    if server_offers_tls(postgres_schema):
        plans = PlanApplication(env)
        try:
            with plans.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
                cursor.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                assert cursor.fetchone()["ssl"] is True
        finally:
            plans.close()
        lock = try_session_lock(env, "tls test")
        assert lock is not None
        assert encrypted(lock)
        lock.close()
        with PostgresTarget.of(settings).connect() as conn:
            assert encrypted(conn)
        return
    factory = StafettPostgresFactory(Environment(env=env))
    assert factory.datastore.pool.kwargs["sslmode"] == "require"  # type: ignore[index]
    factory.close()
    # The pool retries a refused connection until its timeout and then says only that.
    with pytest.raises(OperationalError, match="couldn't get a connection"):
        PlanApplication(env)
    with pytest.raises(psycopg.OperationalError, match="does not support SSL"):
        try_session_lock(env, "tls test")
    with pytest.raises(psycopg.OperationalError, match="does not support SSL"):
        PostgresTarget.of(settings).connect()


def test_without_tls_parameters_the_same_connections_are_made(postgres_schema: str) -> None:
    settings = Settings(database_url=postgres_schema)
    plans = PlanApplication(settings.event_store_env())
    plans.close()
    lock = try_session_lock(settings.event_store_env(), "tls test")
    assert lock is not None
    lock.close()
    with PostgresTarget.of(settings).connect() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
