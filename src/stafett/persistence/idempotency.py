"""Idempotency keys: the first answer to a request, kept per person and key (decision 0028).

One row per (scope, key): the person who sent it (`scope`, their person id), the key
they chose, a fingerprint of the request (method, path, query, `If-Match`, body), and
the answer it got (status, media type, body bytes). The table lives in the event
store's database, so a plan write inserts its row in the same transaction as its
events (`ALSO_WRITE`, which both recorders honour): a crash cannot separate the event
from the answer that says it was written. Any other write keeps its answer afterwards,
in a transaction of its own (`keep`).

Rows live `LIFETIME`; an expired row is as good as none and is purged.
"""

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from stafett.persistence.sql import SqlTables, Table

# The recorders' keyword: callables given the open cursor of the events' transaction.
ALSO_WRITE = "also_write"
SameTransaction = Callable[[Any], None]
LIFETIME = timedelta(hours=24)
PURGE_EVERY_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Answer:
    """What a request was answered: replayed byte for byte to a retry."""

    status: int
    media_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Kept:
    """A key's row: the request it was first used for and that request's answer."""

    fingerprint: str
    answer: Answer


def fingerprint(method: str, path: str, query: str, if_match: str, body: bytes) -> str:
    """What makes two requests "the same request" for one key."""
    digest = hashlib.sha256()
    for part in (method, path, query, if_match):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    digest.update(body)
    return digest.hexdigest()


class IdempotencyKeys(SqlTables):
    """The kept answers, on the event store's own database (SQLite or PostgreSQL)."""

    keys = Table("idempotency_keys")

    def __init__(self, datastore: Any, clock: Callable[[], float] = time.time) -> None:
        super().__init__(datastore)
        self.clock = clock
        self._purged_at = 0.0
        self._purge_lock = threading.Lock()

    @classmethod
    def on(cls, datastore: object) -> "IdempotencyKeys | None":
        """The keys on the event store's database, made ready; None on the in-memory
        store (no database to keep them in, so keys are not honoured there)."""
        if not isinstance(datastore, SQLiteDatastore | PostgresDatastore):
            return None
        return cls.ready(datastore)

    def create_tables(self) -> None:
        self.create(
            [
                f"CREATE TABLE IF NOT EXISTS {self.keys} ("
                f"scope {self.uuid_type} NOT NULL, key TEXT NOT NULL, "
                "fingerprint TEXT NOT NULL, status INTEGER NOT NULL, "
                f"media_type TEXT NOT NULL, body {self.bytes_type} NOT NULL, "
                "kept_at BIGINT NOT NULL, PRIMARY KEY (scope, key))",
                f"CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON {self.keys} (kept_at)",
            ]
        )

    def _cutoff(self) -> int:
        return int((self.clock() - LIFETIME.total_seconds()) * 1_000_000)

    def find(self, scope: UUID, key: str) -> Kept | None:
        """The live row for `key` of `scope`; an expired one is deleted and is None."""
        row = self.select_one(
            f"SELECT fingerprint, status, media_type, body, kept_at FROM {self.keys} "
            "WHERE scope=%s AND key=%s",
            scope,
            key,
        )
        if row is None:
            return None
        if row["kept_at"] < self._cutoff():
            self.write(
                f"DELETE FROM {self.keys} WHERE scope=%s AND key=%s AND kept_at<%s",
                scope,
                key,
                self._cutoff(),
            )
            return None
        answer = Answer(row["status"], row["media_type"], bytes(row["body"]))
        return Kept(row["fingerprint"], answer)

    def writer(self, scope: UUID, key: str, kept: Kept) -> SameTransaction:
        """Insert the row on the cursor of a transaction that is open anyway (the events');
        a key already kept makes that transaction fail with an integrity error."""

        def write(cursor: Any) -> None:
            self.execute(
                cursor,
                f"INSERT INTO {self.keys} "
                "(scope, key, fingerprint, status, media_type, body, kept_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                *self._row(scope, key, kept),
            )

        return write

    def keep(self, scope: UUID, key: str, kept: Kept) -> None:
        """Keep an answer in a transaction of its own; a row already there stays."""
        self.write(
            f"INSERT INTO {self.keys} "
            "(scope, key, fingerprint, status, media_type, body, kept_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (scope, key) DO NOTHING",
            *self._row(scope, key, kept),
        )
        self.purge_now_and_then()

    def _row(self, scope: UUID, key: str, kept: Kept) -> tuple[Any, ...]:
        answer = kept.answer
        micros = int(self.clock() * 1_000_000)
        return (scope, key, kept.fingerprint, answer.status, answer.media_type, answer.body, micros)

    def purge_now_and_then(self) -> None:
        """Delete expired rows, at most every `PURGE_EVERY_SECONDS` in this process."""
        with self._purge_lock:
            if self.clock() - self._purged_at < PURGE_EVERY_SECONDS:
                return
            self._purged_at = self.clock()
        self.write(f"DELETE FROM {self.keys} WHERE kept_at<%s", self._cutoff())
