"""The access log (innsynslogg): one append-only, hash-chained row stream per plan.

Rows live in `access_log`, in the same database (file or schema) as the plan
events but outside the event store, so a read never becomes a plan notification
(docs/decisions/0008-access-log.md). `(plan_id, seq)` is the primary key: two
writers that both try to append seq n collide there and one of them retries. The
database itself refuses UPDATE and DELETE with a trigger on both stores.

This module only stores and returns rows; the chain (canonical form, hashes,
verification) belongs to `stafett.applications.access_log`.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import psycopg
from eventsourcing.persistence import IntegrityError

from stafett.persistence.sql import SqlTables, Table

APPEND_ONLY_MESSAGE = "access_log is append-only"


class SeqTakenError(Exception):
    """Another writer appended this sequence number first; read the head again."""


At = TypeVar("At", int, datetime)


@dataclass(frozen=True, slots=True)
class AccessRow(Generic[At]):
    """One entry of a plan's access log: `at` as stored (microseconds since the Unix
    epoch, UTC) or, as `AccessRow[datetime]`, as the instant it stands for."""

    plan_id: UUID
    seq: int
    at: At
    reader_person_id: UUID
    role: str
    sections: tuple[str, ...]
    grounds: str
    prev_hash: str
    hash: str


COLUMNS = tuple(f.name for f in fields(AccessRow))


class AccessLogStore(SqlTables):
    rows = Table("access_log")

    def create_tables(self) -> None:
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.rows} ("
            f"plan_id {self.uuid_type} NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL, "
            f"reader_person_id {self.uuid_type} NOT NULL, role TEXT NOT NULL, "
            "sections TEXT NOT NULL, grounds TEXT NOT NULL, "
            "prev_hash TEXT NOT NULL, hash TEXT NOT NULL, "
            "PRIMARY KEY (plan_id, seq))",
            # the log control's reads of a period across plans (decision 0058)
            f"CREATE INDEX IF NOT EXISTS access_log_by_at ON {self.rows} (at)",
        ]
        if self.is_sqlite:
            statements += [
                f"CREATE TRIGGER IF NOT EXISTS access_log_no_{verb.lower()} "
                f"BEFORE {verb} ON {self.rows} "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
                for verb in ("UPDATE", "DELETE")
            ]
        else:
            function = self.table("access_log_append_only")
            # Workers starting together would race on CREATE OR REPLACE ("tuple
            # concurrently updated"); a transaction lock lets them take turns.
            statements.insert(0, "SELECT pg_advisory_xact_lock(hashtext('stafett.access_log'))")
            statements += [
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                f"RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$",
                f"CREATE OR REPLACE TRIGGER access_log_no_change "
                f"BEFORE UPDATE OR DELETE ON {self.rows} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()",
                f"CREATE OR REPLACE TRIGGER access_log_no_truncate "
                f"BEFORE TRUNCATE ON {self.rows} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
        self.create(statements)

    def head(self, plan_id: UUID) -> tuple[int, str] | None:
        """The last (seq, hash) of the plan's chain, or None when it has none yet."""
        return self.heads([plan_id]).get(plan_id)

    def heads(self, plan_ids: Iterable[UUID]) -> dict[UUID, tuple[int, str]]:
        """The last (seq, hash) of each plan's chain that has one, read in one transaction."""
        found: dict[UUID, tuple[int, str]] = {}
        with self.cursor(commit=False) as c:
            for plan_id in plan_ids:
                self.execute(
                    c,
                    f"SELECT seq, hash FROM {self.rows} WHERE plan_id=%s ORDER BY seq DESC LIMIT 1",
                    plan_id,
                )
                row = c.fetchone()
                if row is not None:
                    found[plan_id] = (int(row["seq"]), str(row["hash"]))
        return found

    def append(self, *rows: AccessRow[int]) -> None:
        """Insert the rows in one transaction; SeqTakenError (and none inserted) when a
        sequence number is already taken.

        In key order: two writers whose batches touch the same plans then wait for each
        other's keys in the same order, so on PostgreSQL the later one finds a key taken
        (and chains again) instead of the two deadlocking, which failed their reads.
        """
        statement = self.sql(
            f"INSERT INTO {self.rows} ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        )
        in_key_order = sorted(rows, key=lambda r: (r.plan_id, r.seq))
        values = [[self.value(v) for v in _stored(r)] for r in in_key_order]
        try:
            with self.cursor(commit=True) as c:
                c.executemany(statement, values)
        except (IntegrityError, psycopg.errors.UniqueViolation):
            raise SeqTakenError(f"a seq of {len(rows)} rows is taken") from None

    def rows_of(self, plan_id: UUID) -> list[AccessRow[int]]:
        """Every row of the plan's chain, oldest first."""
        return self._rows(
            self.select(
                f"SELECT {', '.join(COLUMNS)} FROM {self.rows} WHERE plan_id=%s ORDER BY seq",
                plan_id,
            )
        )

    def rows_between(self, start: int, end: int) -> list[AccessRow[int]]:
        """Every plan's rows written from `start` until `end` (microseconds), by time."""
        return self._rows(
            self.select(
                f"SELECT {', '.join(COLUMNS)} FROM {self.rows} WHERE at >= %s AND at < %s "
                "ORDER BY at, plan_id, seq",
                start,
                end,
            )
        )

    def _rows(self, rows: Iterable[Any]) -> list[AccessRow[int]]:
        return [
            AccessRow(
                plan_id=self.uuid(r["plan_id"]),
                seq=int(r["seq"]),
                at=int(r["at"]),
                reader_person_id=self.uuid(r["reader_person_id"]),
                role=r["role"],
                sections=tuple(json.loads(r["sections"])),
                grounds=r["grounds"],
                prev_hash=r["prev_hash"],
                hash=r["hash"],
            )
            for r in rows
        ]


def _stored(row: AccessRow[int]) -> list[object]:
    """The row's values in the order of COLUMNS, the sections as a JSON list."""
    sections = json.dumps(list(row.sections), ensure_ascii=False)
    return [sections if n == "sections" else getattr(row, n) for n in COLUMNS]
