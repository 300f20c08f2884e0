"""The bare app beside the HTTP write benchmark: litestar and msgspec committing one row a POST.

Nothing of Stafett: no middleware, no session, no command, no projection. `POST /write`
decodes a goal's body with msgspec and INSERTs one row into SQLite (WAL, synchronous
FULL, as the event store commits), one transaction a request, one writer at a time (as
SQLite allows). `/write` runs in a worker thread, as a server must run blocking work
(Stafett's writes do); `/write-on-loop` runs the same on the event loop, holding up
every other request meanwhile — no server would, but it is the most this stack can
answer with one commit a request. Served by uvicorn as `stafett serve` serves
(`python -m uvicorn bench.bare_write:app`); the database file is `BARE_WRITE_DB`.
"""

import os
import sqlite3
import threading
from uuid import uuid4

import msgspec
from litestar import Litestar, get, post

_connections = threading.local()
_one_writer = threading.Lock()


class GoalBody(msgspec.Struct):
    title: str
    description: str = ""


class Written(msgspec.Struct):
    goal_id: str


class Health(msgspec.Struct):
    status: str


def _connection() -> sqlite3.Connection:
    connection: sqlite3.Connection | None = getattr(_connections, "connection", None)
    if connection is None:
        connection = sqlite3.connect(
            os.environ["BARE_WRITE_DB"], isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS goals (id BLOB PRIMARY KEY, title TEXT, description TEXT)"
        )
        _connections.connection = connection
    return connection


def _write(data: GoalBody) -> Written:
    goal_id = uuid4()
    connection = _connection()
    with _one_writer:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT INTO goals (id, title, description) VALUES (?, ?, ?)",
            (goal_id.bytes, data.title, data.description),
        )
        connection.execute("COMMIT")
    return Written(goal_id=str(goal_id))


@post("/write", sync_to_thread=True, status_code=201)
def write(data: GoalBody) -> Written:
    return _write(data)


@post("/write-on-loop", sync_to_thread=False, status_code=201)
def write_on_loop(data: GoalBody) -> Written:
    return _write(data)


@get("/health", sync_to_thread=False)
def health() -> Health:
    return Health(status="ok")


app = Litestar(route_handlers=[health, write, write_on_loop], openapi_config=None)
