"""The two stores the benchmark runs on, and the raw driver's insert rate on each.

SQLite: a new database file in a temporary directory (WAL mode, which
eventsourcing sets and which persists in the file). PostgreSQL: a new schema,
dropped again at the end. The raw insert table sits next to the application's
tables (same file, same schema), so it gets the same journal and commit settings.
"""

import argparse
import json
import os
import sqlite3
import sys
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg import sql

from bench.measure import Step
from stafett.applications.plans import PlanApplication

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


class Backend(ABC):
    name: str
    url: str

    @abstractmethod
    def raw_inserter(self, topic: str, state: bytes, rows: int) -> AbstractContextManager[Step]:
        """A step that INSERTs and COMMITs one row, with a fresh originator id each call.

        `step(i)` writes the i-th of `rows` pre-made ids; `i` must not repeat.
        """

    @abstractmethod
    def _storage_row(self, table: str, plan_id: UUID) -> tuple[int, int, int, int]:
        """Rows, bytes of state, largest state and highest version of one originator."""

    @abstractmethod
    def _chunk_bytes(self) -> int:
        """Bytes of the logs' chunks in the whole database (`plan_log_chunks`)."""

    @abstractmethod
    def describe(self) -> dict[str, str]:
        """The settings that decide the commit cost."""

    @abstractmethod
    def close(self) -> None: ...

    def plan_storage(self, app: PlanApplication, plan_id: UUID) -> dict[str, int]:
        """How many events and snapshots a plan has, and their bytes."""
        assert app.snapshots is not None
        events_table: str = app.recorder.events_table_name  # type: ignore[attr-defined]
        snapshots_table: str = app.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
        events, event_bytes, _, version = self._storage_row(events_table, plan_id)
        snapshots, snapshot_bytes, largest, latest = self._storage_row(snapshots_table, plan_id)
        # Chunks are stored once per database, not per plan: in the benchmark's
        # databases only the long plan has snapshots, so all of them are its own.
        chunk_bytes = self._chunk_bytes()
        return {
            "events": events,
            "event_bytes": event_bytes,
            "version": version,
            "snapshots": snapshots,
            "snapshot_bytes": snapshot_bytes,
            "chunk_bytes": chunk_bytes,
            "snapshot_and_chunk_bytes": snapshot_bytes + chunk_bytes,
            "largest_snapshot_bytes": largest,
            "latest_snapshot_version": latest,
        }


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self, directory: Path | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="stafett-bench-", dir=directory)
        self.path = Path(self._tmp.name) / "bench.sqlite"
        self.url = f"sqlite:///{self.path}"

    def _connect(self) -> sqlite3.Connection:
        # As eventsourcing connects: autocommit mode, explicit BEGIN, WAL journal.
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode.lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        return conn

    @contextmanager
    def raw_inserter(self, topic: str, state: bytes, rows: int) -> Iterator[Step]:
        conn = self._connect()
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS raw_events (originator_id TEXT, "
                "originator_version INTEGER, topic TEXT, state BLOB, "
                "PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID"
            )
            ids = [uuid4().hex for _ in range(rows)]
            execute = conn.execute

            def insert(i: int) -> None:
                execute("BEGIN")
                execute("INSERT INTO raw_events VALUES (?,?,?,?)", (ids[i], 1, topic, state))
                execute("COMMIT")

            yield insert
        finally:
            conn.close()

    def _storage_row(self, table: str, plan_id: UUID) -> tuple[int, int, int, int]:
        conn = self._connect()
        try:
            row: tuple[int, int, int, int] = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(state)), 0), "
                "COALESCE(MAX(LENGTH(state)), 0), COALESCE(MAX(originator_version), 0) "
                f'FROM "{table}" WHERE originator_id = ?',
                (plan_id.hex,),
            ).fetchone()
            return row
        finally:
            conn.close()

    def _chunk_bytes(self) -> int:
        conn = self._connect()
        try:
            (total,) = conn.execute(
                "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM plan_log_chunks"
            ).fetchone()
            return int(total)
        finally:
            conn.close()

    def describe(self) -> dict[str, str]:
        conn = self._connect()
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            sync = conn.execute("PRAGMA synchronous").fetchone()[0]
        finally:
            conn.close()
        names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
        return {
            "version": sqlite3.sqlite_version,
            "journal_mode": str(mode),
            "synchronous": names.get(sync, str(sync)),
            "file": "temporary file in " + str(self.path.parent.parent),
        }

    def close(self) -> None:
        self._tmp.cleanup()


class PostgresBackend(Backend):
    name = "postgres"

    def __init__(self, url: str = DEFAULT_POSTGRES_URL) -> None:
        self.base = url.split("?", maxsplit=1)[0]
        self.schema = "bench_" + uuid4().hex[:12]
        with psycopg.connect(self.base, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        self.url = f"{self.base}?schema={self.schema}"

    @contextmanager
    def raw_inserter(self, topic: str, state: bytes, rows: int) -> Iterator[Step]:
        table = sql.Identifier(self.schema, "raw_events")
        with psycopg.connect(self.base) as conn:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (originator_id uuid NOT NULL, "
                    "originator_version bigint NOT NULL, topic text, state bytea, "
                    "PRIMARY KEY (originator_id, originator_version))"
                ).format(table)
            )
            conn.commit()
            statement = sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(table)
            ids = [uuid4() for _ in range(rows)]
            execute: Callable[..., Any] = conn.execute
            commit = conn.commit

            def insert(i: int) -> None:
                execute(statement, (ids[i], 1, topic, state), prepare=True)
                commit()

            yield insert

    def _storage_row(self, table: str, plan_id: UUID) -> tuple[int, int, int, int]:
        statement = sql.SQL(
            "SELECT COUNT(*), COALESCE(SUM(octet_length(state)), 0), "
            "COALESCE(MAX(octet_length(state)), 0), COALESCE(MAX(originator_version), 0) "
            "FROM {} WHERE originator_id = %s"
        ).format(sql.Identifier(self.schema, table))
        with psycopg.connect(self.base) as conn:
            row = conn.execute(statement, (plan_id,)).fetchone()
        assert row is not None
        return (int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    def _chunk_bytes(self) -> int:
        statement = sql.SQL("SELECT COALESCE(SUM(octet_length(data)), 0) FROM {}").format(
            sql.Identifier(self.schema, "plan_log_chunks")
        )
        with psycopg.connect(self.base) as conn:
            row = conn.execute(statement).fetchone()
        assert row is not None
        return int(row[0])

    def describe(self) -> dict[str, str]:
        settings = {}
        with psycopg.connect(self.base) as conn:
            for name in ("server_version", "synchronous_commit", "fsync", "wal_sync_method"):
                row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
                settings[name] = str(row[0]) if row else "?"
        settings["schema"] = self.schema + " (created and dropped by the benchmark)"
        return settings

    def analyze(self) -> None:
        """Planner statistics for every table in the schema."""
        with psycopg.connect(self.base, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (self.schema,)
            ).fetchall()
            for (table,) in tables:
                conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(self.schema, table)))

    def close(self) -> None:
        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
            )


def each_backend(
    only: str | None, postgres_url: str, run: Callable[[Backend], dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """`run` on SQLite and on PostgreSQL (or on the one `only` names), each closed after.

    Answers the results and the errors (a store that could not be set up, e.g. no
    PostgreSQL server) by store name.
    """
    results: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    for name in ("sqlite", "postgres"):
        if only not in (None, name):
            continue
        print(f"{name}:", file=sys.stderr, flush=True)
        try:
            backend: Backend = (
                SQLiteBackend() if name == "sqlite" else PostgresBackend(postgres_url)
            )
        except Exception as error:  # e.g. no PostgreSQL server
            errors[name] = f"{type(error).__name__}: {error}"
            continue
        try:
            results[name] = run(backend)
        finally:
            backend.close()
    return results, errors


Row = tuple[str, str, str]  # label, key in each store's results, format
RESULTS_FILE = Path("var/bench/results.json")


def store_table(title: str, rows: Sequence[Row], results: dict[str, Any], width: int) -> str:
    """One column a store, one line a row; then the stores that failed."""
    names = [n for n in ("sqlite", "postgres") if n in results]
    lines = [f"{title:{width}}" + "".join(f"{n:>14}" for n in names)]
    for label, key, fmt in rows:
        cells = "".join(f"{fmt.format(results[n][key]):>14}" for n in names)
        lines.append(f"{label:{width}}{cells}")
    for name, error in results.get("errors", {}).items():
        lines.append(f"{name}: FAILED: {error}")
    return "\n".join(lines)


def store_main(
    argv: Sequence[str] | None,
    *,
    prog: str,
    description: str | None,
    key: str,
    sizes: tuple[Any, Any],
    run: Callable[[Backend, Any], dict[str, Any]],
    report: Callable[[dict[str, Any]], str],
) -> int:
    """The command line of a benchmark run on each store: `--quick` (sizes[1] instead of
    sizes[0]), `--only`, `--postgres-url`, `--out`; results merged into the JSON under
    `key` and printed by `report`. Exit 1 when a store failed."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="run on one store only")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("STAFETT_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    parser.add_argument("--out", type=Path, default=RESULTS_FILE, help="JSON to merge results into")
    args = parser.parse_args(argv)
    chosen = sizes[1] if args.quick else sizes[0]
    results: dict[str, Any] = {"mode": "quick" if args.quick else "full", "sizes": asdict(chosen)}
    load_before = os.getloadavg()
    by_store, errors = each_backend(
        args.only, args.postgres_url, lambda backend: run(backend, chosen)
    )
    results |= by_store
    # The machine is shared: the load beside the figures says how far to trust them.
    results["loadavg"] = {"before": load_before, "after": os.getloadavg()}
    if errors:
        results["errors"] = errors
    args.out.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    existing[key] = results
    args.out.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")
    print(report(results))
    load = results["loadavg"]
    print(
        f"load average (1, 5, 15 min): before {_load(load['before'])}, after {_load(load['after'])}"
    )
    return 1 if errors else 0


def _load(averages: Sequence[float]) -> str:
    return " ".join(f"{a:.2f}" for a in averages)
