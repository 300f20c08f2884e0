"""The errors that mean "the database is not there right now" (a restart, a failover,
a network cut, an exhausted pool): the web answers them 503 with Retry-After
(`web/errors.py`), and the worker waits and starts its runners again (`__main__`)."""

import psycopg
from eventsourcing.persistence import ConnectionPoolClosedError, InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    ConnectionPoolClosedError,
    psycopg.OperationalError,
    PoolTimeout,
)
