"""A small shared base for Stafett's own (non-event) tables on SQLite or PostgreSQL.

These tables use the plan application's datastore, so they share its connection
pool and its database file or schema. Statements are written with `%s`
placeholders and translated for sqlite3; values are adapted where sqlite3 has no
native type (UUID, date, bool).
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, Self
from uuid import UUID

from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from stafett.persistence.locks import lock_own_tables

SQLITE_ATTEMPTS = 5


class Table:
    """A store's table, named once on its class (`persons = Table("persons")`); read on
    the store, it is the name its statements use (`table()`: schema-qualified on
    PostgreSQL)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, store: "SqlTables", owner: type["SqlTables"]) -> str:
        return store.table(self.name)


class SqlTables:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.datastore = datastore
        self.is_sqlite = isinstance(datastore, SQLiteDatastore)
        self.uuid_type = "TEXT" if self.is_sqlite else "uuid"
        self.bool_type = "INTEGER" if self.is_sqlite else "boolean"
        self.date_type = "TEXT" if self.is_sqlite else "date"
        self.bytes_type = "BLOB" if self.is_sqlite else "bytea"
        self.serial_key = (
            "INTEGER PRIMARY KEY AUTOINCREMENT" if self.is_sqlite else "bigserial PRIMARY KEY"
        )

    @classmethod
    def ready(cls, datastore: SQLiteDatastore | PostgresDatastore) -> Self:
        """The store on `datastore`, its tables made (and brought up to date) first."""
        store = cls(datastore)
        store.create_tables()
        return store

    def create_tables(self) -> None:
        """Make the store's tables if they are missing; each store says which."""
        raise NotImplementedError

    def table(self, name: str) -> str:
        if isinstance(self.datastore, PostgresDatastore):
            return f'"{self.datastore.schema}".{name}'
        return name

    def create(self, statements: list[str]) -> None:
        with self.cursor(commit=True) as c:
            if not self.is_sqlite:
                lock_own_tables(c)
            for statement in statements:
                c.execute(statement)

    def add_missing_columns(
        self,
        name: str,
        columns: dict[str, str],
        fill: Callable[[Any, list[str]], None] | None = None,
    ) -> None:
        """Add columns that an older version's `CREATE TABLE` did not have (idempotent).

        `name` is the table's bare name (as its `Table` has it); `columns` maps a
        column name to its type and constraints, which must allow existing rows
        (nullable, or with a default). Only missing columns are altered, so a start
        against an up-to-date database takes no table lock. `fill(cursor, added)` fills
        in the columns just added, in the same transaction: once, and never half.
        On SQLite an up-to-date table is seen without a write transaction, and the
        transaction is tried again when it fails as locked: a read that turns into a
        write fails at once when another connection wrote in between, as the plan-list
        runner catching up at start does.
        """
        table = self.table(name)
        if not self.is_sqlite:
            self._add_columns(table, name, columns, fill)
            return
        for attempt in range(SQLITE_ATTEMPTS):
            present = {row["name"] for row in self.select(f"PRAGMA table_info({table})")}
            if all(n in present for n in columns):
                return
            try:
                self._add_columns(table, name, columns, fill)
            except OperationalError as error:
                if attempt + 1 == SQLITE_ATTEMPTS or "locked" not in str(error):
                    raise
                time.sleep(0.05 * (attempt + 1))
            else:
                return

    def _add_columns(
        self,
        table: str,
        name: str,
        columns: dict[str, str],
        fill: Callable[[Any, list[str]], None] | None,
    ) -> None:
        with self.cursor(commit=True) as c:
            if isinstance(self.datastore, PostgresDatastore):
                lock_own_tables(c)
                c.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema=%s AND table_name=%s",
                    [self.datastore.schema, name],
                )
                present = {row["column_name"] for row in c.fetchall()}
                missing = [n for n in columns if n not in present]
                for column in missing:
                    c.execute(
                        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {columns[column]}"
                    )
            else:
                c.execute(f"PRAGMA table_info({table})")
                present = {row["name"] for row in c.fetchall()}
                missing = [n for n in columns if n not in present]
                for column in missing:
                    c.execute(f"ALTER TABLE {table} ADD COLUMN {column} {columns[column]}")
            if missing and fill is not None:
                fill(c, missing)

    @contextmanager
    def cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def execute(self, c: Any, statement: str, *params: Any) -> None:
        """Run `statement` for `params` (its `%s` placeholders) on the open cursor `c`."""
        c.execute(self.sql(statement), [self.value(p) for p in params])

    def insert_row(self, c: Any, table: str, row: dict[str, Any]) -> None:
        """Insert `row` (column name → value) into `table` on the open cursor `c`. The
        columns are named, so columns added after the first release may come last on disk."""
        names, marks = ", ".join(row), ", ".join(["%s"] * len(row))
        self.execute(c, f"INSERT INTO {table} ({names}) VALUES ({marks})", *row.values())

    def write(self, statement: str, *params: Any) -> None:
        """Run one writing `statement` for `params` in a transaction of its own."""
        with self.cursor(commit=True) as c:
            self.execute(c, statement, *params)

    def changed(self, statement: str, *params: Any) -> bool:
        """Run one writing `statement` ending in `RETURNING …` in a transaction of its own;
        whether it changed a row."""
        with self.cursor(commit=True) as c:
            self.execute(c, statement, *params)
            return c.fetchone() is not None

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A cursor for one reading statement. On PostgreSQL (the library's connections
        are in autocommit) outside any transaction: one statement sees one snapshot
        anyway, and the `BEGIN` and `ROLLBACK` around it were two more round trips to
        the server for each read. On SQLite a read transaction, as before (there they
        cost no round trip, and the library maps sqlite3's errors at its end)."""
        if isinstance(self.datastore, PostgresDatastore):
            with self.datastore.get_connection() as conn, conn.cursor() as c:
                yield c
        else:
            with self.cursor(commit=False) as c:
                yield c

    def select(self, statement: str, *params: Any) -> list[Any]:
        """The rows a reading `statement` gives for `params` (its `%s` placeholders)."""
        with self.reading() as c:
            self.execute(c, statement, *params)
            return list(c.fetchall())

    def select_one(self, statement: str, *params: Any) -> Any | None:
        """The one row a reading `statement` gives for `params`, or None."""
        with self.reading() as c:
            self.execute(c, statement, *params)
            return c.fetchone()

    def sql(self, statement: str) -> str:
        return statement.replace("%s", "?") if self.is_sqlite else statement

    def value(self, value: Any) -> Any:
        if not self.is_sqlite:
            return value
        if isinstance(value, UUID):
            return value.hex
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    def uuid(self, value: Any) -> UUID:
        return value if isinstance(value, UUID) else UUID(value)


def escape_like(word: str) -> str:
    """`word` for a LIKE pattern with `ESCAPE '!'`: `%` and `_` match themselves."""
    return word.replace("!", "!!").replace("%", "!%").replace("_", "!_")
