"""The encoded chunks of plans' comment and message logs, each stored once.

A plan snapshot names its logs' chunks by digest (SHA-256 of the chunk's bytes)
instead of carrying their bytes (decision 0003): every snapshot of a long plan used
to repeat every earlier comment and message, so the snapshots of a 10,000-event plan
took twenty times the bytes of its events. A chunk is written before the first
snapshot that names it, with a statement that does nothing when the digest is
there already (the same bytes, from another process or an earlier snapshot), so a
snapshot never names a chunk that is not stored. Chunks are never changed or
deleted, as events are not; one the snapshot that was to name it never got written
is left unnamed, which costs its bytes and nothing else.

`MemoryLogChunks` keeps them in a dict, for the in-memory store of application tests.
"""

import hashlib
import threading
from collections.abc import Sequence
from typing import Protocol

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from stafett.persistence.sql import SqlTables, Table

BATCH = 500  # digests asked for in one statement


def chunk_digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class ChunkMissingError(LookupError):
    """A snapshot names a chunk the store does not have (it was altered or lost)."""


class LogChunks(Protocol):
    def put(self, digest: bytes, data: bytes) -> None:
        """Store `data` under `digest` unless it is there already."""

    def get(self, digest: bytes) -> bytes:
        """The bytes stored under `digest` (ChunkMissingError when there are none)."""

    def get_many(self, digests: Sequence[bytes]) -> list[bytes]:
        """The bytes stored under each of `digests`, in their order."""


class SqlLogChunks(SqlTables):
    """Chunks in a table of the event store's own database (SQLite or PostgreSQL)."""

    chunks = Table("plan_log_chunks")

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        super().__init__(datastore)
        insert = "INSERT OR IGNORE INTO" if self.is_sqlite else "INSERT INTO"
        tail = "" if self.is_sqlite else " ON CONFLICT (digest) DO NOTHING"
        self._put = f"{insert} {self.chunks} (digest, data) VALUES (%s, %s){tail}"
        self._get = f"SELECT data FROM {self.chunks} WHERE digest=%s"

    def create_tables(self) -> None:
        self.create(
            [
                f"CREATE TABLE IF NOT EXISTS {self.chunks} ("
                f"digest {self.bytes_type} PRIMARY KEY, data {self.bytes_type} NOT NULL)"
            ]
        )

    def put(self, digest: bytes, data: bytes) -> None:
        self.write(self._put, digest, data)

    def get(self, digest: bytes) -> bytes:
        row = self.select_one(self._get, digest)
        if row is None:
            raise ChunkMissingError(f"no log chunk {digest.hex()}")
        return bytes(row["data"])

    def get_many(self, digests: Sequence[bytes]) -> list[bytes]:
        found: dict[bytes, bytes] = {}
        wanted = list(dict.fromkeys(digests))
        batches = [wanted[start : start + BATCH] for start in range(0, len(wanted), BATCH)]
        datastore = self.datastore
        if isinstance(datastore, PostgresDatastore):
            # Binary both ways: in text format every byte of a bytea goes as two hex digits,
            # made or parsed in Python (a load reads a plan's map blocks, decision 0030);
            # the digests sent as a binary array (%b) took a third off the round trip.
            select = f"SELECT digest, data FROM {self.chunks} WHERE digest = ANY(%b)"
            with datastore.get_connection() as conn, conn.cursor(binary=True) as c:
                for batch in batches:
                    c.execute(select, [batch])
                    found.update((bytes(r["digest"]), bytes(r["data"])) for r in c.fetchall())
        else:
            with self.cursor(commit=False) as c:
                for batch in batches:
                    marks = ", ".join("?" * len(batch))
                    c.execute(
                        f"SELECT digest, data FROM {self.chunks} WHERE digest IN ({marks})", batch
                    )
                    found.update((bytes(r["digest"]), bytes(r["data"])) for r in c.fetchall())
        return [_found(found, d) for d in digests]


class MemoryLogChunks:
    """Chunks in memory, for the library's in-memory (POPO) store."""

    def __init__(self) -> None:
        self._chunks: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def put(self, digest: bytes, data: bytes) -> None:
        with self._lock:
            self._chunks.setdefault(digest, data)

    def get(self, digest: bytes) -> bytes:
        return _found(self._chunks, digest)

    def get_many(self, digests: Sequence[bytes]) -> list[bytes]:
        return [_found(self._chunks, d) for d in digests]


def _found(chunks: dict[bytes, bytes], digest: bytes) -> bytes:
    try:
        return chunks[digest]
    except KeyError:
        raise ChunkMissingError(f"no log chunk {digest.hex()}") from None
