"""A small shared base for Stafett's own (non-event) tables on SQLite or PostgreSQL.

These tables use the plan application's datastore, so they share its connection
pool and its database file or schema. Statements are written with `%s`
placeholders and translated for sqlite3; values are adapted where sqlite3 has no
native type (UUID, date, bool).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore


class SqlTables:
    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.datastore = datastore
        self.is_sqlite = isinstance(datastore, SQLiteDatastore)
        self.uuid_type = "TEXT" if self.is_sqlite else "uuid"
        self.bool_type = "INTEGER" if self.is_sqlite else "boolean"
        self.date_type = "TEXT" if self.is_sqlite else "date"
        self.serial_key = (
            "INTEGER PRIMARY KEY AUTOINCREMENT" if self.is_sqlite else "bigserial PRIMARY KEY"
        )

    def table(self, name: str) -> str:
        if isinstance(self.datastore, PostgresDatastore):
            return f'"{self.datastore.schema}".{name}'
        return name

    def create(self, statements: list[str]) -> None:
        with self.cursor(commit=True) as c:
            for statement in statements:
                c.execute(statement)

    @contextmanager
    def cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:
            yield c

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
